//! The app: owns all state, takes events, decides. Rendering reads it; sources feed it.

// Demo state for tests and benches only: not part of the binary (the `testing` feature,
// which the dev-dependency on this crate turns on for tests and benches).
#[cfg(any(test, feature = "testing"))]
pub mod demo;
mod grid;
pub(crate) mod health;
mod input;
mod jobs;
mod judging;
pub mod keymap;
mod mouse;
mod recovery;
pub(crate) mod rollback;
mod stage;
pub use recovery::RecoveryRecord;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::analysis::alerts::AlertBook;
use crate::analysis::judge::{self, Judgement};
use crate::analysis::verdict::{self, DataState, Verdict};
use crate::analysis::{self, Comparison};
use crate::config::Config;
use crate::config::Settings;
use crate::event::Event;
use crate::model::{Group, MetricKey, Panel, Store};
use crate::sources::{SourceId, SourceKind};
pub(crate) use health::{HealthState, SourceHealth};
pub(crate) use keymap::Action;

/// What the event loop should do after an update.
#[derive(Debug, Clone)]
pub enum Command {
    Quit,
    /// A hard alert fired and the bell is on.
    Bell,
    /// The operator confirmed (or the armed countdown ran out): run these steps.
    StartRollback(Box<crate::actions::Plan>),
    /// The drill-down opened or closed: sources fetch per-TaskManager rows only while open.
    SetDetail(bool),
    /// Start recording, or stop the recording that runs.
    ToggleRecording,
    /// Write the test-result report of the run so far.
    WriteReport,
    /// The variant's recovery after a rollback was decided: append it to the audit log and
    /// the rollback's evidence.
    RecordRecovery(Box<RecoveryRecord>),
}

/// A recording as the header shows it: where it goes, how much is in it, why it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recording {
    /// The file's name (cleaned).
    pub(crate) path: String,
    pub(crate) records: u64,
    pub(crate) state: RecordingState,
}

/// Where a replay is, as the header shows it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReplayView {
    /// From the recording's start.
    pub(crate) position: Duration,
    /// The recorded wall-clock time of that position.
    pub(crate) wall: std::time::SystemTime,
    pub(crate) speed: String,
    pub(crate) paused: bool,
    /// The recording (or `--to`) ended here.
    pub(crate) ended: bool,
    /// Feeding lags the clock (at `max`, or after a long seek).
    pub(crate) behind: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RecordingState {
    On,
    /// Stopped by the operator; the file is complete.
    Saved,
    /// Writing failed (disk full): why.
    Failed(String),
}

// Compared by what matters for tests: the variant, and for a rollback its steps and trigger.
impl PartialEq for Command {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Command::Quit, Command::Quit) | (Command::Bell, Command::Bell) => true,
            (Command::SetDetail(a), Command::SetDetail(b)) => a == b,
            (Command::RecordRecovery(a), Command::RecordRecovery(b)) => a == b,
            (Command::StartRollback(a), Command::StartRollback(b)) => {
                a.steps == b.steps && a.trigger == b.trigger && a.dry_run == b.dry_run
            }
            _ => false,
        }
    }
}

/// The panels in focus order: a grid of 2 columns and 3 rows.
pub(crate) const PANELS: [Panel; 6] =
    [Panel::Throughput, Panel::Latency, Panel::Buffers, Panel::CpuMemory, Panel::Backpressure, Panel::Alerts];

/// With host figures (this host's /proc or node_exporter): the Host panel beside
/// backpressure, the alerts across the bottom.
pub(crate) const PANELS_WITH_HOST: [Panel; 7] = [
    Panel::Throughput,
    Panel::Latency,
    Panel::Buffers,
    Panel::CpuMemory,
    Panel::Backpressure,
    Panel::Host,
    Panel::Alerts,
];

pub(crate) const SPANS: [Duration; 7] = [
    Duration::from_secs(60),
    Duration::from_secs(120),
    Duration::from_secs(300),
    Duration::from_secs(600),
    Duration::from_secs(1800),
    Duration::from_secs(3600),
    Duration::from_secs(3 * 3600),
];

pub(crate) use crate::config::GroupLabel;

