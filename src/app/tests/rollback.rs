//! The rollback from the keyboard: typed confirmation, the plan shown is the plan run,
//! the armed countdown, quitting while it runs.

use super::*;

fn with_rollback(argvs: &[&str]) -> App {
    let mut app = demo::app(Instant::now(), 30, false);
    app.settings.rollback = Some(demo::rollback_config(argvs));
    app
}

fn type_word(app: &mut App, word: &str) -> Vec<Command> {
    word.chars().filter_map(|c| app.update(press(KeyCode::Char(c)))).collect()
}

#[test]
fn rollback_runs_once_after_the_typed_confirmation() {
    let mut app = with_rollback(&["echo {variant.job_id}", "echo {variant.taskmanagers}"]);
    assert_eq!(app.update(press(KeyCode::Char('R'))), None);
    let d = app.rollback.dialog.as_ref().expect("R opens the confirmation");
    let steps = d.preview.as_ref().unwrap();
    assert_eq!(steps[0].argv, ["echo", "49e9c17b1c0e9c703c716db89c62d948"]);
    assert_eq!(steps[1].argv, ["echo", "tm-var-1", "tm-var-2"]);
    // Keys that mean something elsewhere only type into the dialog.
    assert!(type_word(&mut app, "qa").is_empty());
    assert!(!app.quit && app.focus == 0, "q and a did nothing but type");
    assert_eq!(app.update(press(KeyCode::Enter)), None, "a wrong word does not confirm");
    app.update(press(KeyCode::Backspace));
    app.update(press(KeyCode::Backspace));
    type_word(&mut app, "rollbac");
    assert_eq!(app.update(press(KeyCode::Enter)), None, "an unfinished word does not confirm");
    type_word(&mut app, "k");
    // A held Enter (repeat) or its release never confirms.
    assert_eq!(app.update(with_kind(KeyCode::Enter, KeyEventKind::Repeat)), None);
    assert_eq!(app.update(with_kind(KeyCode::Enter, KeyEventKind::Release)), None);
    let Some(Command::StartRollback(plan)) = app.update(press(KeyCode::Enter)) else {
        panic!("Enter after the word runs it")
    };
    assert_eq!(plan.trigger, crate::model::step::Trigger::Manual);
    assert!(!plan.dry_run);
    assert!(app.rollback.dialog.is_none());
    // Single flight: R during the run says so and does nothing.
    assert_eq!(app.update(press(KeyCode::Char('R'))), None);
    assert!(app.rollback.dialog.is_none());
    assert!(app.rollback.notice.as_deref().unwrap().contains("running"));
    // After it ends, running it again needs a new confirmation.
    app.update(Event::Action(crate::actions::ActionEvent::Finished {
        ok: true,
        message: "done".into(),
        evidence: None,
    }));
    assert!(!matches!(app.update(press(KeyCode::Enter)), Some(Command::StartRollback(_))));
    app.update(press(KeyCode::Esc));
    app.update(press(KeyCode::Char('R')));
    assert_eq!(app.rollback.dialog.as_ref().unwrap().typed, "", "a fresh confirmation");
}

/// The argv shown in the dialog is the argv that runs: TaskManagers replaced and a pause
/// between opening the dialog and Enter change nothing in the plan.
#[test]
fn the_rollback_runs_exactly_the_argv_that_were_shown() {
    let t0 = Instant::now();
    let mut app = with_rollback(&["echo {variant.taskmanagers}"]);
    app.update(press(KeyCode::Char('R')));
    let shown = app.rollback.dialog.as_ref().unwrap().preview.clone().unwrap();
    assert_eq!(shown[0].argv, ["echo", "tm-var-1", "tm-var-2"]);
    // The variant's TaskManagers are replaced while the operator types.
    let mut batch = demo::batch(Group::Variant, t0 + Duration::from_secs(32), 32);
    batch.taskmanagers = vec!["tm-var-7".into()];
    let at = t0 + Duration::from_secs(32);
    app.on_sample(SourceId { group: Group::Variant, kind: SourceKind::FlinkRest }, Ok(batch), at);
    assert_eq!(app.targets().variant.taskmanagers, ["tm-var-7"], "the view moved on");
    type_word(&mut app, "rollback");
    let Some(Command::StartRollback(plan)) = app.update(press(KeyCode::Enter)) else { panic!("confirmed") };
    assert_eq!(plan.steps[0].argv, shown[0].argv, "what was shown runs");
    assert_eq!(plan.targets.variant.taskmanagers, ["tm-var-1", "tm-var-2"], "and its environment is the shown one");
}

