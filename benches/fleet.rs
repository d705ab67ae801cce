//! Fleet-sized input: flinkscope against loopback Flink REST servers that answer as a
//! cluster of N TaskManagers would (`cargo bench --bench fleet`; `FLEET_SECONDS=600` for
//! docs/performance.md's 10-minute RSS, `FLEET_SIZES=10,100,1000`).
//!
//! The answers are the captured Flink 2.3.0 ones (tests/fixtures/flink-2.3.0) scaled to N:
//! N TaskManagers with YARN-length ids, two vertices of parallelism 2N (two slots each), the
//! sink's latency-marker metrics per subtask as Flink lists them (11 quantiles x 2 operators
//! x 2N subtasks), aggregates summed over the TaskManagers or subtasks asked for, values that
//! change once per metric-fetcher interval (10 s, Flink's default) as Flink's metric store
//! does, and Flink's limit on the request line (4,096 bytes: longer is refused).
//!
//! Per N it runs the release binary as a user would (the dashboard in a 200x60 tmux pane,
//! pair mode: one server per group, 1 s interval) and reports REST requests per tick per
//! group (by kind), CPU per tick, RSS at the end; and, in this process, the time to draw a
//! 200x60 frame with the per-TaskManager table of N rows. It prints; it asserts nothing.
//!
//! `FLEET_MODES=rest,reporters` (the default runs both): `reporters` adds, per group, one
//! Prometheus reporter endpoint per TaskManager (`/prom/<i>` on the same loopback server),
//! each answering the captured Flink 2.3.0 TaskManager exposition (100 KB, 217 series) with
//! that TaskManager's `tm_id`, as a user who lists every reporter in the config polls them.
//! The bodies are rendered once: the values do not move (parsing costs the same).
//! `server`: the same reporters scraped every 10 s by Debian's Prometheus server, which
//! flinkscope asks through its `prometheus-server` source (REST beside it).

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Flink's REST server refuses a longer request line (netty's HttpObjectDecoder default).
const MAX_REQUEST_LINE: usize = 4096;
/// Flink's metric fetcher: the store's values change this often (10 s by default).
const FETCHER: Duration = Duration::from_secs(10);

struct Fleet {
    n: usize,
    ids: Vec<String>,
    files: BTreeMap<&'static str, Value>,
    started: Instant,
    /// Requests by kind, and refused (too long) ones.
    counts: Mutex<BTreeMap<&'static str, u64>>,
    refused: AtomicU64,
    /// Per TaskManager, its reporter's exposition (empty unless reporters are served).
    expositions: Vec<String>,
}

impl Fleet {
    fn new(n: usize, reporters: bool) -> Fleet {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/flink-2.3.0/");
        let names = [
            "config.json",
            "jobmanager-config.json",
            "taskmanagers.json",
            "taskmanagers-metrics-list.json",
            "taskmanagers-metrics-agg.json",
            "jobs-overview.json",
            "job.json",
            "job-metrics.json",
            "job-exceptions.json",
            "vertex-sink.json",
            "vertex-source-backpressure.json",
            "vertex-sink-metrics-list.json",
            "vertex-source-metrics-agg.json",
            "vertex-sink-metrics-agg.json",
        ];
        let files = names
            .into_iter()
            .map(|f| (f, serde_json::from_str(&std::fs::read_to_string(format!("{dir}{f}")).unwrap()).unwrap()))
            .collect();
        let ids: Vec<String> = (0..n).map(|i| format!("container_e42_1733000000000_0001_01_{i:06}")).collect();
        let exposition = std::fs::read_to_string(format!("{dir}prometheus-taskmanager.txt")).unwrap();
        let expositions = if reporters {
            ids.iter().map(|id| exposition.replace("tm_id=\"tm_base_1\"", &format!("tm_id=\"{id}\""))).collect()
        } else {
            Vec::new()
        };
        Fleet {
            expositions,
            n,
            ids,
            files,
            started: Instant::now(),
            counts: Mutex::new(BTreeMap::new()),
            refused: AtomicU64::new(0),
        }
    }

