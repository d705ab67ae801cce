//! Reads a group's settings as the cluster reports them: the JobManager's configuration,
//! each TaskManager's memory configuration and the configuration its log says it was
//! given (with the `NettyConfig [...]` line of what Netty applied), and the job's plan.
//! Flink has no REST answer with a TaskManager's configuration (`/taskmanagers/<id>/config`
//! is 404 on 1.20 and 2.x): its log, read over REST, is the only place that says it.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::Deserialize;

use super::api;
use super::queries::encode;
use crate::config::TmPattern;
use crate::model::settings::{GroupSettings, JobSettings, PlanVertex, TaskManagerSettings};
use crate::sanitize::clean;
use crate::sources::SourceError;
use crate::sources::http::Endpoint;

/// How much of a TaskManager's log is read: its start-up lines are at the top, and a log
/// that ran for weeks can be gigabytes.
const LOG_HEAD: usize = 2 << 20;

/// TaskManagers read anew per read: at fleet size the first reads take a while, later ones
/// only read TaskManagers that are new (or restarted under their id).
const NEW_PER_READ: usize = 16;

pub(crate) struct SettingsReader {
    endpoint: Endpoint,
    pattern: Option<TmPattern>,
    /// Settings per TaskManager, by (id, data port): a restarted TaskManager comes back
    /// on a new data port with a new log.
    known: BTreeMap<(String, i64), TaskManagerSettings>,
}

impl SettingsReader {
    pub(crate) fn new(endpoint: Endpoint, pattern: Option<TmPattern>) -> Self {
        SettingsReader { endpoint, pattern, known: BTreeMap::new() }
    }

    /// One read. Fails only when the JobManager cannot be asked at all; a part that fails
    /// (one TaskManager's log, the job's plan) is a problem in the result.
    pub(crate) async fn read(&mut self) -> Result<GroupSettings, SourceError> {
        let mut out = GroupSettings { url: clean(self.endpoint.base()), ..Default::default() };
        out.flink_version = Some(clean(&api::parse_flink_version(&self.endpoint.get("/config").await?)?));
        match self.endpoint.get("/jobmanager/config").await.and_then(|b| api::parse_jobmanager_config(&b)) {
            Ok(c) => out.jobmanager = c.into_iter().map(|(k, v)| (clean(&k), clean(&v))).collect(),
            Err(e) => out.problems.push(format!("JobManager configuration: {e}")),
        }
        let tms = api::parse_taskmanagers(&self.endpoint.get("/taskmanagers").await?)?;
        let mine: Vec<_> =
            tms.into_iter().filter(|t| self.pattern.as_ref().is_none_or(|p| p.is_match(&t.id))).collect();
        self.known.retain(|(id, port), _| mine.iter().any(|t| &t.id == id && t.data_port == *port));
        let mut fresh = 0;
        for tm in &mine {
            let key = (tm.id.clone(), tm.data_port);
            if !self.known.contains_key(&key) {
                if fresh == NEW_PER_READ {
                    out.problems.push(format!(
                        "{} more TaskManagers are read at the next refresh",
                        mine.len() - self.known.len()
                    ));
                    break;
                }
                fresh += 1;
                let s = self.taskmanager(&tm.id).await;
                self.known.insert(key, s);
            }
        }
        out.taskmanagers = mine.iter().filter_map(|t| self.known.get(&(t.id.clone(), t.data_port)).cloned()).collect();
        for t in &out.taskmanagers {
            if let Some(p) = &t.log_problem {
                out.problems.push(format!("{}: {p}", t.id));
            }
        }
        match self.job().await {
            Ok(job) => out.job = job,
            Err(e) => out.problems.push(format!("job: {e}")),
        }
        out.read_at = Some(SystemTime::now());
        Ok(out)
    }

    async fn taskmanager(&self, id: &str) -> TaskManagerSettings {
        let path = format!("/taskmanagers/{}", encode(id));
        let mut s = TaskManagerSettings { id: clean(id), ..Default::default() };
        match self.endpoint.get(&path).await.and_then(|b| parse_detail(&b)) {
            Ok(d) => {
                s.memory = d.memory;
                s.hardware = d.hardware;
                s.segments = d.segments;
                s.slots = d.slots;
            }
            Err(e) => s.log_problem = Some(format!("details: {}", brief(&e))),
        }
        match self.endpoint.get_head(&format!("{path}/log"), LOG_HEAD).await {
            Ok(log) => {
                let l = parse_log(&log);
                if l.given.is_empty() && l.netty_line.is_none() {
                    s.log_problem = Some("its log has no start-up lines (rotated away?): settings unknown".into());
                }
                s.given = l.given;
                s.netty = l.netty;
                s.netty_line = l.netty_line;
            }
            Err(e) => s.log_problem = Some(format!("log not readable: {}", brief(&e))),
        }
        s
    }

