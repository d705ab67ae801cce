//! A real Prometheus server (Debian's `prometheus`), started by the test on 127.0.0.1 to
//! scrape the lab's six reporters, as the only source of each group: one PromQL query per
//! metric key per tick. Needs the lab (scripts/lab.sh up); scripts/test.sh runs it with the
//! other lab tests.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod keys;

/// A Prometheus server with its own storage folder, stopped when dropped.
struct Prometheus {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn require_lab() {
    let up =
        Command::new("curl").args(["-sf", "-o", "/dev/null", "--max-time", "3", "http://127.0.0.1:9251/"]).status();
    assert!(up.is_ok_and(|s| s.success()), "the lab's reporters do not answer: run scripts/lab.sh up --pair first");
}

fn start() -> Prometheus {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n\
         - job_name: flink-baseline\n  static_configs: [{targets: ['127.0.0.1:9250', '127.0.0.1:9251', '127.0.0.1:9252']}]\n\
         - job_name: flink-variant\n  static_configs: [{targets: ['127.0.0.1:9260', '127.0.0.1:9261', '127.0.0.1:9262']}]\n",
    )
    .unwrap();
    let port = free_port();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("Debian's prometheus must be installed (.ci/run installs it): {e}"));
    Prometheus { child, url: format!("http://127.0.0.1:{port}"), _dir: dir }
}

fn query(p: &Prometheus, q: &str) -> Option<Value> {
    let out = Command::new("curl")
        .args(["-sf", "--max-time", "3", "--data-urlencode", &format!("query={q}"), &format!("{}/api/v1/query", p.url)])
        .output()
        .ok()?;
    serde_json::from_slice(&out.stdout).ok()
}

/// Waits (a condition with a generous deadline) until the server has scraped every reporter
/// and has enough points for `rate()`.
fn wait_ready(p: &Prometheus) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let up = query(p, "sum(up)").and_then(|v| v["data"]["result"][0]["value"][1].as_str().map(String::from));
        let rate = query(p, "count(rate(flink_taskmanager_Status_JVM_CPU_Time[30s]))")
            .and_then(|v| v["data"]["result"][0]["value"][1].as_str().map(String::from));
        if up.as_deref() == Some("6") && rate.as_deref() == Some("4") {
            return;
        }
        assert!(Instant::now() < deadline, "Prometheus not ready: up={up:?} rate={rate:?}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn snapshot(config: &str, seconds: u64) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flinkscope.toml");
    std::fs::write(&path, config).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_flinkscope"))
        .args(["snapshot", "--duration", &format!("{seconds}s"), "--config", path.to_str().unwrap()])
        .args(["--log-file", dir.path().join("log").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn lab_prometheus_server_source() {
    require_lab();
    let p = start();
    wait_ready(&p);
    // The variant by tm_id (sanitised by Flink's reporter), its JobManager by scrape job.
    let config = format!(
        "[host]\nenabled = false\n\
         [baseline.prometheus-server]\nurl = \"{u}\"\nselector = '{{job=\"flink-baseline\"}}'\nscrape-interval = \"1s\"\nrate-window = \"30s\"\n\
         [variant.prometheus-server]\nurl = \"{u}\"\nselector = '{{tm_id=~\"tm_var.*\"}}'\njob-selector = '{{job=\"flink-variant\"}}'\nscrape-interval = \"1s\"\nrate-window = \"30s\"\n",
        u = p.url
    );
    let doc = snapshot(&config, 15);
    for s in doc["sources"].as_array().unwrap() {
        assert_eq!(s["state"], "live", "{s}");
        assert!(s.get("warnings").is_none(), "every query answered: {s}");
    }
    for g in ["baseline", "variant"] {
        let m = &doc["groups"][g]["metrics"];
        for key in keys::REQUIRED {
            assert!(m[*key]["last"].is_number(), "{g}.{key} has no value: {}", m[*key]);
            assert_eq!(m[*key]["source"], "prometheus-server", "{g}.{key}");
        }
        assert_eq!(m["taskmanagers"]["last"].as_f64(), Some(2.0), "{g}");
        assert!(m["records_in_per_s"]["last"].as_f64().unwrap() > 0.0);
        let cores = m["cpu_cores"]["last"].as_f64().unwrap();
        assert!(cores > 0.0 && cores < 2.0, "{g}: {cores} cores per TaskManager");
        let tms: Vec<&str> =
            doc["groups"][g]["taskmanagers"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        assert_eq!(tms.len(), 2, "{g}: {tms:?}");
    }

    // A historical baseline: the same queries at now minus the offset. Far beyond the
    // server's history there is no data, never a zero.
    let history = format!(
        "[host]\nenabled = false\n\
         [baseline.prometheus-server]\nurl = \"{u}\"\nselector = '{{job=\"flink-baseline\"}}'\noffset = \"5s\"\nscrape-interval = \"1s\"\nrate-window = \"30s\"\n\
         [variant.prometheus-server]\nurl = \"{u}\"\nselector = '{{job=\"flink-variant\"}}'\noffset = \"2h\"\nscrape-interval = \"1s\"\n",
        u = p.url
    );
    let doc = snapshot(&history, 6);
    let base = &doc["groups"]["baseline"]["metrics"];
    assert!(base["records_in_per_s"]["last"].as_f64().unwrap() > 0.0, "5 s ago is in the server's history");
    // The first poll filled the window from range queries: more samples than 6 s of polls
    // (the server has scraped every second for well over 20 s by now).
    let n = base["records_in_per_s"]["samples"].as_u64().unwrap();
    assert!(n >= 15, "{n} samples: the window was not back-filled");
    let var = &doc["groups"]["variant"]["metrics"];
    for key in keys::REQUIRED {
        assert!(var[*key]["last"].is_null(), "2 h ago is before the server started: {key} {}", var[*key]);
    }
}
