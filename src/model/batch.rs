//! What a source sends after one poll: owned values, no references into the wire format.

use std::time::{Duration, Instant};

use super::exceptions::ExceptionEntry;
use super::{JobState, MetricKey, SourceKind};

/// A cumulative counter summed over a group (CPU time, GC time), turned into a rate by
/// the store: rate = delta / dt * scale.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Counter {
    pub(crate) key: MetricKey,
    pub(crate) total: f64,
    pub(crate) scale: f64,
    /// How many TaskManagers or subtasks the total adds up. Flink fills its metric store
    /// piecemeal, so a total may briefly miss a part: rates are only formed between
    /// totals of the same coverage.
    pub(crate) coverage: u64,
}

/// The job a group runs, as the source understood it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JobStatus {
    pub(crate) id: String,
    /// Cleaned of control characters by the source.
    pub(crate) name: String,
    /// Flink's job status, refined by the vertices' task states (RUNNING with tasks still
    /// SCHEDULED is `Starting`).
    pub(crate) state: JobState,
}

impl JobStatus {
    /// A job runs, known from its metrics only (a reporter names no job).
    pub(crate) fn running() -> JobStatus {
        JobStatus { id: String::new(), name: String::new(), state: JobState::Running }
    }
}

/// Per-TaskManager values for the drill-down table.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct TmRow {
    pub id: String,
    pub values: Vec<(MetricKey, Option<f64>)>,
}

impl TmRow {
    pub(crate) fn get(&self, key: MetricKey) -> Option<f64> {
        self.values.iter().find(|(k, _)| *k == key).and_then(|(_, v)| *v)
    }
}

/// One network interface's traffic, per second.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InterfaceRate {
    pub(crate) name: String,
    pub(crate) rx_bytes_per_s: f64,
    pub(crate) tx_bytes_per_s: f64,
    pub(crate) rx_packets_per_s: f64,
    pub(crate) tx_packets_per_s: f64,
    pub(crate) drops_per_s: f64,
    pub(crate) errors_per_s: f64,
}

/// Gauge readings of one instant: `None` is "no data".
pub type Gauges = Vec<(MetricKey, Option<f64>)>;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Batch {
    /// Which source kind this is: when two sources fill the same metric, the store keeps
    /// the fresher one's values.
    pub(crate) provider: SourceKind,
    /// When the values were current. (Not serialized: an `Instant` means nothing outside
    /// this process; a recording keeps it as an offset beside the batch.)
    #[serde(skip, default = "Instant::now")]
    pub(crate) at: Instant,
    /// False when Flink's metric fetcher has not refreshed since the last poll: the values
    /// repeat and are not new samples (job state and TaskManagers still update).
    pub fresh: bool,
    /// `None` is "no data" for that metric (e.g. a job without latency markers).
    pub(crate) gauges: Vec<(MetricKey, Option<f64>)>,
    pub(crate) counters: Vec<Counter>,
    /// Cumulative counters that the statistics turn into one rate per block (records,
    /// bytes, busy/idle/backpressured time); see `blocks`.
    pub(crate) block_counters: Vec<Counter>,
    /// The jobs' exception history as read this poll (the store counts each entry once).
    pub(crate) exceptions: Vec<ExceptionEntry>,
    /// Identity of the set of TaskManagers the counters were summed over: rates are only
    /// formed between batches of the same epoch.
    pub(crate) epoch: u64,
    pub taskmanagers: Vec<String>,
    /// The Netty data ports of those TaskManagers (REST's `dataPort`): with them the host
    /// source tells a local TaskManager process from another cluster's of the same id.
    pub(crate) data_ports: Vec<u16>,
    /// Parts of the poll that failed without failing the source (a Jolokia MBean read
    /// answered 404): their metrics are missing, the rest is good.
    pub(crate) warnings: Vec<String>,
    /// Earlier values the source could read at once (a Prometheus server's range query at
    /// start): (seconds before `at`, gauges), oldest first.
    pub(crate) history: Vec<(f64, Gauges)>,
    /// This host's network interfaces, each on its own (the Host panel's drill-down).
    pub(crate) interfaces: Vec<InterfaceRate>,
    pub(crate) job: Option<JobStatus>,
    /// One row per job of the group (REST only): the Job Health panel. Empty from sources
    /// that know no jobs, and in recordings made before it existed.
    #[serde(default)]
    pub(crate) jobs: Vec<super::JobHealth>,
    pub per_tm: Vec<TmRow>,
    pub(crate) flink_version: Option<String>,
    /// How often the values can change (Flink's metrics.fetcher.update-interval).
    pub(crate) refresh_interval: Duration,
    /// How far apart two values must be to be independent samples: the refresh interval,
    /// or longer for values that are already averages (a Prometheus server's `rate()`
    /// over its rate window). A statistics block is never shorter.
    pub(crate) independent_interval: Duration,
    /// The span of the sliding histogram Flink computes latency-marker quantiles over, when
    /// known (REST reads it from the JobManager's config): consecutive blocks of a latency
    /// gauge share most of it.
    pub(crate) latency_window: Option<Duration>,
}

impl Batch {
    /// A batch of `provider` current at `at`, holding nothing yet: a fresh sample whose
    /// values are independent every `interval`. Sources fill what they read.
    pub(crate) fn new(provider: SourceKind, at: Instant, interval: Duration) -> Batch {
        Batch {
            provider,
            at,
            fresh: true,
            gauges: Vec::new(),
            counters: Vec::new(),
            block_counters: Vec::new(),
            exceptions: Vec::new(),
            epoch: 0,
            taskmanagers: Vec::new(),
            data_ports: Vec::new(),
            warnings: Vec::new(),
            history: Vec::new(),
            interfaces: Vec::new(),
            job: None,
            jobs: Vec::new(),
            per_tm: Vec::new(),
            flink_version: None,
            refresh_interval: interval,
            independent_interval: interval,
            latency_window: None,
        }
    }
}
