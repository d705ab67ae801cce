//! Window statistics and the variant-vs-baseline change, as pure functions.

use std::collections::BTreeMap;

use crate::model::{Group, MetricKey, Series, Store};

/// One group's figures for one metric over the comparison window.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct WindowStats {
    /// Real samples in the window (gaps and repeats are not samples).
    pub(crate) samples: usize,
    pub(crate) mean: Option<f64>,
    /// The latest value; `None` when the latest poll was a gap.
    pub(crate) current: Option<f64>,
    /// For cumulative counts: the increase within the window (resets count from zero).
    pub(crate) delta: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Comparison {
    pub(crate) baseline: WindowStats,
    pub(crate) variant: WindowStats,
    /// (variant mean - baseline mean) / |baseline mean| * 100; `None` when the baseline
    /// mean is 0 or missing, or the variant mean is missing.
    pub(crate) change_pct: Option<f64>,
}

pub(crate) fn window_stats(series: &Series, from: f64, cumulative: bool) -> WindowStats {
    let (mut n, mut sum) = (0usize, 0.0);
    let mut delta = 0.0;
    let mut prev: Option<f64> = None;
    for (_, v) in series.values_since(from) {
        n += 1;
        sum += v;
        if let Some(p) = prev {
            // A drop is a reset (a restarted job counts from 0 again): count from zero.
            delta += if v >= p { v - p } else { v };
        }
        prev = Some(v);
    }
    WindowStats {
        samples: n,
        mean: (n > 0).then(|| sum / n as f64),
        current: series.current(),
        delta: (cumulative && n > 0).then_some(delta),
    }
}

pub(crate) fn change_pct(baseline: Option<f64>, variant: Option<f64>) -> Option<f64> {
    let (b, v) = (baseline?, variant?);
    if b == 0.0 || !b.is_finite() || !v.is_finite() {
        return None;
    }
    Some((v - b) / b.abs() * 100.0)
}

/// Compares every metric over the window ending at `now` (seconds on the store's axis).
pub(crate) fn compare_all(store: &Store, now: f64, window_s: f64) -> BTreeMap<MetricKey, Comparison> {
    compare_keys(store, now, window_s, MetricKey::ALL.iter().copied()).collect()
}

/// The comparison of some keys only (a source that fills one panel updates just those).
pub(crate) fn compare_keys(
    store: &Store,
    now: f64,
    window_s: f64,
    keys: impl Iterator<Item = MetricKey>,
) -> impl Iterator<Item = (MetricKey, Comparison)> {
    let from = now - window_s;
    keys.map(move |key| {
        let stats = |g: Group| window_stats(store.group(g).series(key), from, key.is_cumulative());
        let (baseline, variant) = (stats(Group::Baseline), stats(Group::Variant));
        (key, Comparison { baseline, variant, change_pct: change_pct(baseline.mean, variant.mean) })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_table() {
        let cases = [
            (Some(100.0), Some(85.0), Some(-15.0)),
            (Some(10.0), Some(15.0), Some(50.0)),
            (Some(-4.0), Some(-2.0), Some(50.0)),
            (Some(0.0), Some(5.0), None),
            (None, Some(5.0), None),
            (Some(5.0), None, None),
        ];
        for (b, v, want) in cases {
            let got = change_pct(b, v);
            match (got, want) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{b:?} {v:?}: {g}"),
                _ => assert_eq!(got, want, "{b:?} {v:?}"),
            }
        }
    }

    #[test]
    fn window_mean_skips_gaps_and_old_points() {
        let mut s = Series::new(100);
        s.push(0.0, Some(1000.0));
        s.push(10.0, Some(2.0));
        s.push(11.0, None);
        s.push(12.0, Some(4.0));
        let w = window_stats(&s, 5.0, false);
        assert_eq!(w.samples, 2);
        assert_eq!(w.mean, Some(3.0));
        assert_eq!(w.current, Some(4.0));
        assert_eq!(w.delta, None);
    }

    #[test]
    fn cumulative_delta_survives_a_reset() {
        let mut s = Series::new(100);
        for (t, v) in [(0.0, 5.0), (1.0, 6.0), (2.0, 8.0), (3.0, 1.0), (4.0, 2.0)] {
            s.push(t, Some(v));
        }
        // 5 -> 8 is +3, reset to 1 counts +1, then +1.
        assert_eq!(window_stats(&s, 0.0, true).delta, Some(5.0));
        assert_eq!(window_stats(&s, 100.0, true).delta, None);
    }
}
