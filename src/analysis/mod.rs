//! Analysis: pure functions over the model (comparisons now; significance, alert rules and
//! the verdict build on these). No screen, no wire.

pub mod compare;
pub mod stats;

pub use compare::{Comparison, WindowStats, change_pct, compare_all, window_stats};
