//! Reads a recording back: the header, then the records one at a time (a replay of an
//! hour does not hold the hour). A record cut short at the end (a crash while it was
//! written) is left out and said; a file of a newer format is refused.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::format::{Entry, Header, MAGIC, VERSION};

/// Why a recording cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    #[error("cannot open {path}: {source}")]
    Open { path: String, source: std::io::Error },
    #[error("{path} is not a flinkscope recording: {why}")]
    NotARecording { path: String, why: String },
    #[error(
        "{path} was written by a newer flinkscope ({by}, recording format {version}); this one reads format {VERSION} and older: upgrade flinkscope to read it"
    )]
    Newer { path: String, by: String, version: u32 },
}

/// An open recording: its header, then its records in order.
pub(crate) struct Reader {
    pub(crate) header: Header,
    lines: Box<dyn BufRead + Send>,
    line: u64,
    buf: Vec<u8>,
    /// Why reading ended before the file's end, once it did (a torn last record).
    pub(crate) torn: Option<String>,
    /// Records that did not parse and were skipped (with their line numbers).
    pub(crate) skipped: Vec<(u64, String)>,
}

impl Reader {
    pub(crate) fn open(path: &Path) -> Result<Reader, ReadError> {
        let shown = path.display().to_string();
        let file = File::open(path).map_err(|source| ReadError::Open { path: shown.clone(), source })?;
        let decoder = zstd::stream::read::Decoder::new(file)
            .map_err(|e| ReadError::NotARecording { path: shown.clone(), why: e.to_string() })?;
        Reader::from_lines(Box::new(BufReader::new(decoder)), &shown)
    }

    fn from_lines(mut lines: Box<dyn BufRead + Send>, shown: &str) -> Result<Reader, ReadError> {
        let not = |why: String| ReadError::NotARecording { path: shown.to_string(), why };
        let mut first = Vec::new();
        match lines.read_until(b'\n', &mut first) {
            Ok(0) => return Err(not("it is empty".into())),
            Ok(_) if first.last() == Some(&b'\n') => {}
            Ok(_) => return Err(not("its header is cut short".into())),
            Err(e) => return Err(not(format!("it does not start with a zstd frame: {e}"))),
        }
        let value: serde_json::Value =
            serde_json::from_slice(&first).map_err(|e| not(format!("its first line is not a header: {e}")))?;
        if value.get("format").and_then(serde_json::Value::as_str) != Some(MAGIC) {
            return Err(not(format!("its first line does not say \"format\": \"{MAGIC}\"")));
        }
        let version = value.get("version").and_then(serde_json::Value::as_u64).unwrap_or(0);
        if version > u64::from(VERSION) {
            let by = value.get("flinkscope").and_then(serde_json::Value::as_str).unwrap_or("?");
            return Err(ReadError::Newer {
                path: shown.to_string(),
                by: crate::sanitize::clean(by),
                version: u32::try_from(version).unwrap_or(u32::MAX),
            });
        }
        let header = serde_json::from_value(value).map_err(|e| not(format!("its header: {e}")))?;
        Ok(Reader { header, lines, line: 1, buf: Vec::new(), torn: None, skipped: Vec::new() })
    }

    /// The next complete line, or `None` at the end (a line without its newline is a torn
    /// record: `torn` says so).
    fn next_line(&mut self) -> Option<Vec<u8>> {
        if self.torn.is_some() {
            return None;
        }
        self.buf.clear();
        match self.lines.read_until(b'\n', &mut self.buf) {
            Ok(0) => None,
            Ok(_) if self.buf.last() == Some(&b'\n') => {
                self.line += 1;
                self.buf.pop();
                Some(std::mem::take(&mut self.buf))
            }
            Ok(n) => {
                self.torn = Some(format!("the last record (line {}, {n} bytes) was cut short", self.line + 1));
                None
            }
            Err(e) => {
                self.torn = Some(format!("the file ends inside a compressed block after line {}: {e}", self.line));
                None
            }
        }
    }
}

impl Iterator for Reader {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        loop {
            let line = self.next_line()?;
            match parse(&line) {
                Ok(e) => return Some(e),
                Err(e) => {
                    tracing::warn!(line = self.line, error = %e, "recording: record skipped");
                    self.skipped.push((self.line, e.to_string()));
                }
            }
        }
    }
}

/// A sample record, read straight into its fields. Samples are nearly all of a recording,
/// and serde reads an internally tagged enum by buffering each record into a tree first
/// (a third of a replay's time went there); the tag is written first, so a sample's line
/// is known by its start.
#[derive(serde::Deserialize)]
struct SampleLine {
    t_ns: i64,
    source: crate::model::source::SourceId,
    #[serde(default)]
    at_ns: Option<i64>,
    #[serde(default)]
    batch: Option<Box<crate::model::Batch>>,
    #[serde(default)]
    error: Option<String>,
}

fn parse(line: &[u8]) -> serde_json::Result<Entry> {
    if line.starts_with(br#"{"type":"sample","#) {
        let SampleLine { t_ns, source, at_ns, batch, error } = serde_json::from_slice(line)?;
        return Ok(Entry::Sample { t_ns, source, at_ns, batch, error });
    }
    serde_json::from_slice(line)
}
