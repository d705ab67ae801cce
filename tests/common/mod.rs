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
    let text = String::from_utf8_lossy(&buf).into_owned();
    text.lines().next().and_then(|l| l.split_whitespace().nth(1)).map(str::to_string)
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
    while let Some(target) = read_request(&mut stream).await {
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
                respond(&mut stream, "200 OK", "application/json", b"\x00\x01{{garbage \x1b[31m not json").await
            }
            Behaviour::Html502 => {
                let page =
                    b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";
                respond(&mut stream, "502 Bad Gateway", "text/html", page).await
            }
            Behaviour::Oversize => {
                let body = vec![b' '; 2 << 20];
                respond(&mut stream, "200 OK", "application/json", &body).await
            }
            Behaviour::EmptyArray => respond(&mut stream, "200 OK", "application/json", b"[]").await,
            Behaviour::PrometheusReporter => {
                let text = &fixtures.files["prometheus-taskmanager.txt"];
                respond(&mut stream, "200 OK", "text/plain; version=0.0.4", text.as_bytes()).await
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
