//! Each source's health: live, stale for N s, or failed with the reason.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq)]
pub enum HealthState {
    /// No answer yet.
    Waiting,
    Live,
    /// Polls succeed but Flink's metrics have not refreshed for this long.
    Stale(Duration),
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct SourceHealth {
    pub name: String,
    started: Instant,
    last_fresh: Option<Instant>,
    error: Option<(Instant, String)>,
    refresh_interval: Duration,
    /// What the last good poll could not read (a Jolokia MBean that answered 404).
    pub warnings: Vec<String>,
}

impl SourceHealth {
    pub fn new(name: String, started: Instant) -> Self {
        SourceHealth {
            name,
            started,
            last_fresh: None,
            error: None,
            refresh_interval: Duration::from_secs(10),
            warnings: Vec::new(),
        }
    }

    pub fn ok(&mut self, fresh: bool, at: Instant, refresh_interval: Duration) {
        self.error = None;
        self.refresh_interval = refresh_interval;
        if fresh {
            self.last_fresh = Some(at.max(self.last_fresh.unwrap_or(at)));
        }
    }

    pub fn has_refreshed(&self) -> bool {
        self.last_fresh.is_some()
    }

    pub fn failed(&mut self, at: Instant, reason: String) {
        self.error = Some((at, reason));
    }

    /// Stale only when no refresh arrived for three fetcher intervals (Flink refreshes its
    /// REST metrics every `metrics.fetcher.update-interval`; repeats in between are normal).
    pub fn state(&self, now: Instant) -> HealthState {
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
}
