//! Runs one rollback step: argv without a shell, its own process group, stdin from
//! /dev/null, a cleared environment, bounded output capture, and a timeout that sends
//! SIGTERM to the whole group, then SIGKILL after a grace period. An interruption (the
//! operator quits, flinkscope gets a signal) ends the step's group the same way.

use std::collections::{BTreeMap, VecDeque};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};

/// Lines of output kept per step, and the longest line kept (longer ones are cut).
pub const TAIL_LINES: usize = 40;
pub const MAX_LINE: usize = 400;

pub use crate::model::step::{PreparedStep, StepResult, StepState};

/// The step's output as it is read, kept for its result (the last TAIL_LINES lines).
type Tail = Arc<Mutex<VecDeque<String>>>;

/// Called with each line of output (cleaned, cut) as the step writes it: the app shows
/// the running step's output from these, sent as events.
pub type OnLine = Arc<dyn Fn(&str) + Send + Sync>;

pub struct StepEnv<'a> {
    pub env: &'a BTreeMap<String, String>,
    pub workdir: Option<&'a PathBuf>,
    pub grace: Duration,
}

/// Set to `true` to interrupt the run (the step's group is ended, no further step runs).
pub(crate) type Interrupt = tokio::sync::watch::Receiver<bool>;

/// Resolves when the run is interrupted; never once nobody can interrupt it any more.
pub(crate) async fn interrupted(interrupt: &mut Interrupt) {
    if interrupt.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// How a step's wait ended.
enum Ending {
    Exited,
    TimedOut,
    Interrupted,
}

pub async fn run(step: &PreparedStep, ctx: &StepEnv<'_>, on_line: OnLine, interrupt: &mut Interrupt) -> StepResult {
    let started = Instant::now();
    let tail: Tail = Tail::default();
    let fail = |error: String, tail: &Tail| StepResult {
        state: StepState::Failed,
        exit_code: None,
        signal: None,
        duration_ms: started.elapsed().as_millis() as u64,
        tail: tail.lock().map(|t| t.iter().cloned().collect()).unwrap_or_default(),
        error: Some(error),
    };
    let Some((program, args)) = step.argv.split_first() else {
        return fail("empty argv".into(), &tail);
    };
    let mut child = match command(program, args, ctx).spawn() {
        Ok(c) => c,
        Err(e) => return fail(format!("cannot start {program:?}: {e}"), &tail),
    };
    let pgid = child.id().map(|p| p as i32);
    let readers = [
        child.stdout.take().map(|o| tokio::spawn(collect(o, tail.clone(), on_line.clone()))),
        child.stderr.take().map(|e| tokio::spawn(collect(e, tail.clone(), on_line.clone()))),
    ];
    let (ending, exited) = tokio::select! {
        s = tokio::time::timeout(step.timeout, child.wait()) => match s {
            Ok(s) => (Ending::Exited, s.ok()),
            Err(_) => (Ending::TimedOut, None),
        },
        _ = interrupted(interrupt) => (Ending::Interrupted, None),
    };
    let status = match ending {
        Ending::Exited => exited,
        Ending::TimedOut | Ending::Interrupted => stop(pgid, &mut child, ctx.grace).await,
    };
    for r in readers.into_iter().flatten() {
        // A process that left the group could hold the pipes open: do not wait for it forever.
        let _ = tokio::time::timeout(Duration::from_secs(2), r).await;
    }
    let exit_code = status.and_then(|s| s.code());
    let signal = status.and_then(|s| s.signal());
    let state = match ending {
        Ending::TimedOut => StepState::TimedOut,
        Ending::Interrupted => StepState::Interrupted,
        Ending::Exited if exit_code == Some(0) => StepState::Ok,
        Ending::Exited => StepState::Failed,
    };
    StepResult {
        state,
        exit_code,
        signal,
        duration_ms: started.elapsed().as_millis() as u64,
        tail: tail.lock().map(|t| t.iter().cloned().collect()).unwrap_or_default(),
        error: None,
    }
}

/// The step's process: exactly its argv, the prepared environment only, no stdin, its own
/// process group (so a stop reaches whatever it started).
fn command(program: &str, args: &[String], ctx: &StepEnv<'_>) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .env_clear()
        .envs(ctx.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(dir) = ctx.workdir {
        cmd.current_dir(dir);
    }
    cmd
}

/// Stops a step that timed out or was interrupted: SIGTERM to its group, SIGKILL after the
/// grace period.
async fn stop(pgid: Option<i32>, child: &mut tokio::process::Child, grace: Duration) -> Option<ExitStatus> {
    signal_group(pgid, libc::SIGTERM);
    let s = if let Ok(s) = tokio::time::timeout(grace, child.wait()).await {
        s.ok()
    } else {
        signal_group(pgid, libc::SIGKILL);
        child.wait().await.ok()
    };
    // A step that was stopped ends with its whole group (children it left behind
    // too). A step that exited on its own keeps what it started: restart scripts
    // launch daemons (TaskManagers) that must outlive them.
    signal_group(pgid, libc::SIGKILL);
    s
}

fn signal_group(pgid: Option<i32>, sig: i32) {
    if let Some(p) = pgid.filter(|p| *p > 1) {
        // SAFETY: killpg only sends a signal to the group we created for this step.
        unsafe {
            libc::killpg(p, sig);
        }
    }
}

/// Reads a pipe into the tail: lines cleaned and cut to MAX_LINE, at most TAIL_LINES kept,
/// so a step that floods its output uses bounded memory.
async fn collect(mut pipe: impl AsyncRead + Unpin, tail: Tail, on_line: OnLine) {
    let mut buf = vec![0u8; 8192];
    let mut line: Vec<u8> = Vec::new();
    let push = |line: &mut Vec<u8>, tail: &Tail| {
        let text = crate::sanitize::clean(&String::from_utf8_lossy(line));
        line.clear();
        on_line(&text);
        if let Ok(mut t) = tail.lock() {
            if t.len() == TAIL_LINES {
                t.pop_front();
            }
            t.push_back(text);
        }
    };
    loop {
        let n = match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            if b == b'\n' {
                push(&mut line, &tail);
            } else if line.len() < MAX_LINE {
                line.push(b);
            }
        }
    }
    if !line.is_empty() {
        push(&mut line, &tail);
    }
}
