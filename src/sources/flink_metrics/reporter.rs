//! Flink's reporters' names mapped to the same figures the REST source forms:
//! `flink_taskmanager_job_task_Shuffle_Netty_Input_Buffers_inPoolUsage{tm_id, task_id,
//! subtask_index, ...}` (the Prometheus reporter) is REST's task metric
//! `Shuffle.Netty.Input.Buffers.inPoolUsage`, and so on, so panels, statistics and alerts
//! work unchanged. A transport hands its readings over as `Reading`s.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use super::AggMetric;
use super::assemble::{GroupAnswers, VertexAnswers, gc_time_ids};
use super::names::{TASK_COUNTER_BYTES_IN, TASK_COUNTER_BYTES_OUT, TASK_COUNTERS, TASK_METRICS, TM_GAUGES};
use crate::config::TmPattern;

/// One reading in the reporter's naming: `flink_<scope>_<name>` with its labels
/// (`tm_id`, `task_id`, `subtask_index`, `quantile`, ...).
pub(crate) trait Reading {
    fn name(&self) -> &str;
    /// The value of one label, unescaped.
    fn label(&self, name: &str) -> Option<Cow<'_, str>>;
    fn value(&self) -> f64;
}

const TM_PREFIX: &str = "flink_taskmanager_";
const TASK_PREFIX: &str = "flink_taskmanager_job_task_";
const LATENCY: &str = "flink_taskmanager_job_task_latency_source_id_operator_id_operator_subtask_index_latency";

/// Flink sanitises `tm-base-1` to `tm_base_1` in labels: a pattern written for the real id
/// matches either form.
pub(crate) fn tm_matches(pattern: Option<&TmPattern>, label: &str) -> bool {
    pattern.is_none_or(|p| p.is_match(label) || p.is_match(&label.replace('_', "-")))
}

fn prom_name(prefix: &str, rest_id: &str) -> String {
    format!("{prefix}{}", rest_id.replace('.', "_"))
}

#[derive(Default)]
struct Acc {
    sum: f64,
    max: Option<f64>,
    n: usize,
}

impl Acc {
    fn add(&mut self, v: f64) {
        if v.is_finite() {
            self.sum += v;
            self.max = Some(self.max.map_or(v, |m| m.max(v)));
            self.n += 1;
        }
    }
    fn agg(&self, id: &str) -> Option<AggMetric> {
        (self.n > 0).then(|| AggMetric {
            id: id.to_string(),
            min: None,
            max: self.max,
            avg: Some(self.sum / self.n as f64),
            sum: Some(self.sum),
            count: Some(self.n as f64),
        })
    }
}

/// The group's answers from every scrape of its endpoints (TaskManager reporters and,
/// for restarts and checkpoints, the JobManager's).
pub(crate) fn answers<R: Reading>(scrapes: &[Vec<R>], pattern: Option<&TmPattern>) -> GroupAnswers {
    let mut fold = Fold::new(pattern);
    for scrape in scrapes {
        fold.add(scrape);
    }
    fold.finish()
}

type Names = BTreeMap<String, &'static str>;

/// Reporter metric names (as the reporter spells them) to REST's metric ids: TaskManager
/// gauges, then task metrics. Built once.
fn names() -> &'static (Names, Names) {
    static NAMES: std::sync::OnceLock<(Names, Names)> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let tm = TM_GAUGES
            .iter()
            .copied()
            .chain(["Status.JVM.GarbageCollector.All.Time"])
            .map(|id| (prom_name(TM_PREFIX, id), id))
            .collect();
        let task = TASK_METRICS.iter().chain(TASK_COUNTERS).map(|id| (prom_name(TASK_PREFIX, id), *id)).collect();
        (tm, task)
    })
}

/// The group's answers folded scrape by scrape, so a scrape's text can be dropped as soon
/// as it is read (1,000 reporters' texts held at once were 100 MB per tick).
pub(crate) struct Fold<'p> {
    pattern: Option<&'p TmPattern>,
    taskmanagers: BTreeSet<String>,
    tm_acc: BTreeMap<&'static str, Acc>,
    // task_id -> (metric id -> acc), task_id -> subtasks, task_id -> latency (suffix -> max)
    task_acc: BTreeMap<String, BTreeMap<&'static str, Acc>>,
    subtasks: BTreeMap<String, BTreeSet<String>>,
    latency: BTreeMap<String, BTreeMap<&'static str, Acc>>,
    restarts: Option<f64>,
    completed: Option<f64>,
    failed: Option<f64>,
    /// The last `tm_id` label seen, cleaned, and whether the pattern takes it: a scrape's
    /// samples all carry the same one.
    last_tm: Option<(String, String, bool)>,
}

