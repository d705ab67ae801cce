//! `flinkscope snapshot`: poll for a while without a screen, then print one JSON document.
//! The format is documented in the README ("Snapshot format").

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::mpsc;

use crate::analysis::window_stats;
use crate::app::App;
use crate::config::Config;
use crate::model::{Group, MetricKey};
use crate::sources::{SourceKind, task};

#[derive(Debug, Serialize)]
pub struct Snapshot {
    pub version: u32,
    pub taken_at: String,
    pub window_s: f64,
    pub groups: BTreeMap<&'static str, GroupSnapshot>,
    pub comparison: BTreeMap<&'static str, ChangeSnapshot>,
    pub sources: Vec<SourceSnapshot>,
    pub alerts: Vec<serde_json::Value>,
}

#[derive(Debug, Serialize)]
pub struct GroupSnapshot {
    pub flink: String,
    pub flink_version: Option<String>,
    pub taskmanagers: Vec<String>,
    pub job_state: Option<String>,
    pub job_name: Option<String>,
    pub metrics: BTreeMap<&'static str, MetricSnapshot>,
}

#[derive(Debug, Serialize)]
pub struct MetricSnapshot {
    pub last: Option<f64>,
    pub mean: Option<f64>,
    pub samples: usize,
    pub source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct ChangeSnapshot {
    pub change_pct: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct SourceSnapshot {
    pub name: String,
    pub state: &'static str,
    pub error: Option<String>,
}

/// Polls every source for `duration` and returns the document.
pub async fn take(config: &Config, duration: Duration) -> Snapshot {
    let started = Instant::now();
    let (tx, mut rx) = mpsc::channel(256);
    let spawned = task::spawn_all(config, tx);
    let mut app = App::new(config, started);
    let deadline = tokio::time::Instant::from_std(started + duration);
    loop {
        tokio::select! {
            ev = rx.recv() => match ev { Some(ev) => { app.update(ev); } None => break },
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    for h in spawned.handles {
        h.abort();
    }
    app.update(crate::event::Event::Tick);
    build(&app, config)
}

/// The document from the app's state (pure; tested without a network).
pub fn build(app: &App, config: &Config) -> Snapshot {
    let view = app.view();
    let observed = app.observed().min(app.window).as_secs_f64();
    let from = view.now - app.window.as_secs_f64();
    let mut groups = BTreeMap::new();
    for (g, gc) in [(Group::Baseline, &config.baseline), (Group::Variant, &config.variant)] {
        let data = view.store.group(g);
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
                        source: SourceKind::FlinkRest.as_str(),
                        delta: w.delta,
                    },
                )
            })
            .collect();
        groups.insert(
            g.as_str(),
            GroupSnapshot {
                flink: gc.flink.0.clone(),
                flink_version: data.flink_version.clone(),
                taskmanagers: data.taskmanagers.clone(),
                job_state: data.job.as_ref().map(|j| j.state.clone()),
                job_name: data.job.as_ref().map(|j| j.name.clone()),
                metrics,
            },
        );
    }
    let comparison =
        view.comparisons.iter().map(|(k, c)| (k.as_str(), ChangeSnapshot { change_pct: c.change_pct })).collect();
    let sources = app
        .health
        .values()
        .map(|h| {
            let state = h.state(app.now());
            let error = match &state {
                crate::app::HealthState::Failed(r) => Some(r.clone()),
                _ => None,
            };
            SourceSnapshot { name: h.name.clone(), state: snapshot_state(&state), error }
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
        alerts: Vec::new(),
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
