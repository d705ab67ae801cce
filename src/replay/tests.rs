use std::time::{Duration, Instant};

use super::player::{Player, judge_file};
use crate::app::{App, demo};
use crate::config::Settings;
use crate::event::Event;
use crate::model::source::{SourceError, SourceId, SourceKind};
use crate::model::{Group, MetricKey};
use crate::record::format::Header;
use crate::record::writer::Recorder;

/// Six minutes of both groups refreshing every 2 s, the variant's throughput 30% down
/// and its REST source failing for a while: enough for judgements, a soft alert and a
/// source failure.
pub(crate) fn events(epoch: Instant) -> Vec<(Instant, Event)> {
    let mut out = Vec::new();
    for i in (0..=360u64).step_by(2) {
        let at = epoch + Duration::from_secs(i) + Duration::from_millis(13);
        for g in Group::BOTH {
            let id = SourceId { group: g, kind: SourceKind::FlinkRest };
            if g == Group::Variant && (100..110).contains(&i) {
                out.push((at, Event::Sample(id, Err(SourceError::Other("HTTP 502 Bad Gateway".into())))));
                continue;
            }
            let mut b = demo::batch(g, at, i);
            if g == Group::Variant {
                for c in b.block_counters.iter_mut().filter(|c| c.key == MetricKey::RecordsInPerS) {
                    c.total *= 0.7;
                }
            }
            out.push((at, Event::Sample(id, Ok(Box::new(b)))));
        }
        out.push((at + Duration::from_millis(500), Event::Tick));
        out.push((at + Duration::from_millis(1500), Event::Tick));
    }
    out
}

/// Runs the events through a live app as the event loop does, recording them.
fn live(path: &std::path::Path, settings: Settings) -> App {
    let mut config = demo::config();
    config.settings = settings;
    let epoch = Instant::now();
    let mut app = App::new(&config, epoch);
    let mut rec = Recorder::create(path, &Header::of(&config, app.started_wall()), epoch).unwrap();
    for (at, e) in events(epoch) {
        rec.event(&e, at);
        let _ = app.update_at(e, at);
        rec.alerts(&app.alerts, at);
    }
    rec.finish().unwrap();
    app
}

pub(crate) fn temp(name: &str) -> std::path::PathBuf {
    tempfile::tempdir().unwrap().keep().join(name)
}

fn alerts(app: &App) -> Vec<(String, String)> {
    app.alerts.all().into_iter().map(|a| (a.rule.as_str().to_string(), a.message.clone())).collect()
}

#[test]
fn a_replay_judges_as_the_live_run_did() {
    // Settings of the run that are not the defaults: the replay takes them from the file.
    let mut settings = Settings::default();
    settings.analysis.judge.min_samples = 12;
    settings.window = crate::config::Dur(Duration::from_secs(240));
    let path = temp("live.jsonl.zst");
    let live = live(&path, settings);
    let replayed = judge_file(&path, &Settings::default(), None).unwrap();
    let r = &replayed.app;
    assert_eq!(r.window, Duration::from_secs(240));
    assert_eq!(r.view().judgements, live.view().judgements);
    assert_eq!(r.view().comparisons, live.view().comparisons);
    assert_eq!(r.view().verdict, live.view().verdict);
    assert!(!alerts(&live).is_empty(), "the run raised an alert");
    assert_eq!(alerts(r), alerts(&live));
    assert_eq!(r.observed(), live.observed());
    let throughput = &r.view().judgements[&MetricKey::RecordsInPerS];
    assert!(throughput.significant, "{throughput:?}");
    // The source failure is the live run's too.
    let id = SourceId { group: Group::Variant, kind: SourceKind::FlinkRest };
    assert_eq!(r.health[&id].bad_total(r.now()), live.health[&id].bad_total(live.now()));
    // The recorded alert lines say what fired.
    let text = String::from_utf8(zstd::decode_all(std::fs::File::open(&path).unwrap()).unwrap()).unwrap();
    assert!(
        text.lines().any(|l| l.contains("\"type\":\"alert\"") && l.contains("\"change\":\"fired\"")),
        "no alert line"
    );
}

#[test]
fn stopping_early_and_starting_again_give_the_same_state() {
    let path = temp("seek.jsonl.zst");
    live(&path, Settings::default());
    let at_200 = judge_file(&path, &Settings::default(), Some(Duration::from_secs(200))).unwrap();
    assert!(at_200.position_ns <= 200_000_000_000 && at_200.position_ns > 198_000_000_000);
    let mut p = Player::open(&path, &Settings::default()).unwrap();
    p.feed_until(300_000_000_000, Duration::MAX);
    p.rewind().unwrap();
    p.feed_until(200_000_000_000, Duration::MAX);
    assert_eq!(p.app.view().judgements, at_200.app.view().judgements);
    assert_eq!(p.app.view().verdict, at_200.app.view().verdict);
    assert!(p.next_ns().is_some());
    // A replay never acts: no rollback is configured, whatever the run had.
    assert!(p.app.settings.rollback.is_none() && p.app.settings.read_only);
}

/// The screen of a replay at 120x40 as text.
fn frame(p: &Player) -> String {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    t.draw(|f| crate::ui::render(f, &p.app, &crate::ui::Theme::default())).unwrap();
    let buf = t.backend().buffer();
    (0..buf.area.height).map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n").collect()
}

#[test]
fn a_replay_draws_the_same_frame_for_the_same_replay_time() {
    let path = temp("frames.jsonl.zst");
    live(&path, Settings::default());
    let two_minutes = Some(Duration::from_secs(120));
    let a = judge_file(&path, &Settings::default(), two_minutes).unwrap();
    let b = judge_file(&path, &Settings::default(), two_minutes).unwrap();
    let first = frame(&a);
    assert!(first.contains("rec in/s"), "{first}");
    assert_eq!(first, frame(&b));
    // Past it and back (a seek backwards): the same frame again.
    let mut c = Player::open(&path, &Settings::default()).unwrap();
    c.feed_until(300_000_000_000, Duration::MAX);
    assert_ne!(frame(&c), first, "later data draws another frame");
    c.rewind().unwrap();
    c.feed_until(120_000_000_000, Duration::MAX);
    assert_eq!(frame(&c), first);
}
