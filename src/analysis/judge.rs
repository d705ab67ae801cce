//! Per-metric judgement of the variant against the baseline on block samples (see
//! `model::blocks`).
//!
//! The default test is sequential (`sequential`): it judges every block since the
//! comparison began and stays valid however often it is evaluated. The fixed-horizon
//! tests (Mann-Whitney, Welch) judge the window's blocks, as canary judges usually do;
//! re-run on every evaluation they raise false alarms well above alpha (see docs/judgement.md's
//! simulation table), so they are there for comparison.

use std::collections::BTreeMap;

use super::stats::{self, HodgesLehmann, Summary};
use crate::model::{Group, MetricKey, Store};

/// Which way is bad for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    HigherIsWorse,
    LowerIsWorse,
}

pub(crate) fn direction(key: MetricKey) -> Direction {
    use MetricKey::*;
    match key {
        RecordsInPerS
        | RecordsOutPerS
        | BytesInPerS
        | BytesOutPerS
        | RemoteBytesInPerS
        | NettyAvailableSegments
        | IdleMsPerS
        | CheckpointsCompleted
        | TaskManagers => Direction::LowerIsWorse,
        _ => Direction::HigherIsWorse,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Better,
    Worse,
    NoChange,
    /// Fewer than `min-samples` block samples in a group.
    LowN,
    NoData,
}

impl Class {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Class::Better => "better",
            Class::Worse => "worse",
            Class::NoChange => "no significant change",
            Class::LowN => "LOW-N",
            Class::NoData => "NO-DATA",
        }
    }
}

/// Which test decides significance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum TestKind {
    Sequential,
    MannWhitney,
    Welch,
}

impl TestKind {}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct JudgeSettings {
    pub(crate) alpha: f64,
    /// Block samples per group before a metric is judged (the sample variances behind
    /// the sequential test need them; see docs/judgement.md for how 20 was chosen).
    pub(crate) min_samples: usize,
    pub(crate) test: TestKind,
    /// The smallest difference in a JVM's resources (CPU, heap, direct memory, GC, the
    /// process's CPU and RSS) that counts, as a share of the larger mean: the sequential
    /// test asks whether the difference is beyond it, not whether it is zero. Two JVMs on
    /// different hosts drift apart by a few percent of CPU over minutes, a dependence no
    /// few-minute sample can see; without it identical groups apart were called
    /// significant on CPU in 7.4% of simulated runs.
    pub(crate) resource_margin: f64,
}

/// The default `resource-margin` (3%), from the simulation in `benches/sequential.rs`.
pub const DEFAULT_RESOURCE_MARGIN: f64 = 0.03;

/// The default `min-samples`, from the simulation in `benches/sequential.rs`.
pub const DEFAULT_MIN_SAMPLES: usize = 20;

