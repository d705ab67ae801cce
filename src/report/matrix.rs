//! The test plan's decision matrix: one row per tested configuration (recordings with the
//! same name are runs of one configuration and are pooled), ranked by verdict then score,
//! the best passing one marked RECOMMENDED.

use std::fmt::Write;

use serde::Serialize;

use super::{Report, worst_first};
use crate::analysis::verdict::Outcome;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Matrix {
    pub(crate) rows: Vec<Row>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Row {
    pub(crate) configuration: String,
    pub(crate) runs: usize,
    /// Change of the variant against its baseline, in percent, per area.
    pub(crate) throughput_pct: Option<f64>,
    pub(crate) latency_pct: Option<f64>,
    pub(crate) memory_pct: Option<f64>,
    pub(crate) cpu_pct: Option<f64>,
    pub(crate) stability: u8,
    pub(crate) outcome: Outcome,
    #[serde(serialize_with = "super::score_to_a_tenth")]
    pub(crate) score: Option<f64>,
    pub(crate) recommendation: String,
    pub(crate) recommended: bool,
}

pub(crate) fn matrix(runs: &[Report]) -> Matrix {
    let mut names: Vec<&str> = Vec::new();
    for r in runs {
        if !names.contains(&r.name.as_str()) {
            names.push(&r.name);
        }
    }
    let mut rows: Vec<Row> = names
        .into_iter()
        .map(|n| row(&super::pool::pool(runs.iter().filter(|r| r.name == n).cloned().collect())))
        .collect();
    rows.sort_by(|a, b| {
        worst_first(a.outcome)
            .cmp(&worst_first(b.outcome))
            .then(b.score.unwrap_or(-1.0).total_cmp(&a.score.unwrap_or(-1.0)))
            .then(a.configuration.cmp(&b.configuration))
    });
    if let Some(best) = rows.first_mut().filter(|r| r.outcome == Outcome::Pass) {
        best.recommended = true;
    }
    Matrix { rows }
}

fn row(r: &Report) -> Row {
    let change = |metric: &str| r.results.iter().find(|a| a.metric == metric).and_then(|a| a.change_pct);
    let recommendation = match r.verdict.outcome {
        Outcome::Pass if r.details.profile == "default" => "candidate".to_string(),
        Outcome::Pass => format!("{} workloads", r.details.profile),
        Outcome::Marginal => "re-run longer".to_string(),
        Outcome::Fail => format!("rejected: {}", r.verdict.reasons.first().map_or("", String::as_str)),
        Outcome::Inconclusive => "undecided".to_string(),
    };
    Row {
        configuration: r.name.clone(),
        runs: r.details.runs,
        throughput_pct: change("records_in_per_s"),
        latency_pct: change("latency_p99_ms"),
        memory_pct: change("netty_used_segments"),
        cpu_pct: change("cpu_cores"),
        stability: r.verdict.stability,
        outcome: r.verdict.outcome,
        score: r.verdict.score,
        recommendation,
        recommended: false,
    }
}

pub(crate) fn markdown(m: &Matrix) -> String {
    let pct = |x: Option<f64>| x.map_or_else(|| "—".to_string(), |c| format!("{c:+.0}%"));
    let mut md = String::from("# Decision Matrix\n\n");
    md.push_str("| Configuration | Runs | Throughput | Latency | Memory | CPU | Stability | Verdict | Score | Recommendation |\n");
    md.push_str("|---|---|---|---|---|---|---|---|---|---|\n");
    md.push_str("| Baseline | — | 0% | 0% | 0% | 0% | — | — | — | Reference |\n");
    for r in &m.rows {
        let rec =
            if r.recommended { format!("**RECOMMENDED** ({})", r.recommendation) } else { r.recommendation.clone() };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {}/5 | {} | {} | {} |",
            r.configuration.replace('|', "\\|"),
            r.runs,
            pct(r.throughput_pct),
            pct(r.latency_pct),
            pct(r.memory_pct),
            pct(r.cpu_pct),
            r.stability,
            r.outcome.as_str(),
            r.score.map_or_else(|| "—".to_string(), |s| format!("{s:.0}")),
            rec.replace('|', "\\|")
        );
    }
    md.push_str(
        "\nChanges are the variant's against the baseline it ran beside (throughput: records in/s; latency: p99; \
         memory: network buffers in use; CPU: cores per TaskManager). Score 0-100 from flinkscope's judgement; \
         stability out of 5 (5, less 2 per hard alert and 1 per soft alert, less 1 when the variant failed more often).\n",
    );
    md
}
