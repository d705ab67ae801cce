//! The real binary in a tmux session of its own (its own server socket, killed on drop):
//! what the end-to-end tests drive and read, as an operator's terminal.
#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux(String);

impl Tmux {
    /// A session named `main` on a socket of its own, `cols` x `rows`, running `cmd` in sh.
    pub fn start(name: &str, cols: u16, rows: u16, cmd: &str) -> Tmux {
        let t = Tmux(format!("flinkscope-{name}-{}", std::process::id()));
        t.run(&["new-session", "-d", "-s", "main", "-x", &cols.to_string(), "-y", &rows.to_string(), "sh", "-c", cmd]);
        t
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").arg("-L").arg(&self.0).args(args).output().expect("tmux");
        assert!(out.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "main"])
    }

    /// A tmux format of the pane (`#{alternate_on}`, `#{pane_title}`, `#{pane_pid}`).
    pub fn format(&self, f: &str) -> String {
        self.run(&["display-message", "-p", "-t", "main", f]).trim().to_string()
    }

    pub fn wait_screen(&self, what: &str, secs: u64, cond: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if cond(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "timed out after {secs} s waiting for {what}; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The flinkscope process under the pane's shell.
    pub fn flinkscope_pid(&self) -> Option<i32> {
        let shell: i32 = self.format("#{pane_pid}").parse().ok()?;
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).ok()?;
        children
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .find(|p: &i32| std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == "flinkscope"))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-L").arg(&self.0).arg("kill-server").output();
    }
}
