//! Sources: async pollers, one tokio task per endpoint, that send owned samples over a
//! channel. They never draw and never touch app state.

pub mod flink_metrics;
pub mod flink_rest;
pub mod host;
pub mod http;
pub mod jolokia;
pub mod prometheus;
pub mod prometheus_server;
pub mod task;

use std::time::Duration;

use crate::model::Group;
pub use crate::model::SourceKind;

/// Which source a sample or failure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId {
    pub group: Group,
    pub kind: SourceKind,
}

impl SourceId {
    /// "baseline/flink-rest", as in the snapshot's `sources[].name`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.group.as_str(), self.kind.as_str())
    }
}

/// Why a poll failed; shown in the source's health and panel titles. Clone because it
/// travels in events; texts from the server are cleaned before they get here.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SourceError {
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("HTTP {status} on {path}: {body}")]
    Status { status: u16, path: String, body: String },
    #[error("answer to {path} is over the {limit}-byte cap")]
    TooLarge { path: String, limit: usize },
    #[error("malformed answer to {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    #[error("TLS/auth setup: {0}")]
    Setup(String),
    #[error("{0}")]
    Other(String),
}
