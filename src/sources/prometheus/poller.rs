//! The Prometheus source of one group: scrapes every endpoint of the group each tick (all
//! at once), parses, and forms the group's figures. Every scrape is a fresh sample: the
//! reporter computes its values when asked.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use super::{flink, node, parse};
use crate::config::TmPattern;
use crate::model::{Batch, JobStatus, MetricKey, TmRow};
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
    /// Each TaskManager's last CPU time reading, for its per-TaskManager CPU rate.
    cpu: HashMap<String, (Instant, f64)>,
}

impl PromPoller {
    pub fn new(
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
        let mut warnings = Vec::new();
        for (e, text) in self.endpoints.iter().zip(&texts) {
            let parsed = parse::parse_lenient(text).map_err(|err| SourceError::Malformed {
                what: "Prometheus text",
                detail: format!("{}: {err}", e.base()),
            })?;
            // A malformed line costs that line: counted, shown as the source's warning.
            if let Some(first) = &parsed.first_error {
                warnings.push(format!("{}: {} malformed line(s) skipped, first {first}", e.base(), parsed.malformed));
            }
            scrapes.push(parsed.samples);
        }
        let answers = flink::answers(&scrapes, self.pattern.as_ref());
        let per_tm = if detail { self.per_taskmanager(&scrapes, at) } else { Vec::new() };
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
            warnings,
            history: Vec::new(),
            interfaces: Vec::new(),
            taskmanagers: answers.taskmanagers,
            per_tm,
            flink_version: None,
            refresh_interval: self.interval,
            independent_interval: self.interval,
            latency_window: None,
        })
    }
}

impl PromPoller {
    /// Per-TaskManager rows at the scrape's resolution: each TaskManager's own samples go
    /// through the same mapping as the group's (its subtasks summed or averaged).
    fn per_taskmanager(&mut self, scrapes: &[Vec<parse::Sample<'_>>], at: Instant) -> Vec<TmRow> {
        let mut by_tm: BTreeMap<String, Vec<parse::Sample<'_>>> = BTreeMap::new();
        for s in scrapes.iter().flatten() {
            let tm = s.label("tm_id").map(|t| crate::sanitize::clean(&t));
            if let Some(tm) = tm.filter(|tm| flink::tm_matches(self.pattern.as_ref(), tm)) {
                by_tm.entry(tm).or_default().push(*s);
            }
        }
        self.cpu.retain(|tm, _| by_tm.contains_key(tm));
        by_tm
            .into_iter()
            .map(|(tm, samples)| {
                let a = flink::answers(&[samples], None);
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
}
