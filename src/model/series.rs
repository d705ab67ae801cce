//! A bounded time series with gaps: the ring buffer behind every chart and window statistic.

use std::collections::VecDeque;

/// One observation; `v == None` is a gap (a failed poll, or "no data"), never a zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    /// Seconds since the store's epoch.
    pub(crate) t: f64,
    pub(crate) v: Option<f64>,
}

#[derive(Debug, Clone)]
pub(crate) struct Series {
    points: VecDeque<Point>,
    capacity: usize,
}

/// A series without points, for a metric a frozen view keeps no history of.
pub(crate) static NO_POINTS: Series = Series { points: VecDeque::new(), capacity: 2 };

impl Series {
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(2);
        Series { points: VecDeque::with_capacity(capacity.min(1024)), capacity }
    }

    /// Appends a value or a gap. Consecutive gaps collapse into one, so a long outage
    /// costs one slot; the oldest point is dropped when the buffer is full.
    /// A point older than the last one is dropped: points stay in time order.
    pub(crate) fn push(&mut self, t: f64, v: Option<f64>) {
        if self.points.back().is_some_and(|p| t < p.t) {
            return;
        }
        let v = v.filter(|x| x.is_finite());
        if v.is_none() && matches!(self.points.back(), None | Some(Point { v: None, .. })) {
            return;
        }
        if self.points.len() == self.capacity {
            self.points.pop_front();
        }
        self.points.push_back(Point { t, v });
    }

    /// Drops points older than `t`: the retention window.
    pub(crate) fn prune_before(&mut self, t: f64) {
        while self.points.front().is_some_and(|p| p.t < t) {
            self.points.pop_front();
        }
    }

    /// The latest point's value; `None` when the latest point is a gap or there is none.
    pub(crate) fn current(&self) -> Option<f64> {
        self.points.back().and_then(|p| p.v)
    }

    /// The latest real value and its time, looking past gaps.
    pub(crate) fn last_value(&self) -> Option<(f64, f64)> {
        self.points.iter().rev().find_map(|p| p.v.map(|v| (p.t, v)))
    }

    /// Real values (not gaps) at or after `from`.
    pub(crate) fn values_since(&self, from: f64) -> impl Iterator<Item = (f64, f64)> + '_ {
        // Points are in time order: skip from the back would need a binary search on a
        // VecDeque; a partition point keeps it O(log n).
        let start = self.points.partition_point(|p| p.t < from);
        self.points.range(start..).filter_map(|p| p.v.map(|v| (p.t, v)))
    }

    /// Real values in `[from, until]`.
    pub(crate) fn values_between(&self, from: f64, until: f64) -> impl Iterator<Item = (f64, f64)> + '_ {
        let start = self.points.partition_point(|p| p.t < from);
        let end = self.points.partition_point(|p| p.t <= until);
        self.points.range(start..end.max(start)).filter_map(|p| p.v.map(|v| (p.t, v)))
    }

    #[cfg(test)]
    /// Runs of consecutive values at or after `from`, split at gaps, for drawing lines.
    pub(crate) fn segments_since(&self, from: f64) -> Vec<Vec<(f64, f64)>> {
        self.segments_between(from, f64::INFINITY)
    }

    /// Runs of consecutive values in `[from, until]`, split at gaps: a paused screen draws
    /// the live series up to the moment it froze.
    pub(crate) fn segments_between(&self, from: f64, until: f64) -> Vec<Vec<(f64, f64)>> {
        let start = self.points.partition_point(|p| p.t < from);
        let end = self.points.partition_point(|p| p.t <= until).max(start);
        let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut current = Vec::new();
        for p in self.points.range(start..end) {
            match p.v {
                Some(v) => current.push((p.t, v)),
                None if !current.is_empty() => out.push(std::mem::take(&mut current)),
                None => {}
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
        out
    }

    /// The `q` quantile (0..1, nearest rank: 0 is the least, 1 the greatest) of the real
    /// values in `[from, until]`. Exact: it sorts the readings the series already holds
    /// (at most window / interval of them), so no histogram is kept beside it.
    pub(crate) fn quantile_between(&self, from: f64, until: f64, q: f64) -> Option<f64> {
        let mut values: Vec<f64> = self.values_between(from, until).map(|(_, v)| v).collect();
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let rank = (q.clamp(0.0, 1.0) * values.len() as f64).ceil() as usize;
        Some(values[rank.saturating_sub(1).min(values.len() - 1)])
    }

    /// Bytes this series holds on the heap (its ring buffer's allocation).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.points.capacity() * std::mem::size_of::<Point>()
    }

    pub(crate) fn len(&self) -> usize {
        self.points.len()
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_not_zeros_and_collapse() {
        let mut s = Series::new(10);
        s.push(0.0, Some(1.0));
        s.push(1.0, None);
        s.push(2.0, None);
        s.push(3.0, Some(3.0));
        assert_eq!(s.len(), 3);
        let vals: Vec<_> = s.values_since(0.0).collect();
        assert_eq!(vals, vec![(0.0, 1.0), (3.0, 3.0)]);
        assert_eq!(s.segments_since(0.0), vec![vec![(0.0, 1.0)], vec![(3.0, 3.0)]]);
    }

    #[test]
    fn current_is_none_after_a_gap_but_last_value_remains() {
        let mut s = Series::new(10);
        s.push(0.0, Some(5.0));
        s.push(1.0, None);
        assert_eq!(s.current(), None);
        assert_eq!(s.last_value(), Some((0.0, 5.0)));
    }

    #[test]
    fn capacity_bounds_memory() {
        let mut s = Series::new(100);
        for i in 0..100_000 {
            s.push(i as f64, Some(i as f64));
        }
        assert_eq!(s.len(), 100);
        assert_eq!(s.values_since(0.0).next(), Some((99_900.0, 99_900.0)));
    }

    #[test]
    fn quantiles_and_bounds_over_a_window() {
        let mut s = Series::new(1000);
        for i in 0..100 {
            s.push(i as f64, Some((i + 1) as f64)); // 1..=100 at t = 0..99
        }
        s.push(100.0, None);
        assert_eq!(s.quantile_between(0.0, 1e9, 0.5), Some(50.0));
        assert_eq!(s.quantile_between(0.0, 1e9, 0.99), Some(99.0));
        assert_eq!(s.quantile_between(0.0, 1e9, 1.0), Some(100.0));
        assert_eq!(s.quantile_between(0.0, 1e9, 0.0), Some(1.0));
        // Only t = 90..=95: values 91..=96.
        assert_eq!(s.quantile_between(90.0, 95.0, 0.0), Some(91.0));
        assert_eq!(s.quantile_between(90.0, 95.0, 1.0), Some(96.0));
        assert_eq!(s.quantile_between(200.0, 300.0, 0.5), None);
        assert_eq!(s.quantile_between(50.0, 40.0, 0.5), None, "an empty range");
        // Segments up to a frozen moment leave out what came after it.
        let upto: Vec<f64> = s.segments_between(95.0, 97.5).concat().iter().map(|p| p.0).collect();
        assert_eq!(upto, vec![95.0, 96.0, 97.0]);
        assert_eq!(NO_POINTS.segments_since(0.0), Vec::<Vec<(f64, f64)>>::new());
    }

    #[test]
    fn prune_and_window() {
        let mut s = Series::new(100);
        for i in 0..10 {
            s.push(i as f64, Some(i as f64));
        }
        s.prune_before(5.0);
        assert_eq!(s.len(), 5);
        assert_eq!(s.values_since(8.0).count(), 2);
    }

    #[test]
    fn non_finite_values_are_gaps() {
        let mut s = Series::new(10);
        s.push(0.0, Some(f64::NAN));
        assert!(s.is_empty());
    }

    #[test]
    fn points_stay_in_time_order() {
        let mut s = Series::new(8);
        s.push(2.0, Some(1.0));
        s.push(1.0, Some(5.0));
        s.push(3.0, Some(2.0));
        assert_eq!(s.values_since(0.0).collect::<Vec<_>>(), vec![(2.0, 1.0), (3.0, 2.0)]);
    }
}
