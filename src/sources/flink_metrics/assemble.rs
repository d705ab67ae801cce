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

/// One job's records in per second and its worst vertex's backpressure level, from its
/// vertices' answers (the Job Health row).
pub(crate) fn job_figures(vertices: &[VertexAnswers]) -> (Option<f64>, Option<u8>) {
    let records =
        vertices.iter().filter_map(|v| find(&v.metrics, TASK_RECORDS_IN).and_then(|m| m.sum)).reduce(|x, y| x + y);
    (records, vertices.iter().filter_map(|v| v.backpressure).max())
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
mod tests;
