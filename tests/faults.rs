//! Faults, as a suite: each fault a user meets, tried for real, with what flinkscope does
//! (docs/reliability.md lists the same). Loopback servers here (their
//! answers built from the captured fixtures); the lab's faults (a JobManager restarted,
//! a TaskManager stopped with SIGSTOP or replaced, a job resubmitted) are in
//! `tests/lab_faults.rs`. Every case runs the shipped HTTP defaults (16 MiB cap, timeouts)
//! unless it says otherwise.

mod common;
#[path = "tmux/mod.rs"]
mod tmux;

use std::time::Duration;

use common::{Behaviour, serve};
use flinkscope::config::{Config, Dur, GroupConfig, RestUrl, Settings};
use flinkscope::snapshot::{self, Snapshot, SourceSnapshot};

fn settings() -> Settings {
    Settings { interval: Dur(Duration::from_millis(500)), ..Settings::default() }
}

async fn pair(variant: GroupConfig, secs: u64) -> Snapshot {
    let b = serve(Behaviour::Flink).await;
    let config = Config { settings: settings(), baseline: GroupConfig::new(RestUrl::new(&b).unwrap()), variant };
    snapshot::take(&config, Duration::from_secs(secs)).await.expect("no recording to fail")
}

fn source<'a>(s: &'a Snapshot, name: &str) -> &'a SourceSnapshot {
    s.sources.iter().find(|x| x.name == name).unwrap_or_else(|| panic!("no source {name}: {:?}", s.sources))
}

/// The other group kept updating whatever the fault.
fn assert_baseline_live(s: &Snapshot) {
    assert_eq!(source(s, "baseline/flink-rest").state, "live");
    assert!(s.groups["baseline"].metrics["records_in_per_s"].samples >= 2);
}

#[tokio::test]
async fn a_body_cut_mid_json_is_that_answer_failing_with_its_path() {
    let v = serve(Behaviour::CutJson).await;
    let s = pair(GroupConfig::new(RestUrl::new(&v).unwrap()), 4).await;
    assert_baseline_live(&s);
    let src = source(&s, "variant/flink-rest");
    let said = format!("{:?} {:?}", src.error, src.warnings);
    assert!(said.contains("malformed answer to /jobs/"), "{} {said}", src.state);
}

#[tokio::test]
async fn an_answer_over_16_mib_is_refused_at_the_cap() {
    let v = serve(Behaviour::Huge).await;
    let s = pair(GroupConfig::new(RestUrl::new(&v).unwrap()), 4).await;
    assert_baseline_live(&s);
    let src = source(&s, "variant/flink-rest");
    assert_eq!(src.state, "failed");
    assert!(src.error.as_deref().unwrap().contains("over the 16777216-byte cap"), "{:?}", src.error);
}

#[tokio::test]
async fn a_reporter_sending_20_mb_slowly_fails_alone_and_rest_fills_in() {
    let rest = serve(Behaviour::Flink).await;
    let slow = serve(Behaviour::SlowHugeReporter).await;
    let mut variant = GroupConfig::new(RestUrl::new(&rest).unwrap());
    variant.prometheus = vec![RestUrl::new(&slow).unwrap()];
    let s = pair(variant, 12).await;
    assert_baseline_live(&s);
    let p = source(&s, "variant/prometheus");
    assert_eq!(p.state, "failed", "{p:?}");
    let e = p.error.as_deref().unwrap();
    assert!(e.contains("cap") || e.contains("no answer within"), "{e}");
    assert_eq!(source(&s, "variant/flink-rest").state, "live");
    let m = &s.groups["variant"].metrics["records_in_per_s"];
    assert_eq!(m.source, "flink-rest");
    assert!(m.last.is_some());
}

#[tokio::test]
async fn exceptions_from_1970_the_year_3000_and_10000_lines_long() {
    let v = serve(Behaviour::OddExceptions).await;
    let s = pair(GroupConfig::new(RestUrl::new(&v).unwrap()), 4).await;
    assert_baseline_live(&s);
    assert_eq!(source(&s, "variant/flink-rest").state, "live");
    // The OutOfMemoryError on the 10,000th line of a new exception is found.
    let oom = s.alerts.iter().find(|a| a["rule"] == "out-of-memory");
    assert!(
        oom.is_some_and(|a| a["severity"] == "hard"),
        "{:?} {:?} {:?}",
        s.alerts,
        s.groups["variant"].earlier_exceptions,
        s.sources
    );
    // The one from 1970 is history, with its date; nothing of it is unbounded.
    let earlier = &s.groups["variant"].earlier_exceptions;
    let e1970 = earlier.iter().find(|e| e.name.contains("java.lang.Error")).expect("1970's exception as history");
    assert!(e1970.at.starts_with("1970-01-01"), "{}", e1970.at);
    let doc = serde_json::to_string(&s).unwrap();
    assert!(doc.len() < 1 << 20, "the snapshot carries the 10,000-line trace: {} bytes", doc.len());
}