    fn parallelism(&self) -> usize {
        2 * self.n
    }

    fn count(&self, kind: &'static str) {
        *self.counts.lock().unwrap().entry(kind).or_default() += 1;
    }

    /// The metric store's refresh: values move once per fetcher interval.
    fn epoch(&self) -> f64 {
        (self.started.elapsed().as_secs_f64() / FETCHER.as_secs_f64()).floor()
    }

    fn vertex_ids(&self) -> (String, String) {
        let v = &self.files["job.json"]["vertices"];
        (v[0]["id"].as_str().unwrap().to_string(), v[1]["id"].as_str().unwrap().to_string())
    }

    fn answer(&self, target: &str) -> (u16, String) {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let q: BTreeMap<&str, &str> = query.split('&').filter_map(|kv| kv.split_once('=')).collect();
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let f = |name: &str| self.files[name].clone();
        let (source, sink) = self.vertex_ids();
        let p = self.parallelism();
        let kind: &'static str;
        let body = match parts.as_slice() {
            ["config"] => {
                kind = "config";
                f("config.json")
            }
            ["jobmanager", "config"] => {
                kind = "config";
                f("jobmanager-config.json")
            }
            ["taskmanagers"] => {
                kind = "taskmanagers";
                let one = f("taskmanagers.json")["taskmanagers"][0].clone();
                let tms: Vec<Value> = self
                    .ids
                    .iter()
                    .enumerate()
                    .map(|(i, id)| {
                        let mut t = one.clone();
                        t["id"] = json!(id);
                        t["dataPort"] = json!(40000 + i);
                        t
                    })
                    .collect();
                json!({ "taskmanagers": tms })
            }
            ["taskmanagers", "metrics"] if query.is_empty() => {
                kind = "listing";
                f("taskmanagers-metrics-list.json")
            }
            ["taskmanagers", "metrics"] => {
                kind = "tm-aggregate";
                let count = q.get("taskmanagers").map_or(self.n, |t| t.split(',').count());
                self.aggregate(&f("taskmanagers-metrics-agg.json"), q.get("get").copied().unwrap_or(""), count, 2)
            }
            ["taskmanagers", _id, "metrics"] => {
                kind = "per-taskmanager (drill-down)";
                let agg = f("taskmanagers-metrics-agg.json");
                let get = q.get("get").copied().unwrap_or("");
                let values: Vec<Value> = agg
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|m| get.split(',').any(|g| m["id"] == g))
                    .map(|m| json!({"id": m["id"], "value": self.moving(m["id"].as_str().unwrap(), m["avg"].as_f64().unwrap_or(0.0), 1).to_string()}))
                    .collect();
                json!(values)
            }
            ["jobs", "overview"] => {
                kind = "jobs";
                f("jobs-overview.json")
            }
            ["jobs", _] => {
                kind = "jobs";
                let mut j = f("job.json");
                for v in j["vertices"].as_array_mut().unwrap() {
                    v["parallelism"] = json!(p);
                    v["tasks"]["RUNNING"] = json!(p);
                }
                j
            }
            ["jobs", _, "metrics"] => {
                kind = "jobs";
                f("job-metrics.json")
            }
            ["jobs", _, "exceptions"] => {
                kind = "exceptions";
                f("job-exceptions.json")
            }
            ["jobs", _, "vertices", _] => {
                kind = "vertex";
                let mut v = f("vertex-sink.json");
                let one = v["subtasks"][0].clone();
                let subtasks: Vec<Value> = (0..p)
                    .map(|i| {
                        let mut s = one.clone();
                        s["subtask"] = json!(i);
                        s["taskmanager-id"] = json!(self.ids[i % self.n]);
                        s
                    })
                    .collect();
                v["subtasks"] = json!(subtasks);
                v["parallelism"] = json!(p);
                v
            }
            ["jobs", _, "vertices", _, "backpressure"] => {
                kind = "backpressure";
                let mut b = f("vertex-source-backpressure.json");
                let one = b["subtasks"][0].clone();
                b["subtasks"] = json!(
                    (0..p)
                        .map(|i| {
                            let mut s = one.clone();
                            s["subtask"] = json!(i);
                            s
                        })
                        .collect::<Vec<_>>()
                );
                b
            }
            ["jobs", _, "vertices", v, "subtasks", "metrics"] if query.is_empty() => {
                kind = "listing";
                if *v == source { json!([]) } else { self.sink_listing() }
            }
            ["jobs", _, "vertices", v, "subtasks", "metrics"] => {
                let get = q.get("get").copied().unwrap_or("");
                let count = q.get("subtasks").map_or(p, |s| s.split(',').count());
                if get.contains("latency.") {
                    kind = "latency";
                    json!(get.split(',').map(|id| json!({"id": id, "max": 50.0})).collect::<Vec<_>>())
                } else {
                    kind = "vertex-aggregate";
                    let file =
                        if *v == sink { "vertex-sink-metrics-agg.json" } else { "vertex-source-metrics-agg.json" };
                    self.aggregate(&f(file), get, count, 2)
                }
            }
            _ => {
                kind = "not found";
                json!({"errors": ["Not found: /bad-request"]})
            }
        };
        self.count(kind);
        let status = if kind == "not found" { 404 } else { 200 };
        (status, body.to_string())
    }

    /// The fixture's aggregate over `captured` members, as over `count`: sums scale, the
    /// average and maximum stay; cumulative counters move with the fetcher's epoch.
    fn aggregate(&self, fixture: &Value, get: &str, count: usize, captured: usize) -> Value {
        let scale = count as f64 / captured as f64;
        let out: Vec<Value> = fixture
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| get.is_empty() || get.split(',').any(|g| m["id"] == g))
            .map(|m| {
                let id = m["id"].as_str().unwrap();
                let mut m = m.clone();
                if let Some(s) = m["sum"].as_f64() {
                    m["sum"] = json!(self.moving(id, s * scale, count));
                }
                m
            })
            .collect();
        json!(out)
    }

    /// Counters (times, record and byte counts) advance per epoch; gauges stay.
    fn moving(&self, id: &str, value: f64, members: usize) -> f64 {
        let per_s = if id.ends_with("CPU.Time") {
            0.2e9
        } else if id.starts_with("numRecords") {
            2000.0
        } else if id.starts_with("numBytes") {
            42000.0
        } else if id.ends_with(".Time") || id.starts_with("accumulated") {
            10.0
        } else {
            return value;
        };
        value + self.epoch() * FETCHER.as_secs_f64() * per_s * members as f64
    }

    /// The sink's metric listing: the captured non-latency metrics, and the latency markers
    /// per subtask as Flink registers them (11 quantiles x 2 operators x parallelism).
    fn sink_listing(&self) -> Value {
        let listed = self.files["vertex-sink-metrics-list.json"].as_array().unwrap();
        let mut out: Vec<Value> =
            listed.iter().filter(|m| !m["id"].as_str().unwrap().starts_with("latency.")).cloned().collect();
        let template = listed.iter().find_map(|m| m["id"].as_str().filter(|i| i.starts_with("latency."))).unwrap();
        // latency.source_id.S.operator_id.O.operator_subtask_index.I.latency_Q
        let f: Vec<&str> = template.split('.').collect();
        let (src, op) = (f[2], f[4]);
        let ops = [op.to_string(), format!("{}0", &op[..op.len() - 1])];
        for i in 0..self.parallelism() {
            for o in &ops {
                for q in ["min", "max", "mean", "median", "stddev", "p75", "p90", "p95", "p98", "p99", "p999"] {
                    out.push(json!({"id": format!("latency.source_id.{src}.operator_id.{o}.operator_subtask_index.{i}.latency_{q}")}));
                }
            }
        }
        json!(out)
    }
}

