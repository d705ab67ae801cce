//! The rollback runner with real child processes (tests/scripts/*.sh): success, failure,
//! timeout (the whole process group is gone afterwards), SIGTERM ignored (SIGKILL after the
//! grace period), an output flood (memory stays bounded), the audit log and the evidence.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use flinkscope::actions::rollback::{self, ActionEvent, Plan};
use flinkscope::actions::runner::{self, MAX_LINE, PreparedStep, StepEnv, StepState, TAIL_LINES};
use flinkscope::event::Event;

fn script(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scripts").join(name).to_string_lossy().into_owned()
}

fn step(index: usize, argv: &[&str], timeout_ms: u64) -> PreparedStep {
    PreparedStep {
        index,
        name: format!("step {}", index + 1),
        argv: argv.iter().map(std::string::ToString::to_string).collect(),
        timeout: Duration::from_millis(timeout_ms),
        continue_on_error: false,
    }
}

fn env() -> BTreeMap<String, String> {
    [
        ("PATH".to_string(), std::env::var("PATH").unwrap()),
        ("FLINKSCOPE_VARIANT_JOB_ID".to_string(), "abc123".to_string()),
    ]
    .into_iter()
    .collect()
}

async fn run(step: &PreparedStep) -> runner::StepResult {
    run_seeing(step, std::sync::Arc::new(|_: &str| {})).await
}

/// Runs `step`, each line of its output handed to `on_line` as it is read.
async fn run_seeing(step: &PreparedStep, on_line: runner::OnLine) -> runner::StepResult {
    let env = env();
    let ctx = StepEnv { env: &env, workdir: None, grace: Duration::from_millis(500) };
    let (_stop, mut interrupt) = tokio::sync::watch::channel(false);
    runner::run(step, &ctx, on_line, &mut interrupt).await
}

fn alive(pid: i32) -> bool {
    // A zombie is gone for our purposes; /proc/<pid>/stat says Z.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.split_whitespace().nth(2).is_none_or(|st| st != "Z"))
}

#[tokio::test]
async fn success_with_a_clean_environment() {
    // SAFETY: only this test sets this variable.
    unsafe { std::env::set_var("FLINKSCOPE_TEST_SECRET", "leaked") };
    let r = run(&step(0, &[&script("ok.sh"), "a b", "$(id)"], 10_000)).await;
    assert_eq!(r.state, StepState::Ok);
    assert_eq!(r.exit_code, Some(0));
    assert!(r.tail.iter().any(|l| l == "args: a b $(id)"), "argv reaches the program as is: {:?}", r.tail);
    assert!(r.tail.iter().any(|l| l == "job=abc123 secret=unset"), "only allowed variables pass: {:?}", r.tail);
    assert!(r.tail.iter().any(|l| l == "to stderr"));
}

#[tokio::test]
async fn non_zero_exit_is_a_failure() {
    let r = run(&step(0, &[&script("fail.sh")], 10_000)).await;
    assert_eq!((r.state, r.exit_code), (StepState::Failed, Some(3)));
    assert!(r.tail.iter().any(|l| l.contains("cannot apply")));
}

#[tokio::test]
async fn a_missing_program_fails_without_running_anything() {
    let r = run(&step(0, &["/no/such/program"], 10_000)).await;
    assert_eq!(r.state, StepState::Failed);
    assert!(r.error.unwrap().contains("cannot start"));
}

#[tokio::test]
async fn timeout_takes_down_the_whole_process_group() {
    let pidfile = std::env::temp_dir().join(format!("flinkscope-hang-{}.pid", std::process::id()));
    let r = run(&step(0, &[&script("hang.sh"), pidfile.to_str().unwrap()], 1_000)).await;
    assert_eq!(r.state, StepState::TimedOut);
    assert_eq!(r.signal, Some(libc::SIGTERM));
    let child: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    // The grandchild `sleep 300` was in the step's group: it is gone too.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while alive(child) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!alive(child), "the step's child {child} survived the timeout");
}

#[tokio::test]
async fn sigterm_ignored_means_sigkill_after_the_grace_period() {
    let r = run(&step(0, &[&script("ignore-term.sh")], 1_000)).await;
    assert_eq!(r.state, StepState::TimedOut);
    assert_eq!(r.signal, Some(libc::SIGKILL));
    assert!(r.duration_ms >= 1_400, "{} ms: waited the grace period", r.duration_ms);
}

