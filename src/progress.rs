//! Progress of a long headless run (`check`, `record`) on stderr, when stderr is a
//! terminal and `--quiet` is not given: elapsed and remaining time, the live verdict, the
//! alerts so far and what was recorded. Nothing when stderr is a pipe or a file, so a
//! script reads only the result. Drawn by indicatif (cleared when the run ends).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::analysis::rules::Severity;
use crate::app::App;

/// Redraws at most this often (the loop steps several times a second).
const EVERY: Duration = Duration::from_millis(500);

pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    last: Option<Instant>,
}

impl Progress {
    /// A bar for `what` over `duration`; hidden unless stderr is a terminal and not `quiet`.
    pub(crate) fn new(what: &str, duration: Duration, quiet: bool) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress { bar: None, last: None };
        }
        let bar = ProgressBar::with_draw_target(Some(duration.as_secs().max(1)), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{prefix} {elapsed_precise} [{bar:24}] {eta} left · {msg}")
            .map_or_else(|_| ProgressStyle::default_bar(), |s| s.progress_chars("=> "));
        bar.set_style(style);
        bar.set_prefix(what.to_string());
        Progress { bar: Some(bar), last: None }
    }

    /// Shows where the run is: `app`'s verdict and alerts, and the records written.
    pub(crate) fn update(&mut self, app: &App, records: Option<u64>) {
        let Some(bar) = &self.bar else { return };
        let now = Instant::now();
        if self.last.is_some_and(|t| now.duration_since(t) < EVERY) {
            return;
        }
        self.last = Some(now);
        bar.set_position(app.observed().as_secs());
        bar.set_message(line(app, records));
    }

    /// Takes the bar away: what follows on stdout or stderr is the result alone.
    pub(crate) fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// "INCONCLUSIVE needs 12 more samples · 1 HARD, 2 soft · 1234 records".
fn line(app: &App, records: Option<u64>) -> String {
    let v = &app.view().verdict;
    let mut out = v.outcome.as_str().to_string();
    if let Some(s) = v.score {
        out.push_str(&format!(" {s:.0}"));
    }
    if let Some(n) = v.needs {
        out.push_str(&format!(" (needs {} more samples)", n.samples));
    }
    let all = app.alerts.all();
    let hard = all.iter().filter(|a| a.severity == Severity::Hard).count();
    let soft = all.len() - hard;
    out.push_str(&match (hard, soft) {
        (0, 0) => " · no alerts".to_string(),
        (h, s) => format!(" · alerts: {h} hard, {s} soft"),
    });
    if let Some(n) = records {
        out.push_str(&format!(" · {n} records"));
    }
    out
}
