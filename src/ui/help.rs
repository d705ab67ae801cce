//! The help overlay, generated from the key map.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::Theme;
use crate::app::App;
use crate::app::keymap::{Action, BINDINGS};

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines: Vec<Line> = BINDINGS
        .iter()
        .map(|b| match (b.action, app.rollback_hidden_reason()) {
            (Action::Rollback | Action::CancelCountdown, Some(why)) => Line::from(vec![
                Span::styled(format!(" {:<7}", b.label), theme.fg(theme.dim)),
                Span::styled(format!("hidden: {why}"), theme.fg(theme.dim)),
            ]),
            _ => Line::from(vec![Span::styled(format!(" {:<7}", b.label), theme.fg(theme.focus)), Span::raw(b.help)]),
        })
        .collect();
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        " — is no data (never zero). Means and Δ are over the comparison window.",
        theme.fg(theme.dim),
    )));
    let height = (lines.len() as u16 + 2).min(area.height);
    let width = 78.min(area.width);
    let [row] = Layout::vertical([Constraint::Length(height)]).flex(Flex::Center).areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width)]).flex(Flex::Center).areas(row);
    frame.render_widget(Clear, popup);
    let block =
        Block::default().borders(Borders::ALL).border_style(theme.border(true)).title(" help (? or Esc closes) ");
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
