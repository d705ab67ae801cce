use super::*;
use crate::model::batch::Counter;

fn batch(at: Instant, fresh: bool, cpu_ns: f64) -> Batch {
    Batch {
        fresh,
        gauges: vec![(MetricKey::RecordsInPerS, Some(100.0)), (MetricKey::LatencyP99Ms, None)],
        counters: vec![Counter { key: MetricKey::CpuCores, total: cpu_ns, scale: 1e-9, coverage: 0 }],
        block_counters: vec![],
        exceptions: vec![],
        epoch: 7,
        taskmanagers: vec!["tm-1".into()],
        per_tm: vec![],
        flink_version: Some("2.3.0".into()),
        ..Batch::new(SourceKind::FlinkRest, at, Duration::from_secs(10))
    }
}

#[test]
fn repeats_are_not_samples_and_counters_become_rates() {
    let t0 = Instant::now();
    let mut s = Store::with_epoch(t0, Duration::from_secs(3600), Duration::from_secs(1));
    s.ingest(Group::Baseline, batch(t0, true, 0.0));
    s.ingest(Group::Baseline, batch(t0 + Duration::from_secs(1), false, 0.0));
    s.ingest(Group::Baseline, batch(t0 + Duration::from_secs(10), true, 5e9));
    let g = s.group(Group::Baseline);
    assert_eq!(g.series(MetricKey::RecordsInPerS).values_since(0.0).count(), 2);
    // 5 s of CPU over 10 s: half a core. The first reading had no rate (a gap).
    let cpu: Vec<_> = g.series(MetricKey::CpuCores).values_since(0.0).collect();
    assert_eq!(cpu, vec![(10.0, 0.5)]);
    assert_eq!(g.series(MetricKey::LatencyP99Ms).values_since(0.0).count(), 0);
    assert_eq!(g.flink_version.as_deref(), Some("2.3.0"));
    assert!(s.group(Group::Variant).series(MetricKey::RecordsInPerS).is_empty());
}

#[test]
fn history_fills_the_window_before_the_first_poll() {
    let t0 = Instant::now();
    let mut s = Store::with_epoch(t0, Duration::from_secs(3600), Duration::from_secs(1));
    let mut b = batch(t0 + Duration::from_secs(5), true, 0.0);
    b.provider = SourceKind::PrometheusServer;
    b.history =
        (1..=30).rev().map(|age| (age as f64, vec![(MetricKey::RecordsInPerS, Some(90.0 + age as f64))])).collect();
    s.ingest(Group::Baseline, b);
    let points: Vec<(f64, f64)> =
        s.group(Group::Baseline).series(MetricKey::RecordsInPerS).values_since(-100.0).collect();
    assert_eq!(points.len(), 31, "30 past points and the current one");
    assert_eq!(points[0], (-25.0, 120.0), "times before the store began are negative");
    assert_eq!(points[30], (5.0, 100.0));
    // Blocks for the statistics were formed from the history too.
    assert!(!s.group(Group::Baseline).block_values_since(MetricKey::RecordsInPerS, -100.0).is_empty());
}

/// A reporter without job restarts (a TaskManager's has none) does not blank REST's:
/// the metric keeps REST's value whichever source wrote last.
#[test]
fn a_source_lacking_a_metric_leaves_another_sources_value() {
    let t0 = Instant::now();
    let mut s = Store::with_epoch(t0, Duration::from_secs(3600), Duration::from_secs(1));
    let at = |secs: u64| t0 + Duration::from_secs(secs);
    let mut rest = batch(at(0), true, 0.0);
    rest.gauges.push((MetricKey::Restarts, Some(0.0)));
    s.ingest(Group::Variant, rest);
    for i in 1..=5u64 {
        let mut prom = batch(at(i), true, 0.0);
        prom.provider = SourceKind::Prometheus;
        prom.gauges.push((MetricKey::Restarts, None));
        s.ingest(Group::Variant, prom);
    }
    let g = s.group(Group::Variant);
    assert_eq!(g.series(MetricKey::Restarts).current(), Some(0.0), "REST's 0 stays the latest reading");
    assert_eq!(g.provider(MetricKey::Restarts), Some(SourceKind::FlinkRest));
}

/// A reporter that fails restarts its own rates and blocks; REST's CPU rate goes on.
#[test]
fn a_failing_source_resets_only_its_own_rates_and_blocks() {
    let t0 = Instant::now();
    let mut s = Store::with_epoch(t0, Duration::from_secs(3600), Duration::from_secs(1));
    let at = |secs: u64| t0 + Duration::from_secs(secs);
    for i in 0..3u64 {
        s.ingest(Group::Baseline, batch(at(10 * i), true, (10 * i) as f64 * 1e9));
    }
    let cpu_points = |s: &Store| s.group(Group::Baseline).series(MetricKey::CpuCores).values_since(0.0).count();
    assert_eq!(cpu_points(&s), 2);
    s.gap_from(Group::Baseline, at(25), Some(SourceKind::Prometheus));
    s.ingest(Group::Baseline, batch(at(30), true, 30e9));
    assert_eq!(cpu_points(&s), 3, "REST's CPU rate did not restart for the reporter's failure");
    s.gap_from(Group::Baseline, at(35), Some(SourceKind::FlinkRest));
    s.ingest(Group::Baseline, batch(at(40), true, 40e9));
    assert_eq!(cpu_points(&s), 3, "its own failure restarts it: no rate from the first reading after");
}

#[test]
fn taskmanagers_are_one_per_canonical_id() {
    let t0 = Instant::now();
    let mut s = Store::with_epoch(t0, Duration::from_secs(3600), Duration::from_secs(1));
    let mut b = batch(t0, true, 0.0);
    b.taskmanagers = vec!["tm-base-1".into(), "tm_base_1".into(), "tm-base-2".into()];
    s.ingest(Group::Baseline, b);
    assert_eq!(s.group(Group::Baseline).taskmanagers, vec!["tm-base-1", "tm-base-2"]);
    assert_eq!(s.group(Group::Baseline).expected_taskmanagers, 2);
}

#[test]
fn a_failed_poll_is_a_gap_and_memory_stays_bounded() {
    let t0 = Instant::now();
    let mut s = Store::with_epoch(t0, Duration::from_secs(60), Duration::from_secs(1));
    for i in 0..10_000u64 {
        let at = t0 + Duration::from_secs(i);
        if i % 10 == 5 {
            s.gap(Group::Baseline, at);
        } else {
            s.ingest(Group::Baseline, batch(at, true, i as f64 * 1e9));
        }
    }
    let g = s.group(Group::Baseline);
    let series = g.series(MetricKey::RecordsInPerS);
    assert!(series.len() <= 62, "retention bounds the series: {}", series.len());
    assert!(series.segments_since(0.0).len() >= 5, "gaps split the line");
}
