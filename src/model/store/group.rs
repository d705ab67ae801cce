//! One group's part of the store: its series, block samples, rate trackers, and what its
//! sources last said of its TaskManagers and job.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::model::batch::{Batch, JobStatus, TmRow};
use crate::model::blocks::{BlockLength, CounterBlocks, GaugeBlocks};
use crate::model::exceptions::ExceptionLog;
use crate::model::rate::RateTracker;
use crate::model::series::{NO_POINTS, Series};
use crate::model::{MetricKey, SourceKind};

/// How long a source's values keep another, lower-ranked source from writing a metric.
pub(super) const PROVIDER_STALE_S: f64 = 15.0;

#[derive(Debug, Clone)]
pub(crate) struct GroupData {
    /// "baseline" or "variant", for the logs.
    pub(super) name: &'static str,
    pub(crate) series: BTreeMap<MetricKey, Series>,
    /// Rates and blocks are formed per source kind: two sources never interleave their
    /// readings of one counter, and a failing source restarts only its own.
    pub(super) rates: BTreeMap<(MetricKey, SourceKind), RateTracker>,
    /// Block samples for the statistics (see `blocks`).
    pub(crate) blocks: BTreeMap<MetricKey, Series>,
    pub(super) counter_blocks: BTreeMap<(MetricKey, SourceKind), CounterBlocks>,
    pub(super) gauge_blocks: BTreeMap<(MetricKey, SourceKind), GaugeBlocks>,
    pub(crate) exceptions: ExceptionLog,
    pub(super) providers: BTreeMap<MetricKey, (SourceKind, f64)>,
    pub(super) last_rest: Option<f64>,
    /// The most TaskManagers the group has had: what it is expected to have.
    pub(crate) expected_taskmanagers: usize,
    pub(crate) taskmanagers: Vec<String>,
    /// The Netty data ports REST reported for them (empty without REST).
    pub(crate) data_ports: Vec<u16>,
    pub(crate) job: Option<JobStatus>,
    /// One row per job (REST), and when their restart counts went up.
    pub(crate) jobs: crate::model::job_health::JobBoard,
    pub(crate) per_tm: Vec<TmRow>,
    /// This host's interfaces (from the host source), for the Host drill-down.
    pub(crate) interfaces: Vec<crate::model::InterfaceRate>,
    pub(super) per_tm_from: Option<(SourceKind, f64)>,
    pub(crate) flink_version: Option<String>,
    pub(crate) refresh_interval: Option<Duration>,
    /// The length of the block each metric's latest sample was formed over (sources differ:
    /// a Prometheus server's `rate()` window is longer than REST's refresh).
    pub(super) block_lengths: BTreeMap<MetricKey, f64>,
    /// The span of Flink's latency-marker histogram, when a source knows it.
    pub(crate) latency_window: Option<Duration>,
}

impl GroupData {
    pub(super) fn new(name: &'static str, capacity: usize) -> Self {
        GroupData {
            name,
            series: MetricKey::ALL.iter().map(|k| (*k, Series::new(capacity))).collect(),
            rates: BTreeMap::new(),
            blocks: MetricKey::ALL.iter().filter(|k| k.has_blocks()).map(|k| (*k, Series::new(capacity))).collect(),
            counter_blocks: BTreeMap::new(),
            gauge_blocks: BTreeMap::new(),
            exceptions: ExceptionLog::default(),
            providers: BTreeMap::new(),
            last_rest: None,
            expected_taskmanagers: 0,
            taskmanagers: Vec::new(),
            data_ports: Vec::new(),
            job: None,
            jobs: Default::default(),
            per_tm: Vec::new(),
            interfaces: Vec::new(),
            per_tm_from: None,
            flink_version: None,
            refresh_interval: None,
            block_lengths: BTreeMap::new(),
            latency_window: None,
        }
    }

    /// A metric's series (one without points in a frozen view, which keeps no history).
    pub(crate) fn series(&self, key: MetricKey) -> &Series {
        self.series.get(&key).unwrap_or(&NO_POINTS)
    }

