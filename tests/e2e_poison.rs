//! Untrusted strings, everywhere: a loopback server (`Behaviour::Poisoned`) answers as
//! Flink REST, a Prometheus reporter, a Jolokia agent and a Prometheus server would, with
//! escape sequences, bidi, zero-width, separator, format and tag characters in every string
//! it controls. The real binary in tmux, then `snapshot` and `check`: the screen, the pane
//! title, the log and the JSON hold none of them, and the poisoned answers were really
//! taken in (their cleaned text is there).

mod common;
#[path = "tmux/mod.rs"]
mod tmux;

use std::process::Command;
use std::time::Duration;

use common::{Behaviour, poison_chars, serve};
use tmux::Tmux;

/// Which poison characters `text` holds (ESC and NUL included: raw bytes of a file).
fn poisoned(text: &str) -> Vec<char> {
    let mut found: Vec<char> = poison_chars().into_iter().filter(|c| text.contains(*c)).collect();
    found.dedup();
    found
}

/// Every string of a JSON document (keys too): serde escapes control characters, so the
/// raw text alone would not show them.
fn strings(v: &serde_json::Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::String(s) => out.push((at.to_string(), s.clone())),
        serde_json::Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| strings(x, &format!("{at}[{i}]"), out)),
        serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| {
            out.push((at.to_string(), k.clone()));
            strings(x, &format!("{at}.{k}"), out);
        }),
        _ => {}
    }
}

#[test]
fn no_remote_string_reaches_the_screen_or_a_file_uncleaned() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (url, url_v) = rt.block_on(async { (serve(Behaviour::Poisoned).await, serve(Behaviour::Poisoned).await) });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("flinkscope.toml");
    std::fs::write(
        &config,
        format!(
            "interval = \"500ms\"\n[baseline]\nflink = \"{url}\"\nprometheus = [\"{url}/metrics\"]\n\
             [variant]\nflink = \"{url_v}\"\njolokia = [\"{url_v}/jolokia\"]\n\
             [variant.prometheus-server]\nurl = \"{url_v}\"\nselector = '{{job=\"x\"}}'\n"
        ),
    )
    .unwrap();
    let log = dir.path().join("flinkscope.log");
    let cmd = format!(
        "RUST_LOG=debug {} --config {} --log-file {}; echo EXIT=$?; sleep 600",
        env!("CARGO_BIN_EXE_flinkscope"),
        config.display(),
        log.display()
    );
    let t = Tmux::start("poison", 200, 60, &cmd);
    let mut screens =
        vec![t.wait_screen("the failed sources and the job", 30, |s| s.contains("RUNNING") && s.contains("failed"))];
    // The per-TaskManager table (TaskManager ids), then the alerts panel full screen.
    t.run(&["send-keys", "-t", "main", "Enter"]);
    screens.push(t.wait_screen("the TaskManager table", 20, |s| s.contains("tm-base-1")));
    t.run(&["send-keys", "-t", "main", "Escape"]);
    t.run(&["send-keys", "-t", "main", "a"]);
    t.run(&["send-keys", "-t", "main", "Enter"]);
    std::thread::sleep(Duration::from_secs(1));
    screens.push(t.screen());
    let title = t.run(&["display-message", "-p", "-t", "main", "#{pane_title}"]);
    t.run(&["send-keys", "-t", "main", "q"]);
    screens.push(t.wait_screen("flinkscope to exit", 20, |s| s.contains("EXIT=0")));

    assert!(!title.contains("pwned"), "a server retitled the terminal: {title:?}");
    for s in &screens {
        assert!(!s.contains("pwned") && !s.contains("2J") && !s.contains("31m"), "escape text on screen:\n{s}");
        assert!(poisoned(s).is_empty(), "{:?} on screen:\n{s}", poisoned(s));
    }

    // The same sources headless: the JSON documents.
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_flinkscope"))
            .args(["--config", config.to_str().unwrap(), "--log-file", log.to_str().unwrap()])
            .args(args)
            .env("RUST_LOG", "debug")
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", String::from_utf8_lossy(&o.stderr)));
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(poisoned(&stderr).is_empty(), "{args:?} stderr: {stderr:?}");
        doc
    };
    let docs = [run(&["snapshot", "--duration", "3s"]), run(&["check", "--duration", "3s", "--format", "json"])];
    let mut all = Vec::new();
    for d in &docs {
        strings(d, "", &mut all);
    }
    for (at, s) in &all {
        assert!(poisoned(s).is_empty() && !s.contains("pwned"), "{:?} in the JSON at {at}: {s:?}", poisoned(s));
    }
    let joined = all.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>().join("\n");
    for seen in ["poisoned-job", "jolokia says", "prometheus says"] {
        assert!(joined.contains(seen), "the poisoned answers were not taken in ({seen:?} missing): {}", docs[0]);
    }
    let text = String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned();
    assert!(text.contains("poisoned-job") || text.contains("jolokia says"), "the log saw the answers");
    assert!(poisoned(&text).is_empty() && !text.contains("pwned"), "{:?} in the log", poisoned(&text));
}
