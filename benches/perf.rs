//! Performance figures for docs/performance.md (run: `cargo bench --bench perf`; the lab must be up for
//! the poll and whole-program parts: `scripts/lab.sh up`).
//!
//! 1. draw of one full frame at 200x60 with an hour of samples (TestBackend), and one
//!    evaluation of every judgement, rule and the verdict over that hour (it runs every tick);
//! 2. CPU time of one poll tick of the Flink REST source against the lab's baseline cluster;
//! 3. one tick of the Prometheus source scraping the lab's 4 TaskManager reporters (wall and
//!    CPU time), and one reading of this host (/proc, the lab's TaskManager JVMs);
//! 4. the real binary's own CPU and RSS while it watches the lab for 60 s at a 1 s interval
//!    (in a 200x60 tmux pane, so drawing is included).
//!
//! It prints measurements; it asserts nothing (timings are not tests).

use std::process::Command;
use std::time::{Duration, Instant};

use flinkscope::app::demo;
use flinkscope::config::{HttpSettings, RestUrl};
use flinkscope::sources::task::build_poller;
use flinkscope::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    frame(if quick { 20 } else { 500 });
    evaluation(if quick { 20 } else { 200 });
    poll_tick(if quick { 5 } else { 30 });
    prometheus_tick(if quick { 10 } else { 100 });
    host_tick(if quick { 10 } else { 100 });
    whole_program(if quick { 10 } else { 60 });
}

fn frame(iterations: usize) {
    let app = demo::app(Instant::now(), 3600, false);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let theme = Theme::default();
    for _ in 0..10 {
        terminal.draw(|f| ui::render(f, &app, &theme)).unwrap();
    }
    let mut times: Vec<Duration> = (0..iterations)
        .map(|_| {
            let t = Instant::now();
            terminal.draw(|f| ui::render(f, &app, &theme)).unwrap();
            t.elapsed()
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2];
    let p99 = times[times.len() * 99 / 100];
    println!("frame 200x60, 1 h of samples: median {:.3} ms, p99 {:.3} ms ({iterations} draws)", ms(median), ms(p99));
}

/// Process CPU time (user + system) from /proc/self/stat, in seconds.
fn evaluation(iterations: usize) {
    let mut app = demo::app(Instant::now(), 3600, false);
    let mut times: Vec<Duration> = (0..iterations)
        .map(|_| {
            let t = Instant::now();
            app.evaluate(std::time::SystemTime::now());
            t.elapsed()
        })
        .collect();
    times.sort();
    let blocks = app.view().judgements.values().map(|j| j.baseline.map_or(0, |s| s.n)).max().unwrap_or(0);
    println!(
        "evaluation (judgements, rules, verdict), 1 h of samples ({blocks} blocks per metric): median {:.3} ms, p99 {:.3} ms",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 99 / 100])
    );
}

fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / clk_tck()
}

/// This process's CPU time with nanosecond resolution (/proc counts 10 ms ticks).
fn process_cpu() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &raw mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn clk_tck() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

