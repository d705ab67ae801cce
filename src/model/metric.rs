//! The metric keys every source fills and every panel reads, in Flink's words.

use serde::Serialize;

/// What kind of number a metric is; decides formatting and how a group figure is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Records per second.
    PerSecond,
    BytesPerSecond,
    Bytes,
    /// A 0..1 fraction (pool usage); drawn as a percentage.
    Ratio,
    /// Already a percentage (Flink's RequestedMemoryUsage).
    Percent,
    Millis,
    /// Milliseconds per second (backpressure/busy/idle timers, GC time).
    MillisPerSecond,
    Cores,
    Count,
    /// Memory segments (Netty buffers).
    Segments,
    /// Vertex backpressure level: 0 ok, 1 low, 2 high.
    Level,
}

/// The dashboard panel a metric belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Panel {
    Throughput,
    Latency,
    Buffers,
    CpuMemory,
    Backpressure,
    Health,
    /// This host's (or node_exporter's) NIC, TCP and CPU counters and the TaskManager
    /// processes: tells buffer starvation from trouble on the wire.
    Host,
    /// Not a metric panel: the alerts list.
    Alerts,
}

macro_rules! metric_keys {
    ($( $variant:ident => $key:literal, $label:literal, $unit:ident, $panel:ident; )*) => {
        /// One per-group metric. `as_str` is the key in the snapshot JSON.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
        pub enum MetricKey { $( #[serde(rename = $key)] $variant, )* }

        impl MetricKey {
            pub(crate) const ALL: &'static [MetricKey] = &[ $( MetricKey::$variant, )* ];
            pub(crate) fn as_str(self) -> &'static str { match self { $( MetricKey::$variant => $key, )* } }
            pub(crate) fn label(self) -> &'static str { match self { $( MetricKey::$variant => $label, )* } }
            pub(crate) fn unit(self) -> Unit { match self { $( MetricKey::$variant => Unit::$unit, )* } }
            pub(crate) fn panel(self) -> Panel { match self { $( MetricKey::$variant => Panel::$panel, )* } }
        }
    };
}

metric_keys! {
    RecordsInPerS => "records_in_per_s", "rec in/s", PerSecond, Throughput;
    RecordsOutPerS => "records_out_per_s", "rec out/s", PerSecond, Throughput;
    BytesInPerS => "bytes_in_per_s", "bytes in/s", BytesPerSecond, Throughput;
    BytesOutPerS => "bytes_out_per_s", "bytes out/s", BytesPerSecond, Throughput;
    RemoteBytesInPerS => "remote_bytes_in_per_s", "remote in/s", BytesPerSecond, Throughput;
    LatencyP50Ms => "latency_p50_ms", "p50", Millis, Latency;
    LatencyP95Ms => "latency_p95_ms", "p95", Millis, Latency;
    LatencyP99Ms => "latency_p99_ms", "p99", Millis, Latency;
    InPoolUsage => "in_pool_usage", "in pool", Ratio, Buffers;
    OutPoolUsage => "out_pool_usage", "out pool", Ratio, Buffers;
    FloatingBuffersUsage => "floating_buffers_usage", "floating", Ratio, Buffers;
    ExclusiveBuffersUsage => "exclusive_buffers_usage", "exclusive", Ratio, Buffers;
    NettyUsedSegments => "netty_used_segments", "netty used", Segments, Buffers;
    NettyAvailableSegments => "netty_available_segments", "netty avail", Segments, Buffers;
    RequestedMemoryUsage => "requested_memory_usage_pct", "requested", Percent, Buffers;
    CpuCores => "cpu_cores", "cpu cores/TM", Cores, CpuMemory;
    HeapUsedBytes => "heap_used_bytes", "heap/TM", Bytes, CpuMemory;
    DirectUsedBytes => "direct_used_bytes", "direct/TM", Bytes, CpuMemory;
    GcMsPerS => "gc_ms_per_s", "GC ms/s", MillisPerSecond, CpuMemory;
    BackpressuredMsPerS => "backpressured_ms_per_s", "backpressure", MillisPerSecond, Backpressure;
    BusyMsPerS => "busy_ms_per_s", "busy", MillisPerSecond, Backpressure;
    IdleMsPerS => "idle_ms_per_s", "idle", MillisPerSecond, Backpressure;
    BackpressureLevel => "backpressure_level", "level", Level, Backpressure;
    Restarts => "restarts", "restarts", Count, Health;
    CheckpointsCompleted => "checkpoints_completed", "checkpoints ok", Count, Health;
    CheckpointsFailed => "checkpoints_failed", "checkpoints failed", Count, Health;
    TaskManagers => "taskmanagers", "TaskManagers", Count, Health;
    NicRxBytesPerS => "nic_rx_bytes_per_s", "NIC rx/s", BytesPerSecond, Host;
    NicTxBytesPerS => "nic_tx_bytes_per_s", "NIC tx/s", BytesPerSecond, Host;
    NicDropsPerS => "nic_drops_per_s", "NIC drops/s", PerSecond, Host;
    NicErrorsPerS => "nic_errors_per_s", "NIC errs/s", PerSecond, Host;
    TcpRetransPerS => "tcp_retrans_per_s", "retrans/s", PerSecond, Host;
    TcpTimeoutsPerS => "tcp_timeouts_per_s", "timeouts/s", PerSecond, Host;
    ListenOverflowsPerS => "tcp_listen_overflows_per_s", "listen ovf/s", PerSecond, Host;
    HostCpuBusy => "host_cpu_busy", "host CPU", Ratio, Host;
    HostCpuUser => "host_cpu_user", "CPU user", Ratio, Host;
    HostCpuSystem => "host_cpu_system", "CPU system", Ratio, Host;
    HostCpuIowait => "host_cpu_iowait", "CPU iowait", Ratio, Host;
    HostCpuSoftirq => "host_cpu_softirq", "CPU softirq", Ratio, Host;
    HostCpuSteal => "host_cpu_steal", "CPU steal", Ratio, Host;
    ProcessCpuCores => "process_cpu_cores", "proc cpu/TM", Cores, Host;
    ProcessRssBytes => "process_rss_bytes", "RSS/TM", Bytes, Host;
    ProcessThreads => "process_threads", "threads/TM", Count, Host;
    ProcessOpenFiles => "process_open_files", "files/TM", Count, Host;
    ProcessTcpConnections => "process_tcp_connections", "conns/TM", Count, Host;
    ProcessDataConnections => "process_data_connections", "data conns/TM", Count, Host;
}

impl MetricKey {
    /// The metrics a panel shows, in display order; the first is the one its chart draws.
    pub(crate) fn of_panel(panel: Panel) -> impl Iterator<Item = MetricKey> {
        Self::ALL.iter().copied().filter(move |k| k.panel() == panel)
    }

    /// Cumulative counts: the snapshot reports their increase within the window as `delta`.
    pub(crate) fn is_cumulative(self) -> bool {
        matches!(self, MetricKey::Restarts | MetricKey::CheckpointsCompleted | MetricKey::CheckpointsFailed)
    }

    /// Metrics the statistics compare (health counts are judged by the alert rules).
    /// Host counters are not compared: baseline and variant often share a host, and
    /// they explain a change rather than measure the canary.
    pub(crate) fn has_blocks(self) -> bool {
        !matches!(self.panel(), Panel::Health | Panel::Host) && self != MetricKey::BackpressureLevel
    }

    #[cfg(test)]
    pub(crate) fn parse(s: &str) -> Option<MetricKey> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for k in MetricKey::ALL {
            assert!(seen.insert(k.as_str()), "duplicate key {}", k.as_str());
            assert_eq!(MetricKey::parse(k.as_str()), Some(*k));
        }
    }

    #[test]
    fn every_chart_panel_has_metrics() {
        for p in [Panel::Throughput, Panel::Latency, Panel::Buffers, Panel::CpuMemory, Panel::Backpressure, Panel::Host]
        {
            assert!(MetricKey::of_panel(p).count() >= 3, "{p:?}");
        }
    }
}