/// The JobManager's REST server, or (`reporter`) TaskManager i's Prometheus reporter: each
/// reporter on a port of its own, as each TaskManager has its own.
async fn serve(fleet: Arc<Fleet>, reporter: Option<usize>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(handle(stream, fleet.clone(), reporter));
        }
    });
    format!("http://{addr}")
}

async fn handle(mut stream: TcpStream, fleet: Arc<Fleet>, reporter: Option<usize>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    loop {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end);
        let line = head.lines().next().unwrap_or("");
        if let Some(body) = reporter.and_then(|i| fleet.expositions.get(i)) {
            fleet.count("prometheus");
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            if stream.write_all(head.as_bytes()).await.is_err() || stream.write_all(body.as_bytes()).await.is_err() {
                return;
            }
            continue;
        }
        let (status, body) = if line.len() > MAX_REQUEST_LINE {
            fleet.refused.fetch_add(1, Ordering::Relaxed);
            (400, r#"{"errors":["An HTTP line is larger than 4096 bytes."]}"#.to_string())
        } else {
            let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let f = fleet.clone();
            tokio::task::spawn_blocking(move || f.answer(&target)).await.unwrap()
        };
        let reason = if status == 200 { "OK" } else { "Error" };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        if stream.write_all(head.as_bytes()).await.is_err() || stream.write_all(body.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn clk_tck() -> f64 {
    // SAFETY: sysconf has no preconditions.
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }) as f64
}

fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 =
        f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0.0) + f.get(12).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    ticks / clk_tck()
}

