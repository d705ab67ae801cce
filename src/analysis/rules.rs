//! The test plan's failure alerts as pure rules over what the store holds.
//!
//! Hard: job failures, TaskManager failures, network timeout errors, OutOfMemoryError,
//! checkpoint failures. Soft: throughput, p99 latency, CPU, memory, backpressure.
//! Every rule judges the variant (against the baseline where the plan says "increase").

use std::time::Duration;

use super::judge::{Class, Judgement};
use crate::model::{Group, MetricKey, SourceKind, Store};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Hard,
    Soft,
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
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Hold {
    /// Consecutive breaching evaluations (an evaluation runs on each metrics refresh).
    Evaluations(u32),
    /// A duration ("30s" in the config).
    Duration(Duration),
}

/// One rule's settings. `threshold` is in the rule's own unit (see `RulesConfig::default`);
/// `floor` is the least absolute change that may fire a relative rule.
#[derive(Debug, Clone, Copy, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
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
        RuleId::JobFailures => {
            let (v, b) = (var.failures, base.failures);
            let relative = if b > 0.0 {
                (v - b) / b * 100.0
            } else if v > 0.0 {
                f64::INFINITY
            } else {
                0.0
            };
            (v - b >= c.floor.max(1.0) && relative > c.threshold).then(|| Breach {
                observed: v,
                baseline: b,
                threshold: c.threshold,
                message: format!("variant job failures {v:.0} vs baseline {b:.0} in the window"),
            })
        }
        RuleId::TaskmanagerFailures => {
            let lost = |h: &GroupHealth| h.expected_taskmanagers.saturating_sub(h.taskmanagers);
            let share = |h: &GroupHealth| {
                if h.expected_taskmanagers == 0 { 0.0 } else { lost(h) as f64 / h.expected_taskmanagers as f64 * 100.0 }
            };
            let (v, b) = (share(var), share(base));
            (lost(var) as f64 >= c.floor.max(1.0) && v - b > c.threshold).then(|| Breach {
                observed: v,
                baseline: b,
                threshold: c.threshold,
                message: format!(
                    "variant lost {} of {} TaskManagers ({v:.0}%), baseline {b:.0}%",
                    lost(var),
                    var.expected_taskmanagers
                ),
            })
        }
        RuleId::NetworkTimeouts => {
            // TCP timeouts are counted per host: when the baseline's come from the same kind of
            // source (the same host's /proc, shared by both groups), only the variant's
            // excess over them is charged to it.
            let tcp_excess = match (var.tcp_timeouts_per_min, base.tcp_timeouts_per_min) {
                // node_exporter (Prometheus) reads each group's own hosts: nothing shared.
                (Some((v, SourceKind::Host)), Some((b, SourceKind::Host))) => {
                    Some(((v - b).max(0.0), SourceKind::Host))
                }
                (v, _) => v,
            };
            let var = &GroupHealth { tcp_timeouts_per_min: tcp_excess, ..*var };
            let total = |h: &GroupHealth| h.network_errors_per_min + h.tcp_timeouts_per_min.map_or(0.0, |(n, _)| n);
            (total(var) > c.threshold).then(|| Breach {
                observed: total(var),
                baseline: total(base),
                threshold: c.threshold,
                message: match var.tcp_timeouts_per_min {
                    Some((tcp, source)) => format!(
                        "{:.0} network errors in the last minute: {:.0} in the exception history + {tcp:.0} TCP timeouts ({})",
                        total(var),
                        var.network_errors_per_min,
                        if source == SourceKind::Host {
                            "TcpExt TCPTimeouts, this host's /proc"
                        } else {
                            "TcpExt TCPTimeouts, node_exporter"
                        }
                    ),
                    None => format!(
                        "{:.0} network connection/timeout errors in the last minute (exception history)",
                        var.network_errors_per_min
                    ),
                },
            })
        }
        RuleId::OutOfMemory => (var.out_of_memory as f64 > c.threshold).then(|| Breach {
            observed: var.out_of_memory as f64,
            baseline: base.out_of_memory as f64,
            threshold: c.threshold,
            message: format!("{} OutOfMemoryError(s) in the variant's exception history", var.out_of_memory),
        }),
        RuleId::CheckpointFailures => {
            let share = |h: &GroupHealth| {
                if h.checkpoints_triggered > 0.0 { h.checkpoints_failed / h.checkpoints_triggered * 100.0 } else { 0.0 }
            };
            let (v, b) = (share(var), share(base));
            (var.checkpoints_failed >= c.floor.max(1.0) && v > c.threshold).then(|| Breach {
                observed: v,
                baseline: b,
                threshold: c.threshold,
                message: format!(
                    "{:.0} of {:.0} checkpoints failed ({v:.0}%)",
                    var.checkpoints_failed, var.checkpoints_triggered
                ),
            })
        }
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
mod tests {
    use super::*;
    use crate::analysis::judge::{JudgeSettings, judge_samples};

