//! Recordings on the real lab, with the shipped defaults: the dashboard records with
//! `--record` and the `r` key, `record` records headless, `replay` plays a recording
//! through the same screen (to its end at `max`, paused at `1x`), and the OpenMetrics
//! export is accepted by Debian's promtool.

mod labkit;
mod tmux;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use labkit::{BASELINE, VARIANT, flinkscope};
use tmux::Tmux;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_flinkscope")
}

fn temp_dir() -> PathBuf {
    tempfile::tempdir().expect("temp dir").keep()
}

fn both_live(screen: &str) -> bool {
    screen.lines().filter(|l| (l.contains("baseline") || l.contains("variant")) && l.contains("● live")).count() == 2
}

/// The number in `● REC N <file>` in the header.
fn records_shown(screen: &str, file: &str) -> Option<u64> {
    let line = screen.lines().find(|l| l.contains("● REC ") && l.contains(file))?;
    line.split("● REC ").nth(1)?.split(' ').next()?.parse().ok()
}

/// The throughput row shows a number for both groups.
fn throughput_numbers(screen: &str) -> bool {
    screen.lines().any(|l| {
        let mut w = l.trim_start_matches('│').split_whitespace();
        l.trim_start_matches('│').starts_with("rec in/s")
            && w.nth(2).is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
            && w.next().is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
    })
}

fn promtool_accepts(openmetrics: &Path, dir: &Path) -> String {
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(openmetrics)
        .arg(dir)
        .output()
        .expect("promtool (Debian's prometheus package) is needed for this test");
    assert!(
        out.status.success(),
        "promtool refused the export: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let list = Command::new("promtool").args(["tsdb", "list"]).arg(dir).output().unwrap();
    assert!(list.status.success());
    String::from_utf8_lossy(&list.stdout).into_owned()
}

#[test]
fn lab_the_dashboard_records_and_replay_plays_it_back() {
    let dir = temp_dir();
    let rec = dir.join("canary.jsonl.zst");
    let log = dir.join("flinkscope.log");
    // The operator's command with the shipped defaults, run from `dir` (where `r` writes).
    let cmd = format!(
        "cd {} && {} --baseline {BASELINE} --variant {VARIANT} --record {} --log-file {}; echo EXIT=$?; sleep 600",
        dir.display(),
        bin(),
        rec.display(),
        log.display()
    );
    let t = Tmux::start("record", 120, 40, &cmd);
    t.wait_screen("both groups live, recording", 120, |s| {
        both_live(s) && records_shown(s, "canary.jsonl.zst").is_some()
    });
    // A minute of the lab: records keep coming.
    let first = records_shown(&t.screen(), "canary.jsonl.zst").expect("a record count");
    std::thread::sleep(Duration::from_secs(60));
    let later = records_shown(&t.screen(), "canary.jsonl.zst").expect("a record count");
    assert!(later > first + 60, "{first} then {later} records");
    // `r` stops it (the file is complete), `r` again starts a new file here.
    t.keys(&["r"]);
    t.wait_screen("the recording saved", 20, |s| s.contains(" canary.jsonl.zst") && s.contains("  saved "));
    t.keys(&["r"]);
    t.wait_screen("a new recording", 20, |s| records_shown(s, "flinkscope-").is_some());
    std::thread::sleep(Duration::from_secs(3));
    t.keys(&["q"]);
    t.wait_screen("flinkscope to exit", 30, |s| s.contains("EXIT=0"));
    drop(t);

    // Compact: a minute and a half of the lab (both groups, REST and this host) is well
    // under the 20 MiB an hour may take.
    let size = std::fs::metadata(&rec).unwrap().len();
    let per_hour = size as f64 / 90.0 * 3600.0;
    eprintln!("recording: {size} bytes for about 90 s, {:.1} MiB an hour", per_hour / 1048576.0);
    assert!(per_hour < 20.0 * 1048576.0, "{size} bytes for ~90 s: {:.1} MiB an hour", per_hour / 1048576.0);
    let second: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("flinkscope-")))
        .collect();
    assert_eq!(second.len(), 1, "{second:?}");
    let o = flinkscope(&["export", &second[0].display().to_string(), "--format", "jsonl"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).lines().count() > 3);

    // Played back at full speed: to the end, every panel filled from the file.
    let cmd =
        format!("{} replay {} --speed max --log-file {}; echo EXIT=$?; sleep 600", bin(), rec.display(), log.display());
    let t = Tmux::start("replay-max", 120, 40, &cmd);
    let end = t.wait_screen("the replay at its end", 60, |s| s.contains("REPLAY ") && s.contains("END"));
    assert!(throughput_numbers(&end), "no throughput from the recording:\n{end}");
    assert!(end.contains("baseline") && end.contains("variant"));
    // ← seeks back 10 s (the state rebuilt from the start), then plays to the end again.
    t.keys(&["Left"]);
    t.wait_screen("the replay at its end again", 60, |s| s.contains("REPLAY ") && s.contains("END"));
    t.keys(&["q"]);
    t.wait_screen("replay to exit", 20, |s| s.contains("EXIT=0"));
    assert_eq!(t.format("#{alternate_on}"), "0");
    drop(t);

    // At 1x the clock moves with the wall clock; space pauses it.
    let cmd =
        format!("{} replay {} --speed 1x --log-file {}; echo EXIT=$?; sleep 600", bin(), rec.display(), log.display());
    let t = Tmux::start("replay-1x", 120, 40, &cmd);
    t.wait_screen("the replay clock past 3 s", 30, |s| s.contains("REPLAY 3s") || s.contains("REPLAY 4s"));
    t.keys(&["Space"]);
    let paused = t.wait_screen("paused", 10, |s| s.contains("PAUSED (space plays)"));
    let clock = |s: &str| s.split("REPLAY ").nth(1).and_then(|r| r.split(' ').next()).map(str::to_string);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(clock(&t.screen()), clock(&paused), "the clock moved while paused");
    t.keys(&["q"]);
    t.wait_screen("replay to exit", 20, |s| s.contains("EXIT=0"));
    drop(t);

    // Into Prometheus: promtool builds TSDB blocks from the OpenMetrics export.
    let om = dir.join("canary.om");
    let o =
        flinkscope(&["export", &rec.display().to_string(), "--format", "openmetrics", "-o", &om.display().to_string()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&om).unwrap();
    assert!(text.contains("flinkscope_records_in_cumulative_total{group=\"variant\",source=\"flink-rest\"}"));
    let blocks = promtool_accepts(&om, &dir.join("tsdb"));
    assert!(blocks.lines().count() >= 2, "no block listed:\n{blocks}");
}

