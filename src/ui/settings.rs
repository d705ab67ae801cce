//! The Settings screen (`e`): the warnings first (what is not in effect, what Flink
//! ignores), then one row per network option: baseline | variant | default, the rows that
//! differ marked and bold, values Flink ignores in the warning colour.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Theme;
use crate::analysis::settings::{Cell, Row, values};
use crate::app::App;
use crate::model::Group;

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let state = &app.flink_settings;
    let r = &state.review;
    let block = Block::default().borders(Borders::ALL).border_style(theme.border(true)).title(Span::styled(
        format!(
            " Settings · {} differ · {} warnings · e/Esc back ",
            r.rows.iter().filter(|x| x.differs).count(),
            r.warnings.len()
        ),
        theme.fg(theme.title).add_modifier(Modifier::BOLD),
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut head: Vec<Line> = Group::BOTH.iter().map(|g| group_line(app, *g, theme)).collect();
    for w in &r.warnings {
        let colour = if w.kind.is_error() { theme.bad } else { theme.warn };
        head.push(Line::from(vec![
            Span::styled(format!("{:13} ", w.kind.label()), theme.fg(colour).add_modifier(Modifier::BOLD)),
            Span::styled(w.message.clone(), theme.fg(theme.text)),
        ]));
    }
    for (g, h) in app.hints() {
        head.push(Line::from(vec![
            Span::styled(format!("{:13} ", "HINT"), theme.fg(theme.focus).add_modifier(Modifier::BOLD)),
            Span::styled(format!("{}: {}; look at {}", g.as_str(), h.text, h.keys.join(", ")), theme.fg(theme.text)),
        ]));
    }
    if r.warnings.is_empty() && state.read.iter().all(Option::is_some) {
        head.push(Line::from(Span::styled("no settings warnings", theme.fg(theme.good))));
    }
    // Warnings wrap; they take at most half the screen, the table the rest.
    let wanted = head.iter().map(|l| l.width().div_ceil(inner.width.max(1) as usize).max(1)).sum::<usize>() as u16;
    let [top, table] =
        Layout::vertical([Constraint::Length(wanted.min(inner.height / 2)), Constraint::Min(1)]).areas(inner);
    frame.render_widget(Paragraph::new(head).wrap(Wrap { trim: false }), top);
    render_table(frame, table, app, theme);
}

fn group_line<'a>(app: &App, g: Group, theme: &Theme) -> Line<'a> {
    let state = &app.flink_settings;
    let i = g.index();
    let text = match (&state.read[i], &state.error[i]) {
        (Some(s), err) => format!(
            "Flink {} · {} TaskManagers{}{}{}",
            s.version(),
            s.taskmanagers.len(),
            state.review.network_memory[i]
                .map(|(lo, hi)| {
                    let show = values::show_bytes;
                    if lo == hi {
                        format!(" · network memory {}", show(lo))
                    } else {
                        format!(" · network memory {}–{}", show(lo), show(hi))
                    }
                })
                .unwrap_or_default(),
            state.review.budget[i].map(|b| format!(" · job {}", b.describe())).unwrap_or_default(),
            err.as_ref().map(|e| format!(" · last read failed: {e}")).unwrap_or_default()
        ),
        (None, Some(e)) => format!("not read: {e}"),
        (None, None) => "reading…".into(),
    };
    Line::from(vec![Span::styled(format!("{:9}", g.as_str()), theme.group(g == Group::Variant)), Span::raw(text)])
}

fn render_table(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let rows = &app.flink_settings.review.rows;
    let value_w: usize = 16;
    let key_w = (area.width as usize).saturating_sub(2 + 3 * (value_w + 1)).max(12);
    let visible = (area.height as usize).saturating_sub(1);
    let scroll = app.settings_scroll.min(rows.len().saturating_sub(visible));
    let mut head = vec![Span::styled(
        format!("  {:key_w$} {:>value_w$} {:>value_w$} {:>value_w$}", "key", "baseline", "variant", "default"),
        theme.fg(theme.dim).add_modifier(Modifier::BOLD),
    )];
    if rows.len() > visible {
        // Said where the key column starts, so it is never cut off at the right edge.
        head[0] = Span::styled(
            format!(
                "  {:key_w$} {:>value_w$} {:>value_w$} {:>value_w$}",
                format!("key (rows {}-{} of {}, ↑/↓)", scroll + 1, (scroll + visible).min(rows.len()), rows.len()),
                "baseline",
                "variant",
                "default"
            ),
            theme.fg(theme.dim).add_modifier(Modifier::BOLD),
        );
    }
    let mut lines = vec![Line::from(head)];
    for row in rows.iter().skip(scroll).take(visible) {
        lines.push(row_line(row, key_w, value_w, theme));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn row_line<'a>(row: &Row, key_w: usize, value_w: usize, theme: &Theme) -> Line<'a> {
    let base = if row.differs { theme.fg(theme.text).add_modifier(Modifier::BOLD) } else { theme.fg(theme.text) };
    let cell = |c: &Cell, variant: bool| {
        let style = if c.ignored || c.mixed {
            theme.fg(theme.warn)
        } else if row.differs {
            theme.group(variant).add_modifier(Modifier::BOLD)
        } else {
            base
        };
        Span::styled(format!(" {:>value_w$}", fit(&c.text, value_w)), style)
    };
    Line::from(vec![
        Span::styled(if row.differs { "* " } else { "  " }, theme.fg(theme.focus)),
        Span::styled(format!("{:key_w$}", fit(row.opt.key, key_w)), base),
        cell(&row.cells[0], false),
        cell(&row.cells[1], true),
        Span::styled(format!(" {:>value_w$}", fit(&row.default, value_w)), theme.fg(theme.dim)),
    ])
}

/// Cut to `w` characters, keeping the end of a key (where the option's name is).
fn fit(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w { s.to_string() } else { format!("…{}", s.chars().skip(n - w + 1).collect::<String>()) }
}
