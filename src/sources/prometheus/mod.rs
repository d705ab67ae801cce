//! Prometheus text endpoints (Flink's PrometheusReporter, jmx_exporter, node_exporter).

pub(crate) mod node;
pub mod parse;
pub(crate) mod poller;

/// A parsed sample is a reading of the Flink metric vocabulary (the reporter's names).
impl crate::sources::flink_metrics::Reading for parse::Sample<'_> {
    fn name(&self) -> &str {
        self.name
    }
    fn label(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        parse::Sample::label(self, name)
    }
    fn value(&self) -> f64 {
        self.value
    }
}
