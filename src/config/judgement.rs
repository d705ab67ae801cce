//! The `[analysis]` and `[alerts.<rule>]` sections: how the canary is judged.

use std::time::Duration;

use serde::Deserialize;

use super::Dur;
use crate::analysis::judge::{JudgeSettings, TestKind};
use crate::analysis::rules::{Hold, RuleId, RulesConfig};
use crate::analysis::verdict::{Profile, VerdictSettings, Weights};

/// Serialized into a recording's header: a replay judges as the run did.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AnalysisSettings {
    pub(crate) judge: JudgeSettings,
    /// Length of one statistics sample (at least one Flink metrics refresh is used).
    pub(crate) block: Dur,
    pub(crate) profile: Profile,
    /// Weights that replace the profile's, if given.
    pub(crate) weights: Option<Weights>,
    pub(crate) pass_score: f64,
    pub(crate) marginal_score: f64,
    /// Ring the terminal bell when a hard alert fires.
    pub(crate) bell: bool,
    /// A group without any live source for longer than this cannot PASS.
    pub(crate) stale_limit: Dur,
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        AnalysisSettings {
            judge: JudgeSettings::default(),
            block: Dur(Duration::from_secs(10)),
            profile: Profile::Default,
            weights: None,
            pass_score: 75.0,
            marginal_score: 50.0,
            bell: false,
            stale_limit: Dur(Duration::from_secs(30)),
        }
    }
}

impl AnalysisSettings {
    pub(crate) fn verdict(&self) -> VerdictSettings {
        VerdictSettings {
            weights: self.weights.unwrap_or_else(|| self.profile.weights()),
            pass: self.pass_score,
            marginal: self.marginal_score,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct AnalysisFile {
    alpha: Option<f64>,
    min_samples: Option<usize>,
    /// Percent of the larger mean.
    resource_margin: Option<f64>,
    test: Option<TestKind>,
    block: Option<Dur>,
    profile: Option<Profile>,
    weights: Option<Weights>,
    pass_score: Option<f64>,
    marginal_score: Option<f64>,
    bell: Option<bool>,
    stale_limit: Option<Dur>,
}

impl AnalysisFile {
    pub(super) fn apply(&self, a: &mut AnalysisSettings) -> Result<(), String> {
        if let Some(alpha) = self.alpha {
            if !(alpha > 0.0 && alpha < 1.0) {
                return Err(format!("[analysis] alpha = {alpha}: must be between 0 and 1"));
            }
            a.judge.alpha = alpha;
        }
        if let Some(n) = self.min_samples {
            a.judge.min_samples = n.max(2);
        }
        if let Some(m) = self.resource_margin {
            if !(0.0..=50.0).contains(&m) {
                return Err(format!("[analysis] resource-margin = {m}: a percentage from 0 to 50"));
            }
            a.judge.resource_margin = m / 100.0;
        }
        if let Some(t) = self.test {
            a.judge.test = t;
        }
        if let Some(b) = self.block {
            a.block = b;
        }
        if let Some(p) = self.profile {
            a.profile = p;
        }
        if let Some(w) = self.weights {
            let sum = w.throughput + w.latency + w.memory + w.cpu + w.stability;
            if [w.throughput, w.latency, w.memory, w.cpu, w.stability].iter().any(|x| *x < 0.0) || sum <= 0.0 {
                return Err("[analysis.weights]: weights must be >= 0 with a positive sum".into());
            }
            a.weights = Some(w);
        }
        if let Some(s) = self.pass_score {
            a.pass_score = s;
        }
        if let Some(s) = self.marginal_score {
            a.marginal_score = s;
        }
        if a.marginal_score > a.pass_score {
            return Err(format!(
                "[analysis] marginal-score ({}) is above pass-score ({})",
                a.marginal_score, a.pass_score
            ));
        }
        if let Some(b) = self.bell {
            a.bell = b;
        }
        if let Some(l) = self.stale_limit {
            a.stale_limit = l;
        }
        Ok(())
    }
}

/// One `[alerts.<rule>]` table: every key optional, laid over the rule's default.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RuleFile {
    enabled: Option<bool>,
    threshold: Option<f64>,
    floor: Option<f64>,
    #[serde(rename = "for")]
    hold: Option<HoldFile>,
}

/// `for = 3` (evaluations) or `for = "30s"`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(untagged)]
enum HoldFile {
    Evaluations(u32),
    Duration(Dur),
}

impl From<HoldFile> for Hold {
    fn from(h: HoldFile) -> Hold {
        match h {
            HoldFile::Evaluations(n) => Hold::Evaluations(n),
            HoldFile::Duration(d) => Hold::Duration(d.0),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct AlertsFile {
    job_failures: Option<RuleFile>,
    taskmanager_failures: Option<RuleFile>,
    network_timeouts: Option<RuleFile>,
    out_of_memory: Option<RuleFile>,
    checkpoint_failures: Option<RuleFile>,
    throughput: Option<RuleFile>,
    latency_p99: Option<RuleFile>,
    cpu: Option<RuleFile>,
    memory: Option<RuleFile>,
    backpressure: Option<RuleFile>,
}

impl AlertsFile {
    pub(super) fn apply(&self, rules: &mut RulesConfig) -> Result<(), String> {
        let tables = [
            (RuleId::JobFailures, self.job_failures),
            (RuleId::TaskmanagerFailures, self.taskmanager_failures),
            (RuleId::NetworkTimeouts, self.network_timeouts),
            (RuleId::OutOfMemory, self.out_of_memory),
            (RuleId::CheckpointFailures, self.checkpoint_failures),
            (RuleId::Throughput, self.throughput),
            (RuleId::LatencyP99, self.latency_p99),
            (RuleId::Cpu, self.cpu),
            (RuleId::Memory, self.memory),
            (RuleId::Backpressure, self.backpressure),
        ];
        for (id, table) in tables {
            let Some(t) = table else { continue };
            let r = rules.rules.get_mut(&id).expect("every rule has a default");
            if let Some(e) = t.enabled {
                r.enabled = e;
            }
            if let Some(x) = t.threshold {
                if !x.is_finite() || x < 0.0 {
                    return Err(format!("[alerts.{}] threshold = {x}: must be >= 0", id.as_str()));
                }
                r.threshold = x;
            }
            if let Some(x) = t.floor {
                if !x.is_finite() || x < 0.0 {
                    return Err(format!("[alerts.{}] floor = {x}: must be >= 0", id.as_str()));
                }
                r.floor = x;
            }
            if let Some(h) = t.hold.map(Hold::from) {
                if h == Hold::Evaluations(0) {
                    return Err(format!("[alerts.{}] for = 0: use 1 or more evaluations", id.as_str()));
                }
                r.hold = h;
            }
        }
        Ok(())
    }
}
