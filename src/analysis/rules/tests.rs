use super::*;
use crate::analysis::judge::{JudgeSettings, judge_samples};

fn health() -> GroupHealth {
    GroupHealth { expected_taskmanagers: 2, taskmanagers: 2, checkpoints_triggered: 10.0, ..Default::default() }
}

fn eval(rule: RuleId, base: &GroupHealth, var: &GroupHealth) -> Option<Breach> {
    evaluate(rule, &RulesConfig::default().rules[&rule], base, var, &BTreeMap::new())
}

#[test]
fn hard_rules_table() {
    let b = health();
    let lost_one = GroupHealth { taskmanagers: 1, ..health() };
    assert!(eval(RuleId::TaskmanagerFailures, &b, &lost_one).is_some(), "1 of 2 lost is 50%");
    assert!(eval(RuleId::TaskmanagerFailures, &lost_one, &lost_one).is_none(), "both lost the same share");
    let many = GroupHealth { expected_taskmanagers: 10, taskmanagers: 9, ..health() };
    assert!(eval(RuleId::TaskmanagerFailures, &b, &many).is_none(), "10% lost is under 20%");

    let one_restart = GroupHealth { failures: 1.0, ..health() };
    assert!(eval(RuleId::JobFailures, &b, &one_restart).is_none(), "0 -> 1 restart is under the floor");
    let three = GroupHealth { failures: 3.0, ..health() };
    assert!(eval(RuleId::JobFailures, &b, &three).is_some());
    let base_many = GroupHealth { failures: 30.0, ..health() };
    let var_slightly = GroupHealth { failures: 32.0, ..health() };
    assert!(eval(RuleId::JobFailures, &base_many, &var_slightly).is_none(), "+6.7% is under 10%");

    let net = GroupHealth { network_errors_per_min: 101.0, ..health() };
    assert!(eval(RuleId::NetworkTimeouts, &b, &net).is_some());
    assert!(eval(RuleId::NetworkTimeouts, &b, &GroupHealth { network_errors_per_min: 100.0, ..health() }).is_none());
    // The host's TCP timeouts count too, and the message says where they came from.
    let wire =
        GroupHealth { network_errors_per_min: 40.0, tcp_timeouts_per_min: Some((70.0, SourceKind::Host)), ..health() };
    let breach = eval(RuleId::NetworkTimeouts, &b, &wire).expect("40 + 70 > 100");
    assert_eq!(breach.observed, 110.0);
    assert!(breach.message.contains("70 TCP timeouts") && breach.message.contains("/proc"), "{}", breach.message);
    // A host shared by both groups: its timeouts are the baseline's too, not the variant's.
    let shared = GroupHealth { tcp_timeouts_per_min: Some((150.0, SourceKind::Host)), ..health() };
    assert!(eval(RuleId::NetworkTimeouts, &shared, &shared).is_none(), "host-wide timeouts are not the variant's");
    let more = GroupHealth { tcp_timeouts_per_min: Some((300.0, SourceKind::Host)), ..health() };
    assert_eq!(eval(RuleId::NetworkTimeouts, &shared, &more).map(|b| b.observed), Some(150.0), "only the excess");
    // node_exporter reads each group's own hosts: the baseline's do not excuse the variant's.
    let node_base = GroupHealth { tcp_timeouts_per_min: Some((150.0, SourceKind::Prometheus)), ..health() };
    let node_var = GroupHealth { tcp_timeouts_per_min: Some((150.0, SourceKind::Prometheus)), ..health() };
    assert!(eval(RuleId::NetworkTimeouts, &node_base, &node_var).is_some(), "other hosts' timeouts count in full");
    let node = GroupHealth { tcp_timeouts_per_min: Some((101.0, SourceKind::Prometheus)), ..health() };
    assert!(eval(RuleId::NetworkTimeouts, &b, &node).unwrap().message.contains("node_exporter"));
    assert!(
        eval(
            RuleId::NetworkTimeouts,
            &b,
            &GroupHealth { tcp_timeouts_per_min: Some((100.0, SourceKind::Host)), ..health() }
        )
        .is_none()
    );

    assert!(eval(RuleId::OutOfMemory, &b, &GroupHealth { out_of_memory: 1, ..health() }).is_some());
    assert!(eval(RuleId::OutOfMemory, &b, &b).is_none());

    let ckpt = GroupHealth { checkpoints_failed: 2.0, checkpoints_triggered: 10.0, ..health() };
    assert!(eval(RuleId::CheckpointFailures, &b, &ckpt).is_some(), "20% failed");
    let one = GroupHealth { checkpoints_failed: 1.0, checkpoints_triggered: 2.0, ..health() };
    assert!(eval(RuleId::CheckpointFailures, &b, &one).is_none(), "under the floor of 2 failures");
}

