//! `--mouse`: a click focuses the panel under it, a second click on it within
//! `DOUBLE_CLICK` opens it, the wheel scrolls the Settings table. (Which panel is under
//! the pointer is the screen's to say: the loop asks the UI and hands the answer here.)

use std::time::{Duration, Instant};

use crossterm::event::{MouseButton, MouseEventKind};

use super::keymap::Action;
use super::{App, Command};

/// Two clicks on one panel this close together are a double click.
pub(crate) const DOUBLE_CLICK: Duration = Duration::from_millis(400);

impl App {
    /// A mouse event over `panel` (its focus index; `None` off the grid) at `now`.
    pub fn on_mouse(&mut self, kind: MouseEventKind, panel: Option<usize>, now: Instant) -> Option<Command> {
        match kind {
            MouseEventKind::Down(MouseButton::Left) => {
                let i = panel?;
                let double =
                    self.last_click.is_some_and(|(j, t)| j == i && now.saturating_duration_since(t) < DOUBLE_CLICK);
                self.focus = i;
                if double {
                    self.last_click = None;
                    return self.act(Action::Open);
                }
                self.last_click = Some((i, now));
                None
            }
            MouseEventKind::ScrollDown if self.settings_view || self.jobs_view => self.act(Action::FocusDown),
            MouseEventKind::ScrollUp if self.settings_view || self.jobs_view => self.act(Action::FocusUp),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crossterm::event::{MouseButton, MouseEventKind};

    use crate::app::{Command, demo};

    const CLICK: MouseEventKind = MouseEventKind::Down(MouseButton::Left);

    #[test]
    fn a_click_focuses_and_a_double_click_opens() {
        let t0 = Instant::now();
        let mut app = demo::app(t0, 10, false);
        assert_eq!(app.on_mouse(CLICK, Some(3), t0), None);
        assert_eq!(app.focus, 3);
        assert!(!app.fullscreen);
        // Too slow for a double click: a click again.
        assert_eq!(app.on_mouse(CLICK, Some(3), t0 + Duration::from_millis(900)), None);
        assert_eq!(app.on_mouse(CLICK, Some(3), t0 + Duration::from_millis(1100)), Some(Command::SetDetail(true)));
        assert!(app.fullscreen, "opened");
        // Off the grid: nothing.
        let mut app = demo::app(t0, 10, false);
        assert_eq!(app.on_mouse(CLICK, None, t0), None);
        assert_eq!(app.focus, 0);
    }

    #[test]
    fn the_wheel_scrolls_the_settings_table_only() {
        let t0 = Instant::now();
        let mut app = demo::app(t0, 10, false);
        app.on_mouse(MouseEventKind::ScrollDown, Some(0), t0);
        assert_eq!(app.focus, 0, "the wheel does not move the focus on the dashboard");
        app.settings_view = true;
        let rows = app.flink_settings.review.rows.len();
        app.on_mouse(MouseEventKind::ScrollDown, None, t0);
        assert_eq!(app.settings_scroll, 1.min(rows.saturating_sub(1)));
        app.on_mouse(MouseEventKind::ScrollUp, None, t0);
        assert_eq!(app.settings_scroll, 0);
    }
}
