//! Which kind of source a reading came from, and each kind's precedence: which of two
//! sources giving one metric writes it, and which source describes a group's jobs and
//! TaskManagers and stands for it in the header. One table, used by the store, the app
//! and the screen. And a source's identity (group and kind) and why a poll failed.

use std::time::Duration;

use super::Group;

/// A kind of source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// Flink's REST API on the JobManager.
    FlinkRest,
    /// Prometheus text endpoints: Flink's PrometheusReporter per TaskManager, node_exporter.
    Prometheus,
    /// JMX over HTTP (Jolokia agents on the TaskManagers).
    Jolokia,
    /// PromQL queries to a Prometheus server.
    PrometheusServer,
    /// This host's /proc: TaskManager processes and NIC/TCP/CPU counters.
    Host,
}

/// One kind's row of the precedence table.
struct Precedence {
    kind: SourceKind,
    name: &'static str,
    /// Its label beside the main source in the header.
    label: &'static str,
    /// Of two sources giving one metric, the higher writes it; of two equal ones, the one
    /// already writing keeps it.
    metric: u8,
    /// How well it knows the group's jobs and TaskManager ids: the highest configured one
    /// describes them and is the group's main source (its state is the group's);
    /// 0 never does.
    describes: u8,
}

/// In the order the header lists a group's sources.
const TABLE: [Precedence; 5] = [
    // REST knows jobs, TaskManager ids and exceptions best; its values are a metric-fetcher
    // interval old.
    Precedence { kind: SourceKind::FlinkRest, name: "flink-rest", label: "rest", metric: 1, describes: 2 },
    // Live at every scrape: either beats REST's fetcher interval.
    Precedence { kind: SourceKind::Prometheus, name: "prometheus", label: "prom", metric: 2, describes: 1 },
    Precedence { kind: SourceKind::Jolokia, name: "jolokia", label: "jmx", metric: 2, describes: 1 },
    // A server's values are a scrape interval old (or, with an offset, from the past): they
    // fill only what no direct source gives.
    Precedence {
        kind: SourceKind::PrometheusServer,
        name: "prometheus-server",
        label: "promql",
        metric: 0,
        describes: 1,
    },
    // Processes, not jobs: it never describes.
    Precedence { kind: SourceKind::Host, name: "host", label: "host", metric: 1, describes: 0 },
];

impl SourceKind {
    pub(crate) const ALL: [SourceKind; 5] = [
        SourceKind::FlinkRest,
        SourceKind::Prometheus,
        SourceKind::Jolokia,
        SourceKind::PrometheusServer,
        SourceKind::Host,
    ];

    fn row(self) -> &'static Precedence {
        TABLE.iter().find(|p| p.kind == self).expect("every kind has a row")
    }

    /// "flink-rest", as in the snapshot's `sources[].name` and the logs.
    pub(crate) fn as_str(self) -> &'static str {
        self.row().name
    }

    /// Its short label in the header ("prom", "jmx", "promql", "host").
    pub(crate) fn label(self) -> &'static str {
        self.row().label
    }

    /// Whether this kind's reading of a metric replaces `other`'s while `other` is fresh.
    pub(crate) fn outranks(self, other: SourceKind) -> bool {
        self.row().metric > other.row().metric
    }

    /// Whether it may describe the group's jobs and TaskManagers at all.
    pub(crate) fn describes(self) -> bool {
        self.row().describes > 0
    }

    /// Of the kinds `configured` says a group has, the one that stands for the group: the
    /// best describer, the first in the table of equals.
    pub(crate) fn main_of(configured: impl Fn(SourceKind) -> bool) -> Option<SourceKind> {
        TABLE
            .iter()
            .filter(|p| p.describes > 0 && configured(p.kind))
            .fold(None::<&Precedence>, |best, p| match best {
                Some(b) if b.describes >= p.describes => Some(b),
                _ => Some(p),
            })
            .map(|p| p.kind)
    }
}

/// Which source a sample or failure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct SourceId {
    pub group: Group,
    pub kind: SourceKind,
}

impl SourceId {
    /// "baseline/flink-rest", as in the snapshot's `sources[].name`.
    pub(crate) fn name(&self) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_row() {
        for k in SourceKind::ALL {
            assert_eq!(TABLE.iter().filter(|p| p.kind == k).count(), 1, "{k:?}");
        }
    }

    #[test]
    fn reporters_outrank_rest_and_rest_outranks_the_server() {
        use SourceKind::*;
        assert!(Prometheus.outranks(FlinkRest) && Jolokia.outranks(FlinkRest));
        assert!(!Prometheus.outranks(Jolokia) && !Jolokia.outranks(Prometheus), "equals: the one writing keeps it");
        assert!(FlinkRest.outranks(PrometheusServer) && Host.outranks(PrometheusServer));
        assert!(!Host.describes());
    }

    #[test]
    fn rest_stands_for_the_group_then_the_reporters() {
        use SourceKind::*;
        assert_eq!(SourceKind::main_of(|_| true), Some(FlinkRest));
        assert_eq!(SourceKind::main_of(|k| k != FlinkRest), Some(Prometheus));
        assert_eq!(SourceKind::main_of(|k| matches!(k, Jolokia | PrometheusServer | Host)), Some(Jolokia));
        assert_eq!(SourceKind::main_of(|k| k == PrometheusServer), Some(PrometheusServer));
        assert_eq!(SourceKind::main_of(|k| k == Host), None, "the host never stands for a group");
    }
}
