//! The event loop: one `tokio::select!` over events and a tick; only this loop changes
//! state. The dashboard draws after each burst of events; `snapshot` and `check` run the
//! same loop headless, so the screen and the scripts can never judge differently.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use crate::app::{App, Command};
use crate::config::Config;
use crate::event::Event;
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
}

impl EventLoop {
    /// Starts every configured source.
    pub(crate) fn start(config: &Config) -> EventLoop {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let spawned = task::spawn_all(config, tx.clone());
        // Rules and the verdict are judged on ticks too, so a source that stops sending
        // is judged as stopped.
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        EventLoop { tx, rx, spawned, tick }
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
        let mut commands = app.update(event).into_iter().collect::<Vec<_>>();
        while let Ok(ev) = self.rx.try_recv() {
            commands.extend(app.update(ev));
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

/// Runs the dashboard until the operator quits or a signal arrives.
pub async fn dashboard(config: Config, theme: Theme) -> std::io::Result<()> {
    let mut events = EventLoop::start(&config);
    let tx = events.tx.clone();
    crate::tui::spawn_signals(tx.clone())?;
    let (mut terminal, _guard) = crate::tui::enter()?;
    crate::tui::spawn_input(tx.clone());

    let mut app = App::new(&config, Instant::now());
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
                Command::StartRollback(plan) => {
                    let (stop, interrupt) = tokio::sync::watch::channel(false);
                    let run = tokio::spawn(crate::actions::rollback::execute(*plan, tx.clone(), interrupt));
                    rollback = Some((stop, run));
                }
            }
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
