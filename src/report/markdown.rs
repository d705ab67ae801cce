//! The page in the test plan's layout: title, Configuration, Test Details, Results (one
//! subsection per area, then the verdict and the alerts), Analysis, Next Steps.

use std::fmt::Write;

use super::{Area, Report, Stat};

pub(crate) fn page(r: &Report) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n", r.title);
    configuration(&mut md, r);
    details(&mut md, r);
    let _ = writeln!(md, "## Results\n");
    for a in &r.results {
        area(&mut md, a);
    }
    verdict(&mut md, r);
    alerts(&mut md, r);
    let a = &r.analysis;
    let _ = writeln!(md, "## Analysis\n");
    let _ = writeln!(
        md,
        "_Derived by flinkscope from the results and the profile ({}); review before filing._\n",
        r.details.profile
    );
    let _ = writeln!(md, "- **Pros**: {}", a.pros.join("; "));
    let _ = writeln!(md, "- **Cons**: {}", a.cons.join("; "));
    let _ = writeln!(md, "- **Recommendation**: {}\n", a.recommendation);
    let _ = writeln!(md, "## Next Steps\n");
    for s in &r.next_steps {
        let _ = writeln!(md, "- {s}");
    }
    md
}

fn configuration(md: &mut String, r: &Report) {
    let _ = writeln!(md, "## Configuration\n");
    if r.configuration.is_empty() {
        let _ = writeln!(md, "- no key set differently in the two groups (as flinkscope read their settings)");
    }
    for c in &r.configuration {
        let _ = writeln!(md, "- {}: {} (baseline: {})", c.key, c.variant, c.baseline);
    }
    for w in &r.settings_warnings {
        let _ = writeln!(md, "- ⚠️ {w}");
    }
    md.push('\n');
}

fn details(md: &mut String, r: &Report) {
    let d = &r.details;
    let _ = writeln!(md, "## Test Details\n");
    let _ = writeln!(md, "- Duration: {}", minutes(d.duration_s));
    let _ = writeln!(md, "- Environment: {}", or_none(&d.environment));
    let _ = writeln!(md, "- Workload: {}", or_none(&d.workload));
    let _ = writeln!(md, "- Test runs: {}", d.runs);
    let _ = writeln!(md, "- Started: {}", d.started.join(", "));
    if !d.files.is_empty() {
        let _ = writeln!(md, "- Recordings: {}", d.files.join(", "));
    }
    let _ = writeln!(md, "- Sources: {}", or_none(&d.sources));
    let _ = writeln!(md, "- Judged by: {}; profile {}; {} evaluations\n", d.test, d.profile, d.evaluations);
}

fn or_none(xs: &[String]) -> String {
    if xs.is_empty() { "not known".into() } else { xs.join("; ") }
}

fn minutes(s: f64) -> String {
    if s >= 120.0 { format!("{:.0} minutes ({s:.0} s)", s / 60.0) } else { format!("{s:.0} s") }
}

fn area(md: &mut String, a: &Area) {
    let _ = writeln!(md, "### {}\n", a.area);
    let line = |s: Option<Stat>| match s {
        Some(s) => format!("{} {} (σ = {}, n = {})", number(s.mean), a.unit, number(s.sd), s.n),
        None => "no data".into(),
    };
    let _ = writeln!(md, "- Baseline: {}", line(a.baseline));
    let _ = writeln!(md, "- Test: {}", line(a.variant));
    let change = a.change_pct.map_or_else(|| "—".to_string(), |c| format!("{c:+.1}%"));
    let p =
        a.p.map(|p| if p < 0.001 { " (p < 0.001)".to_string() } else { format!(" (p = {p:.3})") }).unwrap_or_default();
    let mark = match a.reading.as_str() {
        "significant improvement" => "✓ ",
        "slight regression" | "significant regression" => "⚠️ ",
        _ => "",
    };
    let _ = writeln!(md, "- Change: {change}{p} {mark}**{}**", capitalised(&a.reading));
    if !a.sparkline[0].is_empty() || !a.sparkline[1].is_empty() {
        let _ = writeln!(md, "- Over the run: baseline `{}` variant `{}`", a.sparkline[0], a.sparkline[1]);
    }
    md.push('\n');
}

fn verdict(md: &mut String, r: &Report) {
    let v = &r.verdict;
    let _ = writeln!(md, "### Score and verdict\n");
    let score = v.score.map_or_else(|| "no score".to_string(), |s| format!("score {s:.0} of 100"));
    let _ = writeln!(md, "- Verdict: **{}**, {score}; stability {}/5", v.outcome.as_str(), v.stability);
    for x in &v.reasons {
        let _ = writeln!(md, "- {x}");
    }
    md.push('\n');
}

fn alerts(md: &mut String, r: &Report) {
    let _ = writeln!(md, "### Alerts\n");
    if r.alerts.is_empty() {
        let _ = writeln!(md, "None raised.\n");
        return;
    }
    let runs = r.details.runs > 1;
    let _ = writeln!(md, "| {}severity | rule | since | resolved | message |", if runs { "run | " } else { "" });
    let _ = writeln!(md, "| {}--- | --- | --- | --- | --- |", if runs { "--- | " } else { "" });
    for a in &r.alerts {
        let run = a.run.filter(|_| runs).map(|n| format!("{n} | ")).unwrap_or_default();
        let _ = writeln!(
            md,
            "| {run}{} | {} | {} | {} | {} |",
            a.severity.as_str(),
            a.rule,
            a.since,
            a.resolved.as_deref().unwrap_or("active at the end"),
            a.message.replace('|', "\\|")
        );
    }
    md.push('\n');
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// 125,000 / 2,800 / 245 / 0.82: thousands grouped, three significant figures below 100.
pub(crate) fn number(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    if x.abs() >= 100.0 {
        let n = x.round() as i64;
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(ch);
        }
        if n < 0 { format!("-{out}") } else { out }
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}
