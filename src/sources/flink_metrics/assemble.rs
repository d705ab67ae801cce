//! Pure assembly of one group's figures from Flink's answers.
//!
//! Group figures: throughput is the sum over the group's subtasks; usage gauges are the
//! mean over the group's TaskManagers or subtasks; latency is the worst marker pair.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::AggMetric;
use super::names::*;
use crate::model::{Counter, JobState, MetricKey};

/// One vertex's answers, restricted to the group's subtasks.
#[derive(Debug, Clone)]
pub(crate) struct VertexAnswers {
    /// How many of the group's subtasks the aggregates cover.
    pub(crate) subtasks: usize,
    pub(crate) metrics: Vec<AggMetric>,
    /// `agg=max` answers for latency-marker ids.
    pub(crate) latency: Vec<AggMetric>,
    /// 0 ok, 1 low, 2 high.
    pub(crate) backpressure: Option<u8>,
    /// It reads from another vertex (has input gates) / another reads from it (has result
    /// partitions): a source's in-pool and a sink's out-pool usage are always 0 and must not
    /// dilute the group's figure.
    pub(crate) has_inputs: bool,
    pub(crate) has_outputs: bool,
}

impl Default for VertexAnswers {
    /// Without the job graph a vertex counts for both.
    fn default() -> Self {
        VertexAnswers {
            subtasks: 0,
            metrics: Vec::new(),
            latency: Vec::new(),
            backpressure: None,
            has_inputs: true,
            has_outputs: true,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct GroupAnswers {
    pub(crate) taskmanagers: Vec<String>,
    /// TaskManager-scope aggregates over the group's TaskManagers (batches merged).
    pub(crate) tm_metrics: Vec<AggMetric>,
    /// Ids of the GC time counters to add up (`All.Time`, or one per collector on versions without it).
    pub(crate) gc_time_ids: Vec<String>,
    pub(crate) vertices: Vec<VertexAnswers>,
    /// Sums over the group's jobs of numRestarts, numberOfCompletedCheckpoints, numberOfFailedCheckpoints.
    pub(crate) restarts: Option<f64>,
    pub(crate) checkpoints_completed: Option<f64>,
    pub(crate) checkpoints_failed: Option<f64>,
    /// Whether a job runs at all: without one, task metrics are "no data".
    pub(crate) has_job: bool,
}

fn find<'a>(aggs: &'a [AggMetric], id: &str) -> Option<&'a AggMetric> {
    aggs.iter().find(|m| m.id == id)
}

/// Merges `agg=` answers of several TaskManager batches: sums add, maxima take the max.
pub(crate) fn merge_batches(batches: Vec<Vec<AggMetric>>) -> Vec<AggMetric> {
    let mut merged: BTreeMap<String, AggMetric> = BTreeMap::new();
    for m in batches.into_iter().flatten() {
        match merged.get_mut(&m.id) {
            None => {
                merged.insert(m.id.clone(), m);
            }
            Some(e) => {
                e.sum = add(e.sum, m.sum);
                e.max = match (e.max, m.max) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                e.min = match (e.min, m.min) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                e.avg = None; // not mergeable without counts; use sum / n
                e.count = add(e.count, m.count);
            }
        }
    }
    merged.into_values().collect()
}

fn add(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x + y),
        (x, y) => x.or(y),
    }
}

/// Sum over the group's subtasks of a task metric, over all vertices that report it.
fn task_sum(a: &GroupAnswers, id: &str) -> Option<f64> {
    if !a.has_job {
        return None;
    }
    a.vertices.iter().filter_map(|v| find(&v.metrics, id).and_then(|m| m.sum)).reduce(|x, y| x + y)
}

/// Mean over the group's subtasks of a task metric (subtask-weighted across vertices).
fn task_mean(a: &GroupAnswers, id: &str) -> Option<f64> {
    task_mean_of(a, id, |_| true)
}

/// The mean over the subtasks of the vertices `which` chooses.
fn task_mean_of(a: &GroupAnswers, id: &str, which: impl Fn(&VertexAnswers) -> bool) -> Option<f64> {
    if !a.has_job {
        return None;
    }
    let (sum, n) = a
        .vertices
        .iter()
        .filter(|v| which(v))
        .filter_map(|v| find(&v.metrics, id).and_then(|m| m.sum).map(|s| (s, v.subtasks)))
        .fold((0.0, 0usize), |(s, n), (vs, vn)| (s + vs, n + vn));
    (n > 0).then(|| sum / n as f64)
}

