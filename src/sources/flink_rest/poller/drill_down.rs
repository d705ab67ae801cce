//! The drill-down's per-TaskManager rows: one request per TaskManager for its own
//! metrics and one per TaskManager and vertex for its tasks'.

use std::time::Instant;

use super::RestPoller;
use super::jobs::Placement;
use crate::model::{MetricKey, TmRow};
use crate::sanitize;
use crate::sources::SourceError;
use crate::sources::flink_metrics::assemble::{self, GroupAnswers, VertexAnswers};
use crate::sources::flink_rest::api::{self, JobDetail};
use crate::sources::flink_rest::queries;

impl RestPoller {
    /// Per-TaskManager rows for the drill-down: TaskManager metrics one request per
    /// TaskManager, task metrics one request per TaskManager and vertex.
    pub(super) async fn per_taskmanager(
        &mut self,
        tms: &[String],
        jobs: &[(JobDetail, Vec<Placement>)],
        at: Instant,
    ) -> Result<Vec<TmRow>, SourceError> {
        let t = at.saturating_duration_since(self.started).as_secs_f64();
        let placed = self.placed_subtasks(jobs).await?;
        let gc_ids = self.gc_ids.as_ref().map(|(_, ids)| ids.clone()).unwrap_or_default();
        let mut names: Vec<&str> = queries::TM_GAUGES.to_vec();
        names.extend(gc_ids.iter().map(String::as_str));
        let mut rows = Vec::new();
        for tm in tms {
            let body =
                self.get(&format!("/taskmanagers/{}/metrics?get={}", queries::encode(tm), names.join(","))).await?;
            let values = api::parse_metric_values(&body)?;
            let num = |id: &str| api::metric_number(&values, id);
            let cpu = num(queries::TM_CPU_TIME)
                .and_then(|ns| self.tm_cpu.entry(tm.clone()).or_default().update(t, ns, 0))
                .map(|r| r * 1e-9);
            let mut row = TmRow { id: sanitize::clean(tm), values: Vec::new() };
            row.values.push((MetricKey::CpuCores, cpu));
            row.values.push((MetricKey::HeapUsedBytes, num(queries::TM_HEAP_USED)));
            row.values.push((MetricKey::DirectUsedBytes, num(queries::TM_DIRECT_USED)));
            row.values.push((MetricKey::NettyUsedSegments, num(queries::TM_NETTY_USED)));
            row.values.push((MetricKey::NettyAvailableSegments, num(queries::TM_NETTY_AVAILABLE)));
            row.values.push((MetricKey::RequestedMemoryUsage, num(queries::TM_REQUESTED_MEMORY)));

            let vertices = self.task_answers(tm, &placed).await?;
            row.values.extend(task_figures(tm, vertices, !jobs.is_empty()));
            rows.push(row);
        }
        self.tm_cpu.retain(|id, _| tms.contains(id));
        Ok(rows)
    }

    /// Where each vertex's subtasks run: (job id, vertex id, [(subtask, TaskManager id)],
    /// (has inputs, has outputs)). Pair mode did not fetch placements; the drill-down needs them.
    async fn placed_subtasks(&self, jobs: &[(JobDetail, Vec<Placement>)]) -> Result<Vec<Placed>, SourceError> {
        let mut placed: Vec<Placed> = Vec::new();
        for (job, _) in jobs {
            for v in &job.vertices {
                let subtasks =
                    api::parse_vertex_subtasks(&self.get(&format!("/jobs/{}/vertices/{}", job.jid, v.id)).await?)?;
                placed.push((
                    job.jid.clone(),
                    v.id.clone(),
                    subtasks.into_iter().filter_map(|s| s.taskmanager_id.map(|tm| (s.subtask, tm))).collect(),
                    job.exchanges(&v.id),
                ));
            }
        }
        Ok(placed)
    }

    /// The task metrics of `tm`'s subtasks, per vertex that has any there.
    async fn task_answers(&self, tm: &str, placed: &[Placed]) -> Result<Vec<VertexAnswers>, SourceError> {
        let mut vertices = Vec::new();
        for (jid, vid, subtasks, (has_inputs, has_outputs)) in placed {
            let mine: Vec<String> = subtasks.iter().filter(|(_, id)| id == tm).map(|(i, _)| i.to_string()).collect();
            if mine.is_empty() {
                continue;
            }
            let body = self
                .get(&format!(
                    "/jobs/{jid}/vertices/{vid}/subtasks/metrics?get={}&agg=sum,max&subtasks={}",
                    queries::TASK_METRICS.join(","),
                    mine.join(",")
                ))
                .await?;
            vertices.push(VertexAnswers {
                subtasks: mine.len(),
                metrics: api::parse_agg(&body)?,
                has_inputs: *has_inputs,
                has_outputs: *has_outputs,
                ..Default::default()
            });
        }
        Ok(vertices)
    }
}

/// (job id, vertex id, [(subtask, TaskManager id)], (has inputs, has outputs))
type Placed = (String, String, Vec<(i64, String)>, (bool, bool));

/// The figures of one TaskManager's tasks that its drill-down row shows: throughput,
/// backpressure and the buffer pools.
fn task_figures(tm: &str, vertices: Vec<VertexAnswers>, has_job: bool) -> Vec<(MetricKey, Option<f64>)> {
    let task = GroupAnswers { taskmanagers: vec![tm.to_string()], vertices, has_job, ..Default::default() };
    assemble::gauges(&task)
        .into_iter()
        .filter(|(key, _)| {
            matches!(key.panel(), crate::model::Panel::Throughput | crate::model::Panel::Backpressure)
                || matches!(
                    key,
                    MetricKey::InPoolUsage
                        | MetricKey::OutPoolUsage
                        | MetricKey::FloatingBuffersUsage
                        | MetricKey::ExclusiveBuffersUsage
                )
        })
        .collect()
}
