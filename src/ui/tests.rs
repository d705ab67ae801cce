use std::time::Instant;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::app::{Action, App, demo};

fn draw(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render(f, app, &Theme::default())).unwrap();
    t
}

fn text(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn dashboard_120x40() {
    let app = demo::app(Instant::now(), 120, false);
    insta::assert_snapshot!(draw(&app, 120, 40).backend());
}

#[test]
fn dashboard_80x24() {
    let app = demo::app(Instant::now(), 120, false);
    let t = draw(&app, 80, 24);
    let s = text(&t);
    for word in ["Throughput", "Latency", "Buffers", "CPU", "Backpressure", "baseline", "variant", "q quit"] {
        assert!(s.contains(word), "{word} missing at 80x24:\n{s}");
    }
    insta::assert_snapshot!(t.backend());
}

/// Each panel's key metric at 80x24, with the Host panel as well (the lab's usual screen),
/// and no alerts: one line for them.
#[test]
fn every_panels_key_metric_fits_80x24_with_the_host_panel() {
    let t0 = Instant::now();
    let mut app = demo::app(t0, 120, false);
    demo::add_host(&mut app, t0, 120);
    let s = text(&draw(&app, 80, 24));
    for row in ["rec in/s", "p99", "in pool", "cpu cores/TM", "backpressure", "NIC rx/s", "Alerts · none"] {
        assert!(s.lines().any(|l| l.contains(row)), "{row} missing at 80x24:\n{s}");
    }
}

#[test]
fn dashboard_200x60() {
    let app = demo::app(Instant::now(), 120, false);
    insta::assert_snapshot!(draw(&app, 200, 60).backend());
}

#[test]
fn failing_source_shows_its_reason() {
    let app = demo::app(Instant::now(), 120, true);
    let t = draw(&app, 120, 40);
    let s = text(&t);
    assert!(s.contains("failed: HTTP 502"), "{s}");
    assert!(s.contains("● live"), "the baseline stays live:\n{s}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn drill_down_120x40() {
    let mut app = demo::app(Instant::now(), 120, false);
    app.act(Action::FocusDown);
    app.act(Action::FocusRight); // CPU & memory
    app.act(Action::Open);
    app.act(Action::SortNext); // by cpu cores
    let t = draw(&app, 120, 40);
    let s = text(&t);
    assert!(s.contains("sorted by cpu cores/TM"), "{s}");
    let var = s.find("tm-var-2").expect("variant TaskManager row");
    let base = s.find("tm-base-1").expect("baseline TaskManager row");
    assert!(var < base, "highest CPU first:\n{s}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn help_overlay_lists_every_binding() {
    let mut app = demo::app(Instant::now(), 20, false);
    app.settings.rollback = Some(demo::rollback_config(&["true"]));
    app.act(Action::Help);
    let s = text(&draw(&app, 100, 30));
    for b in crate::app::keymap::BINDINGS {
        assert!(s.contains(b.help), "{} missing:\n{s}", b.help);
    }
    // Read-only: the help says why the rollback is not there.
    app.settings.read_only = true;
    let s = text(&draw(&app, 100, 30));
    assert!(s.contains("hidden: read-only mode"), "{s}");
}

#[test]
fn no_data_is_a_dash_never_zero() {
    let app = App::new(&demo::config(), Instant::now());
    let s = text(&draw(&app, 120, 40));
    assert!(s.contains(format::NO_DATA));
    assert!(s.contains("○ waiting"));
    assert!(!s.contains("0ms/s"), "nothing observed, nothing drawn as zero:\n{s}");
}

#[test]
fn any_size_draws_without_panic() {
    let mut app = demo::app(Instant::now(), 60, true);
    for (w, h) in [(1, 1), (10, 3), (39, 7), (40, 8), (50, 12), (80, 24), (200, 60), (300, 10), (20, 100)] {
        draw(&app, w, h);
        app.act(Action::Open);
        draw(&app, w, h);
        app.act(Action::Help);
        draw(&app, w, h);
        app.act(Action::Help);
        app.act(Action::Back);
    }
}

#[test]
fn monochrome_keeps_groups_apart_without_colour() {
    let app = demo::app(Instant::now(), 120, false);
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| render(f, &app, &Theme::monochrome())).unwrap();
    let buf = t.backend().buffer();
    let coloured = buf.content().iter().filter(|c| c.fg != ratatui::style::Color::Reset).count();
    assert_eq!(coloured, 0, "NO_COLOR draws no colour");
    assert!(text(&t).contains("▲ variant"));
}

/// A demo app with one active hard alert and one resolved soft alert, at fixed times.
fn app_with_alerts() -> App {
    use crate::analysis::rules::{Breach, RuleId};
    use std::time::{Duration, SystemTime};
    let mut app = demo::app(Instant::now(), 120, false);
    let t = SystemTime::now() - Duration::from_secs(95);
    let b = |m: &str| Some(Breach { observed: 50.0, baseline: 0.0, threshold: 20.0, message: m.into() });
    let rules = app.settings.rules.clone();
    for i in 0..3 {
        let at = t + Duration::from_secs(i);
        app.alerts.update(&[(RuleId::Throughput, b("rec in/s -18.0% (p = 1.2e-4, significant)"))], &rules, at);
    }
    app.alerts.update(&[(RuleId::Throughput, None)], &rules, t + Duration::from_secs(40));
    for i in 0..3 {
        let at = t + Duration::from_secs(50 + i);
        app.alerts.update(
            &[(RuleId::TaskmanagerFailures, b("variant lost 1 of 2 TaskManagers (50%), baseline 0%"))],
            &rules,
            at,
        );
    }
    app.live.verdict = crate::analysis::verdict::verdict(
        &app.live.judgements,
        &app.alerts,
        &rules,
        &app.settings.analysis.verdict(),
        false,
        &crate::analysis::verdict::DataState {
            min_samples: 30,
            block_s: 10.0,
            stale: Vec::new(),
            settings: Vec::new(),
            latency_expected: true,
        },
    );
    app
}

#[test]
fn alerts_panel_and_verdict_badge() {
    let app = app_with_alerts();
    let t = draw(&app, 120, 40);
    let s = text(&t);
    assert!(s.contains("[FAIL"), "{s}");
    assert!(s.contains("1 HARD"), "{s}");
    let hard = s.find("● HARD taskmanager-failures").expect("active hard alert");
    let soft = s.find("✓ soft throughput").expect("resolved soft alert in the history");
    assert!(hard < soft, "active first");
    // The alerts strip (across the bottom, above the footer), with clock times masked.
    let clock = regex::Regex::new(r"\d\d:\d\d:\d\d").unwrap();
    let age = regex::Regex::new(r"· \d+m?\d*s").unwrap();
    let lines: Vec<&str> = s.lines().collect();
    let top =
        lines.iter().position(|l| l.contains("┌ Alerts ·")).expect("the alerts strip, bordered when it has alerts");
    let panel: Vec<String> = lines[top..lines.len() - 1]
        .iter()
        .map(ToString::to_string)
        .map(|l| age.replace_all(&clock.replace_all(&l, "HH:MM:SS"), "· AGE").into_owned())
        .collect();
    insta::assert_snapshot!(panel.join("\n"));
}

#[test]
fn alerts_full_screen_shows_the_evidence() {
    let mut app = app_with_alerts();
    app.act(Action::FocusAlerts);
    app.act(Action::Open);
    let s = text(&draw(&app, 120, 40));
    assert!(s.contains("observed 50.000") && s.contains("threshold 20)"), "{s}");
}

#[test]
fn full_screen_table_has_the_statistics() {
    let mut app = demo::app(Instant::now(), 400, false);
    app.act(Action::Open); // Throughput
    let s = text(&draw(&app, 160, 50));
    for col in ["n b/v", "shift [CI]", "class"] {
        assert!(s.contains(col), "{col} missing:\n{s}");
    }
}

#[test]
fn rollback_dialog_and_progress_panel() {
    use crate::app::rollback::ActionEvent;
    use crate::model::step::{StepResult, StepState};
    let mut app = demo::app(Instant::now(), 60, false);
    app.settings.rollback = Some(demo::rollback_config(&["kubectl apply -f backup.yaml", "restart {variant.job_id}"]));
    app.act(Action::Rollback);
    let s = text(&draw(&app, 120, 40));
    assert!(s.contains("ROLLBACK") && s.contains("Type rollback and press Enter"), "{s}");
    assert!(s.contains("kubectl apply -f backup.yaml"), "exact argv: {s}");
    assert!(s.contains("restart 49e9c17b1c0e9c703c716db89c62d948"), "placeholders expanded: {s}");
    app.rollback.dialog.as_mut().unwrap().typed = "rollback".into();
    assert!(app.start_rollback(crate::model::step::Trigger::Manual).is_some());
    let now = Instant::now();
    app.rollback.on_event(ActionEvent::StepStarted { index: 0 }, now);
    let line = "configmap/flink-config configured".to_string();
    app.rollback.on_event(ActionEvent::StepOutput { index: 0, line }, now);
    let result = StepResult {
        state: StepState::Ok,
        exit_code: Some(0),
        signal: None,
        duration_ms: 1200,
        tail: vec!["applied".into()],
        error: None,
    };
    app.rollback.on_event(ActionEvent::StepFinished { index: 0, result }, now);
    app.rollback.on_event(ActionEvent::StepStarted { index: 1 }, now);
    app.rollback.on_event(ActionEvent::StepOutput { index: 1, line: "waiting for the job".into() }, now);
    let s = text(&draw(&app, 120, 40));
    assert!(s.contains("Rollback · manual · running"), "{s}");
    assert!(s.contains("ok        1. step 1"), "{s}");
    assert!(s.contains("running   2. step 2"), "{s}");
    assert!(s.contains("│ waiting for the job"), "live tail: {s}");
    app.rollback.on_event(
        ActionEvent::Finished { ok: false, message: "rollback failed; evidence in x".into(), evidence: None },
        now,
    );
    let s = text(&draw(&app, 120, 40));
    assert!(s.contains("FAILED") && s.contains("evidence in x"), "{s}");
    // Never panics small.
    draw(&app, 40, 10);
}

#[test]
fn host_panel_joins_the_grid_once_host_figures_arrive() {
    let t0 = Instant::now();
    let mut app = demo::app(t0, 120, false);
    assert!(!text(&draw(&app, 120, 40)).contains("Host:"), "no host figures: no Host panel");
    demo::add_host(&mut app, t0, 120);
    let t = draw(&app, 120, 40);
    let s = text(&t);
    for word in ["Host: NIC, TCP", "NIC rx/s", "retrans/s", "proc cpu/TM", "host CPU", "Alerts", "Backpressure"] {
        assert!(s.contains(word), "{word} missing:\n{s}");
    }
    // Tab reaches the Host panel and then the alerts.
    app.act(Action::FocusAlerts);
    assert_eq!(app.focused_panel(), crate::model::Panel::Alerts);
    app.act(Action::FocusUp);
    assert_eq!(app.focused_panel(), crate::model::Panel::Backpressure);
    app.act(Action::FocusRight);
    assert_eq!(app.focused_panel(), crate::model::Panel::Host);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn full_screen_latency_shows_the_window_distribution() {
    let mut app = demo::app(Instant::now(), 120, false);
    while app.focused_panel() != crate::model::Panel::Latency {
        app.act(Action::FocusNext);
    }
    app.act(Action::Open);
    let s = text(&draw(&app, 120, 40));
    assert!(s.contains("every latency reading in the window (exact quantiles)"), "{s}");
    // The demo's variant p99 is 158-168 ms, the baseline's 118-128 ms: the histogram's
    // max of the variant's p99 samples is within them (3 significant digits).
    let row = s.lines().find(|l| l.contains("p99 samples")).expect("a p99 row");
    assert!(row.contains("168ms") || row.contains("167ms"), "{row}");
    assert!(!row.contains('—'), "every cell has a value: {row}");
}

#[test]
fn full_screen_host_lists_each_interface() {
    let t0 = Instant::now();
    let mut app = demo::app(t0, 120, false);
    demo::add_host(&mut app, t0, 30);
    while app.focused_panel() != crate::model::Panel::Host {
        app.act(Action::FocusNext);
    }
    app.act(Action::Open);
    let s = text(&draw(&app, 120, 40));
    assert!(s.contains("this host's network interfaces"), "{s}");
    let lo = s.lines().position(|l| l.contains("│lo ")).expect("a row for lo");
    let eth0 = s.lines().position(|l| l.contains("│eth0 ")).expect("a row for eth0");
    assert!(lo < eth0, "busiest first:\n{s}");
    // Every Host metric is in the full-screen table, CPU modes included.
    for word in ["CPU steal", "CPU iowait", "RSS/TM"] {
        assert!(s.contains(word), "{word} missing:\n{s}");
    }
}

/// The Settings screen with both groups read from captured 2.3.0 lab logs (the variant given
/// classic Netty keys and a typo, which 2.3.0 ignores).
#[test]
fn settings_screen_120x40() {
    use crate::model::settings::{GroupSettings, TaskManagerSettings};
    let mut app = demo::app(Instant::now(), 120, false);
    for (g, id, file) in [
        (crate::model::Group::Baseline, "tm-base-1", "taskmanager-log-baseline.txt"),
        (crate::model::Group::Variant, "tm-var-1", "taskmanager-log-variant.txt"),
    ] {
        let log = std::fs::read_to_string(format!("{}/tests/fixtures/flink-2.3.0/{file}", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
        let l = crate::sources::flink_rest::settings::parse_log(&log);
        let tm = TaskManagerSettings {
            id: id.into(),
            given: l.given,
            netty: l.netty,
            netty_line: l.netty_line,
            memory: [(
                "networkMemory".to_string(),
                if g == crate::model::Group::Variant { 90_596_970 } else { 67_108_864 },
            )]
            .into(),
            ..Default::default()
        };
        let s = GroupSettings {
            url: format!("http://127.0.0.1:{}", if g == crate::model::Group::Variant { 8082 } else { 8081 }),
            flink_version: Some("2.3.0".into()),
            taskmanagers: vec![tm],
            ..Default::default()
        };
        app.flink_settings.on_read(g, Ok(s));
    }
    app.act(Action::Settings);
    let t = draw(&app, 120, 40);
    let s = text(&t);
    assert!(s.contains("NOT IN EFFECT"), "{s}");
    assert!(s.contains("did you mean"), "{s}");
    assert!(s.contains("* taskmanager.memory.network.fraction"), "differing rows are marked:\n{s}");
    assert!(s.contains("4 (ignored)"), "{s}");
    assert!(s.contains("network memory 86.4 mb"), "{s}");
    insta::assert_snapshot!(t.backend());
    app.act(Action::Back);
    assert!(!app.settings_view);
}

/// Beside an active alert: the troubleshooting guide's hint, with the keys the running Flink
/// reads (here 2.3.0, and the variant's buffer timeout).
#[test]
fn an_active_alert_carries_its_hint() {
    use crate::analysis::rules::{Breach, RuleId};
    use crate::model::settings::{GroupSettings, TaskManagerSettings};
    let mut app = demo::app(Instant::now(), 120, false);
    let tm = TaskManagerSettings {
        id: "tm-var-1".into(),
        given: [("execution.buffer-timeout.interval".to_string(), "200ms".to_string())].into(),
        ..Default::default()
    };
    let s = GroupSettings { flink_version: Some("2.3.0".into()), taskmanagers: vec![tm], ..Default::default() };
    app.flink_settings.on_read(crate::model::Group::Variant, Ok(s));
    let rules = app.settings.rules.clone();
    let b = Some(Breach { observed: 80.0, baseline: 40.0, threshold: 20.0, message: "p99 +100%".into() });
    for i in 0..3 {
        app.alerts.update(
            &[(RuleId::LatencyP99, b.clone())],
            &rules,
            std::time::SystemTime::now() + std::time::Duration::from_secs(i),
        );
    }
    app.act(Action::FocusAlerts);
    app.act(Action::Open);
    let s = text(&draw(&app, 160, 40));
    assert!(
        s.contains("hint: higher latency: a large buffer timeout or too much buffering (buffer timeout 200 ms)"),
        "{s}"
    );
    assert!(s.contains("look at execution.buffer-timeout.interval"), "{s}");
    assert!(!s.contains("buffers-per-channel"), "2.3.0 ignores it: {s}");
    app.act(Action::Back);
    app.act(Action::Settings);
    let s = text(&draw(&app, 160, 40));
    assert!(s.contains("HINT") && s.contains("variant: higher latency"), "{s}");
}

/// `--mouse`: the panel under a cell is the one drawn there.
#[test]
fn the_panel_under_the_pointer_is_the_one_drawn_there() {
    let app = demo::app(Instant::now(), 120, false);
    let area = ratatui::layout::Rect::new(0, 0, 120, 40);
    let s = text(&draw(&app, 120, 40));
    let lines: Vec<&str> = s.lines().collect();
    let row_of = |title: &str| lines.iter().position(|l| l.contains(title)).unwrap() as u16;
    assert_eq!(super::panel_at(area, &app, 10, row_of("┌ Throughput") + 2), Some(0));
    assert_eq!(super::panel_at(area, &app, 100, row_of("Latency (worst") + 2), Some(1));
    assert_eq!(super::panel_at(area, &app, 100, row_of("┌ Backpressure") + 2), Some(4), "spanning its row");
    assert_eq!(super::panel_at(area, &app, 50, row_of("Alerts · none")), Some(5), "the one-line alerts strip");
    assert_eq!(super::panel_at(area, &app, 10, 0), None, "the header");
    assert_eq!(super::panel_at(area, &app, 10, 39), None, "the footer");
}

/// `J`: both groups' jobs, the unhealthy first: the variant's second job backpressures and
/// restarted in the window.
#[test]
fn job_health_screen_120x40() {
    let mut app = demo::app(Instant::now(), 120, false);
    app.act(Action::Jobs);
    let t = draw(&app, 120, 40);
    let s = text(&t);
    let lines: Vec<&str> = s.lines().collect();
    let row = |name: &str| lines.iter().position(|l| l.contains(&format!("{name} "))).unwrap_or(usize::MAX);
    assert!(s.contains("Job Health · 3 jobs · 1 unhealthy"), "{s}");
    assert!(row("flinkscope-lab-variant-2") < row("flinkscope-lab-baseline"), "unhealthy first:\n{s}");
    let second = lines[row("flinkscope-lab-variant-2")];
    assert!(second.contains("high") && second.contains("1 +1") && second.contains("2✗"), "{second}");
    assert!(lines[row("flinkscope-lab-baseline")].contains("1h02m"), "uptime on Flink's clock:\n{s}");
    insta::assert_snapshot!(t.backend());
    app.act(Action::Back);
    assert!(!app.jobs_view);
}

/// `--stage 1A` of the shipped plan: the stage, its criteria and triggers with why, above
/// the jobs; the header names the stage and its decision; the state file has it.
#[test]
fn the_stage_heads_the_job_health_screen() {
    let mut app = demo::app(Instant::now(), 120, false);
    let dir = tempfile::tempdir().unwrap();
    let mut rollout = crate::config::load(Some(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/rollout-plan.toml"
    ))))
    .unwrap()
    .settings
    .rollout
    .unwrap();
    rollout.state_file = Some(dir.path().join("rollout.json"));
    app.settings.rollout = Some(rollout);
    app.settings.stage = Some("1A".into());
    let start = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_796_300_000);
    app.begin_stage(start).unwrap();
    app.note_stage(start + std::time::Duration::from_secs(3 * 3600 + 120));
    app.act(Action::Jobs);
    let t = draw(&app, 120, 40);
    let s = text(&t);
    // The demo's second variant job restarted at 40 s: a job failure in the stage.
    assert!(s.contains("stage 1A 3h02m/48h ROLL BACK 1/4✓ (J)"), "{s}");
    assert!(s.contains("Stage 1A ROLL BACK  3h02m of at least 48h · single non-critical job"), "{s}");
    assert!(s.contains("✗ no-job-failures: 1 variant job failure(s) in the stage"), "{s}");
    assert!(s.contains("… metrics-stable: the judgement needs more samples"), "{s}");
    assert!(s.contains("rollback if any-job-failure: FIRED"), "{s}");
    assert!(s.contains("rollback if regression > 10%: quiet"), "{s}");
    insta::assert_snapshot!(t.backend());
    assert!(std::fs::read_to_string(dir.path().join("rollout.json")).unwrap().contains("ROLL BACK"));
}
