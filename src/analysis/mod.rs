//! Analysis: pure functions over the model (comparisons now; significance, alert rules and
//! the verdict build on these). No screen, no wire.

pub(crate) mod alerts;
pub(crate) mod compare;
pub mod judge;
pub(crate) mod rules;
pub mod sequential;
pub mod settings;
pub(crate) mod stage;
pub mod stats;
pub(crate) mod verdict;

pub(crate) use compare::{Comparison, change_pct, compare_all, compare_keys, window_stats};
