//! Each source's health: live, stale for N s, or failed with the reason.

use std::time::{Duration, Instant};

use crate::analysis::verdict;
use crate::model::source::SourceId;
use crate::model::{Group, SourceKind};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum HealthState {
    /// No answer yet.
    Waiting,
    Live,
    /// Polls succeed but Flink's metrics have not refreshed for this long.
    Stale(Duration),
    Failed(String),
}

#[derive(Debug, Clone)]
pub(crate) struct SourceHealth {
    pub(crate) name: String,
    started: Instant,
    last_fresh: Option<Instant>,
    error: Option<(Instant, String)>,
    refresh_interval: Duration,
    /// What the last good poll could not read (a Jolokia MBean that answered 404).
    pub(crate) warnings: Vec<String>,
    /// Since when the source has been failed or stale (as last observed).
    bad_since: Option<Instant>,
    /// How long it was failed or stale before that, in all.
    bad_before: Duration,
}

impl SourceHealth {
    pub(crate) fn new(name: String, started: Instant) -> Self {
        SourceHealth {
            name,
            started,
            last_fresh: None,
            error: None,
            refresh_interval: Duration::from_secs(10),
            warnings: Vec::new(),
            bad_since: None,
            bad_before: Duration::ZERO,
        }
    }

    /// Notes at `now` whether the source is failed or stale, for `bad_for` and
    /// `bad_total` (called on every tick and sample).
    pub(crate) fn observe(&mut self, now: Instant) {
        let bad = matches!(self.state(now), HealthState::Failed(_) | HealthState::Stale(_));
        match (bad, self.bad_since) {
            (true, None) => {
                // A stale state began when the last refresh was three intervals old.
                let began = match self.state(now) {
                    HealthState::Stale(d) => now.checked_sub(d.saturating_sub(self.refresh_interval * 3)),
                    _ => self.error.as_ref().map(|(t, _)| *t),
                };
                self.bad_since = Some(began.unwrap_or(now).min(now));
            }
            (false, Some(since)) => {
                self.bad_before += now.saturating_duration_since(since);
                self.bad_since = None;
            }
            _ => {}
        }
    }

    /// How long it has been failed or stale without a break; `None` while it is fine.
    pub(crate) fn bad_for(&self, now: Instant) -> Option<Duration> {
        self.bad_since.map(|s| now.saturating_duration_since(s))
    }

    /// How long it was failed or stale in all, until `now`.
    pub(crate) fn bad_total(&self, now: Instant) -> Duration {
        self.bad_before + self.bad_for(now).unwrap_or_default()
    }

    pub(crate) fn ok(&mut self, fresh: bool, at: Instant, refresh_interval: Duration) {
        self.error = None;
        self.refresh_interval = refresh_interval;
        if fresh {
            self.last_fresh = Some(at.max(self.last_fresh.unwrap_or(at)));
        }
    }

    pub(crate) fn has_refreshed(&self) -> bool {
        self.last_fresh.is_some()
    }

    pub(crate) fn failed(&mut self, at: Instant, reason: String) {
        self.error = Some((at, reason));
    }

    /// Stale only when no refresh arrived for three fetcher intervals (Flink refreshes its
    /// REST metrics every `metrics.fetcher.update-interval`; repeats in between are normal).
    pub(crate) fn state(&self, now: Instant) -> HealthState {
        if let Some((_, reason)) = &self.error {
            return HealthState::Failed(reason.clone());
        }
        let limit = self.refresh_interval * 3;
        match self.last_fresh {
            None if now.saturating_duration_since(self.started) > limit => {
                HealthState::Stale(now.saturating_duration_since(self.started))
            }
            None => HealthState::Waiting,
            Some(t) if now.saturating_duration_since(t) > limit => HealthState::Stale(now.saturating_duration_since(t)),
            Some(_) => HealthState::Live,
        }
    }
}

