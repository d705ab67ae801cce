//! The Job Health screen (`J`): one row per job of either group, the unhealthy first: state,
//! uptime, restarts (and how many in the window), the last checkpoint, the worst vertex's
//! backpressure and records/s. The rows are what the REST source read; nothing is judged here.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Theme;
use crate::app::App;
use crate::format::{self, NO_DATA};
use crate::model::job_health::Recent;
use crate::model::{Group, JobHealth, JobState};

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let rows = app.job_rows();
    let unhealthy = rows.iter().filter(|(_, j, n)| j.trouble(*n) > 0).count();
    let block = Block::default().borders(Borders::ALL).border_style(theme.border(true)).title(Span::styled(
        format!(" Job Health · {} jobs · {unhealthy} unhealthy · J/Esc back ", rows.len()),
        theme.fg(theme.title).add_modifier(Modifier::BOLD),
    ));
    let mut inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some(lines) = stage_lines(app, theme) {
        // The stage first: it is what decides; the jobs below are its evidence.
        let h = (lines.len() as u16).min(inner.height / 2);
        let [top, rest] = ratatui::layout::Layout::vertical([
            ratatui::layout::Constraint::Length(h),
            ratatui::layout::Constraint::Min(1),
        ])
        .areas(inner);
        frame.render_widget(Paragraph::new(lines), top);
        inner = rest;
    }
    let name_w = (inner.width as usize).saturating_sub(FIXED).clamp(8, 48);
    let visible = (inner.height as usize).saturating_sub(1);
    let scroll = app.jobs_scroll.min(rows.len().saturating_sub(visible));
    let header = format!(
        "{:name_w$} {:8} {:11} {:>7} {:>8} {:>22} {:>6} {:>8}",
        if rows.len() > visible {
            format!("job ({}-{} of {}, ↑/↓)", scroll + 1, (scroll + visible).min(rows.len()), rows.len())
        } else {
            "job".into()
        },
        "group",
        "state",
        "uptime",
        "restarts",
        "ckpt age·dur·size",
        "backpr",
        "rec/s",
    );
    let mut lines = vec![Line::from(Span::styled(header, theme.fg(theme.dim).add_modifier(Modifier::BOLD)))];
    if rows.is_empty() {
        lines.push(Line::from(Span::styled(
            "no job seen yet (jobs come from the groups' Flink REST; reporters and Jolokia name none)",
            theme.fg(theme.dim),
        )));
    }
    for (g, j, n) in rows.iter().skip(scroll).take(visible) {
        lines.push(row_line(*g, j, *n, name_w, theme));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The watched stage: its decision, elapsed time, each criterion and trigger with why.
fn stage_lines<'a>(app: &App, theme: &Theme) -> Option<Vec<Line<'a>>> {
    use crate::analysis::stage::{Decision, Mark};
    let s = app.stage.as_ref()?;
    let j = s.last.as_ref()?;
    let colour = match j.decision {
        Decision::Go => theme.good,
        Decision::RollBack => theme.bad,
        Decision::NotYet => theme.warn,
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("Stage {} ", crate::sanitize::clean(&s.config.name)),
            theme.fg(theme.title).add_modifier(Modifier::BOLD),
        ),
        Span::styled(j.decision.as_str(), theme.fg(colour).add_modifier(Modifier::BOLD)),
        Span::styled(
            format!(
                "  {} of at least {}{}",
                format::age((j.elapsed_s * 1000.0) as u64),
                format::duration(std::time::Duration::from_secs_f64(j.min_duration_s)),
                if s.config.description.is_empty() {
                    String::new()
                } else {
                    format!(" · {}", crate::sanitize::clean(&s.config.description))
                }
            ),
            theme.fg(theme.text),
        ),
    ])];
    for c in &j.criteria {
        let colour = match c.mark {
            Mark::Met => theme.good,
            Mark::Unmet => theme.bad,
            Mark::Pending => theme.dim,
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {} {}", c.mark.symbol(), c.name), theme.fg(colour)),
            Span::styled(format!(": {}", c.why), theme.fg(theme.dim)),
        ]));
    }
    for t in &j.triggers {
        let fired = t.mark == Mark::Met;
        lines.push(Line::from(vec![
            Span::styled(
                format!("  rollback if {}: {}", t.name, if fired { "FIRED" } else { "quiet" }),
                if fired { theme.fg(theme.bad).add_modifier(Modifier::BOLD) } else { theme.fg(theme.text) },
            ),
            Span::styled(format!(" ({})", t.why), theme.fg(theme.dim)),
        ]));
    }
    lines.push(Line::raw(""));
    Some(lines)
}