impl Default for JudgeSettings {
    fn default() -> Self {
        JudgeSettings {
            alpha: 0.05,
            min_samples: DEFAULT_MIN_SAMPLES,
            test: TestKind::Sequential,
            resource_margin: DEFAULT_RESOURCE_MARGIN,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub baseline: Option<Summary>,
    pub(crate) variant: Option<Summary>,
    /// Change of the block means, in percent of the baseline's.
    pub(crate) change_pct: Option<f64>,
    pub(crate) welch_p: Option<f64>,
    pub(crate) mann_whitney_p: Option<f64>,
    /// The always-valid p-value of the sequential test.
    pub(crate) sequential_p: Option<f64>,
    pub(crate) hodges_lehmann: Option<HodgesLehmann>,
    pub(crate) cohens_d: Option<f64>,
    /// The p-value of the configured test.
    pub(crate) p: Option<f64>,
    pub(crate) significant: bool,
    pub(crate) class: Class,
}

#[cfg(test)]
/// Judges one metric from its block samples (the same ones for every test).
pub(crate) fn judge_samples(key: MetricKey, baseline: &[f64], variant: &[f64], s: &JudgeSettings) -> Judgement {
    judge_windowed(key, (baseline, variant), (baseline, variant), 1.0, s)
}

/// Flink's latency quantiles come from a sliding histogram of the last
/// `metrics.latency.history-size` markers (128 by default): a block spans less than it, so
/// consecutive blocks share most of their data. Without REST to say how long it is, the
/// defaults and one marker a second are assumed.
const ASSUMED_LATENCY_WINDOW_S: f64 = 128.0;

/// How many blocks one independent sample of `key` spans (1 unless Flink smooths it).
fn overlap(store: &Store, key: MetricKey) -> f64 {
    if key.unit() != crate::model::Unit::Millis {
        return 1.0;
    }
    Group::BOTH
        .into_iter()
        .map(|g| {
            let window = store.group(g).latency_window.map_or(ASSUMED_LATENCY_WINDOW_S, |w| w.as_secs_f64());
            window / store.block_seconds_of(g, key).max(f64::MIN_POSITIVE)
        })
        .fold(1.0, f64::max)
}

/// The share of the larger mean below which a difference of `key` is no difference.
fn margin(key: MetricKey, s: &JudgeSettings) -> f64 {
    use MetricKey::*;
    match key {
        CpuCores | HeapUsedBytes | DirectUsedBytes | GcMsPerS | ProcessCpuCores | ProcessRssBytes => s.resource_margin,
        _ => 0.0,
    }
}

/// Judges one metric: the sequential test and the summaries over `all` the blocks so far,
/// the fixed-horizon tests and estimates over the `window`'s (they are fixed-horizon by
/// nature, and the Hodges-Lehmann estimate costs n1·n2).
pub(crate) fn judge_windowed(
    key: MetricKey,
    all: (&[f64], &[f64]),
    window: (&[f64], &[f64]),
    overlap: f64,
    s: &JudgeSettings,
) -> Judgement {
    let (baseline, variant) = match s.test {
        TestKind::Sequential => all,
        TestKind::MannWhitney | TestKind::Welch => window,
    };
    let (b, v) = (stats::summary(baseline), stats::summary(variant));
    let welch_p = stats::welch(window.0, window.1).map(|w| w.p);
    let mann_whitney_p = stats::mann_whitney(window.0, window.1).map(|m| m.p);
    let sequential_p =
        super::sequential::msprt_margin(all.0, all.1, super::sequential::TAU_REL, overlap, margin(key, s)).map(|q| q.p);
    let p = match s.test {
        TestKind::Sequential => sequential_p,
        TestKind::MannWhitney => mann_whitney_p,
        TestKind::Welch => welch_p,
    };
    let change_pct = super::change_pct(b.map(|x| x.mean), v.map(|x| x.mean));
    let (nb, nv) = (b.map_or(0, |x| x.n), v.map_or(0, |x| x.n));
    let significant = p.is_some_and(|p| p < s.alpha) && nb >= s.min_samples && nv >= s.min_samples;
    let class = if nb == 0 || nv == 0 {
        Class::NoData
    } else if nb < s.min_samples || nv < s.min_samples {
        Class::LowN
    } else if !significant {
        Class::NoChange
    } else {
        let diff = v.map_or(0.0, |x| x.mean) - b.map_or(0.0, |x| x.mean);
        let worse = match direction(key) {
            Direction::HigherIsWorse => diff > 0.0,
            Direction::LowerIsWorse => diff < 0.0,
        };
        if worse { Class::Worse } else { Class::Better }
    };
    Judgement {
        baseline: b,
        variant: v,
        change_pct,
        welch_p,
        mann_whitney_p,
        sequential_p,
        // All n1*n2 pairwise differences are sorted: bound the work to the latest samples.
        hodges_lehmann: stats::hodges_lehmann(latest(window.0), latest(window.1), s.alpha),
        cohens_d: stats::cohens_d(window.0, window.1),
        p,
        significant,
        class,
    }
}

/// At most 400 samples (the newest) for the Hodges-Lehmann estimate: 160 000 pairs.
fn latest(xs: &[f64]) -> &[f64] {
    &xs[xs.len().saturating_sub(400)..]
}

/// Judges every metric that has block samples at `now`: the sequential test over every
/// block since `since` (the start of the comparison), a fixed-horizon test over the window.
pub(crate) fn judge_all(
    store: &Store,
    now: f64,
    window_s: f64,
    since: f64,
    s: &JudgeSettings,
) -> BTreeMap<MetricKey, Judgement> {
    judge_all_memo(&mut JudgeMemo::default(), store, now, window_s, since, s)
}

/// The last inputs and judgement of each metric. A judgement is a pure function of its
/// blocks, which change once per block (10 s), while the rules run on every refresh of
/// every source (several a second with reporters and Jolokia): most evaluations find
/// their inputs unchanged and take the judgement as it was, bit for bit.
#[derive(Debug, Default)]
pub(crate) struct JudgeMemo {
    settings: Option<JudgeSettings>,
    last: BTreeMap<MetricKey, (Inputs, Judgement)>,
}

#[derive(Debug, PartialEq)]
struct Inputs {
    baseline: Vec<f64>,
    variant: Vec<f64>,
    /// Where the window's blocks begin in each.
    window: (usize, usize),
    overlap: f64,
}

/// `judge_all`, taking each metric's judgement from `memo` when its inputs are the same.
pub(crate) fn judge_all_memo(
    memo: &mut JudgeMemo,
    store: &Store,
    now: f64,
    window_s: f64,
    since: f64,
    s: &JudgeSettings,
) -> BTreeMap<MetricKey, Judgement> {
    if memo.settings.as_ref() != Some(s) {
        memo.settings = Some(*s);
        memo.last.clear();
    }
    let from = now - window_s;
    MetricKey::ALL
        .iter()
        .filter(|k| k.has_blocks())
        .map(|&k| {
            let b = store.group(Group::Baseline).block_values_since(k, since.min(from));
            let v = store.group(Group::Variant).block_values_since(k, since.min(from));
            // The window's blocks are the newest of them.
            let in_window =
                |g: Group, all: &[f64]| all.len() - store.group(g).block_count_since(k, from).min(all.len());
            let inputs = Inputs {
                window: (in_window(Group::Baseline, &b), in_window(Group::Variant, &v)),
                baseline: b,
                variant: v,
                overlap: overlap(store, k),
            };
            if let Some((last, j)) = memo.last.get(&k)
                && *last == inputs
            {
                return (k, j.clone());
            }
            let (b, v, (wb, wv)) = (&inputs.baseline, &inputs.variant, inputs.window);
            let j = judge_windowed(k, (b, v), (&b[wb..], &v[wv..]), inputs.overlap, s);
            memo.last.insert(k, (inputs, j.clone()));
            (k, j)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(min: usize) -> JudgeSettings {
        JudgeSettings { min_samples: min, ..JudgeSettings::default() }
    }

    #[test]
    fn a_resource_difference_within_the_margin_is_no_difference() {
        // ±1% noise without autocorrelation; the variant 2% higher.
        let noise = |i: usize| [0.0, 1.0, -1.0, 0.5, -0.5][i % 5];
        let base: Vec<f64> = (0..120).map(|i| 100.0 + noise(i)).collect();
        let up2: Vec<f64> = (0..120).map(|i| 102.0 + noise(i + 2)).collect();
        let up6: Vec<f64> = (0..120).map(|i| 106.0 + noise(i + 2)).collect();
        let s = settings(20);
        use MetricKey::*;
        assert_eq!(judge_samples(CpuCores, &base, &up2, &s).class, Class::NoChange);
        assert_eq!(judge_samples(HeapUsedBytes, &base, &up2, &s).class, Class::NoChange);
        assert_eq!(judge_samples(CpuCores, &base, &up6, &s).class, Class::Worse);
        // Throughput and latency have no margin: 2% is found.
        assert_eq!(judge_samples(LatencyP99Ms, &base, &up2, &s).class, Class::Worse);
        let none = JudgeSettings { resource_margin: 0.0, ..s };
        assert_eq!(judge_samples(CpuCores, &base, &up2, &none).class, Class::Worse);
    }

    #[test]
    fn classification_table() {
        let base: Vec<f64> = (0..40).map(|i| 100.0 + (i % 5) as f64).collect();
        let lower: Vec<f64> = base.iter().map(|x| x - 20.0).collect();
        let higher: Vec<f64> = base.iter().map(|x| x + 20.0).collect();
        let s = settings(30);
        use MetricKey::*;
        let cases = [
            (RecordsInPerS, &lower, Class::Worse),
            (RecordsInPerS, &higher, Class::Better),
            (LatencyP99Ms, &higher, Class::Worse),
            (LatencyP99Ms, &lower, Class::Better),
            (CpuCores, &base, Class::NoChange),
        ];
        for (key, variant, want) in cases {
            assert_eq!(judge_samples(key, &base, variant, &s).class, want, "{key:?}");
        }
        assert_eq!(judge_samples(RecordsInPerS, &base[..10], &lower[..10], &s).class, Class::LowN);
        assert_eq!(judge_samples(RecordsInPerS, &[], &lower, &s).class, Class::NoData);
        let nan = vec![f64::NAN; 40];
        assert_eq!(judge_samples(RecordsInPerS, &base, &nan, &s).class, Class::NoData, "NaN is no data, never 0");
    }

    #[test]
    fn the_configured_test_decides() {
        let base: Vec<f64> = (0..40).map(|i| 100.0 + (i % 7) as f64).collect();
        let variant: Vec<f64> = base.iter().map(|x| x + 1.0).collect();
        let seq = judge_samples(MetricKey::CpuCores, &base, &variant, &settings(30));
        let welch = judge_samples(
            MetricKey::CpuCores,
            &base,
            &variant,
            &JudgeSettings { test: TestKind::Welch, ..settings(30) },
        );
        let mw = judge_samples(
            MetricKey::CpuCores,
            &base,
            &variant,
            &JudgeSettings { test: TestKind::MannWhitney, ..settings(30) },
        );
        assert_eq!(seq.p, seq.sequential_p);
        assert_eq!(mw.p, mw.mann_whitney_p);
        assert_eq!(welch.p, welch.welch_p);
        // +1 on ~103 with a spread of ±3: a fixed-horizon test calls it significant on 40
        // samples, the sequential one (valid under continuous looks) wants more evidence.
        assert!(mw.significant && !seq.significant, "{mw:?} {seq:?}");
    }
}