/// Mean over the group's TaskManagers of a TaskManager metric.
fn tm_mean(a: &GroupAnswers, id: &str) -> Option<f64> {
    let n = a.taskmanagers.len();
    if n == 0 {
        return None;
    }
    find(&a.tm_metrics, id).and_then(|m| m.sum).map(|s| s / n as f64)
}

/// The worst (highest) value over all latency-marker pairs for one quantile suffix.
fn worst_latency(a: &GroupAnswers, suffix: &str) -> Option<f64> {
    a.vertices
        .iter()
        .flat_map(|v| v.latency.iter())
        .filter(|m| m.id.ends_with(suffix))
        .filter_map(|m| m.max)
        .filter(|v| v.is_finite())
        .reduce(f64::max)
}

pub(crate) fn gauges(a: &GroupAnswers) -> Vec<(MetricKey, Option<f64>)> {
    use MetricKey::*;
    vec![
        (RecordsInPerS, task_sum(a, TASK_RECORDS_IN)),
        (RecordsOutPerS, task_sum(a, TASK_RECORDS_OUT)),
        (BytesInPerS, task_sum(a, TASK_BYTES_IN)),
        (BytesOutPerS, task_sum(a, TASK_BYTES_OUT)),
        (RemoteBytesInPerS, task_sum(a, TASK_REMOTE_BYTES_IN)),
        (LatencyP50Ms, worst_latency(a, ".latency_median")),
        (LatencyP95Ms, worst_latency(a, ".latency_p95")),
        (LatencyP99Ms, worst_latency(a, ".latency_p99")),
        // Input buffers over the subtasks that have input gates, output buffers over those
        // with result partitions.
        (InPoolUsage, task_mean_of(a, TASK_IN_POOL, |v| v.has_inputs)),
        (OutPoolUsage, task_mean_of(a, TASK_OUT_POOL, |v| v.has_outputs)),
        (FloatingBuffersUsage, task_mean_of(a, TASK_FLOATING, |v| v.has_inputs)),
        (ExclusiveBuffersUsage, task_mean_of(a, TASK_EXCLUSIVE, |v| v.has_inputs)),
        (NettyUsedSegments, tm_mean(a, TM_NETTY_USED)),
        (NettyAvailableSegments, tm_mean(a, TM_NETTY_AVAILABLE)),
        (RequestedMemoryUsage, tm_mean(a, TM_REQUESTED_MEMORY)),
        (HeapUsedBytes, tm_mean(a, TM_HEAP_USED)),
        (DirectUsedBytes, tm_mean(a, TM_DIRECT_USED)),
        (BackpressuredMsPerS, task_mean(a, TASK_BACKPRESSURED)),
        (BusyMsPerS, task_mean(a, TASK_BUSY)),
        (IdleMsPerS, task_mean(a, TASK_IDLE)),
        (
            BackpressureLevel,
            if a.has_job { a.vertices.iter().filter_map(|v| v.backpressure).max().map(f64::from) } else { None },
        ),
        (Restarts, a.restarts),
        (CheckpointsCompleted, a.checkpoints_completed),
        (CheckpointsFailed, a.checkpoints_failed),
        (TaskManagers, Some(a.taskmanagers.len() as f64)),
    ]
}

/// Cumulative counters summed over the group, with the scale that makes their rate a
/// per-TaskManager figure: CPU nanoseconds -> cores, GC milliseconds -> ms per second.
pub(crate) fn counters(a: &GroupAnswers) -> Vec<Counter> {
    let n = a.taskmanagers.len();
    if n == 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(m) = find(&a.tm_metrics, TM_CPU_TIME)
        && let Some(cpu) = m.sum
    {
        let coverage = m.count.unwrap_or(0.0) as u64;
        out.push(Counter { key: MetricKey::CpuCores, total: cpu, scale: 1e-9 / n as f64, coverage });
    }
    let gc: Option<f64> =
        a.gc_time_ids.iter().filter_map(|id| find(&a.tm_metrics, id).and_then(|m| m.sum)).reduce(|x, y| x + y);
    if let Some(gc) = gc {
        let coverage =
            a.gc_time_ids.iter().filter_map(|id| find(&a.tm_metrics, id).and_then(|m| m.count)).sum::<f64>() as u64;
        out.push(Counter { key: MetricKey::GcMsPerS, total: gc, scale: 1.0 / n as f64, coverage });
    }
    out
}

