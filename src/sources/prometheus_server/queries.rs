//! The PromQL for each metric key (pure). Names are those of Flink's PrometheusReporter;
//! the group's selector picks its series, e.g. `{job="flink", tm_id=~"canary.*"}`.

use crate::model::MetricKey;

pub(crate) use crate::config::Selector;

const TASK: &str = "flink_taskmanager_job_task_";
const TM: &str = "flink_taskmanager_Status_";
const JOB: &str = "flink_jobmanager_job_";
/// One series per TaskManager: what counts and names them.
const TM_SERIES: &str = "flink_taskmanager_Status_JVM_CPU_Time";
const LATENCY: &str = "flink_taskmanager_job_task_latency_source_id_operator_id_operator_subtask_index_latency";

/// The query for a key, or `None` where the server cannot say (the vertex backpressure
/// level is REST's; host counters come from node_exporter endpoints or /proc).
/// `tms` selects TaskManager series, `job` the JobManager's; `rate_window` is the range
/// of `rate()` (a few scrape intervals).
pub(crate) fn query(key: MetricKey, tms: &Selector, job: &Selector, rate_window: &str) -> Option<String> {
    use MetricKey::*;
    let task = |agg: &str, m: &str| format!("{agg}({})", tms.on(&format!("{TASK}{m}"), ""));
    let tm = |m: &str| format!("avg({})", tms.on(&format!("{TM}{m}"), ""));
    let latency = |q: &str| format!("max({})", tms.on(LATENCY, &format!("quantile=\"{q}\"")));
    Some(match key {
        RecordsInPerS => task("sum", "numRecordsInPerSecond"),
        RecordsOutPerS => task("sum", "numRecordsOutPerSecond"),
        BytesInPerS => task("sum", "numBytesInPerSecond"),
        BytesOutPerS => task("sum", "numBytesOutPerSecond"),
        RemoteBytesInPerS => task("sum", "numBytesInRemotePerSecond"),
        LatencyP50Ms => latency("0.5"),
        LatencyP95Ms => latency("0.95"),
        LatencyP99Ms => latency("0.99"),
        InPoolUsage => task("avg", "Shuffle_Netty_Input_Buffers_inPoolUsage"),
        OutPoolUsage => task("avg", "Shuffle_Netty_Output_Buffers_outPoolUsage"),
        FloatingBuffersUsage => task("avg", "Shuffle_Netty_Input_Buffers_inputFloatingBuffersUsage"),
        ExclusiveBuffersUsage => task("avg", "Shuffle_Netty_Input_Buffers_inputExclusiveBuffersUsage"),
        NettyUsedSegments => tm("Shuffle_Netty_UsedMemorySegments"),
        NettyAvailableSegments => tm("Shuffle_Netty_AvailableMemorySegments"),
        RequestedMemoryUsage => tm("Shuffle_Netty_RequestedMemoryUsage"),
        HeapUsedBytes => tm("JVM_Memory_Heap_Used"),
        DirectUsedBytes => tm("JVM_Memory_Direct_MemoryUsed"),
        // Rates are formed by Prometheus: nanoseconds of CPU per second per TaskManager.
        CpuCores => format!("avg(rate({}[{rate_window}])) / 1e9", tms.on(&format!("{TM}JVM_CPU_Time"), "")),
        GcMsPerS => format!("avg(rate({}[{rate_window}]))", tms.on(&format!("{TM}JVM_GarbageCollector_All_Time"), "")),
        BackpressuredMsPerS => task("avg", "backPressuredTimeMsPerSecond"),
        BusyMsPerS => task("avg", "busyTimeMsPerSecond"),
        IdleMsPerS => task("avg", "idleTimeMsPerSecond"),
        Restarts => format!("sum({})", job.on(&format!("{JOB}numRestarts"), "")),
        CheckpointsCompleted => format!("sum({})", job.on(&format!("{JOB}numberOfCompletedCheckpoints"), "")),
        CheckpointsFailed => format!("sum({})", job.on(&format!("{JOB}numberOfFailedCheckpoints"), "")),
        TaskManagers => format!("count({})", tms.on(TM_SERIES, "")),
        // Host counters come from node_exporter endpoints or /proc; the unit test below
        // checks that every other key but the level has a query.
        _ => return None,
    })
}

/// The group's TaskManagers: one sample per `tm_id`.
/// The time of the group's newest scraped sample: it moves exactly when a scrape lands
/// (every figure's query repeats its answer in between).
pub(crate) fn last_scrape(tms: &Selector) -> String {
    format!("max(timestamp({}))", tms.on(TM_SERIES, ""))
}

pub(crate) fn taskmanager_ids(tms: &Selector) -> String {
    format!("group by (tm_id) ({})", tms.on(TM_SERIES, ""))
}

