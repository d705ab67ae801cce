use super::*;

#[test]
fn backpressure_levels() {
    let ok = r#"{"status":"ok","backpressureLevel":"high","subtasks":[],"backpressure-level":"high"}"#;
    assert_eq!(parse_backpressure_level(ok).unwrap(), Some(2));
    let old = r#"{"status":"ok","backpressure-level":"low"}"#;
    assert_eq!(parse_backpressure_level(old).unwrap(), Some(1));
    let per_subtask = r#"{"status":"ok","backpressureLevel":"high","subtasks":[{"subtask":0,"backpressureLevel":"ok"},{"subtask":1,"backpressureLevel":"high"}]}"#;
    assert_eq!(parse_backpressure_of(per_subtask, Some(&[0])).unwrap(), Some(0));
    assert_eq!(parse_backpressure_of(per_subtask, Some(&[0, 1])).unwrap(), Some(2));
    let sampling = r#"{"status":"deprecated"}"#;
    assert_eq!(parse_backpressure_level(sampling).unwrap(), None);
}

#[test]
fn empty_array_where_an_object_is_expected_is_an_error() {
    assert!(parse_taskmanagers("[]").is_err());
    assert!(parse_job("[]").is_err());
    assert_eq!(parse_agg("[]").unwrap(), vec![]);
}

#[test]
fn plain_values_are_strings() {
    let v = parse_metric_values(r#"[{"id":"a","value":"0.166"},{"id":"b","value":"true"}]"#).unwrap();
    assert_eq!(metric_number(&v, "a"), Some(0.166));
    assert_eq!(metric_number(&v, "b"), None);
    assert_eq!(metric_number(&v, "c"), None);
}

#[test]
fn exceptions_are_classified_with_their_concurrent_ones() {
    let body = r#"{"exceptionHistory":{"entries":[
            {"exceptionName":"org.apache.flink.runtime.io.network.netty.exception.RemoteTransportException","stacktrace":"...Connection unexpectedly closed by remote task manager","timestamp":1,"taskManagerId":"tm-var-1",
             "concurrentExceptions":[{"exceptionName":"java.lang.RuntimeException","stacktrace":"Caused by: java.lang.OutOfMemoryError: Direct buffer memory","timestamp":1,"taskManagerId":"tm-var-2"}]},
            {"exceptionName":"java.lang.Exception","stacktrace":"boring","timestamp":2}],"truncated":false}}"#;
    let e = parse_exceptions(body, "job").unwrap();
    assert_eq!(e.len(), 3);
    assert!(e[0].network && !e[0].out_of_memory);
    assert!(e[1].out_of_memory && !e[1].network);
    assert_eq!(e[1].taskmanager_id.as_deref(), Some("tm-var-2"));
    assert!(!e[2].network && !e[2].out_of_memory && e[2].taskmanager_id.is_none());
    let real = include_str!("../../../../tests/fixtures/flink-2.3.0/job-exceptions.json");
    assert!(parse_exceptions(real, "j").unwrap().is_empty());
    assert!(parse_exceptions("[]", "j").is_err());
}

#[test]
fn fetcher_interval_forms() {
    let mut c = BTreeMap::new();
    c.insert("metrics.fetcher.update-interval".to_string(), "2000".to_string());
    assert_eq!(fetcher_interval_ms(&c), Some(2000));
    c.insert("metrics.fetcher.update-interval".to_string(), "10 s".to_string());
    assert_eq!(fetcher_interval_ms(&c), Some(10_000));
}

#[test]
fn latency_window_from_the_jobmanager_config() {
    let cfg =
        parse_jobmanager_config(include_str!("../../../../tests/fixtures/flink-2.3.0/jobmanager-config.json")).unwrap();
    // The lab: a marker a second, Flink's default history of 128.
    assert_eq!(latency_window(&cfg), Some(std::time::Duration::from_secs(128)));
    let mut c = BTreeMap::new();
    assert_eq!(latency_window(&c), None, "markers off");
    c.insert("metrics.latency.interval".to_string(), "10 s".to_string());
    c.insert("metrics.latency.history-size".to_string(), "64".to_string());
    assert_eq!(latency_window(&c), Some(std::time::Duration::from_secs(640)));
}

#[test]
fn checkpoints_of_a_real_job() {
    // Captured from the lab's variant job on Flink 2.3.0 (scripts/capture-fixtures.sh).
    let body = include_str!("../../../../tests/fixtures/flink-2.3.0/job-checkpoints.json");
    let c = parse_checkpoints(body).unwrap();
    assert_eq!((c.completed, c.failed), (3, 1));
    assert_eq!(c.last_ack_ms, Some(1_796_304_621_467));
    assert_eq!(c.last_duration_ms, Some(127));
    assert_eq!(c.last_size_bytes, Some(19_960));
    assert_eq!(c.restored_id, None, "never restored");
    let restored = body.replace(r#""restored":null"#, r#""restored":{"id":7,"restore_timestamp":1}"#);
    assert_eq!(parse_checkpoints(&restored).unwrap().restored_id, Some(7));
    assert!(parse_checkpoints("[]").is_err());
}
