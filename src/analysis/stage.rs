//! A rollout stage judged: its success criteria and rollback triggers, written in the test
//! plan's words ("no job failures", "performance regression > 10%", "any critical alert"),
//! each mapped onto what flinkscope already judges (the verdict, the metric judgements, the
//! alerts, the variant's jobs). Pure: the inputs are a summary of the app's state and the
//! stage's elapsed time, so the table tests need no clock.

use std::fmt;
use std::time::Duration;

use super::judge::Class;
use super::rules::{RuleId, Severity};
use super::verdict::Outcome;
use crate::model::MetricKey;

/// A success criterion: all must hold (after the minimum duration) for "go".
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Criterion {
    /// No variant job failed (restart, FAILED or CANCELED) since the stage began.
    NoJobFailures,
    /// Every variant job is RUNNING now.
    AllJobsRunning,
    /// No alert, hard or soft, raised in this run.
    NoAlerts,
    /// No hard ("critical") alert raised in this run.
    NoHardAlerts,
    /// The verdict is PASS and throughput or p99 latency is significantly better, neither worse.
    PerformanceImproved,
    /// Neither throughput nor p99 latency is significantly worse.
    NoRegression,
    /// The verdict is PASS.
    VerdictPass,
    /// No CPU, memory or out-of-memory alert active.
    ResourcesWithinLimits,
    /// The judgement has decided (not INCONCLUSIVE) and every source is live.
    MetricsStable,
}

/// A rollback trigger: any one firing means "roll back".
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Trigger {
    /// More than `n` variant job failures since the stage began (`any-job-failure` is `> 0`).
    JobFailures(u64),
    /// Throughput or p99 latency significantly worse by more than this many percent.
    Regression(f64),
    /// A hard alert active.
    AnyHardAlert,
    /// The verdict is FAIL.
    VerdictFail,
    /// A hard CPU/memory/out-of-memory alert, or such a soft one active.
    ResourceExhaustion,
}

const CRITERIA: [(&str, Criterion); 9] = [
    ("no-job-failures", Criterion::NoJobFailures),
    ("all-jobs-running", Criterion::AllJobsRunning),
    ("no-alerts", Criterion::NoAlerts),
    ("no-hard-alerts", Criterion::NoHardAlerts),
    ("performance-improved", Criterion::PerformanceImproved),
    ("no-regression", Criterion::NoRegression),
    ("verdict-pass", Criterion::VerdictPass),
    ("resources-within-limits", Criterion::ResourcesWithinLimits),
    ("metrics-stable", Criterion::MetricsStable),
];

impl Criterion {
    pub(crate) fn parse(s: &str) -> Result<Criterion, String> {
        let s = s.trim();
        CRITERIA.iter().find(|(n, _)| *n == s).map(|(_, c)| *c).ok_or_else(|| {
            format!(
                "unknown success criterion {s:?}; one of: {}",
                CRITERIA.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            )
        })
    }
}

impl fmt::Display for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(CRITERIA.iter().find(|(_, c)| c == self).map_or("?", |(n, _)| n))
    }
}

impl Trigger {
    /// `any-job-failure`, `job-failures > N`, `regression > P%`, `any-hard-alert`,
    /// `verdict-fail`, `resource-exhaustion`.
    pub(crate) fn parse(s: &str) -> Result<Trigger, String> {
        fn over(rest: &str) -> Option<&str> {
            rest.trim().strip_prefix('>').map(str::trim)
        }
        let s = s.trim();
        match s {
            "any-job-failure" => return Ok(Trigger::JobFailures(0)),
            "any-hard-alert" => return Ok(Trigger::AnyHardAlert),
            "verdict-fail" => return Ok(Trigger::VerdictFail),
            "resource-exhaustion" => return Ok(Trigger::ResourceExhaustion),
            _ => {}
        }
        if let Some(n) = s.strip_prefix("job-failures").and_then(over) {
            return n.parse().map(Trigger::JobFailures).map_err(|_| format!("{s:?}: job-failures > N needs a count"));
        }
        if let Some(p) = s.strip_prefix("regression").and_then(over) {
            return match p.strip_suffix('%').map(str::trim).and_then(|p| p.parse::<f64>().ok()) {
                Some(p) if p >= 0.0 && p.is_finite() => Ok(Trigger::Regression(p)),
                _ => Err(format!("{s:?}: regression > P% needs a percentage (e.g. \"regression > 10%\")")),
            };
        }
        Err(format!(
            "unknown rollback trigger {s:?}; one of: any-job-failure, job-failures > N, regression > P%, any-hard-alert, verdict-fail, resource-exhaustion"
        ))
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::JobFailures(0) => f.write_str("any-job-failure"),
            Trigger::JobFailures(n) => write!(f, "job-failures > {n}"),
            Trigger::Regression(p) => write!(f, "regression > {p}%"),
            Trigger::AnyHardAlert => f.write_str("any-hard-alert"),
            Trigger::VerdictFail => f.write_str("verdict-fail"),
            Trigger::ResourceExhaustion => f.write_str("resource-exhaustion"),
        }
    }
}

