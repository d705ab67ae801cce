//! A deterministic app filled with synthetic samples: for UI snapshots, app tests and the
//! frame benchmark (no network, no clock).

use std::time::{Duration, Instant};

use super::App;
use crate::config::{Config, GroupConfig, RestUrl, Settings};
use crate::model::{Batch, Counter, Group, JobStatus, MetricKey, TmRow};
use crate::sources::{SourceError, SourceId, SourceKind};

pub fn config() -> Config {
    Config {
        settings: Settings::default(),
        baseline: GroupConfig::new(RestUrl::new("http://127.0.0.1:8081").expect("valid")),
        variant: GroupConfig::new(RestUrl::new("http://127.0.0.1:8082").expect("valid")),
    }
}

#[cfg(test)]
/// A rollback section with one step per argv (steps named "step 1", ...), files in a
/// fresh temporary folder.
pub(crate) fn rollback_config(argvs: &[&str]) -> crate::config::rollback::RollbackConfig {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("flinkscope-demo-{}-{n}", std::process::id()));
    crate::config::rollback::RollbackConfig {
        audit_log: dir.join("audit.jsonl"),
        evidence_dir: dir.join("evidence"),
        lock_file: None,
        workdir: None,
        env: vec!["PATH".into()],
        grace: crate::config::Dur(Duration::from_secs(1)),
        auto: false,
        countdown: crate::config::Dur(Duration::from_secs(30)),
        recovery_deadline: crate::config::Dur(Duration::from_secs(600)),
        recovery_tolerance_pct: 20.0,
        steps: argvs
            .iter()
            .enumerate()
            .map(|(i, a)| crate::config::rollback::StepConfig {
                name: format!("step {}", i + 1),
                argv: a.split_whitespace().map(str::to_string).collect(),
                timeout: crate::config::Dur(Duration::from_secs(10)),
                continue_on_error: false,
            })
            .collect(),
    }
}

/// One synthetic refresh of group `g` at second `i`.
pub fn batch(g: Group, at: Instant, i: u64) -> Batch {
    let x = i as f64;
    let v = if g == Group::Variant { 1.0 } else { 0.0 };
    let wave = ((x / 7.0).sin() + 1.0) / 2.0; // 0..1, deterministic
    let tms: Vec<String> = (1..=2).map(|n| format!("tm-{}-{n}", if v > 0.0 { "var" } else { "base" })).collect();
    use MetricKey::*;
    let gauges = vec![
        (RecordsInPerS, Some(4000.0 - 300.0 * v + 50.0 * wave)),
        (RecordsOutPerS, Some(4000.0 - 300.0 * v + 40.0 * wave)),
        (BytesInPerS, Some(84_000.0 + 500.0 * wave)),
        (BytesOutPerS, Some(84_000.0 + 400.0 * wave)),
        (RemoteBytesInPerS, Some(42_000.0 + 200.0 * wave)),
        (LatencyP50Ms, Some(50.0 + 10.0 * v + 5.0 * wave)),
        (LatencyP95Ms, Some(97.0 + 20.0 * v)),
        (LatencyP99Ms, Some(118.0 + 40.0 * v + 10.0 * wave)),
        (InPoolUsage, Some(0.1 + 0.2 * v * wave)),
        (OutPoolUsage, Some(0.08 + 0.1 * v)),
        (FloatingBuffersUsage, Some(0.05 * v)),
        (ExclusiveBuffersUsage, Some(0.02)),
        (NettyUsedSegments, Some(10.5 + v)),
        (NettyAvailableSegments, Some(2037.5 + 715.0 * v)),
        (RequestedMemoryUsage, Some(0.0)),
        (HeapUsedBytes, Some(70e6 + 10e6 * wave)),
        (DirectUsedBytes, Some(78e6 + 23e6 * v)),
        (BackpressuredMsPerS, Some(120.0 * v * wave)),
        (BusyMsPerS, Some(30.0 + 100.0 * v)),
        (IdleMsPerS, Some(970.0 - 100.0 * v)),
        (BackpressureLevel, Some(v)),
        (Restarts, Some(0.0 + if i > 40 { v } else { 0.0 })),
        (CheckpointsCompleted, Some((i / 10) as f64)),
        (CheckpointsFailed, Some(1.0)),
        (TaskManagers, Some(2.0)),
    ];
    let per_tm = tms
        .iter()
        .enumerate()
        .map(|(n, id)| TmRow {
            id: id.clone(),
            values: vec![
                (CpuCores, Some(0.07 + 0.01 * n as f64 + 0.02 * v)),
                (HeapUsedBytes, Some(60e6 + 5e6 * n as f64)),
                (RecordsInPerS, Some(2000.0 - 150.0 * v)),
                (InPoolUsage, Some(0.1 * n as f64)),
                (BackpressuredMsPerS, if n == 0 { Some(10.0 * v) } else { None }),
            ],
        })
        .collect();
    Batch {
        gauges,
        counters: vec![
            Counter { key: CpuCores, total: x * (0.07 + 0.02 * v) * 2e9, scale: 1e-9 / 2.0, coverage: 0 },
            Counter { key: GcMsPerS, total: x * 2.0, scale: 0.5, coverage: 0 },
        ],
        block_counters: vec![
            Counter { key: RecordsInPerS, total: x * (4000.0 - 300.0 * v) + 50.0 * wave, scale: 1.0, coverage: 0 },
            Counter { key: BusyMsPerS, total: x * (30.0 + 100.0 * v) * 4.0, scale: 0.25, coverage: 0 },
        ],
        exceptions: vec![],
        epoch: 1,
        taskmanagers: tms,
        job: Some(JobStatus {
            id: "49e9c17b1c0e9c703c716db89c62d948".into(),
            name: format!("flinkscope-lab-{}", g.as_str()),
            state: crate::model::JobState::Running,
        }),
        jobs: jobs(g, i),
        per_tm,
        flink_version: Some("2.3.0".into()),
        ..Batch::new(crate::model::SourceKind::FlinkRest, at, Duration::from_secs(2))
    }
}