#[tokio::test]
async fn sample_timestamps_far_in_the_past_or_future_are_our_clock_not_theirs() {
    let rest = serve(Behaviour::Flink).await;
    let odd = serve(Behaviour::FarTimestampsReporter).await;
    let mut variant = GroupConfig::new(RestUrl::new(&rest).unwrap());
    variant.prometheus = vec![RestUrl::new(&odd).unwrap()];
    let s = pair(variant, 4).await;
    let p = source(&s, "variant/prometheus");
    assert_eq!(p.state, "live", "{p:?}");
    let m = &s.groups["variant"].metrics["records_in_per_s"];
    assert_eq!(m.source, "prometheus", "the reporter's samples count, at the time they arrived");
    assert!(m.samples >= 2 && m.last.is_some(), "{m:?}");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap()
}

/// Two groups of the captured Flink answers, served as long as the runtime lives.
fn two_clusters(rt: &tokio::runtime::Runtime) -> (String, String) {
    rt.block_on(async { (serve(Behaviour::Flink).await, serve(Behaviour::Flink).await) })
}

#[test]
fn a_log_directory_that_cannot_be_written_is_a_clear_error_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "").unwrap();
    let log = not_a_dir.join("flinkscope.log");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_flinkscope"))
        .args(["check", "--duration", "1s", "--baseline", "http://127.0.0.1:9", "--variant", "http://127.0.0.1:10"])
        .args(["--log-file", log.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("cannot open log file") && e.contains("--log-file"), "{e}");
}

/// A full disk, as a file-size limit: the log stops growing at the limit and the run
/// goes on to its answer (without SIGXFSZ ignored, the first write past it kills it).
#[test]
fn a_log_at_the_file_size_limit_does_not_end_the_run() {
    use std::os::unix::process::ExitStatusExt;
    let rt = runtime();
    let (b, v) = two_clusters(&rt);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("flinkscope.log");
    let cmd = format!(
        "ulimit -f 8; exec {} check --duration 4s --format json --interval 500ms --baseline {b} --variant {v} --log-file {}",
        env!("CARGO_BIN_EXE_flinkscope"),
        log.display()
    );
    let o = std::process::Command::new("sh").args(["-c", &cmd]).env("RUST_LOG", "debug").output().unwrap();
    assert_eq!(o.status.signal(), None, "killed: {:?} {}", o.status, String::from_utf8_lossy(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stderr)));
    assert!(doc["verdict"]["result"].is_string(), "{doc}");
    let size = std::fs::metadata(&log).unwrap().len();
    assert!(size > 0 && size <= 8 * 1024, "the log is {size} bytes under a limit of 8 blocks");
}

/// The terminal resized 100 times a second for 3 seconds (a tiling window manager, a
/// dragged corner): the dashboard keeps up, draws at the final size, and quits cleanly.
#[test]
fn a_resize_storm_leaves_the_dashboard_drawing_and_quitting_cleanly() {
    let rt = runtime();
    let (b, v) = two_clusters(&rt);
    let dir = tempfile::tempdir().unwrap();
    let cmd = format!(
        "{} --interval 500ms --baseline {b} --variant {v} --log-file {}; echo EXIT=$?; sleep 600",
        env!("CARGO_BIN_EXE_flinkscope"),
        dir.path().join("flinkscope.log").display()
    );
    let t = tmux::Tmux::start("resize", 120, 40, &cmd);
    t.wait_screen("both groups live", 30, |s| s.matches("● live").count() >= 2);
    let sizes = [(200, 60), (80, 24), (40, 10), (150, 50), (10, 4), (120, 40)];
    let started = std::time::Instant::now();
    let mut n = 0;
    while started.elapsed() < Duration::from_secs(3) {
        let (x, y) = sizes[n % sizes.len()];
        t.run(&["resize-window", "-t", "main", "-x", &x.to_string(), "-y", &y.to_string()]);
        n += 1;
        std::thread::sleep(Duration::from_millis(10));
    }
    t.run(&["resize-window", "-t", "main", "-x", "100", "-y", "30"]);
    let s = t.wait_screen("the dashboard at 100x30", 10, |s| {
        s.lines().count() >= 29 && s.lines().next().is_some_and(|l| l.starts_with("flinkscope"))
    });
    assert!(s.lines().all(|l| l.chars().count() <= 100), "drawn wider than the terminal:\n{s}");
    t.run(&["send-keys", "-t", "main", "q"]);
    t.wait_screen("flinkscope to exit", 20, |s| s.contains("EXIT=0"));
    assert!(n >= 100, "only {n} resizes");
}
