//! Sources: async pollers, one tokio task per endpoint, that send owned samples over a
//! channel. They never draw and never touch app state.

pub(crate) mod flink_metrics;
pub(crate) mod flink_rest;
pub mod host;
pub mod http;
pub mod jolokia;
pub mod prometheus;
pub(crate) mod prometheus_server;
pub mod task;

// Source identity and failure are the model's: the event that carries them and the app
// that shows them see them without reaching into the sources.
pub use crate::model::SourceKind;
pub use crate::model::source::{SourceError, SourceId};
