use std::io::Write;
use std::time::{Duration, Instant, SystemTime};

use super::format::{Entry, Header, VERSION};
use super::reader::{ReadError, Reader};
use super::writer::Recorder;
use crate::app::demo;
use crate::event::Event;
use crate::model::source::{SourceError, SourceId, SourceKind};
use crate::model::step::ActionEvent;
use crate::model::{Group, MetricKey};

fn temp(name: &str) -> std::path::PathBuf {
    let dir = tempfile::tempdir().expect("temp dir").keep();
    dir.join(name)
}

/// A run's events: samples of both groups (one with a NaN gauge and an infinite counter),
/// a failed poll, ticks and a rollback's progress.
fn events(epoch: Instant) -> Vec<(Instant, Event)> {
    let mut out = Vec::new();
    for i in 0..30u64 {
        let at = epoch + Duration::from_millis(1000 * i + 7);
        for g in Group::BOTH {
            let mut b = demo::batch(g, at - Duration::from_millis(300), i);
            if i == 3 {
                b.gauges.push((MetricKey::LatencyP50Ms, Some(f64::NAN)));
                b.counters[0].total = f64::INFINITY;
            }
            out.push((at, Event::Sample(SourceId { group: g, kind: SourceKind::FlinkRest }, Ok(Box::new(b)))));
        }
        if i == 10 {
            let id = SourceId { group: Group::Variant, kind: SourceKind::FlinkRest };
            out.push((at, Event::Sample(id, Err(SourceError::Other("connection refused".into())))));
        }
        out.push((at + Duration::from_millis(1), Event::Tick));
    }
    out.push((epoch + Duration::from_secs(31), Event::Action(ActionEvent::StepStarted { index: 0 })));
    out
}

fn header(epoch_wall: SystemTime) -> Header {
    Header::of(&demo::config(), epoch_wall)
}

/// Writes `events` and returns the file's length after the header and after each record.
fn write(path: &std::path::Path, epoch: Instant, events: &[(Instant, Event)]) -> Vec<u64> {
    let mut r = Recorder::create(path, &header(SystemTime::now()), epoch).expect("create");
    let mut sizes = vec![std::fs::metadata(path).unwrap().len()];
    for (at, e) in events {
        r.event(e, *at);
        sizes.push(std::fs::metadata(path).unwrap().len());
    }
    r.finish().expect("finish");
    sizes
}

#[test]
fn a_recording_reads_back_record_for_record_and_bit_for_bit() {
    let epoch = Instant::now();
    let evs = events(epoch);
    let path = temp("run.jsonl.zst");
    write(&path, epoch, &evs);
    let reader = Reader::open(&path).expect("open");
    assert_eq!(reader.header.version, VERSION);
    assert_eq!(reader.header.judging.analysis, demo::config().settings.analysis);
    assert_eq!(reader.header.sources.len(), 2);
    let entries: Vec<Entry> = reader.collect();
    assert_eq!(entries.len(), evs.len());
    for ((at, ev), entry) in evs.iter().zip(&entries) {
        let written = Entry::of_event(ev, *at, epoch).expect("recorded");
        // Bit for bit: the same JSON (floats round-trip exactly).
        assert_eq!(serde_json::to_string(entry).unwrap(), serde_json::to_string(&written).unwrap());
        // And the event comes back at the same instant, its values current when they were.
        let (back_at, back) = entry.clone().into_event(epoch).expect("an event");
        assert_eq!(back_at, *at);
        match (ev, &back) {
            (Event::Sample(_, Ok(a)), Event::Sample(_, Ok(b))) => {
                assert_eq!(a.at, b.at);
                assert_eq!(a.block_counters, b.block_counters);
                assert_eq!(a.per_tm, b.per_tm);
            }
            (Event::Sample(_, Err(a)), Event::Sample(_, Err(b))) => assert_eq!(a.to_string(), b.to_string()),
            (Event::Tick, Event::Tick) => {}
            (Event::Action(a), Event::Action(b)) => assert_eq!(a, b),
            other => panic!("came back as another event: {other:?}"),
        }
    }
    // The NaN gauge is "no data" and the infinite counter is gone; the rest is kept.
    let Entry::Sample { batch: Some(b), .. } = &entries[3 * 3] else { panic!("{:?}", entries[9]) };
    assert!(b.gauges.contains(&(MetricKey::LatencyP50Ms, None)));
    assert_eq!(b.counters.len(), 1);
}

