//! What to watch and how: the config file, merged with the command line.
//!
//! The file is TOML; unknown keys and bad values fail with the key and its line (serde's
//! `deny_unknown_fields` plus value types that validate while parsing, see `values`).
//! `config.example.toml` documents every key and parses to `Config::default()` plus the
//! lab's two groups (a test checks this).

mod judgement;
pub(crate) mod rollback;
mod values;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub(crate) use judgement::AnalysisSettings;
pub use values::{ByteSize, Dur, RestUrl, Selector, TmPattern, parse_bytes, parse_duration};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// Settings that are not about one group.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// How often each source is polled (a group may override it).
    pub interval: Dur,
    /// The comparison window: means and % change are computed over it.
    pub window: Dur,
    /// How long samples are kept in memory (bounds the ring buffers).
    pub retention: Dur,
    /// The time span the charts show at start (`+`/`-` change it).
    pub chart_span: Dur,
    /// A theme name from themes/ ("default", "light") or a path to a theme file.
    pub theme: String,
    /// Where logs go; never to the screen.
    pub log_file: Option<PathBuf>,
    pub http: HttpSettings,
    pub analysis: AnalysisSettings,
    pub rules: crate::analysis::rules::RulesConfig,
    pub rollback: Option<rollback::RollbackConfig>,
    /// Hide the rollback action (watchers who must not act).
    pub read_only: bool,
    /// Show and log the rollback steps without running them.
    pub dry_run: bool,
    pub host: HostSettings,
}

/// This host's /proc counters (used when TaskManagers of a group run here).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct HostSettings {
    /// Look for local TaskManager JVMs and read this host's NIC/TCP/CPU counters.
    pub(crate) enabled: bool,
    /// Interfaces whose /proc/net/dev counters are summed; empty is all (loopback too).
    pub(crate) interfaces: Vec<String>,
}

impl Default for HostSettings {
    fn default() -> Self {
        HostSettings { enabled: true, interfaces: Vec::new() }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            interval: Dur(Duration::from_secs(1)),
            window: Dur(Duration::from_secs(300)),
            retention: Dur(Duration::from_secs(3600)),
            chart_span: Dur(Duration::from_secs(300)),
            theme: "default".into(),
            log_file: None,
            http: HttpSettings::default(),
            analysis: AnalysisSettings::default(),
            rules: crate::analysis::rules::RulesConfig::default(),
            rollback: None,
            read_only: false,
            dry_run: false,
            host: HostSettings::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct HttpSettings {
    pub connect_timeout: Dur,
    /// Total time for one request, body included (a trickling server is cut off here).
    pub request_timeout: Dur,
    pub max_body: ByteSize,
    /// Ignore HTTP(S)_PROXY variables.
    pub no_proxy: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            connect_timeout: Dur(Duration::from_secs(2)),
            request_timeout: Dur(Duration::from_secs(5)),
            max_body: ByteSize(16 << 20),
            no_proxy: false,
        }
    }
}

/// One group of TaskManagers: a whole cluster, or the TaskManagers of a cluster whose id
/// matches `taskmanagers`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GroupConfig {
    /// The Flink REST endpoint (the JobManager's web port). A group may do without it
    /// when its Prometheus endpoints say enough; then job state, exceptions, the
    /// drill-down and rollback placeholders that need REST are unavailable.
    #[serde(default)]
    pub flink: Option<RestUrl>,
    #[serde(default)]
    pub taskmanagers: Option<TmPattern>,
    #[serde(default)]
    pub interval: Option<Dur>,
    /// Prometheus text endpoints of the group (Flink's PrometheusReporter on each
    /// TaskManager, and the JobManager's for restarts and checkpoints).
    #[serde(default)]
    pub prometheus: Vec<RestUrl>,
    /// Jolokia agents on the group's TaskManagers (`http://host:8778/jolokia`): JMX over
    /// HTTP, with Flink's JMX reporter for the Flink metrics.
    #[serde(default)]
    pub jolokia: Vec<RestUrl>,
    /// A Prometheus server that scrapes the group's reporters: one PromQL query per metric.
    #[serde(default)]
    pub prometheus_server: Option<PromServerConfig>,
    #[serde(default)]
    pub auth: AuthConfig,
    #[serde(default)]
    pub tls: TlsConfig,
    /// The group's intended Flink configuration (`config.yaml`, nested or flat, or the
    /// legacy `flink-conf.yaml`): compared with what its TaskManagers report.
    #[serde(default)]
    pub flink_config: Option<PathBuf>,
    /// `flink-config` read and flattened to Flink keys (when the config is finished).
    #[serde(skip)]
    pub intended: Option<std::collections::BTreeMap<String, String>>,
}

impl GroupConfig {
    pub fn new(flink: RestUrl) -> Self {
        GroupConfig { flink: Some(flink), ..GroupConfig::default() }
    }

    /// What the group is shown as: its REST URL, else its first other source.
    pub(crate) fn describe(&self) -> String {
        match (&self.flink, self.prometheus.first().or(self.jolokia.first())) {
            (Some(f), _) => f.0.clone(),
            (None, Some(p)) if self.prometheus.len() > 1 => format!("{} (+{} more)", p.0, self.prometheus.len() - 1),
            (None, Some(p)) => p.0.clone(),
            (None, None) => match &self.prometheus_server {
                Some(p) => format!("{} {}", p.url.0, p.selector),
                None => "no source".into(),
            },
        }
    }

