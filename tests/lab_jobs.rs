//! Many jobs per group on the real lab (scripts/test.sh's "jobs" phase, beside the rollback:
//! these tests use the mixed cluster and read the baseline's, the rollback changes the
//! variant's): a second ShuffleJob on the mixed cluster, on a variant TaskManager of its own
//! (`lab.sh second-job mixed ... tm-var-3`). With the shipped defaults a group follows every
//! running job on its TaskManagers and adds them up; a name regex narrows it to one; a job
//! cancelled while the dashboard watches shows in the Job Health screen as CANCELED, first,
//! and fires the rollout stage's job-failure trigger.

use std::process::Command;

use serde_json::Value;

mod labkit;
mod tmux;
use labkit::{BASELINE, flinkscope, get, lab, wait_until};
use tmux::Tmux;

const MIXED: &str = "http://127.0.0.1:8083";
const FIRST: &str = "flinkscope-lab-mixed";
const SECOND: &str = "flinkscope-lab-mixed-2";
/// The mixed cluster split as the README shows it.
const SPLIT: [&str; 6] = ["--flink", MIXED, "--baseline-tm", "^tm-base", "--variant-tm", "^tm-var"];

/// Stops the second job and its TaskManager whatever the test did (the next phases expect
/// the lab as `up` left it).
struct SecondJob;

impl SecondJob {
    fn start() -> SecondJob {
        wait_until("the lab's mixed cluster (scripts/lab.sh up --pair --mixed)", 120, || {
            get(&format!("{MIXED}/jobs/overview")).is_some_and(|j| j.to_string().contains("\"RUNNING\""))
        });
        lab(&["second-job", "mixed", SECOND, "500", "tm-var-3"]);
        SecondJob
    }
}

impl Drop for SecondJob {
    fn drop(&mut self) {
        let _ = Command::new(labkit::repo().join("scripts/lab.sh")).args(["second-job-down", "mixed", SECOND]).output();
    }
}

fn snapshot(extra: &[&str]) -> Value {
    let mut args = vec!["snapshot", "--duration", "20s"];
    args.extend_from_slice(&SPLIT);
    args.extend_from_slice(extra);
    let out = flinkscope(&args);
    assert!(out.status.success(), "snapshot {extra:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn jobs(doc: &Value) -> Vec<&Value> {
    doc["groups"]["variant"]["jobs"].as_array().unwrap().iter().collect()
}

fn records(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("no records/s: {v}"))
}

#[test]
fn a_group_follows_all_its_running_jobs_or_the_ones_it_names() {
    let _second = SecondJob::start();

    // The shipped default: every running job on the group's TaskManagers, added up.
    let doc = snapshot(&[]);
    let rows = jobs(&doc);
    let mut names: Vec<&str> = rows.iter().map(|j| j["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, [FIRST, SECOND], "{rows:?}");
    assert!(rows.iter().all(|j| j["state"] == "RUNNING" && j["uptime_s"].as_f64().unwrap() > 0.0), "{rows:?}");
    let group = records(&doc["groups"]["variant"]["metrics"]["records_in_per_s"]["last"]);
    let sum: f64 = rows.iter().map(|j| records(&j["records_in_per_s"])).sum();
    assert!((group - sum).abs() <= 0.02 * group, "the group's records/s {group} is its jobs' sum {sum}");
    let second = rows.iter().find(|j| j["name"] == SECOND).unwrap();
    assert!(records(&second["records_in_per_s"]) > 50.0, "the second job's records count: {second}");
    assert!(second["checkpoints_completed"].as_u64().is_some(), "its checkpoints are read: {second}");
    assert_eq!(jobs(&snapshot(&[]))[..].len(), 2);

    // A name regex: the lab's first job only.
    let doc = snapshot(&["--variant-jobs", "^flinkscope-lab-mixed$"]);
    let rows = jobs(&doc);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["name"], FIRST);
    let one = records(&doc["groups"]["variant"]["metrics"]["records_in_per_s"]["last"]);
    assert!((one - records(&rows[0]["records_in_per_s"])).abs() <= 0.02 * one, "{one}: {rows:?}");
    assert!(one < group - 0.5 * records(&second["records_in_per_s"]), "without the second job: {one} < {group}");

    // Cancelled while the dashboard and a stage check watch, both at stage 1A of the shipped
    // plan: CANCELED, first in the Job Health screen, and the stage's job-failure trigger
    // fires (the dashboard shows it, `check --stage` exits 1).
    let plan = labkit::repo().join("assets/rollout-plan.toml");
    let check_dir = tempfile::tempdir().unwrap();
    let check = Command::new(env!("CARGO_BIN_EXE_flinkscope"))
        .current_dir(check_dir.path())
        .args(["check", "--config", plan.to_str().unwrap(), "--stage", "1A"])
        .args(SPLIT)
        .args(["--duration", "100s", "--format", "json"])
        .arg("--log-file")
        .arg(check_dir.path().join("check.log"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cmd = format!(
        "cd {} && {} --config {} --stage 1A {} --log-file flinkscope.log; echo EXIT=$?; sleep 600",
        dir.path().display(),
        env!("CARGO_BIN_EXE_flinkscope"),
        plan.display(),
        SPLIT.map(|a| format!("'{a}'")).join(" ")
    );
    let t = Tmux::start("jobs", 140, 45, &cmd);
    t.wait_screen("both groups live", 120, |s| s.matches("● live").count() >= 2);
    t.keys(&["J"]);
    t.wait_screen("three jobs running", 60, |s| s.contains("Job Health · 3 jobs") && s.contains(SECOND));
    t.wait_screen("stage 1A not yet", 30, |s| {
        s.contains("Stage 1A NOT YET") && s.contains("rollback if any-job-failure: quiet")
    });
    lab(&["cancel-job", "mixed", SECOND]);
    let s = t.wait_screen("the second job CANCELED", 60, |s| {
        s.lines().any(|l| l.contains(&format!("{SECOND} ")) && l.contains("CANCELED"))
    });
    let lines: Vec<&str> = s.lines().collect();
    let at = |name: &str| lines.iter().position(|l| l.contains(&format!("{name} "))).unwrap();
    assert!(at(SECOND) < at(FIRST), "unhealthy first:\n{s}");
    assert!(s.contains("1 unhealthy"), "{s}");
    t.wait_screen("the stage's trigger", 30, |s| {
        s.contains("Stage 1A ROLL BACK") && s.contains("rollback if any-job-failure: FIRED")
    });
    t.keys(&["q"]);
    t.wait_screen("flinkscope to quit", 20, |s| s.contains("EXIT=0"));
    let state = std::fs::read_to_string(dir.path().join("flinkscope-rollout.json")).unwrap();
    assert!(state.contains("\"1A\"") && state.contains("ROLL BACK"), "the state file: {state}");

    let out = check.wait_with_output().unwrap();
    let doc: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(1), "roll back: {}", doc["stage"]);
    assert_eq!(doc["stage"]["decision"], "ROLL BACK");
    let fired: Vec<&Value> =
        doc["stage"]["triggers"].as_array().unwrap().iter().filter(|t| t["mark"] == "met").collect();
    assert_eq!(fired.len(), 1, "{}", doc["stage"]);
    assert_eq!(fired[0]["name"], "any-job-failure");
}

/// The shipped plan's stage 1A with every judgement default, on identical settings: not yet
/// (exit 3) after a few minutes of a 48-hour stage, nothing fired; a second check (a new
/// process, as after a dropped bastion session) continues the same stage, not a new one.
#[test]
fn a_stage_of_the_shipped_plan_is_not_yet_and_keeps_its_start() {
    let plan = labkit::repo().join("assets/rollout-plan.toml");
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_flinkscope"))
            .current_dir(dir.path())
            .args(["check", "--config", plan.to_str().unwrap(), "--stage", "1A", "--flink", BASELINE])
            .args(["--baseline-tm", "^tm-base-1$", "--variant-tm", "^tm-base-2$", "--duration", "60s"])
            .args(["--log-file", "check.log"])
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, text) = run();
    assert_eq!(code, Some(3), "{text}");
    assert!(text.starts_with("stage 1A: NOT YET ("), "{text}");
    assert!(text.contains("rollback if any-job-failure: quiet") && !text.contains("FIRED"), "{text}");
    assert!(text.contains("✓ no-job-failures"), "{text}");
    let first: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("flinkscope-rollout.json")).unwrap()).unwrap();
    let (code, text) = run();
    assert_eq!(code, Some(3), "{text}");
    let second: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("flinkscope-rollout.json")).unwrap()).unwrap();
    assert_eq!(first["stages"][0]["started_ms"], second["stages"][0]["started_ms"], "the same stage: {second}");
    let elapsed = text.lines().next().unwrap().to_string();
    assert!(elapsed.contains("of at least 48h"), "{elapsed}");
    assert!(elapsed.contains("(2m"), "counts from the first check's start, two minutes ago: {elapsed}");
}

