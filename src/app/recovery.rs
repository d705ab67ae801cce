//! After a rollback: is the variant recovered? As the test plan's procedure says: its jobs
//! RUNNING again, restored from a checkpoint (where Flink reports one), and its throughput
//! and p99 latency back within the configured distance of the baseline's, within a deadline.
//! The first answer (recovered, or not by the deadline) is kept and written to the audit log
//! and the rollback's evidence.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{App, Command};
use crate::model::{Group, MetricKey};

/// Seconds of samples each group's mean is taken over.
const RECENT_S: f64 = 60.0;
/// Variant samples after the rollback needed before its figures count.
const MIN_SAMPLES: usize = 3;

#[derive(Debug, Clone)]
pub(crate) struct Recovery {
    pub(crate) started: Instant,
    /// The store's time when the rollback ended: only samples after it say anything.
    started_t: f64,
    pub(crate) deadline: Duration,
    tolerance_pct: f64,
    /// The variant's jobs and the checkpoint each had restored from when the rollback started.
    restored_before: BTreeMap<String, Option<u64>>,
    /// The rollback's evidence (its JSON; the Markdown beside it).
    evidence: Option<PathBuf>,
    /// The checks as last evaluated: (what, ok, why).
    pub(crate) checks: Vec<(String, bool, String)>,
    pub(crate) result: Option<RecoveryResult>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RecoveryResult {
    pub(crate) recovered: bool,
    pub(crate) after: Duration,
    /// "recovered in 2m10s" or "not recovered: p99 latency +80% against the baseline".
    pub(crate) summary: String,
}

/// What the run loop writes: the audit line and the evidence's section.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryRecord {
    pub(crate) audit_log: PathBuf,
    pub(crate) evidence: Option<PathBuf>,
    pub(crate) line: serde_json::Value,
    pub(crate) markdown: String,
}

impl App {
    /// A rollback ended: start verifying the variant's recovery (not after a dry run, nor a
    /// failed rollback: there is nothing to verify).
    pub(crate) fn start_recovery(&mut self, evidence: Option<PathBuf>) {
        let Some(r) = &self.settings.rollback else { return };
        let view = &self.live;
        let restored_before = self.rollback.restored_before.clone();
        self.recovery = Some(Recovery {
            started: self.now(),
            started_t: view.now,
            deadline: r.recovery_deadline.0,
            tolerance_pct: r.recovery_tolerance_pct,
            restored_before,
            evidence,
            checks: Vec::new(),
            result: None,
        });
        tracing::info!(deadline_s = r.recovery_deadline.0.as_secs(), "verifying the variant's recovery");
    }

    /// On every evaluation: the checks, and once they all hold (or the deadline passed)
    /// the result, to be written.
    pub(crate) fn check_recovery(&mut self) -> Option<Command> {
        let rec = self.recovery.as_ref()?;
        if rec.result.is_some() {
            return None;
        }
        let checks = self.recovery_checks(rec);
        let after = self.now().saturating_duration_since(rec.started);
        let all = !checks.is_empty() && checks.iter().all(|(_, ok, _)| *ok);
        let result = if all {
            Some(RecoveryResult {
                recovered: true,
                after,
                summary: format!("recovered in {}", crate::format::age(after.as_millis() as u64)),
            })
        } else if after >= rec.deadline {
            let failed: Vec<String> = checks.iter().filter(|(_, ok, _)| !ok).map(|(_, _, why)| why.clone()).collect();
            Some(RecoveryResult { recovered: false, after, summary: format!("not recovered: {}", failed.join("; ")) })
        } else {
            None
        };
        let audit_log = self.settings.rollback.as_ref()?.audit_log.clone();
        let wall = self.wall_clock();
        let rec = self.recovery.as_mut()?;
        rec.checks = checks;
        let result = result?;
        rec.result = Some(result.clone());
        tracing::warn!(recovered = result.recovered, summary = %result.summary, "rollback recovery");
        let line = serde_json::json!({
            "event": "rollback-recovery",
            "time": crate::analysis::alerts::rfc3339(wall),
            "result": if result.recovered { "recovered" } else { "not-recovered" },
            "after_s": result.after.as_secs_f64(),
            "deadline_s": rec.deadline.as_secs_f64(),
            "summary": result.summary,
            "checks": rec.checks.iter().map(|(what, ok, why)| serde_json::json!({"check": what, "ok": ok, "why": why})).collect::<Vec<_>>(),
        });
        let mut markdown =
            format!("\n## Recovery\n\n**{}** (deadline {})\n\n", result.summary, crate::format::duration(rec.deadline));
        for (what, ok, why) in &rec.checks {
            markdown.push_str(&format!("- {} {what}: {why}\n", if *ok { "✓" } else { "✗" }));
        }
        Some(Command::RecordRecovery(Box::new(RecoveryRecord {
            audit_log,
            evidence: rec.evidence.clone(),
            line,
            markdown,
        })))
    }

