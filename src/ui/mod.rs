//! Rendering: pure functions from the app's state to a frame. Nothing here fetches,
//! computes statistics, or changes state.
//!
//! ```text
//! ┌──────────────────────────────────────────────────────────────┐
//! │ header: title, window, span, PAUSED                          │
//! │ baseline: url · TaskManagers · job state · restarts · ckpts · health
//! │ variant:  url · TaskManagers · job state · restarts · ckpts · health
//! ├─ Throughput ───────────────────┬─ Latency ───────────────────┤
//! │ table: now/mean per group, Δ%  │                             │
//! │ chart: baseline vs variant     │                             │
//! ├─ Buffers ──────────────────────┼─ CPU & memory ──────────────┤
//! │                                │                             │
//! ├─ Backpressure ─────────────────┼─ Host (with host figures) ──┤
//! │                                │                             │
//! ├─ Alerts · none ──────────────────────────────────────────────┤
//! │ (one line when there are none; active first, then history)  │
//! ├──────────────────────────────────────────────────────────────┤
//! │ footer: keys                                                 │
//! └──────────────────────────────────────────────────────────────┘
//! ```
//! Enter replaces the grid by the focused panel with every metric and a per-TaskManager
//! table; `e` by the Settings screen; `?` draws the help over everything.

mod alerts;
mod drilldown;
mod footer;
pub(crate) use crate::format;
mod header;
mod help;
mod jobs;
mod panel;
mod rollback;
mod settings;
pub(crate) mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::model::Panel;
pub use theme::Theme;

/// Below this size only a notice is drawn.
pub(crate) const MIN_WIDTH: u16 = 40;
pub(crate) const MIN_HEIGHT: u16 = 8;

pub fn render(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg =
            format!("flinkscope needs at least {MIN_WIDTH}x{MIN_HEIGHT} (now {}x{}); q quits", area.width, area.height);
        frame.render_widget(Paragraph::new(msg).wrap(ratatui::widgets::Wrap { trim: true }), area);
        return;
    }
    let [head, body, foot] =
        Layout::vertical([Constraint::Length(3), Constraint::Min(1), Constraint::Length(1)]).areas(area);
    header::render(frame, head, app, theme);
    if app.settings_view {
        settings::render(frame, body, app, theme);
    } else if app.jobs_view {
        jobs::render(frame, body, app, theme);
    } else if app.fullscreen && app.focused_panel() == Panel::Alerts {
        alerts_or_rollback(frame, body, app, true, true, theme);
    } else if app.fullscreen {
        drilldown::render(frame, body, app, theme);
    } else {
        render_grid(frame, body, app, theme);
    }
    footer::render(frame, foot, app, theme);
    if app.rollback.dialog.is_some() {
        rollback::dialog(frame, area, app, theme);
    } else if app.help {
        help::render(frame, area, app, theme);
    }
}

/// Where each panel of the dashboard goes (its focus index, what it is, its area).
fn grid(body: Rect, app: &App, theme: &Theme) -> Vec<(usize, Panel, Rect)> {
    let panels = app.panels();
    // The alerts run across the bottom, one line high when there are none, so the
    // metric panels keep the space; the others two per row, an odd one out spanning its row.
    let [grid, strip] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(alerts::height(app, body, theme))]).areas(body);
    let cells: Vec<(usize, Panel)> = panels.iter().copied().enumerate().filter(|(_, p)| *p != Panel::Alerts).collect();
    let n_rows = cells.len().div_ceil(2) as u32;
    let rows = Layout::vertical(vec![Constraint::Ratio(1, n_rows); n_rows as usize]).split(grid);
    let halves = |r: Rect| Layout::horizontal([Constraint::Percentage(50); 2]).split(r);
    let mut areas: Vec<Rect> = rows.iter().flat_map(|r| halves(*r).to_vec()).collect();
    if cells.len() % 2 == 1 {
        areas.truncate(cells.len() - 1);
        areas.push(rows[rows.len() - 1]);
    }
    let mut out: Vec<(usize, Panel, Rect)> = cells.into_iter().zip(areas).map(|((i, p), a)| (i, p, a)).collect();
    if let Some(i) = panels.iter().position(|p| *p == Panel::Alerts) {
        out.push((i, Panel::Alerts, strip));
    }
    out
}

fn render_grid(frame: &mut Frame, body: Rect, app: &App, theme: &Theme) {
    for (i, panel, area) in grid(body, app, theme) {
        if panel == Panel::Alerts {
            alerts_or_rollback(frame, area, app, i == app.focus, false, theme);
        } else {
            panel::render(frame, area, app, panel, i == app.focus, false, theme);
        }
    }
}

/// The dashboard panel (its focus index) at a terminal cell of a screen of `area`, laid
/// out as `render` lays it out; `None` outside the grid or on another screen.
pub fn panel_at(area: Rect, app: &App, column: u16, row: u16) -> Option<usize> {
    if area.width < MIN_WIDTH
        || area.height < MIN_HEIGHT
        || app.settings_view
        || app.jobs_view
        || app.fullscreen
        || app.help
    {
        return None;
    }
    let [_, body, _] = Layout::vertical([Constraint::Length(3), Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let at = ratatui::layout::Position { x: column, y: row };
    grid(body, app, &Theme::default()).into_iter().find(|(_, _, r)| r.contains(at)).map(|(i, _, _)| i)
}

/// The alerts cell also shows the rollback's progress once one ran.
fn alerts_or_rollback(frame: &mut Frame, area: Rect, app: &App, focused: bool, full: bool, theme: &Theme) {
    match &app.rollback.run {
        Some(run) => {
            let [a, r] = Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area);
            alerts::render(frame, a, app, focused, full, theme);
            rollback::panel(frame, r, app, run, theme);
        }
        None => alerts::render(frame, area, app, focused, full, theme),
    }
}

#[cfg(test)]
mod tests;
