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
                    tokio::spawn(crate::actions::rollback::execute(*plan, tx_actions.clone()));
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
    Ok(())
}
