//! Loopback HTTP servers for the tests: one that replays answers captured from a real Flink
//! 2.3.0 cluster (tests/fixtures/flink-2.3.0, see its README), and ones that misbehave.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub fn fixture(version: &str, name: &str) -> String {
    let path: PathBuf =
        [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", &format!("flink-{version}"), name].iter().collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// How a server behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Behaviour {
    /// Replays captured Flink answers; TaskManager CPU time moves every second, so the
    /// poller sees a metrics refresh each second.
    Flink,
    /// Accepts, reads the request, never answers.
    NeverAnswers,
    /// Sends headers, then one byte of body every 300 ms, forever.
    Trickles,
    /// 200 with bytes that are not JSON.
    Garbage,
    /// 502 with an HTML error page, as a proxy in front of a dead JobManager sends.
    Html502,
    /// 200 with a body of 2 MiB (tests set the cap to 1 MiB).
    Oversize,
    /// `[]` for everything.
    EmptyArray,
    /// A Flink PrometheusReporter: the captured TaskManager exposition.
    PrometheusReporter,
    /// 401 whose error quotes the request's Authorization header, as some proxies' error
    /// pages do: the credential comes back in text flinkscope shows and logs.
    EchoesCredentials,
    /// Every source kind's answers, with every character a terminal or a reader could be
    /// fooled by in the strings a server controls (`POISON`): Flink REST (job name and
    /// state, TaskManager ids, exception text, error bodies), a Prometheus exposition
    /// (`/metrics`: label values), Jolokia (`/jolokia`: its error) and a Prometheus server
    /// (`/api/v1/...`: its error).
    Poisoned,
    /// The captured Flink answers, but the job's detail (`/jobs/<id>`) cut mid-JSON.
    CutJson,
    /// 17 MiB of JSON (one long string) for every request: over the default 16 MiB cap.
    Huge,
    /// A Prometheus reporter whose exposition is 20 MB, sent at about 2 MB/s.
    SlowHugeReporter,
    /// Flink answers whose exception history has an entry from the year 3000, one from 1970,
    /// and one (now) of 10,000 lines whose OutOfMemoryError is on its last line.
    OddExceptions,
    /// The captured TaskManager exposition with sample timestamps from 1970 and the year 3000.
    FarTimestampsReporter,
}

/// Escape sequences (a title change, a screen clear, C1 CSI), bidi overrides and isolates,
/// zero-width and format characters, line and paragraph separators, the soft hyphen, the
/// Mongolian vowel separator, deprecated format controls, interlinear annotation and tag
/// characters: none may reach the screen or a file.
pub const POISON: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}\u{2066}\u{200b}\u{feff}\u{2028}\u{2029}\u{ad}\u{180e}\u{206a}\u{206f}\u{fff9}\u{fffb}\u{e0041}\u{e007f}\u{7}\u{0}";

/// The characters of `POISON` that must never be written: all but its printable ASCII
/// (the text of the escape sequences, checked as text: "pwned", "2J").
pub fn poison_chars() -> Vec<char> {
    POISON.chars().filter(|c| !c.is_ascii_graphic()).collect()
}

/// Starts a server on 127.0.0.1:0 and returns its base URL.
pub async fn serve(behaviour: Behaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let started = Instant::now();
    let fixtures = std::sync::Arc::new(Fixtures::load());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            tokio::spawn(handle(stream, behaviour, started, fixtures.clone()));
        }
    });
    format!("http://{addr}")
}

/// The captured answers, read once per server.
struct Fixtures {
    files: std::collections::HashMap<&'static str, String>,
    source_vertex: String,
}

impl Fixtures {
    fn load() -> Fixtures {
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
            "vertex-sink-latency-agg.json",
            "vertex-source-metrics-agg.json",
            "vertex-sink-metrics-agg.json",
            "prometheus-taskmanager.txt",
        ];
        let files: std::collections::HashMap<&'static str, String> =
            names.iter().map(|n| (*n, fixture("2.3.0", n))).collect();
        let job: serde_json::Value = serde_json::from_str(&files["job.json"]).unwrap();
        let source_vertex = job["vertices"][0]["id"].as_str().unwrap().to_string();
        Fixtures { files, source_vertex }
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

fn target_of(head: &str) -> String {
    head.lines().next().and_then(|l| l.split_whitespace().nth(1)).unwrap_or("/").to_string()
}

async fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
}