/// Task counters for the block statistics: records and bytes summed over the group's
/// subtasks; busy/idle/backpressured milliseconds as the mean per subtask.
pub(crate) fn block_counters(a: &GroupAnswers) -> Vec<Counter> {
    if !a.has_job {
        return Vec::new();
    }
    // (total, subtasks, coverage): coverage tells which vertices and how many subtasks
    // reported, so that a total missing a part is not compared with a whole one.
    let sum_and_n = |id: &str| -> Option<(f64, usize, u64)> {
        a.vertices
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let m = find(&v.metrics, id)?;
                let cov = (1u64 << (i % 32)) | ((m.count.unwrap_or(v.subtasks as f64) as u64) << 32);
                m.sum.map(|s| (s, v.subtasks, cov))
            })
            .reduce(|(s1, n1, c1), (s2, n2, c2)| (s1 + s2, n1 + n2, c1.wrapping_add(c2)))
    };
    let mut out = Vec::new();
    for (key, id) in [
        (MetricKey::RecordsInPerS, TASK_COUNTER_RECORDS_IN),
        (MetricKey::RecordsOutPerS, TASK_COUNTER_RECORDS_OUT),
        (MetricKey::BytesInPerS, TASK_COUNTER_BYTES_IN),
        (MetricKey::BytesOutPerS, TASK_COUNTER_BYTES_OUT),
        (MetricKey::RemoteBytesInPerS, TASK_COUNTER_REMOTE_BYTES_IN),
    ] {
        if let Some((total, _, coverage)) = sum_and_n(id) {
            out.push(Counter { key, total, scale: 1.0, coverage });
        }
    }
    for (key, id) in [
        (MetricKey::BackpressuredMsPerS, TASK_COUNTER_BACKPRESSURED),
        (MetricKey::BusyMsPerS, TASK_COUNTER_BUSY),
        (MetricKey::IdleMsPerS, TASK_COUNTER_IDLE),
    ] {
        if let Some((total, n, coverage)) = sum_and_n(id).filter(|(_, n, _)| *n > 0) {
            out.push(Counter { key, total, scale: 1.0 / n as f64, coverage });
        }
    }
    out
}

/// GC time counters to read: `All.Time` where Flink has it, else each collector's `.Time`.
pub(crate) fn gc_time_ids(available: &[String]) -> Vec<String> {
    if available.iter().any(|id| id == TM_GC_ALL_TIME) {
        return vec![TM_GC_ALL_TIME.to_string()];
    }
    available
        .iter()
        .filter(|id| id.starts_with("Status.JVM.GarbageCollector.") && id.ends_with(".Time"))
        .cloned()
        .collect()
}

/// Identity of a set of TaskManagers (order-independent), for counter epochs.
pub(crate) fn epoch(taskmanagers: &[String]) -> u64 {
    let mut ids: Vec<&String> = taskmanagers.iter().collect();
    ids.sort();
    let mut h = DefaultHasher::new();
    ids.hash(&mut h);
    h.finish()
}

