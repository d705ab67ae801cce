//! The rollout stage being watched (`--stage`): when it began (from the state file), and its
//! judgement from the app's state at this moment.

use std::path::PathBuf;
use std::time::SystemTime;

use super::{App, HealthState};
use crate::analysis::stage::{self, StageInputs, StageJudgement};
use crate::config::rollout::StageConfig;
use crate::model::{Group, JobState};

#[derive(Debug, Clone)]
pub(crate) struct ActiveStage {
    pub(crate) config: StageConfig,
    pub(crate) started: SystemTime,
    pub(crate) state_file: PathBuf,
    /// The judgement of the last evaluation (what the screen shows), and the last decision
    /// written to the state file.
    pub(crate) last: Option<StageJudgement>,
    pub(crate) noted: Option<stage::Decision>,
}

impl App {
    /// Starts watching the configured stage: its start comes from the state file (written
    /// now when the stage is new). Without `--stage`, nothing.
    pub(crate) fn begin_stage(&mut self, now: SystemTime) -> Result<(), String> {
        let (Some(name), Some(rollout)) = (&self.settings.stage, &self.settings.rollout) else { return Ok(()) };
        let config = rollout.stage(name)?.clone();
        let state_file = rollout.state_path(self.settings.rollback.as_ref());
        let started = crate::actions::stage_state::begin(&state_file, name, now)?;
        self.stage = Some(ActiveStage { config, started, state_file, last: None, noted: None });
        Ok(())
    }

    /// The stage judged at wall-clock time `wall`.
    pub(crate) fn stage_judgement(&self, wall: SystemTime) -> Option<StageJudgement> {
        let s = self.stage.as_ref()?;
        Some(stage::judge(&s.config.success, &s.config.rollback_triggers, &self.stage_inputs(s, wall)))
    }

    /// Judges the stage (for the screen) and writes the decision to the state file when it
    /// changed (a failure is logged: the screen goes on).
    pub(crate) fn note_stage(&mut self, wall: SystemTime) {
        let Some(j) = self.stage_judgement(wall) else { return };
        let Some(s) = self.stage.as_mut() else { return };
        let decision = j.decision;
        s.last = Some(j);
        if s.noted == Some(decision) {
            return;
        }
        s.noted = Some(decision);
        if let Err(e) = crate::actions::stage_state::note(&s.state_file, &s.config.name, decision.as_str(), wall) {
            tracing::warn!(error = %e, "rollout state not written");
        }
    }

    fn stage_inputs(&self, s: &ActiveStage, wall: SystemTime) -> StageInputs {
        let view = self.view();
        let elapsed = wall.duration_since(s.started).unwrap_or_default();
        // The stage's start on the store's clock (before this run: since its first sample).
        let from = view.now - elapsed.as_secs_f64();
        let board = &view.store.group(Group::Variant).jobs;
        let restarts: u64 = board.rows.iter().map(|r| board.since(&r.id, from).restarts).sum();
        let ended = board.rows.iter().filter(|r| matches!(r.state, JobState::Failed | JobState::Canceled)).count();
        let class = |k| view.judgements.get(&k).map(|j| (j.class, j.change_pct));
        let now = self.now();
        StageInputs {
            elapsed,
            min_duration: s.config.min_duration.0,
            outcome: Some(view.verdict.outcome),
            throughput: class(stage::THROUGHPUT),
            latency: class(stage::LATENCY),
            alerts: self.alerts.all().iter().map(|a| (a.rule, a.severity, a.resolved.is_none())).collect(),
            job_failures: restarts + ended as u64,
            jobs: board.rows.len(),
            jobs_not_running: board
                .rows
                .iter()
                .filter(|r| !r.state.is_running() && r.state != JobState::Finished)
                .map(|r| format!("{} ({})", r.name, r.state))
                .collect(),
            sources_down: self
                .health
                .iter()
                .filter(|(id, _)| id.kind != crate::sources::SourceKind::Host)
                .filter(|(_, h)| matches!(h.state(now), HealthState::Failed(_) | HealthState::Stale(_)))
                .map(|(_, h)| h.name.clone())
                .collect(),
        }
    }
}
