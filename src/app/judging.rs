//! The app's judgement: every metric judged, every rule evaluated, the alerts and the
//! verdict brought up to date, and the troubleshooting hints for what is wrong now.

use super::{App, Command};
use crate::analysis::judge;
use crate::analysis::rules::{self, RuleId};
use crate::analysis::verdict::{self, DataState};
use crate::model::{Group, MetricKey};

impl App {
    /// Wall-clock time of `self.now` (alerts carry wall-clock times).
    pub(crate) fn wall_clock(&self) -> std::time::SystemTime {
        self.started_wall + self.now.saturating_duration_since(self.started)
    }

    /// Judges every metric, evaluates every rule, updates alerts and the verdict.
    pub fn evaluate(&mut self, wall: std::time::SystemTime) -> Option<Command> {
        let s = &self.settings;
        let window = self.window.as_secs_f64();
        let now = self.live.now;
        let store = &self.live.store;
        // The sequential test judges every block since the start (the store's retention
        // bounds them); fixed-horizon tests judge the window.
        self.live.judgements =
            judge::judge_all_memo(&mut self.judge_memo, store, now, window, f64::NEG_INFINITY, &s.analysis.judge);
        let base = rules::group_health(store, Group::Baseline, now, window, self.split);
        let var = rules::group_health(store, Group::Variant, now, window, self.split);
        let results: Vec<(RuleId, Option<rules::Breach>)> = RuleId::ALL
            .iter()
            .map(|r| {
                (*r, s.rules.rules.get(r).and_then(|c| rules::evaluate(*r, c, &base, &var, &self.live.judgements)))
            })
            .collect();
        let fired = self.alerts.update(&results, &s.rules, wall);
        self.live.verdict = verdict::verdict(
            &self.live.judgements,
            &self.alerts,
            &s.rules,
            &s.analysis.verdict(),
            var.failures > base.failures,
            &DataState {
                min_samples: s.analysis.judge.min_samples,
                block_s: store.block_seconds(Group::Baseline).max(store.block_seconds(Group::Variant)),
                stale: self.stale_groups(),
                settings: self.flink_settings.review.blocking(),
                latency_expected: Group::BOTH.into_iter().any(|g| {
                    let d = store.group(g);
                    d.latency_window.is_some() || d.series(MetricKey::LatencyP99Ms).last_value().is_some()
                }),
            },
        );
        self.evaluations += 1;
        for a in &fired {
            tracing::warn!(rule = a.rule.as_str(), severity = ?a.severity, message = %a.message, "alert fired");
        }
        let hard = fired.iter().any(|a| a.severity == rules::Severity::Hard);
        let bell = hard && s.analysis.bell;
        if hard {
            self.arm_countdown();
        }
        self.note_stage(wall);
        if let Some(c) = self.check_recovery() {
            // Rare (once per rollback) and never at the same evaluation as a bell worth more.
            return Some(c);
        }
        bell.then_some(Command::Bell)
    }

    /// The troubleshooting guide's hints for what is wrong now: each active alert's symptom
    /// (in the variant, which the rules judge), and a group's "Insufficient number of
    /// network buffers" in its exception history.
    pub(crate) fn hints(&self) -> Vec<(Group, crate::analysis::settings::hints::Hint)> {
        use crate::analysis::settings::hints::Symptom;
        let mut seen: Vec<(Group, Symptom)> = Vec::new();
        for a in self.alerts.active.values() {
            if let Some(s) = Symptom::of_rule(a.rule)
                && !seen.contains(&(Group::Variant, s))
            {
                seen.push((Group::Variant, s));
            }
        }
        for g in Group::BOTH {
            if self.view().store.group(g).exceptions.buffer_shortage() {
                seen.push((g, Symptom::BufferShortage));
            }
        }
        seen.sort();
        seen.into_iter().map(|(g, s)| (g, self.flink_settings.hint(g, s))).collect()
    }
}
