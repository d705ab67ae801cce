//! The Flink REST source of one group: one poll discovers TaskManagers and jobs and reads
//! the group's figures with a number of requests that does not grow with the number of
//! TaskManagers (aggregated endpoints); per-TaskManager detail only when the drill-down
//! table is open.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use super::api::{self, AggMetric, JobDetail, JobOverview};
use super::queries::{self, MAX_GET_CHARS, MAX_TM_IDS};
use crate::config::TmPattern;
use crate::model::{Batch, JobStatus, MetricKey, TmRow, rate::RateTracker};
use crate::sanitize;
use crate::sources::SourceError;
use crate::sources::flink_metrics::assemble::{self, GroupAnswers, VertexAnswers};
use crate::sources::http::Endpoint;

/// Flink's default metrics.fetcher.update-interval, used until /jobmanager/config says otherwise.
const DEFAULT_REFRESH: Duration = Duration::from_secs(10);
/// How often slow-changing listings (available metric ids) are read again.
const LISTING_TTL: Duration = Duration::from_secs(30);

pub struct RestPoller {
    endpoint: Endpoint,
    pattern: Option<TmPattern>,
    flink_version: Option<String>,
    refresh_interval: Option<Duration>,
    /// The span of Flink's latency-marker histogram (from the JobManager's config).
    latency_window: Option<Duration>,
    gc_ids: Option<(Instant, Vec<String>)>,
    latency_ids: HashMap<String, (Instant, Vec<String>)>,
    /// Which window of a large vertex's latency markers the next refresh reads.
    latency_round: usize,
    last_fingerprint: Option<u64>,
    last_poll_start: Option<Instant>,
    last_fresh: Option<Instant>,
    tm_cpu: HashMap<String, RateTracker>,
    started: Instant,
}

/// Where one vertex's subtasks run, for split mode and the drill-down.
struct Placement {
    /// (subtask index, TaskManager id, execution state)
    subtasks: Vec<(i64, Option<String>, String)>,
}

impl RestPoller {
    pub(crate) fn new(endpoint: Endpoint, pattern: Option<TmPattern>) -> Self {
        RestPoller {
            endpoint,
            pattern,
            flink_version: None,
            refresh_interval: None,
            latency_window: None,
            gc_ids: None,
            latency_ids: HashMap::new(),
            latency_round: 0,
            last_fingerprint: None,
            last_poll_start: None,
            last_fresh: None,
            tm_cpu: HashMap::new(),
            started: Instant::now(),
        }
    }

    async fn get(&self, path: &str) -> Result<String, SourceError> {
        self.endpoint.get(path).await
    }

