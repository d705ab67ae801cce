//! An always-valid test for a dashboard that is looked at all the time: the mixture
//! sequential probability ratio test (mSPRT; Robbins 1970, in the form of Johari, Pekelis
//! and Walsh, "Always valid inference", 2017) on the difference of the two groups' block
//! means.
//!
//! With the block means' difference estimated as `d ~ N(delta, V)` and a normal mixture
//! `delta ~ N(0, tau^2)` over the alternatives, the likelihood ratio of "some difference"
//! against "no difference" is
//!
//! ```text
//! L = sqrt(V / (V + tau^2)) * exp(d^2 tau^2 / (2 V (V + tau^2)))
//! ```
//!
//! Under no difference `L` is a non-negative martingale with mean 1, so by Ville's
//! inequality the chance that it *ever* reaches `1/alpha`, however often it is evaluated
//! and for however long, is at most `alpha`. The always-valid p-value is `min(1, 1/L)`.
//!
//! Two departures from the textbook case, both measured by `benches/sequential.rs`:
//! - block means of a Flink job are autocorrelated (Flink's latency markers are the p99 of
//!   a sliding histogram of the last 128 markers, so 10 s blocks share most of their data;
//!   heap follows the GC cycle), so each group counts `n / f` effective samples with
//!   `f` the larger of `(1 + r) / (1 - r)` from its lag-1 autocorrelation `r`
//!   (bias-corrected for short series, never below 0) and the largest partial sum of
//!   autocorrelations (a slow drift), and at least the known overlap of a sliding gauge;
//! - `V` uses the sample variances, uncertain when there are few effective samples: the
//!   difference is turned into Welch's t with Satterthwaite's degrees of freedom over the
//!   effective samples, and that t into the normal z of the same tail probability before it
//!   enters the mixture, so little evidence counts as little.
//!
//! `tau` is the scale of a difference worth detecting fast: `TAU_REL` of the larger mean.

/// The mixture's scale, as a share of the larger group mean: differences of about this
/// size are detected fastest (the soft rules start at 15%).
pub const TAU_REL: f64 = 0.15;

/// Lag-1 autocorrelations above this are treated as this (a near-random-walk series would
/// otherwise get an unbounded inflation from a noisy estimate).
const MAX_AUTOCORRELATION: f64 = 0.98;

/// The fewest effective samples an estimated inflation may leave a group of `n` blocks:
/// as many as the batch-means method's smallest usual count of batches. From a few dozen
/// blocks, a larger estimate is a transient, not lasting dependence: one dip of the lab's
/// slowed consumer (3 of 30 blocks 10% low) gave a lag-1 autocorrelation of 0.69, left
/// the variant 3 effective samples, and a -55% throughput change p = 0.01 (on CI, PASS).
/// The known overlap of a sliding gauge still applies in full.
const MIN_EFFECTIVE_SAMPLES: f64 = 5.0;

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sequential {
    /// Always-valid p-value: `min(1, 1 / L)`.
    pub p: f64,
    /// Variance inflation applied per group for autocorrelation: [baseline, variant].
    pub(crate) inflation: [f64; 2],
}

/// The mSPRT over every block so far. Needs two finite samples per group.
pub fn msprt(baseline: &[f64], variant: &[f64], tau_rel: f64) -> Option<Sequential> {
    msprt_with(baseline, variant, tau_rel, 1.0)
}

/// The mSPRT where each block is known to share its data with the next `overlap - 1`
/// (a gauge that Flink computes over a sliding window longer than a block: latency
/// markers are the quantiles of the last `metrics.latency.history-size` markers): at most
/// one sample per `overlap` blocks counts, whatever the estimate says.
pub fn msprt_with(baseline: &[f64], variant: &[f64], tau_rel: f64, overlap: f64) -> Option<Sequential> {
    msprt_margin(baseline, variant, tau_rel, overlap, 0.0)
}

