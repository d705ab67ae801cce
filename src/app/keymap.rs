//! Keybindings are data: each key maps to a named action, and the help overlay and footer
//! are generated from the same table.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Pause,
    WidenSpan,
    NarrowSpan,
    FocusNext,
    FocusPrev,
    FocusLeft,
    FocusRight,
    FocusUp,
    FocusDown,
    Open,
    Back,
    SortNext,
    FocusAlerts,
    Settings,
    Jobs,
    Rollback,
    CancelCountdown,
    Record,
    Report,
}

pub(crate) struct Binding {
    pub(crate) keys: &'static [KeyCode],
    pub(crate) label: &'static str,
    pub(crate) action: Action,
    pub(crate) help: &'static str,
}

pub(crate) const BINDINGS: &[Binding] = &[
    Binding { keys: &[KeyCode::Char('q')], label: "q", action: Action::Quit, help: "quit (also Ctrl-C)" },
    Binding { keys: &[KeyCode::Char('?')], label: "?", action: Action::Help, help: "show or hide this help" },
    Binding {
        keys: &[KeyCode::Char('p')],
        label: "p",
        action: Action::Pause,
        help: "pause/resume drawing new data (polling goes on)",
    },
    Binding {
        keys: &[KeyCode::Char('+'), KeyCode::Char('=')],
        label: "+",
        action: Action::WidenSpan,
        help: "widen the charts' time span",
    },
    Binding {
        keys: &[KeyCode::Char('-')],
        label: "-",
        action: Action::NarrowSpan,
        help: "narrow the charts' time span",
    },
    Binding { keys: &[KeyCode::Tab], label: "Tab", action: Action::FocusNext, help: "focus the next panel" },
    Binding { keys: &[KeyCode::BackTab], label: "S-Tab", action: Action::FocusPrev, help: "focus the previous panel" },
    Binding {
        keys: &[KeyCode::Left, KeyCode::Char('h')],
        label: "←",
        action: Action::FocusLeft,
        help: "focus the panel to the left",
    },
    Binding {
        keys: &[KeyCode::Right, KeyCode::Char('l')],
        label: "→",
        action: Action::FocusRight,
        help: "focus the panel to the right",
    },
    Binding {
        keys: &[KeyCode::Up, KeyCode::Char('k')],
        label: "↑",
        action: Action::FocusUp,
        help: "focus the panel above",
    },
    Binding {
        keys: &[KeyCode::Down, KeyCode::Char('j')],
        label: "↓",
        action: Action::FocusDown,
        help: "focus the panel below",
    },
    Binding {
        keys: &[KeyCode::Enter],
        label: "Enter",
        action: Action::Open,
        help: "open the focused panel full screen with a per-TaskManager table",
    },
    Binding { keys: &[KeyCode::Esc], label: "Esc", action: Action::Back, help: "back to the dashboard / close help" },
    Binding { keys: &[KeyCode::Char('a')], label: "a", action: Action::FocusAlerts, help: "focus the alerts panel" },
    Binding {
        keys: &[KeyCode::Char('e')],
        label: "e",
        action: Action::Settings,
        help: "the groups' settings side by side, and what is not in effect",
    },
    Binding {
        keys: &[KeyCode::Char('J')],
        label: "J",
        action: Action::Jobs,
        help: "Job Health: every job of both groups, the unhealthy first",
    },
    Binding {
        keys: &[KeyCode::Char('R')],
        label: "R",
        action: Action::Rollback,
        help: "roll back (shows the steps; type rollback + Enter to run)",
    },
    Binding {
        keys: &[KeyCode::Char('c')],
        label: "c",
        action: Action::CancelCountdown,
        help: "cancel the automatic rollback countdown",
    },
    Binding {
        keys: &[KeyCode::Char('r')],
        label: "r",
        action: Action::Record,
        help: "start/stop recording (to --record FILE or a new file here)",
    },
    Binding {
        keys: &[KeyCode::Char('w')],
        label: "w",
        action: Action::Report,
        help: "write the test-result report so far (a new .md file here)",
    },
    Binding {
        keys: &[KeyCode::Char('s')],
        label: "s",
        action: Action::SortNext,
        help: "full screen: sort the TaskManager table by the next column",
    },
];

pub(crate) fn action_for(key: &KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(key.code, KeyCode::Char('c')).then_some(Action::Quit);
    }
    BINDINGS.iter().find(|b| b.keys.contains(&key.code)).map(|b| b.action)
}

pub(crate) fn label(action: Action) -> &'static str {
    BINDINGS.iter().find(|b| b.action == action).map_or("?", |b| b.label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_key_and_keys_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for b in BINDINGS {
            for k in b.keys {
                assert!(seen.insert(format!("{k:?}")), "{k:?} bound twice");
            }
        }
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(&ctrl_c), Some(Action::Quit));
        let plain_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(action_for(&plain_c), Some(Action::CancelCountdown));
        let shift_r = KeyEvent::new(KeyCode::Char('R'), KeyModifiers::SHIFT);
        assert_eq!(action_for(&shift_r), Some(Action::Rollback));
    }
}
