//! One rollback run: lock, audit "started", each step in order (stopping at the first
//! failure unless the step says otherwise), an audit line per step, the evidence files.
//! Progress goes back to the event loop as `ActionEvent`s; the UI keeps drawing.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::mpsc;

use super::placeholders::Targets;
use super::runner::{self, PreparedStep, StepEnv, StepResult, StepState};
use super::{audit, evidence};
use crate::event::Event;
pub use crate::model::step::{ActionEvent, Context, MetricContext, Trigger};

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
    pub context: Context,
    /// For the evidence: both groups' settings as the sources last read them, with their
    /// review (read before the first step changes them: the settings being rolled back).
    pub settings: Box<crate::analysis::settings::State>,
    pub trigger: Trigger,
}

fn now_rfc3339() -> String {
    crate::analysis::alerts::rfc3339(std::time::SystemTime::now())
}

async fn send(tx: &mpsc::Sender<Event>, e: ActionEvent) {
    let _ = tx.send(Event::Action(e)).await;
}

/// File work (fsync, flock, evidence) on the blocking pool: an NFS home or a full disk
/// stalls that thread, not the async workers that poll and draw.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> std::io::Result<T> + Send + 'static) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
}

async fn append(path: &std::path::Path, line: serde_json::Value) -> std::io::Result<()> {
    let path = path.to_path_buf();
    blocking(move || audit::append(&path, &line)).await
}

/// What the steps came to.
struct Outcome {
    results: Vec<Option<StepResult>>,
    ok: bool,
    interrupted: bool,
    /// A step's audit line could not be written: the run stopped there.
    audit_error: Option<String>,
}

impl Outcome {
    fn result(&self, dry_run: bool) -> &'static str {
        if self.interrupted {
            "interrupted"
        } else if self.audit_error.is_some() || !self.ok {
            "failed"
        } else if dry_run {
            "dry-run"
        } else {
            "ok"
        }
    }
}

/// Runs the plan to its end, reporting as it goes. Setting `interrupt` ends the running
/// step's process group (SIGTERM, then SIGKILL after the grace period), runs no further
/// step, and still writes the audit's `rollback-finished` line (`interrupted`) and the
/// evidence.
pub async fn execute(plan: Plan, tx: mpsc::Sender<Event>, mut interrupt: runner::Interrupt) {
    let started = Instant::now();
    let lock_file = plan.lock_file.clone();
    let _lock = match blocking(move || audit::lock(&lock_file)).await {
        Ok(l) => l,
        Err(e) => {
            let message = format!("not started: another rollback holds {} ({e})", plan.lock_file.display());
            send(&tx, ActionEvent::Finished { ok: false, message, evidence: None }).await;
            return;
        }
    };
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    let started_at = now_rfc3339();
    if let Err(e) = append(&plan.audit_log, started_line(&plan, &started_at)).await {
        // No audit, no action: an unrecorded rollback is worse than none.
        let message = format!("not started: cannot write the audit log {}: {e}", plan.audit_log.display());
        send(&tx, ActionEvent::Finished { ok: false, message, evidence: None }).await;
        return;
    }
    // The settings being rolled back: the last read before the first step changes them.
    let settings = crate::analysis::settings::doc::document(&plan.settings);
    let settings_md = crate::analysis::settings::doc::markdown(&plan.settings);
    let outcome = run_steps(&plan, &tx, &mut interrupt).await;
    let result = outcome.result(plan.dry_run);
    let finished = json!({
        "event": "rollback-finished",
        "time": now_rfc3339(),
        "result": result,
        "audit_error": outcome.audit_error,
        "duration_ms": started.elapsed().as_millis() as u64,
    });
    let finish_error = append(&plan.audit_log, finished).await.err().map(|e| e.to_string());
    let audit_error = outcome.audit_error.clone().or(finish_error);
    let doc = evidence_doc(&plan, &started_at, result, &settings, &outcome, audit_error.as_deref());
    let (dir, name) = (plan.evidence_dir.clone(), stamp.to_string());
    let evidence = blocking(move || evidence::write(&dir, &name, &doc, &settings_md)).await;
    let mut message = match &evidence {
        Ok(p) => format!("rollback {result}; evidence in {}", p.display()),
        Err(e) => format!("rollback {result}; evidence could not be written: {e}"),
    };
    if let Some(e) = &audit_error {
        message = format!("{message}; the audit log {} could not be written: {e}", plan.audit_log.display());
    }
    let ok = result == "ok" || result == "dry-run";
    send(&tx, ActionEvent::Finished { ok, message, evidence: evidence.ok() }).await;
}

