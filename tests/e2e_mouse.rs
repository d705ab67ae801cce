//! `--mouse` in a real terminal (tmux, loopback servers answering captured Flink
//! responses): a click on a panel focuses it, a double click opens it full screen. The
//! clicks are the SGR mouse reports a terminal sends once mouse capture is on.

mod common;
#[path = "tmux/mod.rs"]
mod tmux;

use common::{Behaviour, serve};
use tmux::Tmux;

/// What a terminal sends for a left click at (column, row), 0-based: press and release.
fn click(t: &Tmux, column: u16, row: u16) {
    let (x, y) = (column + 1, row + 1);
    t.keys(&["-l", &format!("\x1b[<0;{x};{y}M\x1b[<0;{x};{y}m")]);
}

#[test]
fn a_double_click_opens_the_panel_under_it() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (b, v) = rt.block_on(async { (serve(Behaviour::Flink).await, serve(Behaviour::Flink).await) });
    let dir = tempfile::tempdir().unwrap();
    let cmd = format!(
        "{} --mouse --baseline {b} --variant {v} --log-file {}",
        env!("CARGO_BIN_EXE_flinkscope"),
        dir.path().join("log").display()
    );
    let t = Tmux::start("mouse", 120, 40, &cmd);
    let screen = t.wait_screen("both groups live", 30, |s| s.matches("● live").count() >= 2);
    let row = screen.lines().position(|l| l.contains("Latency (worst")).expect("the Latency panel") as u16;
    click(&t, 90, row + 2);
    click(&t, 90, row + 2);
    t.wait_screen("the Latency panel full screen", 10, |s| s.contains("every latency reading in the window"));
    t.keys(&["Escape"]);
    t.wait_screen("the dashboard again", 10, |s| s.contains("┌ Throughput") && s.contains("Alerts ·"));
    t.keys(&["q"]);
}
