//! Reading the config: the file as written, merged with defaults, then checked into a
//! `Config` once the command line has had its say.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::group::check_group;
use super::{Config, ConfigError, Dur, GroupConfig, HostSettings, HttpSettings, Settings, judgement, rollback};

/// The file as written: every key optional, every unknown key an error with its line.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileConfig {
    interval: Option<Dur>,
    window: Option<Dur>,
    retention: Option<Dur>,
    chart_span: Option<Dur>,
    theme: Option<String>,
    log_file: Option<PathBuf>,
    http: Option<HttpSettings>,
    analysis: Option<judgement::AnalysisFile>,
    alerts: Option<judgement::AlertsFile>,
    rollback: Option<rollback::RollbackConfig>,
    rollout: Option<super::rollout::RolloutConfig>,
    host: Option<HostSettings>,
    baseline: Option<GroupConfig>,
    variant: Option<GroupConfig>,
}

impl FileConfig {
    fn settings(&self) -> Result<Settings, String> {
        let d = Settings::default();
        let mut analysis = d.analysis.clone();
        if let Some(a) = &self.analysis {
            a.apply(&mut analysis)?;
        }
        let mut rules = d.rules.clone();
        if let Some(a) = &self.alerts {
            a.apply(&mut rules)?;
        }
        Ok(Settings {
            interval: self.interval.unwrap_or(d.interval),
            window: self.window.unwrap_or(d.window),
            retention: self.retention.unwrap_or(d.retention),
            chart_span: self.chart_span.unwrap_or(d.chart_span),
            theme: self.theme.clone().unwrap_or(d.theme),
            log_file: self.log_file.clone(),
            http: self.http.clone().unwrap_or(d.http),
            analysis,
            rules,
            rollback: self.rollback.clone(),
            stage: self.rollout.as_ref().and_then(|r| r.current.clone()),
            rollout: self.rollout.clone(),
            read_only: false,
            quiet: false,
            mouse: false,
            dry_run: false,
            record: None,
            name: None,
            host: self.host.clone().unwrap_or_default(),
        })
    }
}

/// The groups as given (before checks that both are present).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    pub(crate) settings: Settings,
    pub(crate) baseline: Option<GroupConfig>,
    pub(crate) variant: Option<GroupConfig>,
    pub(crate) path: Option<PathBuf>,
}

/// Parses config text. Relative paths resolve from `dir` (the file's folder).
pub(crate) fn parse(text: &str, path: &Path) -> Result<Loaded, ConfigError> {
    let file: FileConfig =
        toml::from_str(text).map_err(|e| ConfigError::Parse { path: path.to_path_buf(), message: e.to_string() })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut loaded = Loaded {
        settings: file.settings().map_err(|message| ConfigError::Parse { path: path.to_path_buf(), message })?,
        baseline: file.baseline,
        variant: file.variant,
        path: Some(path.into()),
    };
    if let Some(p) = loaded.settings.log_file.as_mut() {
        *p = resolve(&dir, p);
    }
    if let Some(r) = loaded.settings.rollback.as_mut() {
        r.resolve(&dir);
    }
    if let Some(p) = loaded.settings.rollout.as_mut().and_then(|r| r.state_file.as_mut()) {
        *p = resolve(&dir, p);
    }
    for g in [loaded.baseline.as_mut(), loaded.variant.as_mut()].into_iter().flatten() {
        for p in [
            &mut g.auth.password_file,
            &mut g.auth.token_file,
            &mut g.tls.ca_file,
            &mut g.tls.cert_file,
            &mut g.tls.key_file,
            &mut g.flink_config,
        ]
        .into_iter()
        .flatten()
        {
            *p = resolve(&dir, p);
        }
        if let Some(r) = g.recording.as_mut() {
            r.path = resolve(&dir, &r.path);
        }
    }
    Ok(loaded)
}

fn resolve(dir: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() { p.to_path_buf() } else { dir.join(p) }
}

/// Reads the config file: the one given, else ./flinkscope.toml, else
/// $XDG_CONFIG_HOME/flinkscope/config.toml (~/.config/...). No file is fine: flags may say it all.
pub fn load(explicit: Option<&Path>) -> Result<Loaded, ConfigError> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => default_paths().into_iter().find(|p| p.is_file()),
    };
    let Some(path) = path else { return Ok(Loaded::default()) };
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read { path: path.clone(), source })?;
    parse(&text, &path)
}