/// The mSPRT of "the difference is more than `margin_rel` of the larger mean" against
/// "it is at most that".
pub fn msprt_margin(
    baseline: &[f64],
    variant: &[f64],
    tau_rel: f64,
    overlap: f64,
    margin_rel: f64,
) -> Option<Sequential> {
    let (b, v) = (Moments::of(baseline)?, Moments::of(variant)?);
    let floor = overlap.max(1.0);
    let inflation = [b.capped_inflation(floor), v.capped_inflation(floor)];
    // Effective samples per group, and the variance of each mean.
    let (eb, ev) = (b.n / inflation[0], v.n / inflation[1]);
    let (vb, vv) = (b.var / eb, v.var / ev);
    let var = vb + vv;
    let raw = v.mean - b.mean;
    let margin = margin_rel * b.mean.abs().max(v.mean.abs());
    let d = raw.signum() * (raw.abs() - margin).max(0.0);
    if var <= 0.0 || !var.is_finite() {
        // Both constant: any difference is certain, none is no evidence.
        return Some(Sequential { p: if d == 0.0 { 1.0 } else { 0.0 }, inflation });
    }
    // Welch's t with Satterthwaite's degrees of freedom over the effective samples, as the
    // normal z of the same tail probability.
    let dof = var * var / (vb * vb / (eb - 1.0).max(1e-9) + vv * vv / (ev - 1.0).max(1e-9));
    let t = d / var.sqrt();
    let z = match StudentsT::new(0.0, 1.0, dof.clamp(0.1, 1e7)) {
        Ok(dist) => {
            let tail = dist.sf(t.abs());
            if tail > 0.0 { Normal::standard().inverse_cdf(1.0 - tail) } else { t.abs() }
        }
        Err(_) => 0.0,
    };
    let tau = tau_rel * b.mean.abs().max(v.mean.abs());
    let tau2 = if tau > 0.0 { tau * tau } else { var };
    let log_l = 0.5 * (var / (var + tau2)).ln() + z * z * tau2 / (2.0 * (var + tau2));
    Some(Sequential { p: (-log_l).exp().min(1.0), inflation })
}

struct Moments {
    n: f64,
    mean: f64,
    /// Sample variance (n - 1).
    var: f64,
    /// Lag-1 autocorrelation, in time order (bias-corrected).
    r1: f64,
    /// The integrated autocorrelation time by Geyer's initial positive sequence: catches
    /// dependence beyond lag 1 that an AR(1) view misses (CPU's slow tail).
    tau_ips: f64,
}

impl Moments {
    fn of(xs: &[f64]) -> Option<Moments> {
        let finite: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
        if finite.len() < 2 {
            return None;
        }
        let n = finite.len() as f64;
        let mean = finite.iter().sum::<f64>() / n;
        let ss: f64 = finite.iter().map(|x| (x - mean).powi(2)).sum();
        let lag: f64 = finite.windows(2).map(|w| (w[0] - mean) * (w[1] - mean)).sum();
        let r = if ss > 0.0 { lag / ss } else { 0.0 };
        // The estimate is biased low on short series by about (1 + 4r) / n (Marriott and
        // Pope, 1954): corrected, so that few samples do not pass for independent ones.
        let r1 = r + (1.0 + 4.0 * r.max(0.0)) / n;
        Some(Moments { n, mean, var: ss / (n - 1.0), r1, tau_ips: initial_positive_sequence(&finite, mean, ss) })
    }

    fn inflation(&self) -> f64 {
        let r = self.r1.clamp(0.0, MAX_AUTOCORRELATION);
        ((1.0 + r) / (1.0 - r)).max(self.tau_ips).min(self.n)
    }

    /// The estimate, at most `n / MIN_EFFECTIVE_SAMPLES`, at least the known `floor`.
    fn capped_inflation(&self, floor: f64) -> f64 {
        self.inflation().min((self.n / MIN_EFFECTIVE_SAMPLES).max(1.0)).max(floor).min(self.n)
    }
}

