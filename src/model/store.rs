//! The store: per group and metric, a bounded time series and its block samples; the latest
//! TaskManagers and job state. Only the event loop writes to it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::batch::{Batch, JobStatus, TmRow};
use super::blocks::{BlockLength, CounterBlocks, GaugeBlocks};
use super::exceptions::ExceptionLog;
use super::rate::RateTracker;
use super::series::{NO_POINTS, Series};
use super::{Group, MetricKey, SourceKind};

/// How long a source's values keep another, lower-ranked source from writing a metric.
const PROVIDER_STALE_S: f64 = 15.0;

#[derive(Debug, Clone)]
pub(crate) struct GroupData {
    /// "baseline" or "variant", for the logs.
    name: &'static str,
    pub(crate) series: BTreeMap<MetricKey, Series>,
    /// Rates and blocks are formed per source kind: two sources never interleave their
    /// readings of one counter, and a failing source restarts only its own.
    rates: BTreeMap<(MetricKey, SourceKind), RateTracker>,
    /// Block samples for the statistics (see `blocks`).
    pub(crate) blocks: BTreeMap<MetricKey, Series>,
    counter_blocks: BTreeMap<(MetricKey, SourceKind), CounterBlocks>,
    gauge_blocks: BTreeMap<(MetricKey, SourceKind), GaugeBlocks>,
    pub(crate) exceptions: ExceptionLog,
    providers: BTreeMap<MetricKey, (SourceKind, f64)>,
    last_rest: Option<f64>,
    /// The most TaskManagers the group has had: what it is expected to have.
    pub(crate) expected_taskmanagers: usize,
    pub(crate) taskmanagers: Vec<String>,
    /// The Netty data ports REST reported for them (empty without REST).
    pub(crate) data_ports: Vec<u16>,
    pub(crate) job: Option<JobStatus>,
    pub(crate) per_tm: Vec<TmRow>,
    /// This host's interfaces (from the host source), for the Host drill-down.
    pub(crate) interfaces: Vec<super::InterfaceRate>,
    per_tm_from: Option<(SourceKind, f64)>,
    pub(crate) flink_version: Option<String>,
    pub(crate) refresh_interval: Option<Duration>,
    /// The length of the block each metric's latest sample was formed over (sources differ:
    /// a Prometheus server's `rate()` window is longer than REST's refresh).
    block_lengths: BTreeMap<MetricKey, f64>,
    /// The span of Flink's latency-marker histogram, when a source knows it.
    pub(crate) latency_window: Option<Duration>,
}