/// Width of every column but the name's, with their separators.
const FIXED: usize = 9 + 12 + 8 + 9 + 23 + 7 + 9;

fn row_line<'a>(g: Group, j: &JobHealth, recent: Recent, name_w: usize, theme: &Theme) -> Line<'a> {
    let state_style = match &j.state {
        JobState::Running => theme.fg(theme.good),
        JobState::Finished => theme.fg(theme.dim),
        s if s.is_terminal() || matches!(s, JobState::Failing | JobState::Restarting | JobState::Cancelling) => {
            theme.fg(theme.bad).add_modifier(Modifier::BOLD)
        }
        _ => theme.fg(theme.warn),
    };
    let restarts = match (j.restarts, recent.restarts) {
        (None, _) => NO_DATA.to_string(),
        (Some(r), 0) => r.to_string(),
        (Some(r), n) => format!("{r} +{n}"),
    };
    let checkpoint = match &j.checkpoints {
        None => NO_DATA.to_string(),
        Some(c) => {
            let last = match (j.checkpoint_age_ms(), c.last_duration_ms, c.last_size_bytes) {
                (Some(age), d, s) => format!(
                    "{}·{}·{}",
                    format::age(age),
                    d.map_or(NO_DATA.to_string(), |d| format::value(crate::model::Unit::Millis, Some(d as f64))),
                    s.map_or(NO_DATA.to_string(), |s| format::bytes(s as f64))
                ),
                _ => "none yet".to_string(),
            };
            // Failed checkpoints within the window (Flink's count is since the job started).
            if recent.failed_checkpoints > 0 { format!("{last} {}✗", recent.failed_checkpoints) } else { last }
        }
    };
    let bp = j.backpressure.map_or(NO_DATA, format::backpressure_level);
    let bp_style = match j.backpressure {
        Some(2) => theme.fg(theme.bad).add_modifier(Modifier::BOLD),
        Some(1) => theme.fg(theme.warn),
        _ => theme.fg(theme.text),
    };
    let restart_style = if recent.restarts > 0 { theme.fg(theme.warn) } else { theme.fg(theme.text) };
    Line::from(vec![
        Span::styled(format!("{:name_w$} ", fit(&j.name, name_w)), theme.fg(theme.text)),
        Span::styled(format!("{:8} ", g.as_str()), theme.group(g == Group::Variant)),
        Span::styled(format!("{:11} ", fit(&j.state.to_string(), 11)), state_style),
        Span::styled(format!("{:>7} ", j.uptime_ms().map_or(NO_DATA.to_string(), format::age)), theme.fg(theme.text)),
        Span::styled(format!("{restarts:>8} "), restart_style),
        Span::styled(format!("{:>22} ", fit(&checkpoint, 22)), theme.fg(theme.text)),
        Span::styled(format!("{bp:>6} "), bp_style),
        Span::styled(
            format!("{:>8}", format::value(crate::model::Unit::PerSecond, j.records_in_per_s)),
            theme.fg(theme.text),
        ),
    ])
}

/// Cut to `w` characters with an ellipsis.
fn fit(s: &str, w: usize) -> String {
    if s.chars().count() <= w { s.to_string() } else { format!("{}…", s.chars().take(w - 1).collect::<String>()) }
}