fn lab_up() -> bool {
    Command::new("curl")
        .args(["-sf", "--max-time", "2", "http://127.0.0.1:8081/config"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn poll_tick(seconds: u64) {
    if !lab_up() {
        println!("poll tick: skipped (the lab is not running: scripts/lab.sh up)");
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let url = RestUrl::new("http://127.0.0.1:8081").unwrap();
    let group = flinkscope::config::GroupConfig::new(url.clone());
    let mut poller = build_poller(&url, &group, &HttpSettings::default()).unwrap();
    rt.block_on(poller.poll(false)).unwrap(); // discovery, listings
    // Poll every 250 ms: a few polls see a metrics refresh (full read), the rest repeats
    // (TaskManager aggregates and job state only).
    let (mut fresh, mut repeat) = (Vec::new(), Vec::new());
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(seconds) {
        let cpu0 = process_cpu();
        let batch = rt.block_on(poller.poll(false)).unwrap();
        let cpu = process_cpu() - cpu0;
        if batch.fresh {
            fresh.push(cpu);
        } else {
            repeat.push(cpu);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let mean = |v: &[f64]| if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 * 1000.0 };
    println!(
        "poll tick (REST, one group, 2 TaskManagers, 2 vertices): {:.2} ms CPU with a refresh ({} polls), {:.2} ms CPU for a repeat ({} polls)",
        mean(&fresh),
        fresh.len(),
        mean(&repeat),
        repeat.len()
    );
}

fn prometheus_tick(ticks: usize) {
    if !lab_up() {
        println!("prometheus tick: skipped (the lab is not running)");
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let group = flinkscope::config::GroupConfig {
        prometheus: [9251, 9252, 9261, 9262]
            .iter()
            .map(|p| RestUrl::new(&format!("http://127.0.0.1:{p}/")).unwrap())
            .collect(),
        ..Default::default()
    };
    let settings = flinkscope::config::Settings::default();
    let mut poller = flinkscope::sources::task::build_prometheus(&group, &settings, Duration::from_secs(1)).unwrap();
    rt.block_on(poller.poll(false)).unwrap(); // connections up
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..ticks {
        let (t, c) = (Instant::now(), process_cpu());
        rt.block_on(poller.poll(false)).unwrap();
        cpu.push(process_cpu() - c);
        wall.push(t.elapsed().as_secs_f64());
        std::thread::sleep(Duration::from_millis(100));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2] * 1000.0
    };
    println!(
        "prometheus tick (4 lab TaskManager reporters at once, parse + map): median {:.2} ms wall, {:.2} ms CPU ({ticks} ticks)",
        median(&mut wall),
        median(&mut cpu)
    );
}

fn host_tick(ticks: usize) {
    use flinkscope::sources::host::assign::Members;
    let mut poller = flinkscope::sources::host::HostPoller::new(Vec::new());
    // Every lab TaskManager belongs to a group (by regex): the most there is to read.
    let pattern =
        |p: &str| Members { pattern: Some(flinkscope::config::TmPattern::new(p).unwrap()), ..Default::default() };
    let members = [pattern("^tm-base"), pattern("^tm-var")];
    let first = poller.poll(&members).unwrap();
    let mut cpu = Vec::new();
    for _ in 0..ticks {
        let c = process_cpu();
        poller.poll(&members).unwrap();
        cpu.push(process_cpu() - c);
    }
    let mean = cpu.iter().sum::<f64>() / cpu.len() as f64 * 1000.0;
    cpu.sort_by(f64::total_cmp);
    println!(
        "host tick (/proc: {} TaskManager JVMs, NIC/TCP/CPU counters): median {:.3} ms CPU, mean {mean:.3} ms (a file-descriptor walk every 10th tick; {ticks} ticks)",
        first.processes.len(),
        cpu[cpu.len() / 2] * 1000.0
    );
}

fn whole_program(seconds: u64) {
    if !lab_up() {
        println!("whole program: skipped (the lab is not running)");
        return;
    }
    let socket = format!("flinkscope-bench-{}", std::process::id());
    let tmux = |args: &[&str]| Command::new("tmux").arg("-L").arg(&socket).args(args).output().unwrap();
    let cmd = format!(
        "{} --baseline http://127.0.0.1:8081 --variant http://127.0.0.1:8082 --interval 1s --log-file /tmp/{socket}.log",
        env!("CARGO_BIN_EXE_flinkscope")
    );
    tmux(&["new-session", "-d", "-s", "b", "-x", "200", "-y", "60", "sh", "-c", &cmd]);
    std::thread::sleep(Duration::from_secs(5)); // start-up and discovery
    let shell =
        String::from_utf8_lossy(&tmux(&["display-message", "-p", "-t", "b", "#{pane_pid}"]).stdout).trim().to_string();
    let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap_or_default();
    let Some(pid) = children.split_whitespace().next().map(str::to_string) else {
        println!("whole program: flinkscope did not start");
        tmux(&["kill-server"]);
        return;
    };
    let cpu0 = cpu_seconds(&pid);
    let t0 = Instant::now();
    let mut max_rss_kib = 0u64;
    while t0.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_secs(1));
        max_rss_kib = max_rss_kib.max(rss_kib(&pid));
    }
    let cpu = cpu_seconds(&pid) - cpu0;
    let wall = t0.elapsed().as_secs_f64();
    tmux(&["send-keys", "-t", "b", "q"]);
    std::thread::sleep(Duration::from_millis(500));
    tmux(&["kill-server"]);
    println!(
        "whole program watching the lab for {seconds} s at 1 s (200x60 pane): {:.2}% of one core, max RSS {:.1} MiB",
        cpu / wall * 100.0,
        max_rss_kib as f64 / 1024.0
    );
}

fn rss_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
