//! The rollback's confirmation dialog and its progress panel.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::Theme;
use super::format;
use crate::app::App;
use crate::app::rollback::{CONFIRM_WORD, RunView};
use crate::model::step::StepState;

/// The modal confirmation: what is wrong, what will be touched, exactly what will run.
pub(crate) fn dialog(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(d) = &app.rollback.dialog else { return };
    let width = area.width.saturating_sub(4).min(110);
    let height = area.height.saturating_sub(2).min(30);
    let [row] = Layout::vertical([Constraint::Length(height)]).flex(Flex::Center).areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width)]).flex(Flex::Center).areas(row);
    frame.render_widget(Clear, popup);
    let bold = |s: String| Span::styled(s, theme.fg(theme.title).add_modifier(Modifier::BOLD));
    let mut lines = Vec::new();
    let v = &app.view().verdict;
    let dry = if app.settings.dry_run { "  (DRY RUN: nothing will be executed)" } else { "" };
    lines.push(Line::from(vec![bold(format!("Roll back the variant?{dry}"))]));
    lines.push(Line::from(format!(
        "verdict {}{}",
        v.outcome.as_str(),
        v.score.map(|s| format!(" (score {s:.0})")).unwrap_or_default()
    )));
    let active: Vec<_> = app.alerts.active.values().collect();
    if active.is_empty() {
        lines.push(Line::from(Span::styled("no active alerts", theme.fg(theme.dim))));
    }
    for a in active {
        let c = if a.severity == crate::analysis::rules::Severity::Hard { theme.bad } else { theme.warn };
        lines.push(Line::from(Span::styled(
            format!("● {} {}: {}", format!("{:?}", a.severity).to_uppercase(), a.rule.as_str(), a.message),
            theme.fg(c),
        )));
    }
    let t = app.targets();
    lines.push(Line::from(format!(
        "targets: variant {} job {} TaskManagers {}",
        t.variant.flink.as_deref().unwrap_or("(no REST URL)"),
        t.variant.job_id.as_deref().unwrap_or("—"),
        if t.variant.taskmanagers.is_empty() { "—".to_string() } else { t.variant.taskmanagers.join(",") }
    )));
    lines.push(Line::default());
    match &d.preview {
        Ok(steps) => {
            for s in steps {
                lines.push(Line::from(vec![
                    bold(format!("{}. {}", s.index + 1, s.name)),
                    Span::styled(format!("  (timeout {})", format::duration(s.timeout)), theme.fg(theme.dim)),
                ]));
                lines.push(Line::from(format!(
                    "   {}",
                    s.argv.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" ")
                )));
            }
        }
        Err(e) => {
            lines.push(Line::from(Span::styled(format!("cannot run now: {e}"), theme.fg(theme.bad))));
        }
    }
    lines.push(Line::default());
    let ok = d.typed == CONFIRM_WORD && d.preview.is_ok();
    lines.push(Line::from(vec![
        Span::raw(format!("Type {CONFIRM_WORD} and press Enter to run, Esc to cancel: ")),
        Span::styled(
            format!("{}▏", d.typed),
            if ok { theme.fg(theme.bad).add_modifier(Modifier::BOLD) } else { theme.fg(theme.focus) },
        ),
    ]));
    let block = Block::default().borders(Borders::ALL).border_style(theme.fg(theme.bad)).title(" ROLLBACK ");
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), popup);
}

/// How an argv element is shown: quoted when a shell would split it (it never sees one).
fn shell_quote(a: &str) -> String {
    if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "._-:/@%+=,~{}".contains(c)) {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}

/// Each step's state, elapsed time and the live tail of its output.
pub(crate) fn panel(frame: &mut Frame, area: Rect, app: &App, run: &RunView, theme: &Theme) {
    let now = app.now();
    let status = match &run.finished {
        None => "running".to_string(),
        Some((true, _)) => "done".into(),
        Some((false, _)) => "FAILED".into(),
    };
    let dry = if run.dry_run { " (dry run)" } else { "" };
    let title = format!(" Rollback{dry} · {} · {status} ", run.trigger.as_str());
    let colour = match &run.finished {
        Some((false, _)) => theme.bad,
        Some((true, _)) => theme.good,
        None => theme.warn,
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.fg(colour))
        .title(Span::styled(title, theme.fg(colour).add_modifier(Modifier::BOLD)));
    let mut lines = Vec::new();
    for s in &run.steps {
        let c = match s.state {
            StepState::Ok => theme.good,
            StepState::Failed | StepState::TimedOut | StepState::Interrupted => theme.bad,
            StepState::Running => theme.warn,
            _ => theme.dim,
        };
        let elapsed = match (s.started, s.ended) {
            (Some(a), Some(b)) => format::duration(b.saturating_duration_since(a)),
            (Some(a), None) => format::duration(now.saturating_duration_since(a)),
            _ => String::new(),
        };
        let exit = s
            .result
            .as_ref()
            .and_then(|r| r.exit_code.map(|c| format!(" exit {c}")).or(r.signal.map(|g| format!(" signal {g}"))))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(format!("{:<9}", s.state.label()), theme.fg(c).add_modifier(Modifier::BOLD)),
            Span::raw(format!(" {}. {} ", s.step.index + 1, s.step.name)),
            Span::styled(format!("{elapsed}{exit}"), theme.fg(theme.dim)),
        ]));
        if let Some(err) = s.result.as_ref().and_then(|r| r.error.clone()) {
            lines.push(Line::from(Span::styled(format!("   {err}"), theme.fg(theme.bad))));
        }
        // The running step shows its live output; finished steps their last lines.
        let tail: Vec<String> = match s.state {
            StepState::Running => s.output.iter().rev().take(6).rev().cloned().collect(),
            _ => s.result.as_ref().map(|r| r.tail.iter().rev().take(3).rev().cloned().collect()).unwrap_or_default(),
        };
        for l in tail {
            lines.push(Line::from(Span::styled(format!("   │ {l}"), theme.fg(theme.dim))));
        }
    }
    if let Some((_, msg)) = &run.finished {
        lines.push(Line::from(Span::raw(msg.clone())));
    }
    // After the rollback: the recovery's verdict, or its checks while it is verified.
    if let Some(rec) = &app.recovery {
        match &rec.result {
            Some(r) => lines.push(Line::from(Span::styled(
                format!("recovery: {}", r.summary),
                theme.fg(if r.recovered { theme.good } else { theme.bad }).add_modifier(Modifier::BOLD),
            ))),
            None => {
                let spent = now.saturating_duration_since(rec.started);
                lines.push(Line::from(Span::styled(
                    format!("recovery: verifying ({} of {})", format::duration(spent), format::duration(rec.deadline)),
                    theme.fg(theme.warn),
                )));
                // What is still missing first: the panel may be only a few lines high.
                let mut checks: Vec<&(String, bool, String)> = rec.checks.iter().collect();
                checks.sort_by_key(|(_, ok, _)| *ok);
                for (what, ok, why) in checks {
                    lines.push(Line::from(Span::styled(
                        format!("{} {what}: {why}", if *ok { "✓" } else { "…" }),
                        theme.fg(if *ok { theme.good } else { theme.warn }),
                    )));
                }
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: true }), area);
}
