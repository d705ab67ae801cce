//! Flink's PrometheusReporter output mapped to the same figures the REST source forms:
//! `flink_taskmanager_job_task_Shuffle_Netty_Input_Buffers_inPoolUsage{tm_id, task_id,
//! subtask_index, ...}` is REST's task metric `Shuffle.Netty.Input.Buffers.inPoolUsage`, and
//! so on, so panels, statistics and alerts work unchanged.

use std::collections::{BTreeMap, BTreeSet};

use super::parse::Sample;
use crate::config::TmPattern;
use crate::sources::flink_rest::api::AggMetric;
use crate::sources::flink_rest::assemble::{GroupAnswers, VertexAnswers, gc_time_ids};
use crate::sources::flink_rest::queries::{
    TASK_COUNTER_BYTES_IN, TASK_COUNTER_BYTES_OUT, TASK_COUNTERS, TASK_METRICS, TM_GAUGES,
};

const TM_PREFIX: &str = "flink_taskmanager_";
const TASK_PREFIX: &str = "flink_taskmanager_job_task_";
const LATENCY: &str = "flink_taskmanager_job_task_latency_source_id_operator_id_operator_subtask_index_latency";

/// Flink sanitises `tm-base-1` to `tm_base_1` in labels: a pattern written for the real id
/// matches either form.
pub fn tm_matches(pattern: Option<&TmPattern>, label: &str) -> bool {
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
pub fn answers(scrapes: &[Vec<Sample<'_>>], pattern: Option<&TmPattern>) -> GroupAnswers {
    let tm_ids: BTreeMap<String, &str> = TM_GAUGES
        .iter()
        .copied()
        .chain(["Status.JVM.GarbageCollector.All.Time"])
        .map(|id| (prom_name(TM_PREFIX, id), id))
        .collect();
    let task_ids: BTreeMap<String, &str> =
        TASK_METRICS.iter().chain(TASK_COUNTERS).map(|id| (prom_name(TASK_PREFIX, id), *id)).collect();

    let mut taskmanagers = BTreeSet::new();
    let mut tm_acc: BTreeMap<&str, Acc> = BTreeMap::new();
    // task_id -> (metric id -> acc), task_id -> subtasks, task_id -> latency (suffix -> max)
    let mut task_acc: BTreeMap<String, BTreeMap<&str, Acc>> = BTreeMap::new();
    let mut subtasks: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut latency: BTreeMap<String, BTreeMap<&'static str, Acc>> = BTreeMap::new();
    let (mut restarts, mut completed, mut failed) = (None::<f64>, None::<f64>, None::<f64>);
    let add = |slot: &mut Option<f64>, v: f64| *slot = Some(slot.unwrap_or(0.0) + v);

    for s in scrapes.iter().flatten() {
        if let Some(rest) = s.name.strip_prefix("flink_jobmanager_job_") {
            match rest {
                "numRestarts" => add(&mut restarts, s.value),
                "numberOfCompletedCheckpoints" => add(&mut completed, s.value),
                "numberOfFailedCheckpoints" => add(&mut failed, s.value),
                _ => {}
            }
            continue;
        }
        if !s.name.starts_with(TM_PREFIX) {
            continue;
        }
        // A label value is the server's text: cleaned before it names anything.
        let Some(tm) = s.label("tm_id").map(|t| crate::sanitize::clean(&t)) else { continue };
        if !tm_matches(pattern, &tm) {
            continue;
        }
        taskmanagers.insert(tm.to_string());
        if let Some(id) = tm_ids.get(s.name) {
            tm_acc.entry(id).or_default().add(s.value);
        } else if let Some(id) = task_ids.get(s.name) {
            let task = s.label("task_id").map(|t| t.to_string()).unwrap_or_default();
            if let Some(i) = s.label("subtask_index") {
                subtasks.entry(task.clone()).or_default().insert(format!("{tm}/{i}"));
            }
            task_acc.entry(task).or_default().entry(id).or_default().add(s.value);
        } else if s.name == LATENCY {
            let suffix = match s.label("quantile").as_deref() {
                Some("0.5") => ".latency_median",
                Some("0.95") => ".latency_p95",
                Some("0.99") => ".latency_p99",
                _ => continue,
            };
            let task = s.label("task_id").map(|t| t.to_string()).unwrap_or_default();
            latency.entry(task).or_default().entry(suffix).or_default().add(s.value);
        }
    }
    let available: Vec<String> = tm_acc.keys().map(|k| k.to_string()).collect();
    let mut vertices = Vec::new();
    let tasks: BTreeSet<&String> = task_acc.keys().chain(latency.keys()).collect();
    for task in tasks {
        let metrics: Vec<AggMetric> =
            task_acc.get(task).map(|m| m.iter().filter_map(|(id, a)| a.agg(id)).collect()).unwrap_or_default();
        let lat = latency
            .get(task)
            .map(|m| m.iter().filter_map(|(suffix, a)| a.agg(&format!("latency.{task}{suffix}"))).collect())
            .unwrap_or_default();
        // The reporter has no job graph: a task that has received bytes has input gates, one
        // that has sent bytes has result partitions (a sink's numBytesOut stays 0).
        let moved = |id: &str| metrics.iter().any(|m: &AggMetric| m.id == id && m.sum.is_some_and(|s| s > 0.0));
        let (has_inputs, has_outputs) = (moved(TASK_COUNTER_BYTES_IN), moved(TASK_COUNTER_BYTES_OUT));
        vertices.push(VertexAnswers {
            subtasks: subtasks.get(task).map_or(0, BTreeSet::len),
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
        taskmanagers: taskmanagers.into_iter().collect(),
        tm_metrics: tm_acc.iter().filter_map(|(id, a)| a.agg(id)).collect(),
        gc_time_ids: gc_time_ids(&available),
        vertices,
        restarts,
        checkpoints_completed: completed,
        checkpoints_failed: failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MetricKey;
    use crate::sources::flink_rest::assemble;
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
