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
    app.act(Action::Help);
    let s = text(&draw(&app, 100, 30));
    for b in crate::app::keymap::BINDINGS {
        assert!(s.contains(b.help), "{} missing:\n{s}", b.help);
    }
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