fn status_kib(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// The flinkscope process under the tmux pane's shell (a child, or deeper under FLEET_WRAP).
fn flinkscope_pid(socket: &str) -> Option<u32> {
    let out = Command::new("tmux")
        .args(["-L", socket, "display-message", "-p", "-t", "main", "#{pane_pid}"])
        .output()
        .ok()?;
    let shell: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    let mut todo = vec![shell];
    while let Some(pid) = todo.pop() {
        if std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "flinkscope") {
            return Some(pid);
        }
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        todo.extend(children.split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
    }
    None
}

/// How flinkscope reads the fleet's TaskManager metrics.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Flink REST only (aggregated endpoints).
    Rest,
    /// REST, and every TaskManager's reporter listed in the config.
    Reporters,
    /// REST, and Debian's Prometheus server scraping every reporter (every 10 s), asked
    /// through the `prometheus-server` source.
    Server,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Rest => "rest",
            Mode::Reporters => "rest+reporters",
            Mode::Server => "rest+prometheus-server",
        }
    }
}

/// A Prometheus server scraping `targets` (host:port per group), stopped when dropped.
struct PromServer {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for PromServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn prometheus_server(targets: &[Vec<String>; 2]) -> PromServer {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut yml = String::from("global:\n  scrape_interval: 10s\n  scrape_timeout: 5s\nscrape_configs:\n");
    for (job, t) in ["flink-baseline", "flink-variant"].iter().zip(targets) {
        let list: Vec<String> = t.iter().map(|a| format!("'{a}'")).collect();
        yml.push_str(&format!("  - job_name: {job}\n    static_configs:\n      - targets: [{}]\n", list.join(", ")));
    }
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, yml).unwrap();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("Debian's prometheus (apt-get install prometheus)");
    let url = format!("http://127.0.0.1:{port}");
    // Ready, and every target scraped once (the first samples are in).
    let deadline = Instant::now() + Duration::from_secs(120);
    let want = targets[0].len() + targets[1].len();
    while Instant::now() < deadline {
        let out = Command::new("curl")
            .args(["-sf", "--max-time", "5", &format!("{url}/api/v1/query?query=count(up==1)")])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let up = v["data"]["result"][0]["value"][1].as_str().and_then(|s| s.parse::<usize>().ok()).unwrap_or(0);
        if up == want {
            break;
        }
        std::thread::sleep(Duration::from_secs(2));
    }
    PromServer { child, url, _dir: dir }
}

