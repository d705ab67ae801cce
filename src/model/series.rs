//! A bounded time series with gaps: the ring buffer behind every chart and window statistic.

use std::collections::VecDeque;

/// One observation; `v == None` is a gap (a failed poll, or "no data"), never a zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Seconds since the store's epoch.
    pub t: f64,
    pub v: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Series {
    points: VecDeque<Point>,
    capacity: usize,
}

impl Series {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(2);
        Series { points: VecDeque::with_capacity(capacity.min(1024)), capacity }
    }

    /// Appends a value or a gap. Consecutive gaps collapse into one, so a long outage
    /// costs one slot; the oldest point is dropped when the buffer is full.
    /// A point older than the last one is dropped: points stay in time order.
    pub fn push(&mut self, t: f64, v: Option<f64>) {
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
    pub fn prune_before(&mut self, t: f64) {
        while self.points.front().is_some_and(|p| p.t < t) {
            self.points.pop_front();
        }
    }

    /// The latest point's value; `None` when the latest point is a gap or there is none.
    pub fn current(&self) -> Option<f64> {
        self.points.back().and_then(|p| p.v)
    }

    /// The latest real value and its time, looking past gaps.
    pub fn last_value(&self) -> Option<(f64, f64)> {
        self.points.iter().rev().find_map(|p| p.v.map(|v| (p.t, v)))
    }

    /// Real values (not gaps) at or after `from`.
    pub fn values_since(&self, from: f64) -> impl Iterator<Item = (f64, f64)> + '_ {
        // Points are in time order: skip from the back would need a binary search on a
        // VecDeque; a partition point keeps it O(log n).
        let start = self.points.partition_point(|p| p.t < from);
        self.points.range(start..).filter_map(|p| p.v.map(|v| (p.t, v)))
    }

    /// Runs of consecutive values at or after `from`, split at gaps, for drawing lines.
    pub fn segments_since(&self, from: f64) -> Vec<Vec<(f64, f64)>> {
        let start = self.points.partition_point(|p| p.t < from);
        let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut current = Vec::new();
        for p in self.points.range(start..) {
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

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
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
