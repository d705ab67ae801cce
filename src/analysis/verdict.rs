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
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Weights {
    pub(crate) throughput: f64,
    pub(crate) latency: f64,
    pub(crate) memory: f64,
    pub(crate) cpu: f64,
    pub(crate) stability: f64,
}

/// The test plan's workload types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize, clap::ValueEnum)]
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
        serde_json::json!({ "result": self.outcome, "score": self.score.map(score_shown), "reasons": self.reasons })
    }
}

/// The score as `check` and `report` write it: to a tenth, so the two give the same figure
/// for the same verdict (the decision never turns on the second decimal).
pub(crate) fn score_shown(score: f64) -> f64 {
    (score * 10.0).round() / 10.0
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
    let mut tally = score_categories(judgements, rules, w, data);
    for s in &data.stale {
        tally.inconclusive = true;
        tally.reasons.push(s.clone());
    }
    for s in &data.settings {
        tally.inconclusive = true;
        tally.reasons.push(format!("settings: {s}"));
    }
    let stability = if book.hard_fired {
        0.0
    } else if variant_failures_over_baseline {
        tally.reasons.push("stability: the variant failed more often than the baseline".into());
        50.0
    } else {
        100.0
    };
    if w.stability > 0.0 {
        tally.weighted += stability * w.stability;
        tally.weight_sum += w.stability;
    }
    // Stability alone is not a score: without a performance category nothing was scored.
    let scored = tally.weight_sum > w.stability.max(0.0);
    let score = scored.then(|| tally.weighted / tally.weight_sum);
    let mut reasons = tally.reasons;
    let outcome = outcome(book, score, tally.inconclusive, settings, &mut reasons);
    let (low_n, no_data) = unjudged(judgements);
    Verdict {
        outcome,
        score,
        reasons,
        low_n,
        no_data,
        needs: if outcome == Outcome::Inconclusive { tally.needs } else { None },
    }
}

/// The performance categories' weighted scores so far, and why any is not judged.
#[derive(Debug, Default)]
struct Tally {
    weighted: f64,
    weight_sum: f64,
    inconclusive: bool,
    needs: Option<Needs>,
    reasons: Vec<String>,
}

const LATENCY_OFF: &str =
    "latency: not judged: Flink's latency markers are off (metrics.latency.interval); turn them on to judge latency";

/// Scores throughput, latency, memory and CPU from their metrics' judgements. Throughput
/// and latency must be judged before a PASS, and so must whichever category the profile
/// weighs most; the others without data are left out of the score.
fn score_categories(
    judgements: &BTreeMap<MetricKey, Judgement>,
    rules: &RulesConfig,
    w: Weights,
    data: &DataState,
) -> Tally {
    let categories = [
        ("throughput", MetricKey::RecordsInPerS, RuleId::Throughput, w.throughput),
        ("latency", MetricKey::LatencyP99Ms, RuleId::LatencyP99, w.latency),
        ("memory", MetricKey::HeapUsedBytes, RuleId::Memory, w.memory),
        ("cpu", MetricKey::CpuCores, RuleId::Cpu, w.cpu),
    ];
    let heaviest = categories.iter().map(|c| c.3).fold(0.0, f64::max);
    let essential = |name: &str, weight: f64| {
        name == "throughput" || (name == "latency" && data.latency_expected) || weight >= heaviest
    };
    let mut t = Tally::default();
    for (name, key, rule, weight) in categories {
        let must = essential(name, weight);
        if weight <= 0.0 && !must {
            continue;
        }
        match judgements.get(&key) {
            Some(j) if j.class == Class::LowN => {
                let n = j.baseline.map_or(0, |s| s.n).min(j.variant.map_or(0, |s| s.n));
                t.inconclusive = true;
                let more = data.min_samples.saturating_sub(n).max(1);
                let wait = Needs { samples: more, seconds: more as f64 * data.block_s };
                t.reasons.push(format!(
                    "{name}: LOW-N, {n} samples per group so far: needs {more} more, ~{}",
                    about(wait.seconds)
                ));
                if t.needs.is_none_or(|w| w.samples < more) {
                    t.needs = Some(wait);
                }
            }
            Some(j) if j.class == Class::NoData => {
                if must {
                    t.inconclusive = true;
                    t.reasons.push(format!(
                        "{name}: NO-DATA ({}) in {}: it must be compared before a PASS",
                        key.label(),
                        no_data_side(j)
                    ));
                } else if name == "latency" && !data.latency_expected {
                    t.reasons.push(LATENCY_OFF.into());
                } else {
                    t.reasons.push(format!("{name}: NO-DATA ({}), left out of the score", key.label()));
                }
            }
            None if name == "latency" && !data.latency_expected => t.reasons.push(LATENCY_OFF.into()),
            None if must => {
                t.inconclusive = true;
                t.reasons.push(format!("{name}: NO-DATA ({}): it must be compared before a PASS", key.label()));
            }
            Some(j) => {
                if j.class == Class::Worse {
                    t.reasons.push(format!(
                        "{name}: {} significantly worse ({})",
                        key.label(),
                        j.change_pct.map(|c| format!("{c:+.1}%")).unwrap_or_default()
                    ));
                }
                t.weighted += category_score(j, rule, rules) * weight;
                t.weight_sum += weight;
            }
            None => t.reasons.push(format!("{name}: NO-DATA, left out of the score")),
        }
    }
    t
}

/// FAIL on any hard alert of the run or a soft alert active now (their messages go first
/// among the reasons); else INCONCLUSIVE while something essential is missing; else the
/// score's band.
fn outcome(
    book: &AlertBook,
    score: Option<f64>,
    inconclusive: bool,
    settings: &VerdictSettings,
    reasons: &mut Vec<String>,
) -> Outcome {
    if book.hard_fired {
        let hard = book
            .all()
            .into_iter()
            .filter(|a| a.severity == super::rules::Severity::Hard)
            .map(|a| format!("hard alert {}: {}", a.rule.as_str(), a.message));
        reasons.splice(0..0, hard);
        return Outcome::Fail;
    }
    // The test plan rolls back on a soft failure too ("throughput degradation > 15%", ...):
    // an active soft alert is a significant change beyond the rule's threshold, held for
    // `for` evaluations, so it fails the run whatever the weighted score says.
    let soft: Vec<String> = book
        .active
        .values()
        .filter(|a| a.severity == super::rules::Severity::Soft)
        .map(|a| format!("soft failure {}: {}", a.rule.as_str(), a.message))
        .collect();
    if !soft.is_empty() {
        reasons.splice(0..0, soft);
        return Outcome::Fail;
    }
    let Some(s) = score.filter(|_| !inconclusive) else {
        if score.is_none() {
            reasons.push("no performance category has data yet".into());
        }
        return Outcome::Inconclusive;
    };
    if s >= settings.pass {
        Outcome::Pass
    } else if s >= settings.marginal {
        Outcome::Marginal
    } else {
        Outcome::Fail
    }
}

/// The metrics with too few samples and those with none, for the badges.
fn unjudged(judgements: &BTreeMap<MetricKey, Judgement>) -> (Vec<MetricKey>, Vec<MetricKey>) {
    let of = |class: Class| judgements.iter().filter(|(_, j)| j.class == class).map(|(k, _)| *k).collect();
    (of(Class::LowN), of(Class::NoData))
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
mod tests;
