//! `flinkscope check`: the headless gate. Watches, ends early on a hard failure, prints the
//! verdict, every alert and a per-metric table (or the snapshot document with a verdict).

use std::fmt::Write;
use std::time::Duration;

use crate::analysis::stage::StageJudgement;
use crate::analysis::verdict::Outcome;
use crate::app::App;
use crate::cli::Format;
use crate::config::Config;
use crate::format;
use crate::snapshot;

/// Runs the check; returns what to print and the exit code.
pub async fn run(config: &Config, duration: Duration, fmt: Format) -> (String, u8) {
    let watched = match crate::headless::watch(config, crate::headless::Until::HardAlert(duration)).await {
        Ok(w) => w,
        Err(e) => return (format!("flinkscope: {e}"), 2),
    };
    watched.say_recording();
    let mut app = watched.app;
    let gaps = source_gaps(&app);
    let v = &mut app.live.verdict;
    if !gaps.is_empty() && v.outcome == Outcome::Pass {
        v.outcome = Outcome::Inconclusive;
    }
    v.reasons.extend(gaps);
    // `--stage`: the stage's go/no-go decides the exit code, the verdict is one of its inputs.
    let wall = std::time::SystemTime::now();
    let stage = app.stage_judgement(wall);
    app.note_stage(wall);
    let code = stage.as_ref().map_or_else(|| exit_code(app.view().verdict.outcome), |s| s.decision.exit_code());
    let out = match fmt {
        Format::Json => {
            let mut doc = snapshot::build(&app, config);
            doc.verdict = Some(app.view().verdict.to_json());
            doc.stage = stage.as_ref().map(|s| stage_json(&app, s));
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        }
        Format::Text => {
            let mut t = String::new();
            if let Some(s) = &stage {
                t.push_str(&stage_text(&app, s));
            }
            t.push_str(&text(&app));
            t
        }
    };
    (out, code)
}

/// A source of either group that was failed or stale at the end, or for more than a tenth
/// of the run: a check that could not see cannot pass (this host's /proc aside, which
/// judges nothing).
pub(crate) fn source_gaps(app: &App) -> Vec<String> {
    let now = app.now();
    let run = app.observed();
    app.health
        .iter()
        .filter(|(id, _)| id.kind != crate::sources::SourceKind::Host)
        .filter_map(|(_, h)| {
            let total = h.bad_total(now);
            if let Some(d) = h.bad_for(now) {
                Some(format!("source {} was failed or stale at the end (for {:.0} s)", h.name, d.as_secs_f64()))
            } else if total.as_secs_f64() > run.as_secs_f64() * 0.1 {
                Some(format!(
                    "source {} was failed or stale for {:.0} s of the {:.0} s run (over 10%)",
                    h.name,
                    total.as_secs_f64(),
                    run.as_secs_f64()
                ))
            } else {
                None
            }
        })
        .collect()
}

fn stage_name(app: &App) -> String {
    app.stage.as_ref().map(|s| s.config.name.clone()).unwrap_or_default()
}

fn stage_json(app: &App, s: &StageJudgement) -> serde_json::Value {
    let mut v = serde_json::to_value(s).unwrap_or_default();
    v["name"] = stage_name(app).into();
    v["decision"] = s.decision.as_str().into();
    v
}

/// The stage first: what a rollout script acts on.
fn stage_text(app: &App, s: &StageJudgement) -> String {
    let mut out = String::new();
    let elapsed = format::age((s.elapsed_s * 1000.0) as u64);
    let min = format::duration(std::time::Duration::from_secs_f64(s.min_duration_s));
    let _ = writeln!(out, "stage {}: {} ({elapsed} of at least {min})", stage_name(app), s.decision.as_str());
    for c in &s.criteria {
        let _ = writeln!(out, "  {} {}: {}", c.mark.symbol(), c.name, c.why);
    }
    for t in &s.triggers {
        let fired = if t.mark == crate::analysis::stage::Mark::Met { "FIRED" } else { "quiet" };
        let _ = writeln!(out, "  rollback if {}: {fired} ({})", t.name, t.why);
    }
    out.push('\n');
    out
}

pub(crate) fn exit_code(o: Outcome) -> u8 {
    match o {
        Outcome::Pass => 0,
        Outcome::Fail => 1,
        Outcome::Inconclusive | Outcome::Marginal => 3,
    }
}

