//! The judgement under continuous watching, simulated: identical groups and regressed
//! variants whose block series have the noise and autocorrelation of the lab's recordings
//! (tests/fixtures/blocks, see its README), judged after every block as the dashboard and
//! `check` do. Shared by `benches/sequential.rs` (the full table in the README) and
//! `tests/sequential_sim.rs` (a short form in CI that asserts the false-alarm bound).
#![allow(dead_code)]

use std::path::PathBuf;

use flinkscope::analysis::sequential::{TAU_REL, msprt};
use flinkscope::analysis::stats::mann_whitney;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
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

/// The noise of `key`: the mean over the recording's groups of their sd (relative to the
/// mean) and autocorrelation.
pub fn noise_of(recording: &[(String, String, Vec<f64>)], key: &str) -> Noise {
    let all: Vec<Noise> = recording.iter().filter(|(_, k, _)| k == key).map(|(_, _, v)| Noise::of(v)).collect();
    assert!(!all.is_empty(), "no {key} in the recording");
    let n = all.len() as f64;
    let mean = all.iter().map(|x| x.mean).sum::<f64>() / n;
    let cv = all.iter().map(|x| x.sd / x.mean.abs().max(f64::MIN_POSITIVE)).sum::<f64>() / n;
    let phi = all.iter().map(|x| x.phi).sum::<f64>() / n;
    Noise { mean, sd: cv * mean.abs(), phi: phi.clamp(0.0, 0.95) }
}

/// An AR(1) series with that noise (started in its stationary state), its mean times
/// `factor`.
pub fn series(rng: &mut Pcg64, noise: Noise, factor: f64, n: usize) -> Vec<f64> {
    let innovation = noise.sd * (1.0 - noise.phi * noise.phi).sqrt();
    let mut e = noise.sd * Distribution::<f64>::sample(&StandardNormal, rng);
    (0..n)
        .map(|_| {
            let x = noise.mean * factor + e;
            e = noise.phi * e + innovation * Distribution::<f64>::sample(&StandardNormal, rng);
            x
        })
        .collect()
}

/// How a run is judged at each block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// flinkscope's: the mSPRT over every block so far, from `min_samples` blocks on.
    Sequential { min_samples: usize },
    /// The usual canary judge: Mann-Whitney over the window's last `window` blocks,
    /// p < alpha, from `min_samples` blocks on.
    WindowedMannWhitney { window: usize, min_samples: usize },
}

impl Method {
    pub fn label(self) -> String {
        match self {
            Method::Sequential { min_samples } => format!("sequential (mSPRT), min-samples {min_samples}"),
            Method::WindowedMannWhitney { window, min_samples } => {
                format!("Mann-Whitney on the last {window} blocks, min-samples {min_samples}")
            }
        }
    }

    /// Is the difference significant with these blocks so far?
    pub fn significant(self, baseline: &[f64], variant: &[f64], alpha: f64) -> bool {
        match self {
            Method::Sequential { min_samples } => {
                baseline.len() >= min_samples && msprt(baseline, variant, TAU_REL).is_some_and(|s| s.p < alpha)
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

/// Simulates `runs` canaries of `blocks` blocks with the variant's mean at `factor` times
/// the baseline's; seeded, so the same call gives the same answer.
pub fn simulate(noise: Noise, factor: f64, method: Method, runs: usize, blocks: usize, seed: u64) -> Outcome {
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut out = Outcome { runs, detected: 0, first: Vec::new() };
    for _ in 0..runs {
        let b = series(&mut rng, noise, 1.0, blocks);
        let v = series(&mut rng, noise, factor, blocks);
        if let Some(at) = (2..=blocks).find(|&n| method.significant(&b[..n], &v[..n], 0.05)) {
            out.detected += 1;
            out.first.push(at);
        }
    }
    out
}
