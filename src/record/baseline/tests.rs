use std::time::{Duration, Instant, SystemTime};

use tokio::sync::mpsc;

use super::{DAY_NS, Pass, event_of, pass, resolve, spawn};
use crate::app::demo;
use crate::config::{Align, RecordedGroup, Window};
use crate::event::Event;
use crate::model::source::{SourceId, SourceKind};
use crate::model::{Group, MetricKey};
use crate::record::format::{Entry, Header};
use crate::record::writer::Recorder;

const S: i64 = 1_000_000_000;

fn temp(name: &str) -> std::path::PathBuf {
    tempfile::tempdir().expect("temp dir").keep().join(name)
}

/// A recording begun at `wall`: `n` seconds of REST samples of both groups (the baseline's
/// records-in gauge is its second), a tick each second.
fn recording(name: &str, wall: SystemTime, n: u64) -> std::path::PathBuf {
    let path = temp(name);
    let epoch = Instant::now();
    let mut r = Recorder::create(&path, &Header::of(&demo::config(), wall), epoch).expect("create");
    for i in 0..n {
        let at = epoch + Duration::from_secs(i);
        for g in Group::BOTH {
            let mut b = demo::batch(g, at, i);
            b.gauges.retain(|(k, _)| *k != MetricKey::RecordsInPerS);
            b.gauges.push((MetricKey::RecordsInPerS, Some(i as f64)));
            r.event(&Event::Sample(SourceId { group: g, kind: SourceKind::FlinkRest }, Ok(Box::new(b))), at);
        }
        r.event(&Event::Tick, at);
    }
    r.finish().expect("finish");
    path
}

fn group(path: std::path::PathBuf, window: Option<Window>, align: Align) -> RecordedGroup {
    let mut g = RecordedGroup::new(path, window, align);
    resolve(&mut g).expect("a recording");
    g
}

/// The recorded second a baseline sample came from, and when it plays on the live clock.
fn played(ev: &Event, live: Instant) -> Option<(f64, i64)> {
    let Event::Sample(id, Ok(b)) = ev else { return None };
    assert_eq!(id.group, Group::Baseline, "only the baseline plays");
    let second = b.gauges.iter().find(|(k, _)| *k == MetricKey::RecordsInPerS)?.1?;
    let at = i64::try_from(b.at.duration_since(live).as_millis()).unwrap();
    Some((second, at))
}

#[test]
fn a_window_plays_from_its_start_and_again_after_its_end() {
    let w = Window::parse("2s..6s").unwrap();
    assert_eq!(pass(Align::Window, w, 123 * S, 0, 0), Pass { number: 0, shift_ns: -2 * S, until_ns: i64::MAX });
    // A window of five one-second samples is five seconds long.
    assert_eq!(pass(Align::Window, w, 123 * S, 1, 5 * S).shift_ns, 3 * S);
    assert_eq!(pass(Align::Window, Window::default(), 0, 2, 10 * S).shift_ns, 20 * S);
}

#[test]
fn time_of_day_plays_a_sample_at_its_recorded_hour_today() {
    // Recorded a week and an hour before now: what was recorded 1h30m in plays in 30 min.
    let p = pass(Align::TimeOfDay, Window::default(), 7 * DAY_NS + 3600 * S, 0, 0);
    assert_eq!(p.shift_ns + 5400 * S, 1800 * S);
    assert_eq!(p.until_ns, p.shift_ns + DAY_NS);
    // The next pass is tomorrow's.
    assert_eq!(pass(Align::TimeOfDay, Window::default(), 7 * DAY_NS + 3600 * S, 1, 0).shift_ns, p.shift_ns + DAY_NS);
    // Recorded later in the day than now (yesterday 23:00, now 22:00): only a recording
    // of 23 hours or more has something for now; a shorter one plays in an hour.
    let later = |n| pass(Align::TimeOfDay, Window::default(), DAY_NS - 3600 * S, n, 0).shift_ns;
    assert_eq!(later(0), -23 * 3600 * S);
    assert_eq!(later(1), 3600 * S);
}

#[test]
fn the_window_is_checked_as_it_is_typed() {
    assert_eq!(Window::parse("10m..").unwrap().from, Some(Duration::from_secs(600)));
    assert_eq!(Window::parse("..40m").unwrap().to, Some(Duration::from_secs(2400)));
    assert!(Window::parse("40m..10m").unwrap_err().contains("ends before it begins"));
    assert!(Window::parse("10m").unwrap_err().contains("FROM..TO"));
}