#[test]
fn esc_cancels_the_rollback() {
    let mut app = with_rollback(&["true"]);
    app.update(press(KeyCode::Char('R')));
    type_word(&mut app, "rollback");
    assert_eq!(app.update(press(KeyCode::Esc)), None);
    assert!(app.rollback.dialog.is_none() && app.rollback.run.is_none());
    assert_eq!(app.update(press(KeyCode::Enter)), Some(Command::SetDetail(true)), "Enter is the dashboard's again");
}

#[test]
fn read_only_hides_the_rollback() {
    let mut app = with_rollback(&["true"]);
    app.settings.read_only = true;
    assert_eq!(app.update(press(KeyCode::Char('R'))), None);
    assert!(app.rollback.dialog.is_none());
    assert!(app.rollback.notice.as_deref().unwrap().contains("read-only"));
    assert_eq!(app.start_rollback(crate::model::step::Trigger::Manual), None, "nothing can start it");
}

#[test]
fn dry_run_is_in_the_plan() {
    let mut app = with_rollback(&["true"]);
    app.settings.dry_run = true;
    app.update(press(KeyCode::Char('R')));
    type_word(&mut app, "rollback");
    let Some(Command::StartRollback(plan)) = app.update(press(KeyCode::Enter)) else { panic!() };
    assert!(plan.dry_run);
}

#[test]
fn an_unsafe_placeholder_value_stops_the_rollback_before_anything_runs() {
    let mut app = with_rollback(&["kubectl {variant.taskmanagers}"]);
    let id = SourceId { group: Group::Variant, kind: SourceKind::FlinkRest };
    let at = app.now() + Duration::from_secs(1);
    let mut b = demo::batch(Group::Variant, at, 40);
    b.taskmanagers = vec!["tm-1; rm -rf /".into()];
    app.on_sample(id, Ok(b), at);
    app.update(press(KeyCode::Char('R')));
    let err = app.rollback.dialog.as_ref().unwrap().preview.clone().unwrap_err();
    assert!(err.contains("refused"), "{err}");
    type_word(&mut app, "rollback");
    assert_eq!(app.update(press(KeyCode::Enter)), None);
    assert!(app.rollback.run.is_none());
}

#[test]
fn the_armed_countdown_runs_once_and_c_cancels_it() {
    use crate::analysis::rules::{Breach, RuleId};
    let fire = |app: &mut App| {
        let b = Some(Breach { observed: 1.0, baseline: 0.0, threshold: 0.0, message: "OOM".into() });
        let rules = app.settings.rules.clone();
        app.alerts.update(&[(RuleId::OutOfMemory, b)], &rules, std::time::SystemTime::now());
        assert!(app.alerts.hard_fired);
        app.arm_countdown();
    };
    // Armed, not cancelled: runs once when the countdown ends.
    let mut app = with_rollback(&["true"]);
    app.settings.rollback.as_mut().unwrap().auto = true;
    let t = app.now();
    fire(&mut app);
    assert_eq!(app.countdown_left(), Some(Duration::from_secs(30)));
    assert_eq!(app.tick_at(t + Duration::from_secs(29)), None);
    let Some(Command::StartRollback(plan)) = app.tick_at(t + Duration::from_secs(30)) else {
        panic!("the countdown ran out")
    };
    assert_eq!(plan.trigger, crate::model::step::Trigger::Auto);
    app.update(Event::Action(crate::actions::ActionEvent::Finished {
        ok: true,
        message: "done".into(),
        evidence: None,
    }));
    fire(&mut app);
    assert_eq!(app.countdown_left(), None, "never more than once per session");
    assert_eq!(app.tick_at(t + Duration::from_secs(120)), None);

    // Cancelled with c.
    let mut app = with_rollback(&["true"]);
    app.settings.rollback.as_mut().unwrap().auto = true;
    let t = app.now();
    fire(&mut app);
    app.update(press(KeyCode::Char('c')));
    assert_eq!(app.countdown_left(), None);
    assert_eq!(app.tick_at(t + Duration::from_secs(60)), None);
    assert!(app.rollback.run.is_none());

    // Not armed: a hard alert starts nothing.
    let mut app = with_rollback(&["true"]);
    fire(&mut app);
    assert_eq!(app.countdown_left(), None);
}