#[test]
fn a_record_cut_anywhere_loses_that_record_only() {
    let epoch = Instant::now();
    let evs = events(epoch);
    let path = temp("torn.jsonl.zst");
    let sizes = write(&path, epoch, &evs);
    let full = std::fs::read(&path).unwrap();
    let whole = evs.len() - 1;
    // Every length from the end of the last-but-one record to just before the end of the
    // last one (a crash while it was written), then the frame's end cut too.
    let from = sizes[sizes.len() - 2];
    for cut in from..sizes[sizes.len() - 1] {
        let cut_path = temp("cut.jsonl.zst");
        std::fs::write(&cut_path, &full[..usize::try_from(cut).unwrap()]).unwrap();
        let mut reader = Reader::open(&cut_path).expect("a cut file opens");
        let n = reader.by_ref().count();
        assert_eq!(n, whole, "cut at {cut} of {}: {:?}", full.len(), reader.torn);
        assert!(reader.skipped.is_empty(), "cut at {cut}: {:?}", reader.skipped);
    }
    // The writer flushes per record: a file that was never finished holds every record.
    let unfinished = &full[..usize::try_from(sizes[sizes.len() - 1]).unwrap()];
    let p = temp("unfinished.jsonl.zst");
    std::fs::write(&p, unfinished).unwrap();
    assert_eq!(Reader::open(&p).unwrap().count(), evs.len());
}

#[test]
fn a_newer_format_is_refused_and_other_files_are_not_recordings() {
    let mut h = serde_json::to_value(header(SystemTime::now())).unwrap();
    h["version"] = serde_json::json!(VERSION + 1);
    h["flinkscope"] = serde_json::json!("9.0.0");
    let path = temp("newer.jsonl.zst");
    let mut enc = zstd::stream::write::Encoder::new(std::fs::File::create(&path).unwrap(), 3).unwrap();
    writeln!(enc, "{h}").unwrap();
    enc.finish().unwrap();
    let e = Reader::open(&path).err().expect("refused");
    assert!(matches!(e, ReadError::Newer { version, .. } if version == VERSION + 1), "{e}");
    assert!(e.to_string().contains("9.0.0") && e.to_string().contains("upgrade"), "{e}");

    let plain = temp("plain.txt");
    std::fs::write(&plain, "not zstd at all\n").unwrap();
    assert!(matches!(Reader::open(&plain), Err(ReadError::NotARecording { .. })));
    let other = temp("other.zst");
    let mut enc = zstd::stream::write::Encoder::new(std::fs::File::create(&other).unwrap(), 3).unwrap();
    writeln!(enc, "{{\"format\":\"something else\"}}").unwrap();
    enc.finish().unwrap();
    let e = Reader::open(&other).err().expect("refused");
    assert!(e.to_string().contains("flinkscope-recording"), "{e}");
}

#[test]
fn an_existing_file_is_never_overwritten() {
    let path = temp("kept.jsonl.zst");
    std::fs::write(&path, "precious").unwrap();
    let e = Recorder::create(&path, &header(SystemTime::now()), Instant::now()).err().expect("refused");
    assert!(e.to_string().contains("kept.jsonl.zst"), "{e}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "precious");
}

#[test]
fn exports_hold_every_record_and_every_finite_sample() {
    let epoch = Instant::now();
    let evs = events(epoch);
    let path = temp("export.jsonl.zst");
    write(&path, epoch, &evs);
    let mut jsonl = Vec::new();
    let done = super::export::jsonl(Reader::open(&path).unwrap(), &mut jsonl).unwrap();
    assert_eq!(done.records, evs.len() as u64);
    let text = String::from_utf8(jsonl).unwrap();
    assert_eq!(text.lines().count(), evs.len() + 1);
    assert!(text.lines().skip(1).all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));

    let mut om = Vec::new();
    let done = super::export::openmetrics(Reader::open(&path).unwrap(), &mut om).unwrap();
    let text = String::from_utf8(om).unwrap();
    assert!(text.ends_with("# EOF\n"), "{}", &text[text.len().saturating_sub(200)..]);
    assert!(done.samples > 1000, "{done:?}");
    // Each family once, its samples together.
    let types: Vec<&str> = text.lines().filter(|l| l.starts_with("# TYPE ")).collect();
    let mut names: Vec<&str> = types.iter().map(|l| l.split(' ').nth(2).unwrap()).collect();
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), n, "a family twice");
    assert!(types.contains(&"# TYPE flinkscope_records_in_cumulative counter"), "{types:?}");
    assert!(text.contains("flinkscope_records_in_cumulative_total{group=\"variant\",source=\"flink-rest\"} "));
    assert!(text.contains("flinkscope_cpu_cores{group=\"baseline\",source=\"flink-rest\",taskmanager=\"tm-base-1\"} "));
    assert!(!text.contains("NaN") && !text.contains("inf"), "non-finite values are left out");
}
