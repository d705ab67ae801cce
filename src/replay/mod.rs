//! `flinkscope replay FILE`: the dashboard driven by a recording instead of the network.
//! The same app takes the same events at the same (recorded) times, so its statistics,
//! alerts and verdict are the live run's. Space pauses, `←`/`→` seek 10 s, `[`/`]` change
//! the speed; the header shows the replay's clock.

#[cfg(feature = "testing")]
pub mod bench;
pub(crate) mod clock;
pub(crate) mod player;

use std::path::Path;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEventKind};
use tokio::sync::mpsc;

use crate::app::ReplayView;
use crate::config::Settings;
use crate::event::Event;
use crate::ui::{self, Theme};
pub use clock::Speed;
use clock::{Clock, SEEK};
use player::Player;

/// How long feeding may take between two frames when behind (at `max`, or after a seek).
const FEED_BUDGET: Duration = Duration::from_millis(40);
/// The longest wait between two frames (the clock in the header moves).
const FRAME: Duration = Duration::from_millis(250);

/// Where a replay starts and ends, from the recording's start.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Span {
    pub from: Option<Duration>,
    pub to: Option<Duration>,
}

/// What the `w` key does with the app as it stands (the report lives above the replay).
pub type OnReport = fn(&crate::app::App) -> Result<String, String>;

/// Runs the replay until the operator quits. Exit code: 0, or 2 when the file cannot be read.
pub async fn run(path: &Path, display: &Settings, theme: &Theme, speed: Speed, span: Span, on_report: OnReport) -> u8 {
    let mut player = match Player::open(path, display) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("flinkscope: {e}");
            return 2;
        }
    };
    match screen(&mut player, theme, speed, span, on_report).await {
        Ok(()) => {
            for n in player.notes() {
                eprintln!("flinkscope: {}: {n}", path.display());
            }
            0
        }
        Err(e) => {
            eprintln!("flinkscope: {e}");
            3
        }
    }
}

fn ns(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

async fn screen(
    player: &mut Player,
    theme: &Theme,
    speed: Speed,
    span: Span,
    on_report: OnReport,
) -> std::io::Result<()> {
    let (tx, mut rx) = mpsc::channel::<Event>(64);
    crate::tui::spawn_signals(tx.clone())?;
    let (mut terminal, _guard) = crate::tui::enter(false)?;
    crate::tui::spawn_input(tx);
    let end = span.to.map_or(i64::MAX, ns);
    let mut clock = Clock::new(Instant::now(), span.from.map_or(0, ns), speed);
    loop {
        let now = Instant::now();
        let target = clock.position(now).min(end);
        let behind = player.feed_until(target, FEED_BUDGET);
        let ended = player.next_ns().is_none_or(|t| t > end);
        if ended {
            // The clock waits where the data ends.
            clock.hold(now, player.position_ns);
        }
        player.app.replay = Some(view(player, &clock, now, ended));
        terminal.draw(|f| ui::render(f, &player.app, theme))?;
        let wait =
            if behind { Duration::ZERO } else { player.next_ns().map_or(FRAME, |t| clock.until(now, t).min(FRAME)) };
        let event = tokio::select! {
            ev = rx.recv() => ev,
            () = tokio::time::sleep(wait) => continue,
        };
        match event {
            None | Some(Event::Quit) => return Ok(()),
            Some(Event::Key(key)) if key.kind == KeyEventKind::Press => match key.code {
                KeyCode::Char(' ') => clock.toggle_pause(Instant::now()),
                KeyCode::Right => clock.seek(Instant::now(), SEEK),
                KeyCode::Left => {
                    let back = (clock.position(Instant::now()).min(player.position_ns) - ns(SEEK)).max(0);
                    player.rewind().map_err(std::io::Error::other)?;
                    player.feed_until(back, Duration::MAX);
                    clock.hold(Instant::now(), back);
                }
                KeyCode::Char('[') => clock.slower(Instant::now()),
                KeyCode::Char(']') => clock.faster(Instant::now()),
                _ => {
                    let at = player.app.now();
                    // `w` writes the report as it stands at the replay's clock.
                    if let Some(crate::app::Command::WriteReport) = player.app.update_at(Event::Key(key), at) {
                        player.app.report_note = Some(on_report(&player.app));
                    }
                    if player.app.quit {
                        return Ok(());
                    }
                }
            },
            Some(Event::Resize | Event::Mouse(_)) => {}
            Some(_) => {}
        }
    }
}

fn view(player: &Player, clock: &Clock, now: Instant, ended: bool) -> ReplayView {
    let at = Duration::from_nanos(u64::try_from(player.position_ns).unwrap_or(0));
    ReplayView {
        position: at,
        wall: player.header.started_wall() + at,
        speed: clock.speed.label(),
        paused: clock.paused,
        ended,
        behind: clock.position(now) > player.position_ns + ns(Duration::from_secs(2)) && !ended,
    }
}

#[cfg(test)]
pub(crate) mod tests;
