//! One group's part of the config: its sources, TaskManager pattern, credentials and TLS,
//! and the checks a group must pass before anything is polled.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, Dur, RestUrl, Selector, TmPattern};

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
    /// The jobs the group follows: a regex on names, or a list of job ids; by default every
    /// running job on its TaskManagers.
    #[serde(default)]
    pub jobs: Option<super::JobSelector>,
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
    /// The group's series from a recording instead (`[baseline.recording]`, `--baseline-from`).
    #[serde(default)]
    pub recording: Option<super::RecordedGroup>,
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
    /// How the header and a recording name the group.
    pub(crate) fn label(&self) -> GroupLabel {
        if let Some(r) = &self.recording {
            return r.label();
        }
        GroupLabel {
            url: crate::sanitize::redact_userinfo(&self.describe()),
            taskmanagers: self.taskmanagers.as_ref().map(|p| p.0.as_str().to_string()),
        }
    }

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
            || self.recording.is_some()
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

pub(super) fn check_group(name: &str, g: &GroupConfig) -> Result<(), ConfigError> {
    if !g.has_source() {
        return Err(ConfigError::Invalid(format!(
            "[{name}] has no source: give it `flink = \"http://jobmanager:8081\"`, `prometheus = [\"http://taskmanager:9249/\"]` and/or `jolokia = [\"http://taskmanager:8778/jolokia\"]`"
        )));
    }
    super::recorded::check(name, g)?;
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

/// How a group is described in the header and a recording: its URL (without a password)
/// and TaskManager pattern.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, Deserialize)]
pub(crate) struct GroupLabel {
    pub(crate) url: String,
    pub(crate) taskmanagers: Option<String>,
}
