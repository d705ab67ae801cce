//! The Prometheus server source of one group: every metric key's instant query at once,
//! each tick. A query the server rejects costs its metric (a warning); an unreachable
//! server fails the source.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::queries::{self, Selector};
use crate::model::{Batch, JobStatus, MetricKey};
use crate::sources::SourceError;
use crate::sources::http::Endpoint;

pub(crate) struct ServerPoller {
    endpoint: Endpoint,
    queries: Vec<(MetricKey, String)>,
    /// `group by (tm_id)` over the TaskManager series: the group's TaskManagers.
    tm_query: String,
    /// The newest sample's time (see `queries::last_scrape`), and its last answer.
    probe_query: String,
    last_probe: Option<f64>,
    last_warnings: Vec<String>,
    /// When the figures were last asked.
    last_full: Option<Instant>,
    offset: Option<Duration>,
    scrape_interval: Duration,
    rate_window: Duration,
    last: Option<Vec<(MetricKey, Option<f64>)>>,
    /// The group's TaskManagers at the last scrape seen.
    taskmanagers: Option<Vec<String>>,
    /// How far back the first poll fills the window from the server's history.
    backfill: Duration,
    backfilled: bool,
}

impl ServerPoller {
    pub(crate) fn new(
        endpoint: Endpoint,
        tms: &Selector,
        job: &Selector,
        rate_window: Duration,
        offset: Option<Duration>,
        scrape_interval: Duration,
        backfill: Duration,
    ) -> Self {
        let window = format!("{}s", rate_window.as_secs().max(1));
        let queries =
            MetricKey::ALL.iter().filter_map(|k| queries::query(*k, tms, job, &window).map(|q| (*k, q))).collect();
        let tm_query = queries::taskmanager_ids(tms);
        let probe_query = queries::last_scrape(tms);
        ServerPoller {
            endpoint,
            queries,
            tm_query,
            probe_query,
            last_probe: None,
            last_warnings: Vec::new(),
            last_full: None,
            offset,
            scrape_interval,
            rate_window,
            last: None,
            taskmanagers: None,
            backfill,
            backfilled: false,
        }
    }

    fn path(&self, query: &str, time: Option<f64>) -> String {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        url.append_pair("query", query);
        if let Some(t) = time {
            url.append_pair("time", &format!("{t:.3}"));
        }
        format!("/api/v1/query?{}", url.finish())
    }

    pub(crate) async fn poll(&mut self) -> Result<Batch, SourceError> {
        let at = Instant::now();
        let now_unix = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
        // With an offset, every query reads the same instant in the past.
        let time = self.offset.map(|o| now_unix - o.as_secs_f64());
        let mut warnings = Vec::new();
        let history = if self.backfilled {
            Vec::new()
        } else {
            self.backfilled = true;
            self.history(time.unwrap_or(now_unix), &mut warnings).await
        };
        // Between the server's scrapes every answer repeats: one query for the newest
        // sample's time tells a new scrape, and only then are the figures asked again, at
        // most twice per scrape interval (a large group's targets are scraped at spread
        // times, so some sample is new at nearly every tick; each target still brings one
        // new sample per interval). Thirty queries per tick per group were ~1% of a core.
        let probe =
            queries::parse_answer(&self.endpoint.get(&self.path(&self.probe_query, time)).await?).ok().flatten();
        let recent = self.last_full.is_some_and(|t| at.saturating_duration_since(t) < self.scrape_interval / 2);
        if let (Some(p), Some(last)) = (probe, &self.last)
            && history.is_empty()
            && (self.last_probe == Some(p) || recent)
        {
            return Ok(Batch {
                fresh: false,
                gauges: last.clone(),
                taskmanagers: self.taskmanagers.clone().unwrap_or_default(),
                warnings: self.last_warnings.clone(),
                job: last.iter().any(|(k, v)| *k == MetricKey::RecordsInPerS && v.is_some()).then(JobStatus::running),
                independent_interval: self.scrape_interval.max(self.rate_window),
                ..Batch::new(crate::model::SourceKind::PrometheusServer, at, self.scrape_interval)
            });
        }
        self.last_probe = probe;
        self.last_full = Some(at);
        let gauges = self.query_all(time, &mut warnings).await?;
        if gauges.iter().all(|(_, v)| v.is_none()) && warnings.len() >= self.queries.len() {
            return Err(SourceError::Malformed { what: "PromQL answers", detail: warnings.swap_remove(0) });
        }
        // The server's values change once per scrape: a poll that sees none change is a repeat.
        let fresh = self.last.as_ref() != Some(&gauges);
        self.last = Some(gauges.clone());
        // The TaskManager list is as long as the fleet (1,000 series at 1,000 TaskManagers):
        // asked again only when a scrape landed, not on every repeat between scrapes.
        if fresh || self.taskmanagers.is_none() {
            let tm_body = self.endpoint.get(&self.path(&self.tm_query, time)).await?;
            let mut ids = tm_ids(&tm_body);
            ids.sort();
            self.taskmanagers = Some(ids);
        }
        let taskmanagers = self.taskmanagers.clone().unwrap_or_default();
        let has_job = gauges.iter().any(|(k, v)| *k == MetricKey::RecordsInPerS && v.is_some());
        self.last_warnings = warnings.clone();
        Ok(Batch {
            fresh,
            gauges,
            taskmanagers,
            warnings,
            history,
            job: has_job.then(JobStatus::running),
            // rate() over the rate window: values closer than that share most of their data.
            independent_interval: self.scrape_interval.max(self.rate_window),
            ..Batch::new(crate::model::SourceKind::PrometheusServer, at, self.scrape_interval)
        })
    }
}

