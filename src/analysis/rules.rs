//! The test plan's failure alerts as pure rules over what the store holds.
//!
//! Hard: job failures, TaskManager failures, network timeout errors, OutOfMemoryError,
//! checkpoint failures. Soft: throughput, p99 latency, CPU, memory, backpressure.
//! Every rule judges the variant (against the baseline where the plan says "increase").

use std::time::Duration;

mod hard;

use super::judge::{Class, Judgement};
use crate::model::{Group, MetricKey, SourceKind, Store};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RuleId {
    JobFailures,
    TaskmanagerFailures,
    NetworkTimeouts,
    OutOfMemory,
    CheckpointFailures,
    Throughput,
    LatencyP99,
    Cpu,
    Memory,
    Backpressure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Hard,
    Soft,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Hard => "hard",
            Severity::Soft => "soft",
        }
    }
}

impl RuleId {
    pub(crate) const ALL: [RuleId; 10] = [
        RuleId::JobFailures,
        RuleId::TaskmanagerFailures,
        RuleId::NetworkTimeouts,
        RuleId::OutOfMemory,
        RuleId::CheckpointFailures,
        RuleId::Throughput,
        RuleId::LatencyP99,
        RuleId::Cpu,
        RuleId::Memory,
        RuleId::Backpressure,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RuleId::JobFailures => "job-failures",
            RuleId::TaskmanagerFailures => "taskmanager-failures",
            RuleId::NetworkTimeouts => "network-timeouts",
            RuleId::OutOfMemory => "out-of-memory",
            RuleId::CheckpointFailures => "checkpoint-failures",
            RuleId::Throughput => "throughput",
            RuleId::LatencyP99 => "latency-p99",
            RuleId::Cpu => "cpu",
            RuleId::Memory => "memory",
            RuleId::Backpressure => "backpressure",
        }
    }

    pub(crate) fn severity(self) -> Severity {
        match self {
            RuleId::JobFailures
            | RuleId::TaskmanagerFailures
            | RuleId::NetworkTimeouts
            | RuleId::OutOfMemory
            | RuleId::CheckpointFailures => Severity::Hard,
            _ => Severity::Soft,
        }
    }

    /// The metric a soft rule watches (hard rules watch health counts).
    pub(crate) fn metric(self) -> MetricKey {
        match self {
            RuleId::JobFailures => MetricKey::Restarts,
            RuleId::TaskmanagerFailures => MetricKey::TaskManagers,
            RuleId::NetworkTimeouts | RuleId::OutOfMemory => MetricKey::Restarts,
            RuleId::CheckpointFailures => MetricKey::CheckpointsFailed,
            RuleId::Throughput => MetricKey::RecordsInPerS,
            RuleId::LatencyP99 => MetricKey::LatencyP99Ms,
            RuleId::Cpu => MetricKey::CpuCores,
            RuleId::Memory => MetricKey::HeapUsedBytes,
            RuleId::Backpressure => MetricKey::BackpressuredMsPerS,
        }
    }
}

/// How long a condition must hold before its alert fires.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Hold {
    /// Consecutive breaching evaluations (an evaluation runs on each metrics refresh).
    Evaluations(u32),
    /// A duration ("30s" in the config).
    Duration(Duration),
}

/// One rule's settings. `threshold` is in the rule's own unit (see `RulesConfig::default`);
/// `floor` is the least absolute change that may fire a relative rule.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct RuleConfig {
    pub(crate) enabled: bool,
    pub(crate) threshold: f64,
    pub(crate) floor: f64,
    pub(crate) hold: Hold,
}

impl RuleConfig {
    const fn new(threshold: f64, floor: f64, hold: u32) -> Self {
        RuleConfig { enabled: true, threshold, floor, hold: Hold::Evaluations(hold) }
    }
}

/// Every rule, with the test plan's thresholds as defaults.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct RulesConfig {
    pub(crate) rules: BTreeMap<RuleId, RuleConfig>,
}

