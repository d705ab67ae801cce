//! Memory over the whole retention, for docs/performance.md (run: `cargo bench --bench memory`).
//!
//! Feeds lab-shaped refreshes (the REST source's metric set for two TaskManagers per group,
//! `app::demo::batch`) at a 1 s interval, as fast as the machine allows, through the real
//! event loop's ingest and evaluation (`App::on_sample`), for the retention and a tenth
//! more, at `--retention 1h` and `8h`. Each retention runs in its own process so that its
//! peak RSS is its own. Prints the peak RSS, the store's accounted bytes, readings held
//! and bytes per reading, and what a pause adds. It asserts nothing (figures, not tests).

use std::process::Command;
use std::time::{Duration, Instant};

use flinkscope::app::keymap::Action;
use flinkscope::app::{App, demo};
use flinkscope::config::Dur;
use flinkscope::model::Group;
use flinkscope::sources::{SourceId, SourceKind};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--one") {
        let hours: u64 = args[i + 1].parse().expect("hours");
        one(hours);
        return;
    }
    let me = std::env::current_exe().expect("the bench's own path");
    for hours in [1, 8] {
        let out = Command::new(&me).args(["--one", &hours.to_string()]).output().expect("runs itself");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

fn one(hours: u64) {
    let retention = Duration::from_secs(hours * 3600);
    let mut config = demo::config();
    config.settings.retention = Dur(retention);
    config.settings.interval = Dur(Duration::from_secs(1));
    let t0 = Instant::now();
    let mut app = App::new(&config, t0);
    let rss_start = status_kib("VmRSS");
    let seconds = retention.as_secs() * 11 / 10;
    let wall = Instant::now();
    for i in 0..seconds {
        let at = t0 + Duration::from_secs(i);
        for g in Group::BOTH {
            let id = SourceId { group: g, kind: SourceKind::FlinkRest };
            app.on_sample(id, Ok(demo::batch(g, at, i)), at);
        }
    }
    let fed = wall.elapsed();
    let store = &app.live.store;
    let (bytes, points) = (store.heap_bytes(), store.held_points());
    let rss_fed = status_kib("VmRSS");
    app.act(Action::Pause);
    let frozen = app.view().store.heap_bytes();
    let rss_paused = status_kib("VmRSS");
    println!(
        "retention {hours} h ({seconds} s of 1 s refreshes per group, fed in {:.1} s): peak RSS {:.1} MiB (start {:.1} MiB), \
         store accounts {:.2} MiB for {points} readings ({:.1} B per reading), a pause copies {:.1} KiB (RSS {:+.1} MiB)",
        fed.as_secs_f64(),
        status_kib("VmHWM") as f64 / 1024.0,
        rss_start as f64 / 1024.0,
        bytes as f64 / (1 << 20) as f64,
        bytes as f64 / points.max(1) as f64,
        frozen as f64 / 1024.0,
        (rss_paused as f64 - rss_fed as f64) / 1024.0,
    );
}

/// A field of /proc/self/status in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
