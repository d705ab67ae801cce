//! The test-result report the test plan ends each test with: one Markdown page (and the same
//! numbers as JSON) from a run's final judgement, and the decision matrix over several
//! configurations. A recording is replayed through the same app that judged it live
//! (`replay::player`), so a report says what the live judgement said at that moment.

pub(crate) mod build;
pub(crate) mod markdown;
pub(crate) mod matrix;
pub(crate) mod pool;
pub(crate) mod sparkline;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::analysis::rules::Severity;
use crate::analysis::verdict::Outcome;
use crate::config::Settings;

/// Worse outcomes rank higher: a pool of runs is as bad as its worst, the matrix lists
/// the best first.
pub(crate) fn worst_first(o: Outcome) -> u8 {
    match o {
        Outcome::Pass => 0,
        Outcome::Marginal => 1,
        Outcome::Inconclusive => 2,
        Outcome::Fail => 3,
    }
}

/// One result page: one configuration, one or more runs.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Report {
    /// "Test Result: <name>": the recording's `--name`, else "variant vs baseline".
    pub(crate) title: String,
    pub(crate) name: String,
    /// Each key the groups run differently: the variant's value and the baseline's.
    pub(crate) configuration: Vec<Change>,
    /// Settings problems the review found (an intended change not in effect, ...).
    pub(crate) settings_warnings: Vec<String>,
    pub(crate) details: Details,
    pub(crate) results: Vec<Area>,
    pub(crate) verdict: VerdictLine,
    pub(crate) alerts: Vec<AlertLine>,
    /// Derived by flinkscope from the results and the profile (the page says so).
    pub(crate) analysis: Analysis,
    pub(crate) next_steps: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Change {
    pub(crate) key: String,
    pub(crate) variant: String,
    pub(crate) baseline: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Details {
    /// Observed time, summed over the runs.
    pub(crate) duration_s: f64,
    /// When each run started (RFC 3339, UTC).
    pub(crate) started: Vec<String>,
    /// The groups: where they run, how many TaskManagers, which Flink.
    pub(crate) environment: Vec<String>,
    /// The jobs the groups ran.
    pub(crate) workload: Vec<String>,
    pub(crate) runs: usize,
    /// The recordings the runs come from (empty for a report written from the dashboard).
    pub(crate) files: Vec<String>,
    /// Each source and how it fared (failed or stale spells named).
    pub(crate) sources: Vec<String>,
    /// Times the rules and the verdict were evaluated.
    pub(crate) evaluations: u64,
    pub(crate) profile: String,
    /// Which test gave the p-values, and at which alpha they are significant.
    pub(crate) test: String,
    pub(crate) alpha: f64,
}

/// One of the plan's result areas.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Area {
    /// "Throughput", "Latency (p99)", ...
    pub(crate) area: &'static str,
    /// The metric judged (`MetricKey::as_str`).
    pub(crate) metric: &'static str,
    /// The unit the figures are in ("records/s", "ms", "% of a core", ...).
    pub(crate) unit: &'static str,
    pub(crate) baseline: Option<Stat>,
    pub(crate) variant: Option<Stat>,
    pub(crate) change_pct: Option<f64>,
    pub(crate) p: Option<f64>,
    pub(crate) significant: bool,
    /// The area's soft rule threshold (%): a regression below it is "slight".
    pub(crate) threshold_pct: Option<f64>,
    /// The plan's one-word reading: "significant improvement", "slight regression", ...
    pub(crate) reading: String,
    /// Both groups over the run, on one scale (empty when nothing was held).
    pub(crate) sparkline: [String; 2],
}

