//! The group's jobs: their state, and on a refresh their job metrics and each vertex's
//! task figures, latency markers and backpressure.

use std::time::{Duration, Instant};

use super::{LISTING_TTL, RestPoller};
use crate::model::JobStatus;
use crate::sanitize;
use crate::sources::SourceError;
use crate::sources::flink_metrics::assemble::{self, GroupAnswers, VertexAnswers};
use crate::sources::flink_rest::api::{self, JobDetail, JobOverview};
use crate::sources::flink_rest::queries::{self, MAX_GET_CHARS};

/// Where one vertex's subtasks run, for split mode and the drill-down.
pub(super) struct Placement {
    /// (subtask index, TaskManager id, execution state)
    pub(super) subtasks: Vec<(i64, Option<String>, String)>,
}

impl RestPoller {
    /// Reads the group's jobs: state, and (`with_metrics`) job metrics and per-vertex task figures.
    pub(super) async fn read_jobs(
        &mut self,
        jobs: &[JobOverview],
        tms: &[String],
        answers: &mut GroupAnswers,
        with_metrics: bool,
    ) -> Result<(Vec<(JobDetail, Vec<Placement>)>, Option<JobStatus>), SourceError> {
        let mut active: Vec<&JobOverview> = jobs.iter().filter(|j| j.is_active()).collect();
        active.sort_by_key(|j| std::cmp::Reverse(j.start_time));
        if active.is_empty() {
            // Show what became of the last job (FAILED, CANCELED...): no task figures.
            let last = jobs.iter().max_by_key(|j| j.start_time);
            let status = last.map(|j| JobStatus {
                id: j.jid.clone(),
                name: sanitize::clean(&j.name),
                state: crate::model::JobState::parse(&j.state),
            });
            return Ok((Vec::new(), status));
        }
        let mut details = Vec::new();
        let mut states = Vec::new();
        for job in active {
            let detail = api::parse_job(&self.get(&format!("/jobs/{}", job.jid)).await?)?;
            let placements = self.placements(&detail, tms).await?;
            let state = if self.pattern.is_none() {
                assemble::job_state(
                    &detail.state,
                    detail.vertices.iter().flat_map(|v| v.tasks.iter().map(|(s, n)| (s.as_str(), *n))),
                )
            } else {
                let statuses: Vec<(&str, i64)> =
                    placements.iter().flat_map(|p| p.subtasks.iter().map(|(_, _, s)| (s.as_str(), 1))).collect();
                assemble::job_state(&detail.state, statuses)
            };
            if self.pattern.is_some() && placements.iter().all(|p| p.subtasks.is_empty()) && detail.state == "RUNNING" {
                // In split mode a job with no subtask on this group's TaskManagers is not the group's.
                continue;
            }
            states.push((sanitize::clean(&detail.name), detail.jid.clone(), state));
            answers.has_job = true;
            if !with_metrics {
                details.push((detail, placements));
                continue;
            }
            self.read_job_metrics(&detail.jid, answers).await?;
            for (vertex, placement) in detail.vertices.iter().zip(&placements) {
                let subtasks =
                    self.pattern.as_ref().map(|_| placement.subtasks.iter().map(|(i, _, _)| *i).collect::<Vec<_>>());
                if subtasks.as_ref().is_some_and(std::vec::Vec::is_empty) {
                    continue;
                }
                let mut v =
                    self.read_vertex(&detail.jid, &vertex.id, vertex.parallelism as usize, subtasks.as_deref()).await?;
                (v.has_inputs, v.has_outputs) = detail.exchanges(&vertex.id);
                answers.vertices.push(v);
            }
            details.push((detail, placements));
        }
        let status = states.first().map(|(name, id, _)| {
            let worst = states.iter().map(|(_, _, s)| s).find(|s| !s.is_running()).unwrap_or(&states[0].2).clone();
            let name = if states.len() > 1 { format!("{name} (+{} more)", states.len() - 1) } else { name.clone() };
            JobStatus { id: id.clone(), name, state: worst }
        });
        Ok((details, status))
    }

