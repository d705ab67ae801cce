//! The judgement under continuous watching, simulated: identical groups and regressed
//! variants whose block series have the noise and autocorrelation of the lab's recordings
//! (tests/fixtures/blocks, see its README), judged after every block as the dashboard and
//! `check` do. The series are a stationary bootstrap (Politis and Romano, 1994) of the
//! recorded blocks: runs of recorded blocks of random length (mean `RUN`), so the recorded
//! dependence (latency markers' sliding histogram, the heap's GC cycle, a JVM's CPU drift)
//! is kept, not replaced by a model of it. Both groups were recorded at the same time on
//! the same machine, and a run takes both from the same recorded times, so what they share
//! (the host's load) stays shared, as it is for a baseline beside its variant. Shared by `benches/sequential.rs` (the full table in docs/judgement.md) and
//! `tests/sequential_sim.rs` (a short form in CI that asserts the false-alarm bound).
#![allow(dead_code)]

use std::path::PathBuf;

use flinkscope::analysis::judge::{DEFAULT_MIN_SAMPLES, DEFAULT_RESOURCE_MARGIN};
use flinkscope::analysis::sequential::{TAU_REL, msprt_margin};
use flinkscope::analysis::stats::mann_whitney;
use rand::SeedableRng;
use rand_pcg::Pcg64;

/// One metric's block series, as the lab recorded it: mean, standard deviation and lag-1
/// autocorrelation of the blocks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Noise {
    pub mean: f64,
    pub sd: f64,
    pub phi: f64,
}

impl Noise {
    pub fn of(xs: &[f64]) -> Noise {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let ss: f64 = xs.iter().map(|x| (x - mean).powi(2)).sum();
        let lag: f64 = xs.windows(2).map(|w| (w[0] - mean) * (w[1] - mean)).sum();
        Noise { mean, sd: (ss / (n - 1.0)).sqrt(), phi: if ss > 0.0 { lag / ss } else { 0.0 } }
    }
}

/// The recorded block series of one key and group: (group, key) -> values in time order.
pub fn recording(name: &str) -> Vec<(String, String, Vec<f64>)> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "blocks", name].iter().collect();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out: Vec<(String, String, Vec<f64>)> = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (group, key, value) = (f[0], f[1], f[3].parse::<f64>().expect("a number"));
        match out.iter_mut().find(|(g, k, _)| g == group && k == key) {
            Some((_, _, v)) => v.push(value),
            None => out.push((group.to_string(), key.to_string(), vec![value])),
        }
    }
    out
}

/// Mean length of a bootstrap run, in blocks: longer than the recordings' dependence
/// (latency's autocorrelation is gone by lag 13).
pub const RUN: f64 = 20.0;

/// One metric's recorded series, each as relative deviations from its own mean.
#[derive(Debug, Clone)]
pub struct Residuals {
    pub key: String,
    pub mean: f64,
    pub series: Vec<Vec<f64>>,
}

pub fn residuals_of(recording: &[(String, String, Vec<f64>)], key: &str) -> Residuals {
    let all: Vec<&Vec<f64>> = recording.iter().filter(|(_, k, _)| k == key).map(|(_, _, v)| v).collect();
    assert!(!all.is_empty(), "no {key} in the recording");
    let means: Vec<f64> = all.iter().map(|v| v.iter().sum::<f64>() / v.len() as f64).collect();
    let series = all.iter().zip(&means).map(|(v, m)| v.iter().map(|x| x / m - 1.0).collect()).collect();
    Residuals { key: key.to_string(), mean: means.iter().sum::<f64>() / means.len() as f64, series }
}

/// How the two groups' series are drawn from the recording.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pairing {
    /// At the same recorded times: what the groups share (one host's load) stays shared, as
    /// for TaskManagers side by side.
    SameTimes,
    /// Each from its own random stretches: nothing shared, as for groups on different
    /// hosts; harder, since each group's slow drift is its own.
    Independent,
}

/// `n` blocks of each group, a stationary bootstrap of the recording: the baseline around
/// the mean, the variant around `mean * factor`. Which recorded group plays the baseline is
/// drawn per run.
pub fn bootstrap_pair(rng: &mut Pcg64, r: &Residuals, factor: f64, n: usize, pairing: Pairing) -> (Vec<f64>, Vec<f64>) {
    use rand::RngExt;
    assert!(r.series.len() >= 2, "the recording needs both groups");
    let len = r.series.iter().map(Vec::len).min().unwrap_or(0);
    let (first, second) = if rng.random::<bool>() { (0, 1) } else { (1, 0) };
    let (mut b, mut v) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut i, mut j) = (0usize, 0usize);
    for k in 0..n {
        if k == 0 || rng.random::<f64>() < 1.0 / RUN {
            i = rng.random_range(0..len);
        } else {
            i = (i + 1) % len;
        }
        j = match pairing {
            Pairing::SameTimes => i,
            Pairing::Independent if k == 0 || rng.random::<f64>() < 1.0 / RUN => rng.random_range(0..len),
            Pairing::Independent => (j + 1) % len,
        };
        b.push(r.mean * (1.0 + r.series[first][i]));
        v.push(r.mean * factor * (1.0 + r.series[second][j]));
    }
    (b, v)
}