#[tokio::test]
async fn an_output_flood_keeps_memory_bounded() {
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = seen.clone();
    let on_line: runner::OnLine = std::sync::Arc::new(move |line: &str| {
        assert!(line.len() <= MAX_LINE);
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    });
    let r = run_seeing(&step(0, &[&script("flood.sh")], 60_000), on_line).await;
    assert_eq!(r.state, StepState::Ok);
    // Every line went by as it was read; the result keeps the last ones.
    assert!(seen.load(std::sync::atomic::Ordering::Relaxed) > TAIL_LINES, "lines seen as written");
    assert_eq!(r.tail.len(), TAIL_LINES);
    assert!(r.tail.iter().all(|l| l.len() <= MAX_LINE));
    assert_eq!(r.tail.last().unwrap(), "flood done");
}

fn plan(dir: &std::path::Path, steps: Vec<PreparedStep>, dry_run: bool) -> Plan {
    // The variant's settings could not be read: the evidence says so.
    let mut settings = flinkscope::analysis::settings::State::new([None, None], false);
    settings.on_read(flinkscope::model::Group::Variant, Err("cannot connect: connection refused".into()));
    Plan {
        steps,
        env: env(),
        workdir: None,
        grace: Duration::from_millis(500),
        dry_run,
        audit_log: dir.join("audit.jsonl"),
        evidence_dir: dir.join("evidence"),
        lock_file: dir.join("rollback.lock"),
        targets: Default::default(),
        context: rollback::Context {
            verdict: serde_json::json!({"result": "FAIL", "score": 10.0, "reasons": ["hard alert"]}),
            ..Default::default()
        },
        settings: Box::new(settings),
        trigger: rollback::Trigger::Manual,
    }
}

async fn execute(p: Plan) -> Vec<ActionEvent> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    // Dropped at once: nobody interrupts this run (and a dropped sender must not).
    let (_, interrupt) = tokio::sync::watch::channel(false);
    rollback::execute(p, tx, interrupt).await;
    let mut events = Vec::new();
    while let Ok(Event::Action(e)) = rx.try_recv() {
        events.push(e);
    }
    events
}

fn audit_lines(dir: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn a_run_stops_at_the_first_failure_and_leaves_audit_and_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let steps = vec![
        step(0, &[&script("ok.sh"), "one"], 10_000),
        step(1, &[&script("fail.sh")], 10_000),
        step(2, &[&script("ok.sh"), "never"], 10_000),
    ];
    let events = execute(plan(dir.path(), steps, false)).await;
    let Some(ActionEvent::Finished { ok, evidence, .. }) = events.last() else { panic!("{events:?}") };
    assert!(!ok);
    let lines = audit_lines(dir.path());
    assert_eq!(lines[0]["event"], "rollback-started");
    for k in ["time", "user", "host", "version", "targets", "verdict", "alerts", "steps"] {
        assert!(!lines[0][k].is_null(), "started line has {k}");
    }
    assert_eq!(lines[0]["steps"].as_array().unwrap().len(), 3, "every step's argv is in the started line");
    let finished: Vec<_> = lines.iter().filter(|l| l["event"] == "step-finished").collect();
    assert_eq!(finished.len(), 2, "the third step never ran");
    assert_eq!(finished[1]["exit_code"], 3);
    assert!(finished[1]["tail"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains("cannot apply")));
    assert_eq!(lines.last().unwrap()["result"], "failed");
    let ev: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(evidence.as_ref().unwrap()).unwrap()).unwrap();
    assert_eq!(ev["verdict"]["result"], "FAIL");
    assert_eq!(ev["steps"][1]["result"]["state"], "failed");
    assert!(ev["steps"][2]["result"].is_null());
    assert_eq!(ev["settings"]["variant"]["error"], "cannot connect: connection refused", "{}", ev["settings"]);
    assert_eq!(ev["settings"]["baseline"]["read"], false);
    let md = std::fs::read_to_string(evidence.as_ref().unwrap().with_extension("md")).unwrap();
    assert!(md.contains("## Steps") && md.contains("cannot apply"));
}

#[tokio::test]
async fn continue_on_error_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut failing = step(0, &[&script("fail.sh")], 10_000);
    failing.continue_on_error = true;
    let events = execute(plan(dir.path(), vec![failing, step(1, &[&script("ok.sh")], 10_000)], false)).await;
    let finished: Vec<_> = events.iter().filter(|e| matches!(e, ActionEvent::StepFinished { .. })).collect();
    assert_eq!(finished.len(), 2);
}

