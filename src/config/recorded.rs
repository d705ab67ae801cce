//! A group whose series come from a recording instead of live sources (`--baseline-from`):
//! "the baseline is last week", compared with a live variant through the same judgement.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, GroupLabel, parse_duration};
use crate::model::source::SourceKind;

/// `[baseline.recording]` or `--baseline-from FILE [--baseline-window FROM..TO] [--baseline-align ...]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RecordedGroup {
    /// The recording (`flinkscope record`, `--record`).
    pub(crate) path: PathBuf,
    /// The part of the recording to use, from its start ("10m..40m"; either side may be open).
    #[serde(default)]
    pub(crate) window: Option<Window>,
    #[serde(default)]
    pub(crate) align: Align,
    /// What the recording's header says of the group, once read (main reads it before the
    /// app starts: the config cannot read recordings).
    #[serde(skip)]
    pub(crate) seen: Option<Seen>,
}

/// How recorded time maps onto the live clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Align {
    /// The window plays from its start when flinkscope starts, again from its start when
    /// it ends: the whole window is the baseline, whenever the variant runs.
    #[default]
    Window,
    /// A sample recorded at 14:05 is the baseline at 14:05 today (and on the days after):
    /// for workloads whose traffic follows the time of day ("last week, same hour").
    TimeOfDay,
}

/// FROM..TO from the recording's start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub(crate) from: Option<Duration>,
    pub(crate) to: Option<Duration>,
}

impl Window {
    /// "10m..40m", "10m..", "..40m".
    pub fn parse(s: &str) -> Result<Window, String> {
        let (a, b) = s.split_once("..").ok_or_else(|| format!("{s:?}: write the window as FROM..TO, e.g. 10m..40m"))?;
        let side = |x: &str| (!x.trim().is_empty()).then(|| parse_duration(x.trim())).transpose();
        let w = Window { from: side(a)?, to: side(b)? };
        if let (Some(f), Some(t)) = (w.from, w.to)
            && t <= f
        {
            return Err(format!("{s:?}: the window ends before it begins"));
        }
        Ok(w)
    }

    /// From, in nanoseconds of the recording.
    pub(crate) fn start_ns(self) -> i64 {
        self.from.map_or(0, ns)
    }

    /// To, in nanoseconds of the recording (open: the recording's end).
    pub(crate) fn end_ns(self) -> i64 {
        self.to.map_or(i64::MAX, ns)
    }
}

fn ns(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

impl<'de> Deserialize<'de> for Window {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Window::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The recorded group as its recording describes it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Seen {
    pub(crate) label: GroupLabel,
    /// The group's sources in the recording (the host source aside).
    pub(crate) sources: Vec<SourceKind>,
    /// When the recording began, on the wall clock.
    pub(crate) started_wall: std::time::SystemTime,
}

impl RecordedGroup {
    pub fn new(path: PathBuf, window: Option<Window>, align: Align) -> RecordedGroup {
        RecordedGroup { path, window, align, seen: None }
    }

    /// How the header shows the group: the file, and what the recording polled.
    pub(crate) fn label(&self) -> GroupLabel {
        let file = self.path.file_name().map_or_else(|| self.path.display().to_string(), |f| f.display().to_string());
        let was = self.seen.as_ref().map(|s| format!(" of {}", s.label.url)).unwrap_or_default();
        GroupLabel {
            url: crate::sanitize::clean(&format!("recording {file}{was}")),
            taskmanagers: self.seen.as_ref().and_then(|s| s.label.taskmanagers.clone()),
        }
    }
}

/// Only the baseline comes from a recording, and then only from it.
pub(super) fn check(name: &str, g: &super::GroupConfig) -> Result<(), ConfigError> {
    let Some(r) = &g.recording else { return Ok(()) };
    if name != "baseline" {
        return Err(ConfigError::Invalid(format!(
            "[{name}.recording]: only the baseline can come from a recording (the variant is what is being tested, live)"
        )));
    }
    if g.flink.is_some() || !g.prometheus.is_empty() || !g.jolokia.is_empty() || g.prometheus_server.is_some() {
        return Err(ConfigError::Invalid(format!(
            "[{name}] takes its series from the recording {}; it cannot poll live sources as well (remove its flink/prometheus/jolokia/prometheus-server, or --baseline-from)",
            r.path.display()
        )));
    }
    Ok(())
}
