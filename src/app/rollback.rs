//! The rollback as the app sees it: the confirmation dialog, the run's progress, the
//! automatic countdown. Deciding only: `actions` runs the commands.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

pub(crate) use crate::actions::ActionEvent;
use crate::actions::Plan;
use crate::actions::placeholders::{self, GroupTargets, Targets};
use crate::model::Group;
use crate::model::step::{Context, MetricContext, PreparedStep, StepResult, StepState, Trigger};

/// Lines of a running step's output kept for the screen (it shows the last six).
const OUTPUT_LINES: usize = 40;

/// The word the operator types to confirm.
pub(crate) const CONFIRM_WORD: &str = "rollback";

#[derive(Debug, Clone)]
pub(crate) struct Dialog {
    pub(crate) typed: String,
    /// The steps with placeholders expanded, or why they cannot run now. Expanded once,
    /// when the dialog opens: exactly these argv run on Enter, whatever the view shows by
    /// then (a TaskManager replaced, a new job id, a pause).
    pub(crate) preview: Result<Vec<PreparedStep>, String>,
    /// What the placeholders stood for when the preview was made (the steps' environment).
    pub(crate) targets: Targets,
}

#[derive(Debug, Clone)]
pub(crate) struct StepView {
    pub(crate) step: PreparedStep,
    pub(crate) state: StepState,
    pub(crate) started: Option<Instant>,
    pub(crate) ended: Option<Instant>,
    /// The running step's last lines of output, from its output events.
    pub(crate) output: VecDeque<String>,
    pub(crate) result: Option<StepResult>,
}

#[derive(Debug, Clone)]
pub(crate) struct RunView {
    pub(crate) steps: Vec<StepView>,
    pub(crate) dry_run: bool,
    pub(crate) trigger: Trigger,
    /// (ok, message) once over.
    pub(crate) finished: Option<(bool, String)>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct RollbackUi {
    pub(crate) dialog: Option<Dialog>,
    pub(crate) run: Option<RunView>,
    /// When the armed automatic rollback will start.
    pub(crate) countdown: Option<Instant>,
    pub(crate) auto_used: bool,
    /// A one-line notice for the footer (why `R` did nothing, ...).
    pub(crate) notice: Option<String>,
    /// `q` was pressed while a rollback runs: the next `q` stops it and quits.
    pub(crate) quit_armed: bool,
    /// The variant's jobs and the checkpoint each had last restored from when the rollback
    /// started (its steps may restart the jobs before they end): recovery compares with it.
    pub(crate) restored_before: std::collections::BTreeMap<String, Option<u64>>,
}

impl RollbackUi {
    pub(crate) fn running(&self) -> bool {
        self.run.as_ref().is_some_and(|r| r.finished.is_none())
    }

    pub(crate) fn on_event(&mut self, e: ActionEvent, now: Instant) {
        let Some(run) = self.run.as_mut() else { return };
        match e {
            ActionEvent::StepStarted { index } => {
                if let Some(s) = run.steps.get_mut(index) {
                    s.state = StepState::Running;
                    s.started = Some(now);
                    s.output.clear();
                }
            }
            ActionEvent::StepOutput { index, line } => {
                if let Some(s) = run.steps.get_mut(index) {
                    if s.output.len() == OUTPUT_LINES {
                        s.output.pop_front();
                    }
                    s.output.push_back(line);
                }
            }
            ActionEvent::StepFinished { index, result } => {
                if let Some(s) = run.steps.get_mut(index) {
                    s.state = result.state;
                    s.ended = Some(now);
                    s.result = Some(result);
                }
            }
            ActionEvent::Finished { ok, message, .. } => {
                for s in &mut run.steps {
                    if s.state == StepState::Pending {
                        s.state = StepState::Skipped;
                    }
                }
                run.finished = Some((ok, message));
            }
        }
    }
}

impl super::App {
    pub(crate) fn rollback_hidden_reason(&self) -> Option<&'static str> {
        if self.settings.read_only {
            Some("read-only mode (--read-only): this flinkscope only watches")
        } else if self.settings.rollback.is_none() {
            Some("no [rollback] section in the config file")
        } else {
            None
        }
    }

    /// What the placeholders stand for now.
    pub(crate) fn targets(&self) -> Targets {
        let store = &self.view().store;
        let group = |g: Group| {
            let d = store.group(g);
            GroupTargets {
                flink: self.groups[g.index()].flink.as_ref().map(|u| u.0.clone()),
                job_id: d.job.as_ref().map(|j| j.id.clone()).filter(|j| !j.is_empty()),
                taskmanagers: d.taskmanagers.clone(),
                flink_version: d.flink_version.clone(),
            }
        };
        Targets { baseline: group(Group::Baseline), variant: group(Group::Variant) }
    }

    /// The rollback's steps as they would run now (placeholders expanded): what the
    /// dialog previews and `preflight` dry-runs.
    pub(crate) fn rollback_preview(&self) -> Result<Vec<PreparedStep>, String> {
        self.prepare_steps(&self.targets())
    }

    fn prepare_steps(&self, targets: &Targets) -> Result<Vec<PreparedStep>, String> {
        let r = self.settings.rollback.as_ref().ok_or("no [rollback] section")?;
        r.steps
            .iter()
            .enumerate()
            .map(|(index, s)| {
                let argv = placeholders::expand(&s.argv, targets).map_err(|e| format!("step {:?}: {e}", s.name))?;
                Ok(PreparedStep {
                    index,
                    name: s.name.clone(),
                    argv,
                    timeout: s.timeout.0,
                    continue_on_error: s.continue_on_error,
                })
            })
            .collect()
    }