/// The sources' health as the app sees it: per group, its main source's state, how long it
/// has gone without live data.
impl super::App {
    /// Groups whose every source (this host's /proc aside) has been failed or stale for
    /// longer than the stale limit: they cannot PASS.
    pub(crate) fn stale_groups(&self) -> Vec<String> {
        let limit = self.settings.analysis.stale_limit.0;
        Group::BOTH
            .into_iter()
            .filter_map(|g| {
                let sources: Vec<&SourceHealth> = self
                    .health
                    .iter()
                    .filter(|(id, _)| id.group == g && id.kind != SourceKind::Host)
                    .map(|(_, h)| h)
                    .collect();
                let bad_for = sources.iter().map(|h| h.bad_for(self.now)).collect::<Option<Vec<_>>>()?;
                let shortest = bad_for.into_iter().min()?;
                (shortest > limit).then(|| {
                    let why: Vec<String> = sources
                        .iter()
                        .map(|h| match h.state(self.now) {
                            HealthState::Failed(r) => format!("{} failed: {r}", h.name),
                            _ => format!("{} stale", h.name),
                        })
                        .collect();
                    format!(
                        "{}: no live data for {} ({})",
                        g.as_str(),
                        verdict::about(shortest.as_secs_f64()),
                        why.join("; ")
                    )
                })
            })
            .collect()
    }

    /// The group's main source: REST, or its Prometheus endpoints when it has no REST URL.
    pub(crate) fn health_of(&self, group: Group) -> HealthState {
        self.main_source(group).and_then(|k| self.health_of_kind(group, k)).unwrap_or(HealthState::Waiting)
    }

    /// The source that stands for the group (its state is the group's): the precedence
    /// table's best describer among the group's configured sources.
    pub(crate) fn main_source(&self, group: Group) -> Option<SourceKind> {
        SourceKind::main_of(|k| self.health.contains_key(&SourceId { group, kind: k }))
    }

    /// How many reads the group's sources could not do in their last good poll.
    pub(crate) fn warnings_of(&self, group: Group) -> usize {
        self.health.iter().filter(|(id, _)| id.group == group).map(|(_, h)| h.warnings.len()).sum()
    }

    /// `None` when that source is not configured for the group.
    pub(crate) fn health_of_kind(&self, group: Group, kind: SourceKind) -> Option<HealthState> {
        self.health.get(&SourceId { group, kind }).map(|h| h.state(self.now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_over_time() {
        let t0 = Instant::now();
        let s = |secs: u64| t0 + Duration::from_secs(secs);
        let mut h = SourceHealth::new("baseline/flink-rest".into(), t0);
        assert_eq!(h.state(s(1)), HealthState::Waiting);
        h.ok(false, s(1), Duration::from_secs(10));
        assert_eq!(h.state(s(31)), HealthState::Stale(Duration::from_secs(31)));
        h.ok(true, s(31), Duration::from_secs(10));
        assert_eq!(h.state(s(40)), HealthState::Live);
        // Repeats for less than three intervals stay live.
        h.ok(false, s(55), Duration::from_secs(10));
        assert_eq!(h.state(s(60)), HealthState::Live);
        assert_eq!(h.state(s(62)), HealthState::Stale(Duration::from_secs(31)));
        h.failed(s(63), "HTTP 502".into());
        assert_eq!(h.state(s(63)), HealthState::Failed("HTTP 502".into()));
        h.ok(true, s(64), Duration::from_secs(10));
        assert_eq!(h.state(s(64)), HealthState::Live);
    }

    #[test]
    fn bad_time_is_counted() {
        let t0 = Instant::now();
        let s = |secs: u64| t0 + Duration::from_secs(secs);
        let mut h = SourceHealth::new("variant/flink-rest".into(), t0);
        h.ok(true, s(1), Duration::from_secs(10));
        h.observe(s(2));
        assert_eq!(h.bad_for(s(2)), None);
        h.failed(s(10), "connection refused".into());
        h.observe(s(12));
        assert_eq!(h.bad_for(s(20)), Some(Duration::from_secs(10)), "failed since the failure");
        h.ok(true, s(20), Duration::from_secs(10));
        h.observe(s(20));
        assert_eq!(h.bad_for(s(21)), None);
        // No refresh from 20 s on: stale from 50 s (three intervals), seen at 60 s.
        h.observe(s(60));
        assert_eq!(h.bad_for(s(60)), Some(Duration::from_secs(10)));
        assert_eq!(h.bad_total(s(60)), Duration::from_secs(20));
    }
}
