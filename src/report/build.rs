//! A run's page from the app as the run left it: the judgements it acted on, its alerts,
//! the settings it read. Nothing is judged again here.

use crate::analysis::judge::{self, Class, Direction, Judgement};
use crate::analysis::rules::{self, RuleId, Severity};
use crate::analysis::verdict::Outcome;
use crate::app::App;
use crate::model::{Group, MetricKey};
use crate::sanitize::clean;

use super::{Analysis, Area, Change, Details, Report, Stat, VerdictLine, sparkline};

/// The plan's result areas: the metric each is read from, its rule (for "slight"), the
/// unit shown and the factor from the metric's unit to it.
pub(crate) struct AreaDef {
    pub(crate) area: &'static str,
    pub(crate) key: MetricKey,
    pub(crate) rule: RuleId,
    pub(crate) unit: &'static str,
    pub(crate) scale: f64,
    /// Keys whose change is meant to move this area (then a move is "as expected").
    pub(crate) moved_by: &'static [&'static str],
}

pub(crate) const AREAS: [AreaDef; 5] = [
    AreaDef {
        area: "Throughput",
        key: MetricKey::RecordsInPerS,
        rule: RuleId::Throughput,
        unit: "records/s",
        scale: 1.0,
        moved_by: &[],
    },
    AreaDef {
        area: "Latency (p99)",
        key: MetricKey::LatencyP99Ms,
        rule: RuleId::LatencyP99,
        unit: "ms",
        scale: 1.0,
        moved_by: &[],
    },
    AreaDef {
        area: "Memory usage (network buffers)",
        key: MetricKey::NettyUsedSegments,
        rule: RuleId::Memory,
        unit: "buffers in use",
        scale: 1.0,
        moved_by: &[
            "taskmanager.memory.network.",
            "taskmanager.memory.segment-size",
            "taskmanager.network.memory.",
            "taskmanager.network.sort-shuffle.",
        ],
    },
    AreaDef {
        area: "CPU usage",
        key: MetricKey::CpuCores,
        rule: RuleId::Cpu,
        unit: "% of a core per TaskManager",
        scale: 100.0,
        moved_by: &["taskmanager.network.compression."],
    },
    AreaDef {
        area: "Backpressure",
        key: MetricKey::BackpressuredMsPerS,
        rule: RuleId::Backpressure,
        unit: "% of time",
        scale: 0.1,
        moved_by: &[],
    },
];

pub(crate) fn from_app(app: &App) -> Report {
    let name = app.settings.name.clone().map_or_else(|| "variant vs baseline".to_string(), |n| clean(&n));
    let configuration = configuration(app);
    let view = app.view();
    let results: Vec<Area> = AREAS
        .iter()
        .map(|d| {
            let j = view.judgements.get(&d.key);
            let threshold = app.settings.rules.rules.get(&d.rule).filter(|c| c.enabled).map(|c| c.threshold);
            let reading = reading(d, j, threshold.unwrap_or(f64::INFINITY), &configuration);
            Area {
                area: d.area,
                metric: d.key.as_str(),
                unit: d.unit,
                baseline: j.and_then(|j| j.baseline).map(|s| stat(s, d.scale)),
                variant: j.and_then(|j| j.variant).map(|s| stat(s, d.scale)),
                change_pct: j.and_then(|j| j.change_pct),
                p: j.and_then(|j| j.p),
                significant: j.is_some_and(|j| j.significant),
                threshold_pct: threshold,
                reading,
                sparkline: sparkline::both(app.history(), d.key, view.now, 32),
            }
        })
        .collect();
    let verdict = verdict(app);
    let alerts = alerts(app, None);
    let analysis = analysis(&results, &verdict, &alerts, app);
    let next_steps = next_steps(app, &verdict);
    Report {
        title: format!("Test Result: {name}"),
        name,
        configuration,
        settings_warnings: app.flink_settings.review.warnings.iter().map(|w| clean(&w.message)).collect(),
        details: details(app),
        results,
        verdict,
        alerts,
        analysis,
        next_steps,
    }
}

fn stat(s: crate::analysis::stats::Summary, scale: f64) -> Stat {
    Stat { n: s.n, mean: s.mean * scale, sd: s.sd * scale }
}

/// The one-word reading of the plan's page. `threshold`: the area's soft rule (a worse
/// change below it is "slight").
pub(crate) fn reading(d: &AreaDef, j: Option<&Judgement>, threshold: f64, changed: &[Change]) -> String {
    let Some(j) = j else { return "not judged (NO-DATA)".into() };
    classify(d, j.class, j.change_pct, threshold, changed)
}

