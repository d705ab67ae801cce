//! Keys: a key press becomes an action from the key map, and each action changes the
//! app's state (focus, span, pause, the full-screen and Settings screens, the rollback).

use std::time::Duration;

use crossterm::event::{KeyEvent, KeyEventKind};

use super::{Action, App, Command, SPANS, grid, keymap};

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Option<Command> {
        // Key repeats and releases never act (some terminals report both).
        if key.kind != KeyEventKind::Press {
            return None;
        }
        if self.rollback.dialog.is_some() {
            return self.dialog_key(key);
        }
        let action = keymap::action_for(&key)?;
        if action != Action::Quit && self.rollback.quit_armed {
            self.rollback.quit_armed = false;
            self.rollback.notice = Some("the rollback keeps running".into());
        }
        if self.help && !matches!(action, Action::Help | Action::Back | Action::Quit) {
            return None;
        }
        self.act(action)
    }

    pub fn act(&mut self, action: Action) -> Option<Command> {
        match action {
            Action::Quit if self.rollback.running() && !self.rollback.quit_armed => {
                // Quitting interrupts the rollback's step: asked first, never by accident.
                self.rollback.quit_armed = true;
                self.rollback.notice = Some(
                    "a rollback is running: q again stops its step (SIGTERM, then SIGKILL) and quits; any other key keeps it running"
                        .into(),
                );
            }
            Action::Quit => {
                self.quit = true;
                return Some(Command::Quit);
            }
            Action::Help => self.help = !self.help,
            Action::Settings => {
                self.settings_view = !self.settings_view;
                self.settings_scroll = 0;
                self.jobs_view = false;
            }
            Action::Jobs => {
                self.jobs_view = !self.jobs_view;
                self.jobs_scroll = 0;
                self.settings_view = false;
            }
            Action::FocusUp if self.jobs_view => self.jobs_scroll = self.jobs_scroll.saturating_sub(1),
            Action::FocusDown if self.jobs_view => {
                let rows = self.job_rows().len();
                self.jobs_scroll = (self.jobs_scroll + 1).min(rows.saturating_sub(1));
            }
            Action::FocusUp if self.settings_view => self.settings_scroll = self.settings_scroll.saturating_sub(1),
            Action::FocusDown if self.settings_view => {
                let rows = self.flink_settings.review.rows.len();
                self.settings_scroll = (self.settings_scroll + 1).min(rows.saturating_sub(1));
            }
            Action::Pause => {
                self.frozen = match self.frozen {
                    Some(_) => None,
                    None => Some(self.live.freeze()),
                }
            }
            Action::WidenSpan => self.span = next_span(self.span, true),
            Action::NarrowSpan => self.span = next_span(self.span, false),
            Action::FocusNext => self.focus = (self.focus + 1) % self.panels().len(),
            Action::FocusPrev => self.focus = (self.focus + self.panels().len() - 1) % self.panels().len(),
            Action::FocusLeft | Action::FocusRight => self.focus = grid::beside(self.focus, self.panels().len()),
            Action::FocusUp => self.focus = grid::above(self.focus, self.panels().len()),
            Action::FocusDown => self.focus = grid::below(self.focus, self.panels().len()),
            Action::FocusAlerts => self.focus = self.panels().len() - 1,
            Action::Open if self.settings_view || self.jobs_view => {}
            Action::Open if !self.fullscreen => {
                self.fullscreen = true;
                self.sort_column = 0;
                return Some(Command::SetDetail(true));
            }
            Action::Open => {}
            Action::Back if self.help => self.help = false,
            Action::Back if self.settings_view => self.settings_view = false,
            Action::Back if self.jobs_view => self.jobs_view = false,
            Action::Back if self.fullscreen => {
                self.fullscreen = false;
                return Some(Command::SetDetail(false));
            }
            Action::Back => {}
            Action::SortNext if self.fullscreen => self.sort_column += 1,
            Action::SortNext => {}
            Action::Rollback => self.open_rollback(),
            Action::CancelCountdown if self.rollback.countdown.is_some() => {
                self.rollback.countdown = None;
                self.rollback.notice = Some("automatic rollback cancelled".into());
                tracing::warn!("automatic rollback countdown cancelled");
            }
            Action::CancelCountdown => {}
            Action::Record => return Some(Command::ToggleRecording),
            Action::Report => return Some(Command::WriteReport),
        }
        None
    }
}

fn next_span(current: Duration, wider: bool) -> Duration {
    if wider {
        SPANS.iter().copied().find(|s| *s > current).unwrap_or(*SPANS.last().expect("spans"))
    } else {
        SPANS.iter().rev().copied().find(|s| *s < current).unwrap_or(SPANS[0])
    }
}