/// The value of an instant query's answer: `None` for an empty vector (no series match:
/// "no data") or NaN; an error for anything that is not a successful vector answer.
pub(crate) fn parse_answer(body: &str) -> Result<Option<f64>, String> {
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    if v["status"] != "success" {
        let error = v["error"].as_str().unwrap_or("no error text");
        return Err(format!(
            "{}: {}",
            v["errorType"].as_str().unwrap_or("error"),
            crate::sanitize::snippet(error, 160)
        ));
    }
    let data = &v["data"];
    let result = match data["resultType"].as_str() {
        Some("vector") => data["result"].as_array().ok_or("vector without result")?,
        Some("scalar") => return Ok(sample_value(&data["result"])),
        other => return Err(format!("expected a vector, got {other:?}")),
    };
    // An aggregation without `by` answers with one sample at most.
    Ok(result.first().and_then(|s| sample_value(&s["value"])))
}

/// A range query's answer: the (unix time, value) points of its one series (none when no
/// series matched); NaN points are left out.
pub(crate) fn parse_range(body: &str) -> Result<Vec<(f64, f64)>, String> {
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    if v["status"] != "success" {
        return Err(format!("{}: {}", v["errorType"].as_str().unwrap_or("error"), v["error"].as_str().unwrap_or("")));
    }
    if v["data"]["resultType"] != "matrix" {
        return Err(format!("expected a matrix, got {}", v["data"]["resultType"]));
    }
    let series = v["data"]["result"].as_array().ok_or("matrix without result")?;
    Ok(series
        .first()
        .and_then(|s| s["values"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p.get(0)?.as_f64()?, sample_value(p)?)))
        .collect())
}

/// `[unix_time, "value"]`.
fn sample_value(v: &serde_json::Value) -> Option<f64> {
    v.get(1)?.as_str()?.parse::<f64>().ok().filter(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_and_queries() {
        let tms = Selector::new(r#"{job="flink", tm_id=~"canary.*"}"#).unwrap();
        let job = Selector::new("{}").unwrap();
        assert_eq!(
            query(MetricKey::RecordsInPerS, &tms, &job, "1m").unwrap(),
            r#"sum(flink_taskmanager_job_task_numRecordsInPerSecond{job="flink", tm_id=~"canary.*"})"#
        );
        assert_eq!(
            query(MetricKey::LatencyP99Ms, &tms, &job, "1m").unwrap(),
            format!(r#"max({LATENCY}{{job="flink", tm_id=~"canary.*", quantile="0.99"}})"#)
        );
        assert_eq!(
            query(MetricKey::CpuCores, &tms, &job, "30s").unwrap(),
            r#"avg(rate(flink_taskmanager_Status_JVM_CPU_Time{job="flink", tm_id=~"canary.*"}[30s])) / 1e9"#
        );
        assert_eq!(query(MetricKey::Restarts, &tms, &job, "1m").unwrap(), "sum(flink_jobmanager_job_numRestarts{})");
        assert_eq!(query(MetricKey::BackpressureLevel, &tms, &job, "1m"), None);
        assert_eq!(
            taskmanager_ids(&tms),
            r#"group by (tm_id) (flink_taskmanager_Status_JVM_CPU_Time{job="flink", tm_id=~"canary.*"})"#
        );
        // Every key the snapshot format requires has a query.
        for k in MetricKey::ALL.iter().filter(|k| k.panel() != crate::model::Panel::Host) {
            assert_eq!(query(*k, &tms, &job, "1m").is_some(), *k != MetricKey::BackpressureLevel, "{k:?}");
        }
        assert!(Selector::new("job=\"flink\"").is_err());
        assert!(Selector::new("{a=\"}\"}").is_err());
    }

    #[test]
    fn answers() {
        let ok = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1795657600.1,"4012.5"]}]}}"#;
        assert_eq!(parse_answer(ok), Ok(Some(4012.5)));
        let empty = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        assert_eq!(parse_answer(empty), Ok(None), "no series: no data, not 0");
        let nan = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}"#;
        assert_eq!(parse_answer(nan), Ok(None));
        let bad = r#"{"status":"error","errorType":"bad_data","error":"parse error at char 5"}"#;
        assert_eq!(parse_answer(bad), Err("bad_data: parse error at char 5".into()));
        assert!(parse_answer("<html>").is_err());
        let range = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[100,"1.5"],[101,"NaN"],[102,"2"]]}]}}"#;
        assert_eq!(parse_range(range), Ok(vec![(100.0, 1.5), (102.0, 2.0)]));
        let none = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert_eq!(parse_range(none), Ok(vec![]));
        assert!(parse_range(ok).is_err(), "a vector is not a range answer");
    }
}