impl<'p> Fold<'p> {
    pub(crate) fn new(pattern: Option<&'p TmPattern>) -> Self {
        Fold {
            pattern,
            taskmanagers: BTreeSet::new(),
            tm_acc: BTreeMap::new(),
            task_acc: BTreeMap::new(),
            subtasks: BTreeMap::new(),
            latency: BTreeMap::new(),
            restarts: None,
            completed: None,
            failed: None,
            last_tm: None,
        }
    }

    pub(crate) fn add<R: Reading>(&mut self, scrape: &[R]) {
        for s in scrape {
            self.add_one(s);
        }
    }

    /// The TaskManager a sample names, cleaned (a label value is the server's text), if
    /// the group's pattern takes it.
    fn taskmanager<R: Reading>(&mut self, s: &R) -> Option<String> {
        let raw = s.label("tm_id")?;
        if self.last_tm.as_ref().is_none_or(|(r, _, _)| *r != *raw) {
            let clean = crate::sanitize::clean(&raw);
            let takes = tm_matches(self.pattern, &clean);
            self.last_tm = Some((raw.into_owned(), clean, takes));
        }
        let (_, clean, takes) = self.last_tm.as_ref()?;
        takes.then(|| clean.clone())
    }

    pub(crate) fn add_one<R: Reading>(&mut self, s: &R) {
        let add = |slot: &mut Option<f64>, v: f64| *slot = Some(slot.unwrap_or(0.0) + v);
        if let Some(rest) = s.name().strip_prefix("flink_jobmanager_job_") {
            match rest {
                "numRestarts" => add(&mut self.restarts, s.value()),
                "numberOfCompletedCheckpoints" => add(&mut self.completed, s.value()),
                "numberOfFailedCheckpoints" => add(&mut self.failed, s.value()),
                _ => {}
            }
            return;
        }
        if !s.name().starts_with(TM_PREFIX) {
            return;
        }
        let Some(tm) = self.taskmanager(s) else { return };
        if !self.taskmanagers.contains(&tm) {
            self.taskmanagers.insert(tm.clone());
        }
        let (tm_ids, task_ids) = names();
        if let Some(id) = tm_ids.get(s.name()) {
            self.tm_acc.entry(id).or_default().add(s.value());
        } else if let Some(id) = task_ids.get(s.name()) {
            let task = s.label("task_id").map(|t| t.to_string()).unwrap_or_default();
            if let Some(i) = s.label("subtask_index") {
                self.subtasks.entry(task.clone()).or_default().insert(format!("{tm}/{i}"));
            }
            self.task_acc.entry(task).or_default().entry(id).or_default().add(s.value());
        } else if s.name() == LATENCY {
            let suffix = match s.label("quantile").as_deref() {
                Some("0.5") => ".latency_median",
                Some("0.95") => ".latency_p95",
                Some("0.99") => ".latency_p99",
                _ => return,
            };
            let task = s.label("task_id").map(|t| t.to_string()).unwrap_or_default();
            self.latency.entry(task).or_default().entry(suffix).or_default().add(s.value());
        }
    }