fn judged(key: MetricKey, base: &[f64], var: &[f64]) -> BTreeMap<MetricKey, Judgement> {
    let s = JudgeSettings { min_samples: 10, ..JudgeSettings::default() };
    [(key, judge_samples(key, base, var, &s))].into_iter().collect()
}

fn soft_eval(rule: RuleId, base: &[f64], var: &[f64]) -> Option<Breach> {
    let j = judged(rule.metric(), base, var);
    evaluate(rule, &RulesConfig::default().rules[&rule], &health(), &health(), &j)
}

#[test]
fn soft_rules_table() {
    let tp: Vec<f64> = (0..20).map(|i| 4000.0 + (i % 5) as f64 * 10.0).collect();
    let minus_20: Vec<f64> = tp.iter().map(|x| x * 0.8).collect();
    let minus_10: Vec<f64> = tp.iter().map(|x| x * 0.9).collect();
    assert!(soft_eval(RuleId::Throughput, &tp, &minus_20).is_some());
    assert!(soft_eval(RuleId::Throughput, &tp, &minus_10).is_none(), "-10% is under 15%");
    assert!(soft_eval(RuleId::Throughput, &tp, &tp).is_none());
    assert!(soft_eval(RuleId::Throughput, &tp[..5], &minus_20[..5]).is_none(), "LOW-N never fires");

    let bp: Vec<f64> = (0..20).map(|i| (i % 3) as f64).collect(); // 0..2 ms/s
    let bp_x3: Vec<f64> = bp.iter().map(|x| x * 3.0 + 1.0).collect(); // still a few ms/s
    assert!(soft_eval(RuleId::Backpressure, &bp, &bp_x3).is_none(), "0 -> 3 ms/s is under the floor");
    let bp_high: Vec<f64> = bp.iter().map(|x| x + 300.0).collect();
    assert!(soft_eval(RuleId::Backpressure, &bp, &bp_high).is_some());

    // Noise without a trend (a ramp would be one slow drift: no independent samples).
    let lat: Vec<f64> = (0..20).map(|i| 100.0 + ((i * 7) % 11) as f64).collect();
    let lat_up: Vec<f64> = lat.iter().map(|x| x * 1.6).collect();
    assert!(soft_eval(RuleId::LatencyP99, &lat, &lat_up).is_some());
    let lat_down: Vec<f64> = lat.iter().map(|x| x * 0.5).collect();
    assert!(soft_eval(RuleId::LatencyP99, &lat, &lat_down).is_none(), "better is not an alert");

    let nan = vec![f64::NAN; 20];
    assert!(soft_eval(RuleId::Cpu, &lat, &nan).is_none(), "no data is never a breach");
}

/// A store whose variant reports these (completed, failed) checkpoint counts, 10 s apart.
fn checkpoints(counts: &[(f64, f64)]) -> (f64, f64) {
    let t0 = std::time::Instant::now();
    let mut store = Store::with_epoch(t0, Duration::from_secs(3600), Duration::from_secs(1));
    for (i, (ok, failed)) in counts.iter().enumerate() {
        let b = crate::model::Batch {
            gauges: vec![(MetricKey::CheckpointsCompleted, Some(*ok)), (MetricKey::CheckpointsFailed, Some(*failed))],
            epoch: 1,
            taskmanagers: vec!["tm-var-1".into()],
            ..crate::model::Batch::new(
                crate::model::SourceKind::FlinkRest,
                t0 + Duration::from_secs(10 * i as u64),
                Duration::from_secs(10),
            )
        };
        store.ingest(Group::Variant, b);
    }
    checkpoint_counts(&store, Group::Variant, 0.0)
}

#[test]
fn checkpoint_failures_count_when_none_complete() {
    // A healthy job: the first trigger failed before the tasks ran, then all complete.
    assert_eq!(checkpoints(&[(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (2.0, 1.0)]), (0.0, 2.0));
    // Every checkpoint fails and none completes: all but that first one count.
    assert_eq!(checkpoints(&[(0.0, 0.0), (0.0, 1.0), (0.0, 2.0), (0.0, 3.0), (0.0, 4.0)]), (3.0, 3.0));
    // Failures after completions count in full.
    assert_eq!(checkpoints(&[(5.0, 1.0), (6.0, 3.0)]), (2.0, 3.0));
    let (failed, triggered) = checkpoints(&[(0.0, 1.0), (0.0, 2.0), (0.0, 3.0), (0.0, 4.0)]);
    let var = GroupHealth { checkpoints_failed: failed, checkpoints_triggered: triggered, ..health() };
    assert!(eval(RuleId::CheckpointFailures, &health(), &var).is_some(), "all failing is a hard alert");
}

#[test]
fn disabled_rules_never_fire() {
    let mut c = RulesConfig::default().rules[&RuleId::OutOfMemory];
    c.enabled = false;
    let oom = GroupHealth { out_of_memory: 3, ..health() };
    assert!(evaluate(RuleId::OutOfMemory, &c, &health(), &oom, &BTreeMap::new()).is_none());
}
