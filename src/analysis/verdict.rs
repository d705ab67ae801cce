//! The composite verdict: a 0-100 score from the test plan's weighted categories, and
//! PASS / MARGINAL / FAIL / INCONCLUSIVE. Any hard alert in the run, or a soft alert active
//! now, is FAIL. Never PASS without the
//! essentials judged: throughput, latency and the profile's heaviest category must have
//! enough samples in both groups, and no group may have gone without live data for
//! longer than the stale limit; otherwise INCONCLUSIVE, saying what is missing.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::alerts::AlertBook;
use super::judge::{Class, Judgement};
use super::rules::{RuleId, RulesConfig};
use crate::model::MetricKey;

/// Weights of throughput, latency, memory, CPU and stability.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Weights {
    pub(crate) throughput: f64,
    pub(crate) latency: f64,
    pub(crate) memory: f64,
    pub(crate) cpu: f64,
    pub(crate) stability: f64,
}

/// The test plan's workload types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Profile {
    Default,
    Throughput,
    Latency,
    Memory,
    Cpu,
    Bursty,
}

impl Profile {
    pub(crate) fn weights(self) -> Weights {
        let w = |throughput, latency, memory, cpu, stability| Weights { throughput, latency, memory, cpu, stability };
        match self {
            Profile::Default => w(0.30, 0.30, 0.20, 0.15, 0.05),
            Profile::Throughput => w(0.50, 0.15, 0.10, 0.15, 0.10),
            Profile::Latency => w(0.15, 0.55, 0.10, 0.10, 0.10),
            Profile::Memory => w(0.20, 0.15, 0.45, 0.10, 0.10),
            Profile::Cpu => w(0.20, 0.15, 0.10, 0.45, 0.10),
            Profile::Bursty => w(0.25, 0.25, 0.15, 0.10, 0.25),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct VerdictSettings {
    pub(crate) weights: Weights,
    pub(crate) pass: f64,
    pub(crate) marginal: f64,
}

impl Default for VerdictSettings {
    fn default() -> Self {
        VerdictSettings { weights: Profile::Default.weights(), pass: 75.0, marginal: 50.0 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub(crate) enum Outcome {
    Pass,
    Marginal,
    Fail,
    Inconclusive,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Marginal => "MARGINAL",
            Outcome::Fail => "FAIL",
            Outcome::Inconclusive => "INCONCLUSIVE",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Verdict {
    pub(crate) outcome: Outcome,
    /// `None` when no performance category was scored.
    pub(crate) score: Option<f64>,
    pub(crate) reasons: Vec<String>,
    /// Metrics with too few samples (LOW-N) or none (NO-DATA), for the badges.
    pub(crate) low_n: Vec<MetricKey>,
    pub(crate) no_data: Vec<MetricKey>,
    /// While an essential category waits for samples: how many more, and about how long.
    pub(crate) needs: Option<Needs>,
}

/// What an undecided verdict waits for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Needs {
    pub(crate) samples: usize,
    pub(crate) seconds: f64,
}

/// What the verdict knows about the data beside the judgements.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct DataState {
    /// Block samples a metric needs per group (`min-samples`).
    pub(crate) min_samples: usize,
    /// Seconds one block sample takes (the longer of the two groups').
    pub(crate) block_s: f64,
    /// Groups without live data for longer than the stale limit, with why.
    pub(crate) stale: Vec<String>,
    /// Intended setting changes not in effect (the settings review): the canary would
    /// compare settings nobody meant to compare, so it cannot PASS.
    pub(crate) settings: Vec<String>,
    /// Latency can be judged: Flink's latency markers are on (its config says so) or
    /// latency was seen. Flink ships with them off; then latency is not essential.
    pub(crate) latency_expected: bool,
}

impl Verdict {
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "result": self.outcome, "score": self.score.map(|s| (s * 10.0).round() / 10.0), "reasons": self.reasons })
    }
}

/// Score of one category from its metric's judgement: 100 unless significantly worse,
/// 50 at the soft rule's threshold, 0 at twice it.
fn category_score(j: &Judgement, rule: RuleId, rules: &RulesConfig) -> f64 {
    if j.class != Class::Worse {
        return 100.0;
    }
    let threshold = rules.rules.get(&rule).map_or(25.0, |c| c.threshold).max(f64::MIN_POSITIVE);
    let degradation = j.change_pct.map_or(0.0, f64::abs);
    (100.0 - 50.0 * degradation / threshold).clamp(0.0, 100.0)
}

pub(crate) fn verdict(
    judgements: &BTreeMap<MetricKey, Judgement>,
    book: &AlertBook,
    rules: &RulesConfig,
    settings: &VerdictSettings,
    variant_failures_over_baseline: bool,
    data: &DataState,
) -> Verdict {
    let w = settings.weights;
    let categories = [
        ("throughput", MetricKey::RecordsInPerS, RuleId::Throughput, w.throughput),
        ("latency", MetricKey::LatencyP99Ms, RuleId::LatencyP99, w.latency),
        ("memory", MetricKey::HeapUsedBytes, RuleId::Memory, w.memory),
        ("cpu", MetricKey::CpuCores, RuleId::Cpu, w.cpu),
    ];
    // Throughput and latency always; and whichever category the profile weighs most.
    let heaviest = categories.iter().map(|c| c.3).fold(0.0, f64::max);
    let essential = |name: &str, weight: f64| {
        name == "throughput" || (name == "latency" && data.latency_expected) || weight >= heaviest
    };
    let mut needs: Option<Needs> = None;
    let mut reasons = Vec::new();
    let (mut low_n, mut no_data) = (Vec::new(), Vec::new());
    for (k, j) in judgements {
        match j.class {
            Class::LowN => low_n.push(*k),
            Class::NoData => no_data.push(*k),
            _ => {}
        }
    }
    let (mut weighted, mut weight_sum, mut inconclusive) = (0.0, 0.0, false);
    for (name, key, rule, weight) in categories {
        let must = essential(name, weight);
        if weight <= 0.0 && !must {
            continue;
        }
        match judgements.get(&key) {
            Some(j) if j.class == Class::NoData || j.class == Class::LowN => {
                let n = j.baseline.map_or(0, |s| s.n).min(j.variant.map_or(0, |s| s.n));
                if j.class == Class::LowN {
                    inconclusive = true;
                    let more = data.min_samples.saturating_sub(n).max(1);
                    let wait = Needs { samples: more, seconds: more as f64 * data.block_s };
                    reasons.push(format!(
                        "{name}: LOW-N, {n} samples per group so far: needs {more} more, ~{}",
                        about(wait.seconds)
                    ));
                    if needs.is_none_or(|w| w.samples < more) {
                        needs = Some(wait);
                    }
                } else if must {
                    inconclusive = true;
                    reasons.push(format!(
                        "{name}: NO-DATA ({}) in {}: it must be compared before a PASS",
                        key.label(),
                        no_data_side(j)
                    ));
                } else if name == "latency" && !data.latency_expected {
                    reasons.push(
                        "latency: not judged: Flink's latency markers are off (metrics.latency.interval); turn them on to judge latency".into(),
                    );
                } else {
                    reasons.push(format!("{name}: NO-DATA ({}), left out of the score", key.label()));
                }
            }
            None if name == "latency" && !data.latency_expected => reasons.push(
                "latency: not judged: Flink's latency markers are off (metrics.latency.interval); turn them on to judge latency"
                    .into(),
            ),
            None if must => {
                inconclusive = true;
                reasons.push(format!("{name}: NO-DATA ({}): it must be compared before a PASS", key.label()));
            }
            Some(j) => {
                let s = category_score(j, rule, rules);
                if j.class == Class::Worse {
                    reasons.push(format!(
                        "{name}: {} significantly worse ({})",
                        key.label(),
                        j.change_pct.map(|c| format!("{c:+.1}%")).unwrap_or_default()
                    ));
                }
                weighted += s * weight;
                weight_sum += weight;
            }
            None => reasons.push(format!("{name}: NO-DATA, left out of the score")),
        }
    }
    for s in &data.stale {
        inconclusive = true;
        reasons.push(s.clone());
    }
    for s in &data.settings {
        inconclusive = true;
        reasons.push(format!("settings: {s}"));
    }
    let stability = if book.hard_fired {
        0.0
    } else if variant_failures_over_baseline {
        reasons.push("stability: the variant failed more often than the baseline".into());
        50.0
    } else {
        100.0
    };
    if w.stability > 0.0 {
        weighted += stability * w.stability;
        weight_sum += w.stability;
    }
    // Stability alone is not a score: without a performance category nothing was scored.
    let scored = weight_sum > w.stability.max(0.0);
    let score = scored.then(|| weighted / weight_sum);
    let hard: Vec<String> = book
        .all()
        .into_iter()
        .filter(|a| a.severity == super::rules::Severity::Hard)
        .map(|a| format!("hard alert {}: {}", a.rule.as_str(), a.message))
        .collect();
    // The test plan rolls back on a soft failure too ("throughput degradation > 15%", ...):
    // an active soft alert is a significant change beyond the rule's threshold, held for
    // `for` evaluations, so it fails the run whatever the weighted score says.
    let soft: Vec<String> = book
        .active
        .values()
        .filter(|a| a.severity == super::rules::Severity::Soft)
        .map(|a| format!("soft failure {}: {}", a.rule.as_str(), a.message))
        .collect();
    let outcome = if book.hard_fired {
        reasons.splice(0..0, hard);
        Outcome::Fail
    } else if !soft.is_empty() {
        reasons.splice(0..0, soft);
        Outcome::Fail
    } else if inconclusive || score.is_none() {
        if score.is_none() {
            reasons.push("no performance category has data yet".into());
        }
        Outcome::Inconclusive
    } else {
        let s = score.unwrap_or(0.0);
        if s >= settings.pass {
            Outcome::Pass
        } else if s >= settings.marginal {
            Outcome::Marginal
        } else {
            Outcome::Fail
        }
    };
    Verdict {
        outcome,
        score,
        reasons,
        low_n,
        no_data,
        needs: if outcome == Outcome::Inconclusive { needs } else { None },
    }
}

/// "40 s", "~3 min".
pub(crate) fn about(seconds: f64) -> String {
    if seconds < 90.0 { format!("{:.0} s", seconds.max(1.0)) } else { format!("{:.0} min", (seconds / 60.0).ceil()) }
}

fn no_data_side(j: &Judgement) -> &'static str {
    match (j.baseline.is_some(), j.variant.is_some()) {
        (false, false) => "either group",
        (false, true) => "the baseline",
        _ => "the variant",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::judge::{JudgeSettings, judge_samples};
    use crate::analysis::rules::Breach;
    use std::time::SystemTime;

    fn judgements(n: usize, throughput_factor: f64) -> BTreeMap<MetricKey, Judgement> {
        let s = JudgeSettings { min_samples: 30, ..JudgeSettings::default() };
        let base: Vec<f64> = (0..n).map(|i| 100.0 + (i % 7) as f64).collect();
        let tp: Vec<f64> = base.iter().map(|x| x * throughput_factor).collect();
        [MetricKey::RecordsInPerS, MetricKey::LatencyP99Ms, MetricKey::HeapUsedBytes, MetricKey::CpuCores]
            .into_iter()
            .map(|k| {
                let v = if k == MetricKey::RecordsInPerS { &tp } else { &base };
                (k, judge_samples(k, &base, v, &s))
            })
            .collect()
    }

    fn data() -> DataState {
        DataState { min_samples: 30, block_s: 10.0, stale: Vec::new(), settings: Vec::new(), latency_expected: true }
    }

    fn run(j: &BTreeMap<MetricKey, Judgement>, book: &AlertBook) -> Verdict {
        verdict(j, book, &RulesConfig::default(), &VerdictSettings::default(), false, &data())
    }

    #[test]
    fn outcomes_table() {
        let book = AlertBook::default();
        let same = run(&judgements(40, 1.0), &book);
        assert_eq!((same.outcome, same.score), (Outcome::Pass, Some(100.0)));
        // -15% throughput is at the soft threshold: throughput scores 50 -> 85 overall.
        let worse = run(&judgements(40, 0.85), &book);
        assert_eq!(worse.outcome, Outcome::Pass);
        assert!((worse.score.unwrap() - 85.0).abs() < 1e-9, "{worse:?}");
        // -60%: throughput scores 0 -> 70: MARGINAL.
        assert_eq!(run(&judgements(40, 0.4), &book).outcome, Outcome::Marginal);
        // Too few samples: never PASS.
        let low = run(&judgements(10, 1.0), &book);
        assert_eq!(low.outcome, Outcome::Inconclusive);
        assert!(low.reasons.iter().any(|r| r.contains("LOW-N")));
        // 20 more blocks of 10 s.
        assert_eq!(low.needs, Some(Needs { samples: 20, seconds: 200.0 }));
        assert!(low.reasons.iter().any(|r| r.contains("needs 20 more, ~4 min")), "{:?}", low.reasons);
        let none = run(&BTreeMap::new(), &book);
        assert_eq!((none.outcome, none.score), (Outcome::Inconclusive, None), "nothing scored is no score");
    }

    #[test]
    fn no_pass_without_the_essentials() {
        let book = AlertBook::default();
        let s = JudgeSettings { min_samples: 30, ..JudgeSettings::default() };
        let base: Vec<f64> = (0..40).map(|i| 100.0 + (i % 7) as f64).collect();
        // Throughput never compared (the variant has none): INCONCLUSIVE, not PASS 100.
        let mut j = judgements(40, 1.0);
        j.insert(MetricKey::RecordsInPerS, judge_samples(MetricKey::RecordsInPerS, &base, &[], &s));
        let v = run(&j, &book);
        assert_eq!(v.outcome, Outcome::Inconclusive, "{v:?}");
        assert!(v.reasons.iter().any(|r| r.starts_with("throughput: NO-DATA") && r.contains("the variant")), "{v:?}");
        // Latency missing altogether.
        let mut j = judgements(40, 1.0);
        j.remove(&MetricKey::LatencyP99Ms);
        assert_eq!(run(&j, &book).outcome, Outcome::Inconclusive);
        // ...unless Flink's latency markers are off: then it cannot be judged, and says so.
        let off = DataState { latency_expected: false, ..data() };
        let v = verdict(&j, &book, &RulesConfig::default(), &VerdictSettings::default(), false, &off);
        assert_eq!(v.outcome, Outcome::Pass, "{v:?}");
        assert!(v.reasons.iter().any(|r| r.contains("latency markers are off")), "{v:?}");
        // CPU is not essential under the default profile: left out, still PASS.
        let mut j = judgements(40, 1.0);
        j.insert(MetricKey::CpuCores, judge_samples(MetricKey::CpuCores, &[], &[], &s));
        assert_eq!(run(&j, &book).outcome, Outcome::Pass);
        // ...but it is under the CPU profile, which weighs it most.
        let cpu = VerdictSettings { weights: Profile::Cpu.weights(), ..VerdictSettings::default() };
        let v = verdict(&j, &book, &RulesConfig::default(), &cpu, false, &data());
        assert_eq!(v.outcome, Outcome::Inconclusive, "{v:?}");
        // A group gone stale cannot PASS.
        let stale = DataState { stale: vec!["variant: no live source for 45 s".into()], ..data() };
        let v =
            verdict(&judgements(40, 1.0), &book, &RulesConfig::default(), &VerdictSettings::default(), false, &stale);
        assert_eq!(v.outcome, Outcome::Inconclusive);
        assert!(v.reasons.iter().any(|r| r.contains("no live source")));
    }

    #[test]
    fn a_hard_alert_is_fail() {
        let mut book = AlertBook::default();
        let b = Some(Breach { observed: 1.0, baseline: 0.0, threshold: 0.0, message: "OOM".into() });
        book.update(&[(RuleId::OutOfMemory, b)], &RulesConfig::default(), SystemTime::now());
        let v = run(&judgements(40, 1.0), &book);
        assert_eq!(v.outcome, Outcome::Fail);
        assert!(v.reasons[0].contains("out-of-memory"));
    }

    #[test]
    fn an_active_soft_alert_is_fail_and_a_resolved_one_is_not() {
        let config = RulesConfig::default();
        let mut book = AlertBook::default();
        let b = Some(Breach { observed: 40.0, baseline: 100.0, threshold: 15.0, message: "-60%".into() });
        let t0 = SystemTime::UNIX_EPOCH;
        for s in 0..3 {
            book.update(&[(RuleId::Throughput, b.clone())], &config, t0 + std::time::Duration::from_secs(s));
        }
        assert!(book.active.contains_key(&RuleId::Throughput), "held 3 evaluations: fired");
        // -60% alone scores 70 (MARGINAL); the soft failure makes it FAIL, first reason.
        let v = run(&judgements(40, 0.4), &book);
        assert_eq!(v.outcome, Outcome::Fail, "{v:?}");
        assert!(v.reasons[0].starts_with("soft failure throughput"), "{:?}", v.reasons);
        assert!(!book.hard_fired);
        book.update(&[(RuleId::Throughput, None)], &config, t0 + std::time::Duration::from_secs(9));
        assert_eq!(run(&judgements(40, 1.0), &book).outcome, Outcome::Pass, "resolved: judged on the data again");
    }

    #[test]
    fn profiles_weigh_to_one() {
        for p in
            [Profile::Default, Profile::Throughput, Profile::Latency, Profile::Memory, Profile::Cpu, Profile::Bursty]
        {
            let w = p.weights();
            assert!((w.throughput + w.latency + w.memory + w.cpu + w.stability - 1.0).abs() < 1e-9, "{p:?}");
        }
    }
}
