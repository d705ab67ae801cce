//! The Flink REST source: TaskManager, job, vertex and checkpoint metrics from the
//! JobManager's REST API (Flink 1.20.x and 2.x).

pub(crate) mod api;
pub(crate) mod poller;
pub(crate) mod queries;
pub(crate) mod settings;

pub(crate) use poller::RestPoller;
