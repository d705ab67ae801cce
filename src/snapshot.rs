//! `flinkscope snapshot`: poll for a while without a screen, then print one JSON document.
//! The format is documented in docs/config.md ("Snapshot format").

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::analysis::judge::Judgement;
use crate::analysis::window_stats;
use crate::app::App;
use crate::config::{Config, GroupConfig};
use crate::model::store::GroupData;
use crate::model::{Group, MetricKey};
use crate::sources::SourceKind;

#[derive(Debug, Serialize)]
pub struct Snapshot {
    pub(crate) version: u32,
    /// Only in `check --format json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) verdict: Option<serde_json::Value>,
    /// Only in `check --stage NAME --format json`: the stage's criteria, triggers and decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stage: Option<serde_json::Value>,
    pub(crate) taken_at: String,
    pub(crate) window_s: f64,
    pub groups: BTreeMap<&'static str, GroupSnapshot>,
    pub(crate) comparison: BTreeMap<&'static str, ChangeSnapshot>,
    pub sources: Vec<SourceSnapshot>,
    pub alerts: Vec<serde_json::Value>,
    /// Both groups' settings and their review (docs/settings.md).
    pub(crate) settings: serde_json::Value,
}

#[derive(Debug, Serialize)]
pub struct GroupSnapshot {
    pub(crate) flink: Option<String>,
    pub(crate) flink_version: Option<String>,
    pub taskmanagers: Vec<String>,
    pub(crate) job_state: Option<String>,
    pub(crate) job_name: Option<String>,
    pub metrics: BTreeMap<&'static str, MetricSnapshot>,
    /// The Job Health rows, unhealthy first (REST only).
    pub(crate) jobs: Vec<JobSnapshot>,
    /// Exception history entries Flink stamped before this run began: shown, not counted.
    pub earlier_exceptions: Vec<EarlierException>,
}

/// One job of a group: the Job Health panel's row.
#[derive(Debug, Serialize)]
pub(crate) struct JobSnapshot {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) state: String,
    pub(crate) uptime_s: Option<f64>,
    pub(crate) restarts: Option<u64>,
    /// Restarts and failed checkpoints within the comparison window.
    pub(crate) restarts_in_window: u64,
    pub(crate) checkpoints_failed_in_window: u64,
    pub(crate) checkpoints_completed: Option<u64>,
    pub(crate) checkpoints_failed: Option<u64>,
    pub(crate) last_checkpoint_age_s: Option<f64>,
    pub(crate) last_checkpoint_duration_ms: Option<u64>,
    pub(crate) last_checkpoint_size_bytes: Option<u64>,
    pub(crate) restored_checkpoint: Option<u64>,
    /// The worst vertex's level: "ok", "low" or "high".
    pub(crate) backpressure: Option<&'static str>,
    pub(crate) records_in_per_s: Option<f64>,
}

