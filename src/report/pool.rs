//! Several runs of one configuration on one page, counted as "runs": each area's block
//! samples pooled (their means and σ combine exactly), compared with Welch's t; the worst
//! run's verdict, the mean score, every run's alerts. One run is its own page, unchanged,
//! so its numbers are the live judgement's.

use super::build::{AREAS, analysis_of, class_of, classify, steps_for};
use super::{Area, Report, Stat, VerdictLine, worst_first};
use crate::analysis::stats::welch_of;
use crate::analysis::verdict::Outcome;

pub(crate) fn pool(mut runs: Vec<Report>) -> Report {
    if runs.len() <= 1 {
        return runs.pop().expect("pool needs a run");
    }
    let k = runs.len();
    let first = runs[0].clone();
    let results: Vec<Area> = (0..first.results.len()).map(|i| pooled_area(&runs, i, first.details.alpha)).collect();
    let verdict = worst(&runs);
    let alerts: Vec<super::AlertLine> = runs
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            r.alerts.iter().cloned().map(move |mut a| {
                a.run = Some(i + 1);
                a
            })
        })
        .collect();
    let analysis = analysis_of(&results, &verdict, &alerts, &first.details.profile);
    let mut next_steps: Vec<String> = Vec::new();
    for s in runs.iter().flat_map(|r| r.next_steps.iter()).filter(|s| !is_generic(s)) {
        if !next_steps.contains(s) {
            next_steps.push(s.clone());
        }
    }
    next_steps.extend(steps_for(verdict.outcome));
    let mut settings_warnings = first.settings_warnings.clone();
    for (i, r) in runs.iter().enumerate().skip(1) {
        if r.configuration != first.configuration {
            settings_warnings.push(format!("run {} ran a different configuration than run 1", i + 1));
        }
    }
    let d = &first.details;
    let details = super::Details {
        duration_s: runs.iter().map(|r| r.details.duration_s).sum(),
        started: runs.iter().flat_map(|r| r.details.started.clone()).collect(),
        environment: d.environment.clone(),
        workload: dedup(runs.iter().flat_map(|r| r.details.workload.clone())),
        runs: k,
        files: runs.iter().flat_map(|r| r.details.files.clone()).collect(),
        sources: runs
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.details.sources.iter().map(move |s| format!("run {}: {s}", i + 1)))
            .collect(),
        evaluations: runs.iter().map(|r| r.details.evaluations).sum(),
        profile: d.profile.clone(),
        test: format!("Welch's t over the pooled block samples of {k} runs (alpha {}); each run: {}", d.alpha, d.test),
        alpha: d.alpha,
    };
    Report {
        title: first.title,
        name: first.name,
        configuration: first.configuration,
        settings_warnings,
        details,
        results,
        verdict,
        alerts,
        analysis,
        next_steps,
    }
}

fn dedup(it: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in it {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// The steps every run of an outcome gets: the pooled outcome gives its own.
fn is_generic(s: &str) -> bool {
    [Outcome::Pass, Outcome::Marginal, Outcome::Fail, Outcome::Inconclusive]
        .into_iter()
        .any(|o| steps_for(o).iter().any(|g| g == s))
}

/// Exact pooled mean and σ of several groups of samples known by (n, mean, σ).
pub(crate) fn pooled(stats: &[Stat]) -> Option<Stat> {
    let n: usize = stats.iter().map(|s| s.n).sum();
    if n == 0 {
        return None;
    }
    let mean = stats.iter().map(|s| s.n as f64 * s.mean).sum::<f64>() / n as f64;
    let within: f64 = stats.iter().map(|s| s.n.saturating_sub(1) as f64 * s.sd.powi(2)).sum();
    let between: f64 = stats.iter().map(|s| s.n as f64 * (s.mean - mean).powi(2)).sum();
    let sd = if n > 1 { ((within + between) / (n - 1) as f64).sqrt() } else { 0.0 };
    Some(Stat { n, mean, sd })
}

fn pooled_area(runs: &[Report], i: usize, alpha: f64) -> Area {
    let one = &runs[0].results[i];
    let side = |g: usize| {
        let s: Vec<Stat> =
            runs.iter().filter_map(|r| if g == 0 { r.results[i].baseline } else { r.results[i].variant }).collect();
        pooled(&s)
    };
    let (b, v) = (side(0), side(1));
    let change_pct = match (b, v) {
        (Some(b), Some(v)) if b.mean != 0.0 => Some((v.mean - b.mean) / b.mean.abs() * 100.0),
        _ => None,
    };
    let p = match (b, v) {
        (Some(b), Some(v)) => welch_of((b.n, b.mean, b.sd), (v.n, v.mean, v.sd)).map(|w| w.p),
        _ => None,
    };
    let significant = p.is_some_and(|p| p < alpha);
    let def = AREAS.iter().find(|d| d.key.as_str() == one.metric).expect("an area of AREAS");
    let reading = if b.is_none() || v.is_none() {
        "not judged (NO-DATA)".to_string()
    } else {
        let class = class_of(def.key, significant, change_pct);
        classify(def, class, change_pct, one.threshold_pct.unwrap_or(f64::INFINITY), &runs[0].configuration)
    };
    Area {
        area: one.area,
        metric: one.metric,
        unit: one.unit,
        baseline: b,
        variant: v,
        change_pct,
        p,
        significant,
        threshold_pct: one.threshold_pct,
        reading,
        // Each run's line over its own time: the first run's stands for them.
        sparkline: one.sparkline.clone(),
    }
}

/// FAIL over INCONCLUSIVE over MARGINAL over PASS; the mean of the scores.
fn worst(runs: &[Report]) -> VerdictLine {
    let outcome =
        runs.iter().map(|r| r.verdict.outcome).max_by_key(|&o| worst_first(o)).unwrap_or(Outcome::Inconclusive);
    let scores: Vec<f64> = runs.iter().filter_map(|r| r.verdict.score).collect();
    let score = (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64);
    let reasons = runs
        .iter()
        .enumerate()
        .flat_map(|(i, r)| r.verdict.reasons.iter().map(move |x| format!("run {}: {x}", i + 1)))
        .collect();
    let stability = runs.iter().map(|r| r.verdict.stability).min().unwrap_or(0);
    VerdictLine { outcome, score, reasons, stability }
}
