//! The recording's records: a header line, then one line per event the app took, each
//! with the time it arrived. JSON Lines inside a zstd stream (see the module's doc).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::analysis::alerts::Alert;
use crate::analysis::rules::RulesConfig;
use crate::analysis::rules::{RuleId, Severity};
use crate::config::{AnalysisSettings, Config, Dur, GroupLabel, Settings};
use crate::event::Event;
use crate::model::settings::GroupSettings;
use crate::model::source::{SourceError, SourceId};
use crate::model::step::ActionEvent;
use crate::model::{Batch, Group};

/// The header's `format`: what this file is.
pub(crate) const MAGIC: &str = "flinkscope-recording";
/// The format version this build writes and the newest it reads.
pub(crate) const VERSION: u32 = 1;

/// The first line of a recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Header {
    pub(crate) format: String,
    pub(crate) version: u32,
    /// The flinkscope version that wrote it.
    pub(crate) flinkscope: String,
    /// When the recording began (the app's start): Unix milliseconds, and RFC 3339 for people.
    pub(crate) started_unix_ms: i64,
    pub(crate) started: String,
    /// A label for the tested configuration (`--name`), for reports and the matrix.
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// How the groups were described (their URL and TaskManager pattern), baseline first.
    pub(crate) groups: [GroupLabel; 2],
    /// The sources that were configured.
    pub(crate) sources: Vec<SourceId>,
    /// How the run judged: a replay judges with the same settings.
    pub(crate) judging: Judging,
}

/// The settings the judgement depends on, as the run had them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct Judging {
    pub(crate) interval: Dur,
    pub(crate) window: Dur,
    pub(crate) retention: Dur,
    pub(crate) chart_span: Dur,
    pub(crate) analysis: AnalysisSettings,
    pub(crate) rules: RulesConfig,
}

impl Judging {
    pub(crate) fn of(s: &Settings) -> Judging {
        Judging {
            interval: s.interval,
            window: s.window,
            retention: s.retention,
            chart_span: s.chart_span,
            analysis: s.analysis.clone(),
            rules: s.rules.clone(),
        }
    }

    /// The run's settings laid over `s` (what is not judging, such as the theme, stays).
    pub(crate) fn apply(&self, s: &mut Settings) {
        s.interval = self.interval;
        s.window = self.window;
        s.retention = self.retention;
        s.chart_span = self.chart_span;
        s.analysis = self.analysis.clone();
        s.rules = self.rules.clone();
    }
}

impl Header {
    /// The header of a recording of `config`'s run, begun at `started` on the wall clock.
    pub(crate) fn of(config: &Config, started: SystemTime) -> Header {
        let unix_ms =
            started.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Header {
            format: MAGIC.into(),
            version: VERSION,
            flinkscope: env!("CARGO_PKG_VERSION").into(),
            started_unix_ms: unix_ms,
            started: crate::analysis::alerts::rfc3339(started),
            name: config.settings.name.clone(),
            groups: [config.baseline.label(), config.variant.label()],
            sources: config.sources(),
            judging: Judging::of(&config.settings),
        }
    }

    /// When the recording began, on the wall clock.
    pub(crate) fn started_wall(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(u64::try_from(self.started_unix_ms).unwrap_or(0))
    }
}

/// One line after the header. `t_ns`: when the app took it, in nanoseconds since the
/// recording began.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub(crate) enum Entry {
    /// One poll's result. `at_ns` is when its values were current (may be before `t_ns`:
    /// Flink's REST answers from its last fetch); `error` is the failure as shown.
    Sample {
        t_ns: i64,
        source: SourceId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_ns: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        batch: Option<Box<Batch>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// One read of a group's settings.
    Settings {
        t_ns: i64,
        group: Group,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settings: Option<Box<GroupSettings>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// The loop's one-second tick (rules and the verdict are judged on ticks too).
    Tick { t_ns: i64 },
    /// Progress of a rollback: what the operator started and how each step went.
    Action { t_ns: i64, event: ActionEvent },
    /// An alert fired or resolved. Derived from the events before it (a replay judges
    /// again and does not read these); there for readers of the file.
    Alert { t_ns: i64, change: AlertChange, alert: AlertRecord },
}

/// An alert as recorded: which rule, how bad, and what it saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AlertRecord {
    pub(crate) rule: RuleId,
    pub(crate) severity: Severity,
    pub(crate) metric: String,
    pub(crate) observed: Option<f64>,
    pub(crate) baseline: Option<f64>,
    pub(crate) threshold: Option<f64>,
    pub(crate) message: String,
}