async fn handle(mut stream: TcpStream, behaviour: Behaviour, started: Instant, fixtures: std::sync::Arc<Fixtures>) {
    while let Some(head) = read_request(&mut stream).await {
        let target = target_of(&head);
        match behaviour {
            Behaviour::Flink => {
                let (status, body) = flink_answer(&target, started, &fixtures);
                respond(&mut stream, status, "application/json", body.as_bytes()).await;
            }
            Behaviour::NeverAnswers => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            Behaviour::Trickles => {
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
                    .await;
                loop {
                    if stream.write_all(b"[").await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            }
            Behaviour::Garbage => {
                respond(&mut stream, "200 OK", "application/json", b"\x00\x01{{garbage \x1b[31m not json").await;
            }
            Behaviour::Html502 => {
                let page =
                    b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";
                respond(&mut stream, "502 Bad Gateway", "text/html", page).await;
            }
            Behaviour::Oversize => {
                let body = vec![b' '; 2 << 20];
                respond(&mut stream, "200 OK", "application/json", &body).await;
            }
            Behaviour::EmptyArray => respond(&mut stream, "200 OK", "application/json", b"[]").await,
            Behaviour::PrometheusReporter => {
                let text = &fixtures.files["prometheus-taskmanager.txt"];
                respond(&mut stream, "200 OK", "text/plain; version=0.0.4", text.as_bytes()).await;
            }
            Behaviour::CutJson => {
                let (status, body) = flink_answer(&target, started, &fixtures);
                let parts: Vec<&str> = target.split('?').next().unwrap_or("").trim_matches('/').split('/').collect();
                let body = if parts.len() == 2 && parts[0] == "jobs" && parts[1] != "overview" {
                    body[..body.len() / 2].to_string()
                } else {
                    body
                };
                respond(&mut stream, status, "application/json", body.as_bytes()).await;
            }
            Behaviour::Huge => {
                let mut body = Vec::with_capacity(17 << 20);
                body.push(b'"');
                body.resize(17 << 20, b'x');
                body.push(b'"');
                respond(&mut stream, "200 OK", "application/json", &body).await;
            }
            Behaviour::SlowHugeReporter => {
                let line = b"flink_taskmanager_Status_JVM_CPU_Load{tm_id=\"tm_base_1\",host=\"h\"} 0.5\n";
                let total = 20_000_000 / line.len() * line.len();
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {total}\r\n\r\n"
                );
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk: Vec<u8> = line.iter().copied().cycle().take(line.len() * 1000).collect();
                let mut sent = 0;
                while sent < total {
                    let n = chunk.len().min(total - sent);
                    if stream.write_all(&chunk[..n]).await.is_err() {
                        return;
                    }
                    sent += n;
                    // ~2 MB/s
                    tokio::time::sleep(Duration::from_millis(n as u64 / 2000)).await;
                }
            }
            Behaviour::OddExceptions => {
                let (status, body) = if target.starts_with("/jobs/")
                    && target.split('?').next().unwrap_or("").ends_with("/exceptions")
                {
                    ("200 OK", odd_exceptions())
                } else {
                    flink_answer(&target, started, &fixtures)
                };
                respond(&mut stream, status, "application/json", body.as_bytes()).await;
            }
            Behaviour::FarTimestampsReporter => {
                let mut out = String::new();
                for (i, l) in fixtures.files["prometheus-taskmanager.txt"].lines().enumerate() {
                    out.push_str(l);
                    if !l.starts_with('#') && !l.is_empty() {
                        // Milliseconds: 1970-01-01 and 3000-01-01.
                        out.push_str(if i % 2 == 0 { " 1" } else { " 32503680000000" });
                    }
                    out.push('\n');
                }
                respond(&mut stream, "200 OK", "text/plain; version=0.0.4", out.as_bytes()).await;
            }
            Behaviour::Poisoned => {
                let (status, ctype, body) = poisoned_answer(&target, started, &fixtures);
                respond(&mut stream, status, ctype, body.as_bytes()).await;
            }
            Behaviour::EchoesCredentials => {
                let auth = head
                    .lines()
                    .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("authorization")))
                    .map_or("none", |(_, v)| v.trim());
                let body = serde_json::json!({ "errors": [format!("bad credentials {auth} for {target}")] });
                respond(&mut stream, "401 Unauthorized", "application/json", body.to_string().as_bytes()).await;
            }
        }
    }
}

