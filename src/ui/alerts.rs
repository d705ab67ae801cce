//! The alerts panel: active alerts first (severity colour, rule, observed against the
//! threshold, how long), then the history with timestamps.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Theme;
use super::format;
use crate::analysis::alerts::Alert;
use crate::analysis::rules::Severity;
use crate::app::App;

/// Rows the alerts strip under the grid takes: one when there is nothing to say, else
/// its lines and borders, up to a third of the body (a rollback's progress: two fifths).
pub(crate) fn height(app: &App, body: Rect, theme: &Theme) -> u16 {
    if app.rollback.run.is_some() {
        return (body.height * 2 / 5).max(8).min(body.height.saturating_sub(3));
    }
    let lines = lines(app, false, theme);
    if lines.is_empty() {
        return 1;
    }
    // Long lines wrap: count the rows each takes at the strip's inner width.
    let inner = usize::from(body.width.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let cap = (body.height / 3).max(3);
    u16::try_from(rows + 2).unwrap_or(u16::MAX).clamp(3, cap)
}

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App, focused: bool, full: bool, theme: &Theme) {
    let active = app.alerts.active.len();
    let lines = lines(app, full, theme);
    if area.height == 1 {
        // Nothing to say: one line, a title on a rule, still focusable and openable.
        let title =
            format!(" Alerts · none · {} resolved · {} evaluations ", app.alerts.history.len(), app.evaluations);
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(theme.border(focused))
            .title(Span::styled(title, theme.fg(theme.dim)));
        frame.render_widget(block, area);
        return;
    }
    let title = format!(" Alerts · {active} active · {} resolved ", app.alerts.history.len());
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(Span::styled(title, theme.fg(theme.title).add_modifier(Modifier::BOLD)));
    let mut lines = lines;
    if lines.is_empty() {
        let evals = app.evaluations;
        lines.push(Line::from(Span::styled(
            format!("no alerts ({evals} evaluations; rules run on each refresh, every tick once data is overdue)"),
            theme.fg(theme.dim),
        )));
    }
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: true }), area);
}

/// What the panel says: the alerts (active first), the hints beside them, failures from
/// before the start. Empty when there is nothing.
fn lines<'a>(app: &App, full: bool, theme: &Theme) -> Vec<Line<'a>> {
    // The app's clock, not the process's: a replay shows "ago" as of its own time.
    let now = app.wall_clock();
    let mut lines: Vec<Line> = Vec::new();
    for a in app.alerts.all() {
        lines.push(line(a, now, full, theme));
        // Beside an active alert: what the troubleshooting guide says to look at.
        if a.resolved.is_none()
            && let Some(symptom) = crate::analysis::settings::hints::Symptom::of_rule(a.rule)
        {
            let h = app.flink_settings.hint(crate::model::Group::Variant, symptom);
            lines.push(hint_line(&h, theme));
        }
    }
    for (g, h) in
        app.hints().iter().filter(|(_, h)| h.symptom == crate::analysis::settings::hints::Symptom::BufferShortage)
    {
        let mut l = hint_line(h, theme);
        l.spans.insert(0, Span::styled(format!("{}: ", g.as_str()), theme.fg(theme.warn)));
        lines.push(l);
    }
    // Failures Flink recorded before this run: shown as history, never counted.
    for g in crate::model::Group::BOTH {
        let earlier = &app.view().store.group(g).exceptions.earlier;
        if let Some(last) = earlier.back() {
            lines.push(Line::from(Span::styled(
                format!(
                    "history: {} exception(s) in the {}'s job from before the start (latest {}), not counted",
                    earlier.len(),
                    g.as_str(),
                    last.name
                ),
                theme.fg(theme.dim),
            )));
        }
    }
    lines
}

fn hint_line<'a>(h: &crate::analysis::settings::hints::Hint, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled("  hint: ", theme.fg(theme.focus)),
        Span::styled(format!("{}; look at {}", h.text, h.keys.join(", ")), theme.fg(theme.dim)),
    ])
}

fn line<'a>(a: &Alert, now: SystemTime, full: bool, theme: &Theme) -> Line<'a> {
    let colour = match a.severity {
        Severity::Hard => theme.bad,
        Severity::Soft => theme.warn,
    };
    let sev = match a.severity {
        Severity::Hard => "HARD",
        Severity::Soft => "soft",
    };
    let mut spans = Vec::new();
    match a.resolved {
        None => {
            let age = now.duration_since(a.since).unwrap_or_default();
            spans.push(Span::styled(format!("● {sev} "), theme.fg(colour).add_modifier(Modifier::BOLD)));
            spans.push(Span::styled(format!("{} ", a.rule.as_str()), theme.fg(colour)));
            spans.push(Span::raw(a.message.clone()));
            spans.push(Span::styled(format!(" · {}", format::duration(age)), theme.fg(theme.dim)));
        }
        Some(r) => {
            spans.push(Span::styled(format!("✓ {sev} {} ", a.rule.as_str()), theme.fg(theme.dim)));
            spans.push(Span::styled(format!("{} → {} ", clock(a.since), clock(r)), theme.fg(theme.dim)));
            spans.push(Span::styled(a.message.clone(), theme.fg(theme.dim)));
        }
    }
    if full {
        spans.push(Span::styled(
            format!("  (observed {:.3}, baseline {:.3}, threshold {})", a.observed, a.baseline, a.threshold),
            theme.fg(theme.dim),
        ));
    }
    Line::from(spans)
}

/// HH:MM:SS UTC of a wall-clock time.
fn clock(t: SystemTime) -> String {
    let dt = time::OffsetDateTime::from(t);
    format!("{:02}:{:02}:{:02}", dt.hour(), dt.minute(), dt.second())
}
