//! One rollback run: lock, audit "started", each step in order (stopping at the first
//! failure unless the step says otherwise), an audit line per step, the evidence files.
//! Progress goes back to the event loop as `ActionEvent`s; the UI keeps drawing.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::mpsc;

use super::placeholders::Targets;
use super::runner::{self, PreparedStep, StepEnv, StepResult, StepState, Tail};
use super::{audit, evidence};
use crate::config::{GroupConfig, HttpSettings};
use crate::event::Event;

/// The longest the settings read may delay the first step.
const SETTINGS_WAIT: Duration = Duration::from_secs(10);

/// Everything a run needs, decided by the app when the operator confirmed.
#[derive(Debug, Clone)]
pub struct Plan {
    pub steps: Vec<PreparedStep>,
    pub env: BTreeMap<String, String>,
    pub workdir: Option<PathBuf>,
    pub grace: Duration,
    pub dry_run: bool,
    pub audit_log: PathBuf,
    pub evidence_dir: PathBuf,
    pub lock_file: PathBuf,
    pub targets: Targets,
    /// Verdict, alerts and the per-metric comparison at confirmation time.
    pub context: serde_json::Value,
    /// For the evidence: the groups' REST endpoints.
    pub groups: [GroupConfig; 2],
    pub http: HttpSettings,
    /// "manual" or "auto".
    pub trigger: &'static str,
}

#[derive(Debug, Clone)]
pub enum ActionEvent {
    StepStarted { index: usize, tail: Tail },
    StepFinished { index: usize, result: StepResult },
    Finished { ok: bool, message: String, evidence: Option<PathBuf> },
}

fn now_rfc3339() -> String {
    crate::analysis::alerts::rfc3339(std::time::SystemTime::now())
}

async fn send(tx: &mpsc::Sender<Event>, e: ActionEvent) {
    let _ = tx.send(Event::Action(e)).await;
}

/// Runs the plan to its end, reporting as it goes.
pub async fn execute(plan: Plan, tx: mpsc::Sender<Event>) {
    let started = Instant::now();
    let _lock = match audit::lock(&plan.lock_file) {
        Ok(l) => l,
        Err(e) => {
            let message = format!("not started: another rollback holds {} ({e})", plan.lock_file.display());
            send(&tx, ActionEvent::Finished { ok: false, message, evidence: None }).await;
            return;
        }
    };
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    let started_at = now_rfc3339();
    let steps_json: Vec<_> = plan.steps.iter().map(|s| json!({"name": s.name, "argv": s.argv})).collect();
    let head = json!({
        "event": "rollback-started",
        "time": started_at,
        "user": audit::user(),
        "host": audit::host(),
        "version": env!("CARGO_PKG_VERSION"),
        "trigger": plan.trigger,
        "dry_run": plan.dry_run,
        "targets": plan.targets,
        "verdict": plan.context["verdict"],
        "alerts": plan.context["active_alerts"],
        "steps": steps_json,
    });
    if let Err(e) = audit::append(&plan.audit_log, &head) {
        // No audit, no action: an unrecorded rollback is worse than none.
        let message = format!("not started: cannot write the audit log {}: {e}", plan.audit_log.display());
        send(&tx, ActionEvent::Finished { ok: false, message, evidence: None }).await;
        return;
    }
    // The settings being rolled back are read before the first step changes them; a slow
    // or dead endpoint delays the rollback by at most SETTINGS_WAIT.
    let settings = {
        let (b, v) = (&plan.groups[0], &plan.groups[1]);
        let read = async {
            let (b, v) = tokio::join!(evidence::group_settings(b, &plan.http), evidence::group_settings(v, &plan.http));
            json!({"baseline": b, "variant": v})
        };
        tokio::time::timeout(SETTINGS_WAIT, read)
            .await
            .unwrap_or_else(|_| json!({"error": format!("not read within {SETTINGS_WAIT:?}")}))
    };

    let ctx = StepEnv { env: &plan.env, workdir: plan.workdir.as_ref(), grace: plan.grace };
    let mut results: Vec<Option<StepResult>> = vec![None; plan.steps.len()];
    let mut ok = true;
    for step in &plan.steps {
        let tail: Tail = Default::default();
        send(&tx, ActionEvent::StepStarted { index: step.index, tail: tail.clone() }).await;
        let result = if plan.dry_run {
            StepResult {
                state: StepState::Skipped,
                exit_code: None,
                signal: None,
                duration_ms: 0,
                tail: vec!["dry run: not run".into()],
                error: None,
            }
        } else {
            runner::run(step, &ctx, tail).await
        };
        let line = json!({
            "event": "step-finished",
            "time": now_rfc3339(),
            "index": step.index,
            "name": step.name,
            "argv": step.argv,
            "state": result.state,
            "exit_code": result.exit_code,
            "signal": result.signal,
            "duration_ms": result.duration_ms,
            "error": result.error,
            "tail": result.tail.iter().rev().take(10).rev().collect::<Vec<_>>(),
        });
        let _ = audit::append(&plan.audit_log, &line);
        let failed = matches!(result.state, StepState::Failed | StepState::TimedOut);
        results[step.index] = Some(result.clone());
        send(&tx, ActionEvent::StepFinished { index: step.index, result }).await;
        if failed {
            ok = false;
            if !step.continue_on_error {
                break;
            }
        }
    }
    let result = if plan.dry_run {
        "dry-run"
    } else if ok {
        "ok"
    } else {
        "failed"
    };
    let _ = audit::append(
        &plan.audit_log,
        &json!({"event": "rollback-finished", "time": now_rfc3339(), "result": result, "duration_ms": started.elapsed().as_millis() as u64}),
    );
    let doc = json!({
        "started": started_at,
        "finished": now_rfc3339(),
        "user": audit::user(),
        "host": audit::host(),
        "version": env!("CARGO_PKG_VERSION"),
        "trigger": plan.trigger,
        "dry_run": plan.dry_run,
        "result": result,
        "targets": plan.targets,
        "verdict": plan.context["verdict"],
        "alerts": plan.context["alerts"],
        "comparison": plan.context["comparison"],
        "settings": settings,
        "steps": plan.steps.iter().zip(&results).map(|(s, r)| json!({"name": s.name, "argv": s.argv, "result": r})).collect::<Vec<_>>(),
    });
    let evidence = evidence::write(&plan.evidence_dir, &stamp.to_string(), &doc);
    let message = match (&evidence, ok) {
        (Ok(p), true) => format!("rollback {result}; evidence in {}", p.display()),
        (Ok(p), false) => format!("rollback failed; evidence in {}", p.display()),
        (Err(e), _) => format!("rollback {result}; evidence could not be written: {e}"),
    };
    send(&tx, ActionEvent::Finished { ok, message, evidence: evidence.ok() }).await;
}