pub(crate) fn default_paths() -> Vec<PathBuf> {
    let mut paths = vec![PathBuf::from("flinkscope.toml")];
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(dir) = xdg {
        paths.push(dir.join("flinkscope").join("config.toml"));
    }
    paths
}

impl Loaded {
    /// Both groups must be known by now.
    pub fn finish(self) -> Result<Config, ConfigError> {
        let hint = "say what to watch: --baseline URL --variant URL, or --flink URL --baseline-tm REGEX --variant-tm REGEX, or a config file with [baseline] and [variant]";
        let baseline = self.baseline.ok_or_else(|| ConfigError::Invalid(format!("no baseline group: {hint}")))?;
        let variant = self.variant.ok_or_else(|| ConfigError::Invalid(format!("no variant group: {hint}")))?;
        let (mut baseline, mut variant) = (baseline, variant);
        for (name, g) in [("baseline", &mut baseline), ("variant", &mut variant)] {
            check_group(name, g)?;
            g.intended = read_intended(name, g)?;
        }
        let shared = baseline.flink.is_some() && baseline.flink == variant.flink
            || baseline.prometheus.iter().any(|p| variant.prometheus.contains(p))
            || baseline.jolokia.iter().any(|p| variant.jolokia.contains(p));
        if shared && (baseline.taskmanagers.is_none() || variant.taskmanagers.is_none()) {
            return Err(ConfigError::Invalid(format!(
                "baseline and variant both watch {} without a TaskManager regex for each: give [baseline] and [variant] a `taskmanagers` pattern (or --baseline-tm/--variant-tm)",
                baseline.describe()
            )));
        }
        if let Some(r) = &self.settings.rollback {
            r.validate().map_err(ConfigError::Invalid)?;
        }
        if self.settings.window.0 > self.settings.retention.0 {
            return Err(ConfigError::Invalid(format!(
                "window ({}) is longer than retention ({}): samples would be gone before they are compared",
                humantime::format_duration(self.settings.window.0),
                humantime::format_duration(self.settings.retention.0)
            )));
        }
        check_blocks(&self.settings)?;
        if let Some(r) = &self.settings.rollout {
            r.check().map_err(|e| ConfigError::Invalid(format!("[rollout]: {e}")))?;
        }
        if let Some(name) = &self.settings.stage {
            let r = self.settings.rollout.as_ref().ok_or_else(|| {
                ConfigError::Invalid(format!("--stage {name}: no [rollout] with [[rollout.stages]] in the config"))
            })?;
            // The stage's scope is the variant at this stage.
            let scope = &r.stage(name).map_err(ConfigError::Invalid)?.scope;
            if let Some(j) = &scope.jobs {
                variant.jobs = Some(j.clone());
            }
            if let Some(t) = &scope.taskmanagers {
                variant.taskmanagers = Some(t.clone());
            }
        }
        Ok(Config { settings: self.settings, baseline, variant })
    }
}

/// The group's `flink-config`, read and flattened; a file that cannot be read or parsed is
/// a clear error at start, not a settings view that silently compares nothing.
fn read_intended(
    name: &str,
    g: &GroupConfig,
) -> Result<Option<std::collections::BTreeMap<String, String>>, ConfigError> {
    let Some(path) = &g.flink_config else { return Ok(None) };
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.clone(), source })?;
    crate::analysis::settings::intended::parse(&text)
        .map(Some)
        .map_err(|message| ConfigError::Invalid(format!("[{name}] flink-config {}: {message}", path.display())))
}

/// A window that cannot hold `min-samples` blocks never decides within a window: refuse it,
/// naming the three values.
fn check_blocks(s: &Settings) -> Result<(), ConfigError> {
    let (window, block, min) = (s.window.0, s.analysis.block.0, s.analysis.judge.min_samples);
    if block.is_zero() {
        return Err(ConfigError::Invalid("[analysis] block = 0s: a block must have a length".into()));
    }
    let fits = (window.as_secs_f64() / block.as_secs_f64()).floor() as usize;
    if fits < min {
        return Err(ConfigError::Invalid(format!(
            "window ({}) / block ({}) holds {fits} blocks, fewer than min-samples ({min}): nothing could be judged within a window; lengthen the window, shorten the block, or lower min-samples",
            humantime::format_duration(window),
            humantime::format_duration(block),
        )));
    }
    Ok(())
}
