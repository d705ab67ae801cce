//! The lab's faults, watched by the real binary in tmux as an operator would see them (run
//! after the lab tests that only read, before the rollback end to end: these change the
//! variant and put it back). Each fault with its outcome; `tests/faults.rs` has the
//! loopback ones. docs/reliability.md lists both.
//!
//! One dashboard session lives through them all, one after the other: a job cancelled and
//! resubmitted (new job id), a TaskManager stopped with SIGSTOP (its reporter hangs, no
//! RST) and continued, a TaskManager replaced by one with a new id, and the JobManager
//! restarted (the job gone, the TaskManagers registering again).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "tmux/mod.rs"]
mod tmux;
use tmux::Tmux;

const BASELINE: &str = "http://127.0.0.1:8081";
const VARIANT: &str = "http://127.0.0.1:8082";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn lab(args: &[&str]) {
    let out = Command::new(repo().join("scripts/lab.sh")).args(args).output().expect("running scripts/lab.sh");
    assert!(out.status.success(), "lab.sh {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn get(url: &str) -> Option<serde_json::Value> {
    let out = Command::new("curl").args(["-sf", "--max-time", "3", url]).output().ok()?;
    out.status.success().then(|| serde_json::from_slice(&out.stdout).ok()).flatten()
}

fn wait_until(what: &str, secs: u64, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out after {secs} s waiting for {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The variant with exactly these TaskManagers and its job running on all of them.
fn variant_runs_on(ids: &[&str]) -> bool {
    let Some(t) = get(&format!("{VARIANT}/taskmanagers")) else { return false };
    let mut have: Vec<String> =
        t["taskmanagers"].as_array().into_iter().flatten().filter_map(|x| x["id"].as_str().map(String::from)).collect();
    have.sort();
    if have != ids {
        return false;
    }
    let Some(jobs) = get(&format!("{VARIANT}/jobs/overview")) else { return false };
    jobs["jobs"].as_array().into_iter().flatten().any(|j| {
        j["state"] == "RUNNING"
            && j["tasks"]["running"].as_u64().is_some()
            && j["tasks"]["running"] == j["tasks"]["total"]
    })
}

fn variant_job_id() -> Option<String> {
    let jobs = get(&format!("{VARIANT}/jobs/overview"))?;
    jobs["jobs"].as_array()?.iter().find(|j| j["state"] == "RUNNING")?["jid"].as_str().map(String::from)
}

/// The header line of the variant group.
fn variant(t: &Tmux) -> String {
    t.screen().lines().find(|l| l.contains("▲ variant")).unwrap_or("").to_string()
}

fn wait_variant(t: &Tmux, what: &str, secs: u64, cond: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let v = variant(t);
        if cond(&v) {
            // What the operator saw, for docs/reliability.md (--nocapture).
            eprintln!("{what}: {}", v.trim_end());
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {secs} s waiting for {what}; screen:\n{}", t.screen());
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn alive(t: &Tmux) -> bool {
    !t.screen().contains("EXIT=")
}

#[test]
fn lab_faults_in_one_session() {
    wait_until("the lab's variant on tm-var-1 and tm-var-2", 180, || variant_runs_on(&["tm-var-1", "tm-var-2"]));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("flinkscope.toml");
    std::fs::write(
        &config,
        format!(
            "[baseline]\nflink = \"{BASELINE}\"\n[variant]\nflink = \"{VARIANT}\"\n\
             prometheus = [\"http://127.0.0.1:9261/metrics\", \"http://127.0.0.1:9262/metrics\"]\n"
        ),
    )
    .unwrap();
    let cmd = format!(
        "{} --config {} --log-file {}; echo EXIT=$?; sleep 900",
        env!("CARGO_BIN_EXE_flinkscope"),
        config.display(),
        dir.path().join("flinkscope.log").display()
    );
    let t = Tmux::start("faults", 200, 50, &cmd);
    wait_variant(&t, "the variant live, REST and reporters", 120, |v| {
        v.contains("2 TM RUNNING") && v.matches("● live").count() >= 2
    });

    // 1. The job cancelled and resubmitted: the new job id is followed.
    let before = variant_job_id().unwrap();
    lab(&["normal-variant"]);
    let after = variant_job_id().unwrap();
    assert_ne!(before, after);
    wait_variant(&t, "the resubmitted job followed", 60, |v| v.contains("2 TM RUNNING") && !v.contains("✖ failed"));

    // 2. A TaskManager stopped (SIGSTOP): its reporter accepts and never answers. The
    // reporters' source says which endpoint and why; REST and the screen go on.
    lab(&["stop-tm", "tm-var-1"]);
    let hung = wait_variant(&t, "the hung reporter named", 60, |v| v.contains("9261") || v.contains("no answer"));
    assert!(alive(&t), "{hung}");
    lab(&["cont-tm", "tm-var-1"]);
    wait_variant(&t, "the reporters live again after SIGCONT", 90, |v| {
        v.matches("● live").count() >= 2 && !v.contains("✖ failed")
    });

    // 3. A TaskManager replaced by one with a new id: the lost one is a hard alert, the new
    // one is watched (the group has 2 TaskManagers again).
    lab(&["replace-tm", "tm-var-1", "tm-var-3"]);
    wait_until("the variant on tm-var-2 and tm-var-3", 240, || variant_runs_on(&["tm-var-2", "tm-var-3"]));
    wait_variant(&t, "2 TaskManagers again, the job running", 60, |v| v.contains("2 TM RUNNING"));
    let screen = t.screen();
    assert!(screen.contains("taskmanager"), "the loss is an alert:\n{screen}");
    lab(&["replace-tm", "tm-var-3", "tm-var-1"]);
    wait_until("the variant on tm-var-1 and tm-var-2 again", 240, || variant_runs_on(&["tm-var-1", "tm-var-2"]));

    // 4. The JobManager restarted: REST fails with the reason while it is down, then the
    // TaskManagers register again; without HA the job is gone until it is resubmitted.
    lab(&["restart-jm", "variant"]);
    wait_variant(&t, "REST failing or the job gone", 60, |v| v.contains("✖ failed") || v.contains("no job"));
    lab(&["normal-variant"]);
    wait_until("the variant's job after the JobManager restart", 240, || variant_runs_on(&["tm-var-1", "tm-var-2"]));
    wait_variant(&t, "the variant live again", 120, |v| v.contains("2 TM RUNNING") && v.matches("● live").count() >= 2);

    assert!(alive(&t), "flinkscope lived through every fault");
    t.run(&["send-keys", "-t", "main", "q"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !t.screen().contains("EXIT=0") {
        assert!(Instant::now() < deadline, "no clean exit:\n{}", t.screen());
        std::thread::sleep(Duration::from_millis(200));
    }
}