/// What a stage is judged on, taken from the app at one moment.
#[derive(Debug, Clone, Default)]
pub(crate) struct StageInputs {
    /// Since the stage began (its state file's start), and its minimum duration.
    pub(crate) elapsed: Duration,
    pub(crate) min_duration: Duration,
    pub(crate) outcome: Option<Outcome>,
    /// Class and change (%) of throughput and p99 latency.
    pub(crate) throughput: Option<(Class, Option<f64>)>,
    pub(crate) latency: Option<(Class, Option<f64>)>,
    /// Every alert of this run: rule, severity, active now.
    pub(crate) alerts: Vec<(RuleId, Severity, bool)>,
    /// Variant job failures since the stage began: restarts, and jobs that ended FAILED or
    /// CANCELED.
    pub(crate) job_failures: u64,
    /// Variant jobs seen, and of them not RUNNING now (names).
    pub(crate) jobs: usize,
    pub(crate) jobs_not_running: Vec<String>,
    /// Sources failed or stale now.
    pub(crate) sources_down: Vec<String>,
}

/// ✓ met, ✗ not met, … cannot tell yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Mark {
    Met,
    Unmet,
    Pending,
}

impl Mark {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Mark::Met => "✓",
            Mark::Unmet => "✗",
            Mark::Pending => "…",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Decision {
    /// Every criterion met after the minimum duration: move on to the next stage.
    Go,
    /// A trigger fired.
    RollBack,
    /// Neither yet.
    NotYet,
}

impl Decision {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Decision::Go => "GO",
            Decision::RollBack => "ROLL BACK",
            Decision::NotYet => "NOT YET",
        }
    }

    /// `check --stage`: 0 go, 1 roll back, 3 not yet.
    pub(crate) fn exit_code(self) -> u8 {
        match self {
            Decision::Go => 0,
            Decision::RollBack => 1,
            Decision::NotYet => 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct Line {
    pub(crate) name: String,
    pub(crate) mark: Mark,
    pub(crate) why: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct StageJudgement {
    pub(crate) decision: Decision,
    pub(crate) elapsed_s: f64,
    pub(crate) min_duration_s: f64,
    pub(crate) criteria: Vec<Line>,
    /// Each trigger: `Unmet` is quiet, `Met` has fired.
    pub(crate) triggers: Vec<Line>,
}

const RESOURCE_RULES: [RuleId; 3] = [RuleId::Cpu, RuleId::Memory, RuleId::OutOfMemory];

pub(crate) fn judge(criteria: &[Criterion], triggers: &[Trigger], i: &StageInputs) -> StageJudgement {
    let triggers: Vec<Line> = triggers
        .iter()
        .map(|t| {
            let (fired, why) = trigger(*t, i);
            Line { name: t.to_string(), mark: if fired { Mark::Met } else { Mark::Unmet }, why }
        })
        .collect();
    let criteria: Vec<Line> = criteria
        .iter()
        .map(|c| {
            let (mark, why) = criterion(*c, i);
            Line { name: c.to_string(), mark, why }
        })
        .collect();
    let decision = if triggers.iter().any(|t| t.mark == Mark::Met) {
        Decision::RollBack
    } else if i.elapsed >= i.min_duration && criteria.iter().all(|c| c.mark == Mark::Met) {
        Decision::Go
    } else {
        Decision::NotYet
    };
    StageJudgement {
        decision,
        elapsed_s: i.elapsed.as_secs_f64(),
        min_duration_s: i.min_duration.as_secs_f64(),
        criteria,
        triggers,
    }
}

fn worse(m: Option<(Class, Option<f64>)>) -> Option<f64> {
    match m {
        Some((Class::Worse, c)) => Some(c.unwrap_or(0.0).abs()),
        _ => None,
    }
}

fn alerts(i: &StageInputs, pick: impl Fn(RuleId, Severity, bool) -> bool) -> Vec<&'static str> {
    i.alerts.iter().filter(|(r, s, a)| pick(*r, *s, *a)).map(|(r, _, _)| r.as_str()).collect()
}

fn trigger(t: Trigger, i: &StageInputs) -> (bool, String) {
    match t {
        Trigger::JobFailures(n) => {
            (i.job_failures > n, format!("{} variant job failure(s) in the stage", i.job_failures))
        }
        Trigger::Regression(p) => {
            let hits: Vec<String> = [("throughput", i.throughput), ("p99 latency", i.latency)]
                .into_iter()
                .filter_map(|(name, m)| worse(m).filter(|c| *c > p).map(|c| format!("{name} {c:.1}% worse")))
                .collect();
            if hits.is_empty() {
                (false, format!("no significant regression over {p}%"))
            } else {
                (true, hits.join(", "))
            }
        }
        Trigger::AnyHardAlert => {
            let hard = alerts(i, |_, s, active| s == Severity::Hard && active);
            (!hard.is_empty(), if hard.is_empty() { "no hard alert active".into() } else { hard.join(", ") })
        }
        Trigger::VerdictFail => {
            (i.outcome == Some(Outcome::Fail), format!("verdict {}", i.outcome.map_or("—", Outcome::as_str)))
        }
        Trigger::ResourceExhaustion => {
            let hits = alerts(i, |r, s, active| RESOURCE_RULES.contains(&r) && (active || s == Severity::Hard));
            (!hits.is_empty(), if hits.is_empty() { "CPU and memory within limits".into() } else { hits.join(", ") })
        }
    }
}

fn criterion(c: Criterion, i: &StageInputs) -> (Mark, String) {
    let decided = !matches!(i.outcome, None | Some(Outcome::Inconclusive));
    let met = |ok: bool| if ok { Mark::Met } else { Mark::Unmet };
    match c {
        Criterion::NoJobFailures => {
            (met(i.job_failures == 0), format!("{} variant job failure(s) in the stage", i.job_failures))
        }
        Criterion::AllJobsRunning if i.jobs == 0 => (Mark::Pending, "no variant job seen yet".into()),
        Criterion::AllJobsRunning => (
            met(i.jobs_not_running.is_empty()),
            if i.jobs_not_running.is_empty() {
                format!("{} variant job(s) RUNNING", i.jobs)
            } else {
                format!("not running: {}", i.jobs_not_running.join(", "))
            },
        ),
        Criterion::NoAlerts => {
            let all = alerts(i, |_, _, _| true);
            (met(all.is_empty()), if all.is_empty() { "no alert".into() } else { all.join(", ") })
        }
        Criterion::NoHardAlerts => {
            let hard = alerts(i, |_, s, _| s == Severity::Hard);
            (met(hard.is_empty()), if hard.is_empty() { "no hard alert".into() } else { hard.join(", ") })
        }
        Criterion::PerformanceImproved if !decided => (Mark::Pending, "the verdict has not decided".into()),
        Criterion::PerformanceImproved => {
            let better = [i.throughput, i.latency].iter().any(|m| matches!(m, Some((Class::Better, _))));
            let regressed = worse(i.throughput).is_some() || worse(i.latency).is_some();
            let ok = i.outcome == Some(Outcome::Pass) && better && !regressed;
            let why = match (i.outcome == Some(Outcome::Pass), better, regressed) {
                (_, _, true) => "throughput or p99 latency significantly worse".to_string(),
                (false, _, _) => format!("verdict {}", i.outcome.map_or("—", Outcome::as_str)),
                (true, false, _) => "neither throughput nor p99 latency significantly better".to_string(),
                (true, true, false) => "PASS, and throughput or p99 latency significantly better".to_string(),
            };
            (met(ok), why)
        }
        Criterion::NoRegression if !decided => (Mark::Pending, "the verdict has not decided".into()),
        Criterion::NoRegression => {
            let regressed = worse(i.throughput).is_some() || worse(i.latency).is_some();
            (
                met(!regressed),
                if regressed {
                    "throughput or p99 latency significantly worse".into()
                } else {
                    "no significant regression".into()
                },
            )
        }
        Criterion::VerdictPass if !decided => (Mark::Pending, "the verdict has not decided".into()),
        Criterion::VerdictPass => {
            (met(i.outcome == Some(Outcome::Pass)), format!("verdict {}", i.outcome.map_or("—", Outcome::as_str)))
        }
        Criterion::ResourcesWithinLimits => {
            let hits = alerts(i, |r, _, active| RESOURCE_RULES.contains(&r) && active);
            (
                met(hits.is_empty()),
                if hits.is_empty() { "CPU and memory within limits".into() } else { hits.join(", ") },
            )
        }
        Criterion::MetricsStable if !i.sources_down.is_empty() => {
            (Mark::Unmet, format!("source(s) down: {}", i.sources_down.join(", ")))
        }
        Criterion::MetricsStable if !decided => (Mark::Pending, "the judgement needs more samples".into()),
        Criterion::MetricsStable => (Mark::Met, "judged, every source live".into()),
    }
}

/// The metrics the stage's performance criteria read.
pub(crate) const THROUGHPUT: MetricKey = MetricKey::RecordsInPerS;
pub(crate) const LATENCY: MetricKey = MetricKey::LatencyP99Ms;

#[cfg(test)]
mod tests;