    /// The group as it is now, without its history: what a paused screen freezes. Its
    /// size does not depend on how long flinkscope has run (the charts of a paused screen
    /// read the live series up to the moment of the pause).
    pub(super) fn present(&self) -> GroupData {
        GroupData {
            name: self.name,
            series: BTreeMap::new(),
            rates: BTreeMap::new(),
            blocks: BTreeMap::new(),
            counter_blocks: BTreeMap::new(),
            gauge_blocks: BTreeMap::new(),
            exceptions: self.exceptions.shown(),
            providers: self.providers.clone(),
            last_rest: self.last_rest,
            expected_taskmanagers: self.expected_taskmanagers,
            taskmanagers: self.taskmanagers.clone(),
            data_ports: self.data_ports.clone(),
            job: self.job.clone(),
            jobs: self.jobs.clone(),
            per_tm: self.per_tm.clone(),
            interfaces: self.interfaces.clone(),
            per_tm_from: self.per_tm_from,
            flink_version: self.flink_version.clone(),
            refresh_interval: self.refresh_interval,
            block_lengths: self.block_lengths.clone(),
            latency_window: self.latency_window,
        }
    }

    /// Bytes the group holds on the heap, as far as the store accounts for them: the ring
    /// buffers of its series and block samples, the per-TaskManager rows and the trackers.
    /// (Allocator overhead and the few fixed strings are left out.)
    pub(super) fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let series: usize = self.series.values().chain(self.blocks.values()).map(Series::heap_bytes).sum();
        let rows: usize = self
            .per_tm
            .iter()
            .map(|r| size_of::<TmRow>() + r.id.capacity() + r.values.capacity() * size_of::<(MetricKey, Option<f64>)>())
            .sum();
        let trackers = self.rates.len() * size_of::<RateTracker>()
            + self.counter_blocks.len() * size_of::<CounterBlocks>()
            + self.gauge_blocks.len() * size_of::<GaugeBlocks>();
        let ids: usize = self.taskmanagers.iter().map(|s| size_of::<String>() + s.capacity()).sum();
        series + rows + trackers + ids + self.exceptions.heap_bytes()
    }

    /// Which source kind last gave this metric a value.
    pub(crate) fn provider(&self, key: MetricKey) -> Option<SourceKind> {
        self.providers.get(&key).map(|(p, _)| *p)
    }

    /// A source may write a metric unless another source kind that ranks as high or higher
    /// (fresher: the Prometheus reporter answers live, REST only every fetcher interval)
    /// gave it a value in the last PROVIDER_STALE_S seconds. Of two equal ones (reporters
    /// and Jolokia agents on the same TaskManagers) the one already writing keeps it, so
    /// one stream of readings feeds each metric.
    fn accepts(&self, key: MetricKey, provider: SourceKind, t: f64) -> bool {
        match self.providers.get(&key) {
            None => true,
            Some((p, _)) if *p == provider => true,
            Some((p, when)) => provider.outranks(*p) || t - when > PROVIDER_STALE_S,
        }
    }

    /// One gauge reading at `t`, if `provider` may write the metric. `from_counter`: its
    /// blocks come from a counter in the same batch, not from the smoothed gauge.
    pub(super) fn feed_gauge(
        &mut self,
        key: MetricKey,
        value: Option<f64>,
        provider: SourceKind,
        t: f64,
        block: BlockLength,
        from_counter: bool,
    ) {
        if value.is_none()
            && self.providers.get(&key).is_some_and(|(p, when)| *p != provider && t - when <= PROVIDER_STALE_S)
        {
            // Another source gives this metric: that this one lacks it (a TaskManager
            // reporter has no job restarts) is no gap in the metric.
            return;
        }
        if !self.accepts(key, provider, t) {
            // Its readings go unused: when it takes over, its first block must start then,
            // not at a reading from before it was refused.
            if let Some(b) = self.gauge_blocks.get_mut(&(key, provider)) {
                b.reset();
            }
            return;
        }
        if value.is_some() {
            self.providers.insert(key, (provider, t));
        }
        self.series.get_mut(&key).expect("every key has a series").push(t, value);
        if let (Some(v), false, Some(s)) = (value, from_counter, self.blocks.get_mut(&key))
            && let Some(mean) = self.gauge_blocks.entry((key, provider)).or_default().feed(t, v, block)
        {
            tracing::debug!(group = self.name, key = key.as_str(), t, value = mean, "block sample");
            s.push(t, Some(mean));
            self.block_lengths.insert(key, block.length);
        }
    }

    /// How many block samples of a metric there are at or after `from`.
    pub(crate) fn block_count_since(&self, key: MetricKey, from: f64) -> usize {
        self.blocks.get(&key).map_or(0, |s| s.values_since(from).count())
    }

    /// Block samples of a metric (empty for metrics without statistics).
    pub(crate) fn block_values_since(&self, key: MetricKey, from: f64) -> Vec<f64> {
        self.blocks.get(&key).map(|s| s.values_since(from).map(|(_, v)| v).collect()).unwrap_or_default()
    }

    /// What the batch says of the group (TaskManagers, job, ports, exceptions, rows), if
    /// its source may describe it. The REST source knows jobs and TaskManager ids best:
    /// another source describes them only while REST is silent. The host source knows
    /// processes, not jobs: it never describes.
    pub(super) fn describe(&mut self, t: f64, batch: &mut Batch) {
        let rest = batch.provider == SourceKind::FlinkRest;
        let describes = rest || batch.provider.describes() && self.last_rest.is_none_or(|r| t - r > PROVIDER_STALE_S);
        if rest {
            self.last_rest = Some(t);
            self.jobs.update(t, std::mem::take(&mut batch.jobs));
        }
        if describes {
            if rest || self.last_rest.is_none() {
                self.data_ports = std::mem::take(&mut batch.data_ports);
            }
            // One TaskManager per canonical id, whichever form the source uses.
            self.taskmanagers = crate::model::taskmanager::distinct(std::mem::take(&mut batch.taskmanagers));
            self.job = batch.job.take();
            self.refresh_interval = Some(batch.refresh_interval);
            self.expected_taskmanagers = self.expected_taskmanagers.max(self.taskmanagers.len());
        }
        self.flink_version = batch.flink_version.take().or(self.flink_version.take());
        self.latency_window = batch.latency_window.or(self.latency_window);
        self.exceptions.ingest(t, &batch.exceptions);
        if rest && batch.fresh {
            // REST read the exception history in this poll: whatever appears later is new
            // to this run, whatever the JobManager's clock says.
            self.exceptions.settle();
        }
        if !batch.interfaces.is_empty() {
            self.interfaces = std::mem::take(&mut batch.interfaces);
        }
        // Per-TaskManager rows from the fresher source (the reporter's, at 1 s) while it gives them.
        if !batch.per_tm.is_empty()
            && self.per_tm_from.is_none_or(|(p, when)| {
                p == batch.provider || batch.provider.outranks(p) || t - when > PROVIDER_STALE_S
            })
        {
            self.per_tm = std::mem::take(&mut batch.per_tm);
            self.per_tm_from = Some((batch.provider, t));
        }
    }

    /// The block samples of the batch's counters (block counters and rate counters alike).
    pub(super) fn feed_counters(&mut self, t: f64, batch: &Batch, block: BlockLength) {
        let provider = batch.provider;
        for c in batch.block_counters.iter().chain(&batch.counters) {
            if !self.accepts(c.key, provider, t) {
                // As for gauges: no block may span the time it was refused.
                if let Some(b) = self.counter_blocks.get_mut(&(c.key, provider)) {
                    b.reset();
                }
                continue;
            }
            let rate = self.counter_blocks.entry((c.key, provider)).or_default().feed(
                t,
                c.total,
                batch.epoch ^ c.coverage,
                block,
            );
            if let (Some(r), Some(s)) = (rate, self.blocks.get_mut(&c.key)) {
                // Recordings of these lines (RUST_LOG=flinkscope::model::store=debug) gave the
                // noise and autocorrelation that benches/sequential.rs simulates.
                tracing::debug!(group = self.name, key = c.key.as_str(), t, value = r * c.scale, "block sample");
                s.push(t, Some(r * c.scale));
                self.block_lengths.insert(c.key, block.length);
            }
        }
    }

    /// The rates of the batch's counters into their series.
    pub(super) fn feed_rates(&mut self, t: f64, batch: &Batch) {
        let provider = batch.provider;
        for c in &batch.counters {
            if !self.accepts(c.key, provider, t) {
                if let Some(r) = self.rates.get_mut(&(c.key, provider)) {
                    r.reset();
                }
                continue;
            }
            let rate = self
                .rates
                .entry((c.key, provider))
                .or_default()
                .update(t, c.total, batch.epoch ^ c.coverage)
                .map(|r| r * c.scale)
                // A share of time (CPU busy) over a poll interval a few ms off the source's
                // own: at most the whole of it (a saturated host read 1.005).
                .map(|r| if c.key.unit() == crate::model::Unit::Ratio { r.clamp(0.0, 1.0) } else { r });
            if rate.is_some() {
                self.providers.insert(c.key, (provider, t));
            }
            // The first reading after a reset has no rate yet: that is a gap, not a zero.
            self.series.get_mut(&c.key).expect("every key has a series").push(t, rate);
        }
    }
}
