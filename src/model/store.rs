//! The store: per group and metric, a bounded time series and its block samples; the latest
//! TaskManagers and job state. Only the event loop writes to it.

use std::time::{Duration, Instant};

mod group;

pub(crate) use group::GroupData;
use group::PROVIDER_STALE_S;

use super::batch::Batch;
use super::blocks::BlockLength;
use super::series::Series;
use super::{Group, MetricKey, SourceKind};

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
        let block = self.block_length(batch.refresh_interval, batch.independent_interval);
        let g = &mut self.groups[group.index()];
        g.describe(t, &mut batch);
        if !batch.fresh {
            return;
        }
        g.feed_counters(t, &batch, block);
        let from_counters: Vec<MetricKey> = batch.block_counters.iter().chain(&batch.counters).map(|c| c.key).collect();
        for (age, gauges) in &batch.history {
            for (key, value) in gauges {
                g.feed_gauge(*key, *value, batch.provider, t - age, block, from_counters.contains(key));
            }
        }
        for (key, value) in std::mem::take(&mut batch.gauges) {
            g.feed_gauge(key, value, batch.provider, t, block, from_counters.contains(&key));
        }
        g.feed_rates(t, &batch);
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
mod tests;
