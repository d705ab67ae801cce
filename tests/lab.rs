//! Against the real Flink lab (`scripts/lab.sh up --pair --mixed`, started once by
//! scripts/test.sh): `flinkscope snapshot` in pair mode and in split mode.
//! A lab that cannot be reached is a failure, never a silent pass.
//! FLINKSCOPE_LAB_FLINK names the Flink version the lab runs (default 2.3.0).

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

mod keys;

const BASELINE: &str = "http://127.0.0.1:8081";
const VARIANT: &str = "http://127.0.0.1:8082";
const MIXED: &str = "http://127.0.0.1:8083";

fn expected_version() -> String {
    std::env::var("FLINKSCOPE_LAB_FLINK").unwrap_or_else(|_| "2.3.0".into())
}

/// Waits (generously) until the cluster's REST API answers and a job runs; panics with a
/// clear message otherwise.
fn require_lab(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last = String::new();
    while Instant::now() < deadline {
        match Command::new("curl").args(["-sf", "--max-time", "3", &format!("{url}/jobs/overview")]).output() {
            Ok(out) if out.status.success() => {
                let body = String::from_utf8_lossy(&out.stdout).to_string();
                if body.contains("\"RUNNING\"") {
                    return;
                }
                last = body;
            }
            Ok(out) => last = format!("curl exit {:?}", out.status.code()),
            Err(e) => panic!("curl is needed for the lab tests: {e}"),
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    panic!(
        "the Flink lab does not answer at {url} with a running job ({last}); start it with scripts/lab.sh up --pair --mixed"
    );
}

fn snapshot(args: &[&str], seconds: u64) -> Value {
    let log = std::env::temp_dir().join(format!("flinkscope-lab-test-{}.log", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_flinkscope"))
        .arg("snapshot")
        .args(["--duration", &format!("{seconds}s")])
        .args(args)
        .args(["--log-file", log.to_str().unwrap()])
        .output()
        .expect("running flinkscope");
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

const PRESENT_KEYS: &[&str] = &[
    // buffers
    "in_pool_usage",
    "out_pool_usage",
    "floating_buffers_usage",
    "exclusive_buffers_usage",
    "netty_used_segments",
    "netty_available_segments",
    "requested_memory_usage_pct",
    // CPU and memory
    "cpu_cores",
    "heap_used_bytes",
    "direct_used_bytes",
    "gc_ms_per_s",
    // backpressure
    "backpressured_ms_per_s",
    "busy_ms_per_s",
    "idle_ms_per_s",
    "backpressure_level",
    // health
    "restarts",
    "checkpoints_failed",
    "taskmanagers",
];

fn check_group(doc: &Value, group: &str, tm_prefix: &str) {
    let g = &doc["groups"][group];
    let tms: Vec<&str> = g["taskmanagers"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(tms.len(), 2, "{group}: {tms:?}");
    assert!(tms.iter().all(|t| t.starts_with(tm_prefix)), "{group}: {tms:?}");
    assert_eq!(g["flink_version"], expected_version().as_str());
    assert!(g["job_state"].as_str().unwrap().starts_with("RUNNING"), "{group}: {}", g["job_state"]);
    let m = &g["metrics"];
    for key in ["records_in_per_s", "records_out_per_s", "bytes_out_per_s"] {
        let last = m[key]["last"].as_f64().unwrap_or_else(|| panic!("{group}.{key} has no value: {}", m[key]));
        assert!(last > 0.0, "{group}.{key} = {last}");
    }
    for key in PRESENT_KEYS {
        assert!(m[*key]["last"].is_number(), "{group}.{key} has no value: {}", m[*key]);
        assert!(m[*key]["samples"].as_u64().unwrap() >= 1, "{group}.{key}");
    }
    for key in ["restarts", "checkpoints_failed"] {
        assert!(m[key]["delta"].is_number(), "{group}.{key} has a delta: {}", m[key]);
    }
    // Repeats of Flink's metric store are not samples: with a 2 s fetcher interval, a 25 s
    // snapshot polled every second holds clearly fewer samples than polls.
    let n = m["records_in_per_s"]["samples"].as_u64().unwrap();
    assert!((4..=20).contains(&n), "{group}: {n} samples");
}

fn check_sources_live(doc: &Value) {
    for s in doc["sources"].as_array().unwrap() {
        assert_eq!(s["state"], "live", "{s}");
        assert!(s["error"].is_null(), "{s}");
    }
    assert!(doc["window_s"].as_f64().unwrap() >= 20.0);
    assert_eq!(doc["version"], 1);
    let change = &doc["comparison"]["records_in_per_s"]["change_pct"];
    assert!(change.is_number(), "both groups move records: {change}");
}

#[test]
fn lab_pair_mode_snapshot() {
    require_lab(BASELINE);
    require_lab(VARIANT);
    let doc = snapshot(&["--baseline", BASELINE, "--variant", VARIANT], 25);
    check_sources_live(&doc);
    check_group(&doc, "baseline", "tm-base-");
    check_group(&doc, "variant", "tm-var-");
    // Latency markers are on in the lab.
    for g in ["baseline", "variant"] {
        assert!(doc["groups"][g]["metrics"]["latency_p99_ms"]["last"].is_number(), "{g} latency");
    }
    check_host(&doc);
}

/// The lab's TaskManagers run on this host: the host source finds each group's two JVMs
/// (by REST's data ports, though the mixed cluster has TaskManagers of the same ids) and
/// reads the shuffle's traffic on loopback.
fn check_host(doc: &Value) {
    let names: Vec<&str> = doc["sources"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"baseline/host") && names.contains(&"variant/host"), "{names:?}");
    for g in ["baseline", "variant"] {
        let m = &doc["groups"][g]["metrics"];
        let last = |k: &str| m[k]["last"].as_f64().unwrap_or_else(|| panic!("{g}.{k} has no value: {}", m[k]));
        for k in ["process_cpu_cores", "process_rss_bytes", "process_threads", "nic_rx_bytes_per_s", "host_cpu_busy"] {
            assert!(last(k) > 0.0, "{g}.{k} = {}", last(k));
            assert_eq!(m[k]["source"], "host", "{g}.{k}");
        }
        // A TaskManager JVM of 1 GiB process size: RSS between 100 MiB and 1.5 GiB.
        assert!((100e6..1.6e9).contains(&last("process_rss_bytes")), "{g} RSS {}", last("process_rss_bytes"));
        assert!(last("process_threads") >= 20.0, "{g} threads");
        assert!(last("process_tcp_connections") >= 1.0, "{g}: the JVM holds connections");
        // The shuffle between the group's two TaskManagers runs over their Netty data ports.
        assert!(last("process_data_connections") >= 1.0, "{g}: data connections");
        assert!(m["tcp_retrans_per_s"]["last"].is_number() && m["tcp_timeouts_per_s"]["last"].is_number());
    }
}

#[test]
fn lab_prometheus_reporters_with_rest() {
    require_lab(BASELINE);
    require_lab(VARIANT);
    let args = [
        "--baseline",
        BASELINE,
        "--variant",
        VARIANT,
        "--baseline-prometheus",
        "http://127.0.0.1:9251/",
        "--baseline-prometheus",
        "http://127.0.0.1:9252/",
        "--baseline-prometheus",
        "http://127.0.0.1:9250/",
        "--variant-prometheus",
        "http://127.0.0.1:9261/",
        "--variant-prometheus",
        "http://127.0.0.1:9262/",
        "--variant-prometheus",
        "http://127.0.0.1:9260/",
    ];
    let doc = snapshot(&args, 20);
    check_sources_live(&doc);
    let names: Vec<&str> = doc["sources"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"baseline/prometheus") && names.contains(&"variant/prometheus"), "{names:?}");
    for g in ["baseline", "variant"] {
        let m = &doc["groups"][g]["metrics"];
        for key in ["records_in_per_s", "in_pool_usage", "busy_ms_per_s", "heap_used_bytes", "netty_used_segments"] {
            assert_eq!(m[key]["source"], "prometheus", "{g}.{key}: {}", m[key]);
            assert!(m[key]["last"].is_number(), "{g}.{key}");
        }
        assert!(m["records_in_per_s"]["last"].as_f64().unwrap() > 0.0);
        // The reporter answers live: many more samples than REST refreshes in 20 s.
        assert!(m["records_in_per_s"]["samples"].as_u64().unwrap() >= 12, "{}", m["records_in_per_s"]);
        assert_eq!(m["backpressure_level"]["source"], "flink-rest");
    }
}

/// A snapshot of both groups watched through one source kind alone: its flag once per
/// (port, URL path), for the baseline's and the variant's JVMs.
fn snapshot_of_one_kind(flags: [&str; 2], ports: [[u16; 3]; 2], path: &str) -> Value {
    let mut args = Vec::new();
    for (flag, ports) in flags.into_iter().zip(ports) {
        for p in ports {
            args.push(flag.to_string());
            args.push(format!("http://127.0.0.1:{p}{path}"));
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    snapshot(&args, 20)
}

/// Every key the snapshot format promises (issue 2) comes from `kind` alone, for two
/// TaskManagers per group whose ids start with the prefixes given.
fn check_one_kind(doc: &Value, kind: &str, prefixes: [&str; 2]) {
    check_sources_live(doc);
    let names: Vec<&str> = doc["sources"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(!names.iter().any(|n| n.ends_with("flink-rest")), "no REST source runs: {names:?}");
    for (g, prefix) in ["baseline", "variant"].into_iter().zip(prefixes) {
        assert!(names.contains(&format!("{g}/{kind}").as_str()), "{names:?}");
        let group = &doc["groups"][g];
        assert!(group["flink"].is_null(), "{g}: no REST URL");
        let tms: Vec<&str> = group["taskmanagers"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert!(tms.len() == 2 && tms.iter().all(|t| t.starts_with(prefix)), "{g}: {tms:?}");
        let m = &group["metrics"];
        for key in keys::REQUIRED {
            assert!(m[*key]["last"].is_number(), "{g}.{key} has no value: {}", m[*key]);
            assert_eq!(m[*key]["source"], kind, "{g}.{key}");
        }
        assert!(m["records_in_per_s"]["last"].as_f64().unwrap() > 0.0);
        assert_eq!(m["taskmanagers"]["last"].as_f64(), Some(2.0));
        // Live at every poll: many more samples than REST refreshes in 20 s.
        assert!(m["records_in_per_s"]["samples"].as_u64().unwrap() >= 12, "{g}: {}", m["records_in_per_s"]);
    }
}

#[test]
fn lab_prometheus_only_snapshot() {
    require_lab(BASELINE);
    require_lab(VARIANT);
    let doc = snapshot_of_one_kind(
        ["--baseline-prometheus", "--variant-prometheus"],
        [[9250, 9251, 9252], [9260, 9261, 9262]],
        "/",
    );
    // Flink's reporter sanitises the ids.
    check_one_kind(&doc, "prometheus", ["tm_base_", "tm_var_"]);
}

/// Jolokia agents on every JVM of the pair clusters (scripts/lab/JolokiaAgent.java with
/// Debian's jolokia-core; Flink's JMX reporter): the groups watched over JMX alone.
#[test]
fn lab_jolokia_only_snapshot() {
    require_lab(BASELINE);
    require_lab(VARIANT);
    let doc = snapshot_of_one_kind(
        ["--baseline-jolokia", "--variant-jolokia"],
        [[7780, 7781, 7782], [7790, 7791, 7792]],
        "/jolokia",
    );
    check_one_kind(&doc, "jolokia", ["tm-base-", "tm-var-"]);
}

#[test]
fn lab_split_mode_snapshot() {
    require_lab(MIXED);
    let doc = snapshot(&["--flink", MIXED, "--baseline-tm", "^tm-base", "--variant-tm", "^tm-var"], 25);
    check_sources_live(&doc);
    check_host(&doc);
    check_group(&doc, "baseline", "tm-base-");
    check_group(&doc, "variant", "tm-var-");
}
