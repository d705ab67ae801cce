//! Writes a recording as the app takes events: one JSON line per record into one zstd
//! stream, flushed after every record, so a crash or power loss costs at most the record
//! being written (and never more than the last second: the loop ticks every second).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use std::collections::BTreeSet;

use super::format::{AlertChange, AlertRecord, Entry, Header};
use crate::analysis::alerts::AlertBook;
use crate::analysis::rules::RuleId;
use crate::event::Event;

/// zstd's level 3 (its default): about 10x smaller than the JSON, at well under a
/// millisecond per record.
const LEVEL: i32 = 3;

pub(crate) struct Recorder {
    out: Option<zstd::stream::write::Encoder<'static, File>>,
    path: PathBuf,
    epoch: Instant,
    records: u64,
    /// The alerts active at the last look: what fires or resolves is the difference.
    active: BTreeSet<RuleId>,
    /// Why writing stopped (disk full, file size limit): said once, then nothing more
    /// is written; the dashboard goes on.
    failed: Option<String>,
}

impl Recorder {
    /// Starts a recording at `path` (a new file: an existing one is never overwritten)
    /// whose time starts at `epoch`.
    pub(crate) fn create(path: &Path, header: &Header, epoch: Instant) -> io::Result<Recorder> {
        let file =
            File::options().write(true).create_new(true).open(path).map_err(|e| {
                io::Error::new(e.kind(), format!("cannot create the recording {}: {e}", path.display()))
            })?;
        let out = zstd::stream::write::Encoder::new(file, LEVEL)?;
        let mut r = Recorder {
            out: Some(out),
            path: path.to_path_buf(),
            epoch,
            records: 0,
            active: BTreeSet::new(),
            failed: None,
        };
        r.write_line(&serde_json::to_vec(header)?)?;
        Ok(r)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Records written so far (the header aside).
    pub(crate) fn records(&self) -> u64 {
        self.records
    }

    /// Why the recording stopped, if it did.
    pub(crate) fn failed(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// Records an event the app takes at `at` (keys and resizes are not recorded).
    pub(crate) fn event(&mut self, event: &Event, at: Instant) {
        if let Some(entry) = Entry::of_event(event, at, self.epoch) {
            self.entry(&entry);
        }
    }

    /// Records the alerts that fired or resolved since the last look, as of `at`.
    pub(crate) fn alerts(&mut self, book: &AlertBook, at: Instant) {
        let t_ns = super::format::offset_ns(at, self.epoch);
        let fired: Vec<Entry> = book
            .active
            .iter()
            .filter(|(rule, _)| !self.active.contains(rule))
            .map(|(_, a)| Entry::Alert { t_ns, change: AlertChange::Fired, alert: AlertRecord::of(a) })
            .collect();
        let resolved: Vec<Entry> = self
            .active
            .iter()
            .filter(|rule| !book.active.contains_key(rule))
            .filter_map(|rule| book.history.iter().rev().find(|a| a.rule == *rule))
            .map(|a| Entry::Alert { t_ns, change: AlertChange::Resolved, alert: AlertRecord::of(a) })
            .collect();
        self.active = book.active.keys().copied().collect();
        for e in fired.iter().chain(&resolved) {
            self.entry(e);
        }
    }

    fn entry(&mut self, entry: &Entry) {
        if self.failed.is_some() {
            return;
        }
        let written = serde_json::to_vec(entry).map_err(io::Error::other).and_then(|line| self.write_line(&line));
        match written {
            Ok(()) => self.records += 1,
            Err(e) => {
                tracing::error!(path = %self.path.display(), error = %e, "recording stopped");
                self.failed = Some(format!("recording to {} stopped: {e}", self.path.display()));
                self.out = None;
            }
        }
    }

    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        let Some(out) = self.out.as_mut() else { return Ok(()) };
        out.write_all(line)?;
        out.write_all(b"\n")?;
        // Ends the zstd block and hands it to the file: everything so far can be read back
        // whatever happens next.
        out.flush()
    }

    /// Ends the zstd frame (a complete file for `zstdcat`) and closes the file.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        match self.out.take() {
            Some(out) => out.finish()?.sync_all(),
            None => Ok(()),
        }
    }
}
