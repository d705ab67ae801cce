//! Statistics over samples, as pure functions: descriptive summaries, Welch's t-test,
//! Mann-Whitney U (normal approximation with tie and continuity corrections, as scipy's
//! `method="asymptotic"`), the Hodges-Lehmann shift with its confidence interval, and
//! Cohen's d. `scripts/stats_reference.py` computes the same with scipy and brute force;
//! `tests/stats_reference.rs` checks agreement to 1e-6.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub median: f64,
    pub p95: f64,
    /// Sample standard deviation (n - 1); 0 for one sample.
    pub sd: f64,
}

/// Summary of the finite values in `xs`; `None` without any.
pub fn summary(xs: &[f64]) -> Option<Summary> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let mean = v.iter().sum::<f64>() / n as f64;
    let var = if n > 1 { v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64 } else { 0.0 };
    Some(Summary { n, mean, median: quantile_sorted(&v, 0.5), p95: quantile_sorted(&v, 0.95), sd: var.sqrt() })
}

/// Linear interpolation between closest ranks (numpy's default).
pub(crate) fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Welch {
    pub t: f64,
    pub(crate) df: f64,
    /// Two-sided.
    pub p: f64,
}

/// Welch's unequal-variance t-test of `variant` against `baseline`. Needs two samples per
/// side. Both sides constant: p = 1 when the means are equal, 0 when they differ.
pub fn welch(baseline: &[f64], variant: &[f64]) -> Option<Welch> {
    let (b, v) = (summary(baseline)?, summary(variant)?);
    welch_of((b.n, b.mean, b.sd), (v.n, v.mean, v.sd))
}