impl ServerPoller {
    /// Every metric's query at once (they run concurrently); an answer the server could not
    /// give fails the poll, an answer that does not parse costs its metric only (a warning).
    async fn query_all(
        &self,
        time: Option<f64>,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<(MetricKey, Option<f64>)>, SourceError> {
        let mut set = tokio::task::JoinSet::new();
        for (i, (_, q)) in self.queries.iter().enumerate() {
            let (e, path) = (self.endpoint.clone(), self.path(q, time));
            set.spawn(async move { (i, e.get(&path).await) });
        }
        let mut answers: Vec<Option<Result<String, SourceError>>> = vec![None; self.queries.len()];
        while let Some(joined) = set.join_next().await {
            let (i, a) = joined.map_err(|e| SourceError::Other(format!("query task: {e}")))?;
            answers[i] = Some(a);
        }
        let mut gauges = Vec::with_capacity(self.queries.len());
        for ((key, q), a) in self.queries.iter().zip(answers) {
            // The server unreachable or failing is the source's failure.
            let body = a.unwrap_or_else(|| Err(SourceError::Other("no answer".into())))?;
            match queries::parse_answer(&body) {
                Ok(v) => gauges.push((*key, v)),
                Err(e) => {
                    warnings.push(format!("{}: {e} (query {q})", key.as_str()));
                    gauges.push((*key, None));
                }
            }
        }
        Ok(gauges)
    }

    /// The window before `end` (unix seconds) from range queries, one point per scrape
    /// interval: the comparison has samples from the start. A failed range query costs
    /// its metric's history (a warning), not the poll.
    async fn history(&self, end: f64, warnings: &mut Vec<String>) -> Vec<(f64, crate::model::Gauges)> {
        let window = self.backfill.as_secs_f64();
        // Prometheus answers at most 11 000 points per series.
        let step = self.scrape_interval.as_secs_f64().max(window / 10_000.0).max(0.001);
        let (start, stop) = (end - window, end - step / 2.0);
        if stop <= start {
            return Vec::new();
        }
        let mut set = tokio::task::JoinSet::new();
        for (key, q) in self.queries.clone() {
            let mut url = url::form_urlencoded::Serializer::new(String::new());
            url.append_pair("query", &q)
                .append_pair("start", &format!("{start:.3}"))
                .append_pair("end", &format!("{stop:.3}"))
                .append_pair("step", &format!("{step:.3}"));
            let (e, path) = (self.endpoint.clone(), format!("/api/v1/query_range?{}", url.finish()));
            set.spawn(async move { (key, e.get(&path).await) });
        }
        // unix millisecond -> the values of every key at that instant
        let mut at: BTreeMap<i64, Vec<(MetricKey, Option<f64>)>> = BTreeMap::new();
        while let Some(Ok((key, answer))) = set.join_next().await {
            match answer.map_err(|e| e.to_string()).and_then(|body| queries::parse_range(&body)) {
                Ok(points) => {
                    for (t, v) in points {
                        at.entry((t * 1000.0).round() as i64).or_default().push((key, Some(v)));
                    }
                }
                Err(e) => warnings.push(format!("{} history: {e}", key.as_str())),
            }
        }
        at.into_iter().map(|(ms, gauges)| (end - ms as f64 / 1000.0, gauges)).collect()
    }
}

/// The `tm_id` labels of a `group by (tm_id)` answer.
fn tm_ids(body: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    v["data"]["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["metric"]["tm_id"].as_str().map(crate::sanitize::clean))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;
    use crate::config::{AuthConfig, HttpSettings, TlsConfig};

    /// A Prometheus HTTP API on 127.0.0.1: every instant query answers `value` (the newest
    /// sample's time: `scrape`), range queries an empty matrix; it counts the queries.
    async fn server(scrape: Arc<AtomicU64>, value: Arc<AtomicU64>, queries: Arc<AtomicU64>) -> Endpoint {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (scrape, value, queries) = (scrape.clone(), value.clone(), queries.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 65536];
                    while let Ok(n) = stream.read(&mut buf).await {
                        if n == 0 {
                            return;
                        }
                        let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                        let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                        let body = if target.starts_with("/api/v1/query_range") {
                            r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#.to_string()
                        } else {
                            queries.fetch_add(1, Ordering::Relaxed);
                            let v = if target.contains("timestamp") {
                                scrape.load(Ordering::Relaxed)
                            } else {
                                value.load(Ordering::Relaxed)
                            };
                            format!(
                                r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{}},"value":[1,"{v}"]}}]}}}}"#
                            )
                        };
                        let resp = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len());
                        if stream.write_all(resp.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Endpoint::new(&url, &AuthConfig::default(), &TlsConfig::default(), &HttpSettings::default()).unwrap()
    }

    #[tokio::test]
    async fn between_scrapes_one_query_per_tick() {
        let (scrape, value, queries) =
            (Arc::new(AtomicU64::new(100)), Arc::new(AtomicU64::new(7)), Arc::new(AtomicU64::new(0)));
        let endpoint = server(scrape.clone(), value.clone(), queries.clone()).await;
        let tms = Selector::new(r#"{job="flink"}"#).unwrap();
        let s = Duration::from_millis(400);
        let mut p = ServerPoller::new(endpoint, &tms, &tms, s, None, s, Duration::from_secs(60));
        let first = p.poll().await.unwrap();
        assert!(first.fresh && first.gauges.iter().any(|(_, v)| *v == Some(7.0)));
        let full = queries.swap(0, Ordering::Relaxed);
        assert!(full > 10, "every figure asked: {full}");

        // No scrape since: one query, the figures repeat, not fresh.
        value.store(8, Ordering::Relaxed);
        let repeat = p.poll().await.unwrap();
        assert_eq!(queries.swap(0, Ordering::Relaxed), 1, "only the newest sample's time");
        assert!(!repeat.fresh);
        assert_eq!(repeat.gauges, first.gauges);
        assert_eq!(repeat.taskmanagers, first.taskmanagers);

        // A scrape landed, but the figures were asked less than half a scrape interval
        // ago: they wait.
        scrape.store(110, Ordering::Relaxed);
        assert!(!p.poll().await.unwrap().fresh);
        assert_eq!(queries.swap(0, Ordering::Relaxed), 1);
        // Then every figure again, the new values.
        tokio::time::sleep(s / 2).await;
        let next = p.poll().await.unwrap();
        assert!(queries.load(Ordering::Relaxed) > 10);
        assert!(next.fresh && next.gauges.iter().any(|(_, v)| *v == Some(8.0)));
    }
}