/// What the screen shows: the live store, or, while paused, the moment of the pause: its
/// judgements and the store without its history (`Store::present`); the charts read the
/// live series up to `now` (`App::history`), so a pause costs the same after an hour.
#[derive(Debug, Clone)]
pub struct View {
    pub store: Store,
    pub(crate) comparisons: BTreeMap<MetricKey, Comparison>,
    /// Per-metric judgement over block samples (refreshed with the variant's metrics).
    pub judgements: BTreeMap<MetricKey, Judgement>,
    pub(crate) verdict: Verdict,
    /// "Now" on the store's time axis.
    pub(crate) now: f64,
}

impl View {
    /// The view at this moment without the store's history.
    fn freeze(&self) -> View {
        View {
            store: self.store.present(),
            comparisons: self.comparisons.clone(),
            judgements: self.judgements.clone(),
            verdict: self.verdict.clone(),
            now: self.now,
        }
    }
}

pub struct App {
    pub live: View,
    /// Alerts are never frozen by a pause.
    pub(crate) alerts: AlertBook,
    pub(crate) settings: Settings,
    /// One cluster split by TaskManager regex (failures are attributed by TaskManager).
    pub(crate) split: bool,
    pub(crate) evaluations: u64,
    pub(crate) rollback: rollback::RollbackUi,
    /// Both groups' settings as their clusters report them, and their review.
    pub(crate) flink_settings: crate::analysis::settings::State,
    /// The groups as configured (their REST URLs for the rollback placeholders).
    pub(crate) groups: [crate::config::GroupConfig; 2],
    pub(crate) frozen: Option<View>,
    pub(crate) health: BTreeMap<SourceId, SourceHealth>,
    pub(crate) labels: [GroupLabel; 2],
    pub(crate) window: Duration,
    pub(crate) span: Duration,
    pub(crate) focus: usize,
    pub(crate) fullscreen: bool,
    /// The Settings screen (`e`) is open, scrolled by this many rows.
    pub(crate) settings_view: bool,
    /// The Job Health screen (`J`) and its first row shown.
    pub(crate) jobs_view: bool,
    /// The rollout stage watched (`--stage`).
    pub(crate) stage: Option<stage::ActiveStage>,
    /// Verifying the variant's recovery after a rollback.
    pub(crate) recovery: Option<recovery::Recovery>,
    pub(crate) jobs_scroll: usize,
    pub(crate) settings_scroll: usize,
    pub(crate) help: bool,
    pub(crate) sort_column: usize,
    pub(crate) quit: bool,
    /// The recording that runs (or stopped writing), for the header.
    pub(crate) recording: Option<Recording>,
    /// The last report the `w` key wrote (or why it could not), for the header.
    pub(crate) report_note: Option<Result<String, String>>,
    /// The last click (`--mouse`): its panel and when, for a double click.
    last_click: Option<(usize, Instant)>,
    /// The panels' figures are computed when asked (`refresh_comparisons`), not on each
    /// event: a replay at max speed feeds thousands of events per frame.
    pub(crate) defer_view: bool,
    /// The last judgement of each metric and what it was made of (`judge::JudgeMemo`).
    judge_memo: judge::JudgeMemo,
    /// A replay's clock, for the header (`None` live).
    pub(crate) replay: Option<ReplayView>,
    /// When the variant last sent fresh data (each such refresh evaluates the rules).
    last_variant_data: Option<Instant>,
    started: Instant,
    /// The wall-clock time of `started`: alerts carry wall-clock times.
    started_wall: std::time::SystemTime,
    now: Instant,
}

impl App {
    pub fn new(config: &Config, started: Instant) -> Self {
        let started_wall = std::time::SystemTime::now() - Instant::now().saturating_duration_since(started);
        Self::new_at(config, started, started_wall)
    }

    /// An app whose `started` was at `started_wall` on the wall clock: a replay's, whose
    /// start is the recording's.
    pub(crate) fn new_at(config: &Config, started: Instant, started_wall: std::time::SystemTime) -> Self {
        let labels = [config.baseline.label(), config.variant.label()];
        Self::with_sources(config, started, started_wall, config.sources(), labels)
    }