/// Mean and σ of a group's block samples, in the area's unit.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub(crate) struct Stat {
    pub(crate) n: usize,
    pub(crate) mean: f64,
    pub(crate) sd: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct VerdictLine {
    pub(crate) outcome: Outcome,
    /// Written to a tenth, as `check` writes it (the ranking uses the full figure).
    #[serde(serialize_with = "score_to_a_tenth")]
    pub(crate) score: Option<f64>,
    pub(crate) reasons: Vec<String>,
    /// Out of 5: 5, less 2 per hard alert and 1 per soft alert raised, and 1 when the
    /// variant failed more often than the baseline.
    pub(crate) stability: u8,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct AlertLine {
    pub(crate) severity: Severity,
    pub(crate) rule: &'static str,
    pub(crate) message: String,
    pub(crate) observed: Option<f64>,
    pub(crate) baseline: Option<f64>,
    pub(crate) threshold: Option<f64>,
    pub(crate) since: String,
    /// `None` while active at the end.
    pub(crate) resolved: Option<String>,
    /// The run it comes from (1-based), when there are several.
    pub(crate) run: Option<usize>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Analysis {
    pub(crate) pros: Vec<String>,
    pub(crate) cons: Vec<String>,
    pub(crate) recommendation: String,
}

/// `flinkscope report`: what to write and where.
#[derive(Debug, Clone)]
pub struct Request {
    pub files: Vec<PathBuf>,
    pub output: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub matrix: bool,
}

/// Replays each recording to its end and writes the page (or the matrix). Exit code: 0, 2
/// when a recording cannot be read or an output cannot be written.
pub fn run(req: &Request, display: &Settings) -> u8 {
    match write(req, display) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("flinkscope: {e}");
            2
        }
    }
}

fn write(req: &Request, display: &Settings) -> Result<(), String> {
    if req.files.is_empty() {
        return Err("report needs at least one recording".into());
    }
    let mut runs = Vec::new();
    for f in &req.files {
        let player =
            crate::replay::player::judge_file(f, display, None).map_err(|e| format!("{}: {e}", f.display()))?;
        for n in player.notes() {
            eprintln!("flinkscope: {}: {n}", f.display());
        }
        let mut r = build::from_app(&player.app);
        r.details.files = vec![crate::sanitize::clean(&f.display().to_string())];
        runs.push(r);
    }
    let (md, json) = if req.matrix {
        let m = matrix::matrix(&runs);
        (matrix::markdown(&m), serde_json::to_string_pretty(&m).map_err(|e| e.to_string())?)
    } else {
        let names: std::collections::BTreeSet<&str> = runs.iter().map(|r| r.name.as_str()).collect();
        if names.len() > 1 {
            return Err(format!(
                "these recordings are of {} configurations ({}): pool runs of one configuration, or use --matrix",
                names.len(),
                names.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        let r = pool::pool(runs);
        (markdown::page(&r), serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?)
    };
    put(req.output.as_deref(), &md)?;
    if let Some(j) = &req.json {
        put(Some(j), &json)?;
    }
    Ok(())
}

fn put(path: Option<&Path>, text: &str) -> Result<(), String> {
    match path {
        Some(p) => std::fs::write(p, text).map_err(|e| format!("cannot write {}: {e}", p.display())),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// The `w` key in this directory.
pub fn write_here(app: &crate::app::App) -> Result<String, String> {
    write_now(app, Path::new("."))
}

/// The `w` key: the page of the run as it stands, in a new file in `dir` named by the
/// app's clock. The file's name, or why it could not be written.
pub(crate) fn write_now(app: &crate::app::App, dir: &Path) -> Result<String, String> {
    let t = time::OffsetDateTime::from(app.wall_clock());
    let f = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    let name = format!("flinkscope-report-{}.md", t.format(&f).unwrap_or_default());
    let page = markdown::page(&build::from_app(app));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dir.join(&name))
        .and_then(|mut file| std::io::Write::write_all(&mut file, page.as_bytes()));
    match written {
        Ok(()) => {
            tracing::info!(file = %name, "report written");
            Ok(name)
        }
        Err(e) => {
            tracing::warn!(file = %name, error = %e, "report not written");
            Err(format!("{name}: {e}"))
        }
    }
}

pub(crate) fn score_to_a_tenth<S: serde::Serializer>(score: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    score.map(crate::analysis::verdict::score_shown).serialize(s)
}

#[cfg(test)]
mod tests;