#[test]
fn lab_record_headless_keeps_going_through_an_outage_and_stops_on_sigterm() {
    let dir = temp_dir();
    let rec = dir.join("baseline-week.jsonl.zst");
    // The variant's URL answers nothing: the recording goes on with its failures in it.
    let mut child = Command::new(bin())
        .args(["record", "--duration", "1h", "-o"])
        .arg(&rec)
        .args(["--baseline", BASELINE, "--variant", "http://127.0.0.1:9"])
        .arg("--log-file")
        .arg(dir.join("log"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(25));
    assert!(child.try_wait().unwrap().is_none(), "record ended on its own");
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("stopped by a signal"), "{stderr}");
    let o = flinkscope(&["export", &rec.display().to_string()]);
    assert!(o.status.success());
    assert!(o.stderr.is_empty(), "a finished recording has no torn end: {}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let fresh_baseline = lines
        .iter()
        .filter(|l| l["type"] == "sample" && l["source"]["group"] == "baseline" && l["batch"]["fresh"] == true)
        .count();
    let variant_failures = lines
        .iter()
        .filter(|l| l["type"] == "sample" && l["source"]["group"] == "variant" && l["error"].is_string())
        .count();
    assert!(fresh_baseline >= 2, "{fresh_baseline} fresh baseline samples");
    assert!(variant_failures >= 10, "{variant_failures} variant failures recorded");
    assert_eq!(lines[0]["format"], "flinkscope-recording");
    // An existing file is never overwritten.
    let o = flinkscope(&[
        "record",
        "--duration",
        "5s",
        "-o",
        &rec.display().to_string(),
        "--baseline",
        BASELINE,
        "--variant",
        VARIANT,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("File exists"));
}