impl AlertRecord {
    pub(crate) fn of(a: &Alert) -> AlertRecord {
        let finite = |x: f64| x.is_finite().then_some(x);
        AlertRecord {
            rule: a.rule,
            severity: a.severity,
            metric: a.metric.to_string(),
            observed: finite(a.observed),
            baseline: finite(a.baseline),
            threshold: finite(a.threshold),
            message: a.message.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum AlertChange {
    Fired,
    Resolved,
}

impl Entry {
    /// The entry for an event the app took at `at`; `None` for what is the terminal's
    /// (keys, resizes) or the process's (quit).
    pub(crate) fn of_event(event: &Event, at: Instant, epoch: Instant) -> Option<Entry> {
        let t_ns = offset_ns(at, epoch);
        Some(match event {
            Event::Sample(source, Ok(batch)) => Entry::Sample {
                t_ns,
                source: *source,
                at_ns: Some(offset_ns(batch.at, epoch)),
                batch: Some(Box::new(finite_only(batch))),
                error: None,
            },
            Event::Sample(source, Err(e)) => {
                Entry::Sample { t_ns, source: *source, at_ns: None, batch: None, error: Some(e.to_string()) }
            }
            Event::Settings(group, Ok(s)) => {
                Entry::Settings { t_ns, group: *group, settings: Some(s.clone()), error: None }
            }
            Event::Settings(group, Err(e)) => {
                Entry::Settings { t_ns, group: *group, settings: None, error: Some(e.to_string()) }
            }
            Event::Tick => Entry::Tick { t_ns },
            Event::Action(e) => Entry::Action { t_ns, event: e.clone() },
            Event::Key(_) | Event::Resize | Event::Mouse(_) | Event::Quit => return None,
        })
    }

    /// When the app took it, since the recording began.
    pub(crate) fn t_ns(&self) -> i64 {
        match self {
            Entry::Sample { t_ns, .. }
            | Entry::Settings { t_ns, .. }
            | Entry::Tick { t_ns }
            | Entry::Action { t_ns, .. }
            | Entry::Alert { t_ns, .. } => *t_ns,
        }
    }

    /// The event to hand the app again, and when, with the recording begun at `epoch`.
    /// Alerts are derived: `None` (the replay judges them again). A failure comes back
    /// as the message it showed.
    pub(crate) fn into_event(self, epoch: Instant) -> Option<(Instant, Event)> {
        let t_ns = self.t_ns();
        let event = match self {
            Entry::Sample { source, at_ns, batch: Some(mut batch), .. } => {
                batch.at = instant(epoch, at_ns.unwrap_or(t_ns));
                Event::Sample(source, Ok(batch))
            }
            Entry::Sample { source, error, .. } => {
                Event::Sample(source, Err(SourceError::Other(error.unwrap_or_else(|| "no answer".into()))))
            }
            Entry::Settings { group, settings: Some(s), .. } => Event::Settings(group, Ok(s)),
            Entry::Settings { group, error, .. } => {
                Event::Settings(group, Err(SourceError::Other(error.unwrap_or_else(|| "no answer".into()))))
            }
            Entry::Tick { .. } => Event::Tick,
            Entry::Action { event, .. } => Event::Action(event),
            Entry::Alert { .. } => return None,
        };
        Some((instant(epoch, t_ns), event))
    }
}

/// The batch without what JSON cannot hold: a non-finite gauge is "no data" (as JSON's
/// `null` reads back), a non-finite counter total or interface rate is left out (its rate
/// could not be formed from it either).
fn finite_only(batch: &Batch) -> Batch {
    let mut b = batch.clone();
    let gauge = |(_, v): &mut (crate::model::MetricKey, Option<f64>)| {
        if v.is_some_and(|x| !x.is_finite()) {
            *v = None;
        }
    };
    b.gauges.iter_mut().for_each(gauge);
    b.history.iter_mut().for_each(|(_, g)| g.iter_mut().for_each(gauge));
    b.per_tm.iter_mut().for_each(|row| row.values.iter_mut().for_each(gauge));
    b.counters.retain(|c| c.total.is_finite() && c.scale.is_finite());
    b.block_counters.retain(|c| c.total.is_finite() && c.scale.is_finite());
    b.interfaces.retain(|i| {
        [i.rx_bytes_per_s, i.tx_bytes_per_s, i.rx_packets_per_s, i.tx_packets_per_s, i.drops_per_s, i.errors_per_s]
            .iter()
            .all(|x| x.is_finite())
    });
    b
}

/// Nanoseconds from `epoch` to `at` (negative before it).
pub(crate) fn offset_ns(at: Instant, epoch: Instant) -> i64 {
    match at.checked_duration_since(epoch) {
        Some(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        None => -i64::try_from(epoch.duration_since(at).as_nanos()).unwrap_or(i64::MAX),
    }
}

/// The instant `ns` nanoseconds after `epoch` (before it when negative).
pub(crate) fn instant(epoch: Instant, ns: i64) -> Instant {
    let d = Duration::from_nanos(ns.unsigned_abs());
    if ns >= 0 { epoch + d } else { epoch.checked_sub(d).unwrap_or(epoch) }
}
