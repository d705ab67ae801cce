//! The Prometheus source of one group: scrapes every endpoint of the group each tick (all
//! at once), parses, and forms the group's figures. Every scrape is a fresh sample: the
//! reporter computes its values when asked.

use std::time::{Duration, Instant};

use super::{flink, node, parse};
use crate::config::TmPattern;
use crate::model::{Batch, JobStatus};
use crate::sources::SourceError;
use crate::sources::flink_rest::assemble;
use crate::sources::http::Endpoint;

pub struct PromPoller {
    endpoints: Vec<Endpoint>,
    pattern: Option<TmPattern>,
    /// NIC interfaces node_exporter's counters are summed over (empty: all).
    interfaces: Vec<String>,
    interval: Duration,
    scrapes: u64,
}

impl PromPoller {
    pub fn new(
        endpoints: Vec<Endpoint>,
        pattern: Option<TmPattern>,
        interfaces: Vec<String>,
        interval: Duration,
    ) -> Self {
        PromPoller { endpoints, pattern, interfaces, interval, scrapes: 0 }
    }

    pub async fn poll(&mut self) -> Result<Batch, SourceError> {
        let at = Instant::now();
        // All endpoints at once: a tick costs the slowest scrape, not their sum.
        let mut set = tokio::task::JoinSet::new();
        for (i, e) in self.endpoints.iter().cloned().enumerate() {
            // The URL as given: node_exporter serves /metrics, Flink's reporter any path.
            set.spawn(async move { (i, e.get("").await) });
        }
        let mut bodies: Vec<Option<Result<String, SourceError>>> = vec![None; self.endpoints.len()];
        while let Some(joined) = set.join_next().await {
            let (i, body) = joined.map_err(|e| SourceError::Other(format!("scrape task: {e}")))?;
            bodies[i] = Some(body);
        }
        let mut texts = Vec::with_capacity(bodies.len());
        for (e, body) in self.endpoints.iter().zip(bodies) {
            // One endpoint down is the source's failure: a partial sum would read as a drop.
            let body = body
                .unwrap_or_else(|| Err(SourceError::Other("no answer".into())))
                .map_err(|err| SourceError::Other(format!("{}: {err}", e.base())))?;
            texts.push(body);
        }
        let mut scrapes = Vec::with_capacity(texts.len());
        for (e, text) in self.endpoints.iter().zip(&texts) {
            let samples = parse::parse(text).map_err(|err| SourceError::Malformed {
                what: "Prometheus text",
                detail: format!("{}: {err}", e.base()),
            })?;
            scrapes.push(samples);
        }
        let answers = flink::answers(&scrapes, self.pattern.as_ref());
        // The first scrape has nothing to form counter rates against.
        let timed = self.scrapes > 0;
        self.scrapes += 1;
        let epoch = assemble::epoch(&answers.taskmanagers) ^ answers.restarts.map(f64::to_bits).unwrap_or(0);
        Ok(Batch {
            provider: "prometheus",
            at,
            fresh: true,
            gauges: assemble::gauges(&answers),
            counters: if timed {
                let mut c = assemble::counters(&answers);
                c.extend(node::counters(&scrapes, &self.interfaces));
                c
            } else {
                Vec::new()
            },
            block_counters: if timed { assemble::block_counters(&answers) } else { Vec::new() },
            exceptions: Vec::new(),
            epoch,
            job: answers.has_job.then(|| JobStatus { id: String::new(), name: String::new(), state: "RUNNING".into() }),
            data_ports: Vec::new(),
            warnings: Vec::new(),
            taskmanagers: answers.taskmanagers,
            per_tm: Vec::new(),
            flink_version: None,
            refresh_interval: self.interval,
        })
    }
}