    /// The group's job (the newest running one, else the newest), its configuration and plan.
    async fn job(&self) -> Result<Option<JobSettings>, SourceError> {
        let jobs = api::parse_jobs_overview(&self.endpoint.get("/jobs/overview").await?)?;
        let Some(job) = jobs
            .iter()
            .filter(|j| j.is_active())
            .max_by_key(|j| j.start_time)
            .or_else(|| jobs.iter().max_by_key(|j| j.start_time))
        else {
            return Ok(None);
        };
        let jid = encode(&job.jid);
        let config = parse_job_config(&self.endpoint.get(&format!("/jobs/{jid}/config")).await?)?;
        let plan = parse_plan(&self.endpoint.get(&format!("/jobs/{jid}/plan")).await?)?;
        Ok(Some(JobSettings { id: clean(&job.jid), name: clean(&job.name), config, plan }))
    }
}

/// An error without its request path: the path holds the TaskManager's id, which a
/// hostile server chose (percent-encoded, but its text would still reach the screen).
fn brief(e: &SourceError) -> String {
    match e {
        SourceError::Status { status, body, .. } => format!("HTTP {status}: {body}"),
        SourceError::TooLarge { limit, .. } => format!("answer over the {limit}-byte cap"),
        other => other.to_string(),
    }
}

/// What a TaskManager's log says about its settings.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct LogSettings {
    pub(crate) given: BTreeMap<String, String>,
    pub(crate) netty: BTreeMap<String, String>,
    pub(crate) netty_line: Option<String>,
}

/// Keys the start script computes and passes as dynamic properties (network min = max =
/// the derived size): they are not what anyone set, and the size is in the memory
/// configuration.
const DERIVED: &[&str] = &["taskmanager.memory.network.min", "taskmanager.memory.network.max"];

/// Reads "Loading configuration property: KEY, VALUE" (the configuration file) and
/// "Loading dynamic configuration property: KEY, VALUE" (`-D`, which wins), and the last
/// `NettyConfig [...]` line split into its fields.
pub(crate) fn parse_log(log: &str) -> LogSettings {
    let mut file = BTreeMap::new();
    let mut dynamic = BTreeMap::new();
    let mut netty_line = None;
    for line in log.lines() {
        if let Some((_, rest)) = line.split_once("Loading configuration property: ") {
            if let Some((k, v)) = rest.split_once(", ") {
                file.insert(clean(k.trim()), clean(v.trim()));
            }
        } else if let Some((_, rest)) = line.split_once("Loading dynamic configuration property: ") {
            if let Some((k, v)) = rest.split_once(", ")
                && !DERIVED.contains(&k.trim())
            {
                dynamic.insert(clean(k.trim()), clean(v.trim()));
            }
        } else if let Some(at) = line.find("NettyConfig [") {
            netty_line = Some(clean(&line[at..]));
        }
    }
    file.extend(dynamic);
    let netty = netty_line.as_deref().map(netty_fields).unwrap_or_default();
    LogSettings { given: file, netty, netty_line }
}

/// "NettyConfig [a: 1, b: 2 (manual)]" → {a: "1", b: "2 (manual)"}.
fn netty_fields(line: &str) -> BTreeMap<String, String> {
    let inner = line.trim_start_matches("NettyConfig [").trim_end().trim_end_matches(']');
    inner
        .split(", ")
        .filter_map(|f| f.split_once(": "))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// What `/taskmanagers/<id>` says about a TaskManager's settings.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Detail {
    pub(crate) memory: BTreeMap<String, u64>,
    pub(crate) hardware: BTreeMap<String, u64>,
    pub(crate) segments: Option<(u64, u64)>,
    pub(crate) slots: Option<u32>,
}

#[derive(Deserialize)]
struct RawDetail {
    #[serde(rename = "memoryConfiguration", default)]
    memory: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    hardware: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    metrics: BTreeMap<String, serde_json::Value>,
    #[serde(rename = "slotsNumber")]
    slots: Option<u32>,
}

pub(crate) fn parse_detail(body: &str) -> Result<Detail, SourceError> {
    let raw: RawDetail = serde_json::from_str(body).map_err(|e| SourceError::Malformed {
        what: "/taskmanagers/<id>",
        detail: format!("{e} (body starts: {})", crate::sanitize::snippet(body, 80)),
    })?;
    let numbers = |m: BTreeMap<String, serde_json::Value>| -> BTreeMap<String, u64> {
        m.into_iter().filter_map(|(k, v)| Some((clean(&k), v.as_u64()?))).collect()
    };
    let memory = numbers(raw.memory);
    let hardware = numbers(raw.hardware);
    let metric = |k: &str| raw.metrics.get(k).and_then(serde_json::Value::as_u64);
    let segments = match (metric("nettyShuffleMemorySegmentsAvailable"), metric("nettyShuffleMemorySegmentsTotal")) {
        (Some(a), Some(t)) if t > 0 => Some((a, t)),
        _ => None,
    };
    Ok(Detail { memory, hardware, segments, slots: raw.slots })
}

#[derive(Deserialize)]
struct RawJobConfig {
    #[serde(rename = "execution-config", default)]
    execution: BTreeMap<String, serde_json::Value>,
}