    fn recovery_checks(&self, rec: &Recovery) -> Vec<(String, bool, String)> {
        let store = &self.live.store;
        let now = self.live.now;
        let rows = &store.group(Group::Variant).jobs.rows;
        let mut out = Vec::new();
        let running: Vec<&str> = rows.iter().filter(|j| j.state.is_running()).map(|j| j.name.as_str()).collect();
        let not: Vec<String> =
            rows.iter().filter(|j| !j.state.is_running()).map(|j| format!("{} {}", j.name, j.state)).collect();
        out.push(match (rows.is_empty(), not.is_empty()) {
            (true, _) => ("jobs RUNNING".into(), false, "no variant job seen".into()),
            (false, true) => ("jobs RUNNING".into(), true, format!("{} RUNNING", running.join(", "))),
            (false, false) => ("jobs RUNNING".into(), false, format!("not running: {}", not.join(", "))),
        });
        // Restored from a checkpoint: a new restored id (the same job failed over), or a
        // restored id on a job that is new since the rollback (resubmitted from one).
        let restored: Vec<String> = rows
            .iter()
            .filter(|j| j.state.is_running())
            .filter_map(|j| {
                let c = j.checkpoints.as_ref()?;
                let before = rec.restored_before.get(&j.id).copied().flatten();
                Some(match c.restored_id {
                    Some(id) if Some(id) != before => Ok(format!("{} from checkpoint {id}", j.name)),
                    _ => Err(format!("{} not restored from a checkpoint", j.name)),
                })
            })
            .map(|r| r.unwrap_or_else(|e| format!("✗{e}")))
            .collect();
        if !restored.is_empty() {
            let bad: Vec<&str> = restored.iter().filter_map(|r| r.strip_prefix('✗')).collect();
            out.push(if bad.is_empty() {
                ("restored from a checkpoint".into(), true, restored.join(", "))
            } else {
                ("restored from a checkpoint".into(), false, bad.join(", "))
            });
        }
        let from = (now - RECENT_S).max(rec.started_t);
        for (key, what) in [(MetricKey::RecordsInPerS, "throughput"), (MetricKey::LatencyP99Ms, "p99 latency")] {
            let mean = |g: Group, since: f64| {
                let v: Vec<f64> = store.group(g).series(key).values_since(since).map(|(_, v)| v).collect();
                (v.len(), (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64))
            };
            let (n, variant) = mean(Group::Variant, from);
            let (_, baseline) = mean(Group::Baseline, now - RECENT_S);
            match (baseline, variant) {
                (None, _) if key == MetricKey::LatencyP99Ms => continue,
                (Some(b), Some(v)) if n >= MIN_SAMPLES && b.abs() > f64::EPSILON => {
                    let change = (v - b) / b.abs() * 100.0;
                    let ok = change.abs() <= rec.tolerance_pct;
                    out.push((
                        format!("{what} within {}% of the baseline", rec.tolerance_pct),
                        ok,
                        format!("{what} {change:+.0}% against the baseline"),
                    ));
                }
                _ => out.push((
                    format!("{what} within {}% of the baseline", rec.tolerance_pct),
                    false,
                    format!("{what}: {n} variant samples since the rollback (needs {MIN_SAMPLES})"),
                )),
            }
        }
        out
    }
}
