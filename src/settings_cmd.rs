//! `flinkscope settings`: both groups' settings side by side, headless, for a rollout script
//! to run before the canary starts. Exit 0 when every intended change is in effect, 1 when
//! one is not, 3 when a group's settings could not be read.

use std::fmt::Write;
use std::time::Duration;

use crate::analysis::settings::{State, WarningKind, doc};
use crate::cli::Format;
use crate::config::{Config, GroupConfig};
use crate::model::Group;
use crate::model::settings::GroupSettings;
use crate::sources::flink_rest::settings::SettingsReader;
use crate::sources::http::Endpoint;

/// A read of many TaskManagers' logs may take a while; a dead JobManager must not hang it.
const READ_LIMIT: Duration = Duration::from_secs(60);

/// Reads both groups once; returns what to print and the exit code.
pub async fn run(config: &Config, fmt: Format) -> (String, u8) {
    let (b, v) = tokio::join!(read(&config.baseline, config), read(&config.variant, config));
    let mut state = State::new(
        [config.baseline.intended.clone(), config.variant.intended.clone()],
        config.baseline.flink.is_some() && config.baseline.flink == config.variant.flink,
    );
    state.on_read(Group::Baseline, b);
    state.on_read(Group::Variant, v);
    let code = exit_code(&state);
    let out = match fmt {
        Format::Json => serde_json::to_string_pretty(&doc::document(&state)).unwrap_or_default(),
        Format::Text => text(&state),
    };
    (out, code)
}

async fn read(g: &GroupConfig, config: &Config) -> Result<GroupSettings, String> {
    let Some(flink) = &g.flink else {
        return Err("the group has no Flink REST URL: its settings cannot be read".into());
    };
    let endpoint = Endpoint::new(&flink.0, &g.auth, &g.tls, &config.settings.http).map_err(|e| e.to_string())?;
    let mut reader = SettingsReader::new(endpoint, g.taskmanagers.clone());
    match tokio::time::timeout(READ_LIMIT, reader.read()).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {READ_LIMIT:?}")),
    }
}

pub(crate) fn exit_code(state: &State) -> u8 {
    if !state.review.blocking().is_empty() {
        1
    } else if state.read.iter().any(Option::is_none) {
        3
    } else {
        0
    }
}

/// The rows as a table (differing rows marked `*`), then the warnings.
pub(crate) fn text(state: &State) -> String {
    let r = &state.review;
    let mut out = String::new();
    for g in Group::BOTH {
        let i = g.index();
        match (&state.read[i], &state.error[i]) {
            (Some(s), _) => {
                let _ = writeln!(
                    out,
                    "{}: Flink {} at {}, {} TaskManagers{}{}",
                    g.as_str(),
                    s.version(),
                    s.url,
                    s.taskmanagers.len(),
                    r.network_memory[i]
                        .map(|(lo, hi)| format!(", network memory {}", memory_range(lo, hi)))
                        .unwrap_or_default(),
                    r.budget[i].map(|b| format!(", the job {}", b.describe())).unwrap_or_default()
                );
            }
            (None, e) => {
                let _ = writeln!(out, "{}: not read: {}", g.as_str(), e.as_deref().unwrap_or("no answer"));
            }
        }
    }
    let width = r.rows.iter().map(|row| row.opt.key.len()).max().unwrap_or(10);
    let col = |row: &crate::analysis::settings::Row, i: usize| row.cells[i].text.clone();
    let _ = writeln!(out, "\n  {:width$}  {:>18}  {:>18}  {:>12}", "key", "baseline", "variant", "default");
    for row in &r.rows {
        let mark = if row.differs { "*" } else { " " };
        let _ = writeln!(
            out,
            "{mark} {:width$}  {:>18}  {:>18}  {:>12}",
            row.opt.key,
            col(row, 0),
            col(row, 1),
            row.default
        );
    }
    let _ = writeln!(out, "\n(* the groups differ)");
    if r.warnings.is_empty() {
        let _ = writeln!(out, "no settings warnings");
    } else {
        let _ = writeln!(out, "\nwarnings:");
        for w in &r.warnings {
            let _ = writeln!(out, "  {:13} {}", w.kind.label(), w.message);
        }
    }
    let blocking = r.warnings.iter().filter(|w| w.kind == WarningKind::NotInEffect).count();
    if blocking > 0 {
        let _ =
            writeln!(out, "\n{blocking} intended change(s) not in effect: the canary would not compare what was meant");
    }
    out
}

fn memory_range(lo: u64, hi: u64) -> String {
    let show = |b: u64| crate::analysis::settings::values::show_bytes(b);
    if lo == hi { show(lo) } else { format!("{} to {}", show(lo), show(hi)) }
}
