//! The Prometheus source of one group: scrapes every endpoint of the group each tick (up
//! to 32 at once), parses, and folds each into the group's figures. Every scrape is a fresh sample: the
//! reporter computes its values when asked.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::{node, parse};
use crate::config::TmPattern;
use crate::model::{Batch, JobStatus, MetricKey, TmRow};
use crate::sources::SourceError;
use crate::sources::flink_metrics::assemble;
use crate::sources::flink_metrics::reporter as flink;
use crate::sources::http::Endpoint;

/// Scrapes at once: enough that a tick costs about one scrape's time at any fleet size,
/// few enough that their texts stay a few MB.
const MAX_IN_FLIGHT: usize = 32;

pub struct PromPoller {
    endpoints: Vec<Endpoint>,
    pattern: Option<TmPattern>,
    /// NIC interfaces node_exporter's counters are summed over (empty: all).
    interfaces: Vec<String>,
    interval: Duration,
    scrapes: u64,
    /// Each TaskManager's last CPU time reading, for its per-TaskManager CPU rate.
    cpu: HashMap<String, (Instant, f64)>,
}

impl PromPoller {
    pub(crate) fn new(
        endpoints: Vec<Endpoint>,
        pattern: Option<TmPattern>,
        interfaces: Vec<String>,
        interval: Duration,
    ) -> Self {
        PromPoller { endpoints, pattern, interfaces, interval, scrapes: 0, cpu: HashMap::new() }
    }

    /// `detail`: also form per-TaskManager rows (the drill-down is open).
    pub async fn poll(&mut self, detail: bool) -> Result<Batch, SourceError> {
        let at = Instant::now();
        let mut group = flink::Fold::new(self.pattern.as_ref());
        let mut hosts = node::Fold::default();
        let mut by_tm: BTreeMap<String, flink::Fold<'static>> = BTreeMap::new();
        let mut warnings = Vec::new();
        // Up to MAX_IN_FLIGHT endpoints at once: a tick costs about the slowest scrape, and
        // each text is folded into the group's figures and dropped as it arrives, in the
        // endpoints' order (sums do not depend on which answered first).
        let mut in_flight = InFlight::default();
        let mut next = 0;
        loop {
            while in_flight.0.len() < MAX_IN_FLIGHT && next < self.endpoints.len() {
                let e = self.endpoints[next].clone();
                // The URL as given: node_exporter serves /metrics, Flink's reporter any path.
                in_flight.0.push_back(tokio::spawn(async move { e.get("").await }));
                next += 1;
            }
            let done = next - in_flight.0.len();
            let Some(handle) = in_flight.0.pop_front() else { break };
            let e = &self.endpoints[done];
            // One endpoint down is the source's failure: a partial sum would read as a drop.
            let text = handle
                .await
                .map_err(|err| SourceError::Other(format!("scrape task: {err}")))?
                .map_err(|err| SourceError::Other(format!("{}: {err}", e.base())))?;
            let parsed = parse::parse_lenient(&text).map_err(|err| SourceError::Malformed {
                what: "Prometheus text",
                detail: format!("{}: {err}", e.base()),
            })?;
            // A malformed line costs that line: counted, shown as the source's warning.
            if let Some(first) = &parsed.first_error {
                warnings.push(format!("{}: {} malformed line(s) skipped, first {first}", e.base(), parsed.malformed));
            }
            group.add(&parsed.samples);
            hosts.add(&parsed.samples, &self.interfaces);
            if detail {
                route(&mut by_tm, &parsed.samples, self.pattern.as_ref());
            }
        }
        let answers = group.finish();
        let per_tm = if detail { self.tm_rows(by_tm, at) } else { Vec::new() };
        // The first scrape has nothing to form counter rates against.
        let timed = self.scrapes > 0;
        self.scrapes += 1;
        let epoch = assemble::epoch(&answers.taskmanagers) ^ answers.restarts.map_or(0, f64::to_bits);
        Ok(Batch {
            gauges: assemble::gauges(&answers),
            counters: if timed {
                let mut c = assemble::counters(&answers);
                c.extend(hosts.finish());
                c
            } else {
                Vec::new()
            },
            block_counters: if timed { assemble::block_counters(&answers) } else { Vec::new() },
            epoch,
            job: answers.has_job.then(JobStatus::running),
            warnings,
            taskmanagers: answers.taskmanagers,
            per_tm,
            ..Batch::new(crate::model::SourceKind::Prometheus, at, self.interval)
        })
    }
}