/// Routes a request to the captured answer it would get from the real cluster.
fn flink_answer(target: &str, started: Instant, fixtures: &Fixtures) -> (&'static str, String) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let f = |name: &str| fixtures.files[name].clone();
    let source_vertex = &fixtures.source_vertex;
    let body = match parts.as_slice() {
        ["config"] => f("config.json"),
        ["jobmanager", "config"] => f("jobmanager-config.json"),
        ["taskmanagers"] => f("taskmanagers.json"),
        ["taskmanagers", "metrics"] if query.is_empty() => f("taskmanagers-metrics-list.json"),
        ["taskmanagers", "metrics"] => {
            let mut v: serde_json::Value = serde_json::from_str(&f("taskmanagers-metrics-agg.json")).unwrap();
            let secs = started.elapsed().as_secs() as f64;
            for m in v.as_array_mut().unwrap() {
                if m["id"] == "Status.JVM.CPU.Time" {
                    m["sum"] = serde_json::json!(4.286e10 + secs * 1e9);
                }
            }
            v.to_string()
        }
        ["taskmanagers", _id, "metrics"] => "[]".into(),
        ["jobs", "overview"] => f("jobs-overview.json"),
        ["jobs", _] => f("job.json"),
        ["jobs", _, "metrics"] => f("job-metrics.json"),
        ["jobs", _, "exceptions"] => f("job-exceptions.json"),
        ["jobs", _, "vertices", _] => f("vertex-sink.json"),
        ["jobs", _, "vertices", _, "backpressure"] => f("vertex-source-backpressure.json"),
        ["jobs", _, "vertices", v, "subtasks", "metrics"] if query.is_empty() => {
            if *v == source_vertex {
                "[]".into()
            } else {
                f("vertex-sink-metrics-list.json")
            }
        }
        ["jobs", _, "vertices", _, "subtasks", "metrics"] if query.contains("latency.") => {
            f("vertex-sink-latency-agg.json")
        }
        ["jobs", _, "vertices", v, "subtasks", "metrics"] => {
            if *v == source_vertex {
                f("vertex-source-metrics-agg.json")
            } else {
                f("vertex-sink-metrics-agg.json")
            }
        }
        _ => return ("404 Not Found", r#"{"errors":["Not found: /bad-request"]}"#.into()),
    };
    ("200 OK", body)
}

/// A string as it appears inside a JSON string literal.
fn json_inner(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap();
    quoted[1..quoted.len() - 1].to_string()
}

fn poisoned_answer(target: &str, started: Instant, fixtures: &Fixtures) -> (&'static str, &'static str, String) {
    let p = json_inner(POISON);
    if target.starts_with("/metrics") {
        let text = fixtures.files["prometheus-taskmanager.txt"]
            .replace("job_name=\"flinkscope_lab_baseline\"", &format!("job_name=\"lab{}\"", POISON.replace('"', "")))
            .replace("tm_id=\"tm_base_1\"", &format!("tm_id=\"tm_base_1{}\"", POISON.replace('"', "")));
        return ("200 OK", "text/plain; version=0.0.4", text);
    }
    if target.starts_with("/jolokia") {
        return (
            "500 Internal Server Error",
            "application/json",
            format!(r#"{{"error":"jolokia says {p}","status":500}}"#),
        );
    }
    if target.starts_with("/api/v1/") {
        let body = format!(r#"{{"status":"error","errorType":"bad_data","error":"prometheus says {p}"}}"#);
        return ("400 Bad Request", "application/json", body);
    }
    if target.starts_with("/jobs/") && target.split('?').next().unwrap_or("").ends_with("/exceptions") {
        let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
        let body = format!(
            r#"{{"exceptionHistory":{{"entries":[{{"exceptionName":"java.lang.RuntimeException{p}","stacktrace":"boom{p}\n\tat x","timestamp":{now_ms},"taskName":"task{p}","taskManagerId":"tm-base-1{p}","concurrentExceptions":[]}}],"truncated":false}}}}"#
        );
        return ("200 OK", "application/json", body);
    }
    let (status, body) = flink_answer(target, started, fixtures);
    let body = if status.starts_with("404") {
        format!(r#"{{"errors":["not here{p}"]}}"#)
    } else {
        body.replace("flinkscope-lab-baseline", &format!("poisoned-job{p}"))
            .replace("\"tm-base-1\"", &format!("\"tm-base-1{p}\""))
    };
    (status, "application/json", body)
}

fn odd_exceptions() -> String {
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    let mut long = String::from("java.lang.RuntimeException: deep");
    for i in 0..9_999 {
        long.push_str(&format!("\n\tat org.example.Frame{i}.call(Frame.java:{i})"));
    }
    long.push_str("\nCaused by: java.lang.OutOfMemoryError: Direct buffer memory");
    serde_json::json!({"exceptionHistory": {"entries": [
        {"exceptionName": "java.lang.RuntimeException", "stacktrace": long, "timestamp": now_ms as u64, "taskManagerId": "tm-base-1", "concurrentExceptions": []},
        {"exceptionName": "java.lang.IllegalStateException", "stacktrace": "from the future", "timestamp": 32503680000000u64, "taskManagerId": "tm-base-2", "concurrentExceptions": []},
        {"exceptionName": "java.lang.Error", "stacktrace": "from 1970", "timestamp": 1, "concurrentExceptions": []}
    ], "truncated": false}}).to_string()
}
