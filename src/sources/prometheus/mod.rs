//! Prometheus text endpoints (Flink's PrometheusReporter, jmx_exporter, node_exporter).

pub mod flink;
pub mod node;
pub mod parse;
pub mod poller;
