//! `flinkscope check` against the real lab (scripts/lab.sh up --pair), in scenarios that
//! change the lab: run with --test-threads=1 after the other lab tests (scripts/test.sh
//! does). Each scenario puts the lab back as it found it.
//!
//! The `defaults_` tests run the shipped defaults (no --block, no --min-samples), as a user
//! would; they do not disturb one another (two read the baseline cluster, one changes the
//! variant's), so scripts/test.sh runs them together, after the others.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output};
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

/// Resubmits the variant's job as the lab started it and waits until it runs on both
/// TaskManagers (a scenario's last step, before it asserts).
fn restore_variant() {
    lab(&["normal-variant"]);
    wait_until("the variant to run at full speed", 180, || cluster_healthy(VARIANT, 2));
}

fn require_lab() {
    wait_until("the lab's baseline and variant clusters (scripts/lab.sh up --pair)", 120, || {
        cluster_healthy(BASELINE, 2) && cluster_healthy(VARIANT, 2)
    });
}

/// `check` with short blocks (the scenarios written before the defaults could decide).
fn check(args: &[&str], log: &Path) -> Running {
    let mut all = vec!["--block", "2s"];
    all.extend_from_slice(args);
    check_defaults(&all, log)
}

/// `check` with only the flags given: the shipped judgement defaults.
/// A running `check`. Its output goes to files: a document larger than a pipe's buffer
/// (64 KiB, which the settings document passes) would block a child whose pipe nobody reads
/// until it exits.
struct Running {
    child: Child,
    out: PathBuf,
    err: PathBuf,
}

impl Running {
    fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }
}

fn check_defaults(args: &[&str], log: &Path) -> Running {
    let (out, err) = (log.with_extension("stdout"), log.with_extension("stderr"));
    let child = Command::new(env!("CARGO_BIN_EXE_flinkscope"))
        .arg("check")
        .args(["--format", "json"])
        .args(args)
        .args(["--log-file", log.to_str().unwrap()])
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("running flinkscope check");
    Running { child, out, err }
}

fn finish(running: Running, secs: u64) -> (Output, Value) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let Running { mut child, out, err } = running;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("flinkscope check did not end within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    let out = Output { status, stdout: std::fs::read(&out).unwrap(), stderr: std::fs::read(&err).unwrap() };
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
    restore_variant();

    let soft: Vec<&Value> = alerts(&doc)
        .into_iter()
        .filter(|a| a["severity"] == "soft" && (a["rule"] == "throughput" || a["rule"] == "backpressure"))
        .collect();
    assert!(!soft.is_empty(), "a soft alert on throughput or backpressure: {}", doc["alerts"]);
    assert!(alerts(&doc).iter().all(|a| a["severity"] != "hard"), "no hard alert: {}", doc["alerts"]);
    // The test plan rolls back on a soft failure: an active one is FAIL (exit 1).
    assert_eq!(doc["verdict"]["result"], "FAIL", "{} {}", doc["verdict"], doc["alerts"]);
    assert_eq!(out.status.code(), Some(1));
}

/// The class of a metric's judgement in a check document.
fn class<'a>(doc: &'a Value, key: &str) -> &'a str {
    doc["comparison"][key]["judgement"]["class"].as_str().unwrap_or("missing")
}

fn judged(doc: &Value, key: &str) -> bool {
    !matches!(class(doc, key), "NO-DATA" | "LOW-N" | "missing")
}

