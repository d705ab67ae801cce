use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};

use super::*;
use crate::model::Group;

mod rollback;

fn press(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn with_kind(code: KeyCode, kind: KeyEventKind) -> Event {
    Event::Key(KeyEvent { code, modifiers: KeyModifiers::NONE, kind, state: KeyEventState::NONE })
}

#[test]
fn quit_keys() {
    let mut app = demo::app(Instant::now(), 10, false);
    assert_eq!(app.update(press(KeyCode::Char('q'))), Some(Command::Quit));
    assert!(app.quit);
    let mut app = demo::app(Instant::now(), 10, false);
    let ctrl_c = Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(app.update(ctrl_c), Some(Command::Quit));
    let mut app = demo::app(Instant::now(), 10, false);
    assert_eq!(app.update(Event::Quit), Some(Command::Quit));
}

#[test]
fn releases_and_repeats_do_nothing() {
    let mut app = demo::app(Instant::now(), 10, false);
    assert_eq!(app.update(with_kind(KeyCode::Char('q'), KeyEventKind::Release)), None);
    assert_eq!(app.update(with_kind(KeyCode::Char('q'), KeyEventKind::Repeat)), None);
    assert!(!app.quit);
}

#[test]
fn help_takes_keys_until_closed() {
    let mut app = demo::app(Instant::now(), 10, false);
    app.update(press(KeyCode::Char('?')));
    assert!(app.help);
    app.update(press(KeyCode::Tab));
    assert_eq!(app.focus, 0, "focus does not move under the help");
    app.update(press(KeyCode::Esc));
    assert!(!app.help);
    app.update(press(KeyCode::Tab));
    assert_eq!(app.focus, 1);
}

#[test]
fn focus_moves_over_the_grid() {
    let mut app = demo::app(Instant::now(), 10, false);
    // 0 1 / 2 3 / 4 (backpressure, spanning its row) / the alerts strip, 5.
    let steps = [
        (KeyCode::Right, 1),
        (KeyCode::Down, 3),
        (KeyCode::Down, 4),
        (KeyCode::Down, 5),
        (KeyCode::Down, 5),
        (KeyCode::Up, 4),
        (KeyCode::Left, 4),
        (KeyCode::Up, 2),
        (KeyCode::Right, 3),
        (KeyCode::Up, 1),
        (KeyCode::BackTab, 0),
        (KeyCode::BackTab, 5),
        (KeyCode::Tab, 0),
        (KeyCode::Char('j'), 2),
        (KeyCode::Char('k'), 0),
        (KeyCode::Char('a'), 5),
    ];
    for (key, want) in steps {
        app.update(press(key));
        assert_eq!(app.focus, want, "{key:?}");
    }
}

#[test]
fn enter_opens_the_drill_down_and_asks_for_detail() {
    let mut app = demo::app(Instant::now(), 10, false);
    app.update(press(KeyCode::Char('s')));
    assert_eq!(app.sort_column, 0, "sorting only in full screen");
    assert_eq!(app.update(press(KeyCode::Enter)), Some(Command::SetDetail(true)));
    assert!(app.fullscreen);
    app.update(press(KeyCode::Char('s')));
    assert_eq!(app.sort_column, 1);
    assert_eq!(app.update(press(KeyCode::Esc)), Some(Command::SetDetail(false)));
    assert!(!app.fullscreen);
}

#[test]
fn pause_freezes_the_view_but_keeps_polling() {
    let t0 = Instant::now();
    let mut app = demo::app(t0, 10, false);
    app.update(press(KeyCode::Char('p')));
    assert!(app.paused());
    // What the charts draw: the live series up to the paused moment.
    let drawn = |app: &App| {
        app.history()
            .group(Group::Baseline)
            .series(MetricKey::RecordsInPerS)
            .values_between(0.0, app.view().now)
            .count()
    };
    let before = drawn(&app);
    let held = app.live.store.group(Group::Baseline).series(MetricKey::RecordsInPerS).len();
    let id = SourceId { group: Group::Baseline, kind: SourceKind::FlinkRest };
    let at = t0 + Duration::from_secs(12);
    app.on_sample(id, Ok(demo::batch(Group::Baseline, at, 12)), at);
    assert_eq!(drawn(&app), before, "the paused screen does not move");
    assert_eq!(
        app.live.store.group(Group::Baseline).series(MetricKey::RecordsInPerS).len(),
        held + 1,
        "polling goes on"
    );
    app.update(press(KeyCode::Char('p')));
    assert_eq!(drawn(&app), before + 1);
}

/// Two hours of readings every second (the densest source cadence) at the default one-hour
/// retention: the store's accounted bytes are the same after one hour and after two, under
/// a fixed bound, and a pause copies none of the history.
#[test]
fn the_store_is_flat_over_the_retention_and_a_pause_copies_no_history() {
    let t0 = Instant::now();
    let mut store = Store::with_epoch(t0, Duration::from_secs(3600), Duration::from_secs(1));
    let feed = |store: &mut Store, from: u64, to: u64| {
        for i in from..to {
            for g in Group::BOTH {
                store.ingest(g, demo::batch(g, t0 + Duration::from_secs(i), i));
            }
        }
    };
    feed(&mut store, 0, 60);
    let frozen_early = store.present().heap_bytes();
    feed(&mut store, 60, 3600);
    let hour = store.heap_bytes();
    feed(&mut store, 3600, 7200);
    let two_hours = store.heap_bytes();
    eprintln!("accounted: 1 h {hour} B, 2 h {two_hours} B, frozen {frozen_early} B");
    assert!(two_hours as f64 <= hour as f64 * 1.01, "flat: {hour} B after 1 h, {two_hours} B after 2 h");
    assert!(two_hours < 12 << 20, "{two_hours} B");
    let frozen = store.present().heap_bytes();
    assert_eq!(frozen, frozen_early, "a pause costs the same after a minute and after two hours");
    assert!(frozen < 16 << 10, "{frozen} B");
}

#[test]
fn span_keys_step_through_spans_and_stop_at_the_ends() {
    let mut app = demo::app(Instant::now(), 10, false);
    assert_eq!(app.span, Duration::from_secs(300));
    app.update(press(KeyCode::Char('+')));
    assert_eq!(app.span, Duration::from_secs(600));
    for _ in 0..10 {
        app.update(press(KeyCode::Char('-')));
    }
    assert_eq!(app.span, SPANS[0]);
    assert_eq!(app.window, Duration::from_secs(300), "the comparison window does not change");
}

#[test]
fn a_failed_poll_marks_the_source_and_leaves_the_other_group_alone() {
    let app = demo::app(Instant::now(), 30, true);
    assert!(matches!(app.health_of(Group::Variant), HealthState::Failed(r) if r.contains("502")));
    assert_eq!(app.health_of(Group::Baseline), HealthState::Live);
    let v = app.view().comparisons[&MetricKey::RecordsInPerS].variant;
    assert_eq!(v.current, None, "the latest variant point is a gap");
    assert!(v.mean.is_some(), "earlier samples still count");
}

/// Drives the app with refreshes of both groups; `variant_tms(i)` sets the variant's
/// TaskManager count at refresh `i`. Returns the app after `n` refreshes.
fn run_refreshes(n: u64, variant_tms: impl Fn(u64) -> usize) -> App {
    let t0 = Instant::now();
    let mut app = App::new(&demo::config(), t0);
    for i in 0..n {
        let at = t0 + Duration::from_secs(2 * i);
        for g in Group::BOTH {
            let mut b = demo::batch(g, at, 2 * i);
            if g == Group::Variant {
                b.taskmanagers.truncate(variant_tms(i));
            }
            app.on_sample(SourceId { group: g, kind: SourceKind::FlinkRest }, Ok(b), at);
        }
    }
    app
}

#[test]
fn a_taskmanager_that_leaves_fires_a_hard_alert_after_three_evaluations() {
    use crate::analysis::rules::{RuleId, Severity};
    // Lost at refresh 5; evaluations 5 and 6 breach, the third (7) fires.
    let app = run_refreshes(7, |i| if i >= 5 { 1 } else { 2 });
    assert!(app.alerts.active.is_empty(), "two breaching evaluations fire nothing");
    let app = run_refreshes(8, |i| if i >= 5 { 1 } else { 2 });
    let alert = &app.alerts.active[&RuleId::TaskmanagerFailures];
    assert_eq!(alert.severity, Severity::Hard);
    assert!(alert.message.contains("lost 1 of 2"), "{}", alert.message);
    assert_eq!(app.view().verdict.outcome, crate::analysis::verdict::Outcome::Fail);
}

#[test]
fn a_taskmanager_that_comes_back_resolves_the_alert_and_keeps_it_in_history() {
    use crate::analysis::rules::RuleId;
    let app = run_refreshes(12, |i| if (5..9).contains(&i) { 1 } else { 2 });
    assert!(app.alerts.active.is_empty());
    let resolved: Vec<_> = app.alerts.history.iter().filter(|a| a.rule == RuleId::TaskmanagerFailures).collect();
    assert_eq!(resolved.len(), 1);
    assert!(resolved[0].resolved.is_some());
    assert!(app.alerts.hard_fired, "the run stays failed");
}

#[test]
fn a_single_missing_taskmanager_poll_fires_nothing() {
    let app = run_refreshes(20, |i| if i == 10 || i == 13 { 1 } else { 2 });
    assert!(app.alerts.active.is_empty() && app.alerts.history.is_empty());
    assert!(!app.alerts.hard_fired);
}

/// Both groups refresh every 2 s for `n` refreshes; then the variant's REST answers with no
/// TaskManagers and no fresh metrics (every variant TaskManager gone), with ticks each second.
#[test]
fn losing_every_variant_taskmanager_is_judged_on_ticks_without_fresh_data() {
    use crate::analysis::rules::RuleId;
    use crate::analysis::verdict::Outcome;
    let t0 = Instant::now();
    let mut app = run_refreshes(30, |_| 2);
    let lost_at = t0 + Duration::from_secs(60);
    let mut b = demo::batch(Group::Variant, lost_at, 60);
    b.fresh = false;
    b.taskmanagers.clear();
    app.on_sample(SourceId { group: Group::Variant, kind: SourceKind::FlinkRest }, Ok(b), lost_at);
    let evaluations = app.evaluations;
    for s in 1..=5 {
        app.tick(lost_at + Duration::from_secs(s));
    }
    // The first tick follows a data evaluation; every later one evaluates on its own.
    assert!(app.evaluations >= evaluations + 4, "every tick evaluates when no data did");
    let alert = app.alerts.active.get(&RuleId::TaskmanagerFailures).expect("hard TaskManager alert");
    assert!(alert.message.contains("lost 2 of 2"), "{}", alert.message);
    assert_eq!(app.view().verdict.outcome, Outcome::Fail);
}

#[test]
fn a_group_without_live_data_beyond_the_stale_limit_cannot_pass() {
    use crate::analysis::verdict::Outcome;
    let t0 = Instant::now();
    let mut app = App::new(&demo::config(), t0);
    // 260 s of both groups refreshing every 2 s: enough 10 s blocks for a verdict.
    for i in 0..130u64 {
        let at = t0 + Duration::from_secs(2 * i);
        for g in Group::BOTH {
            let mut b = demo::batch(g, at, 2 * i);
            // Identical groups.
            b.gauges = demo::batch(Group::Baseline, at, 2 * i).gauges;
            b.block_counters = demo::batch(Group::Baseline, at, 2 * i).block_counters;
            b.counters = demo::batch(Group::Baseline, at, 2 * i).counters;
            app.on_sample(SourceId { group: g, kind: SourceKind::FlinkRest }, Ok(b), at);
        }
        app.tick(at + Duration::from_millis(500));
    }
    let before = app.view().verdict.outcome;
    assert!(matches!(before, Outcome::Pass | Outcome::Marginal), "{:?}", app.view().verdict);
    // The variant's REST fails from 260 s on; the baseline goes on.
    let id = SourceId { group: Group::Variant, kind: SourceKind::FlinkRest };
    for s in 0..40u64 {
        let at = t0 + Duration::from_secs(260 + s);
        if s % 2 == 0 {
            let b = demo::batch(Group::Baseline, at, 260 + s);
            app.on_sample(SourceId { group: Group::Baseline, kind: SourceKind::FlinkRest }, Ok(b), at);
        }
        app.on_sample(id, Err(crate::sources::SourceError::Other("connection refused".into())), at);
        app.tick(at + Duration::from_millis(500));
        let v = &app.view().verdict;
        if s < 30 {
            assert_ne!(v.outcome, Outcome::Inconclusive, "within the stale limit at {s} s: {v:?}");
        }
    }
    let v = &app.view().verdict;
    assert_eq!(v.outcome, Outcome::Inconclusive, "{v:?}");
    assert!(
        v.reasons.iter().any(|r| r.starts_with("variant: no live data") && r.contains("connection refused")),
        "{v:?}"
    );
}

#[test]
fn exceptions_from_before_the_start_are_history_not_failures() {
    use crate::analysis::rules::RuleId;
    use crate::model::exceptions::ExceptionEntry;
    let t0 = Instant::now();
    let mut app = App::new(&demo::config(), t0);
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let oom = |ts: i64| ExceptionEntry {
        job_id: "j".into(),
        timestamp_ms: ts,
        name: "java.lang.OutOfMemoryError".into(),
        out_of_memory: true,
        ..Default::default()
    };
    for i in 0..5u64 {
        let at = t0 + Duration::from_secs(2 * i);
        for g in Group::BOTH {
            let mut b = demo::batch(g, at, 2 * i);
            // A week-old OutOfMemoryError in the variant's exception history.
            b.exceptions = vec![oom(now_ms - 7 * 24 * 3600 * 1000)];
            app.on_sample(SourceId { group: g, kind: SourceKind::FlinkRest }, Ok(b), at);
        }
    }
    assert!(!app.alerts.active.contains_key(&RuleId::OutOfMemory));
    assert_eq!(app.live.store.group(Group::Variant).exceptions.earlier.len(), 1);
    // One during the run counts.
    let at = t0 + Duration::from_secs(12);
    let mut b = demo::batch(Group::Variant, at, 12);
    b.exceptions = vec![oom(now_ms + 12_000)];
    app.on_sample(SourceId { group: Group::Variant, kind: SourceKind::FlinkRest }, Ok(b), at);
    assert!(app.alerts.active.contains_key(&RuleId::OutOfMemory));
}

/// A settings read with an intended change not in effect keeps the verdict from PASS at
/// once (it evaluates on the read), and a later read without it lets it go.
#[test]
fn a_change_not_in_effect_makes_the_verdict_inconclusive() {
    use crate::analysis::verdict::Outcome;
    use crate::model::settings::{GroupSettings, TaskManagerSettings};
    let mut app = run_refreshes(5, |_| 2);
    let read = |given: &[(&str, &str)]| {
        Ok(Box::new(GroupSettings {
            flink_version: Some("2.3.0".into()),
            taskmanagers: vec![TaskManagerSettings {
                id: "tm-var-1".into(),
                given: given.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                ..Default::default()
            }],
            ..Default::default()
        }))
    };
    app.update(Event::Settings(Group::Variant, read(&[("taskmanager.network.netty.server.numThreads", "4")])));
    let v = &app.view().verdict;
    assert_eq!(v.outcome, Outcome::Inconclusive);
    assert!(
        v.reasons
            .iter()
            .any(|r| r.starts_with("settings: variant: taskmanager.network.netty.server.numThreads = 4 is ignored")),
        "{:?}",
        v.reasons
    );
    app.update(Event::Settings(Group::Variant, read(&[])));
    assert!(!app.view().verdict.reasons.iter().any(|r| r.starts_with("settings:")), "{:?}", app.view().verdict.reasons);
}
