//! The event loop: one `tokio::select!` over events and a tick; only this loop changes
//! state. The dashboard draws after each burst of events; `snapshot` and `check` run the
//! same loop headless, so the screen and the scripts can never judge differently.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use crate::app::{App, Command, Recording, RecordingState};
use crate::config::Config;
use crate::event::Event;
use crate::record::format::Header;
use crate::record::writer::Recorder;
use crate::sources::task;
use crate::ui::{self, Theme};

/// Bounded: a slow consumer makes pollers wait instead of growing memory.
const CHANNEL: usize = 256;

/// The sources, their channel and the tick: what every mode's loop is made of.
pub(crate) struct EventLoop {
    pub(crate) tx: mpsc::Sender<Event>,
    rx: mpsc::Receiver<Event>,
    spawned: task::Spawned,
    tick: tokio::time::Interval,
    /// `--record`: every event taken and every alert change goes here as it happens.
    recorder: Option<Recorder>,
}

impl EventLoop {
    /// Starts every configured source (and a recorded baseline, on `app`'s clock).
    pub(crate) fn start(config: &Config, app: &App) -> EventLoop {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let mut spawned = task::spawn_all(config, tx.clone());
        if let Some(rec) = &config.baseline.recording {
            let interval = config.settings.interval.0;
            let handle = crate::record::baseline::spawn(rec, interval, app.started(), app.started_wall(), tx.clone());
            spawned.handles.push(handle);
        }
        // Rules and the verdict are judged on ticks too, so a source that stops sending
        // is judged as stopped.
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        EventLoop { tx, rx, spawned, tick, recorder: None }
    }

    /// Starts recording to `path` (a new file) what the app takes from now on.
    pub(crate) fn record(&mut self, path: &std::path::Path, config: &Config, app: &App) -> std::io::Result<()> {
        let header = Header::of(config, app.started_wall());
        self.recorder = Some(Recorder::create(path, &header, app.started())?);
        tracing::info!(path = %path.display(), "recording");
        Ok(())
    }

    /// Ends the recording (a complete zstd frame) and says how it went: the records
    /// written, or why writing stopped.
    pub(crate) fn finish_recording(&mut self) -> Option<Result<u64, String>> {
        let r = self.recorder.take()?;
        let records = r.records();
        Some(match r.failed().map(str::to_string) {
            Some(why) => Err(why),
            None => r.finish().map(|()| records).map_err(|e| format!("finishing the recording: {e}")),
        })
    }

    /// The recording as the header shows it, while one runs.
    pub(crate) fn recording(&self) -> Option<Recording> {
        let r = self.recorder.as_ref()?;
        let state = r.failed().map_or(RecordingState::On, |why| RecordingState::Failed(crate::sanitize::clean(why)));
        Some(Recording { path: file_name(r.path()), records: r.records(), state })
    }

    /// The `r` key: stops the recording that runs, or starts one (at `--record`'s path
    /// the first time, else a new file named by the time here).
    fn toggle_recording(&mut self, app: &mut App, config: &Config) {
        if let Some(mut shown) = self.recording() {
            let ended = self.finish_recording();
            shown.state = match ended {
                Some(Err(why)) => RecordingState::Failed(crate::sanitize::clean(&why)),
                _ => RecordingState::Saved,
            };
            app.recording = Some(shown);
            return;
        }
        let path = config
            .settings
            .record
            .clone()
            .filter(|p| !p.exists())
            .unwrap_or_else(|| std::path::PathBuf::from(default_recording_name(std::time::SystemTime::now())));
        match self.record(&path, config, app) {
            Ok(()) => app.recording = self.recording(),
            Err(e) => {
                app.recording = Some(Recording {
                    path: file_name(&path),
                    records: 0,
                    state: RecordingState::Failed(crate::sanitize::clean(&e.to_string())),
                });
            }
        }
    }

    /// Hands one event to the app as it arrives, recorded first when recording.
    fn take(&mut self, app: &mut App, event: Event, commands: &mut Vec<Command>) {
        let at = Instant::now();
        if let Event::Mouse(m) = event {
            // Which panel is under the pointer is the screen's layout: asked of the UI.
            let (w, h) = crossterm::terminal::size().unwrap_or((0, 0));
            let panel = ui::panel_at(ratatui::layout::Rect::new(0, 0, w, h), app, m.column, m.row);
            commands.extend(app.on_mouse(m.kind, panel, at));
            return;
        }
        if let Some(r) = self.recorder.as_mut() {
            r.event(&event, at);
        }
        commands.extend(app.update_at(event, at));
        if let Some(r) = self.recorder.as_mut() {
            r.alerts(&app.alerts, at);
        }
    }

    /// Waits for an event or the tick (or `until`), then takes in everything already
    /// queued. `None` when `until` passed or every sender is gone.
    pub(crate) async fn step(&mut self, app: &mut App, until: Option<tokio::time::Instant>) -> Option<Vec<Command>> {
        let far = tokio::time::Instant::now() + Duration::from_secs(86_400 * 365);
        let event = tokio::select! {
            ev = self.rx.recv() => ev?,
            _ = self.tick.tick() => Event::Tick,
            _ = tokio::time::sleep_until(until.unwrap_or(far)) => return None,
        };
        let mut commands = Vec::new();
        self.take(app, event, &mut commands);
        while let Ok(ev) = self.rx.try_recv() {
            self.take(app, ev, &mut commands);
        }
        self.spawned.publish_taskmanagers(&app.live.store);
        Some(commands)
    }