impl GroupData {
    fn new(name: &'static str, capacity: usize) -> Self {
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
    fn present(&self) -> GroupData {
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
    fn heap_bytes(&self) -> usize {
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
    fn feed_gauge(
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
}

#[derive(Debug, Clone)]
pub struct Store {
    epoch: Instant,
    retention: Duration,
    block: Duration,
    /// The fastest poll interval: readings are at least this far apart.
    min_interval: Duration,
    groups: [GroupData; 2],
}

impl Store {
    #[cfg(test)]
    /// `min_interval` is the fastest poll interval: with retention it bounds every buffer.
    pub(crate) fn with_epoch(epoch: Instant, retention: Duration, min_interval: Duration) -> Self {
        Self::with_block(epoch, retention, min_interval, Duration::from_secs(10))
    }

    /// `block` is the length of a statistics sample (at least one metrics refresh is used).
    pub(crate) fn with_block(epoch: Instant, retention: Duration, min_interval: Duration, block: Duration) -> Self {
        let capacity = (retention.as_secs_f64() / min_interval.as_secs_f64().max(0.05)).ceil() as usize + 16;
        let capacity = capacity.min(1_000_000);
        Store {
            epoch,
            retention,
            block,
            min_interval,
            groups: [
                GroupData::new(Group::Baseline.as_str(), capacity),
                GroupData::new(Group::Variant.as_str(), capacity),
            ],
        }
    }

    /// The store as it is now, without the history: a paused screen's copy. It costs the
    /// same after a minute as after the whole retention.
    pub(crate) fn present(&self) -> Store {
        Store {
            epoch: self.epoch,
            retention: self.retention,
            block: self.block,
            min_interval: self.min_interval,
            groups: [self.groups[0].present(), self.groups[1].present()],
        }
    }

    /// Readings the store holds (points of every series and block series).
    pub fn held_points(&self) -> usize {
        self.groups.iter().flat_map(|g| g.series.values().chain(g.blocks.values())).map(Series::len).sum()
    }

    /// Bytes the store accounts for on the heap (see `GroupData::heap_bytes`).
    pub fn heap_bytes(&self) -> usize {
        self.groups.iter().map(GroupData::heap_bytes).sum()
    }

    /// The length of a statistics sample for readings of `batch`'s source: at least one
    /// independent interval, with half a reading's spacing of slack (see `blocks`).
    fn block_length(&self, refresh: Duration, independent: Duration) -> BlockLength {
        let cadence = refresh.max(self.min_interval).as_secs_f64();
        BlockLength::new(self.block.max(independent.max(refresh)).as_secs_f64(), cadence)
    }

    /// The seconds one block sample of `group`'s throughput takes: how long until `n` more
    /// samples.
    pub(crate) fn block_seconds(&self, group: Group) -> f64 {
        self.block_seconds_of(group, MetricKey::RecordsInPerS)
    }

    /// The seconds one block sample of `key` takes: the length its latest block was formed
    /// over, else the configured block (or the refresh interval, if longer).
    pub(crate) fn block_seconds_of(&self, group: Group, key: MetricKey) -> f64 {
        let g = self.group(group);
        g.block_lengths
            .get(&key)
            .copied()
            .unwrap_or_else(|| self.block.max(g.refresh_interval.unwrap_or_default()).as_secs_f64())
    }

    /// Exception history entries that Flink stamped before `from` are history: shown,
    /// never counted by the rules.
    pub(crate) fn count_exceptions_from(&mut self, from: std::time::SystemTime) {
        let ms = from.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
        for g in &mut self.groups {
            g.exceptions.counted_from_ms = ms;
        }
    }

    /// Seconds since the store began; the time axis of every series.
    pub(crate) fn t(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.epoch).as_secs_f64()
    }

    pub(crate) fn group(&self, g: Group) -> &GroupData {
        &self.groups[g.index()]
    }

    /// Takes one poll's results. Repeated (not fresh) values update the TaskManager list and
    /// job state only: they are not new samples.
    pub(crate) fn ingest(&mut self, group: Group, mut batch: Batch) {
        let t = self.t(batch.at);
        let g = &mut self.groups[group.index()];
        // The REST source knows jobs and TaskManager ids best: another source describes
        // them only while REST is silent.
        // The host source knows processes, not jobs: it never describes.
        let rest = batch.provider == SourceKind::FlinkRest;
        let describes = rest || batch.provider.describes() && g.last_rest.is_none_or(|r| t - r > PROVIDER_STALE_S);
        if rest {
            g.last_rest = Some(t);
        }
        if describes {
            if rest || g.last_rest.is_none() {
                g.data_ports = batch.data_ports;
            }
            // One TaskManager per canonical id, whichever form the source uses.
            g.taskmanagers = super::taskmanager::distinct(batch.taskmanagers);
            g.job = batch.job;
            g.refresh_interval = Some(batch.refresh_interval);
            g.expected_taskmanagers = g.expected_taskmanagers.max(g.taskmanagers.len());
        }
        g.flink_version = batch.flink_version.or(g.flink_version.take());
        g.latency_window = batch.latency_window.or(g.latency_window);
        g.exceptions.ingest(t, &batch.exceptions);
        if rest && batch.fresh {
            // REST read the exception history in this poll: whatever appears later is new
            // to this run, whatever the JobManager's clock says.
            g.exceptions.settle();
        }
        if !batch.interfaces.is_empty() {
            g.interfaces = std::mem::take(&mut batch.interfaces);
        }
        // Per-TaskManager rows from the fresher source (the reporter's, at 1 s) while it gives them.
        if !batch.per_tm.is_empty()
            && g.per_tm_from.is_none_or(|(p, when)| {
                p == batch.provider || batch.provider.outranks(p) || t - when > PROVIDER_STALE_S
            })
        {
            g.per_tm = batch.per_tm;
            g.per_tm_from = Some((batch.provider, t));
        }
        if !batch.fresh {
            return;
        }
        let provider = batch.provider;
        let block = self.block_length(batch.refresh_interval, batch.independent_interval);
        let g = &mut self.groups[group.index()];
        for c in batch.block_counters.iter().chain(&batch.counters) {
            if !g.accepts(c.key, provider, t) {
                // As for gauges: no block may span the time it was refused.
                if let Some(b) = g.counter_blocks.get_mut(&(c.key, provider)) {
                    b.reset();
                }
                continue;
            }
            let rate = g.counter_blocks.entry((c.key, provider)).or_default().feed(
                t,
                c.total,
                batch.epoch ^ c.coverage,
                block,
            );
            if let (Some(r), Some(s)) = (rate, g.blocks.get_mut(&c.key)) {
                // Recordings of these lines (RUST_LOG=flinkscope::model::store=debug) gave the
                // noise and autocorrelation that benches/sequential.rs simulates.
                tracing::debug!(group = group.as_str(), key = c.key.as_str(), t, value = r * c.scale, "block sample");
                s.push(t, Some(r * c.scale));
                g.block_lengths.insert(c.key, block.length);
            }
        }
        let from_counters: Vec<MetricKey> = batch.block_counters.iter().chain(&batch.counters).map(|c| c.key).collect();
        for (age, gauges) in &batch.history {
            for (key, value) in gauges {
                g.feed_gauge(*key, *value, provider, t - age, block, from_counters.contains(key));
            }
        }
        for (key, value) in batch.gauges {
            g.feed_gauge(key, value, provider, t, block, from_counters.contains(&key));
        }
        for c in batch.counters {
            if !g.accepts(c.key, provider, t) {
                if let Some(r) = g.rates.get_mut(&(c.key, provider)) {
                    r.reset();
                }
                continue;
            }
            let rate = g
                .rates
                .entry((c.key, provider))
                .or_default()
                .update(t, c.total, batch.epoch ^ c.coverage)
                .map(|r| r * c.scale);
            if rate.is_some() {
                g.providers.insert(c.key, (provider, t));
            }
            // The first reading after a reset has no rate yet: that is a gap, not a zero.
            g.series.get_mut(&c.key).expect("every key has a series").push(t, rate);
        }
        self.prune(t);
    }

    #[cfg(test)]
    /// A failed poll: a gap in every series of the group, and rates restart.
    pub(crate) fn gap(&mut self, group: Group, at: Instant) {
        self.gap_from(group, at, None);
    }

    /// A failed poll of one source: a gap in the series that source provides (all of
    /// them when `provider` is `None`); another live source's series go on.
    pub(crate) fn gap_from(&mut self, group: Group, at: Instant, provider: Option<SourceKind>) {
        let t = self.t(at);
        let g = &mut self.groups[group.index()];
        let others_live: Vec<MetricKey> = match provider {
            None => Vec::new(),
            Some(p) => g
                .providers
                .iter()
                .filter(|(_, (who, when))| *who != p && t - when <= PROVIDER_STALE_S)
                .map(|(k, _)| *k)
                .collect(),
        };
        for (k, s) in &mut g.series {
            if !others_live.contains(k) {
                s.push(t, None);
            }
        }
        let mine = |who: &SourceKind| provider.is_none_or(|p| p == *who);
        for ((_, who), r) in &mut g.rates {
            if mine(who) {
                r.reset();
            }
        }
        for ((_, who), b) in &mut g.counter_blocks {
            if mine(who) {
                b.reset();
            }
        }
        for ((_, who), b) in &mut g.gauge_blocks {
            if mine(who) {
                b.reset();
            }
        }
    }

    fn prune(&mut self, now: f64) {
        let from = now - self.retention.as_secs_f64();
        for g in &mut self.groups {
            for s in g.series.values_mut().chain(g.blocks.values_mut()) {
                s.prune_before(from);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::batch::Counter;

    fn batch(at: Instant, fresh: bool, cpu_ns: f64) -> Batch {
        Batch {
            fresh,
            gauges: vec![(MetricKey::RecordsInPerS, Some(100.0)), (MetricKey::LatencyP99Ms, None)],
            counters: vec![Counter { key: MetricKey::CpuCores, total: cpu_ns, scale: 1e-9, coverage: 0 }],
            block_counters: vec![],
            exceptions: vec![],
            epoch: 7,
            taskmanagers: vec!["tm-1".into()],
            per_tm: vec![],
            flink_version: Some("2.3.0".into()),
            ..Batch::new(SourceKind::FlinkRest, at, Duration::from_secs(10))
        }
    }

    #[test]
    fn repeats_are_not_samples_and_counters_become_rates() {
        let t0 = Instant::now();
        let mut s = Store::with_epoch(t0, Duration::from_secs(3600), Duration::from_secs(1));
        s.ingest(Group::Baseline, batch(t0, true, 0.0));
        s.ingest(Group::Baseline, batch(t0 + Duration::from_secs(1), false, 0.0));
        s.ingest(Group::Baseline, batch(t0 + Duration::from_secs(10), true, 5e9));
        let g = s.group(Group::Baseline);
        assert_eq!(g.series(MetricKey::RecordsInPerS).values_since(0.0).count(), 2);
        // 5 s of CPU over 10 s: half a core. The first reading had no rate (a gap).
        let cpu: Vec<_> = g.series(MetricKey::CpuCores).values_since(0.0).collect();
        assert_eq!(cpu, vec![(10.0, 0.5)]);
        assert_eq!(g.series(MetricKey::LatencyP99Ms).values_since(0.0).count(), 0);
        assert_eq!(g.flink_version.as_deref(), Some("2.3.0"));
        assert!(s.group(Group::Variant).series(MetricKey::RecordsInPerS).is_empty());
    }

    #[test]
    fn history_fills_the_window_before_the_first_poll() {
        let t0 = Instant::now();
        let mut s = Store::with_epoch(t0, Duration::from_secs(3600), Duration::from_secs(1));
        let mut b = batch(t0 + Duration::from_secs(5), true, 0.0);
        b.provider = SourceKind::PrometheusServer;
        b.history =
            (1..=30).rev().map(|age| (age as f64, vec![(MetricKey::RecordsInPerS, Some(90.0 + age as f64))])).collect();
        s.ingest(Group::Baseline, b);
        let points: Vec<(f64, f64)> =
            s.group(Group::Baseline).series(MetricKey::RecordsInPerS).values_since(-100.0).collect();
        assert_eq!(points.len(), 31, "30 past points and the current one");
        assert_eq!(points[0], (-25.0, 120.0), "times before the store began are negative");
        assert_eq!(points[30], (5.0, 100.0));
        // Blocks for the statistics were formed from the history too.
        assert!(!s.group(Group::Baseline).block_values_since(MetricKey::RecordsInPerS, -100.0).is_empty());
    }

    /// A reporter without job restarts (a TaskManager's has none) does not blank REST's:
    /// the metric keeps REST's value whichever source wrote last.
    #[test]
    fn a_source_lacking_a_metric_leaves_another_sources_value() {
        let t0 = Instant::now();
        let mut s = Store::with_epoch(t0, Duration::from_secs(3600), Duration::from_secs(1));
        let at = |secs: u64| t0 + Duration::from_secs(secs);
        let mut rest = batch(at(0), true, 0.0);
        rest.gauges.push((MetricKey::Restarts, Some(0.0)));
        s.ingest(Group::Variant, rest);
        for i in 1..=5u64 {
            let mut prom = batch(at(i), true, 0.0);
            prom.provider = SourceKind::Prometheus;
            prom.gauges.push((MetricKey::Restarts, None));
            s.ingest(Group::Variant, prom);
        }
        let g = s.group(Group::Variant);
        assert_eq!(g.series(MetricKey::Restarts).current(), Some(0.0), "REST's 0 stays the latest reading");
        assert_eq!(g.provider(MetricKey::Restarts), Some(SourceKind::FlinkRest));
    }

    /// A reporter that fails restarts its own rates and blocks; REST's CPU rate goes on.
    #[test]
    fn a_failing_source_resets_only_its_own_rates_and_blocks() {
        let t0 = Instant::now();
        let mut s = Store::with_epoch(t0, Duration::from_secs(3600), Duration::from_secs(1));
        let at = |secs: u64| t0 + Duration::from_secs(secs);
        for i in 0..3u64 {
            s.ingest(Group::Baseline, batch(at(10 * i), true, (10 * i) as f64 * 1e9));
        }
        let cpu_points = |s: &Store| s.group(Group::Baseline).series(MetricKey::CpuCores).values_since(0.0).count();
        assert_eq!(cpu_points(&s), 2);
        s.gap_from(Group::Baseline, at(25), Some(SourceKind::Prometheus));
        s.ingest(Group::Baseline, batch(at(30), true, 30e9));
        assert_eq!(cpu_points(&s), 3, "REST's CPU rate did not restart for the reporter's failure");
        s.gap_from(Group::Baseline, at(35), Some(SourceKind::FlinkRest));
        s.ingest(Group::Baseline, batch(at(40), true, 40e9));
        assert_eq!(cpu_points(&s), 3, "its own failure restarts it: no rate from the first reading after");
    }

    #[test]
    fn taskmanagers_are_one_per_canonical_id() {
        let t0 = Instant::now();
        let mut s = Store::with_epoch(t0, Duration::from_secs(3600), Duration::from_secs(1));
        let mut b = batch(t0, true, 0.0);
        b.taskmanagers = vec!["tm-base-1".into(), "tm_base_1".into(), "tm-base-2".into()];
        s.ingest(Group::Baseline, b);
        assert_eq!(s.group(Group::Baseline).taskmanagers, vec!["tm-base-1", "tm-base-2"]);
        assert_eq!(s.group(Group::Baseline).expected_taskmanagers, 2);
    }

    #[test]
    fn a_failed_poll_is_a_gap_and_memory_stays_bounded() {
        let t0 = Instant::now();
        let mut s = Store::with_epoch(t0, Duration::from_secs(60), Duration::from_secs(1));
        for i in 0..10_000u64 {
            let at = t0 + Duration::from_secs(i);
            if i % 10 == 5 {
                s.gap(Group::Baseline, at);
            } else {
                s.ingest(Group::Baseline, batch(at, true, i as f64 * 1e9));
            }
        }
        let g = s.group(Group::Baseline);
        let series = g.series(MetricKey::RecordsInPerS);
        assert!(series.len() <= 62, "retention bounds the series: {}", series.len());
        assert!(series.segments_since(0.0).len() >= 5, "gaps split the line");
    }
}