impl Default for RulesConfig {
    fn default() -> Self {
        let rules = [
            // restarts (+ a FAILED job) of the variant over the baseline's, in % ; floor: restarts
            (RuleId::JobFailures, RuleConfig::new(10.0, 2.0, 3)),
            // share of expected TaskManagers lost, variant minus baseline, in % ; floor: TaskManagers
            (RuleId::TaskmanagerFailures, RuleConfig::new(20.0, 1.0, 3)),
            // network connection/timeout errors per minute (absolute)
            (RuleId::NetworkTimeouts, RuleConfig::new(100.0, 0.0, 1)),
            // OutOfMemoryErrors in the window (any)
            (RuleId::OutOfMemory, RuleConfig::new(0.0, 0.0, 1)),
            // failed / triggered checkpoints in the window, in % ; floor: failed checkpoints
            (RuleId::CheckpointFailures, RuleConfig::new(10.0, 2.0, 3)),
            // throughput decrease in % ; floor: records/s
            (RuleId::Throughput, RuleConfig::new(15.0, 1.0, 3)),
            // p99 latency increase in % ; floor: ms
            (RuleId::LatencyP99, RuleConfig::new(50.0, 5.0, 3)),
            // CPU increase in % ; floor: cores per TaskManager
            (RuleId::Cpu, RuleConfig::new(30.0, 0.05, 3)),
            // heap increase in % ; floor: bytes per TaskManager
            (RuleId::Memory, RuleConfig::new(25.0, 16.0 * 1024.0 * 1024.0, 3)),
            // backpressured time as a multiple of the baseline's ; floor: ms/s
            (RuleId::Backpressure, RuleConfig::new(2.0, 50.0, 3)),
        ];
        RulesConfig { rules: rules.into_iter().collect() }
    }
}

/// What a breaching rule saw.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Breach {
    pub(crate) observed: f64,
    pub(crate) baseline: f64,
    pub(crate) threshold: f64,
    pub(crate) message: String,
}

/// The counts the hard rules read, per group, over the window.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct GroupHealth {
    /// Job failures: restarts in the window (pair mode) or new failures on the group's
    /// TaskManagers (split mode), plus one for a FAILED job.
    pub(crate) failures: f64,
    pub(crate) expected_taskmanagers: usize,
    pub(crate) taskmanagers: usize,
    /// New network connection/timeout errors in the last minute (exception history).
    pub(crate) network_errors_per_min: f64,
    /// TCP timeouts (TcpExt TCPTimeouts) in the last minute on the group's hosts, and which
    /// source counted them (the host source: this host's /proc; Prometheus: node_exporter).
    pub(crate) tcp_timeouts_per_min: Option<(f64, SourceKind)>,
    pub(crate) out_of_memory: usize,
    /// Checkpoints failed and triggered in the window, the first trigger's failure excluded.
    pub(crate) checkpoints_failed: f64,
    pub(crate) checkpoints_triggered: f64,
}

/// Reads the health counts of a group from the store.
pub(crate) fn group_health(store: &Store, group: Group, now: f64, window_s: f64, split: bool) -> GroupHealth {
    let g = store.group(group);
    let from = now - window_s;
    let failures = if split {
        g.exceptions.new.iter().filter(|e| e.t >= from && !e.entry.concurrent).count() as f64
    } else {
        super::window_stats(g.series(MetricKey::Restarts), from, true).delta.unwrap_or(0.0)
    } + if g.job.as_ref().is_some_and(|j| j.state.is_failed()) { 1.0 } else { 0.0 };
    let (failed, triggered) = checkpoint_counts(store, group, from);
    GroupHealth {
        failures,
        expected_taskmanagers: g.expected_taskmanagers,
        taskmanagers: g.taskmanagers.len(),
        network_errors_per_min: g.exceptions.network_since(now - 60.0) as f64,
        tcp_timeouts_per_min: tcp_timeouts_per_min(store, group, now),
        out_of_memory: g.exceptions.out_of_memory().filter(|e| e.t >= from).count(),
        checkpoints_failed: failed,
        checkpoints_triggered: triggered,
    }
}

/// The mean TCP timeout rate over the last minute, as a count per minute.
fn tcp_timeouts_per_min(store: &Store, group: Group, now: f64) -> Option<(f64, SourceKind)> {
    let g = store.group(group);
    let key = MetricKey::TcpTimeoutsPerS;
    let rates: Vec<f64> = g.series(key).values_since(now - 60.0).map(|(_, v)| v).collect();
    let source = g.provider(key)?;
    (!rates.is_empty()).then(|| (rates.iter().sum::<f64>() / rates.len() as f64 * 60.0, source))
}

