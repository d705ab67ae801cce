//! `flinkscope check` against the real lab (scripts/lab.sh up --pair), in scenarios that
//! change the lab: run with --test-threads=1 after the other lab tests (scripts/test.sh
//! does). Each scenario puts the lab back as it found it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BASELINE: &str = "http://127.0.0.1:8081";
const VARIANT: &str = "http://127.0.0.1:8082";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn lab(args: &[&str]) {
    let out = Command::new(repo().join("scripts/lab.sh")).args(args).output().expect("running scripts/lab.sh");
    assert!(out.status.success(), "lab.sh {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn get(url: &str) -> Option<Value> {
    let out = Command::new("curl").args(["-sf", "--max-time", "3", url]).output().ok()?;
    out.status.success().then(|| serde_json::from_slice(&out.stdout).ok()).flatten()
}

/// Waits until `cond` holds, polling every half second, or panics after `secs`.
fn wait_until(what: &str, secs: u64, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out after {secs} s waiting for {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// A cluster with `tms` TaskManagers whose job has all tasks RUNNING.
fn cluster_healthy(url: &str, tms: usize) -> bool {
    let Some(t) = get(&format!("{url}/taskmanagers")) else { return false };
    if t["taskmanagers"].as_array().map_or(0, Vec::len) != tms {
        return false;
    }
    let Some(jobs) = get(&format!("{url}/jobs/overview")) else { return false };
    jobs["jobs"].as_array().into_iter().flatten().any(|j| {
        j["state"] == "RUNNING"
            && j["tasks"]["running"].as_u64().is_some()
            && j["tasks"]["running"] == j["tasks"]["total"]
    })
}

fn require_lab() {
    wait_until("the lab's baseline and variant clusters (scripts/lab.sh up --pair)", 120, || {
        cluster_healthy(BASELINE, 2) && cluster_healthy(VARIANT, 2)
    });
}

fn check(args: &[&str], log: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_flinkscope"))
        .arg("check")
        .args(["--format", "json", "--block", "2s"])
        .args(args)
        .args(["--log-file", log.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running flinkscope check")
}

fn finish(child: Child, secs: u64) -> (Output, Value) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut child = child;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("flinkscope check did not end within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let out = child.wait_with_output().unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {} / {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    (out, doc)
}

fn log_path(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("flinkscope-{name}-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

fn alerts(doc: &Value) -> Vec<&Value> {
    doc["alerts"].as_array().unwrap().iter().collect()
}

#[test]
fn lab_check_identical_settings_pass() {
    require_lab();
    // Identical settings on both sides: the baseline cluster split into its two TaskManagers.
    let log = log_path("identical");
    let child = check(
        &[
            "--flink",
            BASELINE,
            "--baseline-tm",
            "^tm-base-1$",
            "--variant-tm",
            "^tm-base-2$",
            "--duration",
            "75s",
            "--min-samples",
            "12",
        ],
        &log,
    );
    let (out, doc) = finish(child, 150);
    let result = doc["verdict"]["result"].as_str().unwrap();
    assert!(
        result == "PASS" || result == "MARGINAL",
        "identical settings: {result}, reasons {}, exit {:?}",
        doc["verdict"]["reasons"],
        out.status.code()
    );
    assert_eq!(out.status.code(), Some(if result == "PASS" { 0 } else { 3 }));
    assert!(alerts(&doc).iter().all(|a| a["severity"] != "hard"), "no hard alert: {:?}", doc["alerts"]);
    let j = &doc["comparison"]["records_in_per_s"]["judgement"];
    assert!(j["samples"][0].as_u64().unwrap() >= 12 && j["samples"][1].as_u64().unwrap() >= 12, "{j}");
}

#[test]
fn lab_check_killed_variant_taskmanager_fails() {
    require_lab();
    let log = log_path("kill");
    let started = Instant::now();
    let child = check(&["--baseline", BASELINE, "--variant", VARIANT, "--duration", "240s"], &log);
    // Kill once the check has seen the variant's metrics.
    wait_until("the check's first variant refresh", 60, || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("first metrics refresh source=variant/flink-rest"))
    });
    lab(&["kill-tm", "tm-var-1"]);
    let (out, doc) = finish(child, 240);
    // Put the lab back for whatever runs next, before asserting.
    lab(&["start-tm", "tm-var-1"]);
    wait_until("the variant to run again on 2 TaskManagers", 180, || cluster_healthy(VARIANT, 2));

    assert_eq!(out.status.code(), Some(1), "FAIL exits 1: {}", doc["verdict"]);
    assert!(started.elapsed() < Duration::from_secs(200), "a hard alert ends the check early");
    assert_eq!(doc["verdict"]["result"], "FAIL");
    let tm_loss = alerts(&doc)
        .into_iter()
        .find(|a| a["rule"] == "taskmanager-failures")
        .unwrap_or_else(|| panic!("no TaskManager-loss alert: {}", doc["alerts"]));
    assert_eq!(tm_loss["severity"], "hard");
    assert!(tm_loss["message"].as_str().unwrap().contains("lost 1 of 2"), "{tm_loss}");
    assert!(tm_loss["since"].as_str().unwrap().contains('T'));
    // The job fails over: restarting (the lab waits 45 s before a restart) or restarted.
    let restarts = &doc["groups"]["variant"]["metrics"]["restarts"];
    let state = doc["groups"]["variant"]["job_state"].as_str().unwrap_or("");
    assert!(
        restarts["delta"].as_f64().unwrap_or(0.0) >= 1.0 || state != "RUNNING",
        "the job restarted: restarts {restarts}, state {state}"
    );
}

#[test]
fn lab_check_slowed_variant_consumer_is_a_soft_alert() {
    require_lab();
    lab(&["slow-variant", "1000"]);
    let log = log_path("slow");
    let child =
        check(&["--baseline", BASELINE, "--variant", VARIANT, "--duration", "75s", "--min-samples", "10"], &log);
    let (out, doc) = finish(child, 150);
    lab(&["normal-variant"]);
    wait_until("the variant to run at full speed", 180, || cluster_healthy(VARIANT, 2));

    let soft: Vec<&Value> = alerts(&doc)
        .into_iter()
        .filter(|a| a["severity"] == "soft" && (a["rule"] == "throughput" || a["rule"] == "backpressure"))
        .collect();
    assert!(!soft.is_empty(), "a soft alert on throughput or backpressure: {}", doc["alerts"]);
    assert!(alerts(&doc).iter().all(|a| a["severity"] != "hard"), "no hard alert: {}", doc["alerts"]);
    assert_ne!(doc["verdict"]["result"], "PASS", "{}", doc["verdict"]);
    assert_ne!(out.status.code(), Some(0));
}