    /// An app that expects these sources of groups described so: a replay's, whose
    /// sources and groups the recording names (its config has no URLs to poll).
    pub(crate) fn with_sources(
        config: &Config,
        started: Instant,
        started_wall: std::time::SystemTime,
        sources: Vec<SourceId>,
        labels: [GroupLabel; 2],
    ) -> Self {
        let s = &config.settings;
        let min_interval = [config.baseline.interval, config.variant.interval]
            .into_iter()
            .flatten()
            .map(|d| d.0)
            .chain([s.interval.0])
            .min()
            .unwrap_or(s.interval.0);
        let mut store = Store::with_block(started, s.retention.0, min_interval, s.analysis.block.0);
        // Exceptions Flink recorded before this run are history, not failures of it.
        store.count_exceptions_from(started_wall);
        let health = sources.into_iter().map(|id| (id, SourceHealth::new(id.name(), started))).collect();
        let comparisons = analysis::compare_all(&store, 0.0, s.window.0.as_secs_f64());
        let judgements = judge::judge_all(&store, 0.0, s.window.0.as_secs_f64(), f64::NEG_INFINITY, &s.analysis.judge);
        let alerts = AlertBook::default();
        let data = DataState {
            min_samples: s.analysis.judge.min_samples,
            block_s: store.block_seconds(Group::Baseline),
            stale: Vec::new(),
            settings: Vec::new(),
            latency_expected: true,
        };
        let verdict = verdict::verdict(&judgements, &alerts, &s.rules, &s.analysis.verdict(), false, &data);
        App {
            live: View { store, comparisons, judgements, verdict, now: 0.0 },
            alerts,
            settings: s.clone(),
            split: labels[0].url == labels[1].url,
            evaluations: 0,
            rollback: rollback::RollbackUi::default(),
            flink_settings: crate::analysis::settings::State::new(
                [config.baseline.intended.clone(), config.variant.intended.clone()],
                config.baseline.flink.is_some() && config.baseline.flink == config.variant.flink,
            ),
            groups: [config.baseline.clone(), config.variant.clone()],
            frozen: None,
            health,
            labels,
            window: s.window.0,
            span: s.chart_span.0,
            focus: 0,
            fullscreen: false,
            settings_view: false,
            jobs_view: false,
            stage: None,
            recovery: None,
            jobs_scroll: 0,
            settings_scroll: 0,
            help: false,
            sort_column: 0,
            quit: false,
            recording: None,
            report_note: None,
            last_click: None,
            defer_view: false,
            judge_memo: judge::JudgeMemo::default(),
            replay: None,
            last_variant_data: None,
            started,
            started_wall,
            now: started,
        }
    }

    pub fn view(&self) -> &View {
        self.frozen.as_ref().unwrap_or(&self.live)
    }

    /// The series behind the charts and window quantiles: always the live store, read up
    /// to `view().now` (a pause freezes the time, it does not copy the history).
    pub(crate) fn history(&self) -> &Store {
        &self.live.store
    }

    pub(crate) fn paused(&self) -> bool {
        self.frozen.is_some()
    }

    pub(crate) fn focused_panel(&self) -> Panel {
        let panels = self.panels();
        panels[self.focus.min(panels.len() - 1)]
    }

