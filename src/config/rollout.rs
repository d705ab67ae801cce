//! `[rollout]` and `[[rollout.stages]]`: the staged rollout of the test plan, each stage with
//! its scope, minimum duration, success criteria and rollback triggers in the plan's words.

use std::path::PathBuf;

use serde::{Deserialize, Deserializer};

use super::{Dur, JobSelector, TmPattern};
use crate::analysis::stage::{Criterion, Trigger};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RolloutConfig {
    /// When each stage began, so that a 48-hour stage survives a restart of flinkscope.
    /// Default: `flinkscope-rollout.json` beside the rollback's audit log, else here.
    #[serde(default)]
    pub(crate) state_file: Option<PathBuf>,
    /// The stage being watched when no `--stage` is given.
    #[serde(default)]
    pub(crate) current: Option<String>,
    pub(crate) stages: Vec<StageConfig>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StageConfig {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: String,
    /// Which jobs and TaskManagers form the variant at this stage (else the variant group's).
    #[serde(default)]
    pub(crate) scope: StageScope,
    pub(crate) min_duration: Dur,
    #[serde(default, deserialize_with = "criteria")]
    pub(crate) success: Vec<Criterion>,
    #[serde(default, deserialize_with = "triggers")]
    pub(crate) rollback_triggers: Vec<Trigger>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StageScope {
    #[serde(default)]
    pub(crate) jobs: Option<JobSelector>,
    #[serde(default)]
    pub(crate) taskmanagers: Option<TmPattern>,
}

fn criteria<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Criterion>, D::Error> {
    Vec::<String>::deserialize(d)?.iter().map(|s| Criterion::parse(s).map_err(serde::de::Error::custom)).collect()
}

fn triggers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Trigger>, D::Error> {
    Vec::<String>::deserialize(d)?.iter().map(|s| Trigger::parse(s).map_err(serde::de::Error::custom)).collect()
}

impl RolloutConfig {
    /// The state file: as configured, else beside the rollback's audit log, else here.
    pub(crate) fn state_path(&self, rollback: Option<&super::rollback::RollbackConfig>) -> PathBuf {
        if let Some(p) = &self.state_file {
            return p.clone();
        }
        rollback
            .and_then(|r| r.audit_log.parent().map(|d| d.join("flinkscope-rollout.json")))
            .unwrap_or_else(|| PathBuf::from("flinkscope-rollout.json"))
    }

    pub(crate) fn stage(&self, name: &str) -> Result<&StageConfig, String> {
        self.stages.iter().find(|s| s.name == name).ok_or_else(|| {
            format!(
                "no stage {name:?} in [[rollout.stages]] (there are: {})",
                self.stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
            )
        })
    }

    pub(super) fn check(&self) -> Result<(), String> {
        if self.stages.is_empty() {
            return Err("[rollout] needs at least one [[rollout.stages]]".into());
        }
        for (i, s) in self.stages.iter().enumerate() {
            if s.name.trim().is_empty() {
                return Err(format!("[[rollout.stages]] number {} has no name", i + 1));
            }
            if self.stages[..i].iter().any(|o| o.name == s.name) {
                return Err(format!("[[rollout.stages]]: the name {:?} is used twice", s.name));
            }
            if s.success.is_empty() && s.rollback_triggers.is_empty() {
                return Err(format!("stage {:?}: give it success criteria or rollback triggers", s.name));
            }
        }
        Ok(())
    }
}
