//! The model: time series in ring buffers, block samples, baseline and variant groups.
//! It knows no screen and no wire.

pub mod batch;
pub mod blocks;
pub mod exceptions;
pub mod job;
pub mod metric;
pub mod placeholders;
pub mod rate;
pub mod series;
pub mod settings;
pub mod source;
pub mod step;
pub mod store;
pub mod taskmanager;

pub use batch::{Batch, Counter, Gauges, InterfaceRate, JobStatus, TmRow};
pub use exceptions::{ExceptionEntry, ExceptionLog};
pub use job::JobState;
pub use metric::{MetricKey, Panel, Unit};
pub use series::Series;
pub use source::SourceKind;
pub use store::{GroupData, Store};

/// The two groups a canary compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    Baseline,
    Variant,
}

impl Group {
    pub const BOTH: [Group; 2] = [Group::Baseline, Group::Variant];

    pub fn index(self) -> usize {
        match self {
            Group::Baseline => 0,
            Group::Variant => 1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Group::Baseline => "baseline",
            Group::Variant => "variant",
        }
    }
}
