use super::*;
use crate::sources::flink_rest::api;

fn fixture(version: &str, name: &str) -> String {
    let path = format!("{}/tests/fixtures/flink-{version}/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn answers(version: &str) -> GroupAnswers {
    let tms: Vec<String> =
        api::parse_taskmanagers(&fixture(version, "taskmanagers.json")).unwrap().into_iter().map(|t| t.id).collect();
    let available: Vec<String> = api::parse_metric_values(&fixture(version, "taskmanagers-metrics-list.json"))
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    let job = api::parse_job(&fixture(version, "job.json")).unwrap();
    let parallelism = job.vertices[0].parallelism as usize;
    GroupAnswers {
        taskmanagers: tms,
        tm_metrics: api::parse_agg(&fixture(version, "taskmanagers-metrics-agg.json")).unwrap(),
        gc_time_ids: gc_time_ids(&available),
        vertices: vec![
            VertexAnswers {
                subtasks: parallelism,
                metrics: api::parse_agg(&fixture(version, "vertex-source-metrics-agg.json")).unwrap(),
                latency: vec![],
                backpressure: api::parse_backpressure_level(&fixture(version, "vertex-source-backpressure.json"))
                    .unwrap(),
                has_inputs: job.exchanges(&job.vertices[0].id).0,
                has_outputs: job.exchanges(&job.vertices[0].id).1,
            },
            VertexAnswers {
                subtasks: parallelism,
                metrics: api::parse_agg(&fixture(version, "vertex-sink-metrics-agg.json")).unwrap(),
                latency: api::parse_agg(&fixture(version, "vertex-sink-latency-agg.json")).unwrap(),
                backpressure: Some(0),
                has_inputs: job.exchanges(&job.vertices[1].id).0,
                has_outputs: job.exchanges(&job.vertices[1].id).1,
            },
        ],
        restarts: Some(0.0),
        checkpoints_completed: Some(3.0),
        checkpoints_failed: Some(1.0),
        has_job: true,
    }
}

fn check_real_answers(version: &str) {
    let a = answers(version);
    let g: BTreeMap<MetricKey, Option<f64>> = gauges(&a).into_iter().collect();
    for key in [
        MetricKey::RecordsInPerS,
        MetricKey::RecordsOutPerS,
        MetricKey::BytesOutPerS,
        MetricKey::InPoolUsage,
        MetricKey::OutPoolUsage,
        MetricKey::NettyUsedSegments,
        MetricKey::NettyAvailableSegments,
        MetricKey::HeapUsedBytes,
        MetricKey::BusyMsPerS,
        MetricKey::IdleMsPerS,
        MetricKey::LatencyP99Ms,
    ] {
        assert!(g[&key].is_some(), "{version}: {key:?} missing");
    }
    assert!(g[&MetricKey::RecordsOutPerS].unwrap() > 0.0, "{version}: the lab job moves records");
    assert_eq!(g[&MetricKey::TaskManagers], Some(2.0));
    // p50 <= p95 <= p99 per worst pair is not guaranteed across pairs, but p99 >= p50 is.
    assert!(g[&MetricKey::LatencyP99Ms].unwrap() >= g[&MetricKey::LatencyP50Ms].unwrap());
    let usage = g[&MetricKey::InPoolUsage].unwrap();
    assert!((0.0..=1.0).contains(&usage), "{usage}");
    let c = counters(&a);
    assert_eq!(c.len(), 2, "{version}: CPU and GC counters");
    assert!(c[0].total > 0.0);
    let b = block_counters(&a);
    assert_eq!(b.len(), 8, "{version}: every task counter: {b:?}");
    let busy = b.iter().find(|c| c.key == MetricKey::BusyMsPerS).unwrap();
    assert_eq!(busy.scale, 1.0 / 4.0, "mean over the 4 subtasks of 2 vertices");
}

/// The lab job is source -> keyed sink: in-pool usage is the sink's alone, out-pool the
/// source's alone (each other vertex reports 0 and would halve the figure).
#[test]
fn pool_usage_is_the_mean_over_the_subtasks_that_have_the_buffers() {
    let a = answers("2.3.0");
    let metric = |v: &VertexAnswers, id: &str| find(&v.metrics, id).and_then(|m| m.sum).unwrap();
    let (source, sink) = (&a.vertices[0], &a.vertices[1]);
    assert_eq!((source.has_inputs, source.has_outputs, sink.has_inputs, sink.has_outputs), (false, true, true, false));
    let g: BTreeMap<MetricKey, Option<f64>> = gauges(&a).into_iter().collect();
    let want_out = metric(source, TASK_OUT_POOL) / source.subtasks as f64;
    let want_in = metric(sink, TASK_IN_POOL) / sink.subtasks as f64;
    assert!((g[&MetricKey::OutPoolUsage].unwrap() - want_out).abs() < 1e-12);
    assert!((g[&MetricKey::InPoolUsage].unwrap() - want_in).abs() < 1e-12);
    // Without a plan every vertex counts, as before.
    let mut all = a.clone();
    for v in &mut all.vertices {
        (v.has_inputs, v.has_outputs) = (true, true);
    }
    let diluted: BTreeMap<MetricKey, Option<f64>> = gauges(&all).into_iter().collect();
    let both = (metric(source, TASK_OUT_POOL) + metric(sink, TASK_OUT_POOL)) / 4.0;
    assert!((diluted[&MetricKey::OutPoolUsage].unwrap() - both).abs() < 1e-12);
}

#[test]
fn real_flink_2_3_answers() {
    check_real_answers("2.3.0");
}

#[test]
fn real_flink_1_20_answers() {
    check_real_answers("1.20.5");
}

#[test]
fn no_job_means_no_data_not_zero() {
    let mut a = answers("2.3.0");
    a.has_job = false;
    let g: BTreeMap<MetricKey, Option<f64>> = gauges(&a).into_iter().collect();
    assert_eq!(g[&MetricKey::RecordsInPerS], None);
    assert_eq!(g[&MetricKey::BackpressuredMsPerS], None);
    assert!(g[&MetricKey::HeapUsedBytes].is_some(), "TaskManager figures stay");
}

#[test]
fn sums_and_means_table() {
    let agg = |id: &str, sum: f64| AggMetric {
        id: id.into(),
        min: None,
        max: Some(sum),
        avg: None,
        sum: Some(sum),
        count: None,
    };
    let a = GroupAnswers {
        taskmanagers: vec!["a".into(), "b".into()],
        tm_metrics: vec![agg(TM_HEAP_USED, 300.0)],
        vertices: vec![
            VertexAnswers {
                subtasks: 2,
                metrics: vec![agg(TASK_RECORDS_OUT, 10.0), agg(TASK_IN_POOL, 1.0)],
                ..Default::default()
            },
            VertexAnswers {
                subtasks: 4,
                metrics: vec![agg(TASK_RECORDS_OUT, 5.0), agg(TASK_IN_POOL, 2.0)],
                ..Default::default()
            },
            VertexAnswers { subtasks: 3, metrics: vec![], ..Default::default() },
        ],
        has_job: true,
        ..Default::default()
    };
    let g: BTreeMap<MetricKey, Option<f64>> = gauges(&a).into_iter().collect();
    assert_eq!(g[&MetricKey::RecordsOutPerS], Some(15.0));
    assert_eq!(g[&MetricKey::InPoolUsage], Some(0.5), "3.0 over the 6 subtasks that report it");
    assert_eq!(g[&MetricKey::HeapUsedBytes], Some(150.0));
    assert_eq!(g[&MetricKey::LatencyP99Ms], None, "no markers is no data");
}

#[test]
fn merges_taskmanager_batches() {
    let m = |sum, max, count| AggMetric {
        id: "x".into(),
        min: None,
        max: Some(max),
        avg: Some(1.0),
        sum: Some(sum),
        count: Some(count),
    };
    let merged = merge_batches(vec![vec![m(10.0, 6.0, 2.0)], vec![m(5.0, 9.0, 1.0)]]);
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].sum, Some(15.0));
    assert_eq!(merged[0].count, Some(3.0), "each TaskManager counted once");
    assert_eq!(merged[0].max, Some(9.0));
}