/// Failed and triggered checkpoints in the window. The job's first failure while no
/// checkpoint has completed yet is the first trigger before the tasks ran: Flink counts
/// one on every healthy job, so it is not a failure here. Every later one is, completed
/// checkpoints or not (a variant that breaks every checkpoint is the case that matters).
fn checkpoint_counts(store: &Store, group: Group, from: f64) -> (f64, f64) {
    let g = store.group(group);
    let completed: Vec<(f64, f64)> = g.series(MetricKey::CheckpointsCompleted).values_since(from).collect();
    let failed: Vec<(f64, f64)> = g.series(MetricKey::CheckpointsFailed).values_since(from).collect();
    let completed_at = |t: f64| completed.iter().rev().find(|(ct, _)| *ct <= t).map_or(0.0, |(_, v)| *v);
    let mut failed_n = 0.0;
    for w in failed.windows(2) {
        let ((_, a), (t, b)) = (w[0], w[1]);
        let inc = if b >= a { b - a } else { b };
        // The failure that took the job's count from 0 to 1 before any completion.
        let first_trigger = completed_at(t) <= 0.0 && b - inc < 1.0;
        failed_n += if first_trigger { (inc - 1.0).max(0.0) } else { inc };
    }
    let completed_n =
        super::compare::window_stats(g.series(MetricKey::CheckpointsCompleted), from, true).delta.unwrap_or(0.0);
    (failed_n, failed_n + completed_n)
}

/// Evaluates one rule. `None`: the condition does not hold (or the rule cannot tell).
pub(crate) fn evaluate(
    rule: RuleId,
    c: &RuleConfig,
    base: &GroupHealth,
    var: &GroupHealth,
    judgements: &BTreeMap<MetricKey, Judgement>,
) -> Option<Breach> {
    if !c.enabled {
        return None;
    }
    match rule {
        RuleId::JobFailures => hard::job_failures(c, base, var),
        RuleId::TaskmanagerFailures => hard::taskmanager_failures(c, base, var),
        RuleId::NetworkTimeouts => hard::network_timeouts(c, base, var),
        RuleId::OutOfMemory => hard::out_of_memory(c, base, var),
        RuleId::CheckpointFailures => hard::checkpoint_failures(c, base, var),
        RuleId::Throughput | RuleId::LatencyP99 | RuleId::Cpu | RuleId::Memory | RuleId::Backpressure => {
            soft(rule, c, judgements.get(&rule.metric())?)
        }
    }
}

/// The variant's window mean at which a soft rule breaches, given the baseline's: below
/// it for throughput, above it for latency, CPU and memory, at or above it for
/// backpressure (a multiple of the baseline). Both the threshold and the absolute floor
/// hold beyond it. `None` where a relative rule has no baseline to be relative to. The
/// charts draw this same line.
pub(crate) fn soft_level(rule: RuleId, c: &RuleConfig, baseline: f64) -> Option<f64> {
    let b = baseline;
    match rule {
        RuleId::Backpressure => Some((c.threshold * b).max(b + c.floor)),
        _ if b == 0.0 || !b.is_finite() => None,
        RuleId::Throughput => Some((b - c.threshold / 100.0 * b.abs()).min(b - c.floor)),
        _ => Some((b + c.threshold / 100.0 * b.abs()).max(b + c.floor)),
    }
}

/// Whether the variant's mean `v` is beyond the rule's level.
fn beyond(rule: RuleId, level: f64, v: f64) -> bool {
    match rule {
        RuleId::Backpressure => v >= level,
        RuleId::Throughput => v < level,
        _ => v > level,
    }
}

/// Soft rules fire only on a significant change in the bad direction, beyond the
/// threshold and the absolute floor.
fn soft(rule: RuleId, c: &RuleConfig, j: &Judgement) -> Option<Breach> {
    if j.class != Class::Worse {
        return None;
    }
    let (b, v) = (j.baseline?.mean, j.variant?.mean);
    let holds = soft_level(rule, c, b).is_some_and(|level| beyond(rule, level, v));
    let observed_label = match rule {
        RuleId::Backpressure if b > 0.0 => format!("{:.1}x the baseline", v / b),
        RuleId::Backpressure => format!("{v:.0} ms/s against none on the baseline"),
        _ => format!("{:+.1}%", j.change_pct?),
    };
    holds.then(|| Breach {
        observed: v,
        baseline: b,
        threshold: c.threshold,
        message: format!(
            "{} {} (p = {:.2e}, significant)",
            rule.metric().label(),
            observed_label,
            j.p.unwrap_or(f64::NAN)
        ),
    })
}

/// Keeps rule evaluations apart from time: `hold` in evaluations or seconds.
pub(crate) fn holds_long_enough(hold: Hold, consecutive: u32, breaching_for: Duration) -> bool {
    match hold {
        Hold::Evaluations(n) => consecutive >= n.max(1),
        Hold::Duration(d) => breaching_for >= d && consecutive >= 1,
    }
}

#[cfg(test)]
mod tests;
