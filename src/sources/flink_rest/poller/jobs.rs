//! The group's jobs: their state, and on a refresh their job metrics and each vertex's
//! task figures, latency markers and backpressure.

use std::time::{Duration, Instant};

use super::{LISTING_TTL, RestPoller};
use crate::model::{CheckpointHealth, JobHealth, JobStatus};
use crate::sanitize;
use crate::sources::SourceError;
use crate::sources::flink_metrics::assemble::{self, GroupAnswers, VertexAnswers};
use crate::sources::flink_rest::api::{self, JobDetail, JobOverview};
use crate::sources::flink_rest::queries::{self, MAX_GET_CHARS};

/// Rows of ended jobs the Job Health panel keeps.
const ENDED_ROWS: usize = 20;

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
        let selector = self.jobs.clone();
        let selected = |j: &&JobOverview| selector.as_ref().is_none_or(|s| s.selects(&j.jid, &j.name));
        let mut active: Vec<&JobOverview> = jobs.iter().filter(|j| j.is_active()).filter(selected).collect();
        active.sort_by_key(|j| std::cmp::Reverse(j.start_time));
        self.end_rows(jobs, &active);
        if active.is_empty() {
            // Show what became of the last job (FAILED, CANCELED...): no task figures.
            let last = jobs.iter().filter(selected).max_by_key(|j| j.start_time);
            let status = last.map(|j| JobStatus {
                id: j.jid.clone(),
                name: sanitize::clean(&j.name),
                state: crate::model::JobState::parse(&j.state),
            });
            return Ok((Vec::new(), status));
        }
        let mut details = Vec::new();
        let mut states = Vec::new();
        let mut read = Vec::new();
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
            states.push((sanitize::clean(&detail.name), detail.jid.clone(), state.clone()));
            answers.has_job = true;
            read.push(detail.jid.clone());
            let mut row =
                self.job_rows.remove(&detail.jid).unwrap_or_else(|| JobHealth::new(&detail.jid, "", state.clone()));
            row.name = sanitize::clean(&detail.name);
            row.state = state;
            row.now_ms = detail.now;
            row.start_ms = detail.start_time;
            row.end_ms = None;
            if !with_metrics {
                // Between refreshes the figures repeat: the last refresh's stay.
                self.job_rows.insert(detail.jid.clone(), row);
                details.push((detail, placements));
                continue;
            }
            let first_vertex = answers.vertices.len();
            row.restarts = self.read_job_metrics(&detail.jid, answers).await?.map(|n| n.max(0.0) as u64);
            row.checkpoints = self.read_checkpoints(&detail.jid).await?;
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
            (row.records_in_per_s, row.backpressure) = assemble::job_figures(&answers.vertices[first_vertex..]);
            self.job_rows.insert(detail.jid.clone(), row);
            details.push((detail, placements));
        }
        // A running job that is not the group's this poll (split mode: no subtask here) has no row.
        self.job_rows.retain(|jid, r| r.state.is_terminal() || read.contains(jid));
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

    /// The rows of jobs that were the group's and run no more: their final state from the
    /// overview (a job gone from it, after a JobManager restart, is dropped). At most
    /// `ENDED_ROWS` of them are kept, the newest.
    fn end_rows(&mut self, jobs: &[JobOverview], active: &[&JobOverview]) {
        self.job_rows.retain(|jid, row| {
            if active.iter().any(|j| &j.jid == jid) {
                return true;
            }
            let Some(j) = jobs.iter().find(|j| &j.jid == jid) else { return false };
            row.state = crate::model::JobState::parse(&j.state);
            row.end_ms = (j.end_time > 0).then_some(j.end_time);
            // An ended job processes nothing: its last figures would read as current.
            row.records_in_per_s = None;
            row.backpressure = None;
            true
        });
        let mut ended: Vec<(i64, String)> = self
            .job_rows
            .iter()
            .filter(|(_, r)| r.state.is_terminal())
            .map(|(jid, r)| (r.end_ms.unwrap_or(0), jid.clone()))
            .collect();
        if ended.len() > ENDED_ROWS {
            ended.sort_unstable();
            for (_, jid) in &ended[..ended.len() - ENDED_ROWS] {
                self.job_rows.remove(jid);
            }
        }
    }

    /// The job's checkpoint counts and latest checkpoints; `None` while Flink has none to
    /// tell (a job without checkpointing answers, a restarting one may answer 5xx).
    async fn read_checkpoints(&self, jid: &str) -> Result<Option<CheckpointHealth>, SourceError> {
        match self.get(&format!("/jobs/{jid}/checkpoints")).await {
            Ok(body) => Ok(Some(api::parse_checkpoints(&body)?)),
            Err(SourceError::Status { status, .. }) if status >= 400 => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Adds the job's restarts and checkpoint counts to the group's; returns its restarts.
    async fn read_job_metrics(&self, jid: &str, answers: &mut GroupAnswers) -> Result<Option<f64>, SourceError> {
        let values =
            api::parse_metric_values(&self.get(&format!("/jobs/{jid}/metrics?get={}", queries::JOB_METRICS)).await?)?;
        let add = |slot: &mut Option<f64>, v: Option<f64>| {
            if let Some(v) = v {
                *slot = Some(slot.unwrap_or(0.0) + v);
            }
        };
        let restarts = api::metric_number(&values, "numRestarts");
        add(&mut answers.restarts, restarts);
        add(&mut answers.checkpoints_completed, api::metric_number(&values, "numberOfCompletedCheckpoints"));
        add(&mut answers.checkpoints_failed, api::metric_number(&values, "numberOfFailedCheckpoints"));
        Ok(restarts)
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
