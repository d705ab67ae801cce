//! The bulk read request and its answer (pure: tested on answers of the lab's agent).
//!
//! Flink's JMX reporter names an MBean after the metric's scope, e.g.
//! `org.apache.flink.taskmanager.job.task.Shuffle.Netty.Input.Buffers.inPoolUsage:tm_id=..,
//! task_id=..,subtask_index=0`; Flink's Prometheus reporter names the same metric
//! `flink_taskmanager_job_task_Shuffle_Netty_Input_Buffers_inPoolUsage{tm_id=..}`. So an
//! answer becomes readings in the reporter's naming, mapped by the Flink metric vocabulary
//! (`flink_metrics`): one mapping from Flink names to metric keys, whatever the transport.

use std::borrow::Cow;

use serde_json::{Value, json};

use crate::sources::flink_metrics::Reading;

use crate::sources::flink_metrics::names::{JOB_METRICS, TASK_COUNTERS, TASK_METRICS, TM_GAUGES};

const FLINK_DOMAIN: &str = "org.apache.flink.";
/// Latency markers' histograms (operator scope under the job).
const LATENCY_DOMAIN: &str =
    "org.apache.flink.taskmanager.job.task.latency.source_id.operator_id.operator_subtask_index.latency";
const JVM: [(&str, &str); 4] = [
    ("java.lang:type=Memory", "HeapMemoryUsage"),
    ("java.lang:type=GarbageCollector,*", "CollectionTime"),
    ("java.nio:type=BufferPool,name=direct", "MemoryUsed"),
    ("java.lang:type=OperatingSystem", "ProcessCpuTime"),
];

/// The bulk request: the Flink metrics the panels need, by name pattern, and the JVM's
/// memory, GC, direct buffers and process CPU.
pub fn request() -> Value {
    let mut reads: Vec<Value> = Vec::new();
    for id in TM_GAUGES.iter().chain(&["Status.JVM.GarbageCollector.All.Time"]) {
        reads.push(json!({"type": "read", "mbean": format!("{FLINK_DOMAIN}taskmanager.{id}:*")}));
    }
    for id in TASK_METRICS.iter().chain(TASK_COUNTERS) {
        reads.push(json!({"type": "read", "mbean": format!("{FLINK_DOMAIN}taskmanager.job.task.{id}:*")}));
    }
    reads.push(json!({"type": "read", "mbean": format!("{LATENCY_DOMAIN}:*")}));
    // On a JobManager's agent: restarts and checkpoints.
    for id in JOB_METRICS.split(',') {
        reads.push(json!({"type": "read", "mbean": format!("{FLINK_DOMAIN}jobmanager.job.{id}:*")}));
    }
    for (mbean, attribute) in JVM {
        reads.push(json!({"type": "read", "mbean": mbean, "attribute": attribute}));
    }
    Value::Array(reads)
}

/// One MBean attribute, named as Flink's reporters name the metric, its ObjectName keys
/// as labels.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JmxReading {
    pub(crate) name: String,
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) value: f64,
}

impl Reading for JmxReading {
    fn name(&self) -> &str {
        &self.name
    }
    fn label(&self, name: &str) -> Option<Cow<'_, str>> {
        self.labels.iter().find(|(k, _)| k == name).map(|(_, v)| Cow::Borrowed(v.as_str()))
    }
    fn value(&self) -> f64 {
        self.value
    }
}

/// One endpoint's answer as readings, and the reads that failed ("mbean: status error"),
/// which cost their metrics only.
#[derive(Debug, Default)]
pub(crate) struct Converted {
    pub(crate) readings: Vec<JmxReading>,
    pub(crate) errors: Vec<String>,
}

/// `fallback_tm` names the TaskManager when no Flink MBean does (a JVM without Flink's
/// JMX reporter): the JVM's own figures then stand for it.
pub(crate) fn convert(answer: &str, fallback_tm: &str) -> Result<Converted, String> {
    let v: Value = serde_json::from_str(answer).map_err(|e| format!("not JSON: {e}"))?;
    let items = v.as_array().ok_or("a bulk read answers with an array")?;
    let mut out = Converted::default();
    let mut tm_id: Option<String> = None;
    let mut jvm = Vec::new();
    for item in items {
        let mbean = item.pointer("/request/mbean").and_then(Value::as_str).unwrap_or("?");
        let status = item.get("status").and_then(Value::as_u64).unwrap_or(0);
        // A pattern that matches nothing (task metrics on a JobManager, JobManager metrics
        // on a TaskManager) is absence, not a failure.
        if status == 404 && mbean.ends_with(":*") && mbean.starts_with(FLINK_DOMAIN) {
            continue;
        }
        if status != 200 {
            let error = item.get("error").and_then(Value::as_str).unwrap_or("no error text");
            out.errors.push(crate::sanitize::snippet(&format!("{mbean}: {status} {error}"), 160));
            continue;
        }
        let value = item.get("value").unwrap_or(&Value::Null);
        if mbean.starts_with("java.") {
            jvm.push((mbean, value));
            continue;
        }
        // A pattern read answers {full name: {attribute: value}}.
        for (name, attrs) in value.as_object().into_iter().flatten() {
            let Some((domain, keys)) = name.split_once(':') else { continue };
            let Some(scope) = domain.strip_prefix(FLINK_DOMAIN) else { continue };
            let labels = labels(keys);
            if tm_id.is_none() {
                tm_id = keys.split(',').find_map(|kv| kv.strip_prefix("tm_id=")).map(unquote);
            }
            read_metric(&mut out.readings, &format!("flink_{}", scope.replace('.', "_")), &labels, attrs);
        }
    }
    // A JobManager's JVM is not a TaskManager: its memory must not count as one.
    let named = |prefix: &str| out.readings.iter().any(|r| r.name.starts_with(prefix));
    if !named("flink_jobmanager_") && !named("flink_taskmanager_Status_JVM_") {
        let tm = tm_id.unwrap_or_else(|| fallback_tm.to_string());
        read_jvm(&mut out.readings, &tm, &jvm);
    }
    Ok(out)
}

