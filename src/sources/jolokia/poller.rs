//! The Jolokia source of one group: a bulk read of every endpoint each tick (all at once),
//! mapped like Flink's Prometheus reporter. An MBean that fails (404 and the like) costs
//! its metrics and is reported as a warning; a dead endpoint fails the source, as a partial
//! sum would read as a drop.

use std::time::{Duration, Instant};

use super::read;
use crate::config::TmPattern;
use crate::model::{Batch, JobStatus};
use crate::sources::SourceError;
use crate::sources::flink_metrics::assemble;
use crate::sources::flink_metrics::reporter as flink;
use crate::sources::http::Endpoint;

pub(crate) struct JolokiaPoller {
    endpoints: Vec<Endpoint>,
    pattern: Option<TmPattern>,
    interval: Duration,
    polls: u64,
}

impl JolokiaPoller {
    pub(crate) fn new(endpoints: Vec<Endpoint>, pattern: Option<TmPattern>, interval: Duration) -> Self {
        JolokiaPoller { endpoints, pattern, interval, polls: 0 }
    }

    pub(crate) async fn poll(&mut self) -> Result<Batch, SourceError> {
        let at = Instant::now();
        let request = read::request();
        let mut set = tokio::task::JoinSet::new();
        for (i, e) in self.endpoints.iter().cloned().enumerate() {
            let body = request.clone();
            set.spawn(async move { (i, e.post_json("", &body).await) });
        }
        let mut answers: Vec<Option<Result<String, SourceError>>> = vec![None; self.endpoints.len()];
        while let Some(joined) = set.join_next().await {
            let (i, a) = joined.map_err(|e| SourceError::Other(format!("Jolokia task: {e}")))?;
            answers[i] = Some(a);
        }
        let mut scrapes = Vec::with_capacity(answers.len());
        let mut warnings = Vec::new();
        for (e, a) in self.endpoints.iter().zip(answers) {
            let a = a
                .unwrap_or_else(|| Err(SourceError::Other("no answer".into())))
                .map_err(|err| SourceError::Other(format!("{}: {err}", e.base())))?;
            let converted = read::convert(&a, e.base()).map_err(|detail| SourceError::Malformed {
                what: "Jolokia answer",
                detail: format!("{}: {detail}", e.base()),
            })?;
            warnings.extend(converted.errors.into_iter().map(|w| format!("{}: {w}", e.base())));
            scrapes.push((e, converted.readings));
        }
        // Every read of an agent failed: nothing to map is the source's failure, not "0".
        if let Some((e, _)) = scrapes.iter().find(|(_, r)| r.is_empty()) {
            return Err(SourceError::Malformed {
                what: "Jolokia answer",
                detail: format!("{}: no metric could be read{}", e.base(), first(&warnings)),
            });
        }
        let scrapes: Vec<_> = scrapes.into_iter().map(|(_, r)| r).collect();
        if !warnings.is_empty() {
            tracing::warn!(count = warnings.len(), first = %warnings[0], "Jolokia reads failed");
        }
        let answers = flink::answers(&scrapes, self.pattern.as_ref());
        let timed = self.polls > 0;
        self.polls += 1;
        let epoch = assemble::epoch(&answers.taskmanagers);
        Ok(Batch {
            gauges: assemble::gauges(&answers),
            counters: if timed { assemble::counters(&answers) } else { Vec::new() },
            block_counters: if timed { assemble::block_counters(&answers) } else { Vec::new() },
            epoch,
            job: answers.has_job.then(JobStatus::running),
            warnings,
            taskmanagers: answers.taskmanagers,
            ..Batch::new(crate::model::SourceKind::Jolokia, at, self.interval)
        })
    }
}

fn first(warnings: &[String]) -> String {
    warnings.first().map(|w| format!("; first failed read: {w}")).unwrap_or_default()
}