impl JobSnapshot {
    fn of(j: &crate::model::JobHealth, recent: crate::model::job_health::Recent) -> JobSnapshot {
        let c = j.checkpoints.as_ref();
        JobSnapshot {
            id: j.id.clone(),
            name: j.name.clone(),
            state: j.state.to_string(),
            uptime_s: j.uptime_ms().map(|ms| ms as f64 / 1000.0),
            restarts: j.restarts,
            restarts_in_window: recent.restarts,
            checkpoints_failed_in_window: recent.failed_checkpoints,
            checkpoints_completed: c.map(|c| c.completed),
            checkpoints_failed: c.map(|c| c.failed),
            last_checkpoint_age_s: j.checkpoint_age_ms().map(|ms| ms as f64 / 1000.0),
            last_checkpoint_duration_ms: c.and_then(|c| c.last_duration_ms),
            last_checkpoint_size_bytes: c.and_then(|c| c.last_size_bytes),
            restored_checkpoint: c.and_then(|c| c.restored_id),
            backpressure: j.backpressure.map(crate::format::backpressure_level),
            records_in_per_s: j.records_in_per_s,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct EarlierException {
    pub name: String,
    /// Flink's timestamp, RFC 3339.
    pub at: String,
    pub(crate) taskmanager: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MetricSnapshot {
    pub last: Option<f64>,
    pub(crate) mean: Option<f64>,
    pub samples: usize,
    pub source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) delta: Option<f64>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ChangeSnapshot {
    pub(crate) change_pct: Option<f64>,
    /// Judgement on block samples (for metrics the statistics compare).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) judgement: Option<JudgementSnapshot>,
}

#[derive(Debug, Serialize)]
pub(crate) struct JudgementSnapshot {
    pub(crate) class: &'static str,
    /// Block samples per group: [baseline, variant].
    pub(crate) samples: [usize; 2],
    pub(crate) block_change_pct: Option<f64>,
    pub(crate) p: Option<f64>,
    pub(crate) welch_p: Option<f64>,
    pub(crate) mann_whitney_p: Option<f64>,
    /// The always-valid p-value of the sequential test (over every block so far).
    pub(crate) sequential_p: Option<f64>,
    pub(crate) hodges_lehmann_shift: Option<f64>,
    pub(crate) ci: Option<[f64; 2]>,
    pub(crate) cohens_d: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct SourceSnapshot {
    pub name: String,
    pub state: &'static str,
    pub error: Option<String>,
    /// Reads of the last good poll that failed (e.g. a Jolokia MBean answering 404).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Polls every source for `duration` and returns the document (recording it with
/// `--record`).
pub async fn take(config: &Config, duration: Duration) -> Result<Snapshot, String> {
    let w = crate::headless::watch(config, crate::headless::Until::Duration(duration)).await?;
    w.say_recording();
    Ok(build(&w.app, config))
}

/// The document from the app's state (pure; tested without a network).
pub(crate) fn build(app: &App, config: &Config) -> Snapshot {
    let view = app.view();
    let observed = app.observed().min(app.window).as_secs_f64();
    let from = view.now - app.window.as_secs_f64();
    let groups = [(Group::Baseline, &config.baseline), (Group::Variant, &config.variant)]
        .into_iter()
        .map(|(g, gc)| (g.as_str(), group_snapshot(view.store.group(g), gc, from)))
        .collect();
    let comparison = view
        .comparisons
        .iter()
        .map(|(k, c)| {
            let judgement = view.judgements.get(k).map(judgement_snapshot);
            (k.as_str(), ChangeSnapshot { change_pct: c.change_pct, judgement })
        })
        .collect();
    let sources = app
        .health
        .values()
        .map(|h| {
            let state = h.state(app.now());
            let error = match &state {
                crate::app::HealthState::Failed(r) => Some(r.clone()),
                _ => None,
            };
            SourceSnapshot { name: h.name.clone(), state: snapshot_state(&state), error, warnings: h.warnings.clone() }
        })
        .collect();
    Snapshot {
        version: 1,
        taken_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        window_s: (observed * 10.0).round() / 10.0,
        groups,
        comparison,
        sources,
        alerts: app.alerts.all().into_iter().map(super::analysis::alerts::Alert::to_json).collect(),
        settings: crate::analysis::settings::doc::document(&app.flink_settings),
        verdict: None,
        stage: None,
    }
}

/// One group: its cluster, TaskManagers, job, every metric over the window since `from`,
/// and the exceptions from before the run.
fn group_snapshot(data: &GroupData, gc: &GroupConfig, from: f64) -> GroupSnapshot {
    let metrics = MetricKey::ALL
        .iter()
        .map(|&k| {
            let series = data.series(k);
            let w = window_stats(series, from, k.is_cumulative());
            let last = series.values_since(from).last().map(|(_, v)| v);
            (
                k.as_str(),
                MetricSnapshot {
                    last,
                    mean: w.mean,
                    samples: w.samples,
                    // Which source kind gave the values ("none" without any).
                    source: data.provider(k).map_or(
                        if last.is_some() { SourceKind::FlinkRest.as_str() } else { "none" },
                        SourceKind::as_str,
                    ),
                    delta: w.delta,
                },
            )
        })
        .collect();
    GroupSnapshot {
        flink: gc.flink.as_ref().map(|u| u.0.clone()),
        flink_version: data.flink_version.clone(),
        taskmanagers: data.taskmanagers.clone(),
        job_state: data.job.as_ref().map(|j| j.state.to_string()),
        job_name: data.job.as_ref().map(|j| j.name.clone()),
        metrics,
        jobs: data.jobs.worst_first(from).into_iter().map(|(j, n)| JobSnapshot::of(j, n)).collect(),
        earlier_exceptions: data
            .exceptions
            .earlier
            .iter()
            .map(|e| EarlierException {
                name: e.name.clone(),
                at: crate::analysis::alerts::rfc3339(
                    std::time::UNIX_EPOCH + Duration::from_millis(e.timestamp_ms.max(0) as u64),
                ),
                taskmanager: e.taskmanager_id.clone(),
            })
            .collect(),
    }
}

fn judgement_snapshot(j: &Judgement) -> JudgementSnapshot {
    JudgementSnapshot {
        class: j.class.label(),
        samples: [j.baseline.map_or(0, |s| s.n), j.variant.map_or(0, |s| s.n)],
        block_change_pct: j.change_pct,
        p: j.p,
        welch_p: j.welch_p,
        mann_whitney_p: j.mann_whitney_p,
        sequential_p: j.sequential_p,
        hodges_lehmann_shift: j.hodges_lehmann.map(|h| h.shift),
        ci: j.hodges_lehmann.and_then(|h| h.ci).map(|(a, b)| [a, b]),
        cohens_d: j.cohens_d,
    }
}

/// The snapshot knows three states: a source that has not refreshed yet counts as stale.
fn snapshot_state(state: &crate::app::HealthState) -> &'static str {
    match state {
        crate::app::HealthState::Live => "live",
        crate::app::HealthState::Failed(_) => "failed",
        crate::app::HealthState::Waiting | crate::app::HealthState::Stale(_) => "stale",
    }
}
