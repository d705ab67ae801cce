//! Recordings, for docs/recordings.md (run: `cargo bench --bench recording [-- FILE]`; the default
//! FILE is the shipped demo, `assets/demo.jsonl.zst`; a 1-hour lab recording is made with
//! `flinkscope record --duration 1h -o FILE` and the lab's sources).
//!
//! Prints: the file's bytes per sample and per metric value; the replay of the whole file
//! at max speed through the app (as `report` and `replay --speed max` do), in samples per
//! second and seconds per recorded hour; and what recording costs per tick beside the app
//! taking the same events (the app's share is a lower bound of a tick's CPU: polling,
//! parsing and drawing come on top). It asserts nothing (figures, not tests).

use std::path::PathBuf;

use flinkscope::replay::bench::{overhead, replay_to_end};

fn main() {
    let file = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo.jsonl.zst")), PathBuf::from);
    let size = std::fs::metadata(&file).expect("the recording").len();
    let r = replay_to_end(&file).expect("a recording");
    let span_h = r.span.as_secs_f64() / 3600.0;
    println!(
        "recording {}: {:.1} MiB over {:.2} h ({:.1} MiB per hour)",
        file.display(),
        mib(size),
        span_h,
        mib(size) / span_h
    );
    println!(
        "  {} records, {} samples, {} metric values: {:.0} bytes per sample, {:.2} bytes per value",
        r.records,
        r.samples,
        r.values,
        size as f64 / r.samples as f64,
        size as f64 / r.values as f64
    );
    println!(
        "replay at max speed: {:.2} s for the file: {:.0} samples/s, {:.2} s per recorded hour (reading and parsing alone: {:.2} s)",
        r.took.as_secs_f64(),
        r.samples as f64 / r.took.as_secs_f64(),
        r.took.as_secs_f64() / span_h,
        r.reading.as_secs_f64()
    );
    let out = tempfile::tempdir().expect("temp dir");
    let o = overhead(&file, &out.path().join("again.jsonl.zst")).expect("recording again");
    let per_tick = |d: std::time::Duration| d.as_secs_f64() * 1e6 / o.ticks as f64;
    println!(
        "recording overhead: {:.0} µs per tick to record, beside {:.0} µs per tick for the app to take the same events: {:.1}% (over {} ticks, {:.1} MiB written)",
        per_tick(o.recording),
        per_tick(o.app),
        100.0 * o.recording.as_secs_f64() / o.app.as_secs_f64(),
        o.ticks,
        mib(o.bytes)
    );
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}
