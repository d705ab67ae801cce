//! The Flink REST source: TaskManager, job, vertex and checkpoint metrics from the
//! JobManager's REST API (Flink 1.20.x and 2.x).

pub mod api;
pub mod poller;
pub mod queries;
pub mod settings;

pub use poller::RestPoller;