pub(crate) fn classify(d: &AreaDef, class: Class, change: Option<f64>, threshold: f64, changed: &[Change]) -> String {
    let expected = changed.iter().any(|c| d.moved_by.iter().any(|p| c.key.starts_with(p)));
    match class {
        Class::LowN => "not judged (LOW-N: too few samples)".into(),
        Class::NoData => "not judged (NO-DATA)".into(),
        Class::NoChange => "no significant change".into(),
        Class::Better | Class::Worse if expected => "as expected".into(),
        Class::Better => "significant improvement".into(),
        Class::Worse if change.is_some_and(|c| c.abs() < threshold) => "slight regression".into(),
        Class::Worse => "significant regression".into(),
    }
}

/// The class a pooled comparison gets: significant at `alpha` in `key`'s bad direction or not.
pub(crate) fn class_of(key: MetricKey, significant: bool, change: Option<f64>) -> Class {
    match (significant, change) {
        (false, _) => Class::NoChange,
        (true, Some(c)) => {
            let worse = match judge::direction(key) {
                Direction::HigherIsWorse => c > 0.0,
                Direction::LowerIsWorse => c < 0.0,
            };
            if worse { Class::Worse } else { Class::Better }
        }
        (true, None) => Class::NoData,
    }
}

fn configuration(app: &App) -> Vec<Change> {
    app.flink_settings
        .review
        .rows
        .iter()
        .filter(|r| r.differs)
        .map(|r| Change {
            key: r.opt.key.to_string(),
            variant: clean(&r.cells[1].text),
            baseline: clean(&r.cells[0].text),
        })
        .collect()
}

/// The verdict as `check` ends with it: a source that was failed or stale at the end or for
/// over a tenth of the run keeps it from PASS.
fn verdict(app: &App) -> VerdictLine {
    let v = &app.view().verdict;
    let gaps = crate::check::source_gaps(app);
    let mut outcome = v.outcome;
    if !gaps.is_empty() && outcome == Outcome::Pass {
        outcome = Outcome::Inconclusive;
    }
    let mut reasons: Vec<String> = v.reasons.iter().map(|r| clean(r)).collect();
    reasons.extend(gaps);
    VerdictLine { outcome, score: v.score, reasons, stability: stability(app) }
}

fn stability(app: &App) -> u8 {
    let all = app.alerts.all();
    let hard = all.iter().filter(|a| a.severity == Severity::Hard).count();
    let soft = all.iter().filter(|a| a.severity == Severity::Soft).count();
    let store = &app.view().store;
    let window = app.window.as_secs_f64();
    let b = rules::group_health(store, Group::Baseline, app.view().now, window, app.split);
    let v = rules::group_health(store, Group::Variant, app.view().now, window, app.split);
    let lost = 2 * hard + soft + usize::from(v.failures > b.failures);
    u8::try_from(5usize.saturating_sub(lost)).unwrap_or(0)
}

pub(crate) fn alerts(app: &App, run: Option<usize>) -> Vec<super::AlertLine> {
    let finite = |x: f64| x.is_finite().then_some(x);
    app.alerts
        .all()
        .into_iter()
        .map(|a| super::AlertLine {
            severity: a.severity,
            rule: a.rule.as_str(),
            message: clean(&a.message),
            observed: finite(a.observed),
            baseline: finite(a.baseline),
            threshold: finite(a.threshold),
            since: crate::analysis::alerts::rfc3339(a.since),
            resolved: a.resolved.map(crate::analysis::alerts::rfc3339),
            run,
        })
        .collect()
}

fn details(app: &App) -> Details {
    let store = &app.view().store;
    let mut environment = Vec::new();
    let mut workload = Vec::new();
    for g in Group::BOTH {
        let label = &app.labels[g.index()];
        let tms = store.group(g).per_tm.len();
        let flink = app.flink_settings.review.versions[g.index()].as_deref().map(|v| format!(", Flink {}", clean(v)));
        let filter = label.taskmanagers.as_deref().map(|t| format!(" (TaskManagers {})", clean(t))).unwrap_or_default();
        environment.push(format!(
            "{}: {}{filter}, {tms} TaskManagers{}",
            g.as_str(),
            clean(&label.url),
            flink.unwrap_or_default()
        ));
        if let Some(j) = store.group(g).job.as_ref().filter(|j| !j.name.is_empty()) {
            workload.push(format!("{}: {}", g.as_str(), clean(&j.name)));
        }
    }
    let now = app.now();
    let sources = app
        .health
        .values()
        .map(|h| {
            let bad = h.bad_total(now).as_secs_f64();
            if bad >= 1.0 {
                format!("{}: failed or stale for {bad:.0} s", clean(&h.name))
            } else {
                format!("{}: live throughout", clean(&h.name))
            }
        })
        .collect();
    Details {
        duration_s: app.observed().as_secs_f64(),
        started: vec![crate::analysis::alerts::rfc3339(app.started_wall())],
        environment,
        workload,
        runs: 1,
        files: Vec::new(),
        sources,
        evaluations: app.evaluations,
        profile: format!("{:?}", app.settings.analysis.profile).to_lowercase(),
        test: test_name(app),
        alpha: app.settings.analysis.judge.alpha,
    }
}

