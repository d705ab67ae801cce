//! The real binary, end to end, in tmux against the lab's baseline and variant clusters:
//! both groups go live with a numeric throughput, `?` opens the help, `e` the Settings
//! screen, `q` quits, and the terminal leaves the alternate screen; the same after SIGTERM.

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn new(name: &str) -> Tmux {
        Tmux { socket: format!("flinkscope-e2e-{name}-{}", std::process::id()) }
    }

    fn run(&self, args: &[&str]) -> String {
        let out =
            Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("tmux is needed for this test");
        assert!(out.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn capture(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "main"])
    }

    fn format(&self, f: &str) -> String {
        self.run(&["display-message", "-p", "-t", "main", f]).trim().to_string()
    }

    /// Waits until `cond` holds on the pane's text, with a generous deadline.
    fn wait_for(&self, what: &str, secs: u64, cond: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let screen = self.capture();
            if cond(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Starts flinkscope in a 120x40 pane. The shell stays after it exits and prints its exit code.
    fn start(&self) {
        let log = std::env::temp_dir().join(format!("{}.log", self.socket));
        let cmd = format!(
            "{} --baseline http://127.0.0.1:8081 --variant http://127.0.0.1:8082 --log-file {}; echo EXIT=$?; sleep 600",
            env!("CARGO_BIN_EXE_flinkscope"),
            log.display()
        );
        self.run(&["new-session", "-d", "-s", "main", "-x", "120", "-y", "40", "sh", "-c", &cmd]);
    }

    fn flinkscope_pid(&self) -> i32 {
        let shell: i32 = self.format("#{pane_pid}").parse().unwrap();
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap();
        children.split_whitespace().next().expect("flinkscope runs under the pane's shell").parse().unwrap()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-L").arg(&self.socket).arg("kill-server").output();
    }
}

fn both_live_with_throughput(screen: &str) -> bool {
    let live =
        screen.lines().filter(|l| (l.contains("baseline") || l.contains("variant")) && l.contains("● live")).count();
    let throughput = screen.lines().any(|l| {
        l.trim_start_matches('│').starts_with("rec in/s")
            && l.split_whitespace().nth(2).is_some_and(|v| v.chars().next().is_some_and(|c| c.is_ascii_digit()))
            && l.split_whitespace().nth(3).is_some_and(|v| v.chars().next().is_some_and(|c| c.is_ascii_digit()))
    });
    live == 2 && throughput
}

#[test]
fn lab_tmux_quit_with_q_restores_the_terminal() {
    let t = Tmux::new("q");
    t.start();
    t.wait_for("both groups live with numeric throughput", 120, both_live_with_throughput);
    assert_eq!(t.format("#{alternate_on}"), "1", "the dashboard uses the alternate screen");
    t.run(&["send-keys", "-t", "main", "?"]);
    t.wait_for("the help overlay", 20, |s| s.contains("help (? or Esc closes)") && s.contains("quit (also Ctrl-C)"));
    t.run(&["send-keys", "-t", "main", "Escape"]);
    // A key right after Esc would arrive as Alt+key: the help closes first.
    t.wait_for("the help closed", 20, |s| !s.contains("help (? or Esc closes)"));
    // The Settings screen: the variant's network fraction differs, read from its TaskManagers.
    t.run(&["send-keys", "-t", "main", "e"]);
    t.wait_for("the Settings screen with both groups read", 60, |s| {
        s.contains("Settings ·")
            && s.lines().any(|l| l.contains("* taskmanager.memory.network.fraction") && l.contains("0.15"))
            && s.matches("TaskManagers · network memory").count() == 2
    });
    t.run(&["send-keys", "-t", "main", "Escape"]);
    t.wait_for("the dashboard again", 20, |s| !s.contains("Settings ·") && s.contains("Throughput"));
    t.run(&["send-keys", "-t", "main", "q"]);
    t.wait_for("flinkscope to exit", 20, |s| s.contains("EXIT=0"));
    assert_eq!(t.format("#{alternate_on}"), "0");
}

#[test]
fn lab_tmux_sigterm_restores_the_terminal() {
    let t = Tmux::new("term");
    t.start();
    t.wait_for("both groups live with numeric throughput", 120, both_live_with_throughput);
    let pid = t.flinkscope_pid();
    assert!(Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap().success());
    t.wait_for("flinkscope to exit after SIGTERM", 20, |s| s.contains("EXIT=0"));
    assert_eq!(t.format("#{alternate_on}"), "0");
}
