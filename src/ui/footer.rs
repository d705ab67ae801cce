//! The footer: the keys that matter now, from the key map.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::Theme;
use super::drilldown;
use crate::app::{Action, App, keymap};

pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut items: Vec<(String, String)> = vec![
        (keymap::label(Action::Quit).into(), "quit".into()),
        (keymap::label(Action::Help).into(), "help".into()),
        (keymap::label(Action::Pause).into(), if app.paused() { "resume".into() } else { "pause".into() }),
        ("+/-".into(), "span".into()),
    ];
    if app.fullscreen {
        items.push((keymap::label(Action::Back).into(), "back".into()));
        items.push((
            keymap::label(Action::SortNext).into(),
            format!("sort: {}", drilldown::sort_label(app.focused_panel(), app.sort_column)),
        ));
    } else {
        items.push(("Tab/←→↑↓".into(), "focus".into()));
        items.push((keymap::label(Action::Open).into(), "open".into()));
    }
    if app.rollback_hidden_reason().is_none() {
        items.push((keymap::label(Action::Rollback).into(), "rollback".into()));
    }
    let mut spans = Vec::new();
    if let Some(n) = &app.rollback.notice {
        spans.push(Span::styled(format!("{n}  "), theme.fg(theme.warn)));
    }
    for (key, what) in items {
        spans.push(Span::styled(format!(" {key} "), theme.fg(theme.focus)));
        spans.push(Span::styled(format!("{what} "), theme.fg(theme.dim)));
    }
    frame.render_widget(Line::from(spans), area);
}