#[test]
fn only_the_baselines_samples_and_settings_become_events_moved_onto_the_live_clock() {
    let live = Instant::now();
    let p = Pass { number: 2, shift_ns: 5 * S, until_ns: i64::MAX };
    let mut b = demo::batch(Group::Baseline, live, 1);
    b.epoch = 7;
    b.exceptions.push(crate::model::exceptions::ExceptionEntry {
        job_id: "j".into(),
        timestamp_ms: 1_000,
        name: "java.io.IOException".into(),
        taskmanager_id: None,
        network: false,
        out_of_memory: false,
        buffer_shortage: false,
        concurrent: false,
    });
    let base = SourceId { group: Group::Baseline, kind: SourceKind::FlinkRest };
    let entry = Entry::Sample { t_ns: 3 * S, source: base, at_ns: Some(2 * S), batch: Some(Box::new(b)), error: None };
    let Some(Event::Sample(id, Ok(back))) = event_of(entry, p, live, 60_000) else { panic!("a sample") };
    assert_eq!(id, base);
    assert_eq!(back.at, live + Duration::from_secs(7), "current at its recorded time, moved by the pass");
    assert_ne!(back.epoch, 7, "no rate across two passes");
    assert_eq!(back.exceptions[0].timestamp_ms, 1_000 + 60_000 + 5_000, "a recorded failure is one now");
    let variant = Entry::Sample {
        t_ns: 0,
        source: SourceId { group: Group::Variant, kind: SourceKind::FlinkRest },
        at_ns: None,
        batch: Some(Box::new(demo::batch(Group::Variant, live, 1))),
        error: None,
    };
    assert!(event_of(variant, p, live, 0).is_none(), "the variant is live");
    assert!(event_of(Entry::Tick { t_ns: 0 }, p, live, 0).is_none(), "the live loop ticks");
    let failed = Entry::Sample { t_ns: 0, source: base, at_ns: None, batch: None, error: Some("refused".into()) };
    let Some(Event::Sample(_, Err(e))) = event_of(failed, p, live, 0) else { panic!("a failure") };
    assert_eq!(e.to_string(), "recorded: refused");
}

#[tokio::test(start_paused = true)]
async fn the_window_loops_on_the_live_clock() {
    let path = recording("window.jsonl.zst", SystemTime::now() - Duration::from_secs(7 * 86_400), 10);
    let g = group(path, Some(Window::parse("2s..5s").unwrap()), Align::Window);
    let (tx, mut rx) = mpsc::channel(16);
    let live = Instant::now();
    let task = spawn(&g, Duration::from_secs(1), live, SystemTime::now(), tx);
    let mut got = Vec::new();
    while got.len() < 8 {
        if let Some(p) = played(&rx.recv().await.expect("events"), live) {
            got.push(p);
        }
    }
    task.abort();
    // Seconds 2..=5 of the recording at 0..3 s, then again from 4 s (four samples and a step).
    let want = [(2.0, 0), (3.0, 1000), (4.0, 2000), (5.0, 3000), (2.0, 4000), (3.0, 5000), (4.0, 6000), (5.0, 7000)];
    assert_eq!(got, want);
}

#[tokio::test(start_paused = true)]
async fn time_of_day_starts_at_the_recorded_hour_and_says_why_it_waits() {
    // Recorded yesterday, starting 9.5 s before now's time of day: its 10th second is due
    // in half a second (less the header's truncation to the millisecond).
    let now_wall = SystemTime::now();
    let path = recording("day.jsonl.zst", now_wall - Duration::from_millis(86_400_000 + 9_500), 20);
    let g = group(path, None, Align::TimeOfDay);
    let (tx, mut rx) = mpsc::channel(16);
    let live = Instant::now();
    let task = spawn(&g, Duration::from_secs(1), live, now_wall, tx);
    let first = played(&rx.recv().await.unwrap(), live).expect("a sample");
    assert!(first.0 == 10.0 && (499..=500).contains(&first.1), "{first:?}");
    // The recording ends 10 s in: tomorrow's pass is a day away, and the source says so.
    let mut last = first;
    let why = loop {
        match rx.recv().await.unwrap() {
            Event::Sample(_, Err(e)) => break e.to_string(),
            ev => last = played(&ev, live).expect("a sample"),
        }
    };
    assert!(last.0 == 19.0 && (9499..=9500).contains(&last.1), "{last:?}");
    assert!(why.contains("next sample is due in 23h 59m"), "{why}");
    task.abort();
}

#[test]
fn a_file_that_is_not_a_recording_is_refused_at_start() {
    let path = temp("not.jsonl.zst");
    std::fs::write(&path, b"hello").unwrap();
    let mut g = RecordedGroup::new(path, None, Align::Window);
    let e = resolve(&mut g).unwrap_err();
    assert!(e.starts_with("--baseline-from: ") && e.contains("not a flinkscope recording"), "{e}");
    let mut missing = RecordedGroup::new("/nonexistent/x.jsonl.zst".into(), None, Align::Window);
    assert!(resolve(&mut missing).unwrap_err().contains("cannot open"));
}

#[test]
fn the_header_names_the_recorded_group_and_its_sources() {
    let path = recording("named.jsonl.zst", SystemTime::now(), 1);
    let g = group(path, None, Align::Window);
    let seen = g.seen.as_ref().unwrap();
    assert_eq!(seen.sources, vec![SourceKind::FlinkRest]);
    assert!(g.label().url.starts_with("recording named.jsonl.zst of "), "{}", g.label().url);
}
