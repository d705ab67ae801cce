//! Sources against loopback servers that misbehave: each bad endpoint shows as that
//! source's failure with its reason, while the other group keeps updating.

mod common;

use std::time::Duration;

use common::{Behaviour, serve};
use flinkscope::config::{ByteSize, Config, Dur, GroupConfig, RestUrl, Settings};
use flinkscope::snapshot::{self, Snapshot};

async fn watch(baseline: Behaviour, variant: Behaviour) -> Snapshot {
    let (b, v) = (serve(baseline).await, serve(variant).await);
    let mut settings = Settings { interval: Dur(Duration::from_millis(500)), ..Settings::default() };
    settings.http.request_timeout = Dur(Duration::from_secs(1));
    settings.http.connect_timeout = Dur(Duration::from_secs(1));
    settings.http.max_body = ByteSize(1 << 20);
    let config = Config {
        settings,
        baseline: GroupConfig::new(RestUrl::new(&b).unwrap()),
        variant: GroupConfig::new(RestUrl::new(&v).unwrap()),
    };
    snapshot::take(&config, Duration::from_secs(5)).await.expect("no recording to fail")
}

fn source<'a>(s: &'a Snapshot, name: &str) -> &'a flinkscope::snapshot::SourceSnapshot {
    s.sources.iter().find(|x| x.name == name).unwrap_or_else(|| panic!("no source {name}"))
}

/// The good group kept updating: live, real samples, data present.
fn assert_baseline_healthy(s: &Snapshot) {
    let b = source(s, "baseline/flink-rest");
    assert_eq!(b.state, "live", "{:?}", b.error);
    let g = &s.groups["baseline"];
    let records = &g.metrics["records_in_per_s"];
    assert!(records.samples >= 2, "baseline kept updating: {} samples", records.samples);
    assert!(records.last.unwrap() > 0.0);
    assert_eq!(g.taskmanagers.len(), 2);
    assert!(g.metrics["latency_p99_ms"].last.is_some());
}

async fn check(variant: Behaviour, reason: &str) {
    let s = watch(Behaviour::Flink, variant).await;
    assert_baseline_healthy(&s);
    let v = source(&s, "variant/flink-rest");
    assert_eq!(v.state, "failed", "{variant:?}");
    let error = v.error.as_deref().unwrap();
    assert!(error.contains(reason), "{variant:?}: {error:?} does not say {reason:?}");
    assert!(!error.chars().any(char::is_control), "server text is cleaned: {error:?}");
    let vm = &s.groups["variant"].metrics;
    assert_eq!(vm["records_in_per_s"].samples, 0, "no invented samples");
    assert_eq!(vm["records_in_per_s"].last, None, "a failure is no data, never 0");
}

#[tokio::test]
async fn never_answers() {
    check(Behaviour::NeverAnswers, "no answer within").await;
}

#[tokio::test]
async fn trickles() {
    check(Behaviour::Trickles, "no answer within").await;
}

#[tokio::test]
async fn garbage() {
    check(Behaviour::Garbage, "malformed answer to /config").await;
}

#[tokio::test]
async fn html_502() {
    check(Behaviour::Html502, "HTTP 502").await;
}

#[tokio::test]
async fn over_the_size_cap() {
    check(Behaviour::Oversize, "over the 1048576-byte cap").await;
}

#[tokio::test]
async fn empty_array_where_an_object_is_expected() {
    check(Behaviour::EmptyArray, "malformed answer to /config").await;
}

#[tokio::test]
async fn dead_port() {
    // Bind and drop: nothing listens there any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let b = serve(Behaviour::Flink).await;
    let mut settings = Settings { interval: Dur(Duration::from_millis(500)), ..Settings::default() };
    settings.http.request_timeout = Dur(Duration::from_secs(1));
    let config = Config {
        settings,
        baseline: GroupConfig::new(RestUrl::new(&b).unwrap()),
        variant: GroupConfig::new(RestUrl::new(&format!("http://127.0.0.1:{port}")).unwrap()),
    };
    let s = snapshot::take(&config, Duration::from_secs(4)).await.expect("no recording to fail");
    assert_baseline_healthy(&s);
    let v = source(&s, "variant/flink-rest");
    assert_eq!(v.state, "failed");
    assert!(v.error.as_deref().unwrap().contains("cannot connect"), "{:?}", v.error);
}

/// REST and a Prometheus reporter for the same group: the live reporter's values win and
/// the snapshot says so; a broken reporter is its own failure while REST fills in.
#[tokio::test]
async fn prometheus_and_rest_together() {
    let rest_b = serve(Behaviour::Flink).await;
    let rest_v = serve(Behaviour::Flink).await;
    let prom_b = serve(Behaviour::PrometheusReporter).await;
    let prom_v = serve(Behaviour::Html502).await;
    let mut settings = Settings { interval: Dur(Duration::from_millis(500)), ..Settings::default() };
    settings.http.request_timeout = Dur(Duration::from_secs(1));
    let mut baseline = GroupConfig::new(RestUrl::new(&rest_b).unwrap());
    baseline.prometheus = vec![RestUrl::new(&prom_b).unwrap()];
    let mut variant = GroupConfig::new(RestUrl::new(&rest_v).unwrap());
    variant.prometheus = vec![RestUrl::new(&prom_v).unwrap()];
    let config = Config { settings, baseline, variant };
    let s = snapshot::take(&config, Duration::from_secs(4)).await.expect("no recording to fail");
    assert_eq!(source(&s, "baseline/prometheus").state, "live");
    assert_eq!(source(&s, "baseline/flink-rest").state, "live");
    let v = source(&s, "variant/prometheus");
    assert_eq!(v.state, "failed");
    assert!(v.error.as_deref().unwrap().contains("502"), "{:?}", v.error);
    assert_eq!(source(&s, "variant/flink-rest").state, "live", "REST goes on");
    let b = &s.groups["baseline"].metrics;
    assert_eq!(b["records_in_per_s"].source, "prometheus", "the fresher source wins");
    assert_eq!(b["backpressure_level"].source, "flink-rest", "REST fills what the reporter lacks");
    let v = &s.groups["variant"].metrics;
    assert_eq!(v["records_in_per_s"].source, "flink-rest");
    assert!(v["records_in_per_s"].last.is_some());
}
