//! The Flink REST source of one group: one poll discovers TaskManagers and jobs and reads
//! the group's figures with a number of requests that does not grow with the number of
//! TaskManagers (aggregated endpoints); per-TaskManager detail only when the drill-down
//! table is open.

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use super::api::{self, AggMetric};
use super::queries::{self, MAX_GET_CHARS, MAX_TM_IDS};
use crate::config::{JobSelector, TmPattern};
use crate::model::{Batch, JobHealth, rate::RateTracker};
use crate::sanitize;
use crate::sources::SourceError;
use crate::sources::flink_metrics::assemble::{self, GroupAnswers};
use crate::sources::http::Endpoint;

/// Flink's default metrics.fetcher.update-interval, used until /jobmanager/config says otherwise.
mod drill_down;
mod jobs;

const DEFAULT_REFRESH: Duration = Duration::from_secs(10);
/// How often slow-changing listings (available metric ids) are read again.
const LISTING_TTL: Duration = Duration::from_secs(30);

pub struct RestPoller {
    endpoint: Endpoint,
    pattern: Option<TmPattern>,
    /// Which jobs are the group's (`None`: every running one).
    jobs: Option<JobSelector>,
    /// The Job Health rows of the group's jobs, running and lately ended, by job id.
    job_rows: BTreeMap<String, JobHealth>,
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

impl RestPoller {
    pub(crate) fn new(endpoint: Endpoint, pattern: Option<TmPattern>, jobs: Option<JobSelector>) -> Self {
        RestPoller {
            endpoint,
            pattern,
            jobs,
            job_rows: BTreeMap::new(),
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

        let (taskmanagers, data_ports) = self.list_taskmanagers().await?;

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
        let (fresh, timed) = self.is_refresh(start, &answers.tm_metrics);

        let jobs = api::parse_jobs_overview(&self.get("/jobs/overview").await?)?;
        let (active, job_status) = self.read_jobs(&jobs, &taskmanagers, &mut answers, fresh).await?;

        // A metrics request that finds the store older than the interval triggers a fetch
        // and is answered from the old store; the new values appear one poll later. So a
        // refresh seen now holds values from about the previous poll.
        let at = if fresh { previous_start.unwrap_or(start) } else { start };

        let per_tm = if detail && fresh { self.per_taskmanager(&taskmanagers, &active, at).await? } else { Vec::new() };

        // Exception history: the active jobs', or the last job's when none runs (a job that
        // FAILED with an OutOfMemoryError must still be seen).
        let exceptions = if fresh {
            let mut jids: Vec<&str> = active.iter().map(|(d, _)| d.jid.as_str()).collect();
            if jids.is_empty()
                && let Some(j) = job_status.as_ref()
            {
                jids.push(&j.id);
            }
            self.read_exceptions(&jids).await?
        } else {
            Vec::new()
        };
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
            jobs: self.job_rows.values().cloned().collect(),
            per_tm,
            flink_version: self.flink_version.clone(),
            latency_window: self.latency_window,
            ..Batch::new(crate::model::SourceKind::FlinkRest, at, self.refresh_interval.unwrap_or(DEFAULT_REFRESH))
        })
    }

    /// The group's TaskManagers (sorted ids) and their Netty data ports.
    async fn list_taskmanagers(&self) -> Result<(Vec<String>, Vec<u16>), SourceError> {
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
        Ok((taskmanagers, data_ports))
    }

    /// Whether the TaskManager aggregates show a new refresh of Flink's metric store (see
    /// `poll`), and whether its counters can be timed (not the first answer).
    fn is_refresh(&mut self, start: Instant, tm_metrics: &[AggMetric]) -> (bool, bool) {
        let fingerprint = fingerprint(tm_metrics);
        let changed = self.last_fingerprint != Some(fingerprint) && !tm_metrics.is_empty();
        self.last_fingerprint = Some(fingerprint);
        let refresh = self.refresh_interval.unwrap_or(DEFAULT_REFRESH);
        let fresh = changed && self.last_fresh.is_none_or(|t| start.saturating_duration_since(t) >= refresh / 2);
        // The first answer's values are as old as the JobManager's last fetch, which nobody
        // knows: its gauges count, but counters only give rates from the next refresh on.
        let timed = self.last_fresh.is_some();
        if fresh {
            self.last_fresh = Some(start);
        }
        (fresh, timed)
    }

    /// The exception history of these jobs, the group's entries only.
    async fn read_exceptions(&self, jids: &[&str]) -> Result<Vec<crate::model::ExceptionEntry>, SourceError> {
        let mut exceptions = Vec::new();
        for jid in jids {
            let body = self.get(&format!("/jobs/{jid}/exceptions?maxExceptions=50")).await?;
            exceptions.extend(api::parse_exceptions(&body, jid)?.into_iter().filter(|e| self.owns(e)));
        }
        Ok(exceptions)
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