fn test_name(app: &App) -> String {
    use crate::analysis::judge::TestKind;
    let alpha = app.settings.analysis.judge.alpha;
    match app.settings.analysis.judge.test {
        TestKind::Sequential => format!("sequential mixture test on block means, always valid (alpha {alpha})"),
        TestKind::MannWhitney => format!("Mann-Whitney U on the window's blocks (alpha {alpha})"),
        TestKind::Welch => format!("Welch's t on the window's blocks (alpha {alpha})"),
    }
}

/// Pros and cons from the readings and alerts; a recommendation from the verdict and the
/// profile. The page marks them as derived.
pub(crate) fn analysis(results: &[Area], v: &VerdictLine, alerts: &[super::AlertLine], app: &App) -> Analysis {
    let profile = format!("{:?}", app.settings.analysis.profile).to_lowercase();
    analysis_of(results, v, alerts, &profile)
}

pub(crate) fn analysis_of(results: &[Area], v: &VerdictLine, alerts: &[super::AlertLine], profile: &str) -> Analysis {
    let change = |a: &Area| a.change_pct.map(|c| format!(" ({c:+.1}%)")).unwrap_or_default();
    let mut pros = Vec::new();
    let mut cons = Vec::new();
    for a in results {
        match a.reading.as_str() {
            "significant improvement" => pros.push(format!("{} better{}", a.area.to_lowercase(), change(a))),
            "slight regression" => cons.push(format!("slightly worse {}{}", a.area.to_lowercase(), change(a))),
            "significant regression" => cons.push(format!("worse {}{}", a.area.to_lowercase(), change(a))),
            "as expected" => cons.push(format!("{} moved as the change intends{}", a.area.to_lowercase(), change(a))),
            _ => {}
        }
    }
    let hard: Vec<&str> = alerts.iter().filter(|a| a.severity == Severity::Hard).map(|a| a.rule).collect();
    if !hard.is_empty() {
        cons.insert(0, format!("hard alerts: {}", hard.join(", ")));
    }
    if pros.is_empty() {
        pros.push("none measured".into());
    }
    if cons.is_empty() {
        cons.push("none measured".into());
    }
    let first = v.reasons.first().cloned().unwrap_or_default();
    let recommendation = match v.outcome {
        Outcome::Pass if profile == "default" => "roll out to the next stage".to_string(),
        Outcome::Pass => format!("roll out to the next stage; good for {profile}-bound workloads"),
        Outcome::Marginal => "do not roll out yet: re-run longer or under peak load".to_string(),
        Outcome::Fail => format!("do not roll out: {first}"),
        Outcome::Inconclusive => format!("no decision: {first}"),
    };
    Analysis { pros, cons, recommendation }
}

fn next_steps(app: &App, v: &VerdictLine) -> Vec<String> {
    let mut out: Vec<String> = app
        .hints()
        .into_iter()
        .map(|(g, h)| format!("{}: {} (keys: {})", g.as_str(), clean(&h.text), h.keys.join(", ")))
        .collect();
    let view = app.view();
    if let Some(n) = view.verdict.needs {
        out.push(format!("run longer: {} more samples per group (~{:.0} s)", n.samples, n.seconds));
    }
    out.extend(steps_for(v.outcome));
    out
}

pub(crate) fn steps_for(outcome: Outcome) -> Vec<String> {
    match outcome {
        Outcome::Pass => vec![
            "repeat the run (the test plan asks for 3 runs) and pool them: flinkscope report RUN1 RUN2 RUN3".into(),
            "test under peak load before the next rollout stage".into(),
        ],
        Outcome::Marginal => vec!["re-run longer, or under peak load, to separate the change from noise".into()],
        Outcome::Fail => vec!["roll the variant back (R) and check its recovery".into()],
        Outcome::Inconclusive => vec!["run until the judgement decides (the verdict says what it waits for)".into()],
    }
}
