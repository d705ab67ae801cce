//! `check` (and `record`) show progress on stderr when it is a terminal (the real binary in
//! tmux, against loopback servers answering captured Flink responses), and nothing but the
//! result when it is a pipe or with `--quiet`.

mod common;
#[path = "tmux/mod.rs"]
mod tmux;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Behaviour, serve};
use tmux::Tmux;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_flinkscope")
}

fn wait_file(path: &std::path::Path, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !path.exists() {
        assert!(Instant::now() < deadline, "{} not written within {secs} s", path.display());
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn check_shows_progress_on_a_terminal_and_only_the_result_on_a_pipe() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (b, v) = rt.block_on(async { (serve(Behaviour::Flink).await, serve(Behaviour::Flink).await) });
    let dir = tempfile::tempdir().unwrap();
    let (out, done, log) = (dir.path().join("out.txt"), dir.path().join("done"), dir.path().join("log"));
    let check = format!("{} check --duration 6s --baseline {b} --variant {v} --log-file {}", bin(), log.display());

    // On a terminal: elapsed, remaining, the live verdict and the alerts, then cleared.
    let cmd = format!("{check} > {} ; touch {} ; sleep 60", out.display(), done.display());
    let t = Tmux::start("progress", 120, 10, &cmd);
    let shown = t.wait_screen("the progress line", 15, |s| s.contains("check 00:00:0") && s.contains("left ·"));
    assert!(shown.contains("INCONCLUSIVE") && shown.contains("no alerts"), "{shown}");
    wait_file(&done, 30);
    t.wait_screen("the progress line cleared", 5, |s| !s.contains("left ·"));
    let result = std::fs::read_to_string(&out).unwrap();
    assert!(result.starts_with("verdict: "), "only the result on stdout: {result}");
    drop(t);

    // --quiet on a terminal: none.
    let (out, done) = (dir.path().join("quiet.txt"), dir.path().join("quiet-done"));
    let cmd = format!("{check} --quiet > {} ; touch {} ; sleep 60", out.display(), done.display());
    let t = Tmux::start("progress-quiet", 120, 10, &cmd);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done.exists() {
        let s = t.screen();
        assert!(!s.contains("left ·"), "--quiet drew progress: {s}");
        assert!(Instant::now() < deadline, "the quiet check did not end");
        std::thread::sleep(Duration::from_millis(200));
    }

    // A pipe: the result on stdout, nothing drawn on stderr.
    let o = Command::new(bin())
        .args(["check", "--duration", "4s", "--baseline", &b, "--variant", &v, "--log-file"])
        .arg(&log)
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(stdout.starts_with("verdict: "), "{stdout}");
    assert!(!stderr.contains("left ·") && !stderr.contains('\u{1b}'), "no progress on a pipe: {stderr:?}");
}