    fn has_source(&self) -> bool {
        self.flink.is_some()
            || !self.prometheus.is_empty()
            || !self.jolokia.is_empty()
            || self.prometheus_server.is_some()
    }
}

/// `[group.prometheus-server]`: where the group's series are and how to read them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PromServerConfig {
    pub(crate) url: RestUrl,
    /// Label matchers of the group's TaskManager series, e.g. `{job="flink", tm_id=~"canary.*"}`.
    pub(crate) selector: String,
    /// Label matchers of its JobManager series (restarts, checkpoints); default `selector`.
    #[serde(default)]
    pub(crate) job_selector: Option<String>,
    /// Read the past: each query asks for now minus this ("7d": last week, same hour).
    #[serde(default)]
    pub(crate) offset: Option<Dur>,
    /// The range of `rate()` for CPU and GC (a few scrape intervals).
    #[serde(default = "PromServerConfig::default_rate_window")]
    pub(crate) rate_window: Dur,
    /// How often the server scrapes: values change only that often.
    #[serde(default = "PromServerConfig::default_scrape_interval")]
    pub(crate) scrape_interval: Dur,
}

impl PromServerConfig {
    fn default_rate_window() -> Dur {
        Dur(Duration::from_secs(60))
    }
    fn default_scrape_interval() -> Dur {
        Dur(Duration::from_secs(15))
    }
}

/// Credentials for a Flink REST endpoint behind a proxy. Secrets come from files or
/// environment variables, never from the command line or the config file itself.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AuthConfig {
    pub user: Option<String>,
    pub password_file: Option<PathBuf>,
    pub password_env: Option<String>,
    pub token_file: Option<PathBuf>,
    pub token_env: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TlsConfig {
    /// PEM bundle of CAs to trust in addition to the system's.
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate (chain) and its PEM private key, for mutual TLS.
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

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
            read_only: false,
            dry_run: false,
            host: self.host.clone().unwrap_or_default(),
        })
    }
}

/// Everything flinkscope needs to run, after file and command line are merged.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub settings: Settings,
    pub baseline: GroupConfig,
    pub variant: GroupConfig,
}

impl Config {
    /// Secret files (passwords, tokens, client keys) that others on this host can read.
    pub fn secret_warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, g) in [("baseline", &self.baseline), ("variant", &self.variant)] {
            let files = [
                ("password-file", &g.auth.password_file),
                ("token-file", &g.auth.token_file),
                ("key-file", &g.tls.key_file),
            ];
            for (what, path) in files {
                if let Some(w) =
                    path.as_deref().and_then(|p| crate::private::secret_warning(&format!("[{name}] {what}"), p))
                {
                    out.push(w);
                }
            }
        }
        out
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

fn check_group(name: &str, g: &GroupConfig) -> Result<(), ConfigError> {
    if !g.has_source() {
        return Err(ConfigError::Invalid(format!(
            "[{name}] has no source: give it `flink = \"http://jobmanager:8081\"`, `prometheus = [\"http://taskmanager:9249/\"]` and/or `jolokia = [\"http://taskmanager:8778/jolokia\"]`"
        )));
    }
    if let Some(p) = &g.prometheus_server {
        for sel in std::iter::once(&p.selector).chain(&p.job_selector) {
            Selector::new(sel).map_err(|e| ConfigError::Invalid(format!("[{name}.prometheus-server]: {e}")))?;
        }
    }
    let a = &g.auth;
    let basic = a.user.is_some() || a.password_file.is_some() || a.password_env.is_some();
    let bearer = a.token_file.is_some() || a.token_env.is_some();
    if basic && bearer {
        return Err(ConfigError::Invalid(format!("[{name}.auth]: use either user/password-* or token-*, not both")));
    }
    if basic && a.user.is_none() {
        return Err(ConfigError::Invalid(format!("[{name}.auth]: password-file/password-env need `user`")));
    }
    if basic && a.password_file.is_some() == a.password_env.is_some() {
        return Err(ConfigError::Invalid(format!("[{name}.auth]: give exactly one of password-file or password-env")));
    }
    if bearer && a.token_file.is_some() == a.token_env.is_some() {
        return Err(ConfigError::Invalid(format!("[{name}.auth]: give exactly one of token-file or token-env")));
    }
    if g.tls.cert_file.is_some() != g.tls.key_file.is_some() {
        return Err(ConfigError::Invalid(format!("[{name}.tls]: cert-file and key-file go together")));
    }
    for url in g.flink.iter().chain(&g.prometheus).chain(&g.jolokia).chain(g.prometheus_server.as_ref().map(|p| &p.url))
    {
        if (bearer || basic || g.tls.cert_file.is_some()) && url.0.starts_with("http://") && !is_loopback(url) {
            tracing::warn!(group = name, "credentials are sent over plain http to {url}");
        }
    }
    Ok(())
}

fn is_loopback(url: &RestUrl) -> bool {
    url::Url::parse(&url.0)
        .ok()
        .and_then(|u| u.host_str().map(|h| h == "127.0.0.1" || h == "localhost" || h == "[::1]"))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests;
