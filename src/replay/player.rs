//! Feeds a recording's events to an app at their recorded times: the same app, the same
//! judgement, no network. The app's clock is the recording's.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::app::App;
use crate::config::{Config, GroupConfig, Settings};
use crate::record::format::{Entry, Header};
use crate::record::reader::Reader;

pub(crate) struct Player {
    path: PathBuf,
    /// The settings the app judges with: the recording's, over the operator's display ones.
    config: Config,
    pub(crate) header: Header,
    reader: Reader,
    /// The next record to feed, read ahead.
    next: Option<Entry>,
    /// The app's `started`: record times are offsets from it.
    epoch: Instant,
    pub(crate) app: App,
    /// The time of the last record fed, from the recording's start.
    pub(crate) position_ns: i64,
}

impl Player {
    /// Opens `path`; `display` holds what is the operator's (theme, log file), the
    /// judgement settings come from the recording.
    pub(crate) fn open(path: &Path, display: &Settings) -> Result<Player, String> {
        let reader = Reader::open(path).map_err(|e| e.to_string())?;
        let header = reader.header.clone();
        let mut settings = display.clone();
        header.judging.apply(&mut settings);
        // A replay acts on nothing: no rollback, armed or by key; no recording of itself.
        settings.rollback = None;
        settings.read_only = true;
        settings.record = None;
        settings.name.clone_from(&header.name);
        let config = Config { settings, baseline: GroupConfig::default(), variant: GroupConfig::default() };
        let epoch = Instant::now();
        let app =
            App::with_sources(&config, epoch, header.started_wall(), header.sources.clone(), header.groups.clone());
        let mut app = app;
        app.defer_view = true;
        let mut p = Player { path: path.to_path_buf(), config, header, reader, next: None, epoch, app, position_ns: 0 };
        p.next = p.reader.next();
        Ok(p)
    }

    /// Starts again from the beginning (a seek backwards: an app cannot forget).
    pub(crate) fn rewind(&mut self) -> Result<(), String> {
        let display = self.config.settings.clone();
        let app_state = (self.app.focus, self.app.span);
        *self = Player::open(&self.path.clone(), &display)?;
        (self.app.focus, self.app.span) = app_state;
        Ok(())
    }

    /// When the next record is due, from the recording's start; `None` at its end.
    pub(crate) fn next_ns(&self) -> Option<i64> {
        self.next.as_ref().map(Entry::t_ns)
    }

    /// Feeds every record up to `until_ns` (inclusive) or until `budget` is spent; true
    /// when records up to `until_ns` remain.
    pub(crate) fn feed_until(&mut self, until_ns: i64, budget: Duration) -> bool {
        let start = Instant::now();
        let mut fed = false;
        let behind = loop {
            if self.next_ns().is_none_or(|t| t > until_ns) {
                break false;
            }
            if start.elapsed() > budget {
                break true;
            }
            self.feed_one();
            fed = true;
        };
        // The panels' figures once per feed (per frame), as of the last record fed.
        if fed {
            self.app.refresh_comparisons();
        }
        behind
    }

    fn feed_one(&mut self) {
        let Some(entry) = self.next.take() else { return };
        let t = entry.t_ns();
        if let Some((at, event)) = entry.into_event(self.epoch) {
            // Commands are the live loop's (rollbacks, drill-down polling): a replay has
            // nothing to act on.
            let _ = self.app.update_at(event, at);
        }
        self.position_ns = self.position_ns.max(t);
        self.next = self.reader.next();
    }

    /// What reading left out: a torn last record, records that did not parse.
    pub(crate) fn notes(&self) -> Vec<String> {
        let mut out: Vec<String> = self.reader.torn.iter().cloned().collect();
        if !self.reader.skipped.is_empty() {
            out.push(format!("{} records did not parse and were left out", self.reader.skipped.len()));
        }
        out
    }
}

/// Replays `path` to its end (or to `to`) without a screen: the app as the live run left it.
pub(crate) fn judge_file(path: &Path, display: &Settings, to: Option<Duration>) -> Result<Player, String> {
    let mut p = Player::open(path, display)?;
    let until = to.map_or(i64::MAX, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
    p.feed_until(until, Duration::MAX);
    Ok(p)
}
