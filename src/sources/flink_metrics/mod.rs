//! One Flink metric vocabulary, whatever the transport: the names Flink gives its metrics,
//! how the reporters spell them, and how one group's figures are assembled from them.
//! REST, the Prometheus reporters and Jolokia bring the readings; this module turns them
//! into the panels' metric keys, so every transport means the same by each key.

pub(crate) mod assemble;
pub(crate) mod names;
pub(crate) mod reporter;

use serde::Deserialize;

pub(crate) use reporter::{Reading, tm_matches};

/// One entry of an `agg=` answer; absent aggregates are `None`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub(crate) struct AggMetric {
    pub(crate) id: String,
    pub(crate) min: Option<f64>,
    pub(crate) max: Option<f64>,
    pub(crate) avg: Option<f64>,
    pub(crate) sum: Option<f64>,
    /// How many TaskManagers/subtasks reported the metric (sum / avg; needs `agg=avg`).
    #[serde(skip)]
    pub(crate) count: Option<f64>,
}
