//! Unicode sparklines for the Markdown page: both groups over the run on one scale, so the
//! two lines can be compared by eye. A bucket without data is a space.

use crate::model::{Group, MetricKey, Store};

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Baseline's and variant's lines of `width` buckets over what the store holds up to `now`.
pub(crate) fn both(store: &Store, key: MetricKey, now: f64, width: usize) -> [String; 2] {
    let points: [Vec<(f64, f64)>; 2] =
        Group::BOTH.map(|g| store.group(g).series(key).values_between(f64::NEG_INFINITY, now).collect());
    let start = points.iter().filter_map(|p| p.first().map(|x| x.0)).fold(f64::INFINITY, f64::min);
    if !start.is_finite() {
        return [String::new(), String::new()];
    }
    let buckets = points.map(|p| bucket_means(&p, start, now, width));
    let all = buckets.iter().flatten().flatten();
    let lo = all.clone().fold(f64::INFINITY, |a, b| a.min(*b));
    let hi = all.fold(f64::NEG_INFINITY, |a, b| a.max(*b));
    buckets.map(|b| line(&b, lo, hi))
}

/// The mean of each of `width` equal buckets of `[start, end]`.
pub(crate) fn bucket_means(points: &[(f64, f64)], start: f64, end: f64, width: usize) -> Vec<Option<f64>> {
    let mut sum = vec![0.0; width];
    let mut n = vec![0usize; width];
    let span = (end - start).max(f64::MIN_POSITIVE);
    for &(t, v) in points {
        // The last bucket is closed: a point at `end` belongs to it.
        let i = (((t - start) / span) * width as f64).floor().clamp(0.0, (width - 1) as f64) as usize;
        sum[i] += v;
        n[i] += 1;
    }
    sum.iter().zip(&n).map(|(s, &n)| (n > 0).then(|| s / n as f64)).collect()
}

/// One line on the scale `[lo, hi]`; a flat scale draws the middle bar.
pub(crate) fn line(buckets: &[Option<f64>], lo: f64, hi: f64) -> String {
    buckets
        .iter()
        .map(|b| match b {
            None => ' ',
            Some(_) if hi - lo <= f64::EPSILON * hi.abs().max(1.0) => BARS[3],
            Some(v) => {
                let i = ((v - lo) / (hi - lo) * 7.0).round().clamp(0.0, 7.0) as usize;
                BARS[i]
            }
        })
        .collect::<String>()
        .trim_end()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_spans_the_bars_and_leaves_gaps_blank() {
        let b = [Some(0.0), None, Some(5.0), Some(10.0)];
        assert_eq!(line(&b, 0.0, 10.0), "▁ ▅█");
        assert_eq!(line(&[Some(3.0), Some(3.0)], 3.0, 3.0), "▄▄");
        assert_eq!(line(&[None, None], 0.0, 1.0), "");
    }

    #[test]
    fn buckets_average_their_points_and_the_end_belongs_to_the_last() {
        let pts = [(0.0, 1.0), (0.5, 3.0), (1.0, 10.0), (2.0, 20.0)];
        let b = bucket_means(&pts, 0.0, 2.0, 2);
        assert_eq!(b, vec![Some(2.0), Some(15.0)]);
    }
}