#[tokio::test]
async fn dry_run_runs_nothing_but_logs_everything() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let events = execute(plan(dir.path(), vec![step(0, &["touch", marker.to_str().unwrap()], 10_000)], true)).await;
    assert!(!marker.exists(), "dry run executed a step");
    assert!(matches!(events.last(), Some(ActionEvent::Finished { ok: true, .. })));
    let lines = audit_lines(dir.path());
    assert_eq!(lines[0]["dry_run"], true);
    assert_eq!(lines[1]["state"], "skipped");
    assert_eq!(lines.last().unwrap()["result"], "dry-run");
}

#[tokio::test]
async fn a_second_run_on_the_same_lock_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _held = flinkscope::actions::audit::lock(&dir.path().join("rollback.lock")).unwrap();
    let events = execute(plan(dir.path(), vec![step(0, &[&script("ok.sh")], 10_000)], false)).await;
    let Some(ActionEvent::Finished { ok: false, message, .. }) = events.last() else { panic!("{events:?}") };
    assert!(message.contains("another rollback"), "{message}");
    assert!(!dir.path().join("audit.jsonl").exists(), "nothing ran, nothing logged");
}

#[tokio::test]
async fn an_interrupt_ends_the_step_group_and_is_audited_as_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("hang.pid");
    let steps = vec![
        step(0, &[&script("hang.sh"), pidfile.to_str().unwrap()], 60_000),
        step(1, &["touch", dir.path().join("never").to_str().unwrap()], 10_000),
    ];
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let (stop, interrupt) = tokio::sync::watch::channel(false);
    let run = tokio::spawn(rollback::execute(plan(dir.path(), steps, false), tx, interrupt));
    // The step runs (its child wrote its pid), then flinkscope quits.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !pidfile.exists() {
        assert!(std::time::Instant::now() < deadline, "the step never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(15), run).await.expect("the run ends after an interrupt").unwrap();
    let child: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    let gone = std::time::Instant::now() + Duration::from_secs(10);
    while alive(child) && std::time::Instant::now() < gone {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!alive(child), "the step's child {child} survived the interrupt");
    assert!(!dir.path().join("never").exists(), "a step after the interrupt ran");

    let lines = audit_lines(dir.path());
    let step_line = lines.iter().find(|l| l["event"] == "step-finished").expect("the interrupted step's line");
    assert_eq!(step_line["state"], "interrupted");
    assert_eq!(step_line["signal"], libc::SIGTERM);
    let last = lines.last().unwrap();
    assert_eq!((&last["event"], &last["result"]), (&"rollback-finished".into(), &"interrupted".into()));
    let mut events = Vec::new();
    while let Ok(Event::Action(e)) = rx.try_recv() {
        events.push(e);
    }
    let Some(ActionEvent::Finished { ok, evidence, message }) = events.last() else { panic!("{events:?}") };
    assert!(!ok && message.contains("interrupted"), "{message}");
    let ev: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(evidence.as_ref().unwrap()).unwrap()).unwrap();
    assert_eq!(ev["result"], "interrupted");
    assert_eq!(ev["steps"][0]["result"]["state"], "interrupted");
}

#[tokio::test]
async fn an_audit_line_that_cannot_be_written_ends_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    // The first step takes the audit log away (a directory now stands where it was: even
    // root cannot append to that), as a full or unmounted disk would.
    let breaker = format!("rm -f '{0}' && mkdir '{0}'", audit.display());
    let steps = vec![
        step(0, &["sh", "-c", &breaker], 10_000),
        step(1, &["touch", dir.path().join("never").to_str().unwrap()], 10_000),
    ];
    let events = execute(plan(dir.path(), steps, false)).await;
    assert!(!dir.path().join("never").exists(), "a step ran after its audit line was lost");
    let Some(ActionEvent::Finished { ok, message, evidence }) = events.last() else { panic!("{events:?}") };
    assert!(!ok);
    assert!(message.contains("audit log") && message.contains("could not be written"), "{message}");
    let ev: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(evidence.as_ref().unwrap()).unwrap()).unwrap();
    assert_eq!(ev["result"], "failed");
    assert!(ev["audit_error"].as_str().is_some_and(|e| !e.is_empty()), "{}", ev["audit_error"]);
    assert_eq!(ev["steps"][0]["result"]["state"], "ok");
}
