//! The model: time series in ring buffers, block samples, baseline and variant groups.
//! It knows no screen and no wire.

pub(crate) mod batch;
pub(crate) mod blocks;
pub(crate) mod exceptions;
pub(crate) mod job;
pub(crate) mod job_health;
pub(crate) mod metric;
pub(crate) mod placeholders;
pub(crate) mod rate;
pub(crate) mod series;
pub(crate) mod settings;
pub(crate) mod source;
pub(crate) mod step;
pub(crate) mod store;
pub(crate) mod taskmanager;

pub use batch::{Batch, Counter, Gauges, InterfaceRate, JobStatus, TmRow};
pub(crate) use exceptions::ExceptionEntry;
pub(crate) use job::JobState;
pub(crate) use job_health::{CheckpointHealth, JobHealth};
pub use metric::{MetricKey, Panel, Unit};
pub(crate) use series::Series;
pub use source::SourceKind;
pub(crate) use store::Store;

/// The two groups a canary compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    Baseline,
    Variant,
}

impl Group {
    pub const BOTH: [Group; 2] = [Group::Baseline, Group::Variant];

    pub(crate) fn index(self) -> usize {
        match self {
            Group::Baseline => 0,
            Group::Variant => 1,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Group::Baseline => "baseline",
            Group::Variant => "variant",
        }
    }
}