    /// One poll. `detail` asks for per-TaskManager rows (the drill-down is open).
    pub async fn poll(&mut self, detail: bool) -> Result<Batch, SourceError> {
        let start = Instant::now();
        let previous_start = self.last_poll_start.replace(start);
        self.discover_cluster().await?;

        let all_tms = api::parse_taskmanagers(&self.get("/taskmanagers").await?)?;
        let mut taskmanagers: Vec<String> = all_tms
            .iter()
            .map(|t| t.id.clone())
            .filter(|id| self.pattern.as_ref().is_none_or(|p| p.is_match(id)))
            .collect();
        taskmanagers.sort();
        let mut data_ports: Vec<u16> = all_tms
            .iter()
            // Sorted: a binary search (a linear one was a million comparisons per poll at 1,000).
            .filter(|t| taskmanagers.binary_search(&t.id).is_ok())
            .filter_map(|t| u16::try_from(t.data_port).ok().filter(|p| *p > 0))
            .collect();
        data_ports.sort_unstable();

        let mut answers = GroupAnswers { taskmanagers: taskmanagers.clone(), ..Default::default() };
        answers.gc_time_ids = self.gc_ids().await?;
        answers.tm_metrics = self.tm_aggregates(&taskmanagers, &answers.gc_time_ids).await?;

        // Flink's metric store refreshes every fetcher interval; between refreshes every
        // answer repeats. The TaskManager aggregates (CPU time always moves) tell a refresh,
        // and without one the job and vertex metric queries are skipped: they would repeat.
        // Flink fills its metric store TaskManager by TaskManager as answers arrive, so one
        // refresh can show up over two polls: a change sooner than half a fetcher interval
        // after the last refresh is the tail of that refresh, not a new one (counting it
        // would make counter rates over a too-short time).
        let fingerprint = fingerprint(&answers.tm_metrics);
        let changed = self.last_fingerprint != Some(fingerprint) && !answers.tm_metrics.is_empty();
        self.last_fingerprint = Some(fingerprint);
        let refresh = self.refresh_interval.unwrap_or(DEFAULT_REFRESH);
        let fresh = changed && self.last_fresh.is_none_or(|t| start.saturating_duration_since(t) >= refresh / 2);
        // The first answer's values are as old as the JobManager's last fetch, which nobody
        // knows: its gauges count, but counters only give rates from the next refresh on.
        let timed = self.last_fresh.is_some();
        if fresh {
            self.last_fresh = Some(start);
        }

        let jobs = api::parse_jobs_overview(&self.get("/jobs/overview").await?)?;
        let (active, job_status) = self.read_jobs(&jobs, &taskmanagers, &mut answers, fresh).await?;

        // A metrics request that finds the store older than the interval triggers a fetch
        // and is answered from the old store; the new values appear one poll later. So a
        // refresh seen now holds values from about the previous poll.
        let at = if fresh { previous_start.unwrap_or(start) } else { start };

        let per_tm = if detail && fresh { self.per_taskmanager(&taskmanagers, &active, at).await? } else { Vec::new() };

        // Exception history: the active jobs', or the last job's when none runs (a job that
        // FAILED with an OutOfMemoryError must still be seen).
        let mut exceptions = Vec::new();
        if fresh {
            let mut jids: Vec<&str> = active.iter().map(|(d, _)| d.jid.as_str()).collect();
            if jids.is_empty()
                && let Some(j) = job_status.as_ref()
            {
                jids.push(&j.id);
            }
            for jid in jids {
                let body = self.get(&format!("/jobs/{jid}/exceptions?maxExceptions=50")).await?;
                exceptions.extend(api::parse_exceptions(&body, jid)?.into_iter().filter(|e| self.owns(e)));
            }
        }
        // Counters restart with the job: a restart starts a new epoch for every rate.
        let epoch = assemble::epoch(&taskmanagers) ^ answers.restarts.map_or(0, f64::to_bits);
        Ok(Batch {
            fresh,
            gauges: assemble::gauges(&answers),
            counters: if timed { assemble::counters(&answers) } else { Vec::new() },
            block_counters: if timed { assemble::block_counters(&answers) } else { Vec::new() },
            exceptions,
            epoch,
            data_ports,
            // Queried as Flink spells them; shown, logged and written cleaned.
            taskmanagers: taskmanagers.iter().map(|t| sanitize::clean(t)).collect(),
            job: job_status,
            per_tm,
            flink_version: self.flink_version.clone(),
            latency_window: self.latency_window,
            ..Batch::new(crate::model::SourceKind::FlinkRest, at, self.refresh_interval.unwrap_or(DEFAULT_REFRESH))
        })
    }

    /// In split mode a failure belongs to the group whose TaskManager pattern matches the
    /// exception's TaskManager; in pair mode every failure of the cluster is the group's.
    fn owns(&self, e: &crate::model::ExceptionEntry) -> bool {
        match (&self.pattern, &e.taskmanager_id) {
            (None, _) => true,
            (Some(p), Some(tm)) => p.is_match(tm),
            (Some(_), None) => false,
        }
    }

    /// Version and fetcher interval, read once per poller (retried until they answer).
    async fn discover_cluster(&mut self) -> Result<(), SourceError> {
        if self.flink_version.is_none() {
            self.flink_version = Some(sanitize::clean(&api::parse_flink_version(&self.get("/config").await?)?));
        }
        if self.refresh_interval.is_none() {
            let cfg = api::parse_jobmanager_config(&self.get("/jobmanager/config").await?)?;
            let ms = api::fetcher_interval_ms(&cfg).unwrap_or(DEFAULT_REFRESH.as_millis() as u64);
            self.refresh_interval = Some(Duration::from_millis(ms.max(100)));
            self.latency_window = api::latency_window(&cfg);
        }
        Ok(())
    }