/// How a run is judged at each block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// flinkscope's: the mSPRT over every block so far, from `min_samples` blocks on, with
    /// `resource_margin` (a share of the mean) as the smallest CPU or heap difference that
    /// counts.
    Sequential { min_samples: usize, resource_margin: f64 },
    /// The usual canary judge: Mann-Whitney over the window's last `window` blocks,
    /// p < alpha, from `min_samples` blocks on.
    WindowedMannWhitney { window: usize, min_samples: usize },
}

impl Method {
    pub fn label(self) -> String {
        match self {
            Method::Sequential { min_samples, resource_margin } => format!(
                "sequential (mSPRT), min-samples {min_samples}, resource margin {:.0}%",
                resource_margin * 100.0
            ),
            Method::WindowedMannWhitney { window, min_samples } => {
                format!("Mann-Whitney on the last {window} blocks, min-samples {min_samples}")
            }
        }
    }

    /// flinkscope's own: the mSPRT as `judge` runs it, min-samples and margin as shipped.
    pub fn shipped() -> Method {
        Method::Sequential { min_samples: DEFAULT_MIN_SAMPLES, resource_margin: DEFAULT_RESOURCE_MARGIN }
    }

    /// Is the difference of `key` significant with these blocks so far?
    pub fn significant(self, key: &str, baseline: &[f64], variant: &[f64], alpha: f64) -> bool {
        match self {
            Method::Sequential { min_samples, resource_margin } => {
                let margin = if is_resource(key) { resource_margin } else { 0.0 };
                baseline.len() >= min_samples
                    && msprt_margin(baseline, variant, TAU_REL, lab_overlap(key), margin).is_some_and(|s| s.p < alpha)
            }
            Method::WindowedMannWhitney { window, min_samples } => {
                let from = baseline.len().saturating_sub(window);
                let (b, v) = (&baseline[from..], &variant[from..]);
                b.len() >= min_samples && mann_whitney(b, v).is_some_and(|m| m.p < alpha)
            }
        }
    }
}

/// Of `runs` runs of `blocks` blocks each, judged after every block: how many were ever
/// significant, and after how many blocks each first was.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub runs: usize,
    pub detected: usize,
    /// Blocks until the first significant evaluation, per detected run.
    pub first: Vec<usize>,
}

impl Outcome {
    pub fn rate(&self) -> f64 {
        self.detected as f64 / self.runs as f64
    }

    pub fn median_first(&self) -> Option<usize> {
        let mut f = self.first.clone();
        f.sort_unstable();
        (!f.is_empty()).then(|| f[f.len() / 2])
    }
}

/// The lab's blocks per latency-marker history: 128 markers a second apart over 10 s blocks
/// (flinkscope reads both from the JobManager's config); counters overlap nothing.
pub fn lab_overlap(key: &str) -> f64 {
    if key.starts_with("latency") { 12.8 } else { 1.0 }
}

/// The JVM's resources, where flinkscope's resource margin applies (as in `judge`).
pub fn is_resource(key: &str) -> bool {
    matches!(key, "cpu_cores" | "heap_used_bytes" | "direct_used_bytes" | "gc_ms_per_s")
}

/// Simulates `runs` canaries of `blocks` blocks of `key` with the variant's mean at
/// `factor` times the baseline's; seeded, so the same call gives the same answer.
pub fn simulate(r: &Residuals, factor: f64, method: Method, runs: usize, blocks: usize, seed: u64) -> Outcome {
    simulate_paired(r, factor, method, Pairing::SameTimes, runs, blocks, seed)
}

pub fn simulate_paired(
    r: &Residuals,
    factor: f64,
    method: Method,
    pairing: Pairing,
    runs: usize,
    blocks: usize,
    seed: u64,
) -> Outcome {
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut out = Outcome { runs, detected: 0, first: Vec::new() };
    for _ in 0..runs {
        let (b, v) = bootstrap_pair(&mut rng, r, factor, blocks, pairing);
        if let Some(at) = (2..=blocks).find(|&n| method.significant(&r.key, &b[..n], &v[..n], 0.05)) {
            out.detected += 1;
            out.first.push(at);
        }
    }
    out
}

/// Of `runs` identical runs, how many ever had the variant significantly worse by more than
/// `threshold_pct` (the soft rule's threshold) in `hold` consecutive evaluations: a false
/// soft alert. `worse_is_lower`: throughput (lower is worse) or the others (higher is).
#[allow(clippy::too_many_arguments)]
pub fn false_soft_alerts(
    r: &Residuals,
    method: Method,
    pairing: Pairing,
    threshold_pct: f64,
    worse_is_lower: bool,
    hold: usize,
    runs: usize,
    blocks: usize,
    seed: u64,
) -> usize {
    let mut rng = Pcg64::seed_from_u64(seed);
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    (0..runs)
        .filter(|_| {
            let (b, v) = bootstrap_pair(&mut rng, r, 1.0, blocks, pairing);
            let mut streak = 0;
            (2..=blocks).any(|n| {
                let change = (mean(&v[..n]) - mean(&b[..n])) / mean(&b[..n]).abs() * 100.0;
                let worse = if worse_is_lower { -change } else { change };
                let breach = worse > threshold_pct && method.significant(&r.key, &b[..n], &v[..n], 0.05);
                streak = if breach { streak + 1 } else { 0 };
                streak >= hold
            })
        })
        .count()
}