    fn health() -> GroupHealth {
        GroupHealth { expected_taskmanagers: 2, taskmanagers: 2, checkpoints_triggered: 10.0, ..Default::default() }
    }

    fn eval(rule: RuleId, base: &GroupHealth, var: &GroupHealth) -> Option<Breach> {
        evaluate(rule, &RulesConfig::default().rules[&rule], base, var, &BTreeMap::new())
    }

    #[test]
    fn hard_rules_table() {
        let b = health();
        let lost_one = GroupHealth { taskmanagers: 1, ..health() };
        assert!(eval(RuleId::TaskmanagerFailures, &b, &lost_one).is_some(), "1 of 2 lost is 50%");
        assert!(eval(RuleId::TaskmanagerFailures, &lost_one, &lost_one).is_none(), "both lost the same share");
        let many = GroupHealth { expected_taskmanagers: 10, taskmanagers: 9, ..health() };
        assert!(eval(RuleId::TaskmanagerFailures, &b, &many).is_none(), "10% lost is under 20%");

        let one_restart = GroupHealth { failures: 1.0, ..health() };
        assert!(eval(RuleId::JobFailures, &b, &one_restart).is_none(), "0 -> 1 restart is under the floor");
        let three = GroupHealth { failures: 3.0, ..health() };
        assert!(eval(RuleId::JobFailures, &b, &three).is_some());
        let base_many = GroupHealth { failures: 30.0, ..health() };
        let var_slightly = GroupHealth { failures: 32.0, ..health() };
        assert!(eval(RuleId::JobFailures, &base_many, &var_slightly).is_none(), "+6.7% is under 10%");

        let net = GroupHealth { network_errors_per_min: 101.0, ..health() };
        assert!(eval(RuleId::NetworkTimeouts, &b, &net).is_some());
        assert!(
            eval(RuleId::NetworkTimeouts, &b, &GroupHealth { network_errors_per_min: 100.0, ..health() }).is_none()
        );
        // The host's TCP timeouts count too, and the message says where they came from.
        let wire = GroupHealth {
            network_errors_per_min: 40.0,
            tcp_timeouts_per_min: Some((70.0, SourceKind::Host)),
            ..health()
        };
        let breach = eval(RuleId::NetworkTimeouts, &b, &wire).expect("40 + 70 > 100");
        assert_eq!(breach.observed, 110.0);
        assert!(breach.message.contains("70 TCP timeouts") && breach.message.contains("/proc"), "{}", breach.message);
        // A host shared by both groups: its timeouts are the baseline's too, not the variant's.
        let shared = GroupHealth { tcp_timeouts_per_min: Some((150.0, SourceKind::Host)), ..health() };
        assert!(eval(RuleId::NetworkTimeouts, &shared, &shared).is_none(), "host-wide timeouts are not the variant's");
        let more = GroupHealth { tcp_timeouts_per_min: Some((300.0, SourceKind::Host)), ..health() };
        assert_eq!(eval(RuleId::NetworkTimeouts, &shared, &more).map(|b| b.observed), Some(150.0), "only the excess");
        // node_exporter reads each group's own hosts: the baseline's do not excuse the variant's.
        let node_base = GroupHealth { tcp_timeouts_per_min: Some((150.0, SourceKind::Prometheus)), ..health() };
        let node_var = GroupHealth { tcp_timeouts_per_min: Some((150.0, SourceKind::Prometheus)), ..health() };
        assert!(eval(RuleId::NetworkTimeouts, &node_base, &node_var).is_some(), "other hosts' timeouts count in full");
        let node = GroupHealth { tcp_timeouts_per_min: Some((101.0, SourceKind::Prometheus)), ..health() };
        assert!(eval(RuleId::NetworkTimeouts, &b, &node).unwrap().message.contains("node_exporter"));
        assert!(
            eval(
                RuleId::NetworkTimeouts,
                &b,
                &GroupHealth { tcp_timeouts_per_min: Some((100.0, SourceKind::Host)), ..health() }
            )
            .is_none()
        );

        assert!(eval(RuleId::OutOfMemory, &b, &GroupHealth { out_of_memory: 1, ..health() }).is_some());
        assert!(eval(RuleId::OutOfMemory, &b, &b).is_none());

        let ckpt = GroupHealth { checkpoints_failed: 2.0, checkpoints_triggered: 10.0, ..health() };
        assert!(eval(RuleId::CheckpointFailures, &b, &ckpt).is_some(), "20% failed");
        let one = GroupHealth { checkpoints_failed: 1.0, checkpoints_triggered: 2.0, ..health() };
        assert!(eval(RuleId::CheckpointFailures, &b, &one).is_none(), "under the floor of 2 failures");
    }

    fn judged(key: MetricKey, base: &[f64], var: &[f64]) -> BTreeMap<MetricKey, Judgement> {
        let s = JudgeSettings { min_samples: 10, ..JudgeSettings::default() };
        [(key, judge_samples(key, base, var, &s))].into_iter().collect()
    }