fn unquote(s: &str) -> String {
    s.trim_matches('"').to_string()
}

/// ObjectName keys as labels.
fn labels(keys: &str) -> Vec<(String, String)> {
    keys.split(',').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_string(), unquote(v))).collect()
}

/// Gauges have `Value`, meters `Rate` (the reporter exports a meter's rate), counters
/// `Count`, histograms percentiles (the reporter's summary quantiles).
fn read_metric(out: &mut Vec<JmxReading>, name: &str, labels: &[(String, String)], attrs: &Value) {
    let num = |k: &str| attrs.get(k).and_then(Value::as_f64);
    let mut push = |labels: Vec<(String, String)>, value: f64| {
        out.push(JmxReading { name: name.to_string(), labels, value });
    };
    if let Some(v) = num("Value").or_else(|| num("Rate")) {
        push(labels.to_vec(), v);
    } else if num("99thPercentile").is_some() {
        // Flink's JMX histograms call the 50th percentile `Median`.
        let median = num("Median").or_else(|| num("50thPercentile"));
        for (q, v) in [("0.5", median), ("0.95", num("95thPercentile")), ("0.99", num("99thPercentile"))] {
            if let Some(v) = v {
                let mut l = labels.to_vec();
                l.push(("quantile".into(), q.into()));
                push(l, v);
            }
        }
    } else if let Some(v) = num("Count") {
        push(labels.to_vec(), v);
    }
}

