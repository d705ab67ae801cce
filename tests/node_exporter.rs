//! Debian's prometheus-node-exporter, started by the test on 127.0.0.1, as the only source
//! of each group: the Host panel's keys come from it (remote hosts' NIC, TCP and CPU).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BINARY: &str = "prometheus-node-exporter";

/// A node_exporter process, stopped when dropped.
struct NodeExporter {
    child: Child,
    url: String,
}

impl Drop for NodeExporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start() -> NodeExporter {
    let port = free_port();
    let child = Command::new(BINARY)
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{BINARY} must be installed (apt-get install prometheus-node-exporter; .ci/run does): {e}")
        });
    let url = format!("http://127.0.0.1:{port}/metrics");
    let ne = NodeExporter { child, url };
    // Wait for it to answer: a condition with a generous deadline, not a fixed sleep.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ok = Command::new("curl").args(["-sf", "-o", "/dev/null", "--max-time", "2", &ne.url]).status();
        if ok.is_ok_and(|s| s.success()) {
            return ne;
        }
        assert!(Instant::now() < deadline, "node_exporter did not answer on {}", ne.url);
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn node_exporter_alone_fills_the_host_panel() {
    let (a, b) = (start(), start());
    let log = std::env::temp_dir().join(format!("flinkscope-node-test-{}.log", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_flinkscope"))
        .args(["snapshot", "--duration", "8s", "--baseline-prometheus", &a.url, "--variant-prometheus", &b.url])
        .args(["--log-file", log.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    for g in ["baseline", "variant"] {
        let m = &doc["groups"][g]["metrics"];
        let last = |k: &str| m[k]["last"].as_f64().unwrap_or_else(|| panic!("{g}.{k} has no value: {}", m[k]));
        for k in
            ["nic_rx_bytes_per_s", "nic_tx_bytes_per_s", "tcp_retrans_per_s", "tcp_timeouts_per_s", "host_cpu_busy"]
        {
            assert!(last(k) >= 0.0, "{g}.{k}");
            assert_eq!(m[k]["source"], "prometheus", "{g}.{k}");
        }
        // node_exporter leaves out loopback, and this machine's NIC may be quiet: NIC rates
        // are only known to be rates. The CPU is never idle for a whole second here.
        let busy = last("host_cpu_busy");
        assert!(busy > 0.0 && busy <= 1.0, "{g}: busy fraction {busy}");
        assert!(m["records_in_per_s"]["last"].is_null(), "{g}: no Flink metrics from node_exporter");
        assert!(m["nic_rx_bytes_per_s"]["samples"].as_u64().unwrap() >= 4, "{}", m["nic_rx_bytes_per_s"]);
    }
    let states: Vec<&str> = doc["sources"].as_array().unwrap().iter().map(|s| s["state"].as_str().unwrap()).collect();
    assert!(states.iter().all(|s| *s == "live"), "{states:?}");
}