/// The Job Health rows at second `i`: the lab's job in each group, and a second job on the
/// variant that backpressures and restarts once at 40 s.
fn jobs(g: Group, i: u64) -> Vec<crate::model::JobHealth> {
    use crate::model::{CheckpointHealth, JobHealth, JobState};
    let now = 1_796_300_000_000 + i as i64 * 1000;
    let row = |id: &str, name: &str, restarts: u64, bp: u8, records: f64| JobHealth {
        now_ms: Some(now),
        start_ms: Some(1_796_300_000_000 - 3_600_000),
        restarts: Some(restarts),
        checkpoints: Some(CheckpointHealth {
            completed: 360 + i / 10,
            failed: u64::from(bp) * u64::from(i > 60),
            last_ack_ms: Some(now - (i % 10) as i64 * 1000),
            last_duration_ms: Some(130),
            last_size_bytes: Some(19_960),
            restored_id: None,
        }),
        backpressure: Some(bp),
        records_in_per_s: Some(records),
        ..JobHealth::new(id, name, JobState::Running)
    };
    match g {
        Group::Baseline => vec![row("49e9c17b1c0e9c703c716db89c62d948", "flinkscope-lab-baseline", 0, 0, 4000.0)],
        Group::Variant => vec![
            row("59e9c17b1c0e9c703c716db89c62d948", "flinkscope-lab-variant", 0, 0, 3700.0),
            row("69e9c17b1c0e9c703c716db89c62d948", "flinkscope-lab-variant-2", u64::from(i > 40), 2, 500.0),
        ],
    }
}

/// An app that has watched both groups for `seconds`, with a refresh every 2 s.
/// `variant_failing` makes the variant's last poll fail (HTTP 502).
pub fn app(started: Instant, seconds: u64, variant_failing: bool) -> App {
    let mut app = App::new(&config(), started);
    for i in (0..=seconds).step_by(2) {
        let at = started + Duration::from_secs(i);
        for g in Group::BOTH {
            let id = SourceId { group: g, kind: SourceKind::FlinkRest };
            if g == Group::Variant && variant_failing && i + 6 >= seconds {
                let err = SourceError::Status { status: 502, path: "/taskmanagers".into(), body: "Bad Gateway".into() };
                app.on_sample(id, Err(err), at);
            } else {
                app.on_sample(id, Ok(batch(g, at, i)), at);
            }
        }
    }
    app
}

#[cfg(test)]
/// Adds this host's figures (both groups' TaskManagers running here), formed by the host
/// source's own assignment from synthetic readings.
pub(crate) fn add_host(app: &mut App, started: Instant, seconds: u64) {
    use crate::sources::host::assign::{self, HostSample, Known, Members};
    use crate::sources::host::counters::{CpuTicks, HostCounters, NicTotals};
    use crate::sources::host::processes::TmProcess;
    let members = [
        Members {
            pattern: None,
            known: Known { ids: vec!["tm-base-1".into(), "tm-base-2".into()], data_ports: vec![] },
        },
        Members { pattern: None, known: Known { ids: vec!["tm-var-1".into(), "tm-var-2".into()], data_ports: vec![] } },
    ];
    for i in 0..=seconds {
        let x = i as f64;
        let process = |pid: i32, id: &str, cores: f64| TmProcess {
            pid,
            resource_id: Some(id.into()),
            cpu_ticks: (x * cores * 100.0) as u64,
            rss_bytes: (380 << 20) + (pid as u64) * (4 << 20),
            threads: 69 + pid as u64 % 2,
            open_files: 90,
            tcp_connections: 4,
            data_connections: Some(2),
            listen_ports: vec![],
        };
        let sample = HostSample {
            at: started + Duration::from_secs(i),
            processes: vec![
                process(11, "tm-base-1", 0.07),
                process(12, "tm-base-2", 0.08),
                process(21, "tm-var-1", 0.09),
                process(22, "tm-var-2", 0.10),
            ],
            host: HostCounters {
                nic: NicTotals { rx_bytes: i * 360_000, tx_bytes: i * 360_000, interfaces: 2, ..NicTotals::default() },
                tcp_retrans_segs: Some(i / 20),
                tcp_timeouts: Some(0),
                listen_overflows: Some(0),
                cpu: CpuTicks {
                    busy: i * 80,
                    user: i * 60,
                    system: i * 15,
                    iowait: i,
                    softirq: i * 2,
                    steal: i * 3,
                    total: i * 200,
                    cpus: 2,
                },
            },
            ticks_per_s: 100.0,
            interfaces: vec![
                crate::model::InterfaceRate {
                    name: "lo".into(),
                    rx_bytes_per_s: 352_000.0,
                    tx_bytes_per_s: 352_000.0,
                    rx_packets_per_s: 410.0,
                    tx_packets_per_s: 410.0,
                    ..Default::default()
                },
                crate::model::InterfaceRate {
                    name: "eth0".into(),
                    rx_bytes_per_s: 8_100.0,
                    tx_bytes_per_s: 2_300.0,
                    rx_packets_per_s: 12.0,
                    tx_packets_per_s: 9.0,
                    drops_per_s: 0.5,
                    ..Default::default()
                },
            ],
        };
        for (g, b) in Group::BOTH.into_iter().zip(assign::batches(&sample, &members, Duration::from_secs(1))) {
            if let Some(b) = b {
                app.on_sample(SourceId { group: g, kind: SourceKind::Host }, Ok(b), sample.at);
            }
        }
    }
}
