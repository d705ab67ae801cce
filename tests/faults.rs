//! Faults, as a suite: each fault a user meets, tried for real, with what flinkscope does
//! (the README's "Reliability" section lists the same). Loopback servers here (their
//! answers built from the captured fixtures); the lab's faults (a JobManager restarted,
//! a TaskManager stopped with SIGSTOP or replaced, a job resubmitted) are in
//! `tests/lab_faults.rs`. Every case runs the shipped HTTP defaults (16 MiB cap, timeouts)
//! unless it says otherwise.

mod common;

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
    snapshot::take(&config, Duration::from_secs(secs)).await
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
