//! Analysis: pure functions over the model (comparisons now; significance, alert rules and
//! the verdict build on these). No screen, no wire.

pub mod alerts;
pub mod compare;
pub mod judge;
pub mod rules;
pub mod sequential;
pub mod settings;
pub mod stats;
pub mod verdict;

pub use compare::{Comparison, WindowStats, change_pct, compare_all, compare_keys, window_stats};