/// `/jobs/<id>/config`: the job's user configuration (keys a job set on itself), and its
/// parallelism. Flink does not list the job's own Flink options here.
pub(crate) fn parse_job_config(body: &str) -> Result<BTreeMap<String, String>, SourceError> {
    let raw: RawJobConfig = serde_json::from_str(body).map_err(|e| SourceError::Malformed {
        what: "/jobs/<jid>/config",
        detail: format!("{e} (body starts: {})", crate::sanitize::snippet(body, 80)),
    })?;
    let mut out = BTreeMap::new();
    if let Some(serde_json::Value::Object(user)) = raw.execution.get("user-config") {
        for (k, v) in user {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            out.insert(clean(k), clean(&v));
        }
    }
    if let Some(p) = raw.execution.get("job-parallelism").and_then(serde_json::Value::as_i64) {
        out.insert("parallelism.default".into(), p.to_string());
    }
    Ok(out)
}

#[derive(Deserialize)]
struct RawPlan {
    plan: RawPlanInner,
}
#[derive(Deserialize)]
struct RawPlanInner {
    #[serde(default)]
    nodes: Vec<RawNode>,
}
#[derive(Deserialize)]
struct RawNode {
    id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    parallelism: u32,
    #[serde(default)]
    inputs: Vec<RawInput>,
}
#[derive(Deserialize)]
struct RawInput {
    id: String,
    #[serde(default)]
    ship_strategy: String,
}

/// `/jobs/<id>/plan`: vertices with parallelism and how each input is shipped.
pub(crate) fn parse_plan(body: &str) -> Result<Vec<PlanVertex>, SourceError> {
    let raw: RawPlan = serde_json::from_str(body).map_err(|e| SourceError::Malformed {
        what: "/jobs/<jid>/plan",
        detail: format!("{e} (body starts: {})", crate::sanitize::snippet(body, 80)),
    })?;
    Ok(raw
        .plan
        .nodes
        .into_iter()
        .map(|n| PlanVertex {
            id: clean(&n.id),
            // "keyed-sum<br/>+- discard: Writer<br/>": the first operator names it.
            name: clean(n.description.split("<br/>").next().unwrap_or("")),
            parallelism: n.parallelism,
            inputs: n.inputs.into_iter().map(|i| (clean(&i.id), clean(&i.ship_strategy))).collect(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");

    fn fixture(p: &str) -> String {
        std::fs::read_to_string(format!("{FIX}{p}")).unwrap()
    }

    #[test]
    fn a_2_3_taskmanager_log_gives_what_it_was_given_and_what_netty_runs() {
        let l = parse_log(&fixture("flink-2.3.0/taskmanager-log-variant.txt"));
        assert_eq!(l.given["taskmanager.network.netty.server.numThreads"], "3");
        assert_eq!(l.given["taskmanager.memory.network.fraction"], "0.15");
        assert_eq!(l.given["taskmanager.network.memory.buffer-debloat.enable"], "true", "the typo as given");
        assert!(!l.given.contains_key("taskmanager.memory.network.min"), "derived by the start script");
        assert_eq!(l.given["taskmanager.numberOfTaskSlots"], "1");
        // 2.x ignores the numThreads key: Netty runs one thread per slot.
        assert_eq!(l.netty["number of server threads"], "1 (manual)");
        assert_eq!(l.netty["memory segment size (bytes)"], "32768");
        assert!(l.netty_line.unwrap().starts_with("NettyConfig [server address"));
    }

    #[test]
    fn a_log_without_start_up_lines_gives_nothing() {
        assert_eq!(parse_log("2026 INFO something else\n"), LogSettings::default());
    }

    #[test]
    fn taskmanager_detail_plan_and_job_config() {
        let d = parse_detail(&fixture("flink-2.3.0/taskmanager-detail.json")).unwrap();
        assert_eq!(d.memory["networkMemory"], 90_596_970);
        assert_eq!(d.slots, Some(1));
        assert_eq!(d.hardware["cpuCores"], 2);
        assert_eq!(
            brief(&SourceError::Status { status: 404, path: "/taskmanagers/x/log".into(), body: "gone".into() }),
            "HTTP 404: gone"
        );
        let plan = parse_plan(&fixture("flink-2.3.0/job-plan.json")).unwrap();
        assert_eq!(plan.len(), 2);
        let sink = plan.iter().find(|v| v.name == "keyed-sum").unwrap();
        assert_eq!(sink.parallelism, 2);
        assert_eq!(sink.inputs[0].1, "HASH");
        let c = parse_job_config(&fixture("flink-2.3.0/job-config.json")).unwrap();
        assert_eq!(c["parallelism.default"], "2");
        assert!(parse_plan("{}").is_err());
    }

    #[test]
    fn hostile_log_text_is_cleaned() {
        let l = parse_log("Loading configuration property: a.b\u{1b}[2J, x\u{7}y\n");
        let (k, v) = l.given.iter().next().unwrap();
        assert!(!k.contains('\u{1b}') && !v.contains('\u{7}'), "{k:?} {v:?}");
    }
}
