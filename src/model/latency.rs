//! HDR histograms of latency samples over time, for window quantiles that do not depend on
//! how many samples a series holds.

use std::collections::VecDeque;

use hdrhistogram::Histogram;

/// Width of one histogram bucket in seconds; the window is a union of buckets.
const BUCKET_S: f64 = 10.0;

/// Latency in milliseconds, recorded with microsecond resolution up to one hour.
#[derive(Debug, Clone)]
pub struct WindowedHistogram {
    buckets: VecDeque<(f64, Histogram<u64>)>,
    max_buckets: usize,
}

impl WindowedHistogram {
    pub fn new(retention_s: f64) -> Self {
        WindowedHistogram { buckets: VecDeque::new(), max_buckets: (retention_s / BUCKET_S).ceil() as usize + 1 }
    }

    pub fn record(&mut self, t: f64, ms: f64) {
        if !ms.is_finite() || ms < 0.0 {
            return;
        }
        let start = (t / BUCKET_S).floor() * BUCKET_S;
        if self.buckets.back().is_none_or(|(s, _)| *s < start) {
            if self.buckets.len() == self.max_buckets {
                self.buckets.pop_front();
            }
            // 1 µs .. 1 h with 3 significant digits: ~25 KiB per bucket.
            let h = Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("static bounds are valid");
            self.buckets.push_back((start, h));
        }
        let us = ((ms * 1000.0).round() as u64).clamp(1, 3_600_000_000);
        if let Some((_, h)) = self.buckets.back_mut() {
            h.saturating_record(us);
        }
    }

    /// The `q` quantile (0..1) in ms of everything recorded at or after `from` (bucket
    /// resolution), or `None` without samples.
    pub fn quantile_since(&self, from: f64, q: f64) -> Option<f64> {
        let mut merged: Option<Histogram<u64>> = None;
        for (start, h) in &self.buckets {
            if start + BUCKET_S <= from {
                continue;
            }
            match merged.as_mut() {
                None => merged = Some(h.clone()),
                Some(m) => {
                    let _ = m.add(h);
                }
            }
        }
        let m = merged?;
        if m.is_empty() {
            return None;
        }
        Some(m.value_at_quantile(q) as f64 / 1000.0)
    }

    pub fn prune_before(&mut self, t: f64) {
        while self.buckets.front().is_some_and(|(s, _)| s + BUCKET_S < t) {
            self.buckets.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_over_window() {
        let mut h = WindowedHistogram::new(3600.0);
        for i in 0..100 {
            h.record(i as f64, (i + 1) as f64); // 1..=100 ms
        }
        let p50 = h.quantile_since(0.0, 0.5).unwrap();
        assert!((p50 - 50.0).abs() < 0.1, "{p50}");
        let p99 = h.quantile_since(0.0, 0.99).unwrap();
        assert!((p99 - 99.0).abs() < 0.1, "{p99}");
        // Only the last bucket (90..100 s): values 91..=100.
        let recent = h.quantile_since(95.0, 0.0).unwrap();
        assert!((recent - 91.0).abs() < 0.1, "{recent}");
        assert_eq!(WindowedHistogram::new(60.0).quantile_since(0.0, 0.5), None);
    }

    #[test]
    fn bounded_by_retention() {
        let mut h = WindowedHistogram::new(60.0);
        for i in 0..10_000 {
            h.record(i as f64, 5.0);
        }
        assert!(h.buckets.len() <= 7);
    }
}