/// `1 + 2 * sum of autocorrelations`, the largest partial sum up to a quarter of the
/// series (at most 64 lags): a slow drift (a JVM's CPU) keeps adding small positive correlations that a sum
/// cut at the first non-positive lag pair (Geyer's initial positive sequence) misses.
/// Conservative on purpose: noise in the long lags only ever raises it.
fn initial_positive_sequence(xs: &[f64], mean: f64, ss: f64) -> f64 {
    if ss <= 0.0 {
        return 1.0;
    }
    let rho = |k: usize| xs.windows(k + 1).map(|w| (w[0] - mean) * (w[k] - mean)).sum::<f64>() / ss;
    let (mut sum, mut best) = (0.0_f64, 0.0_f64);
    // At most 64 lags (10 minutes of 10 s blocks): it runs on every evaluation.
    for k in 1..=(xs.len() / 4).min(64) {
        sum += rho(k);
        best = best.max(sum);
    }
    1.0 + 2.0 * best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_and_constant_series() {
        let a: Vec<f64> = (0..40).map(|i| 100.0 + (i % 7) as f64).collect();
        assert!(msprt(&a, &a, TAU_REL).unwrap().p >= 0.99);
        assert_eq!(msprt(&[5.0; 10], &[5.0; 10], TAU_REL).unwrap().p, 1.0);
        assert_eq!(msprt(&[5.0; 10], &[6.0; 10], TAU_REL).unwrap().p, 0.0);
        assert_eq!(msprt(&[1.0], &[1.0, 2.0], TAU_REL), None);
        assert_eq!(msprt(&[f64::NAN; 5], &[1.0, 2.0], TAU_REL), None);
    }

    #[test]
    fn a_clear_shift_is_found_and_a_small_one_needs_more_samples() {
        // Noise of ±3% around 100 (a repeating pattern, no autocorrelation to speak of).
        let noise = |i: usize| [0.0, 3.0, -3.0, 1.5, -1.5, 2.0, -2.0, 0.5][i % 8];
        let base = |n: usize| (0..n).map(|i| 100.0 + noise(i)).collect::<Vec<_>>();
        let shifted = |n: usize, by: f64| (0..n).map(|i| 100.0 + by + noise(i + 3)).collect::<Vec<_>>();
        assert!(msprt(&base(30), &shifted(30, -15.0), TAU_REL).unwrap().p < 1e-6);
        let small_few = msprt(&base(10), &shifted(10, -1.0), TAU_REL).unwrap().p;
        let small_many = msprt(&base(400), &shifted(400, -1.0), TAU_REL).unwrap().p;
        assert!(small_few > 0.05, "1% on 10 samples is not decided: {small_few}");
        assert!(small_many < 0.05, "1% on 400 samples is: {small_many}");
    }

    #[test]
    fn autocorrelation_widens_the_evidence_needed() {
        // A slow drift (strong lag-1 autocorrelation) is weaker evidence than the same
        // values shuffled.
        let drift: Vec<f64> = (0..60).map(|i| 100.0 + ((i as f64) / 6.0).sin() * 4.0).collect();
        let mut shuffled = drift.clone();
        // A fixed permutation that breaks the order.
        for i in 0..shuffled.len() {
            let j = (i * 37 + 11) % shuffled.len();
            shuffled.swap(i, j);
        }
        let shift: Vec<f64> = drift.iter().map(|x| x - 2.0).collect();
        let mut shift_shuffled: Vec<f64> = shuffled.iter().map(|x| x - 2.0).collect();
        shift_shuffled.rotate_left(7);
        let slow = msprt(&drift, &shift, TAU_REL).unwrap();
        let fast = msprt(&shuffled, &shift_shuffled, TAU_REL).unwrap();
        assert!(slow.inflation[0] > 2.0, "{slow:?}");
        assert!(fast.inflation[0] < slow.inflation[0], "{fast:?}");
        assert!(slow.p > fast.p, "{slow:?} vs {fast:?}");
    }
}