/// `q` or Ctrl-C while a rollback runs asks first (the step would be interrupted); the
/// second `q` quits, any other key keeps it running; a signal (SIGTERM) quits at once.
#[test]
fn quitting_during_a_rollback_asks_first() {
    let mut app = with_rollback(&["true"]);
    app.update(press(KeyCode::Char('R')));
    type_word(&mut app, "rollback");
    assert!(matches!(app.update(press(KeyCode::Enter)), Some(Command::StartRollback(_))));
    assert!(app.rollback.running());

    assert_eq!(app.update(press(KeyCode::Char('q'))), None, "the first q only asks");
    assert!(!app.quit);
    assert!(app.rollback.notice.as_deref().unwrap().contains("q again"), "{:?}", app.rollback.notice);
    app.update(press(KeyCode::Char('p')));
    assert_eq!(app.rollback.notice.as_deref(), Some("the rollback keeps running"));
    let ctrl_c = Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(app.update(ctrl_c), None, "after another key, Ctrl-C asks again");
    assert_eq!(app.update(press(KeyCode::Char('q'))), Some(Command::Quit));
    assert!(app.quit);

    let mut app = with_rollback(&["true"]);
    app.update(press(KeyCode::Char('R')));
    type_word(&mut app, "rollback");
    app.update(press(KeyCode::Enter));
    assert_eq!(app.update(Event::Quit), Some(Command::Quit), "a signal does not wait for a key");
}

/// After a rollback the variant's recovery is verified: jobs RUNNING, restored from a
/// checkpoint, throughput and p99 latency near the baseline's; the first answer is written
/// once (a command for the loop), recovered or not by the deadline.
#[test]
fn the_recovery_after_a_rollback_is_verified_and_written_once() {
    let run = |tolerance: f64, restored: bool| {
        let t0 = Instant::now();
        let mut app = demo::app(t0, 30, false);
        let mut r = demo::rollback_config(&["true"]);
        r.recovery_tolerance_pct = tolerance;
        r.recovery_deadline = crate::config::Dur(Duration::from_secs(20));
        app.settings.rollback = Some(r);
        app.update_at(
            Event::Action(crate::actions::ActionEvent::Finished { ok: true, message: "done".into(), evidence: None }),
            t0 + Duration::from_secs(30),
        );
        assert!(app.recovery.is_some(), "a finished rollback starts the verification");
        let mut written = Vec::new();
        for i in (32..=70).step_by(2) {
            let at = t0 + Duration::from_secs(i);
            for g in Group::BOTH {
                let mut b = demo::batch(g, at, i);
                for j in &mut b.jobs {
                    if let Some(c) = j.checkpoints.as_mut() {
                        c.restored_id = restored.then_some(360);
                    }
                }
                let id = crate::sources::SourceId { group: g, kind: crate::sources::SourceKind::FlinkRest };
                // A refresh evaluates: the command comes back from the sample that decided.
                if let Some(Command::RecordRecovery(r)) = app.on_sample(id, Ok(b), at) {
                    written.push(r);
                }
            }
        }
        assert_eq!(written.len(), 1, "written once");
        (app.recovery.unwrap().result.unwrap(), written.remove(0))
    };
    // The demo's variant: throughput -7%, p99 +34% against the baseline.
    let (ok, record) = run(50.0, true);
    assert!(ok.recovered, "{ok:?}");
    assert!(ok.summary.starts_with("recovered in "), "{ok:?}");
    assert_eq!(record.line["result"], "recovered");
    assert!(
        record.markdown.contains("✓ restored from a checkpoint: flinkscope-lab-variant from checkpoint 360"),
        "{}",
        record.markdown
    );
    let (bad, record) = run(20.0, false);
    assert!(!bad.recovered && bad.after >= Duration::from_secs(20), "{bad:?}");
    assert!(
        bad.summary.contains("not restored from a checkpoint") && bad.summary.contains("p99 latency +3"),
        "{bad:?}"
    );
    assert_eq!(record.line["result"], "not-recovered");
}
