use super::*;
use crate::analysis::judge::{JudgeSettings, judge_samples};
use crate::analysis::rules::Breach;
use std::time::SystemTime;

fn judgements(n: usize, throughput_factor: f64) -> BTreeMap<MetricKey, Judgement> {
    let s = JudgeSettings { min_samples: 30, ..JudgeSettings::default() };
    let base: Vec<f64> = (0..n).map(|i| 100.0 + (i % 7) as f64).collect();
    let tp: Vec<f64> = base.iter().map(|x| x * throughput_factor).collect();
    [MetricKey::RecordsInPerS, MetricKey::LatencyP99Ms, MetricKey::HeapUsedBytes, MetricKey::CpuCores]
        .into_iter()
        .map(|k| {
            let v = if k == MetricKey::RecordsInPerS { &tp } else { &base };
            (k, judge_samples(k, &base, v, &s))
        })
        .collect()
}

fn data() -> DataState {
    DataState { min_samples: 30, block_s: 10.0, stale: Vec::new(), settings: Vec::new(), latency_expected: true }
}

fn run(j: &BTreeMap<MetricKey, Judgement>, book: &AlertBook) -> Verdict {
    verdict(j, book, &RulesConfig::default(), &VerdictSettings::default(), false, &data())
}

#[test]
fn outcomes_table() {
    let book = AlertBook::default();
    let same = run(&judgements(40, 1.0), &book);
    assert_eq!((same.outcome, same.score), (Outcome::Pass, Some(100.0)));
    // -15% throughput is at the soft threshold: throughput scores 50 -> 85 overall.
    let worse = run(&judgements(40, 0.85), &book);
    assert_eq!(worse.outcome, Outcome::Pass);
    assert!((worse.score.unwrap() - 85.0).abs() < 1e-9, "{worse:?}");
    // -60%: throughput scores 0 -> 70: MARGINAL.
    assert_eq!(run(&judgements(40, 0.4), &book).outcome, Outcome::Marginal);
    // Too few samples: never PASS.
    let low = run(&judgements(10, 1.0), &book);
    assert_eq!(low.outcome, Outcome::Inconclusive);
    assert!(low.reasons.iter().any(|r| r.contains("LOW-N")));
    // 20 more blocks of 10 s.
    assert_eq!(low.needs, Some(Needs { samples: 20, seconds: 200.0 }));
    assert!(low.reasons.iter().any(|r| r.contains("needs 20 more, ~4 min")), "{:?}", low.reasons);
    let none = run(&BTreeMap::new(), &book);
    assert_eq!((none.outcome, none.score), (Outcome::Inconclusive, None), "nothing scored is no score");
}

#[test]
fn no_pass_without_the_essentials() {
    let book = AlertBook::default();
    let s = JudgeSettings { min_samples: 30, ..JudgeSettings::default() };
    let base: Vec<f64> = (0..40).map(|i| 100.0 + (i % 7) as f64).collect();
    // Throughput never compared (the variant has none): INCONCLUSIVE, not PASS 100.
    let mut j = judgements(40, 1.0);
    j.insert(MetricKey::RecordsInPerS, judge_samples(MetricKey::RecordsInPerS, &base, &[], &s));
    let v = run(&j, &book);
    assert_eq!(v.outcome, Outcome::Inconclusive, "{v:?}");
    assert!(v.reasons.iter().any(|r| r.starts_with("throughput: NO-DATA") && r.contains("the variant")), "{v:?}");
    // Latency missing altogether.
    let mut j = judgements(40, 1.0);
    j.remove(&MetricKey::LatencyP99Ms);
    assert_eq!(run(&j, &book).outcome, Outcome::Inconclusive);
    // ...unless Flink's latency markers are off: then it cannot be judged, and says so.
    let off = DataState { latency_expected: false, ..data() };
    let v = verdict(&j, &book, &RulesConfig::default(), &VerdictSettings::default(), false, &off);
    assert_eq!(v.outcome, Outcome::Pass, "{v:?}");
    assert!(v.reasons.iter().any(|r| r.contains("latency markers are off")), "{v:?}");
    // CPU is not essential under the default profile: left out, still PASS.
    let mut j = judgements(40, 1.0);
    j.insert(MetricKey::CpuCores, judge_samples(MetricKey::CpuCores, &[], &[], &s));
    assert_eq!(run(&j, &book).outcome, Outcome::Pass);
    // ...but it is under the CPU profile, which weighs it most.
    let cpu = VerdictSettings { weights: Profile::Cpu.weights(), ..VerdictSettings::default() };
    let v = verdict(&j, &book, &RulesConfig::default(), &cpu, false, &data());
    assert_eq!(v.outcome, Outcome::Inconclusive, "{v:?}");
    // A group gone stale cannot PASS.
    let stale = DataState { stale: vec!["variant: no live source for 45 s".into()], ..data() };
    let v = verdict(&judgements(40, 1.0), &book, &RulesConfig::default(), &VerdictSettings::default(), false, &stale);
    assert_eq!(v.outcome, Outcome::Inconclusive);
    assert!(v.reasons.iter().any(|r| r.contains("no live source")));
}

#[test]
fn a_hard_alert_is_fail() {
    let mut book = AlertBook::default();
    let b = Some(Breach { observed: 1.0, baseline: 0.0, threshold: 0.0, message: "OOM".into() });
    book.update(&[(RuleId::OutOfMemory, b)], &RulesConfig::default(), SystemTime::now());
    let v = run(&judgements(40, 1.0), &book);
    assert_eq!(v.outcome, Outcome::Fail);
    assert!(v.reasons[0].contains("out-of-memory"));
}

#[test]
fn an_active_soft_alert_is_fail_and_a_resolved_one_is_not() {
    let config = RulesConfig::default();
    let mut book = AlertBook::default();
    let b = Some(Breach { observed: 40.0, baseline: 100.0, threshold: 15.0, message: "-60%".into() });
    let t0 = SystemTime::UNIX_EPOCH;
    for s in 0..3 {
        book.update(&[(RuleId::Throughput, b.clone())], &config, t0 + std::time::Duration::from_secs(s));
    }
    assert!(book.active.contains_key(&RuleId::Throughput), "held 3 evaluations: fired");
    // -60% alone scores 70 (MARGINAL); the soft failure makes it FAIL, first reason.
    let v = run(&judgements(40, 0.4), &book);
    assert_eq!(v.outcome, Outcome::Fail, "{v:?}");
    assert!(v.reasons[0].starts_with("soft failure throughput"), "{:?}", v.reasons);
    assert!(!book.hard_fired);
    book.update(&[(RuleId::Throughput, None)], &config, t0 + std::time::Duration::from_secs(9));
    assert_eq!(run(&judgements(40, 1.0), &book).outcome, Outcome::Pass, "resolved: judged on the data again");
}

#[test]
fn profiles_weigh_to_one() {
    for p in [Profile::Default, Profile::Throughput, Profile::Latency, Profile::Memory, Profile::Cpu, Profile::Bursty] {
        let w = p.weights();
        assert!((w.throughput + w.latency + w.memory + w.cpu + w.stability - 1.0).abs() < 1e-9, "{p:?}");
    }
}
