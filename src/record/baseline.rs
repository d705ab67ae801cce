//! A recorded baseline (`--baseline-from FILE`): the baseline group's samples and settings
//! reads from a recording, sent on the live event channel at their place on the live
//! clock, as if its sources were polling now. The app, its statistics, alerts and `check`
//! take them as they take live samples: nothing downstream knows.
//!
//! Two ways to meet the live clock (`--baseline-align`): `window` plays the window from its
//! start when flinkscope starts and again from its start when it ends; `time-of-day` puts a
//! sample recorded at 14:05 at 14:05 today (and each day after), waiting when the recording
//! does not cover the hour.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::format::{Entry, instant};
use super::reader::Reader;
use crate::config::{Align, RecordedGroup, Seen, Window};
use crate::event::Event;
use crate::model::Group;
use crate::model::source::{SourceError, SourceId, SourceKind};

const DAY_NS: i64 = 86_400 * 1_000_000_000;
/// While the recording has nothing for a while, its sources say why this often.
const WAITING_NOTE: Duration = Duration::from_secs(5);

/// Reads the recording's header into `rec.seen`: what the recorded baseline was, which
/// sources it had, when it began. A file that is not a readable recording is an error
/// at start, not an empty baseline.
pub fn resolve(rec: &mut RecordedGroup) -> Result<(), String> {
    let reader = Reader::open(&rec.path).map_err(|e| format!("--baseline-from: {e}"))?;
    let h = reader.header;
    let mut sources: Vec<SourceKind> =
        h.sources.iter().filter(|s| s.group == Group::Baseline).map(|s| s.kind).collect();
    sources.dedup();
    if sources.is_empty() {
        return Err(format!("--baseline-from: {} names no baseline source", rec.path.display()));
    }
    let [label, _] = h.groups.clone();
    rec.seen = Some(Seen { label, sources, started_wall: h.started_wall() });
    Ok(())
}

/// Where one pass over the recording lands on the live clock: live offset = recorded
/// offset + `shift_ns` (both from their own starts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pass {
    pub(crate) number: u64,
    pub(crate) shift_ns: i64,
    /// Live offsets from here on are the next pass's (a day of a longer recording).
    pub(crate) until_ns: i64,
}

/// The passes of `window` over a recording begun `recorded_before_ns` before the live run
/// (negative: after it), the first one given; `len_ns` is the window's length once a pass
/// has read it.
pub(crate) fn pass(align: Align, window: Window, recorded_before_ns: i64, number: u64, len_ns: i64) -> Pass {
    let n = i64::try_from(number).unwrap_or(i64::MAX);
    match align {
        Align::Window => Pass { number, shift_ns: n.saturating_mul(len_ns) - window.start_ns(), until_ns: i64::MAX },
        Align::TimeOfDay => {
            // The latest day on which the recording's start is not after the live start:
            // its samples from now on play today, the next pass tomorrow.
            let days = recorded_before_ns.div_euclid(DAY_NS);
            let shift_ns = (days + n) * DAY_NS - recorded_before_ns;
            Pass { number, shift_ns, until_ns: shift_ns + DAY_NS }
        }
    }
}

/// The event to send for a recorded entry on `pass`, with the live run begun at `live`;
/// `None` for what is not the baseline's (the variant's samples, ticks, alerts, actions).
pub(crate) fn event_of(entry: Entry, pass: Pass, live: Instant, wall_shift_ms: i64) -> Option<Event> {
    match entry {
        Entry::Sample { source, .. } if source.group != Group::Baseline => None,
        Entry::Sample { t_ns, source, at_ns, batch: Some(mut batch), .. } => {
            batch.at = instant(live, at_ns.unwrap_or(t_ns) + pass.shift_ns);
            // Counters start again with each pass: rates are never formed across two.
            batch.epoch ^= pass.number << 48;
            // Flink's failure times move with the samples (a recorded failure is one now).
            let ms = wall_shift_ms + pass.shift_ns / 1_000_000;
            batch.exceptions.iter_mut().for_each(|e| e.timestamp_ms += ms);
            batch.history.clear();
            Some(Event::Sample(source, Ok(batch)))
        }
        Entry::Sample { source, error, .. } => Some(Event::Sample(
            source,
            Err(SourceError::Other(format!("recorded: {}", error.unwrap_or_else(|| "no answer".into())))),
        )),
        Entry::Settings { group: Group::Baseline, settings: Some(s), .. } => {
            Some(Event::Settings(Group::Baseline, Ok(s)))
        }
        Entry::Settings { group: Group::Baseline, error, .. } => Some(Event::Settings(
            Group::Baseline,
            Err(SourceError::Other(format!("recorded: {}", error.unwrap_or_else(|| "no answer".into())))),
        )),
        Entry::Settings { .. } | Entry::Tick { .. } | Entry::Action { .. } | Entry::Alert { .. } => None,
    }
}

