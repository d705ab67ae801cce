//! Colours. Theme files are partial: each key present replaces the default's.
//! `NO_COLOR` (any non-empty value) turns every colour off; baseline and variant then
//! differ by chart marker and text style.

use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub(crate) baseline: Color,
    pub(crate) variant: Color,
    pub(crate) text: Color,
    pub(crate) dim: Color,
    pub(crate) border: Color,
    pub(crate) focus: Color,
    pub(crate) good: Color,
    pub(crate) bad: Color,
    pub(crate) warn: Color,
    pub(crate) title: Color,
    pub(crate) monochrome: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            baseline: Color::Cyan,
            variant: Color::Magenta,
            text: Color::Reset,
            dim: Color::DarkGray,
            border: Color::Gray,
            focus: Color::Yellow,
            good: Color::Green,
            bad: Color::Red,
            warn: Color::Yellow,
            title: Color::White,
            monochrome: false,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ThemeFile {
    baseline: Option<String>,
    variant: Option<String>,
    text: Option<String>,
    dim: Option<String>,
    border: Option<String>,
    focus: Option<String>,
    good: Option<String>,
    bad: Option<String>,
    warn: Option<String>,
    title: Option<String>,
}

const BUILT_IN: &[(&str, &str)] =
    &[("default", include_str!("../../themes/default.toml")), ("light", include_str!("../../themes/light.toml"))];

impl Theme {
    /// A built-in theme by name, or a theme file by path.
    pub fn load(name_or_path: &str) -> Result<Theme, String> {
        let text = match BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            Some((_, t)) => t.to_string(),
            None if Path::new(name_or_path).is_file() => std::fs::read_to_string(name_or_path)
                .map_err(|e| format!("cannot read theme file {name_or_path}: {e}"))?,
            None => {
                let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "unknown theme {name_or_path:?}: use one of {} or a path to a theme file",
                    names.join(", ")
                ));
            }
        };
        Theme::parse(&text).map_err(|e| format!("theme {name_or_path}: {e}"))
    }

    pub(crate) fn parse(text: &str) -> Result<Theme, String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut t = Theme::default();
        let set = |slot: &mut Color, v: &Option<String>, key: &str| -> Result<(), String> {
            if let Some(v) = v {
                *slot = Color::from_str(v)
                    .map_err(|_| format!("`{key}`: {v:?} is not a colour (a name like \"cyan\" or \"#rrggbb\")"))?;
            }
            Ok(())
        };
        set(&mut t.baseline, &file.baseline, "baseline")?;
        set(&mut t.variant, &file.variant, "variant")?;
        set(&mut t.text, &file.text, "text")?;
        set(&mut t.dim, &file.dim, "dim")?;
        set(&mut t.border, &file.border, "border")?;
        set(&mut t.focus, &file.focus, "focus")?;
        set(&mut t.good, &file.good, "good")?;
        set(&mut t.bad, &file.bad, "bad")?;
        set(&mut t.warn, &file.warn, "warn")?;
        set(&mut t.title, &file.title, "title")?;
        Ok(t)
    }

    pub(crate) fn monochrome() -> Theme {
        let r = Color::Reset;
        Theme {
            baseline: r,
            variant: r,
            text: r,
            dim: r,
            border: r,
            focus: r,
            good: r,
            bad: r,
            warn: r,
            title: r,
            monochrome: true,
        }
    }

    /// NO_COLOR wins over any theme (<https://no-color.org>).
    pub fn respecting_no_color(self) -> Theme {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Theme::monochrome(),
            _ => self,
        }
    }

    pub(crate) fn fg(&self, c: Color) -> Style {
        Style::default().fg(c)
    }

    pub(crate) fn group(&self, variant: bool) -> Style {
        let s = self.fg(if variant { self.variant } else { self.baseline });
        if self.monochrome && variant { s.add_modifier(Modifier::ITALIC) } else { s }
    }

    pub(crate) fn border(&self, focused: bool) -> Style {
        if focused {
            let s = self.fg(self.focus);
            s.add_modifier(Modifier::BOLD)
        } else {
            self.fg(self.border)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_themes_parse_and_files_are_partial() {
        assert_eq!(Theme::load("default").unwrap(), Theme::default());
        let light = Theme::load("light").unwrap();
        assert_ne!(light, Theme::default());
        let partial = Theme::parse("variant = \"#ff8800\"").unwrap();
        assert_eq!(partial.variant, Color::Rgb(0xff, 0x88, 0x00));
        assert_eq!(partial.baseline, Theme::default().baseline);
        assert!(Theme::parse("variant = \"not-a-colour\"").unwrap_err().contains("variant"));
        assert!(Theme::parse("varient = \"red\"").is_err());
        assert!(Theme::load("no-such-theme").is_err());
    }
}
