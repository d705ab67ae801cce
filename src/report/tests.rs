use std::time::{Duration, Instant, SystemTime};

use super::*;
use crate::app::{App, demo};
use crate::event::Event;
use crate::model::Group;
use crate::model::settings::{GroupSettings, TaskManagerSettings};
use crate::record::format::Header;
use crate::record::writer::Recorder;
use crate::replay::player::judge_file;
use crate::replay::tests::{events, temp};

/// A fixed wall clock: the page's times are the same on every run.
fn wall() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000)
}

/// Both groups' settings as read: the variant runs a larger network fraction.
fn settings_read(g: Group) -> Event {
    let fraction = if g == Group::Variant { "0.15" } else { "0.1" };
    let tm = |id: &str| TaskManagerSettings {
        id: id.into(),
        given: [("taskmanager.memory.network.fraction".to_string(), fraction.to_string())].into(),
        ..Default::default()
    };
    let s = GroupSettings {
        flink_version: Some("2.3.0".into()),
        url: format!("http://127.0.0.1:{}", if g == Group::Baseline { 8081 } else { 8082 }),
        taskmanagers: vec![tm(&format!("tm-{}-1", g.as_str())), tm(&format!("tm-{}-2", g.as_str()))],
        ..Default::default()
    };
    Event::Settings(g, Ok(Box::new(s)))
}

/// The replay tests' six minutes (variant throughput -30%, a REST outage), named, with a
/// settings read of each group, recorded from a live app; the live app is returned.
fn live(path: &std::path::Path, name: &str) -> App {
    let mut config = demo::config();
    config.settings.name = Some(name.into());
    config.settings.analysis.judge.min_samples = 12;
    let epoch = Instant::now();
    let mut app = App::new_at(&config, epoch, wall());
    let mut rec = Recorder::create(path, &Header::of(&config, app.started_wall()), epoch).unwrap();
    let mut all = vec![(epoch, settings_read(Group::Baseline)), (epoch, settings_read(Group::Variant))];
    all.extend(events(epoch));
    for (at, e) in all {
        rec.event(&e, at);
        let _ = app.update_at(e, at);
        rec.alerts(&app.alerts, at);
    }
    rec.finish().unwrap();
    app
}

fn recorded(name: &str) -> (std::path::PathBuf, App) {
    let path = temp(&format!("{}.jsonl.zst", name.replace(' ', "-")));
    let app = live(&path, name);
    (path, app)
}

#[test]
fn a_report_from_a_recording_gives_the_live_judgement() {
    let (path, live) = recorded("T2.1 - Increased Network Buffer Memory");
    let replayed = judge_file(&path, &crate::config::Settings::default(), None).unwrap();
    let from_file = build::from_app(&replayed.app);
    assert_eq!(from_file, build::from_app(&live));
    // And those are the judgements the live app acted on.
    let j = &live.view().judgements[&crate::model::MetricKey::RecordsInPerS];
    let t = &from_file.results[0];
    assert_eq!(t.area, "Throughput");
    assert_eq!(t.baseline.unwrap().mean, j.baseline.unwrap().mean);
    assert_eq!(t.variant.unwrap().sd, j.variant.unwrap().sd);
    assert_eq!(t.change_pct, j.change_pct);
    assert_eq!(t.p, j.p);
    assert!((-40.0..-25.0).contains(&t.change_pct.unwrap()), "{:?}", t.change_pct);
    assert_eq!(t.reading, "significant regression");
    assert_eq!(from_file.verdict.outcome, live.view().verdict.outcome);
    assert_eq!(from_file.configuration.len(), 1);
    assert_eq!(from_file.configuration[0].variant, "0.15");
    // The JSON holds the same numbers.
    let json: serde_json::Value = serde_json::to_value(&from_file).unwrap();
    assert_eq!(json["results"][0]["change_pct"].as_f64(), j.change_pct);
    assert_eq!(json["results"][0]["p"].as_f64(), j.p);
}

#[test]
fn the_page_of_a_fixed_recording() {
    let (path, _) = recorded("T2.1 - Increased Network Buffer Memory");
    let r = judge_file(&path, &crate::config::Settings::default(), None).unwrap();
    let page = markdown::page(&build::from_app(&r.app));
    // The plan's order of sections.
    let order = [
        "# Test Result: T2.1",
        "## Configuration",
        "## Test Details",
        "## Results",
        "### Throughput",
        "### Latency (p99)",
        "### Memory usage",
        "### CPU usage",
        "### Backpressure",
        "## Analysis",
        "## Next Steps",
    ];
    let at: Vec<usize> = order.iter().map(|s| page.find(s).unwrap_or_else(|| panic!("no {s} in\n{page}"))).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}\n{page}");
    insta::assert_snapshot!(page);
}

#[test]
fn runs_of_one_configuration_pool_and_count_as_runs() {
    let (a, _) = recorded("T2.1");
    let (b, _) = recorded("T2.1");
    let display = crate::config::Settings::default();
    let one = build::from_app(&judge_file(&a, &display, None).unwrap().app);
    let two = build::from_app(&judge_file(&b, &display, None).unwrap().app);
    let p = pool::pool(vec![one.clone(), two]);
    assert_eq!(p.details.runs, 2);
    let (t1, tp) = (&one.results[0], &p.results[0]);
    assert_eq!(tp.baseline.unwrap().n, 2 * t1.baseline.unwrap().n);
    // Two identical runs: the same means, and a σ that only the larger n changes.
    assert!((tp.baseline.unwrap().mean - t1.baseline.unwrap().mean).abs() < 1e-9);
    assert!(tp.p.unwrap() < 1e-6 && tp.reading == "significant regression", "{tp:?}");
    assert_eq!(p.alerts.len(), 2 * one.alerts.len());
    assert!(p.alerts.iter().all(|a| a.run.is_some()));
    assert!(markdown::page(&p).contains("- Test runs: 2"));
    // One run is its own page.
    assert_eq!(pool::pool(vec![one.clone()]), one);
}