/// `preflight` with its defaults before a canary of the baseline's two TaskManagers, with the
/// lab's rollback step and the shipped stages: ready (exit 0), the rollback's argv dry-run
/// with the live job id; an evidence folder that cannot be made fails it (exit 1, named).
#[test]
fn preflight_says_ready_or_names_what_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let write = |evidence: &str| {
        let config = dir.path().join("canary.toml");
        std::fs::write(
            &config,
            format!(
                "{}\n[baseline]\nflink = \"{BASELINE}\"\ntaskmanagers = \"^tm-base-1$\"\n[variant]\nflink = \"{BASELINE}\"\ntaskmanagers = \"^tm-base-2$\"\n\
                 [rollback]\naudit-log = \"audit/audit.jsonl\"\nevidence-dir = \"{evidence}\"\n\
                 [[rollback.steps]]\nname = \"stop the variant's job\"\nargv = [\"{}\", \"cancel-job\", \"baseline\", \"{{variant.job_id}}\"]\n",
                std::fs::read_to_string(labkit::repo().join("assets/rollout-plan.toml")).unwrap(),
                labkit::repo().join("scripts/lab.sh").display()
            ),
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_flinkscope"))
            .current_dir(dir.path())
            .args(["preflight", "--config", config.to_str().unwrap(), "--log-file", "preflight.log"])
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, text) = write("evidence");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.ends_with("preflight: ready\n"), "{text}");
    for line in
        ["✓ source baseline/flink-rest: answers", "✓ variant jobs: RUNNING: flinkscope-lab-baseline", "✓ settings:"]
    {
        assert!(text.contains(line), "{line}:\n{text}");
    }
    let id = get(&format!("{BASELINE}/jobs/overview")).unwrap()["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["state"] == "RUNNING")
        .unwrap()["jid"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.contains(&format!(
            "✓ rollback dry run: {} cancel-job baseline {id}",
            labkit::repo().join("scripts/lab.sh").display()
        )),
        "{text}"
    );
    assert!(text.contains("✓ rollout stages: 1A, 1B, 2A, 2B, 2C"), "{text}");
    assert!(!dir.path().join("audit").exists(), "a dry run creates nothing");

    std::fs::write(dir.path().join("a-file"), "").unwrap();
    let (code, text) = write("a-file/evidence");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("✗ evidence folder:") && l.ends_with("a-file is not a folder")),
        "{text}"
    );
    assert!(text.ends_with("preflight: 1 check(s) failed\n"), "{text}");
}