    /// Subtask placement per vertex; only fetched when a TaskManager pattern splits the
    /// cluster (pair mode needs none).
    async fn placements(&self, job: &JobDetail, tms: &[String]) -> Result<Vec<Placement>, SourceError> {
        let mut out = Vec::new();
        for v in &job.vertices {
            if self.pattern.is_none() {
                out.push(Placement { subtasks: Vec::new() });
                continue;
            }
            let subtasks =
                api::parse_vertex_subtasks(&self.get(&format!("/jobs/{}/vertices/{}", job.jid, v.id)).await?)?;
            out.push(Placement {
                subtasks: subtasks
                    .into_iter()
                    .filter(|s| s.taskmanager_id.as_ref().is_some_and(|id| tms.binary_search(id).is_ok()))
                    .map(|s| (s.subtask, s.taskmanager_id, s.status))
                    .collect(),
            });
        }
        Ok(out)
    }

    async fn read_job_metrics(&self, jid: &str, answers: &mut GroupAnswers) -> Result<(), SourceError> {
        let values =
            api::parse_metric_values(&self.get(&format!("/jobs/{jid}/metrics?get={}", queries::JOB_METRICS)).await?)?;
        let add = |slot: &mut Option<f64>, v: Option<f64>| {
            if let Some(v) = v {
                *slot = Some(slot.unwrap_or(0.0) + v);
            }
        };
        add(&mut answers.restarts, api::metric_number(&values, "numRestarts"));
        add(&mut answers.checkpoints_completed, api::metric_number(&values, "numberOfCompletedCheckpoints"));
        add(&mut answers.checkpoints_failed, api::metric_number(&values, "numberOfFailedCheckpoints"));
        Ok(())
    }

    async fn read_vertex(
        &mut self,
        jid: &str,
        vid: &str,
        parallelism: usize,
        subtasks: Option<&[i64]>,
    ) -> Result<VertexAnswers, SourceError> {
        let filter = subtasks
            .map(|s| format!("&subtasks={}", s.iter().map(i64::to_string).collect::<Vec<_>>().join(",")))
            .unwrap_or_default();
        let base = format!("/jobs/{jid}/vertices/{vid}/subtasks/metrics");
        let names: Vec<&str> = queries::TASK_METRICS.iter().chain(queries::TASK_COUNTERS).copied().collect();
        let metrics =
            api::parse_agg(&self.get(&format!("{base}?get={}&agg=sum,avg,max{filter}", names.join(","))).await?)?;

        let mut ids = self.latency_ids(&base, vid).await?;
        if let Some(s) = subtasks {
            ids = queries::latency_ids_of(&ids, s);
        }
        self.latency_round = self.latency_round.wrapping_add(1);
        let ids = queries::latency_sample(&ids, self.latency_round);
        let mut latency = Vec::new();
        for g in queries::batches(&ids, usize::MAX, MAX_GET_CHARS) {
            latency.extend(api::parse_agg(&self.get(&format!("{base}?get={g}&agg=max")).await?)?);
        }
        // While the job's tasks are not running (a restart's delay) Flink answers the
        // backpressure sample with HTTP 500 (NoSuchElementException): the level is unknown
        // then, and the rest of the poll (the exception history above all) still counts.
        let backpressure = match self.get(&format!("/jobs/{jid}/vertices/{vid}/backpressure")).await {
            Ok(body) => api::parse_backpressure_of(&body, subtasks)?,
            Err(SourceError::Status { status, .. }) if status >= 500 => None,
            Err(e) => return Err(e),
        };
        Ok(VertexAnswers {
            subtasks: subtasks.map_or(parallelism, <[i64]>::len),
            metrics,
            latency,
            backpressure,
            has_inputs: true,
            has_outputs: true,
        })
    }

    async fn latency_ids(&mut self, base: &str, vid: &str) -> Result<Vec<String>, SourceError> {
        if let Some((at, ids)) = self.latency_ids.get(vid)
            && at.elapsed() < LISTING_TTL
        {
            return Ok(ids.clone());
        }
        let listing = api::parse_metric_values(&self.get(base).await?)?;
        let ids = queries::latency_ids(&listing.into_iter().map(|m| m.id).collect::<Vec<_>>());
        // Markers appear some seconds after the job starts: an empty list is asked again soon.
        let at = if ids.is_empty() { Instant::now() - LISTING_TTL + Duration::from_secs(5) } else { Instant::now() };
        self.latency_ids.insert(vid.to_string(), (at, ids.clone()));
        Ok(ids)
    }
}