    /// The dashboard's panels: the Host panel appears once a source gave host figures.
    pub(crate) fn panels(&self) -> &'static [Panel] {
        let store = &self.live.store;
        let host = Group::BOTH
            .into_iter()
            .any(|g| MetricKey::of_panel(Panel::Host).any(|k| store.group(g).provider(k).is_some()));
        if host { &PANELS_WITH_HOST } else { &PANELS }
    }

    pub(crate) fn now(&self) -> Instant {
        self.now
    }

    pub(crate) fn set_now(&mut self, now: Instant) {
        self.now = self.now.max(now);
    }

    /// Seconds since start: how long the app has observed.
    /// When the run began: the origin of its times (and of a recording's).
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    /// When the run began, on the wall clock.
    pub(crate) fn started_wall(&self) -> std::time::SystemTime {
        self.started_wall
    }

    pub(crate) fn observed(&self) -> Duration {
        self.now.saturating_duration_since(self.started)
    }

    pub(crate) fn update(&mut self, event: Event) -> Option<Command> {
        self.update_at(event, Instant::now())
    }

    /// Takes one event that arrived at `at`. A recording keeps `at` with the event, and a
    /// replay hands it back: the same events at the same times judge the same.
    pub(crate) fn update_at(&mut self, event: Event, at: Instant) -> Option<Command> {
        match event {
            Event::Key(key) => self.on_key(key),
            Event::Tick => self.tick(at),
            // The loop finds the panel under the pointer (`on_mouse`): nothing here.
            Event::Mouse(_) => None,
            Event::Resize => {
                let c = self.tick_at(at);
                self.refresh_view();
                c
            }
            Event::Action(e) => {
                let verify = match &e {
                    crate::actions::ActionEvent::Finished { ok: true, evidence, .. } if !self.settings.dry_run => {
                        Some(evidence.clone())
                    }
                    _ => None,
                };
                self.rollback.on_event(e, at);
                if let Some(evidence) = verify {
                    self.start_recovery(evidence);
                }
                None
            }
            Event::Sample(id, result) => self.on_sample(id, result.map(|b| *b), at),
            Event::Settings(g, result) => {
                self.flink_settings.on_read(g, result.map(|s| *s).map_err(|e| e.to_string()));
                // The verdict knows at once when an intended change is (no longer) in effect.
                self.evaluate(self.wall_clock())
            }
            Event::Quit => {
                self.quit = true;
                Some(Command::Quit)
            }
        }
    }

    /// One tick at `now`: the armed countdown, the view, and, once the variant's data is
    /// overdue (no fresh refresh for 1.5 refresh intervals: every TaskManager gone, REST
    /// down), the rules and verdict on every tick, so a group whose data stopped is still
    /// judged with its data's age known. While data flows each refresh evaluates, so a
    /// rule's `for = N` counts refreshes, not ticks over the same data.
    pub(crate) fn tick(&mut self, now: Instant) -> Option<Command> {
        self.now = self.now.max(now);
        for h in self.health.values_mut() {
            h.observe(self.now);
        }
        let countdown = self.tick_at(now);
        self.refresh_view();
        let refresh = self.live.store.group(Group::Variant).refresh_interval.unwrap_or(Duration::from_secs(10));
        let overdue =
            self.last_variant_data.is_none_or(|t| self.now.saturating_duration_since(t) > refresh.mul_f64(1.5));
        let evaluated = if overdue { self.evaluate(self.wall_clock()) } else { None };
        countdown.or(evaluated)
    }

    /// Takes one source result observed at `now` (split out for tests with a fixed clock).
    pub fn on_sample(
        &mut self,
        id: SourceId,
        result: Result<crate::model::Batch, crate::sources::SourceError>,
        now: Instant,
    ) -> Option<Command> {
        self.now = self.now.max(now);
        let health = self.health.entry(id).or_insert_with(|| SourceHealth::new(id.name(), self.started));
        let mut evaluate = false;
        match result {
            Ok(batch) => {
                if batch.fresh && !health.has_refreshed() {
                    tracing::info!(source = %id.name(), "first metrics refresh");
                }
                health.ok(batch.fresh, batch.at, batch.refresh_interval);
                health.warnings.clone_from(&batch.warnings);
                // The rules judge the variant: they run on each refresh of its metrics (and on
                // ticks without one).
                evaluate = batch.fresh && id.group == Group::Variant && id.kind != SourceKind::Host;
                if evaluate {
                    self.last_variant_data = Some(now);
                }
                self.live.store.ingest(id.group, batch);
            }
            Err(e) => {
                health.failed(now, e.to_string());
                self.live.store.gap_from(id.group, now, Some(id.kind));
            }
        }
        health.observe(self.now);
        if id.kind == SourceKind::Host {
            // The host source fills the Host panel only (and arrives every second for each
            // group): recompute just its comparisons.
            let now = self.live.store.t(self.now);
            self.live.now = now;
            if !self.defer_view {
                let window = self.window.as_secs_f64();
                let host = analysis::compare_keys(&self.live.store, now, window, MetricKey::of_panel(Panel::Host));
                self.live.comparisons.extend(host.collect::<Vec<_>>());
            }
        } else {
            self.refresh_view();
        }
        if evaluate { self.evaluate(self.wall_clock()) } else { None }
    }

    fn refresh_view(&mut self) {
        let now = self.live.store.t(self.now);
        self.live.now = now;
        if !self.defer_view {
            self.refresh_comparisons();
        }
    }

    /// The panels' figures (means and changes over the window) as of now. Only the screen
    /// and the documents read them, never the judgement: a replay feeding faster than it
    /// draws computes them once per frame (`defer_view`).
    pub(crate) fn refresh_comparisons(&mut self) {
        self.live.comparisons = analysis::compare_all(&self.live.store, self.live.now, self.window.as_secs_f64());
    }
}

#[cfg(test)]
mod tests;
