//! The `[rollback]` section: the operator's rollback steps, validated at start-up.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::Dur;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct StepConfig {
    pub(crate) name: String,
    /// Run directly (no shell); placeholders only as whole elements.
    pub(crate) argv: Vec<String>,
    #[serde(default = "default_timeout")]
    pub(crate) timeout: Dur,
    #[serde(default)]
    pub(crate) continue_on_error: bool,
}

fn default_timeout() -> Dur {
    Dur(Duration::from_secs(300))
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RollbackConfig {
    /// Append-only JSON lines: one when a rollback starts, one per step.
    #[serde(default = "default_audit")]
    pub(crate) audit_log: PathBuf,
    /// Gets a Markdown and a JSON file per rollback.
    #[serde(default = "default_evidence")]
    pub(crate) evidence_dir: PathBuf,
    /// Lock file (flock) that keeps two flinkscope processes from running the rollback at
    /// once. Default: the audit log's path with `.lock` appended.
    #[serde(default)]
    pub(crate) lock_file: Option<PathBuf>,
    /// Working directory of the steps (default: the config file's folder, or the current one).
    #[serde(default)]
    pub(crate) workdir: Option<PathBuf>,
    /// Environment variables passed to the steps (besides FLINKSCOPE_*); everything else is dropped.
    #[serde(default = "default_env")]
    pub(crate) env: Vec<String>,
    /// Time between SIGTERM and SIGKILL for a step that timed out.
    #[serde(default = "default_grace")]
    pub(crate) grace: Dur,
    /// Arm the automatic rollback: a hard alert starts a countdown, `c` cancels it.
    #[serde(default)]
    pub(crate) auto: bool,
    #[serde(default = "default_countdown")]
    pub(crate) countdown: Dur,
    /// After a rollback, how long the variant has to recover (jobs RUNNING, restored from a
    /// checkpoint, throughput and p99 latency within `recovery-tolerance-pct` of the baseline).
    #[serde(default = "default_recovery_deadline")]
    pub(crate) recovery_deadline: Dur,
    #[serde(default = "default_recovery_tolerance")]
    pub(crate) recovery_tolerance_pct: f64,
    pub(crate) steps: Vec<StepConfig>,
}

fn default_audit() -> PathBuf {
    PathBuf::from("flinkscope-audit.jsonl")
}
fn default_evidence() -> PathBuf {
    PathBuf::from("flinkscope-evidence")
}
fn default_env() -> Vec<String> {
    ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "KUBECONFIG", "FLINK_HOME", "JAVA_HOME"]
        .iter()
        .map(std::string::ToString::to_string)
        .collect()
}
fn default_grace() -> Dur {
    Dur(Duration::from_secs(5))
}
fn default_recovery_deadline() -> Dur {
    Dur(Duration::from_secs(600))
}
fn default_recovery_tolerance() -> f64 {
    20.0
}
fn default_countdown() -> Dur {
    Dur(Duration::from_secs(30))
}

impl RollbackConfig {
    pub(crate) fn lock_path(&self) -> PathBuf {
        self.lock_file.clone().unwrap_or_else(|| {
            let mut p = self.audit_log.clone().into_os_string();
            p.push(".lock");
            PathBuf::from(p)
        })
    }

    /// Relative paths resolve from `dir` (the config file's folder).
    pub(super) fn resolve(&mut self, dir: &Path) {
        let r = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        };
        r(&mut self.audit_log);
        r(&mut self.evidence_dir);
        if let Some(p) = self.lock_file.as_mut() {
            r(p);
        }
        match self.workdir.as_mut() {
            Some(p) => r(p),
            None => self.workdir = Some(dir.to_path_buf()),
        }
    }

    /// Start-up checks: steps exist, placeholders are known, programs can be found.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.steps.is_empty() {
            return Err("[rollback] has no steps: add [[rollback.steps]] with name and argv".into());
        }
        for (i, s) in self.steps.iter().enumerate() {
            let at = format!("[[rollback.steps]] #{} ({:?})", i + 1, s.name);
            let Some(program) = s.argv.first() else {
                return Err(format!("{at}: argv is empty"));
            };
            crate::model::placeholders::check(&s.argv).map_err(|e| format!("{at}: {e}"))?;
            if program.contains('{') {
                return Err(format!("{at}: the program itself cannot be a placeholder"));
            }
            let workdir = self.workdir.clone().unwrap_or_else(|| PathBuf::from("."));
            if find_program(program, &workdir).is_none() {
                return Err(format!(
                    "{at}: program {program:?} not found (on PATH, or relative to {})",
                    workdir.display()
                ));
            }
        }
        Ok(())
    }
}

/// A program name is looked up on PATH; a path (with `/`) relative to the working directory.
pub(crate) fn find_program(program: &str, workdir: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| p.is_file() && p.metadata().is_ok_and(|m| m.permissions().mode() & 0o111 != 0);
    if program.contains('/') {
        let p = if Path::new(program).is_absolute() { PathBuf::from(program) } else { workdir.join(program) };
        return executable(&p).then_some(p);
    }
    std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).map(|d| d.join(program)).find(|p| executable(p)))
}