    fn soft_eval(rule: RuleId, base: &[f64], var: &[f64]) -> Option<Breach> {
        let j = judged(rule.metric(), base, var);
        evaluate(rule, &RulesConfig::default().rules[&rule], &health(), &health(), &j)
    }

    #[test]
    fn soft_rules_table() {
        let tp: Vec<f64> = (0..20).map(|i| 4000.0 + (i % 5) as f64 * 10.0).collect();
        let minus_20: Vec<f64> = tp.iter().map(|x| x * 0.8).collect();
        let minus_10: Vec<f64> = tp.iter().map(|x| x * 0.9).collect();
        assert!(soft_eval(RuleId::Throughput, &tp, &minus_20).is_some());
        assert!(soft_eval(RuleId::Throughput, &tp, &minus_10).is_none(), "-10% is under 15%");
        assert!(soft_eval(RuleId::Throughput, &tp, &tp).is_none());
        assert!(soft_eval(RuleId::Throughput, &tp[..5], &minus_20[..5]).is_none(), "LOW-N never fires");

        let bp: Vec<f64> = (0..20).map(|i| (i % 3) as f64).collect(); // 0..2 ms/s
        let bp_x3: Vec<f64> = bp.iter().map(|x| x * 3.0 + 1.0).collect(); // still a few ms/s
        assert!(soft_eval(RuleId::Backpressure, &bp, &bp_x3).is_none(), "0 -> 3 ms/s is under the floor");
        let bp_high: Vec<f64> = bp.iter().map(|x| x + 300.0).collect();
        assert!(soft_eval(RuleId::Backpressure, &bp, &bp_high).is_some());

        // Noise without a trend (a ramp would be one slow drift: no independent samples).
        let lat: Vec<f64> = (0..20).map(|i| 100.0 + ((i * 7) % 11) as f64).collect();
        let lat_up: Vec<f64> = lat.iter().map(|x| x * 1.6).collect();
        assert!(soft_eval(RuleId::LatencyP99, &lat, &lat_up).is_some());
        let lat_down: Vec<f64> = lat.iter().map(|x| x * 0.5).collect();
        assert!(soft_eval(RuleId::LatencyP99, &lat, &lat_down).is_none(), "better is not an alert");

        let nan = vec![f64::NAN; 20];
        assert!(soft_eval(RuleId::Cpu, &lat, &nan).is_none(), "no data is never a breach");
    }

    /// A store whose variant reports these (completed, failed) checkpoint counts, 10 s apart.
    fn checkpoints(counts: &[(f64, f64)]) -> (f64, f64) {
        let t0 = std::time::Instant::now();
        let mut store = Store::with_epoch(t0, Duration::from_secs(3600), Duration::from_secs(1));
        for (i, (ok, failed)) in counts.iter().enumerate() {
            let b = crate::model::Batch {
                gauges: vec![
                    (MetricKey::CheckpointsCompleted, Some(*ok)),
                    (MetricKey::CheckpointsFailed, Some(*failed)),
                ],
                epoch: 1,
                taskmanagers: vec!["tm-var-1".into()],
                ..crate::model::Batch::new(
                    crate::model::SourceKind::FlinkRest,
                    t0 + Duration::from_secs(10 * i as u64),
                    Duration::from_secs(10),
                )
            };
            store.ingest(Group::Variant, b);
        }
        checkpoint_counts(&store, Group::Variant, 0.0)
    }

    #[test]
    fn checkpoint_failures_count_when_none_complete() {
        // A healthy job: the first trigger failed before the tasks ran, then all complete.
        assert_eq!(checkpoints(&[(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (2.0, 1.0)]), (0.0, 2.0));
        // Every checkpoint fails and none completes: all but that first one count.
        assert_eq!(checkpoints(&[(0.0, 0.0), (0.0, 1.0), (0.0, 2.0), (0.0, 3.0), (0.0, 4.0)]), (3.0, 3.0));
        // Failures after completions count in full.
        assert_eq!(checkpoints(&[(5.0, 1.0), (6.0, 3.0)]), (2.0, 3.0));
        let (failed, triggered) = checkpoints(&[(0.0, 1.0), (0.0, 2.0), (0.0, 3.0), (0.0, 4.0)]);
        let var = GroupHealth { checkpoints_failed: failed, checkpoints_triggered: triggered, ..health() };
        assert!(eval(RuleId::CheckpointFailures, &health(), &var).is_some(), "all failing is a hard alert");
    }

    #[test]
    fn disabled_rules_never_fire() {
        let mut c = RulesConfig::default().rules[&RuleId::OutOfMemory];
        c.enabled = false;
        let oom = GroupHealth { out_of_memory: 3, ..health() };
        assert!(evaluate(RuleId::OutOfMemory, &c, &health(), &oom, &BTreeMap::new()).is_none());
    }
}
