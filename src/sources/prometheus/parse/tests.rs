use super::*;

#[test]
fn flink_style_lines() {
    let text = "# HELP flink_taskmanager_Status_JVM_CPU_Time CPU Time (scope: taskmanager_Status_JVM_CPU)\r\n\
# TYPE flink_taskmanager_Status_JVM_CPU_Time gauge\r\n\
flink_taskmanager_Status_JVM_CPU_Time{host=\"127_0_0_1\",tm_id=\"tm_base_1\",} 8.039E10\r\n\
flink_taskmanager_job_task_operator_latency{job_id=\"j\",quantile=\"0.99\",} NaN\n\
up +Inf 1700000000000\n\
om_metric{a=\"1\"} 1.5 1700000000.250\n";
    let s = parse(text).unwrap();
    assert_eq!(s.len(), 4);
    assert_eq!(s[0].name, "flink_taskmanager_Status_JVM_CPU_Time");
    assert_eq!(s[0].value, 8.039e10);
    assert_eq!(s[0].label("tm_id").as_deref(), Some("tm_base_1"));
    assert_eq!(s[0].labels().count(), 2, "the trailing comma is no label");
    assert!(s[1].value.is_nan());
    assert_eq!(s[1].label("quantile").as_deref(), Some("0.99"));
    assert_eq!((s[2].value, s[2].timestamp_ms), (f64::INFINITY, Some(1_700_000_000_000)));
    assert_eq!(s[3].timestamp_ms, Some(1_700_000_000_250));
}

#[test]
fn real_flink_expositions() {
    for v in ["2.3.0"] {
        for f in ["prometheus-taskmanager.txt", "prometheus-jobmanager.txt"] {
            let path = format!("{}/tests/fixtures/flink-{v}/{f}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).unwrap();
            let s = parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
            let lines = text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).count();
            assert_eq!(s.len(), lines, "{path}");
            assert!(s.iter().all(|x| x.name.starts_with("flink_")), "{path}");
            assert!(s.iter().all(|x| x.label("host").is_some()), "{path}: every Flink sample has a host label");
        }
    }
}

#[test]
fn escaped_label_values() {
    let text = r#"m{task_name="a=b,c{d}",q="say \"hi\"",p="C:\\dir",n="line1\nline2",} 1"#;
    let s = parse(text).unwrap();
    assert_eq!(s[0].label("task_name").as_deref(), Some("a=b,c{d}"));
    assert_eq!(s[0].label("q").as_deref(), Some("say \"hi\""));
    assert_eq!(s[0].label("p").as_deref(), Some("C:\\dir"));
    assert_eq!(s[0].label("n").as_deref(), Some("line1\nline2"));
    assert!(matches!(s[0].label("task_name"), Some(Cow::Borrowed(_))), "no escapes, no copy");
}

/// The exposition format's own example (prometheus.io, "Exposition formats", text
/// format example), every line of it.
#[test]
fn the_formats_documented_example() {
    let text = r#"# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9

# Minimalistic line:
metric_without_timestamp_and_labels 12.47

# A weird metric from before the epoch:
something_weird{problem="division by zero"} +Inf -3982045

# A histogram, which has a pretty complex representation in the text format:
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="0.2"} 100392
http_request_duration_seconds_bucket{le="0.5"} 129389
http_request_duration_seconds_bucket{le="1"} 133988
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320

# Finally a summary, which has a complex representation, too:
# HELP rpc_duration_seconds A summary of the RPC duration in seconds.
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds{quantile="0.05"} 3272
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.9"} 9001
rpc_duration_seconds{quantile="0.99"} 76656
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
"#;
    let s = parse(text).unwrap();
    assert_eq!(s.len(), 20);
    assert_eq!((s[1].value, s[1].timestamp_ms), (3.0, Some(1_395_066_363_000)));
    assert_eq!(s[2].label("path").as_deref(), Some("C:\\DIR\\FILE.TXT"));
    assert_eq!(s[2].label("error").as_deref(), Some("Cannot find file:\n\"FILE.TXT\""));
    assert_eq!((s[4].value, s[4].timestamp_ms), (f64::INFINITY, Some(-3_982_045)));
    assert_eq!(s[10].label("le").as_deref(), Some("+Inf"));
    assert_eq!(s[19].value, 2693.0);
}