    async fn gc_ids(&mut self) -> Result<Vec<String>, SourceError> {
        if let Some((at, ids)) = &self.gc_ids
            && at.elapsed() < LISTING_TTL
            && !ids.is_empty()
        {
            return Ok(ids.clone());
        }
        let listing = api::parse_metric_values(&self.get("/taskmanagers/metrics").await?)?;
        let ids = assemble::gc_time_ids(&listing.into_iter().map(|m| m.id).collect::<Vec<_>>());
        self.gc_ids = Some((Instant::now(), ids.clone()));
        Ok(ids)
    }

    async fn tm_aggregates(&self, tms: &[String], gc_ids: &[String]) -> Result<Vec<AggMetric>, SourceError> {
        if tms.is_empty() {
            return Ok(Vec::new());
        }
        let mut names: Vec<&str> = queries::TM_GAUGES.to_vec();
        names.extend(gc_ids.iter().map(String::as_str));
        let get = queries::batches(&names, usize::MAX, MAX_GET_CHARS);
        // Pair mode: the group is every TaskManager of the cluster, and Flink aggregates
        // over all of them when none are named: one request per metric batch, whatever the
        // cluster's size. Split mode names the group's (80 per request, under the URL limit).
        let filters: Vec<String> = if self.pattern.is_none() {
            vec![String::new()]
        } else {
            queries::batches(tms, MAX_TM_IDS, MAX_GET_CHARS)
                .into_iter()
                .map(|ids| format!("&taskmanagers={ids}"))
                .collect()
        };
        let mut batches = Vec::new();
        for filter in &filters {
            for g in &get {
                let body = self.get(&format!("/taskmanagers/metrics?get={g}&agg=sum,avg,max{filter}")).await?;
                batches.push(api::parse_agg(&body)?);
            }
        }
        Ok(assemble::merge_batches(batches))
    }

    /// Reads the group's jobs: state, and (`with_metrics`) job metrics and per-vertex task figures.
    async fn read_jobs(
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

    /// Per-TaskManager rows for the drill-down: TaskManager metrics one request per
    /// TaskManager, task metrics one request per TaskManager and vertex.
    async fn per_taskmanager(
        &mut self,
        tms: &[String],
        jobs: &[(JobDetail, Vec<Placement>)],
        at: Instant,
    ) -> Result<Vec<TmRow>, SourceError> {
        let t = at.saturating_duration_since(self.started).as_secs_f64();
        // Pair mode did not fetch placements; the drill-down needs them.
        // (job id, vertex id, [(subtask, TaskManager id)])
        // (job id, vertex id, [(subtask, TaskManager id)], (has inputs, has outputs))
        type Placed = (String, String, Vec<(i64, String)>, (bool, bool));
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

            let mut vertices = Vec::new();
            for (jid, vid, subtasks, (has_inputs, has_outputs)) in &placed {
                let mine: Vec<String> =
                    subtasks.iter().filter(|(_, id)| id == tm).map(|(i, _)| i.to_string()).collect();
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
            let task = GroupAnswers {
                taskmanagers: vec![tm.clone()],
                vertices,
                has_job: !jobs.is_empty(),
                ..Default::default()
            };
            for (key, value) in assemble::gauges(&task) {
                if matches!(key.panel(), crate::model::Panel::Throughput | crate::model::Panel::Backpressure)
                    || matches!(
                        key,
                        MetricKey::InPoolUsage
                            | MetricKey::OutPoolUsage
                            | MetricKey::FloatingBuffersUsage
                            | MetricKey::ExclusiveBuffersUsage
                    )
                {
                    row.values.push((key, value));
                }
            }
            rows.push(row);
        }
        self.tm_cpu.retain(|id, _| tms.contains(id));
        Ok(rows)
    }
}

fn fingerprint(aggs: &[AggMetric]) -> u64 {
    let mut h = DefaultHasher::new();
    for m in aggs {
        m.id.hash(&mut h);
        for v in [m.sum, m.max, m.min] {
            v.map(f64::to_bits).hash(&mut h);
        }
    }
    h.finish()
}