/// Identical settings (the baseline cluster split into its two TaskManagers), every
/// judgement setting at its default: decided within the window (5 min; the issue allows the
/// window + 2 min), PASS or MARGINAL, no hard alert. The run is recorded (`--record`), and
/// then:
/// - `report` of the recording gives the live check's numbers at its end (samples, change,
///   p, verdict and score), replayed through the same judgement;
/// - the recording is the baseline (`--baseline-from`) of a second check of the same live
///   TaskManager, which decides as well: a recorded baseline judged like a live one.
#[test]
fn defaults_identical_settings_decide_within_the_window() {
    require_lab();
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("identical.jsonl.zst");
    let log = log_path("defaults-identical");
    let args = [
        "--flink",
        BASELINE,
        "--baseline-tm",
        "^tm-base-1$",
        "--variant-tm",
        "^tm-base-2$",
        "--duration",
        "5m",
        "--record",
        rec.to_str().unwrap(),
    ];
    let (out, doc) = finish(check_defaults(&args, &log), 420);
    assert_decided_alike(&out, &doc, "identical settings with the defaults");

    let report = dir.path().join("report.json");
    let o = Command::new(env!("CARGO_BIN_EXE_flinkscope"))
        .arg("report")
        .arg(&rec)
        .args(["-o", dir.path().join("report.md").to_str().unwrap(), "--json", report.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "report: {}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["verdict"]["outcome"], doc["verdict"]["result"], "the report's verdict is the check's");
    assert_eq!(r["verdict"]["score"], doc["verdict"]["score"]);
    for area in r["results"].as_array().unwrap() {
        let key = area["metric"].as_str().unwrap();
        let j = &doc["comparison"][key]["judgement"];
        assert_eq!(area["baseline"]["n"], j["samples"][0], "{key}: baseline samples");
        assert_eq!(area["variant"]["n"], j["samples"][1], "{key}: variant samples");
        assert_eq!(area["p"], j["p"], "{key}: p");
        assert_eq!(area["change_pct"], j["block_change_pct"], "{key}: change");
    }

    // The same live TaskManager against its own recording of five minutes ago.
    let log = log_path("defaults-recorded-baseline");
    let args = [
        "--baseline-from",
        rec.to_str().unwrap(),
        "--variant",
        BASELINE,
        "--variant-tm",
        "^tm-base-2$",
        "--duration",
        "5m",
    ];
    let (out, doc) = finish(check_defaults(&args, &log), 420);
    assert_decided_alike(&out, &doc, "a recorded baseline of the same TaskManager");
    let sources = doc["sources"].to_string();
    assert!(sources.contains("baseline/flink-rest") && !sources.contains("failed"), "{sources}");
}

/// PASS or MARGINAL with a score, no hard alert, the main metrics judged on 20+ blocks.
fn assert_decided_alike(out: &Output, doc: &Value, what: &str) {
    let result = doc["verdict"]["result"].as_str().unwrap();
    assert!(result == "PASS" || result == "MARGINAL", "{what}: {result}, reasons {}", doc["verdict"]["reasons"]);
    assert_eq!(out.status.code(), Some(if result == "PASS" { 0 } else { 3 }));
    assert!(alerts(doc).iter().all(|a| a["severity"] != "hard"), "{what}: no hard alert: {}", doc["alerts"]);
    for key in ["records_in_per_s", "latency_p99_ms", "cpu_cores", "heap_used_bytes"] {
        assert!(judged(doc, key), "{what}: {key} judged: {}", doc["comparison"][key]);
        let n = &doc["comparison"][key]["judgement"]["samples"];
        assert!(n[0].as_u64().unwrap() >= 20 && n[1].as_u64().unwrap() >= 20, "{what}: {key}: {n}");
    }
    assert!(doc["verdict"]["score"].as_f64().is_some(), "{what}: a decided verdict has a score");
}

/// docs/sources.md's config: REST, the reporters and the Jolokia agents of the same TaskManagers
/// in one group. Throughput and CPU come from one stream per metric, and are judged.
#[test]
fn defaults_prometheus_and_jolokia_in_one_group_are_judged() {
    require_lab();
    let log = log_path("defaults-prom-jolokia");
    let args = [
        "--flink",
        BASELINE,
        "--baseline-tm",
        "^tm-base-1$",
        "--variant-tm",
        "^tm-base-2$",
        "--baseline-prometheus",
        "http://127.0.0.1:9251/",
        "--baseline-jolokia",
        "http://127.0.0.1:7781/jolokia",
        "--variant-prometheus",
        "http://127.0.0.1:9252/",
        "--variant-jolokia",
        "http://127.0.0.1:7782/jolokia",
        "--duration",
        "5m",
    ];
    let (_, doc) = finish(check_defaults(&args, &log), 420);
    for key in ["records_in_per_s", "cpu_cores", "latency_p99_ms"] {
        assert!(judged(&doc, key), "{key} judged: {} (verdict {})", doc["comparison"][key], doc["verdict"]);
    }
    let source = |g: &str, k: &str| doc["groups"][g]["metrics"][k]["source"].as_str().unwrap_or("").to_string();
    for g in ["baseline", "variant"] {
        let s = source(g, "records_in_per_s");
        assert!(s == "prometheus" || s == "jolokia", "{g}: a live source gives throughput, not {s}");
    }
    assert_ne!(doc["verdict"]["result"], "INCONCLUSIVE", "{}", doc["verdict"]);
}

fn variant_tms() -> usize {
    get(&format!("{VARIANT}/taskmanagers"))
        .and_then(|t| t["taskmanagers"].as_array().map(Vec::len))
        .unwrap_or(usize::MAX)
}

fn running_job(url: &str) -> Option<String> {
    let jobs = get(&format!("{url}/jobs/overview"))?;
    jobs["jobs"].as_array()?.iter().find(|j| j["state"] != "CANCELED" && j["state"] != "FINISHED")?["jid"]
        .as_str()
        .map(str::to_string)
}

/// The scenarios that change the variant, one after the other, each with the defaults.
#[test]
fn defaults_variant_scenarios() {
    require_lab();
    every_variant_taskmanager_lost_ends_the_check_with_fail();
    checkpoints_that_all_fail_are_a_hard_alert();
    an_out_of_memory_error_from_before_the_start_is_history();
    a_regressed_variant_is_judged_worse_within_the_window();
}

/// A variant whose consumer is slowed (it parks 1 ms per record: backpressure, less
/// throughput, higher latency) fails within the window, with the defaults: throughput
/// significantly worse and a soft alert active at the end, which the test plan rolls back
/// on. (The score alone would say MARGINAL: latency, whose markers span 128 s each, is not
/// yet significant in 5 minutes.)
fn a_regressed_variant_is_judged_worse_within_the_window() {
    lab(&["slow-variant", "1000"]);
    let log = log_path("defaults-slow");
    let (out, doc) =
        finish(check_defaults(&["--baseline", BASELINE, "--variant", VARIANT, "--duration", "5m"], &log), 420);
    restore_variant();

    assert_eq!(doc["verdict"]["result"], "FAIL", "{} {}", doc["verdict"], doc["alerts"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        doc["verdict"]["reasons"][0].as_str().is_some_and(|r| r.starts_with("soft failure")),
        "{}",
        doc["verdict"]["reasons"]
    );
    assert_eq!(class(&doc, "records_in_per_s"), "worse", "{}", doc["comparison"]["records_in_per_s"]);
    assert!(
        alerts(&doc)
            .iter()
            .any(|a| a["severity"] == "soft" && (a["rule"] == "throughput" || a["rule"] == "backpressure")),
        "a soft alert: {}",
        doc["alerts"]
    );
}

/// Both variant TaskManagers killed during `check`: it ends early with FAIL (exit 1) and
/// the hard TaskManager alert, within 30 s of Flink's REST reporting the loss.
fn every_variant_taskmanager_lost_ends_the_check_with_fail() {
    let log = log_path("defaults-kill-all");
    let child = check_defaults(&["--baseline", BASELINE, "--variant", VARIANT, "--duration", "10m"], &log);
    wait_until("the check's first variant refresh", 60, || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("first metrics refresh source=variant/flink-rest"))
    });
    lab(&["kill-tm", "tm-var-1"]);
    lab(&["kill-tm", "tm-var-2"]);
    let killed = Instant::now();
    // When Flink's REST stops listing them (the JobManager notices in 10-20 s).
    let mut child = child;
    let mut reported: Option<Instant> = None;
    while child.try_wait().unwrap().is_none() {
        if reported.is_none() && variant_tms() == 0 {
            reported = Some(Instant::now());
        }
        assert!(killed.elapsed() < Duration::from_secs(180), "the check did not end within 180 s of the kill");
        std::thread::sleep(Duration::from_millis(250));
    }
    let ended = Instant::now();
    let (out, doc) = finish(child, 5);
    lab(&["start-tm", "tm-var-1"]);
    lab(&["start-tm", "tm-var-2"]);
    wait_until("the variant to run again on 2 TaskManagers", 240, || cluster_healthy(VARIANT, 2));

    assert_eq!(out.status.code(), Some(1), "FAIL exits 1: {}", doc["verdict"]);
    assert_eq!(doc["verdict"]["result"], "FAIL");
    let tm_loss = alerts(&doc)
        .into_iter()
        .find(|a| a["rule"] == "taskmanager-failures")
        .unwrap_or_else(|| panic!("no TaskManager-loss alert: {}", doc["alerts"]));
    assert_eq!(tm_loss["severity"], "hard");
    assert!(tm_loss["message"].as_str().unwrap().contains("lost 2 of 2"), "{tm_loss}");
    // Flink's REST may list them a moment longer than the check's last poll saw: measured
    // from the kill when the test's own poll never saw zero.
    let since = reported.unwrap_or(killed);
    let after = ended.saturating_duration_since(since);
    assert!(
        after < Duration::from_secs(30),
        "ended {after:?} after Flink reported the loss (killed {:?} before)",
        ended - killed
    );
}

/// A variant whose checkpoint timeout (10 ms) is shorter than barrier alignment: every
/// checkpoint fails, none completes, the job runs on. That is a hard alert.
fn checkpoints_that_all_fail_are_a_hard_alert() {
    lab(&["break-checkpoints-variant", "10"]);
    let log = log_path("defaults-checkpoints");
    let (out, doc) =
        finish(check_defaults(&["--baseline", BASELINE, "--variant", VARIANT, "--duration", "4m"], &log), 300);
    restore_variant();

    let ckpt = alerts(&doc).into_iter().find(|a| a["rule"] == "checkpoint-failures").unwrap_or_else(|| {
        panic!(
            "no checkpoint-failures alert: {} {}",
            doc["alerts"], doc["groups"]["variant"]["metrics"]["checkpoints_failed"]
        )
    });
    assert_eq!(ckpt["severity"], "hard");
    assert_eq!(doc["verdict"]["result"], "FAIL");
    assert_eq!(out.status.code(), Some(1));
}

/// An OutOfMemoryError in the variant's exception history from before the check started:
/// shown as history, no alert.
fn an_out_of_memory_error_from_before_the_start_is_history() {
    let marker = std::env::temp_dir().join(format!("flinkscope-oom-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    lab(&["oom-once-variant", marker.to_str().unwrap()]);
    let has_oom = || {
        running_job(VARIANT)
            .and_then(|jid| get(&format!("{VARIANT}/jobs/{jid}/exceptions")))
            .is_some_and(|e| e.to_string().contains("OutOfMemoryError"))
    };
    wait_until("the OutOfMemoryError in the variant's exception history", 120, has_oom);
    let log = log_path("defaults-oom");
    let (_, doc) =
        finish(check_defaults(&["--baseline", BASELINE, "--variant", VARIANT, "--duration", "40s"], &log), 120);
    let _ = std::fs::remove_file(&marker);
    restore_variant();

    assert!(
        alerts(&doc).iter().all(|a| a["rule"] != "out-of-memory"),
        "last run's OutOfMemoryError fired an alert: {}",
        doc["alerts"]
    );
    let earlier = doc["groups"]["variant"]["earlier_exceptions"].as_array().unwrap();
    assert!(
        earlier.iter().any(|e| e["name"].as_str().unwrap_or("").contains("OutOfMemoryError")),
        "shown as history: {earlier:?}"
    );
}