pub(crate) fn text(app: &App) -> String {
    let v = &app.view().verdict;
    let mut out = String::new();
    let score = v.score.map(|s| format!(" (score {s:.0})")).unwrap_or_default();
    let _ = writeln!(out, "verdict: {}{score} after {}", v.outcome.as_str(), format::duration(app.observed()));
    for r in &v.reasons {
        let _ = writeln!(out, "  - {r}");
    }
    for g in crate::model::Group::BOTH {
        let earlier = &app.view().store.group(g).exceptions.earlier;
        if !earlier.is_empty() {
            let names: Vec<&str> = earlier.iter().map(|e| e.name.as_str()).collect();
            let _ = writeln!(
                out,
                "  - {}: {} exception(s) from before the start, history only (not counted): {}",
                g.as_str(),
                earlier.len(),
                names.join(", ")
            );
        }
    }
    let alerts = app.alerts.all();
    let _ = writeln!(out, "\nalerts: {}", if alerts.is_empty() { "none" } else { "" });
    for a in alerts {
        let state = match a.resolved {
            None => "active".to_string(),
            Some(t) => format!("resolved {}", crate::analysis::alerts::rfc3339(t)),
        };
        let _ = writeln!(
            out,
            "  {:<4} {:<21} {} (observed {:.3}, baseline {:.3}, threshold {}) since {} {state}",
            format!("{:?}", a.severity).to_uppercase(),
            a.rule.as_str(),
            a.message,
            a.observed,
            a.baseline,
            a.threshold,
            crate::analysis::alerts::rfc3339(a.since),
        );
    }
    let _ = writeln!(
        out,
        "\n{:<26} {:>9} {:>12} {:>12} {:>8} {:>9} {:>24}  class",
        "metric", "n (b/v)", "baseline", "variant", "change", "p", "shift [95% CI]"
    );
    for (k, j) in &app.view().judgements {
        let unit = k.unit();
        let n = format!("{}/{}", j.baseline.map_or(0, |s| s.n), j.variant.map_or(0, |s| s.n));
        let ci = match j.hodges_lehmann {
            Some(h) => match h.ci {
                Some((lo, hi)) => format!("{} [{}, {}]", short(h.shift), short(lo), short(hi)),
                None => short(h.shift),
            },
            None => format::NO_DATA.into(),
        };
        let _ = writeln!(
            out,
            "{:<26} {:>9} {:>12} {:>12} {:>8} {:>9} {:>24}  {}",
            k.as_str(),
            n,
            format::value(unit, j.baseline.map(|s| s.mean)),
            format::value(unit, j.variant.map(|s| s.mean)),
            format::change(j.change_pct),
            j.p.map_or_else(|| format::NO_DATA.into(), |p| format!("{p:.2e}")),
            ci,
            j.class.label()
        );
    }
    out
}

fn short(x: f64) -> String {
    if x.abs() >= 1000.0 { format!("{x:.0}") } else { format!("{x:.3}") }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::app::demo;
    use crate::model::Group;
    use crate::sources::{SourceError, SourceId, SourceKind};

    #[test]
    fn a_source_failed_at_the_end_or_for_over_a_tenth_of_the_run_is_named() {
        // The variant's last poll failed: named, whatever the verdict.
        let app = demo::app(Instant::now(), 60, true);
        let gaps = source_gaps(&app);
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert!(gaps[0].starts_with("source variant/flink-rest was failed or stale at the end"), "{gaps:?}");

        // Failed for 10 s of a 60 s run, then fine again: over 10%.
        let t0 = Instant::now();
        let mut app = App::new(&demo::config(), t0);
        let id = SourceId { group: Group::Variant, kind: SourceKind::FlinkRest };
        for i in 0..30u64 {
            let at = t0 + Duration::from_secs(2 * i);
            for g in Group::BOTH {
                let sid = SourceId { group: g, kind: SourceKind::FlinkRest };
                if g == Group::Variant && (10..15).contains(&i) {
                    app.on_sample(id, Err(SourceError::Other("connection refused".into())), at);
                } else {
                    app.on_sample(sid, Ok(demo::batch(g, at, 2 * i)), at);
                }
            }
        }
        let gaps = source_gaps(&app);
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert!(gaps[0].contains("over 10%"), "{gaps:?}");

        // Both live throughout: nothing.
        assert!(source_gaps(&demo::app(Instant::now(), 60, false)).is_empty());
    }
}