/// Starts the recorded baseline: one task, as a source is (aborted with the sources).
pub(crate) fn spawn(
    rec: &RecordedGroup,
    interval: Duration,
    live: Instant,
    live_wall: SystemTime,
    tx: mpsc::Sender<Event>,
) -> JoinHandle<()> {
    let rec = rec.clone();
    tokio::spawn(async move { play(&rec, interval, live, live_wall, &tx).await })
}

async fn play(rec: &RecordedGroup, interval: Duration, live: Instant, live_wall: SystemTime, tx: &mpsc::Sender<Event>) {
    let Some(seen) = rec.seen.as_ref() else { return };
    let ids: Vec<SourceId> = seen.sources.iter().map(|&kind| SourceId { group: Group::Baseline, kind }).collect();
    let recorded_before_ns = signed_ns(live_wall, seen.started_wall);
    let wall_shift_ms = recorded_before_ns / 1_000_000;
    let window = rec.window.unwrap_or_default();
    let mut len_ns = 0;
    for number in 0.. {
        let p = pass(rec.align, window, recorded_before_ns, number, len_ns);
        let (played, last_ns) = match play_pass(&rec.path, window, p, live, wall_shift_ms, &ids, tx).await {
            Ok(x) => x,
            Err(Closed) => return,
        };
        if played == 0 && number > 0 || last_ns.is_none() {
            let why = format!("{} has no baseline samples in the window", rec.path.display());
            say_forever(&ids, &why, tx).await;
            return;
        }
        let step = i64::try_from(interval.as_nanos()).unwrap_or(i64::MAX);
        len_ns = last_ns.map_or(step, |l| l - window.start_ns() + step).max(step);
    }
}

/// The channel is gone: the app has ended.
struct Closed;

/// One pass: every baseline record of the window at its live time. Returns how many
/// were sent and the last recorded offset in the window.
async fn play_pass(
    path: &Path,
    window: Window,
    p: Pass,
    live: Instant,
    wall_shift_ms: i64,
    ids: &[SourceId],
    tx: &mpsc::Sender<Event>,
) -> Result<(u64, Option<i64>), Closed> {
    let reader = match Reader::open(path) {
        Ok(r) => r,
        Err(e) => {
            say_forever(ids, &e.to_string(), tx).await;
            return Err(Closed);
        }
    };
    let (mut played, mut last) = (0, None);
    for entry in reader {
        let t = entry.t_ns();
        if t < window.start_ns() {
            continue;
        }
        if t > window.end_ns() {
            break;
        }
        last = Some(t);
        let due_ns = t + p.shift_ns;
        if due_ns >= p.until_ns {
            break;
        }
        // Time of day: what was recorded before this hour is not played today.
        if due_ns < 0 {
            continue;
        }
        let Some(event) = event_of(entry, p, live, wall_shift_ms) else { continue };
        wait_until(instant(live, due_ns), ids, tx).await?;
        tx.send(event).await.map_err(|_| Closed)?;
        played += 1;
    }
    Ok((played, last))
}

/// Sleeps until `due`; while that is far, the recorded sources say what they wait for.
/// (On tokio's clock: a test can run an hour of it in no time.)
async fn wait_until(due: Instant, ids: &[SourceId], tx: &mpsc::Sender<Event>) -> Result<(), Closed> {
    let due = tokio::time::Instant::from_std(due);
    loop {
        let left = due.saturating_duration_since(tokio::time::Instant::now());
        if left <= WAITING_NOTE {
            tokio::time::sleep_until(due).await;
            return Ok(());
        }
        let why = format!(
            "the recorded baseline's next sample is due in {}",
            humantime::format_duration(Duration::from_secs(left.as_secs()))
        );
        for &id in ids {
            tx.send(Event::Sample(id, Err(SourceError::Other(why.clone())))).await.map_err(|_| Closed)?;
        }
        tokio::time::sleep(WAITING_NOTE).await;
    }
}

/// Says `why` for every recorded source until the app ends (nothing more will come).
async fn say_forever(ids: &[SourceId], why: &str, tx: &mpsc::Sender<Event>) {
    loop {
        for &id in ids {
            if tx.send(Event::Sample(id, Err(SourceError::Other(why.to_string())))).await.is_err() {
                return;
            }
        }
        tokio::time::sleep(WAITING_NOTE).await;
    }
}

/// `a - b` in nanoseconds, negative when `a` is earlier.
fn signed_ns(a: SystemTime, b: SystemTime) -> i64 {
    match a.duration_since(b) {
        Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
    }
}

#[cfg(test)]
mod tests;