/// The JVM's own MBeans under the names of Flink's Status.JVM metrics.
fn read_jvm(out: &mut Vec<JmxReading>, tm: &str, jvm: &[(&str, &Value)]) {
    for (mbean, v) in jvm {
        let line = |out: &mut Vec<JmxReading>, metric: &str, x: Option<f64>| {
            if let Some(value) = x {
                let labels = vec![("tm_id".to_string(), tm.to_string())];
                out.push(JmxReading { name: format!("flink_taskmanager_Status_JVM_{metric}"), labels, value });
            }
        };
        match *mbean {
            "java.lang:type=Memory" => line(out, "Memory_Heap_Used", v.get("used").and_then(Value::as_f64)),
            "java.nio:type=BufferPool,name=direct" => line(out, "Memory_Direct_MemoryUsed", v.as_f64()),
            "java.lang:type=OperatingSystem" => line(out, "CPU_Time", v.as_f64()),
            // A pattern: {collector name: {CollectionTime: ms}}, summed like Flink's All.Time.
            _ => line(
                out,
                "GarbageCollector_All_Time",
                v.as_object().map(|o| o.values().filter_map(|c| c.get("CollectionTime")?.as_f64()).sum()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::MetricKey;
    use crate::sources::flink_metrics::assemble;
    use crate::sources::flink_metrics::reporter as flink;

    fn fixture(name: &str) -> String {
        fixture_of("2.3.0", name)
    }

    fn fixture_of(version: &str, name: &str) -> String {
        std::fs::read_to_string(format!("{}/tests/fixtures/jolokia-{version}/{name}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
    }

    #[test]
    fn the_lab_agents_answer_fills_the_rest_keys() {
        for version in ["2.3.0", "1.20.5"] {
            agent_of(version);
        }
    }

    fn agent_of(version: &str) {
        let c = convert(&fixture_of(version, "bulk-read-tm-base-1.json"), "http://127.0.0.1:7781/jolokia").unwrap();
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        let a = flink::answers(std::slice::from_ref(&c.readings), None);
        assert_eq!(a.taskmanagers, ["tm-base-1"], "the id as JMX has it (REST's form)");
        let g: BTreeMap<MetricKey, Option<f64>> = assemble::gauges(&a).into_iter().collect();
        for key in [
            MetricKey::RecordsInPerS,
            MetricKey::BytesOutPerS,
            MetricKey::InPoolUsage,
            MetricKey::OutPoolUsage,
            MetricKey::NettyUsedSegments,
            MetricKey::HeapUsedBytes,
            MetricKey::BusyMsPerS,
            MetricKey::BackpressuredMsPerS,
            MetricKey::LatencyP50Ms,
            MetricKey::LatencyP99Ms,
        ] {
            assert!(g[&key].is_some(), "{version}: {key:?} from:\n{:?}", c.readings);
        }
        assert!(g[&MetricKey::RecordsInPerS].unwrap() > 0.0);
        assert!(g[&MetricKey::LatencyP99Ms].unwrap() >= g[&MetricKey::LatencyP50Ms].unwrap());
        assert_eq!(assemble::counters(&a).len(), 2, "CPU and GC from Flink's Status.JVM MBeans");
        assert_eq!(assemble::block_counters(&a).len(), 8);
        // Flink's own JVM metrics are there: the JVM MBeans are not added on top (no double count).
        assert_eq!(c.readings.iter().filter(|r| r.name == "flink_taskmanager_Status_JVM_CPU_Time").count(), 1);
    }

    #[test]
    fn the_jobmanagers_agent_gives_restarts_and_checkpoints_only() {
        for version in ["2.3.0", "1.20.5"] {
            let c =
                convert(&fixture_of(version, "bulk-read-jobmanager.json"), "http://127.0.0.1:7780/jolokia").unwrap();
            let a = flink::answers(std::slice::from_ref(&c.readings), None);
            assert!(a.taskmanagers.is_empty(), "{version}: a JobManager's JVM is no TaskManager: {:?}", a.taskmanagers);
            assert_eq!(a.restarts, Some(0.0), "{version}");
            assert!(a.checkpoints_completed.unwrap() >= 1.0, "{version}");
        }
    }

    #[test]
    fn a_failed_mbean_costs_its_metric_only() {
        let c = convert(&fixture("bulk-read-with-404.json"), "tm-x").unwrap();
        assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
        assert!(c.errors[0].starts_with("java.lang:type=NoSuchBean: 404"), "{}", c.errors[0]);
        assert!(!c.errors[0].contains('\n'));
        let a = flink::answers(std::slice::from_ref(&c.readings), None);
        assert_eq!(assemble::counters(&a).len(), 1, "CPU still read");
    }

    #[test]
    fn a_plain_jvm_gives_memory_cpu_and_gc() {
        // Only the JVM's MBeans (no Flink JMX reporter): named after the endpoint.
        let answer = r#"[
          {"request":{"mbean":"java.lang:type=Memory","type":"read"},"value":{"used":1000},"status":200},
          {"request":{"mbean":"java.lang:type=GarbageCollector,*","type":"read"},
           "value":{"java.lang:name=G1 Young Generation,type=GarbageCollector":{"CollectionTime":30},
                    "java.lang:name=G1 Old Generation,type=GarbageCollector":{"CollectionTime":12}},"status":200},
          {"request":{"mbean":"java.nio:type=BufferPool,name=direct","type":"read"},"value":2048,"status":200},
          {"request":{"mbean":"java.lang:type=OperatingSystem","type":"read"},"value":5000000000,"status":200}]"#;
        let c = convert(answer, "host-a:8778").unwrap();
        let a = flink::answers(std::slice::from_ref(&c.readings), None);
        assert_eq!(a.taskmanagers, ["host-a:8778"]);
        let g: BTreeMap<MetricKey, Option<f64>> = assemble::gauges(&a).into_iter().collect();
        assert_eq!(g[&MetricKey::HeapUsedBytes], Some(1000.0));
        assert_eq!(g[&MetricKey::DirectUsedBytes], Some(2048.0));
        let counters = assemble::counters(&a);
        assert_eq!(counters.iter().find(|c| c.key == MetricKey::GcMsPerS).unwrap().total, 42.0);
    }

    #[test]
    fn bad_answers_are_errors() {
        assert!(convert("<html>502</html>", "x").unwrap_err().contains("not JSON"));
        assert!(convert("{\"status\":200}", "x").is_err(), "a single read is not a bulk answer");
        // Label values with quotes and backslashes stay one label.
        let answer = r#"[{"request":{"mbean":"org.apache.flink.taskmanager.Status.Shuffle.Netty.UsedMemorySegments:*","type":"read"},
            "value":{"org.apache.flink.taskmanager.Status.Shuffle.Netty.UsedMemorySegments:tm_id=\"a\\\\b\\\"c\"":{"Value":5}},"status":200}]"#;
        let c = convert(answer, "x").unwrap();
        assert_eq!(c.readings.len(), 1);
        assert_eq!(c.readings[0].value, 5.0);
        assert_eq!(c.readings[0].label("tm_id").as_deref(), Some(r#"a\\b\"c"#), "one label, as JMX quotes it");
    }
}