/// The variant's recovery after a rollback: a line in the audit log, a `recovery` field in
/// the evidence's JSON and a section at the end of its Markdown.
pub(crate) fn record_recovery(
    audit_log: &std::path::Path,
    line: &serde_json::Value,
    evidence: Option<&std::path::Path>,
    markdown: &str,
) -> std::io::Result<()> {
    audit::append(audit_log, line)?;
    let Some(json_path) = evidence else { return Ok(()) };
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json_path)?).map_err(std::io::Error::other)?;
    doc["recovery"] = line.clone();
    crate::private::write(json_path, serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?.as_bytes())?;
    let md_path = json_path.with_extension("md");
    let mut md = std::fs::read_to_string(&md_path)?;
    md.push_str(markdown);
    crate::private::write(&md_path, md.as_bytes())
}

fn started_line(plan: &Plan, started_at: &str) -> serde_json::Value {
    let steps: Vec<_> = plan.steps.iter().map(|s| json!({"name": s.name, "argv": s.argv})).collect();
    json!({
        "event": "rollback-started",
        "time": started_at,
        "user": audit::user(),
        "host": audit::host(),
        "version": env!("CARGO_PKG_VERSION"),
        "trigger": plan.trigger,
        "dry_run": plan.dry_run,
        "targets": plan.targets,
        "verdict": plan.context.verdict,
        "alerts": plan.context.active_alerts,
        "steps": steps,
    })
}

/// Each step in order, an audit line after each (checked: a step whose line cannot be
/// written is the last), stopping at a failure unless the step says otherwise.
async fn run_steps(plan: &Plan, tx: &mpsc::Sender<Event>, interrupt: &mut runner::Interrupt) -> Outcome {
    let ctx = StepEnv { env: &plan.env, workdir: plan.workdir.as_ref(), grace: plan.grace };
    let mut out = Outcome { results: vec![None; plan.steps.len()], ok: true, interrupted: false, audit_error: None };
    for step in &plan.steps {
        if *interrupt.borrow() {
            out.interrupted = true;
            break;
        }
        send(tx, ActionEvent::StepStarted { index: step.index }).await;
        let (lines, index) = (tx.clone(), step.index);
        let on_line: runner::OnLine = std::sync::Arc::new(move |line: &str| {
            let _ = lines.try_send(Event::Action(ActionEvent::StepOutput { index, line: line.to_string() }));
        });
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
            runner::run(step, &ctx, on_line, interrupt).await
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
        let written = append(&plan.audit_log, line).await;
        let state = result.state;
        out.results[step.index] = Some(result.clone());
        send(tx, ActionEvent::StepFinished { index: step.index, result }).await;
        if let Err(e) = written {
            tracing::error!(step = step.index, error = %e, "the audit log could not be written: the rollback stops");
            out.audit_error = Some(e.to_string());
            out.ok = false;
            break;
        }
        match state {
            StepState::Interrupted => {
                out.interrupted = true;
                break;
            }
            StepState::Failed | StepState::TimedOut => {
                out.ok = false;
                if !step.continue_on_error {
                    break;
                }
            }
            _ => {}
        }
    }
    out
}

fn evidence_doc(
    plan: &Plan,
    started_at: &str,
    result: &str,
    settings: &serde_json::Value,
    outcome: &Outcome,
    audit_error: Option<&str>,
) -> serde_json::Value {
    json!({
        "started": started_at,
        "finished": now_rfc3339(),
        "user": audit::user(),
        "host": audit::host(),
        "version": env!("CARGO_PKG_VERSION"),
        "trigger": plan.trigger,
        "dry_run": plan.dry_run,
        "result": result,
        "audit_error": audit_error,
        "targets": plan.targets,
        "verdict": plan.context.verdict,
        "alerts": plan.context.alerts,
        "comparison": plan.context.comparison,
        "settings": settings,
        "steps": plan.steps.iter().zip(&outcome.results).map(|(s, r)| json!({"name": s.name, "argv": s.argv, "result": r})).collect::<Vec<_>>(),
    })
}
