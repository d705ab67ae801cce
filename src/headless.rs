//! The dashboard's loop without a screen: `snapshot`, `check` and `record` watch for a
//! while, then say what they saw.

use std::time::{Duration, Instant};

use crate::app::{App, Command};
use crate::config::Config;
use crate::run::EventLoop;

/// When a headless watch ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Until {
    /// After the duration.
    Duration(Duration),
    /// After the duration, or at the first hard alert (`check`).
    HardAlert(Duration),
    /// After the duration, or at SIGINT/SIGTERM/SIGHUP (`record`, under a service manager).
    Signal(Duration),
}

impl Until {
    fn duration(self) -> Duration {
        match self {
            Until::Duration(d) | Until::HardAlert(d) | Until::Signal(d) => d,
        }
    }
}

/// What a headless watch saw.
pub(crate) struct Watched {
    pub(crate) app: App,
    /// With `--record`: the records written, or why writing stopped.
    pub(crate) recorded: Option<Result<u64, String>>,
    /// A signal ended it before its duration.
    pub(crate) signalled: bool,
}

impl Watched {
    /// Says on stderr how the recording went (stdout carries the document).
    pub(crate) fn say_recording(&self) {
        match &self.recorded {
            Some(Ok(n)) => eprintln!("flinkscope: recorded {n} records"),
            Some(Err(why)) => eprintln!("flinkscope: {why}"),
            None => {}
        }
    }
}

/// `flinkscope record --duration D -o FILE`: records headless until the duration ends or a
/// signal stops it; says what it wrote on stderr. Exit 0 recorded (to the end or to the
/// signal), 2 the file cannot be created, 3 writing stopped.
pub async fn record(config: &Config, duration: Duration) -> u8 {
    let w = match watch(config, Until::Signal(duration)).await {
        Ok(w) => w,
        Err(e) => {
            eprintln!("flinkscope: {e}");
            return 2;
        }
    };
    let path = config.settings.record.as_deref().map(|p| p.display().to_string()).unwrap_or_default();
    let how = if w.signalled { "stopped by a signal after" } else { "for" };
    match &w.recorded {
        Some(Ok(n)) => {
            eprintln!(
                "flinkscope: recorded {n} records to {path}, {how} {}",
                crate::format::duration(w.app.observed())
            );
            0
        }
        Some(Err(why)) => {
            eprintln!("flinkscope: {why}");
            3
        }
        None => 3,
    }
}

/// Watches headless until `until`. Fails only when `--record`'s file cannot be created.
pub(crate) async fn watch(config: &Config, until: Until) -> Result<Watched, String> {
    let started = Instant::now();
    // The dashboard's own loop, without a screen.
    let mut app = App::new(config, started);
    app.begin_stage(std::time::SystemTime::now())?;
    let mut events = EventLoop::start(config, &app);
    if let Some(path) = &config.settings.record {
        events.record(path, config, &app).map_err(|e| e.to_string())?;
    }
    if matches!(until, Until::Signal(_)) {
        crate::tui::spawn_signals(events.tx.clone()).map_err(|e| format!("cannot watch for signals: {e}"))?;
    }
    let deadline = tokio::time::Instant::from_std(started + until.duration());
    let what = match until {
        Until::HardAlert(_) => Some("check"),
        Until::Signal(_) => Some("record"),
        Until::Duration(_) => None,
    };
    let mut progress = crate::progress::Progress::new(
        what.unwrap_or_default(),
        until.duration(),
        what.is_none() || config.settings.quiet,
    );
    while let Some(commands) = events.step(&mut app, Some(deadline)).await {
        progress.update(&app, events.recording().map(|r| r.records));
        for c in commands {
            if let Command::SetDetail(on) = c {
                events.set_detail(on);
            }
        }
        if matches!(until, Until::HardAlert(_)) && app.alerts.hard_fired || app.quit {
            break;
        }
    }
    progress.finish();
    events.stop_sources();
    app.update(crate::event::Event::Tick);
    Ok(Watched { signalled: app.quit, recorded: events.finish_recording(), app })
}