#[test]
fn job_state_from_tasks() {
    assert_eq!(job_state("RUNNING", [("RUNNING", 4)]), JobState::Running);
    assert_eq!(job_state("RUNNING", [("RUNNING", 1), ("SCHEDULED", 3)]).to_string(), "SCHEDULED (1/4 running)");
    assert_eq!(job_state("RESTARTING", [("RUNNING", 4)]), JobState::Restarting);
    assert_eq!(job_state("RUNNING", [("RUNNING", 2), ("FINISHED", 2)]), JobState::Running);
}

#[test]
fn gc_ids() {
    let with_all = vec![TM_GC_ALL_TIME.to_string(), "Status.JVM.GarbageCollector.G1_Young_Generation.Time".into()];
    assert_eq!(gc_time_ids(&with_all), vec![TM_GC_ALL_TIME.to_string()]);
    let without = vec![
        "Status.JVM.GarbageCollector.G1_Young_Generation.Time".to_string(),
        "Status.JVM.GarbageCollector.G1_Young_Generation.Count".into(),
        "Status.JVM.GarbageCollector.G1_Old_Generation.Time".into(),
    ];
    assert_eq!(gc_time_ids(&without).len(), 2);
}

#[test]
fn epoch_ignores_order() {
    assert_eq!(epoch(&["a".into(), "b".into()]), epoch(&["b".into(), "a".into()]));
    assert_ne!(epoch(&["a".into()]), epoch(&["a".into(), "b".into()]));
}