    /// `R`: opens the confirmation, or says why not.
    pub(super) fn open_rollback(&mut self) {
        if let Some(why) = self.rollback_hidden_reason() {
            self.rollback.notice = Some(format!("rollback unavailable: {why}"));
        } else if self.rollback.running() {
            self.rollback.notice = Some("a rollback is running: wait for it to end".into());
        } else {
            let targets = self.targets();
            let preview = self.prepare_steps(&targets);
            self.rollback.dialog = Some(Dialog { typed: String::new(), preview, targets });
        }
    }

    /// Every key goes to the open dialog; only the typed word and Enter start anything.
    pub(super) fn dialog_key(&mut self, key: crossterm::event::KeyEvent) -> Option<super::Command> {
        use crossterm::event::KeyCode;
        let dialog = self.rollback.dialog.as_mut()?;
        match key.code {
            KeyCode::Esc => {
                self.rollback.dialog = None;
                self.rollback.notice = Some("rollback cancelled".into());
            }
            KeyCode::Backspace => {
                dialog.typed.pop();
            }
            KeyCode::Char(c) if dialog.typed.chars().count() < 32 => dialog.typed.push(c),
            KeyCode::Enter if dialog.typed == CONFIRM_WORD && dialog.preview.is_ok() => {
                let Dialog { preview, targets, .. } = self.rollback.dialog.take()?;
                return self.start_prepared(Trigger::Manual, preview.ok()?, targets);
            }
            _ => {}
        }
        None
    }

    /// Expands the steps now, once, and starts exactly those (the automatic rollback, and
    /// a start without the dialog).
    pub(crate) fn start_rollback(&mut self, trigger: Trigger) -> Option<super::Command> {
        let targets = self.targets();
        match self.prepare_steps(&targets) {
            Ok(steps) => self.start_prepared(trigger, steps, targets),
            Err(e) => {
                self.rollback.notice = Some(format!("rollback not started: {e}"));
                None
            }
        }
    }

    /// Builds the plan from steps already expanded and marks the run started (single
    /// flight): the argv that run are the ones that were shown.
    fn start_prepared(
        &mut self,
        trigger: Trigger,
        steps: Vec<PreparedStep>,
        targets: Targets,
    ) -> Option<super::Command> {
        let r = self.settings.rollback.clone()?;
        if self.rollback.running() || self.settings.read_only {
            return None;
        }
        self.rollback.dialog = None;
        self.rollback.countdown = None;
        self.rollback.restored_before = self
            .live
            .store
            .group(Group::Variant)
            .jobs
            .rows
            .iter()
            .map(|j| (j.id.clone(), j.checkpoints.as_ref().and_then(|c| c.restored_id)))
            .collect();
        let mut env = placeholders::env(&targets);
        for name in &r.env {
            if let Ok(v) = std::env::var(name) {
                env.entry(name.clone()).or_insert(v);
            }
        }
        let plan = Plan {
            steps: steps.clone(),
            env,
            workdir: r.workdir.clone(),
            grace: r.grace.0,
            dry_run: self.settings.dry_run,
            audit_log: r.audit_log.clone(),
            evidence_dir: r.evidence_dir.clone(),
            lock_file: r.lock_path(),
            targets,
            context: self.context(),
            settings: Box::new(self.flink_settings.clone()),
            trigger,
        };
        self.rollback.run = Some(RunView {
            steps: steps
                .into_iter()
                .map(|step| StepView {
                    step,
                    state: StepState::Pending,
                    started: None,
                    ended: None,
                    output: VecDeque::new(),
                    result: None,
                })
                .collect(),
            dry_run: self.settings.dry_run,
            trigger,
            finished: None,
        });
        self.rollback.notice = None;
        tracing::warn!(trigger = trigger.as_str(), dry_run = self.settings.dry_run, "rollback confirmed");
        Some(super::Command::StartRollback(Box::new(plan)))
    }

    /// The verdict, alerts and per-metric comparison, for the audit log and the evidence.
    fn context(&self) -> Context {
        let view = self.view();
        let comparison = view
            .comparisons
            .iter()
            .map(|(k, c)| {
                let j = view.judgements.get(k);
                let m = MetricContext {
                    baseline: c.baseline.mean,
                    variant: c.variant.mean,
                    change_pct: c.change_pct,
                    class: j.map(|j| j.class.label()),
                    p: j.and_then(|j| j.p),
                };
                (k.as_str().to_string(), m)
            })
            .collect();
        Context {
            verdict: view.verdict.to_json(),
            alerts: self.alerts.all().into_iter().map(crate::analysis::alerts::Alert::to_json).collect(),
            active_alerts: self.alerts.active.values().map(crate::analysis::alerts::Alert::to_json).collect(),
            comparison,
        }
    }

    /// A hard alert fired: start the countdown when the automatic rollback is armed.
    pub(crate) fn arm_countdown(&mut self) {
        let Some(r) = &self.settings.rollback else { return };
        if r.auto
            && !self.rollback.auto_used
            && !self.rollback.running()
            && self.rollback.countdown.is_none()
            && !self.settings.read_only
        {
            self.rollback.countdown = Some(self.now() + r.countdown.0);
            tracing::warn!(seconds = r.countdown.0.as_secs(), "automatic rollback countdown started");
        }
    }

    /// Called on every tick: the countdown may run out.
    pub(crate) fn tick_at(&mut self, now: Instant) -> Option<super::Command> {
        self.set_now(now);
        match self.rollback.countdown {
            Some(deadline) if now >= deadline => {
                self.rollback.countdown = None;
                self.rollback.auto_used = true;
                self.start_rollback(Trigger::Auto)
            }
            _ => None,
        }
    }

    pub(crate) fn countdown_left(&self) -> Option<Duration> {
        self.rollback.countdown.map(|d| d.saturating_duration_since(self.now()))
    }
}
