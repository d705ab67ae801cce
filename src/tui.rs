//! The terminal: entered once, always restored (quit, error, panic, signals), and the
//! thread that turns terminal input into events.

use std::time::Duration;

use crossterm::event::{self, Event as TermEvent, KeyEventKind};
use tokio::sync::mpsc;

use crate::event::Event;

/// Restores the terminal when dropped, whatever path leaves the dashboard.
pub(crate) struct TerminalGuard {
    mouse: bool,
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if self.mouse {
            let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
        }
        ratatui::restore();
    }
}

/// Enters the alternate screen and raw mode. `ratatui::init` also installs a panic hook
/// that restores the terminal before the (color-eyre) report is printed.
/// With `mouse`, clicks and the wheel are reported too (and given back on the way out).
pub(crate) fn enter(mouse: bool) -> std::io::Result<(ratatui::DefaultTerminal, TerminalGuard)> {
    let terminal = ratatui::try_init()?;
    if mouse {
        crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture)?;
    }
    Ok((terminal, TerminalGuard { mouse }))
}

/// Reads terminal input on a plain thread (crossterm's reader blocks) and forwards key
/// presses and resizes. Ends when the app's channel closes.
pub(crate) fn spawn_input(tx: mpsc::Sender<Event>) {
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            while !tx.is_closed() {
                match event::poll(Duration::from_millis(200)) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(_) => break,
                }
                let ev = match event::read() {
                    Ok(TermEvent::Key(k)) if k.kind == KeyEventKind::Press => Event::Key(k),
                    Ok(TermEvent::Resize(_, _)) => Event::Resize,
                    Ok(TermEvent::Mouse(m)) => Event::Mouse(m),
                    Ok(_) => continue,
                    Err(_) => break,
                };
                if tx.blocking_send(ev).is_err() {
                    break;
                }
            }
        })
        .expect("spawning the input thread");
}

/// SIGTERM, SIGHUP and SIGINT become a clean quit (the terminal is restored on the way out).
pub(crate) fn spawn_signals(tx: mpsc::Sender<Event>) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = hup.recv() => {}
            _ = int.recv() => {}
        }
        let _ = tx.send(Event::Quit).await;
    });
    Ok(())
}