/// Every blank the format allows, and Prometheus 3's quoted UTF-8 names.
#[test]
fn every_allowed_blank_and_quoted_names() {
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], f64);
    let cases: &[Case] = &[
        ("m {a=\"1\"} 2", "m", &[("a", "1")], 2.0),
        ("m\t{a=\"1\"}\t2", "m", &[("a", "1")], 2.0),
        ("m{\ta\t=\t\"1\"\t,\tb=\"2\"\t}\t3", "m", &[("a", "1"), ("b", "2")], 3.0),
        ("m{ a = \"1\" , } 4", "m", &[("a", "1")], 4.0),
        ("m{a=\"1\"}-Inf", "m", &[("a", "1")], f64::NEG_INFINITY),
        ("m{a=\"1\"}-2.5 17", "m", &[("a", "1")], -2.5),
        ("m{} 5", "m", &[], 5.0),
        ("{\"name.x\"} 1", "name.x", &[], 1.0),
        ("{\"name.x\", \"a.b\"=\"v\", c=\"w\"} 6", "name.x", &[("a.b", "v"), ("c", "w")], 6.0),
        ("m{\"a.b\"=\"v\"} 1", "m", &[("a.b", "v")], 1.0),
        ("{\"日本.metric\"} 7", "日本.metric", &[], 7.0),
    ];
    for (line, name, labels, value) in cases {
        let s = parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        assert_eq!(s[0].name, *name, "{line:?}");
        let got: Vec<(&str, String)> = s[0].labels().map(|(k, v)| (k, v.into_owned())).collect();
        let want: Vec<(&str, String)> = labels.iter().map(|(k, v)| (*k, v.to_string())).collect();
        assert_eq!(got, want, "{line:?}");
        assert_eq!(s[0].value, *value, "{line:?}");
    }
    for bad in ["m{\"a\"} 1", "{\"x\", \"y\"} 1", "{a=\"1\", \"x\"} 1", "m-1"] {
        assert!(parse(bad).is_err(), "{bad:?} parsed");
    }
}

/// A malformed line costs that line, counted, not the scrape; a body of nothing but
/// malformed lines (or HTML) is still the scrape's error.
#[test]
fn a_malformed_line_costs_only_that_line() {
    let p = parse_lenient("ok 1\nbroken line here\nalso{ 2\nfine{a=\"b\"} 3\n").unwrap();
    assert_eq!(p.samples.len(), 2);
    assert_eq!(p.malformed, 2);
    assert!(p.first_error.unwrap().to_string().contains("line 2"));
    assert!(matches!(parse_lenient("broken line\n"), Err(ParseError::Line { .. })));
    assert_eq!(parse_lenient("<html>x</html>").unwrap_err(), ParseError::Html);
    assert_eq!(parse_lenient("# nothing\n").unwrap_err(), ParseError::NoSamples);
}

#[test]
fn garbage_is_an_error_never_zero() {
    assert_eq!(parse("<html><body>502 Bad Gateway</body></html>"), Err(ParseError::Html));
    assert_eq!(parse(""), Err(ParseError::NoSamples));
    assert_eq!(parse("# only comments\n# TYPE x gauge\n"), Err(ParseError::NoSamples));
    for bad in [
        "metric",
        "metric{a=\"1\" 1",
        "metric{a=1} 1",
        "metric one",
        "{a=\"1\"} 1",
        "m 1 2 3",
        "m infinity",
        "m{a=\"x\"junk} 1",
        "\u{0}\u{1}binary",
    ] {
        assert!(matches!(parse(bad), Err(ParseError::Line { .. })), "{bad:?} parsed");
    }
    let e = parse("ok 1\nbroken line here\n").unwrap_err().to_string();
    assert!(e.contains("line 2"), "{e}");
}
