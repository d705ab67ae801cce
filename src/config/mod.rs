//! What to watch and how: the config file, merged with the command line.
//!
//! The file is TOML; unknown keys and bad values fail with the key and its line (serde's
//! `deny_unknown_fields` plus value types that validate while parsing, see `values`).
//! `config.example.toml` documents every key and parses to `Config::default()` plus the
//! lab's two groups (a test checks this).

mod group;
mod jobs;
mod judgement;
mod load;
mod recorded;
pub(crate) mod rollback;
pub(crate) mod rollout;
mod values;

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

pub(crate) use group::GroupLabel;
pub use group::{AuthConfig, GroupConfig, PromServerConfig, TlsConfig};
pub use jobs::JobSelector;
pub(crate) use judgement::AnalysisSettings;
#[cfg(test)]
use load::parse;
pub use load::{Loaded, load};
pub(crate) use recorded::Seen;
pub use recorded::{Align, RecordedGroup, Window};
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
    /// The staged rollout (`[rollout]`), and the stage being watched (`--stage`, or
    /// `[rollout] current`).
    pub rollout: Option<rollout::RolloutConfig>,
    pub stage: Option<String>,
    /// Hide the rollback action (watchers who must not act).
    pub read_only: bool,
    /// Show and log the rollback steps without running them.
    pub dry_run: bool,
    /// Append every event, alert and operator action to this recording (`--record`).
    pub record: Option<PathBuf>,
    /// A label for the tested configuration, kept in recordings and reports (`--name`).
    pub name: Option<String>,
    /// No progress on stderr for `check` and `record` (`--quiet`; none without a terminal either).
    pub quiet: bool,
    /// Clicks focus and open panels, the wheel scrolls (`--mouse`; off: the terminal's own
    /// selection keeps working).
    pub mouse: bool,
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
            rollout: None,
            stage: None,
            read_only: false,
            quiet: false,
            mouse: false,
            dry_run: false,
            record: None,
            name: None,
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

/// Everything flinkscope needs to run, after file and command line are merged.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub settings: Settings,
    pub baseline: GroupConfig,
    pub variant: GroupConfig,
}

impl Config {
    /// The Flink sources both groups are configured with (this host's /proc aside: it is
    /// found at run time), baseline first.
    pub(crate) fn sources(&self) -> Vec<crate::model::source::SourceId> {
        use crate::model::Group;
        use crate::model::source::{SourceId, SourceKind};
        let mut out = Vec::new();
        for (group, g) in [(Group::Baseline, &self.baseline), (Group::Variant, &self.variant)] {
            let kinds = [
                (g.flink.is_some(), SourceKind::FlinkRest),
                (!g.prometheus.is_empty(), SourceKind::Prometheus),
                (!g.jolokia.is_empty(), SourceKind::Jolokia),
                (g.prometheus_server.is_some(), SourceKind::PrometheusServer),
            ];
            out.extend(kinds.into_iter().filter(|(on, _)| *on).map(|(_, kind)| SourceId { group, kind }));
            // A recorded group has the sources its recording had.
            let recorded = g.recording.as_ref().and_then(|r| r.seen.as_ref());
            out.extend(recorded.into_iter().flat_map(|s| s.sources.iter().map(move |&kind| SourceId { group, kind })));
        }
        out
    }

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

#[cfg(test)]
mod tests;
