//! The event loop: one `tokio::select!` over events and a tick; only this loop changes
//! state, and it draws after a burst of events has been taken in.

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

/// Runs the dashboard until the operator quits or a signal arrives.
pub async fn dashboard(config: Config, theme: Theme) -> std::io::Result<()> {
    let (tx, mut rx) = mpsc::channel(CHANNEL);
    let spawned = task::spawn_all(&config, tx.clone());
    crate::tui::spawn_signals(tx.clone())?;
    let (mut terminal, _guard) = crate::tui::enter()?;
    crate::tui::spawn_input(tx.clone());
    let tx_actions = tx.clone();

    let mut app = App::new(&config, Instant::now());
    // The running rollback, if any: setting the flag interrupts it.
    let mut rollback: Option<(tokio::sync::watch::Sender<bool>, tokio::task::JoinHandle<()>)> = None;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    terminal.draw(|f| ui::render(f, &app, &theme))?;
    loop {
        let event = tokio::select! {
            ev = rx.recv() => match ev { Some(ev) => ev, None => break },
            _ = tick.tick() => Event::Tick,
        };
        let mut commands = Vec::new();
        commands.extend(app.update(event));
        // Take in everything already queued before drawing once.
        while let Ok(ev) = rx.try_recv() {
            commands.extend(app.update(ev));
        }
        for c in commands {
            match c {
                Command::Quit => {}
                Command::Bell => {
                    use std::io::Write;
                    let mut out = std::io::stdout();
                    let _ = out.write_all(b"\x07").and_then(|_| out.flush());
                }
                Command::SetDetail(on) => {
                    let _ = spawned.detail.send(on);
                }
                Command::StartRollback(plan) => {
                    let (stop, interrupt) = tokio::sync::watch::channel(false);
                    let run = tokio::spawn(crate::actions::rollback::execute(*plan, tx_actions.clone(), interrupt));
                    rollback = Some((stop, run));
                }
            }
        }
        if app.quit {
            break;
        }
        spawned.publish_taskmanagers(&app.live.store);
        terminal.draw(|f| ui::render(f, &app, &theme))?;
    }
    for h in spawned.handles {
        h.abort();
    }
    if let Some((stop, run)) = rollback.filter(|(_, run)| !run.is_finished()) {
        stop_rollback(&mut app, stop, run, &mut rx, &mut terminal, &theme, &config).await?;
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