/// Scrapes started and not yet folded; aborted when the poll ends early (an endpoint
/// failed, or the tick's deadline dropped the poll).
#[derive(Default)]
struct InFlight(VecDeque<tokio::task::JoinHandle<Result<String, SourceError>>>);

impl Drop for InFlight {
    fn drop(&mut self) {
        for h in &self.0 {
            h.abort();
        }
    }
}

/// Each TaskManager's samples (of those the pattern takes) into that TaskManager's fold.
fn route(
    by_tm: &mut BTreeMap<String, flink::Fold<'static>>,
    samples: &[parse::Sample<'_>],
    pattern: Option<&TmPattern>,
) {
    let mut last: Option<(std::borrow::Cow<'_, str>, Option<String>)> = None;
    for s in samples {
        let Some(raw) = s.label("tm_id") else { continue };
        if last.as_ref().is_none_or(|(r, _)| *r != raw) {
            let tm = crate::sanitize::clean(&raw);
            last = Some((raw, flink::tm_matches(pattern, &tm).then_some(tm)));
        }
        if let Some((_, Some(tm))) = &last {
            by_tm.entry(tm.clone()).or_insert_with(|| flink::Fold::new(None)).add_one(s);
        }
    }
}

impl PromPoller {
    /// Per-TaskManager rows at the scrape's resolution: each TaskManager's own samples go
    /// through the same mapping as the group's (its subtasks summed or averaged).
    #[cfg(test)]
    fn per_taskmanager(&mut self, scrapes: &[Vec<parse::Sample<'_>>], at: Instant) -> Vec<TmRow> {
        let mut by_tm = BTreeMap::new();
        for scrape in scrapes {
            route(&mut by_tm, scrape, self.pattern.as_ref());
        }
        self.tm_rows(by_tm, at)
    }

    fn tm_rows(&mut self, by_tm: BTreeMap<String, flink::Fold<'static>>, at: Instant) -> Vec<TmRow> {
        self.cpu.retain(|tm, _| by_tm.contains_key(tm));
        by_tm
            .into_iter()
            .map(|(tm, fold)| {
                let a = fold.finish();
                let mut values = assemble::gauges(&a);
                let cpu = assemble::counters(&a).into_iter().find(|c| c.key == MetricKey::CpuCores);
                let rate = cpu.and_then(|c| {
                    let previous = self.cpu.insert(tm.clone(), (at, c.total));
                    let (t0, v0) = previous?;
                    let dt = at.duration_since(t0).as_secs_f64();
                    (dt > 0.0 && c.total >= v0).then(|| (c.total - v0) / dt * c.scale)
                });
                values.push((MetricKey::CpuCores, rate));
                TmRow { id: tm, values }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AuthConfig, HttpSettings, TlsConfig};

    #[test]
    fn per_taskmanager_rows_from_a_real_reporter() {
        let text = std::fs::read_to_string(format!(
            "{}/tests/fixtures/flink-2.3.0/prometheus-taskmanager.txt",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let line = text.lines().find(|l| l.starts_with("flink_taskmanager_Status_JVM_CPU_Time")).unwrap();
        let cpu: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        // One second later the JVM has used half a core more.
        let later = text.replace(line, &line.replace(line.rsplit(' ').next().unwrap(), &format!("{:?}", cpu + 5e8)));
        let endpoint = Endpoint::new(
            "http://127.0.0.1:9",
            &AuthConfig::default(),
            &TlsConfig::default(),
            &HttpSettings::default(),
        )
        .unwrap();
        let mut p = PromPoller::new(vec![endpoint], None, Vec::new(), Duration::from_secs(1));
        let t0 = Instant::now();
        let first = p.per_taskmanager(&[parse::parse(&text).unwrap()], t0);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].id, "tm_base_1");
        assert_eq!(first[0].get(MetricKey::CpuCores), None, "no rate from one reading");
        assert!(first[0].get(MetricKey::RecordsInPerS).unwrap() > 0.0);
        assert!(first[0].get(MetricKey::InPoolUsage).is_some() && first[0].get(MetricKey::HeapUsedBytes).is_some());
        let second = p.per_taskmanager(&[parse::parse(&later).unwrap()], t0 + Duration::from_secs(1));
        let cores = second[0].get(MetricKey::CpuCores).unwrap();
        assert!((cores - 0.5).abs() < 1e-6, "{cores}");
        // A regex for the other group leaves no rows.
        let mut other =
            PromPoller::new(Vec::new(), Some(TmPattern::new("^tm-var").unwrap()), Vec::new(), Duration::from_secs(1));
        assert!(other.per_taskmanager(&[parse::parse(&text).unwrap()], t0).is_empty());
    }

    /// A reporter on 127.0.0.1 answering `body` (or, without one, HTTP 500) to every request.
    async fn reporter(body: Option<String>) -> Endpoint {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let body = body.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    while let Ok(n) = stream.read(&mut buf).await {
                        if n == 0 {
                            return;
                        }
                        let (status, text) = match &body {
                            Some(b) => ("200 OK", b.as_str()),
                            None => ("500 Internal Server Error", "down"),
                        };
                        let head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n\r\n", text.len());
                        if stream.write_all(head.as_bytes()).await.is_err()
                            || stream.write_all(text.as_bytes()).await.is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
        Endpoint::new(&url, &AuthConfig::default(), &TlsConfig::default(), &HttpSettings::default()).unwrap()
    }

    #[tokio::test]
    async fn more_endpoints_than_scraped_at_once_all_count() {
        let text = std::fs::read_to_string(format!(
            "{}/tests/fixtures/flink-2.3.0/prometheus-taskmanager.txt",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let n = MAX_IN_FLIGHT + 9;
        let texts: Vec<String> =
            (0..n).map(|i| text.replace("tm_id=\"tm_base_1\"", &format!("tm_id=\"tm_{i:02}\""))).collect();
        let mut endpoints = Vec::new();
        for t in &texts {
            endpoints.push(reporter(Some(t.clone())).await);
        }
        let mut p = PromPoller::new(endpoints.clone(), None, Vec::new(), Duration::from_secs(1));
        let batch = p.poll(true).await.unwrap();
        assert_eq!(batch.taskmanagers.len(), n, "every endpoint folded");
        assert_eq!(batch.per_tm.len(), n);
        // The fold equals the figures of every text read at once.
        let scrapes: Vec<_> = texts.iter().map(|t| parse::parse(t).unwrap()).collect();
        let all = assemble::gauges(&flink::answers(&scrapes, None));
        assert_eq!(batch.gauges, all);
        let records = all.iter().find(|(k, _)| *k == MetricKey::RecordsInPerS).unwrap().1.unwrap();
        let one = assemble::gauges(&flink::answers(&scrapes[..1], None));
        let one = one.iter().find(|(k, _)| *k == MetricKey::RecordsInPerS).unwrap().1.unwrap();
        assert!((records - one * n as f64).abs() < 1e-6 * records, "{records} vs {n} x {one}");

        // One endpoint down, past the first window of scrapes: the source fails, naming it.
        let down = reporter(None).await;
        endpoints.insert(MAX_IN_FLIGHT + 3, down.clone());
        let mut p = PromPoller::new(endpoints, None, Vec::new(), Duration::from_secs(1));
        let err = p.poll(false).await.unwrap_err().to_string();
        assert!(err.contains(down.base()) && err.contains("500"), "{err}");
    }
}
