//! Alert lifecycle: a breaching rule fires once it has held long enough, stays active
//! while it holds, resolves when it clears, and stays in the history.

use std::collections::{BTreeMap, VecDeque};
use std::time::SystemTime;

use super::rules::{Breach, RuleId, RulesConfig, Severity, holds_long_enough};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Alert {
    pub(crate) rule: RuleId,
    pub(crate) severity: Severity,
    pub(crate) metric: &'static str,
    pub(crate) observed: f64,
    pub(crate) baseline: f64,
    pub(crate) threshold: f64,
    /// When the condition began to hold (its first breaching evaluation).
    pub(crate) since: SystemTime,
    pub(crate) resolved: Option<SystemTime>,
    pub(crate) message: String,
}

impl Alert {
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "severity": self.severity,
            "rule": self.rule.as_str(),
            "metric": self.metric,
            "observed": finite(self.observed),
            "baseline": finite(self.baseline),
            "threshold": finite(self.threshold),
            "since": rfc3339(self.since),
            "resolved": self.resolved.map(rfc3339),
            "message": self.message,
        })
    }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

pub(crate) fn rfc3339(t: SystemTime) -> String {
    time::OffsetDateTime::from(t).format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

const HISTORY: usize = 500;

#[derive(Debug, Clone, Default)]
pub(crate) struct AlertBook {
    /// Rules breaching now, not (yet) long enough: consecutive evaluations and since when.
    pending: BTreeMap<RuleId, (u32, SystemTime)>,
    pub(crate) active: BTreeMap<RuleId, Alert>,
    /// Resolved alerts, newest last (bounded).
    pub(crate) history: VecDeque<Alert>,
    /// A hard alert has fired at some point of this run.
    pub(crate) hard_fired: bool,
}

impl AlertBook {
    /// Takes one evaluation of every rule; returns the alerts that fired now.
    pub(crate) fn update(
        &mut self,
        results: &[(RuleId, Option<Breach>)],
        config: &RulesConfig,
        now: SystemTime,
    ) -> Vec<Alert> {
        let mut fired = Vec::new();
        for (rule, breach) in results {
            if let Some(b) = breach {
                let entry = self.pending.entry(*rule).or_insert((0, now));
                entry.0 += 1;
                let (count, since) = *entry;
                if let Some(active) = self.active.get_mut(rule) {
                    active.observed = b.observed;
                    active.baseline = b.baseline;
                    active.message = b.message.clone();
                    continue;
                }
                let hold = config.rules.get(rule).map_or(super::rules::Hold::Evaluations(3), |c| c.hold);
                let held_for = now.duration_since(since).unwrap_or_default();
                if holds_long_enough(hold, count, held_for) {
                    let alert = Alert {
                        rule: *rule,
                        severity: rule.severity(),
                        metric: rule.metric().as_str(),
                        observed: b.observed,
                        baseline: b.baseline,
                        threshold: b.threshold,
                        since,
                        resolved: None,
                        message: b.message.clone(),
                    };
                    self.hard_fired |= alert.severity == Severity::Hard;
                    self.active.insert(*rule, alert.clone());
                    fired.push(alert);
                }
            } else {
                self.pending.remove(rule);
                if let Some(mut a) = self.active.remove(rule) {
                    a.resolved = Some(now);
                    if self.history.len() == HISTORY {
                        self.history.pop_front();
                    }
                    self.history.push_back(a);
                }
            }
        }
        fired
    }

    /// Active alerts (hard first), then the history (newest first).
    pub(crate) fn all(&self) -> Vec<&Alert> {
        let mut active: Vec<&Alert> = self.active.values().collect();
        active.sort_by_key(|a| (a.severity, a.since));
        active.into_iter().chain(self.history.iter().rev()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn breach() -> Option<Breach> {
        Some(Breach { observed: 50.0, baseline: 0.0, threshold: 20.0, message: "lost".into() })
    }

    #[test]
    fn flapping_fires_nothing_and_a_held_condition_fires_once() {
        let config = RulesConfig::default();
        let mut book = AlertBook::default();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let at = |s: u64| t0 + Duration::from_secs(s);
        let r = RuleId::TaskmanagerFailures;
        // breach, clear, breach, breach, clear: never three in a row
        for (i, b) in [breach(), None, breach(), breach(), None].into_iter().enumerate() {
            assert!(book.update(&[(r, b)], &config, at(i as u64)).is_empty(), "evaluation {i}");
        }
        assert!(book.active.is_empty() && book.history.is_empty());
        // three in a row fires, since the first of them
        assert!(book.update(&[(r, breach())], &config, at(10)).is_empty());
        assert!(book.update(&[(r, breach())], &config, at(11)).is_empty());
        let fired = book.update(&[(r, breach())], &config, at(12));
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].since, at(10));
        assert!(book.hard_fired);
        assert!(book.update(&[(r, breach())], &config, at(13)).is_empty(), "fires once");
        // clears: resolved, kept in the history
        book.update(&[(r, None)], &config, at(14));
        assert!(book.active.is_empty());
        assert_eq!(book.history[0].resolved, Some(at(14)));
        assert_eq!(book.all().len(), 1);
    }

    #[test]
    fn json_shape() {
        let config = RulesConfig::default();
        let mut book = AlertBook::default();
        let fired = book.update(&[(RuleId::OutOfMemory, breach())], &config, SystemTime::UNIX_EPOCH);
        let j = fired[0].to_json();
        assert_eq!(j["severity"], "hard");
        assert_eq!(j["rule"], "out-of-memory");
        assert_eq!(j["since"], "1970-01-01T00:00:00Z");
        assert!(j["resolved"].is_null());
        for k in ["metric", "observed", "baseline", "threshold", "message"] {
            assert!(!j[k].is_null(), "{k}");
        }
    }
}
