//! Quitting the real binary (in tmux) while a rollback step runs: `q` asks first, the
//! second `q` quits; SIGTERM quits at once. Either way the step's process group is ended
//! (its child too), the audit log ends with `rollback-finished` `interrupted`, and the
//! terminal is restored. No Flink needed: the groups point at closed ports, or (the `q`
//! case) at servers that echo the bearer token back, so that every file the run wrote,
//! the rollback's audit and evidence included, is checked for the credential.

mod common;
#[path = "tmux/mod.rs"]
mod tmux;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use tmux::Tmux;

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.split_whitespace().nth(2).is_none_or(|st| st != "Z"))
}

fn wait_gone(pid: i32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    !alive(pid)
}

/// Starts the dashboard with a rollback whose one step hangs, confirms it, and waits until
/// the step's child runs. Returns the tmux session and the child's pid.
fn start_hanging_rollback(dir: &Path, name: &str, groups: &str) -> (Tmux, i32) {
    let hang = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/hang.sh");
    let pidfile = dir.join("child.pid");
    let config = dir.join("flinkscope.toml");
    std::fs::write(
        &config,
        format!(
            "{groups}[rollback]\naudit-log = \"{}\"\nevidence-dir = \"{}\"\ngrace = \"2s\"\n\
             [[rollback.steps]]\nname = \"hangs\"\nargv = [\"{}\", \"{}\"]\ntimeout = \"10m\"\n",
            dir.join("audit.jsonl").display(),
            dir.join("evidence").display(),
            hang.display(),
            pidfile.display()
        ),
    )
    .unwrap();
    let cmd = format!(
        "{} --config {} --log-file {}; echo EXIT=$?; stty -a | grep -o -- '-icanon'; sleep 600",
        env!("CARGO_BIN_EXE_flinkscope"),
        config.display(),
        dir.join("flinkscope.log").display()
    );
    let t = Tmux::start(&format!("quit-{name}"), 120, 40, &cmd);
    t.wait_screen("the dashboard", 30, |s| s.contains("baseline") && s.contains("variant"));
    t.run(&["send-keys", "-t", "main", "R"]);
    t.wait_screen("the confirmation dialog", 20, |s| s.contains("ROLLBACK") && s.contains("hang.sh"));
    t.run(&["send-keys", "-t", "main", "-l", "rollback"]);
    t.run(&["send-keys", "-t", "main", "Enter"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let pid = loop {
        if let Some(p) = std::fs::read_to_string(&pidfile).ok().and_then(|s| s.trim().parse().ok()) {
            break p;
        }
        assert!(Instant::now() < deadline, "the step never started; screen:\n{}", t.screen());
        std::thread::sleep(Duration::from_millis(100));
    };
    (t, pid)
}

fn audit(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn assert_interrupted(t: &Tmux, dir: &Path, child: i32, screen: &str) {
    assert!(wait_gone(child), "the step's child {child} outlived flinkscope");
    assert_eq!(t.run(&["display-message", "-p", "-t", "main", "#{alternate_on}"]).trim(), "0");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(!screen.contains("-icanon"), "the terminal is left in raw mode: {screen}");
    let lines = audit(dir);
    let step = lines.iter().find(|l| l["event"] == "step-finished").expect("the step's audit line");
    assert_eq!(step["state"], "interrupted", "{lines:?}");
    let last = lines.last().unwrap();
    assert_eq!(last["event"], "rollback-finished");
    assert_eq!(last["result"], "interrupted");
    let evidence = std::fs::read_dir(dir.join("evidence")).unwrap().count();
    assert_eq!(evidence, 2, "the evidence (JSON and Markdown) is written on the way out");
}

#[test]
fn q_during_a_rollback_asks_then_stops_the_step_and_quits() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (b, v) = rt.block_on(async {
        (
            common::serve(common::Behaviour::EchoesCredentials).await,
            common::serve(common::Behaviour::EchoesCredentials).await,
        )
    });
    let token = "planted-rollback-token-93be";
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, token).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let auth = format!("token-file = \"{}\"\n", token_file.display());
    let groups = format!(
        "[baseline]\nflink = \"{b}\"\n[baseline.auth]\n{auth}[variant]\nflink = \"{v}\"\n[variant.auth]\n{auth}"
    );
    let (t, child) = start_hanging_rollback(dir.path(), "q", &groups);
    t.wait_screen("the step running", 10, |s| s.contains("running"));
    t.run(&["send-keys", "-t", "main", "q"]);
    t.wait_screen("the question", 10, |s| s.contains("q again stops its step"));
    assert!(alive(child), "the first q only asks");
    t.run(&["send-keys", "-t", "main", "q"]);
    let screen = t.wait_screen("flinkscope to exit", 30, |s| s.contains("EXIT="));
    assert_interrupted(&t, dir.path(), child, &screen);
    // The evidence read both groups' settings and got the token back in their 401s.
    let mut redacted = false;
    for f in files_under(dir.path()) {
        if f == token_file || f.ends_with("flinkscope.toml") {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        assert!(!text.contains(token), "{} holds the token:\n{text}", f.display());
        redacted |= f.to_string_lossy().contains("evidence") && text.contains("[redacted]");
    }
    assert!(redacted, "the evidence never saw the echoed token");
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(files_under(&p)) } else { out.push(p) }
    }
    out
}

#[test]
fn sigterm_during_a_rollback_stops_the_step_and_quits() {
    let dir = tempfile::tempdir().unwrap();
    let groups = "[baseline]\nflink = \"http://127.0.0.1:9\"\n[variant]\nflink = \"http://127.0.0.1:10\"\n";
    let (t, child) = start_hanging_rollback(dir.path(), "term", groups);
    let pane_pid: i32 = t.run(&["display-message", "-p", "-t", "main", "#{pane_pid}"]).trim().parse().unwrap();
    // The pane runs sh, whose child is flinkscope.
    let children = std::fs::read_to_string(format!("/proc/{pane_pid}/task/{pane_pid}/children")).unwrap();
    let flinkscope: i32 = children
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .find(|p: &i32| std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == "flinkscope"))
        .expect("flinkscope under the pane's shell");
    // SAFETY: a signal to the process this test started.
    unsafe { libc::kill(flinkscope, libc::SIGTERM) };
    let screen = t.wait_screen("flinkscope to exit", 30, |s| s.contains("EXIT="));
    assert_interrupted(&t, dir.path(), child, &screen);
}
