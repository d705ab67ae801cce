//! One Flink metric vocabulary, whatever the transport: the names Flink gives its metrics,
//! how the reporters spell them, and how one group's figures are assembled from them.
//! REST, the Prometheus reporters and Jolokia bring the readings; this module turns them
//! into the panels' metric keys, so every transport means the same by each key.

pub mod assemble;
pub mod names;
pub mod reporter;

use serde::Deserialize;

pub use reporter::{Reading, tm_matches};

/// One entry of an `agg=` answer; absent aggregates are `None`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct AggMetric {
    pub id: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub avg: Option<f64>,
    pub sum: Option<f64>,
    /// How many TaskManagers/subtasks reported the metric (sum / avg; needs `agg=avg`).
    #[serde(skip)]
    pub count: Option<f64>,
}
