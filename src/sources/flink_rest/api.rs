//! Flink REST answers as types, and pure parsers from response text.
//!
//! Quirks handled here (see ../shared/FLINK-LAB.md): plain metric values are strings,
//! `agg=` answers are numbers, `[]` is "no data" for a metric query but a failure where an
//! object is expected, and field sets differ between Flink 1.20 and 2.x.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::sources::SourceError;

fn parse<T: DeserializeOwned>(what: &'static str, body: &str) -> Result<T, SourceError> {
    serde_json::from_str(body).map_err(|e| SourceError::Malformed {
        what,
        detail: format!("{e} (body starts: {})", crate::sanitize::snippet(body, 80)),
    })
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TaskManager {
    pub(crate) id: String,
    #[serde(rename = "dataPort", default)]
    pub(crate) data_port: i64,
}

#[derive(Debug, Deserialize)]
struct TaskManagers {
    taskmanagers: Vec<TaskManager>,
}

/// `GET /taskmanagers`.
pub(crate) fn parse_taskmanagers(body: &str) -> Result<Vec<TaskManager>, SourceError> {
    Ok(parse::<TaskManagers>("/taskmanagers", body)?.taskmanagers)
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct JobOverview {
    pub(crate) jid: String,
    pub(crate) name: String,
    pub(crate) state: String,
    #[serde(rename = "start-time", default)]
    pub(crate) start_time: i64,
    /// -1 while it runs.
    #[serde(rename = "end-time", default)]
    pub(crate) end_time: i64,
}

impl JobOverview {
    /// Jobs in a terminal state no longer run tasks.
    pub(crate) fn is_active(&self) -> bool {
        !crate::model::JobState::parse(&self.state).is_terminal()
    }
}

#[derive(Debug, Deserialize)]
struct JobsOverview {
    jobs: Vec<JobOverview>,
}

/// `GET /jobs/overview`.
pub(crate) fn parse_jobs_overview(body: &str) -> Result<Vec<JobOverview>, SourceError> {
    Ok(parse::<JobsOverview>("/jobs/overview", body)?.jobs)
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Vertex {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) parallelism: i64,
    /// Task counts per execution state (RUNNING, SCHEDULED, ...).
    #[serde(default)]
    pub(crate) tasks: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct JobDetail {
    pub(crate) jid: String,
    pub(crate) name: String,
    pub(crate) state: String,
    /// The JobManager's clock when it answered, and when the job started (epoch ms).
    #[serde(default)]
    pub(crate) now: Option<i64>,
    #[serde(rename = "start-time", default)]
    pub(crate) start_time: Option<i64>,
    pub(crate) vertices: Vec<Vertex>,
    /// The job graph: which vertex reads from which.
    #[serde(default)]
    pub(crate) plan: Plan,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Plan {
    #[serde(default)]
    pub(crate) nodes: Vec<PlanNode>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PlanNode {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) inputs: Vec<PlanInput>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PlanInput {
    pub(crate) id: String,
}

impl JobDetail {
    /// Whether vertex `id` has input gates (it reads from another vertex) and result
    /// partitions (another vertex reads from it). Without a plan, both are assumed.
    pub(crate) fn exchanges(&self, id: &str) -> (bool, bool) {
        if self.plan.nodes.is_empty() {
            return (true, true);
        }
        let inputs = self.plan.nodes.iter().find(|n| n.id == id).is_some_and(|n| !n.inputs.is_empty());
        let outputs = self.plan.nodes.iter().any(|n| n.inputs.iter().any(|i| i.id == id));
        (inputs, outputs)
    }
}

#[derive(Debug, Deserialize)]
struct Checkpoints {
    counts: CheckpointCounts,
    #[serde(default)]
    latest: Option<LatestCheckpoints>,
}

#[derive(Debug, Deserialize)]
struct CheckpointCounts {
    #[serde(default)]
    completed: u64,
    #[serde(default)]
    failed: u64,
}

#[derive(Debug, Deserialize)]
struct LatestCheckpoints {
    #[serde(default)]
    completed: Option<CompletedCheckpoint>,
    #[serde(default)]
    restored: Option<RestoredCheckpoint>,
}

#[derive(Debug, Deserialize)]
struct CompletedCheckpoint {
    #[serde(default)]
    latest_ack_timestamp: Option<i64>,
    #[serde(default)]
    end_to_end_duration: Option<u64>,
    /// 1.20 and 2.x send both; `checkpointed_size` is what this checkpoint wrote
    /// (incremental), `state_size` the whole state.
    #[serde(default)]
    state_size: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct RestoredCheckpoint {
    id: u64,
}

/// `GET /jobs/<jid>/checkpoints`: counts, the latest completed and the restored checkpoint.
pub(crate) fn parse_checkpoints(body: &str) -> Result<crate::model::CheckpointHealth, SourceError> {
    let c: Checkpoints = parse("/jobs/<jid>/checkpoints", body)?;
    let completed = c.latest.as_ref().and_then(|l| l.completed.as_ref());
    Ok(crate::model::CheckpointHealth {
        completed: c.counts.completed,
        failed: c.counts.failed,
        last_ack_ms: completed.and_then(|c| c.latest_ack_timestamp).filter(|t| *t > 0),
        last_duration_ms: completed.and_then(|c| c.end_to_end_duration),
        last_size_bytes: completed.and_then(|c| c.state_size),
        restored_id: c.latest.as_ref().and_then(|l| l.restored.as_ref()).map(|r| r.id),
    })
}

/// `GET /jobs/<jid>`.
pub(crate) fn parse_job(body: &str) -> Result<JobDetail, SourceError> {
    parse("/jobs/<jid>", body)
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Subtask {
    pub(crate) subtask: i64,
    pub(crate) status: String,
    /// Flink 1.20 and 2.x both send `taskmanager-id`; older answers only had `host`.
    #[serde(rename = "taskmanager-id", default)]
    pub(crate) taskmanager_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct VertexDetail {
    subtasks: Vec<Subtask>,
}

/// `GET /jobs/<jid>/vertices/<vid>`: where each subtask runs.
pub(crate) fn parse_vertex_subtasks(body: &str) -> Result<Vec<Subtask>, SourceError> {
    Ok(parse::<VertexDetail>("/jobs/<jid>/vertices/<vid>", body)?.subtasks)
}

pub(crate) use crate::sources::flink_metrics::AggMetric;

/// An `agg=` metrics answer. `[]` is a valid "none of these metrics exist (yet)".
pub(crate) fn parse_agg(body: &str) -> Result<Vec<AggMetric>, SourceError> {
    let mut aggs: Vec<AggMetric> = parse("metrics?agg=", body)?;
    for m in &mut aggs {
        m.count = match (m.sum, m.avg) {
            (Some(s), Some(a)) if a != 0.0 => Some((s / a).round()),
            _ => None,
        };
    }
    Ok(aggs)
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct MetricValue {
    pub(crate) id: String,
    /// Plain metric values arrive as strings ("0.166", "true"); a listing has no value.
    #[serde(default)]
    pub(crate) value: Option<String>,
}

/// A plain metrics answer (`get=` without `agg=`), or a listing of available metric ids.
pub(crate) fn parse_metric_values(body: &str) -> Result<Vec<MetricValue>, SourceError> {
    parse("metrics", body)
}

/// Numeric value of a plain metric answer, if present and numeric.
pub(crate) fn metric_number(values: &[MetricValue], id: &str) -> Option<f64> {
    values
        .iter()
        .find(|m| m.id == id)
        .and_then(|m| m.value.as_deref())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite())
}

#[derive(Debug, Deserialize)]
struct Backpressure {
    status: String,
    // Flink sends both spellings; older versions only the dashed one.
    #[serde(rename = "backpressureLevel", default)]
    level: Option<String>,
    #[serde(rename = "backpressure-level", default)]
    level_dashed: Option<String>,
    #[serde(default)]
    subtasks: Vec<SubtaskBackpressure>,
}

#[derive(Debug, Deserialize)]
struct SubtaskBackpressure {
    subtask: i64,
    #[serde(rename = "backpressureLevel", default)]
    level: Option<String>,
    #[serde(rename = "backpressure-level", default)]
    level_dashed: Option<String>,
}

fn level_number(level: Option<&str>) -> Option<u8> {
    match level {
        Some("ok") => Some(0),
        Some("low") => Some(1),
        Some("high") => Some(2),
        _ => None,
    }
}

/// The worst backpressure level among the given subtasks (split mode), or the vertex's.
pub(crate) fn parse_backpressure_of(body: &str, subtasks: Option<&[i64]>) -> Result<Option<u8>, SourceError> {
    let bp: Backpressure = parse("/backpressure", body)?;
    if bp.status != "ok" {
        return Ok(None);
    }
    Ok(match subtasks {
        None => level_number(bp.level.or(bp.level_dashed).as_deref()),
        Some(wanted) => bp
            .subtasks
            .iter()
            .filter(|s| wanted.contains(&s.subtask))
            .filter_map(|s| level_number(s.level.as_deref().or(s.level_dashed.as_deref())))
            .max(),
    })
}

#[cfg(test)]
/// `GET /jobs/<jid>/vertices/<vid>/backpressure`: 0 ok, 1 low, 2 high; `None` while Flink
/// is still sampling (status "deprecated"/no level).
pub(crate) fn parse_backpressure_level(body: &str) -> Result<Option<u8>, SourceError> {
    parse_backpressure_of(body, None)
}

#[derive(Debug, Deserialize)]
struct DashboardConfig {
    #[serde(rename = "flink-version")]
    flink_version: String,
}

/// `GET /config`: the Flink version.
pub(crate) fn parse_flink_version(body: &str) -> Result<String, SourceError> {
    Ok(parse::<DashboardConfig>("/config", body)?.flink_version)
}

#[derive(Debug, Deserialize)]
struct ConfigEntry {
    key: String,
    value: String,
}

/// `GET /jobmanager/config`: the JobManager's effective configuration as key/value pairs.
pub(crate) fn parse_jobmanager_config(body: &str) -> Result<BTreeMap<String, String>, SourceError> {
    let entries: Vec<ConfigEntry> = parse("/jobmanager/config", body)?;
    Ok(entries.into_iter().map(|e| (e.key, e.value)).collect())
}

#[derive(Debug, Deserialize)]
struct ExceptionsAnswer {
    #[serde(rename = "exceptionHistory")]
    history: ExceptionHistory,
}

#[derive(Debug, Deserialize)]
struct ExceptionHistory {
    #[serde(default)]
    entries: Vec<RawException>,
}

#[derive(Debug, Deserialize)]
struct RawException {
    #[serde(rename = "exceptionName", default)]
    name: String,
    #[serde(default)]
    stacktrace: String,
    #[serde(default)]
    timestamp: i64,
    #[serde(rename = "taskManagerId", default)]
    taskmanager_id: Option<String>,
    #[serde(rename = "concurrentExceptions", default)]
    concurrent: Vec<RawException>,
}

/// Exception classes (or causes) that mean a network connection or timeout error.
pub(crate) const NETWORK_ERRORS: &[&str] = &[
    "RemoteTransportException",
    "LocalTransportException",
    "PartitionConnectionException",
    "ConnectTimeoutException",
    "java.net.ConnectException",
    "SocketTimeoutException",
    "Connection reset by peer",
    "Connection unexpectedly closed",
];

/// `GET /jobs/<jid>/exceptions`: every history entry and its concurrent exceptions,
/// classified (network error, OutOfMemoryError) by their class and causes.
pub(crate) fn parse_exceptions(body: &str, job_id: &str) -> Result<Vec<crate::model::ExceptionEntry>, SourceError> {
    let answer: ExceptionsAnswer = parse("/jobs/<jid>/exceptions", body)?;
    let mut out = Vec::new();
    fn push(raw: &RawException, job_id: &str, concurrent: bool, out: &mut Vec<crate::model::ExceptionEntry>) {
        let text = format!("{} {}", raw.name, raw.stacktrace);
        out.push(crate::model::ExceptionEntry {
            job_id: job_id.to_string(),
            timestamp_ms: raw.timestamp,
            name: crate::sanitize::snippet(&raw.name, 120),
            taskmanager_id: raw.taskmanager_id.as_deref().map(crate::sanitize::clean),
            network: NETWORK_ERRORS.iter().any(|n| text.contains(n)),
            out_of_memory: text.contains("OutOfMemoryError"),
            buffer_shortage: text.contains("Insufficient number of network buffers"),
            concurrent,
        });
    }
    for e in answer.history.entries {
        push(&e, job_id, false, &mut out);
        for c in &e.concurrent {
            push(c, job_id, true, &mut out);
        }
    }
    Ok(out)
}

/// Reads `metrics.fetcher.update-interval` (milliseconds, or a duration like "10 s").
pub(crate) fn fetcher_interval_ms(config: &BTreeMap<String, String>) -> Option<u64> {
    millis(config, "metrics.fetcher.update-interval")
}

fn millis(config: &BTreeMap<String, String>, key: &str) -> Option<u64> {
    let raw = config.get(key)?.trim();
    raw.parse::<u64>()
        .ok()
        .or_else(|| humantime::parse_duration(&raw.replace(' ', "")).ok().map(|d| d.as_millis() as u64))
}

/// The span of the sliding histogram behind Flink's latency-marker quantiles:
/// `metrics.latency.history-size` markers (default 128) `metrics.latency.interval` apart.
/// `None` when markers are off (interval 0 or unset in the JobManager's config).
pub(crate) fn latency_window(config: &BTreeMap<String, String>) -> Option<std::time::Duration> {
    let interval = millis(config, "metrics.latency.interval").filter(|ms| *ms > 0)?;
    let size = config.get("metrics.latency.history-size").and_then(|s| s.trim().parse::<u64>().ok()).unwrap_or(128);
    Some(std::time::Duration::from_millis(interval * size.max(1)))
}

#[cfg(test)]
mod tests;