#[test]
fn pooled_mean_and_sigma_are_those_of_all_samples() {
    let xs = [1.0, 2.0, 3.0, 4.0, 10.0, 12.0];
    let s = |v: &[f64]| {
        let m = crate::analysis::stats::summary(v).unwrap();
        Stat { n: m.n, mean: m.mean, sd: m.sd }
    };
    let all = s(&xs);
    let pooled = pool::pooled(&[s(&xs[..4]), s(&xs[4..])]).unwrap();
    assert_eq!(pooled.n, all.n);
    assert!((pooled.mean - all.mean).abs() < 1e-12 && (pooled.sd - all.sd).abs() < 1e-12, "{pooled:?} {all:?}");
}

#[test]
fn readings_follow_the_plan() {
    use crate::analysis::judge::Class;
    let tp = &build::AREAS[0];
    let mem = &build::AREAS[2];
    let net =
        [Change { key: "taskmanager.memory.network.fraction".into(), variant: "0.15".into(), baseline: "0.1".into() }];
    assert_eq!(build::classify(tp, Class::Worse, Some(-9.0), 15.0, &[]), "slight regression");
    assert_eq!(build::classify(tp, Class::Worse, Some(-20.0), 15.0, &[]), "significant regression");
    assert_eq!(build::classify(tp, Class::Better, Some(21.0), 15.0, &net), "significant improvement");
    assert_eq!(build::classify(mem, Class::Worse, Some(46.0), 25.0, &net), "as expected");
    assert_eq!(build::classify(mem, Class::Worse, Some(46.0), 25.0, &[]), "significant regression");
    assert_eq!(build::classify(tp, Class::NoChange, Some(1.0), 15.0, &[]), "no significant change");
    assert!(build::classify(tp, Class::LowN, None, 15.0, &[]).contains("LOW-N"));
    assert_eq!(markdown::number(125_000.4), "125,000");
    assert_eq!(markdown::number(-2_800.0), "-2,800");
    assert_eq!(markdown::number(0.824), "0.82");
}

#[test]
fn the_matrix_ranks_configurations_and_marks_the_best_passing_one() {
    let page = |name: &str, outcome: Outcome, score: f64, tp: f64| {
        let (path, _) = recorded("base");
        let mut r = build::from_app(&judge_file(&path, &crate::config::Settings::default(), None).unwrap().app);
        r.name = name.into();
        r.verdict.outcome = outcome;
        r.verdict.score = Some(score);
        r.results[0].change_pct = Some(tp);
        r
    };
    let runs = [
        page("T3.1", Outcome::Pass, 78.0, -5.0),
        page("T10", Outcome::Pass, 89.0, 18.0),
        page("T2.9", Outcome::Fail, 20.0, -30.0),
    ];
    let m = matrix::matrix(&runs);
    let names: Vec<&str> = m.rows.iter().map(|r| r.configuration.as_str()).collect();
    assert_eq!(names, ["T10", "T3.1", "T2.9"]);
    assert!(m.rows[0].recommended && !m.rows[1].recommended);
    let md = matrix::markdown(&m);
    assert!(md.contains("| T10 | 1 | +18% |"), "{md}");
    assert!(md.contains("**RECOMMENDED**"), "{md}");
    // Two recordings of one name are one row of 2 runs.
    let pooled = matrix::matrix(&[page("T3.1", Outcome::Pass, 78.0, -5.0), page("T3.1", Outcome::Pass, 70.0, -5.0)]);
    assert_eq!(pooled.rows.len(), 1);
    assert_eq!(pooled.rows[0].runs, 2);
}

#[test]
fn the_key_writes_a_new_file_and_never_overwrites() {
    let (path, _) = recorded("T2.1");
    let r = judge_file(&path, &crate::config::Settings::default(), None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let name = write_now(&r.app, dir.path()).unwrap();
    assert!(name.starts_with("flinkscope-report-") && name.ends_with(".md"), "{name}");
    let text = std::fs::read_to_string(dir.path().join(&name)).unwrap();
    assert!(text.starts_with("# Test Result: T2.1\n"), "{text}");
    // Same clock, same name: refused, the first file kept.
    let again = write_now(&r.app, dir.path()).unwrap_err();
    assert!(again.contains(&name), "{again}");
    assert_eq!(std::fs::read_to_string(dir.path().join(&name)).unwrap(), text);
}

#[test]
fn the_json_score_is_the_checks_figure_to_a_tenth() {
    let (path, _) = recorded("base");
    let mut r = build::from_app(&judge_file(&path, &crate::config::Settings::default(), None).unwrap().app);
    r.verdict.score = Some(95.858_042);
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["verdict"]["score"], serde_json::json!(95.9));
    r.verdict.score = None;
    assert!(serde_json::to_value(&r).unwrap()["verdict"]["score"].is_null());
}
