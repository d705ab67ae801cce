//! The hard rules: the variant's failures (jobs, TaskManagers, network, OutOfMemoryError,
//! checkpoints) against the baseline's and the test plan's thresholds.

use super::{Breach, GroupHealth, RuleConfig};
use crate::model::SourceKind;

/// More job failures (restarts) in the variant than in the baseline, beyond the floor
/// and the relative threshold.
pub(super) fn job_failures(c: &RuleConfig, base: &GroupHealth, var: &GroupHealth) -> Option<Breach> {
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

/// A larger share of the variant's TaskManagers lost than of the baseline's.
pub(super) fn taskmanager_failures(c: &RuleConfig, base: &GroupHealth, var: &GroupHealth) -> Option<Breach> {
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

/// Network errors in the variant's exception history and TCP timeouts, per minute.
pub(super) fn network_timeouts(c: &RuleConfig, base: &GroupHealth, var: &GroupHealth) -> Option<Breach> {
    // TCP timeouts are counted per host: when the baseline's come from the same kind of
    // source (the same host's /proc, shared by both groups), only the variant's
    // excess over them is charged to it.
    let tcp_excess = match (var.tcp_timeouts_per_min, base.tcp_timeouts_per_min) {
        // node_exporter (Prometheus) reads each group's own hosts: nothing shared.
        (Some((v, SourceKind::Host)), Some((b, SourceKind::Host))) => Some(((v - b).max(0.0), SourceKind::Host)),
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

/// OutOfMemoryErrors in the variant's exception history during the run.
pub(super) fn out_of_memory(c: &RuleConfig, base: &GroupHealth, var: &GroupHealth) -> Option<Breach> {
    (var.out_of_memory as f64 > c.threshold).then(|| Breach {
        observed: var.out_of_memory as f64,
        baseline: base.out_of_memory as f64,
        threshold: c.threshold,
        message: format!("{} OutOfMemoryError(s) in the variant's exception history", var.out_of_memory),
    })
}

/// A share of the variant's checkpoints failed, beyond the floor.
pub(super) fn checkpoint_failures(c: &RuleConfig, base: &GroupHealth, var: &GroupHealth) -> Option<Breach> {
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
