//! What lab tests share: running `scripts/lab.sh`, asking Flink's REST API with curl, waiting
//! for the lab to reach a state, and running the flinkscope binary.
#![allow(dead_code)] // each test binary uses its part

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub const BASELINE: &str = "http://127.0.0.1:8081";
pub const VARIANT: &str = "http://127.0.0.1:8082";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The lab's Flink version (FLINKSCOPE_LAB_FLINK, as scripts/test.sh sets it).
pub fn flink_version() -> String {
    std::env::var("FLINKSCOPE_LAB_FLINK").unwrap_or_else(|_| "2.3.0".into())
}

pub fn lab(args: &[&str]) {
    let out = Command::new(repo().join("scripts/lab.sh")).args(args).output().expect("running scripts/lab.sh");
    assert!(out.status.success(), "lab.sh {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

pub fn get(url: &str) -> Option<serde_json::Value> {
    let out = Command::new("curl").args(["-sf", "--max-time", "3", url]).output().ok()?;
    out.status.success().then(|| serde_json::from_slice(&out.stdout).ok()).flatten()
}

pub fn wait_until(what: &str, secs: u64, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out after {secs} s waiting for {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The cluster at `url` with exactly these TaskManagers and a job running on all of them.
pub fn runs_on(url: &str, ids: &[&str]) -> bool {
    let Some(t) = get(&format!("{url}/taskmanagers")) else { return false };
    let mut have: Vec<String> =
        t["taskmanagers"].as_array().into_iter().flatten().filter_map(|x| x["id"].as_str().map(String::from)).collect();
    have.sort();
    if have != ids {
        return false;
    }
    let Some(jobs) = get(&format!("{url}/jobs/overview")) else { return false };
    jobs["jobs"].as_array().into_iter().flatten().any(|j| {
        j["state"] == "RUNNING"
            && j["tasks"]["running"].as_u64().is_some()
            && j["tasks"]["running"] == j["tasks"]["total"]
    })
}

/// The flinkscope binary with these arguments, its log in a fresh temporary folder.
pub fn flinkscope(args: &[&str]) -> Output {
    let log = std::env::temp_dir().join(format!("flinkscope-labkit-{}.log", std::process::id()));
    Command::new(env!("CARGO_BIN_EXE_flinkscope"))
        .args(args)
        .arg("--log-file")
        .arg(&log)
        .output()
        .expect("running flinkscope")
}
