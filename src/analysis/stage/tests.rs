use super::*;

const H: Duration = Duration::from_secs(3600);

/// Stage 1A of the test plan: no job failures, no alerts, metrics stable, performance not
/// worse; roll back on any job failure, a regression over 10% or any hard alert.
fn stage_1a() -> (Vec<Criterion>, Vec<Trigger>) {
    let c = ["no-job-failures", "no-alerts", "metrics-stable", "no-regression"].map(|s| Criterion::parse(s).unwrap());
    let t = ["any-job-failure", "regression > 10%", "any-hard-alert"].map(|s| Trigger::parse(s).unwrap());
    (c.to_vec(), t.to_vec())
}

fn healthy(elapsed: Duration) -> StageInputs {
    StageInputs {
        elapsed,
        min_duration: 48 * H,
        outcome: Some(Outcome::Pass),
        throughput: Some((Class::NoChange, Some(1.0))),
        latency: Some((Class::NoChange, Some(-2.0))),
        jobs: 1,
        ..Default::default()
    }
}

#[test]
fn criteria_and_triggers_decide_go_roll_back_or_not_yet() {
    let (c, t) = stage_1a();
    let hard = |i: StageInputs| StageInputs {
        alerts: vec![(RuleId::TaskmanagerFailures, Severity::Hard, true)],
        outcome: Some(Outcome::Fail),
        ..i
    };
    let table: Vec<(&str, StageInputs, Decision)> = vec![
        ("healthy, 47 h of 48", healthy(47 * H), Decision::NotYet),
        ("healthy, 48 h", healthy(48 * H), Decision::Go),
        ("healthy, 72 h", healthy(72 * H), Decision::Go),
        ("one job failure in the first hour", StageInputs { job_failures: 1, ..healthy(H) }, Decision::RollBack),
        ("a hard alert", hard(healthy(50 * H)), Decision::RollBack),
        (
            "throughput 12% worse",
            StageInputs {
                throughput: Some((Class::Worse, Some(-12.0))),
                outcome: Some(Outcome::Marginal),
                ..healthy(50 * H)
            },
            Decision::RollBack,
        ),
        (
            "throughput 8% worse: not a trigger, but the no-regression criterion is unmet",
            StageInputs {
                throughput: Some((Class::Worse, Some(-8.0))),
                outcome: Some(Outcome::Marginal),
                ..healthy(50 * H)
            },
            Decision::NotYet,
        ),
        (
            "a soft alert resolved earlier: no-alerts unmet, no trigger",
            StageInputs { alerts: vec![(RuleId::LatencyP99, Severity::Soft, false)], ..healthy(50 * H) },
            Decision::NotYet,
        ),
        ("still judging", StageInputs { outcome: Some(Outcome::Inconclusive), ..healthy(50 * H) }, Decision::NotYet),
        (
            "a source down",
            StageInputs { sources_down: vec!["variant/flink-rest".into()], ..healthy(50 * H) },
            Decision::NotYet,
        ),
    ];
    for (what, inputs, want) in table {
        let j = judge(&c, &t, &inputs);
        assert_eq!(j.decision, want, "{what}: {j:#?}");
    }
}

#[test]
fn each_line_says_why() {
    let (c, t) = stage_1a();
    let j = judge(&c, &t, &StageInputs { job_failures: 2, outcome: Some(Outcome::Inconclusive), ..healthy(H) });
    let line = |lines: &[Line], name: &str| lines.iter().find(|l| l.name == name).cloned().unwrap();
    let failures = line(&j.triggers, "any-job-failure");
    assert_eq!((failures.mark, failures.why.as_str()), (Mark::Met, "2 variant job failure(s) in the stage"));
    assert_eq!(line(&j.criteria, "metrics-stable").mark, Mark::Pending);
    assert_eq!(line(&j.criteria, "no-job-failures").mark, Mark::Unmet);
    assert_eq!(line(&j.triggers, "regression > 10%").mark, Mark::Unmet);
}

#[test]
fn the_plans_words_parse_and_print_back() {
    for s in [
        "any-job-failure",
        "job-failures > 1",
        "regression > 10%",
        "any-hard-alert",
        "verdict-fail",
        "resource-exhaustion",
    ] {
        assert_eq!(Trigger::parse(s).unwrap().to_string(), s);
    }
    assert_eq!(Trigger::parse("job-failures>3").unwrap(), Trigger::JobFailures(3));
    assert_eq!(Trigger::parse("regression > 12.5 %").unwrap(), Trigger::Regression(12.5));
    assert!(Trigger::parse("regression > lots").unwrap_err().contains("percentage"));
    assert!(Trigger::parse("panic").unwrap_err().contains("one of: any-job-failure"));
    for (s, _) in CRITERIA {
        assert_eq!(Criterion::parse(s).unwrap().to_string(), s);
    }
    assert!(Criterion::parse("vibes").unwrap_err().contains("unknown success criterion"));
}

#[test]
fn performance_improved_needs_a_significant_gain_and_no_loss() {
    let c = [Criterion::PerformanceImproved];
    let better = StageInputs { throughput: Some((Class::Better, Some(9.0))), ..healthy(50 * H) };
    assert_eq!(judge(&c, &[], &better).decision, Decision::Go);
    assert_eq!(judge(&c, &[], &healthy(50 * H)).decision, Decision::NotYet, "no change is no improvement");
    let mixed = StageInputs { latency: Some((Class::Worse, Some(20.0))), ..better };
    assert_eq!(judge(&c, &[], &mixed).criteria[0].mark, Mark::Unmet);
}

#[test]
fn resource_exhaustion_is_a_cpu_or_memory_alert() {
    let t = [Trigger::ResourceExhaustion];
    let soft_active = StageInputs { alerts: vec![(RuleId::Memory, Severity::Soft, true)], ..healthy(H) };
    assert_eq!(judge(&[], &t, &soft_active).decision, Decision::RollBack);
    let latency = StageInputs { alerts: vec![(RuleId::LatencyP99, Severity::Soft, true)], ..healthy(H) };
    assert_eq!(judge(&[], &t, &latency).decision, Decision::NotYet, "below the minimum duration");
}
