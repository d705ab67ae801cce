//! What `benches/recording.rs` measures, through the same paths a replay and a recording
//! take (feature `testing` only): a recording replayed to its end at max speed, and the
//! cost of recording each event beside the cost of the app taking it.

use std::path::Path;
use std::time::{Duration, Instant};

use super::player::{Player, judge_file};
use crate::config::Settings;
use crate::event::Event;
use crate::record::format::{Entry, Header};
use crate::record::reader::Reader;
use crate::record::writer::Recorder;

/// A recording replayed to its end.
#[derive(Debug, Clone, Copy)]
pub struct Replayed {
    pub records: u64,
    /// Sample records, and the metric values (gauges and counters) they hold.
    pub samples: u64,
    pub values: u64,
    /// The recording's span (its last record's time).
    pub span: Duration,
    /// How long the replay took.
    pub took: Duration,
    /// Of which reading and parsing the file alone (a pass without the app).
    pub reading: Duration,
}

/// Replays `path` to its end through the app, as `report` and `replay --speed max` do.
pub fn replay_to_end(path: &Path) -> Result<Replayed, String> {
    let (mut samples, mut values, mut records) = (0, 0, 0);
    let start = Instant::now();
    for entry in Reader::open(path).map_err(|e| e.to_string())? {
        records += 1;
        if let Entry::Sample { batch: Some(b), .. } = &entry {
            samples += 1;
            values += (b.gauges.len() + b.counters.len() + b.block_counters.len()) as u64;
        }
    }
    let reading = start.elapsed();
    let start = Instant::now();
    let player = judge_file(path, &Settings::default(), None)?;
    let took = start.elapsed();
    let span = Duration::from_nanos(u64::try_from(player.position_ns).unwrap_or(0));
    Ok(Replayed { records, samples, values, span, took, reading })
}

/// The cost of recording the events of `path` again, beside the app taking them.
#[derive(Debug, Clone, Copy)]
pub struct Overhead {
    /// Ticks (the loop's one-second beats) in the recording.
    pub ticks: u64,
    /// Time the app spent taking the events (ingest, rules and verdict on ticks).
    pub app: Duration,
    /// Time the recorder spent writing them (and the alert changes, on ticks).
    pub recording: Duration,
    pub bytes: u64,
}

/// Feeds `path`'s events to an app and to a recorder writing `out`, timing each apart.
pub fn overhead(path: &Path, out: &Path) -> Result<Overhead, String> {
    let mut player = Player::open(path, &Settings::default())?;
    // As the live loop takes them: the panels' figures after each event.
    player.app.defer_view = false;
    let epoch = player.app.started();
    let header: Header = player.header.clone();
    let mut rec = Recorder::create(out, &header, epoch).map_err(|e| e.to_string())?;
    let (mut app_t, mut rec_t, mut ticks) = (Duration::ZERO, Duration::ZERO, 0);
    for entry in Reader::open(path).map_err(|e| e.to_string())? {
        let Some((at, event)) = entry.into_event(epoch) else { continue };
        let tick = matches!(event, Event::Tick);
        let t = Instant::now();
        rec.event(&event, at);
        rec_t += t.elapsed();
        let t = Instant::now();
        let _ = player.app.update_at(event, at);
        app_t += t.elapsed();
        if tick {
            ticks += 1;
            let t = Instant::now();
            rec.alerts(&player.app.alerts, at);
            rec_t += t.elapsed();
        }
    }
    rec.finish().map_err(|e| e.to_string())?;
    let bytes = std::fs::metadata(out).map_err(|e| e.to_string())?.len();
    Ok(Overhead { ticks, app: app_t, recording: rec_t, bytes })
}