fn run(n: usize, seconds: u64, mode: Mode, rt: &tokio::runtime::Runtime) {
    let reporters = mode != Mode::Rest;
    let fleets = [Arc::new(Fleet::new(n, reporters)), Arc::new(Fleet::new(n, reporters))];
    let urls: Vec<String> = fleets.iter().map(|f| rt.block_on(serve(f.clone(), None))).collect();
    let bin = concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/flinkscope");
    let mode_name = mode.name();
    let socket = format!("flinkscope-fleet-{}-{n}-{mode_name}", std::process::id());
    let log = std::env::temp_dir().join(format!("{socket}.log"));
    let reporter_urls: [Vec<String>; 2] = [0, 1].map(|g| {
        if reporters { (0..n).map(|i| rt.block_on(serve(fleets[g].clone(), Some(i)))).collect() } else { Vec::new() }
    });
    let server = (mode == Mode::Server).then(|| {
        prometheus_server(
            &reporter_urls.clone().map(|u| u.iter().map(|u| u.trim_start_matches("http://").to_string()).collect()),
        )
    });
    // A config file: 2,000 reporter URLs do not fit a tmux command.
    let config = std::env::temp_dir().join(format!("{socket}.toml"));
    let mut toml = String::new();
    for (g, group) in ["baseline", "variant"].iter().enumerate() {
        toml.push_str(&format!("[{group}]\nflink = \"{}\"\n", urls[g]));
        if let Some(p) = &server {
            toml.push_str(&format!(
            "[{group}.prometheus-server]\nurl = \"{}\"\nselector = '{{job=\"flink-{group}\"}}'\nscrape-interval = \"10s\"\n",
            p.url
        ));
        } else {
            let prom: Vec<String> = reporter_urls[g].iter().map(|u| format!("\"{u}/\"")).collect();
            toml.push_str(&format!("prometheus = [{}]\n", prom.join(", ")));
        }
    }
    std::fs::write(&config, toml).unwrap();
    let mode = mode_name;
    // FLEET_WRAP runs the binary under a profiler (e.g. `heaptrack -o /tmp/fleet`).
    let wrap = std::env::var("FLEET_WRAP").unwrap_or_default();
    let cmd =
        format!("{wrap} {bin} --interval 1s --config {} --log-file {}; sleep 600", config.display(), log.display());
    let tmux = |args: &[&str]| Command::new("tmux").arg("-L").arg(&socket).args(args).output().unwrap();
    tmux(&["new-session", "-d", "-s", "main", "-x", "200", "-y", "60", "sh", "-c", &cmd]);
    std::thread::sleep(Duration::from_secs(3));
    let Some(pid) = flinkscope_pid(&socket) else {
        println!("N = {n} ({mode}): flinkscope did not start");
        tmux(&["kill-server"]);
        return;
    };
    // Discovery and the listings are the first seconds' work: measured from here on.
    std::thread::sleep(Duration::from_secs(10));
    let counted = |f: &Fleet| f.counts.lock().unwrap().clone();
    let before: Vec<_> = fleets.iter().map(|f| counted(f)).collect();
    let (cpu0, t0) = (cpu_seconds(pid), Instant::now());
    std::thread::sleep(Duration::from_secs(seconds));
    let (cpu, wall) = (cpu_seconds(pid) - cpu0, t0.elapsed().as_secs_f64());
    let (rss, hwm) = (status_kib(pid, "VmRSS:"), status_kib(pid, "VmHWM:"));
    if let Some(p) = &server {
        println!(
            "N = {n:>4}, {mode}: the Prometheus server (2 x {n} targets every 10 s) holds {:.0} MiB",
            status_kib(p.child.id(), "VmRSS:") as f64 / 1024.0
        );
    }
    let after = counted(&fleets[1]);
    tmux(&["kill-server"]);
    let total: u64 = after.values().sum::<u64>() - before[1].values().sum::<u64>();
    let by_kind: Vec<String> = after
        .iter()
        .map(|(k, v)| (k, v - before[1].get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .map(|(k, v)| format!("{k} {:.1}", v as f64 / wall))
        .collect();
    println!(
        "N = {n:>4} TaskManagers/group, {mode} ({} subtasks/vertex): {:.1} requests per tick per group ({}); refused as too long: {}; \
         CPU {:.2}% of one core ({:.1} ms per 1 s tick); RSS {:.1} MiB after {:.0} s (peak {:.1} MiB)",
        2 * n,
        total as f64 / wall,
        by_kind.join(", "),
        fleets[1].refused.load(Ordering::Relaxed),
        cpu / wall * 100.0,
        cpu / wall * 1000.0,
        rss as f64 / 1024.0,
        wall + 13.0,
        hwm as f64 / 1024.0,
    );
}

/// One 200x60 frame with the per-TaskManager table (full screen, N rows per group).
fn frame(n: usize) {
    use flinkscope::app::{demo, keymap::Action};
    use flinkscope::model::{Group, MetricKey, TmRow};
    use flinkscope::sources::{SourceId, SourceKind};
    let t0 = Instant::now();
    let mut app = demo::app(t0, 600, false);
    for g in Group::BOTH {
        let mut b = demo::batch(g, t0 + Duration::from_secs(601), 601);
        b.taskmanagers = (0..n).map(|i| format!("container_e42_1733000000000_0001_01_{i:06}")).collect();
        b.per_tm = b
            .taskmanagers
            .iter()
            .enumerate()
            .map(|(i, id)| TmRow {
                id: id.clone(),
                values: vec![
                    (MetricKey::CpuCores, Some(0.2 + (i % 7) as f64 * 0.01)),
                    (MetricKey::HeapUsedBytes, Some(7e7)),
                    (MetricKey::RecordsInPerS, Some(2000.0)),
                    (MetricKey::InPoolUsage, Some(0.1)),
                ],
            })
            .collect();
        app.on_sample(SourceId { group: g, kind: SourceKind::FlinkRest }, Ok(b), t0 + Duration::from_secs(601));
    }
    app.act(Action::Open);
    let theme = flinkscope::ui::Theme::default();
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 60)).unwrap();
    for _ in 0..5 {
        terminal.draw(|f| flinkscope::ui::render(f, &app, &theme)).unwrap();
    }
    let runs = 50;
    let start = Instant::now();
    for _ in 0..runs {
        terminal.draw(|f| flinkscope::ui::render(f, &app, &theme)).unwrap();
    }
    println!(
        "N = {n:>4}: a 200x60 frame with the per-TaskManager table takes {:.2} ms",
        start.elapsed().as_secs_f64() * 1000.0 / runs as f64
    );
}

fn main() {
    let seconds: u64 = std::env::var("FLEET_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let sizes: Vec<usize> = std::env::var("FLEET_SIZES")
        .ok()
        .map_or_else(|| vec![10, 100, 1000], |s| s.split(',').filter_map(|x| x.parse().ok()).collect());
    for &n in &sizes {
        frame(n);
    }
    if !std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/flinkscope")).exists() {
        println!("whole program: skipped (cargo build --release first)");
        return;
    }
    let modes = std::env::var("FLEET_MODES").unwrap_or_else(|_| "rest,reporters,server".into());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    for mode in modes.split(',') {
        let mode = match mode {
            "rest" => Mode::Rest,
            "reporters" => Mode::Reporters,
            "server" => Mode::Server,
            other => panic!("FLEET_MODES: {other}? (rest, reporters, server)"),
        };
        for &n in &sizes {
            run(n, seconds, mode, &rt);
        }
    }
}