    pub(crate) fn finish(self) -> GroupAnswers {
        let available: Vec<String> = self.tm_acc.keys().map(std::string::ToString::to_string).collect();
        let mut vertices = Vec::new();
        let tasks: BTreeSet<&String> = self.task_acc.keys().chain(self.latency.keys()).collect();
        for task in tasks {
            let metrics: Vec<AggMetric> =
                self.task_acc.get(task).map(|m| m.iter().filter_map(|(id, a)| a.agg(id)).collect()).unwrap_or_default();
            let lat = self
                .latency
                .get(task)
                .map(|m| m.iter().filter_map(|(suffix, a)| a.agg(&format!("latency.{task}{suffix}"))).collect())
                .unwrap_or_default();
            // The reporter has no job graph: a task that has received bytes has input gates, one
            // that has sent bytes has result partitions (a sink's numBytesOut stays 0).
            let moved = |id: &str| metrics.iter().any(|m: &AggMetric| m.id == id && m.sum.is_some_and(|s| s > 0.0));
            let (has_inputs, has_outputs) = (moved(TASK_COUNTER_BYTES_IN), moved(TASK_COUNTER_BYTES_OUT));
            vertices.push(VertexAnswers {
                subtasks: self.subtasks.get(task).map_or(0, BTreeSet::len),
                metrics,
                latency: lat,
                backpressure: None,
                has_inputs,
                has_outputs,
            });
        }
        // Before any bytes moved nothing tells them apart: count every task.
        for (flag, any) in [(0, vertices.iter().any(|v| v.has_inputs)), (1, vertices.iter().any(|v| v.has_outputs))] {
            if !any {
                for v in &mut vertices {
                    if flag == 0 { v.has_inputs = true } else { v.has_outputs = true }
                }
            }
        }
        GroupAnswers {
            has_job: !vertices.is_empty(),
            taskmanagers: self.taskmanagers.into_iter().collect(),
            tm_metrics: self.tm_acc.iter().filter_map(|(id, a)| a.agg(id)).collect(),
            gc_time_ids: gc_time_ids(&available),
            vertices,
            restarts: self.restarts,
            checkpoints_completed: self.completed,
            checkpoints_failed: self.failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MetricKey;
    use crate::sources::flink_metrics::assemble;
    use crate::sources::prometheus::parse::parse;

    fn fixture(name: &str) -> String {
        fixture_of("2.3.0", name)
    }

    fn fixture_of(version: &str, name: &str) -> String {
        std::fs::read_to_string(format!("{}/tests/fixtures/flink-{version}/{name}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
    }

    #[test]
    fn a_real_reporter_fills_the_rest_keys() {
        for version in ["2.3.0", "1.20.5"] {
            reporter_of(version);
        }
    }

    fn reporter_of(version: &str) {
        let tm = fixture_of(version, "prometheus-taskmanager.txt");
        let jm = fixture_of(version, "prometheus-jobmanager.txt");
        let scrapes = vec![parse(&tm).unwrap(), parse(&jm).unwrap()];
        let a = answers(&scrapes, None);
        assert_eq!(a.taskmanagers, ["tm_base_1"]);
        let g: BTreeMap<MetricKey, Option<f64>> = assemble::gauges(&a).into_iter().collect();
        for key in [
            MetricKey::RecordsInPerS,
            MetricKey::RecordsOutPerS,
            MetricKey::BytesOutPerS,
            MetricKey::InPoolUsage,
            MetricKey::OutPoolUsage,
            MetricKey::NettyUsedSegments,
            MetricKey::HeapUsedBytes,
            MetricKey::BusyMsPerS,
            MetricKey::IdleMsPerS,
            MetricKey::LatencyP99Ms,
            MetricKey::Restarts,
            MetricKey::CheckpointsCompleted,
        ] {
            assert!(g[&key].is_some(), "{version}: {key:?}");
        }
        assert!(g[&MetricKey::RecordsInPerS].unwrap() > 0.0);
        assert_eq!(g[&MetricKey::BackpressureLevel], None, "REST only");
        assert_eq!(assemble::counters(&a).len(), 2, "CPU and GC");
        assert_eq!(assemble::block_counters(&a).len(), 8);
        // The TaskManager holds one subtask of each of the two vertices.
        assert!(a.vertices.iter().filter(|v| !v.metrics.is_empty()).all(|v| v.subtasks == 1));
    }

    #[test]
    fn patterns_match_sanitised_ids() {
        let p = TmPattern::new("^tm-base").unwrap();
        assert!(tm_matches(Some(&p), "tm_base_1"));
        assert!(!tm_matches(Some(&p), "tm_var_1"));
        let tm = fixture("prometheus-taskmanager.txt");
        let a = answers(&[parse(&tm).unwrap()], Some(&TmPattern::new("^tm-var").unwrap()));
        assert!(a.taskmanagers.is_empty() && !a.has_job);
    }
}
