//! The composite verdict: a 0-100 score from the test plan's weighted categories, and
//! PASS / MARGINAL / FAIL / INCONCLUSIVE. Any hard alert is FAIL; too few samples is
//! INCONCLUSIVE, never PASS.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::alerts::AlertBook;
use super::judge::{Class, Judgement};
use super::rules::{RuleId, RulesConfig};
use crate::model::MetricKey;

/// Weights of throughput, latency, memory, CPU and stability.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Weights {
    pub throughput: f64,
    pub latency: f64,
    pub memory: f64,
    pub cpu: f64,
    pub stability: f64,
}

/// The test plan's workload types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    Default,
    Throughput,
    Latency,
    Memory,
    Cpu,
    Bursty,
}

impl Profile {
    pub fn weights(self) -> Weights {
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
pub struct VerdictSettings {
    pub weights: Weights,
    pub pass: f64,
    pub marginal: f64,
}

impl Default for VerdictSettings {
    fn default() -> Self {
        VerdictSettings { weights: Profile::Default.weights(), pass: 75.0, marginal: 50.0 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Outcome {
    Pass,
    Marginal,
    Fail,
    Inconclusive,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Marginal => "MARGINAL",
            Outcome::Fail => "FAIL",
            Outcome::Inconclusive => "INCONCLUSIVE",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub outcome: Outcome,
    pub score: Option<f64>,
    pub reasons: Vec<String>,
    /// Metrics with too few samples (LOW-N) or none (NO-DATA), for the badges.
    pub low_n: Vec<MetricKey>,
    pub no_data: Vec<MetricKey>,
}

impl Verdict {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "result": self.outcome, "score": self.score.map(|s| (s * 10.0).round() / 10.0), "reasons": self.reasons })
    }
}

/// Score of one category from its metric's judgement: 100 unless significantly worse,
/// 50 at the soft rule's threshold, 0 at twice it.
fn category_score(j: &Judgement, rule: RuleId, rules: &RulesConfig) -> f64 {
    if j.class != Class::Worse {
        return 100.0;
    }
    let threshold = rules.rules.get(&rule).map(|c| c.threshold).unwrap_or(25.0).max(f64::MIN_POSITIVE);
    let degradation = j.change_pct.map(f64::abs).unwrap_or(0.0);
    (100.0 - 50.0 * degradation / threshold).clamp(0.0, 100.0)
}

pub fn verdict(
    judgements: &BTreeMap<MetricKey, Judgement>,
    book: &AlertBook,
    rules: &RulesConfig,
    settings: &VerdictSettings,
    variant_failures_over_baseline: bool,
) -> Verdict {
    let w = settings.weights;
    let categories = [
        ("throughput", MetricKey::RecordsInPerS, RuleId::Throughput, w.throughput),
        ("latency", MetricKey::LatencyP99Ms, RuleId::LatencyP99, w.latency),
        ("memory", MetricKey::HeapUsedBytes, RuleId::Memory, w.memory),
        ("cpu", MetricKey::CpuCores, RuleId::Cpu, w.cpu),
    ];
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
        if weight <= 0.0 {
            continue;
        }
        match judgements.get(&key) {
            Some(j) if j.class == Class::NoData || j.class == Class::LowN => {
                let n = j.baseline.map_or(0, |s| s.n).min(j.variant.map_or(0, |s| s.n));
                if j.class == Class::LowN {
                    inconclusive = true;
                    reasons.push(format!("{name}: LOW-N ({n} samples per group so far)"));
                } else {
                    reasons.push(format!("{name}: NO-DATA ({}), left out of the score", key.label()));
                }
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
    let score = (weight_sum > 0.0).then(|| weighted / weight_sum);
    let hard: Vec<String> = book
        .all()
        .into_iter()
        .filter(|a| a.severity == super::rules::Severity::Hard)
        .map(|a| format!("hard alert {}: {}", a.rule.as_str(), a.message))
        .collect();
    let outcome = if book.hard_fired {
        reasons.splice(0..0, hard);
        Outcome::Fail
    } else if inconclusive || score.is_none() || weight_sum <= w.stability {
        if weight_sum <= w.stability {
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
    Verdict { outcome, score, reasons, low_n, no_data }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::judge::{JudgeSettings, judge_samples};
    use crate::analysis::rules::Breach;
    use std::time::SystemTime;

    fn judgements(n: usize, throughput_factor: f64) -> BTreeMap<MetricKey, Judgement> {
        let s = JudgeSettings::default();
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

    fn run(j: &BTreeMap<MetricKey, Judgement>, book: &AlertBook) -> Verdict {
        verdict(j, book, &RulesConfig::default(), &VerdictSettings::default(), false)
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
        assert_eq!(run(&BTreeMap::new(), &book).outcome, Outcome::Inconclusive);
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
    fn profiles_weigh_to_one() {
        for p in
            [Profile::Default, Profile::Throughput, Profile::Latency, Profile::Memory, Profile::Cpu, Profile::Bursty]
        {
            let w = p.weights();
            assert!((w.throughput + w.latency + w.memory + w.cpu + w.stability - 1.0).abs() < 1e-9, "{p:?}");
        }
    }
}