    /// The drill-down opened or closed: the sources read per-TaskManager rows or stop.
    pub(crate) fn set_detail(&self, on: bool) {
        let _ = self.spawned.detail.send(on);
    }

    /// Stops the sources; the channel stays for what is still running (a rollback).
    pub(crate) fn stop_sources(&mut self) {
        for h in self.spawned.handles.drain(..) {
            h.abort();
        }
    }
}

/// `flinkscope-20261202-233000.jsonl.zst`: a recording started by the key, named by when.
fn default_recording_name(now: std::time::SystemTime) -> String {
    let t = time::OffsetDateTime::from(now);
    let f = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    format!("flinkscope-{}.jsonl.zst", t.format(&f).unwrap_or_default())
}

fn file_name(p: &std::path::Path) -> String {
    crate::sanitize::clean(&p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned()))
}

/// Runs the dashboard until the operator quits or a signal arrives.
pub async fn dashboard(config: Config, theme: Theme) -> std::io::Result<()> {
    let mut app = App::new(&config, Instant::now());
    app.begin_stage(std::time::SystemTime::now()).map_err(std::io::Error::other)?;
    let mut events = EventLoop::start(&config, &app);
    // `--record`: a file that cannot be created is said before the screen starts.
    if let Some(path) = &config.settings.record {
        events.record(path, &config, &app)?;
        app.recording = events.recording();
    }
    let tx = events.tx.clone();
    crate::tui::spawn_signals(tx.clone())?;
    let (mut terminal, _guard) = crate::tui::enter(config.settings.mouse)?;
    crate::tui::spawn_input(tx.clone());

    // The running rollback, if any: setting the flag interrupts it.
    let mut rollback: Option<(tokio::sync::watch::Sender<bool>, tokio::task::JoinHandle<()>)> = None;
    terminal.draw(|f| ui::render(f, &app, &theme))?;
    while let Some(commands) = events.step(&mut app, None).await {
        for c in commands {
            match c {
                Command::Quit => {}
                Command::Bell => {
                    use std::io::Write;
                    let mut out = std::io::stdout();
                    let _ = out.write_all(b"\x07").and_then(|_| out.flush());
                }
                Command::SetDetail(on) => events.set_detail(on),
                Command::ToggleRecording => events.toggle_recording(&mut app, &config),
                Command::WriteReport => app.report_note = Some(crate::report::write_here(&app)),
                Command::RecordRecovery(r) => {
                    if let Err(e) = crate::actions::rollback::record_recovery(
                        &r.audit_log,
                        &r.line,
                        r.evidence.as_deref(),
                        &r.markdown,
                    ) {
                        tracing::error!(error = %e, "the recovery could not be written");
                        app.rollback.notice = Some(format!("the recovery could not be written: {e}"));
                    }
                }
                Command::StartRollback(plan) => {
                    let (stop, interrupt) = tokio::sync::watch::channel(false);
                    let run = tokio::spawn(crate::actions::rollback::execute(*plan, tx.clone(), interrupt));
                    rollback = Some((stop, run));
                }
            }
        }
        if let Some(r) = events.recording() {
            app.recording = Some(r);
        }
        if app.quit {
            break;
        }
        terminal.draw(|f| ui::render(f, &app, &theme))?;
    }
    events.stop_sources();
    if let Some((stop, run)) = rollback.filter(|(_, run)| !run.is_finished()) {
        stop_rollback(&mut app, stop, run, &mut events.rx, &mut terminal, &theme, &config).await?;
    }
    if let Some(Err(why)) = events.finish_recording() {
        tracing::error!("{why}");
    }
    Ok(())
}

/// Quitting while a rollback runs: its step's process group gets SIGTERM (SIGKILL after
/// the grace period), and the run writes its audit line (`interrupted`) and evidence
/// before flinkscope exits. The screen keeps showing the run meanwhile.
async fn stop_rollback(
    app: &mut App,
    stop: tokio::sync::watch::Sender<bool>,
    mut run: tokio::task::JoinHandle<()>,
    rx: &mut mpsc::Receiver<Event>,
    terminal: &mut ratatui::DefaultTerminal,
    theme: &Theme,
    config: &Config,
) -> std::io::Result<()> {
    tracing::warn!("quitting during a rollback: interrupting it");
    let _ = stop.send(true);
    app.rollback.notice = Some("quitting: stopping the rollback's running step (SIGTERM, then SIGKILL)".into());
    let grace = config.settings.rollback.as_ref().map_or(Duration::from_secs(10), |r| r.grace.0);
    // The step's grace, the output readers' 2 s, the audit and evidence writes.
    let limit = grace + Duration::from_secs(15);
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        terminal.draw(|f| ui::render(f, app, theme))?;
        tokio::select! {
            _ = &mut run => break,
            // The run reports through this channel: keep taking it so it never blocks.
            ev = rx.recv() => match ev {
                Some(Event::Action(e)) => { app.update(Event::Action(e)); }
                Some(_) => {}
                None => break,
            },
            _ = tokio::time::sleep_until(deadline) => {
                tracing::error!("the rollback did not finish within {limit:?} of the interrupt");
                break;
            }
        }
    }
    Ok(())
}