/// A job's state as the operator needs it: Flink says RUNNING for a minute while tasks
/// wait for slots, so the task states decide. `tasks` are (state, count) pairs.
pub(crate) fn job_state<'a>(job_state: &str, tasks: impl IntoIterator<Item = (&'a str, i64)>) -> JobState {
    let state = JobState::parse(job_state);
    if !state.is_running() {
        return state;
    }
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for (state, n) in tasks {
        if n > 0 {
            *counts.entry(state).or_default() += n;
        }
    }
    let total: i64 = counts.values().sum();
    let running = counts.get("RUNNING").copied().unwrap_or(0) + counts.get("FINISHED").copied().unwrap_or(0);
    if total == 0 || running == total {
        return JobState::Running;
    }
    let (worst, _) = counts
        .iter()
        .filter(|(s, _)| !matches!(**s, "RUNNING" | "FINISHED"))
        .max_by_key(|(_, n)| **n)
        .expect("not all tasks run, so another state exists");
    JobState::Starting { tasks: crate::sanitize::clean(worst), running, total }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::flink_rest::api;

    fn fixture(version: &str, name: &str) -> String {
        let path = format!("{}/tests/fixtures/flink-{version}/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn answers(version: &str) -> GroupAnswers {
        let tms: Vec<String> = api::parse_taskmanagers(&fixture(version, "taskmanagers.json"))
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        let available: Vec<String> = api::parse_metric_values(&fixture(version, "taskmanagers-metrics-list.json"))
            .unwrap()
            .into_iter()
            .map(|m| m.id)
            .collect();
        let job = api::parse_job(&fixture(version, "job.json")).unwrap();
        let parallelism = job.vertices[0].parallelism as usize;
        GroupAnswers {
            taskmanagers: tms,
            tm_metrics: api::parse_agg(&fixture(version, "taskmanagers-metrics-agg.json")).unwrap(),
            gc_time_ids: gc_time_ids(&available),
            vertices: vec![
                VertexAnswers {
                    subtasks: parallelism,
                    metrics: api::parse_agg(&fixture(version, "vertex-source-metrics-agg.json")).unwrap(),
                    latency: vec![],
                    backpressure: api::parse_backpressure_level(&fixture(version, "vertex-source-backpressure.json"))
                        .unwrap(),
                    has_inputs: job.exchanges(&job.vertices[0].id).0,
                    has_outputs: job.exchanges(&job.vertices[0].id).1,
                },
                VertexAnswers {
                    subtasks: parallelism,
                    metrics: api::parse_agg(&fixture(version, "vertex-sink-metrics-agg.json")).unwrap(),
                    latency: api::parse_agg(&fixture(version, "vertex-sink-latency-agg.json")).unwrap(),
                    backpressure: Some(0),
                    has_inputs: job.exchanges(&job.vertices[1].id).0,
                    has_outputs: job.exchanges(&job.vertices[1].id).1,
                },
            ],
            restarts: Some(0.0),
            checkpoints_completed: Some(3.0),
            checkpoints_failed: Some(1.0),
            has_job: true,
        }
    }

    fn check_real_answers(version: &str) {
        let a = answers(version);
        let g: BTreeMap<MetricKey, Option<f64>> = gauges(&a).into_iter().collect();
        for key in [
            MetricKey::RecordsInPerS,
            MetricKey::RecordsOutPerS,
            MetricKey::BytesOutPerS,
            MetricKey::InPoolUsage,
            MetricKey::OutPoolUsage,
            MetricKey::NettyUsedSegments,
            MetricKey::NettyAvailableSegments,
            MetricKey::HeapUsedBytes,
            MetricKey::BusyMsPerS,
            MetricKey::IdleMsPerS,
            MetricKey::LatencyP99Ms,
        ] {
            assert!(g[&key].is_some(), "{version}: {key:?} missing");
        }
        assert!(g[&MetricKey::RecordsOutPerS].unwrap() > 0.0, "{version}: the lab job moves records");
        assert_eq!(g[&MetricKey::TaskManagers], Some(2.0));
        // p50 <= p95 <= p99 per worst pair is not guaranteed across pairs, but p99 >= p50 is.
        assert!(g[&MetricKey::LatencyP99Ms].unwrap() >= g[&MetricKey::LatencyP50Ms].unwrap());
        let usage = g[&MetricKey::InPoolUsage].unwrap();
        assert!((0.0..=1.0).contains(&usage), "{usage}");
        let c = counters(&a);
        assert_eq!(c.len(), 2, "{version}: CPU and GC counters");
        assert!(c[0].total > 0.0);
        let b = block_counters(&a);
        assert_eq!(b.len(), 8, "{version}: every task counter: {b:?}");
        let busy = b.iter().find(|c| c.key == MetricKey::BusyMsPerS).unwrap();
        assert_eq!(busy.scale, 1.0 / 4.0, "mean over the 4 subtasks of 2 vertices");
    }

    /// The lab job is source -> keyed sink: in-pool usage is the sink's alone, out-pool the
    /// source's alone (each other vertex reports 0 and would halve the figure).
    #[test]
    fn pool_usage_is_the_mean_over_the_subtasks_that_have_the_buffers() {
        let a = answers("2.3.0");
        let metric = |v: &VertexAnswers, id: &str| find(&v.metrics, id).and_then(|m| m.sum).unwrap();
        let (source, sink) = (&a.vertices[0], &a.vertices[1]);
        assert_eq!(
            (source.has_inputs, source.has_outputs, sink.has_inputs, sink.has_outputs),
            (false, true, true, false)
        );
        let g: BTreeMap<MetricKey, Option<f64>> = gauges(&a).into_iter().collect();
        let want_out = metric(source, TASK_OUT_POOL) / source.subtasks as f64;
        let want_in = metric(sink, TASK_IN_POOL) / sink.subtasks as f64;
        assert!((g[&MetricKey::OutPoolUsage].unwrap() - want_out).abs() < 1e-12);
        assert!((g[&MetricKey::InPoolUsage].unwrap() - want_in).abs() < 1e-12);
        // Without a plan every vertex counts, as before.
        let mut all = a.clone();
        for v in &mut all.vertices {
            (v.has_inputs, v.has_outputs) = (true, true);
        }
        let diluted: BTreeMap<MetricKey, Option<f64>> = gauges(&all).into_iter().collect();
        let both = (metric(source, TASK_OUT_POOL) + metric(sink, TASK_OUT_POOL)) / 4.0;
        assert!((diluted[&MetricKey::OutPoolUsage].unwrap() - both).abs() < 1e-12);
    }

    #[test]
    fn real_flink_2_3_answers() {
        check_real_answers("2.3.0");
    }

    #[test]
    fn real_flink_1_20_answers() {
        check_real_answers("1.20.5");
    }

    #[test]
    fn no_job_means_no_data_not_zero() {
        let mut a = answers("2.3.0");
        a.has_job = false;
        let g: BTreeMap<MetricKey, Option<f64>> = gauges(&a).into_iter().collect();
        assert_eq!(g[&MetricKey::RecordsInPerS], None);
        assert_eq!(g[&MetricKey::BackpressuredMsPerS], None);
        assert!(g[&MetricKey::HeapUsedBytes].is_some(), "TaskManager figures stay");
    }

    #[test]
    fn sums_and_means_table() {
        let agg = |id: &str, sum: f64| AggMetric {
            id: id.into(),
            min: None,
            max: Some(sum),
            avg: None,
            sum: Some(sum),
            count: None,
        };
        let a = GroupAnswers {
            taskmanagers: vec!["a".into(), "b".into()],
            tm_metrics: vec![agg(TM_HEAP_USED, 300.0)],
            vertices: vec![
                VertexAnswers {
                    subtasks: 2,
                    metrics: vec![agg(TASK_RECORDS_OUT, 10.0), agg(TASK_IN_POOL, 1.0)],
                    ..Default::default()
                },
                VertexAnswers {
                    subtasks: 4,
                    metrics: vec![agg(TASK_RECORDS_OUT, 5.0), agg(TASK_IN_POOL, 2.0)],
                    ..Default::default()
                },
                VertexAnswers { subtasks: 3, metrics: vec![], ..Default::default() },
            ],
            has_job: true,
            ..Default::default()
        };
        let g: BTreeMap<MetricKey, Option<f64>> = gauges(&a).into_iter().collect();
        assert_eq!(g[&MetricKey::RecordsOutPerS], Some(15.0));
        assert_eq!(g[&MetricKey::InPoolUsage], Some(0.5), "3.0 over the 6 subtasks that report it");
        assert_eq!(g[&MetricKey::HeapUsedBytes], Some(150.0));
        assert_eq!(g[&MetricKey::LatencyP99Ms], None, "no markers is no data");
    }

    #[test]
    fn merges_taskmanager_batches() {
        let m = |sum, max, count| AggMetric {
            id: "x".into(),
            min: None,
            max: Some(max),
            avg: Some(1.0),
            sum: Some(sum),
            count: Some(count),
        };
        let merged = merge_batches(vec![vec![m(10.0, 6.0, 2.0)], vec![m(5.0, 9.0, 1.0)]]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].sum, Some(15.0));
        assert_eq!(merged[0].count, Some(3.0), "each TaskManager counted once");
        assert_eq!(merged[0].max, Some(9.0));
    }

    #[test]
    fn job_state_from_tasks() {
        assert_eq!(job_state("RUNNING", [("RUNNING", 4)]), JobState::Running);
        assert_eq!(job_state("RUNNING", [("RUNNING", 1), ("SCHEDULED", 3)]).to_string(), "SCHEDULED (1/4 running)");
        assert_eq!(job_state("RESTARTING", [("RUNNING", 4)]), JobState::Restarting);
        assert_eq!(job_state("RUNNING", [("RUNNING", 2), ("FINISHED", 2)]), JobState::Running);
    }

    #[test]
    fn gc_ids() {
        let with_all = vec![TM_GC_ALL_TIME.to_string(), "Status.JVM.GarbageCollector.G1_Young_Generation.Time".into()];
        assert_eq!(gc_time_ids(&with_all), vec![TM_GC_ALL_TIME.to_string()]);
        let without = vec![
            "Status.JVM.GarbageCollector.G1_Young_Generation.Time".to_string(),
            "Status.JVM.GarbageCollector.G1_Young_Generation.Count".into(),
            "Status.JVM.GarbageCollector.G1_Old_Generation.Time".into(),
        ];
        assert_eq!(gc_time_ids(&without).len(), 2);
    }

    #[test]
    fn epoch_ignores_order() {
        assert_eq!(epoch(&["a".into(), "b".into()]), epoch(&["b".into(), "a".into()]));
        assert_ne!(epoch(&["a".into()]), epoch(&["a".into(), "b".into()]));
    }
}