/// Welch's test from each group's (n, mean, sd): pooled runs keep only those.
pub(crate) fn welch_of(b: (usize, f64, f64), v: (usize, f64, f64)) -> Option<Welch> {
    let (nb, mb, sb) = b;
    let (nv, mv, sv) = v;
    if nb < 2 || nv < 2 {
        return None;
    }
    let (vb, vv) = (sb.powi(2) / nb as f64, sv.powi(2) / nv as f64);
    let se2 = vb + vv;
    let diff = mv - mb;
    if se2 == 0.0 {
        let p = if diff == 0.0 { 1.0 } else { 0.0 };
        return Some(Welch { t: if diff == 0.0 { 0.0 } else { diff.signum() * f64::INFINITY }, df: f64::NAN, p });
    }
    let t = diff / se2.sqrt();
    let df = se2.powi(2) / (vb.powi(2) / (nb - 1) as f64 + vv.powi(2) / (nv - 1) as f64);
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    let p = (2.0 * dist.cdf(-t.abs())).min(1.0);
    Some(Welch { t, df, p })
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U of the variant sample (scipy's first statistic with `x = variant`).
    pub u: f64,
    /// Two-sided, normal approximation with tie correction and continuity correction.
    pub p: f64,
}

pub fn mann_whitney(baseline: &[f64], variant: &[f64]) -> Option<MannWhitney> {
    let b: Vec<f64> = baseline.iter().copied().filter(|x| x.is_finite()).collect();
    let v: Vec<f64> = variant.iter().copied().filter(|x| x.is_finite()).collect();
    let (n1, n2) = (v.len() as f64, b.len() as f64);
    if v.is_empty() || b.is_empty() {
        return None;
    }
    // Ranks over the pooled sample, ties get their average rank.
    let mut pooled: Vec<(f64, bool)> = v.iter().map(|x| (*x, true)).chain(b.iter().map(|x| (*x, false))).collect();
    pooled.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = pooled.len();
    let (mut rank_sum_v, mut tie_term) = (0.0, 0.0);
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && pooled[j + 1].0 == pooled[i].0 {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        tie_term += t.powi(3) - t;
        rank_sum_v += pooled[i..=j].iter().filter(|(_, is_v)| *is_v).count() as f64 * avg_rank;
        i = j + 1;
    }
    let u1 = rank_sum_v - n1 * (n1 + 1.0) / 2.0;
    let u2 = n1 * n2 - u1;
    let big_n = n as f64;
    let mu = n1 * n2 / 2.0;
    let s = (n1 * n2 / 12.0 * ((big_n + 1.0) - tie_term / (big_n * (big_n - 1.0)))).sqrt();
    let p = if s > 0.0 && s.is_finite() {
        let z = (u1.max(u2) - mu - 0.5) / s;
        (2.0 * std_normal().cdf(-z)).clamp(0.0, 1.0)
    } else {
        1.0 // every value tied: no evidence of a shift
    };
    Some(MannWhitney { u: u1, p })
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HodgesLehmann {
    /// Median of all pairwise differences variant - baseline.
    pub shift: f64,
    /// Distribution-free confidence interval at 1 - alpha (normal approximation for the
    /// rank), `None` when the samples are too small for that confidence.
    pub ci: Option<(f64, f64)>,
}

/// The Hodges-Lehmann shift estimate and its confidence interval: with N = n1·n2 sorted
/// pairwise differences and k = floor(N/2 - z(1-alpha/2)·sqrt(n1·n2·(n1+n2+1)/12)),
/// the interval is the k-th smallest to the k-th largest difference.
pub fn hodges_lehmann(baseline: &[f64], variant: &[f64], alpha: f64) -> Option<HodgesLehmann> {
    let b: Vec<f64> = baseline.iter().copied().filter(|x| x.is_finite()).collect();
    let v: Vec<f64> = variant.iter().copied().filter(|x| x.is_finite()).collect();
    if b.is_empty() || v.is_empty() {
        return None;
    }
    let mut d: Vec<f64> = Vec::with_capacity(b.len() * v.len());
    for x in &v {
        for y in &b {
            d.push(x - y);
        }
    }
    // Three order statistics, each found in linear time (a full sort of the n1·n2
    // differences was most of a replay's time): the same values a sort gives.
    let big_n = d.len();
    let mut nth = |i: usize| *d.select_nth_unstable_by(i, f64::total_cmp).1;
    let upper = nth(big_n / 2);
    let shift = if big_n % 2 == 1 { upper } else { (nth(big_n / 2 - 1) + upper) / 2.0 };
    let (n1, n2) = (v.len() as f64, b.len() as f64);
    let z = std_normal().inverse_cdf(1.0 - alpha / 2.0);
    let k = (big_n as f64 / 2.0 - z * (n1 * n2 * (n1 + n2 + 1.0) / 12.0).sqrt()).floor();
    let ci = (k >= 1.0).then(|| {
        let k = k as usize;
        (nth(k - 1), nth(big_n - k))
    });
    Some(HodgesLehmann { shift, ci })
}

/// Cohen's d with the mean of the two variances; `None` when both are constant.
pub fn cohens_d(baseline: &[f64], variant: &[f64]) -> Option<f64> {
    let (b, v) = (summary(baseline)?, summary(variant)?);
    if b.n < 2 || v.n < 2 {
        return None;
    }
    let pooled = ((b.sd.powi(2) + v.sd.powi(2)) / 2.0).sqrt();
    (pooled > 0.0).then(|| (v.mean - b.mean) / pooled)
}

fn std_normal() -> Normal {
    Normal::standard()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_table() {
        let s = summary(&[3.0, 1.0, 2.0, 4.0, f64::NAN]).unwrap();
        assert_eq!((s.n, s.mean, s.median), (4, 2.5, 2.5));
        assert!((s.p95 - 3.85).abs() < 1e-12);
        assert!((s.sd - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(summary(&[]), None);
        assert_eq!(summary(&[f64::NAN]), None);
        assert_eq!(summary(&[7.0]).unwrap().sd, 0.0);
    }

    #[test]
    fn identical_series_show_no_difference() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(welch(&a, &a).unwrap().p, 1.0);
        assert!((mann_whitney(&a, &a).unwrap().p - 1.0).abs() < 1e-12);
        assert_eq!(hodges_lehmann(&a, &a, 0.05).unwrap().shift, 0.0);
        assert_eq!(cohens_d(&a, &a), Some(0.0));
    }

    #[test]
    fn constant_series() {
        let a = [2.0; 10];
        let b = [3.0; 10];
        assert_eq!(welch(&a, &a).unwrap().p, 1.0);
        assert_eq!(welch(&a, &b).unwrap().p, 0.0);
        assert_eq!(mann_whitney(&a, &a).unwrap().p, 1.0);
        assert!(mann_whitney(&a, &b).unwrap().p < 1e-3);
        assert_eq!(hodges_lehmann(&a, &b, 0.05).unwrap().shift, 1.0);
        assert_eq!(cohens_d(&a, &b), None);
    }

    #[test]
    fn a_clear_shift_is_significant_and_the_interval_holds_it() {
        let b: Vec<f64> = (0..40).map(|i| 100.0 + (i % 7) as f64).collect();
        let v: Vec<f64> = (0..40).map(|i| 110.0 + (i % 5) as f64).collect();
        assert!(welch(&b, &v).unwrap().p < 1e-6);
        assert!(mann_whitney(&b, &v).unwrap().p < 1e-6);
        let hl = hodges_lehmann(&b, &v, 0.05).unwrap();
        let (lo, hi) = hl.ci.unwrap();
        assert!(lo <= hl.shift && hl.shift <= hi && lo > 0.0, "{hl:?}");
        assert!(cohens_d(&b, &v).unwrap() > 2.0);
    }

    #[test]
    fn too_few_samples() {
        assert_eq!(welch(&[1.0], &[2.0, 3.0]), None);
        assert_eq!(hodges_lehmann(&[1.0, 2.0], &[3.0], 0.05).unwrap().ci, None);
        assert_eq!(mann_whitney(&[], &[1.0]), None);
    }
}
