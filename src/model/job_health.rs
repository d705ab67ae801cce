//! One row per job of a group for the Job Health panel: state, uptime, restarts, the last
//! checkpoint, the worst vertex's backpressure and records/s, as the REST source read them.
//! Times are Flink's (the JobManager's clock, epoch milliseconds) with the JobManager's
//! "now" of the same answer, so an age never mixes this host's clock with Flink's.

use std::collections::{BTreeMap, VecDeque};

use super::JobState;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JobHealth {
    pub(crate) id: String,
    /// Cleaned of control characters by the source.
    pub(crate) name: String,
    pub(crate) state: JobState,
    /// The JobManager's clock when it answered (`now` of `/jobs/:id`).
    pub(crate) now_ms: Option<i64>,
    pub(crate) start_ms: Option<i64>,
    /// When a terminal job ended.
    pub(crate) end_ms: Option<i64>,
    pub(crate) restarts: Option<u64>,
    pub(crate) checkpoints: Option<CheckpointHealth>,
    /// 0 ok, 1 low, 2 high: the worst of its vertices' levels.
    pub(crate) backpressure: Option<u8>,
    /// Records in per second summed over its subtasks (of the group's TaskManagers).
    pub(crate) records_in_per_s: Option<f64>,
}

/// `/jobs/:id/checkpoints`: counts and the latest completed and restored checkpoints.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CheckpointHealth {
    pub(crate) completed: u64,
    pub(crate) failed: u64,
    /// When the last completed checkpoint was acknowledged (JobManager clock).
    pub(crate) last_ack_ms: Option<i64>,
    pub(crate) last_duration_ms: Option<u64>,
    pub(crate) last_size_bytes: Option<u64>,
    /// The checkpoint the job last restored from (after a failover or a rollback).
    pub(crate) restored_id: Option<u64>,
}

impl JobHealth {
    /// A job known only from the overview (terminal, or not read in detail yet).
    pub(crate) fn new(id: &str, name: &str, state: JobState) -> JobHealth {
        JobHealth {
            id: id.to_string(),
            name: name.to_string(),
            state,
            now_ms: None,
            start_ms: None,
            end_ms: None,
            restarts: None,
            checkpoints: None,
            backpressure: None,
            records_in_per_s: None,
        }
    }

    /// How long it has run, by Flink's clock (`None` once it ended).
    pub(crate) fn uptime_ms(&self) -> Option<u64> {
        if self.state.is_terminal() {
            return None;
        }
        Some(self.now_ms?.saturating_sub(self.start_ms?).max(0) as u64)
    }

    /// How long ago the last checkpoint completed, by Flink's clock.
    pub(crate) fn checkpoint_age_ms(&self) -> Option<u64> {
        let ack = self.checkpoints.as_ref()?.last_ack_ms?;
        Some(self.now_ms?.saturating_sub(ack).max(0) as u64)
    }

    /// How troubled the job looks, for "unhealthy first": higher is worse, 0 is healthy. A
    /// job that is not running outranks backpressure, which outranks restarts and failed
    /// checkpoints within the window (Flink's counts since the start would mark a job
    /// unhealthy for good after one failure).
    pub(crate) fn trouble(&self, recent: Recent) -> u32 {
        let state = match &self.state {
            JobState::Running | JobState::Finished => 0,
            JobState::Starting { .. } | JobState::Initializing | JobState::Created | JobState::Reconciling => 2,
            _ => 4,
        };
        state * 16
            + u32::from(self.backpressure.unwrap_or(0).min(2)) * 4
            + u32::from(recent.restarts > 0) * 2
            + u32::from(recent.failed_checkpoints > 0)
    }
}

/// What went up within the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Recent {
    pub(crate) restarts: u64,
    pub(crate) failed_checkpoints: u64,
}

/// The group's jobs as last read, and when each job's restart and failed-checkpoint counts
/// went up: "+N in the window" is the count now less the count at the window's start.
#[derive(Debug, Clone, Default)]
pub(crate) struct JobBoard {
    pub(crate) rows: Vec<JobHealth>,
    /// Per job: (store time, restarts, failed checkpoints) at each change, oldest first.
    marks: BTreeMap<String, VecDeque<(f64, u64, u64)>>,
}

/// Changes kept per job: a job failing more often than this within a window shows at
/// least this many.
const MARKS_PER_JOB: usize = 64;

impl JobBoard {
    pub(crate) fn update(&mut self, t: f64, rows: Vec<JobHealth>) {
        for r in &rows {
            let failed = r.checkpoints.as_ref().map(|c| c.failed);
            if r.restarts.is_none() && failed.is_none() {
                continue;
            }
            let marks = self.marks.entry(r.id.clone()).or_default();
            let last = marks.back().map(|(_, a, b)| (*a, *b));
            let now = (r.restarts.or(last.map(|l| l.0)).unwrap_or(0), failed.or(last.map(|l| l.1)).unwrap_or(0));
            if last != Some(now) {
                marks.push_back((t, now.0, now.1));
                if marks.len() > MARKS_PER_JOB {
                    marks.pop_front();
                }
            }
        }
        self.marks.retain(|id, _| rows.iter().any(|r| &r.id == id));
        self.rows = rows;
    }

    /// The rows with what went up since `from`, unhealthy first (then by name).
    pub(crate) fn worst_first(&self, from: f64) -> Vec<(&JobHealth, Recent)> {
        let mut rows: Vec<(&JobHealth, Recent)> = self.rows.iter().map(|r| (r, self.since(&r.id, from))).collect();
        rows.sort_by(|(a, an), (b, bn)| b.trouble(*bn).cmp(&a.trouble(*an)).then_with(|| a.name.cmp(&b.name)));
        rows
    }

    /// What went up for a job since store time `from` (since it was first seen when that
    /// is later).
    pub(crate) fn since(&self, id: &str, from: f64) -> Recent {
        let Some(marks) = self.marks.get(id) else { return Recent::default() };
        let Some((_, r, f)) = marks.back() else { return Recent::default() };
        let (_, r0, f0) =
            marks.iter().rev().find(|(t, _, _)| *t <= from).or(marks.front()).copied().unwrap_or_default();
        Recent { restarts: r.saturating_sub(r0), failed_checkpoints: f.saturating_sub(f0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str, state: JobState) -> JobHealth {
        JobHealth::new(id, id, state)
    }

    #[test]
    fn restarts_in_the_window_count_from_its_start() {
        let mut b = JobBoard::default();
        let with = |n| JobHealth { restarts: Some(n), ..job("a", JobState::Running) };
        b.update(0.0, vec![with(3)]);
        b.update(10.0, vec![with(3)]);
        b.update(20.0, vec![with(4)]);
        b.update(30.0, vec![with(6)]);
        assert_eq!(b.since("a", 5.0).restarts, 3, "3 at the window's start, 6 now");
        assert_eq!(b.since("a", 25.0).restarts, 2);
        assert_eq!(b.since("a", -100.0).restarts, 3, "before it was seen: since first seen");
        assert_eq!(b.since("other", 0.0), Recent::default());
        let failing = |n| JobHealth {
            restarts: Some(6),
            checkpoints: Some(CheckpointHealth { failed: n, ..Default::default() }),
            ..job("a", JobState::Running)
        };
        b.update(35.0, vec![failing(1)]);
        b.update(36.0, vec![failing(3)]);
        assert_eq!(b.since("a", 35.5), Recent { restarts: 0, failed_checkpoints: 2 });
        b.update(40.0, vec![]);
        assert_eq!(b.since("a", 0.0), Recent::default(), "a job gone from the rows is forgotten");
    }

    #[test]
    fn unhealthy_ranks_above_healthy() {
        let running = job("a", JobState::Running);
        let canceled = job("b", JobState::Canceled);
        let backpressured = JobHealth { backpressure: Some(2), ..job("c", JobState::Running) };
        let quiet = Recent::default();
        let restarted = Recent { restarts: 1, failed_checkpoints: 0 };
        let failed = Recent { restarts: 0, failed_checkpoints: 1 };
        assert!(canceled.trouble(quiet) > backpressured.trouble(Recent { restarts: 5, failed_checkpoints: 5 }));
        assert!(backpressured.trouble(quiet) > running.trouble(restarted));
        assert!(running.trouble(restarted) > running.trouble(failed));
        assert!(running.trouble(failed) > 0);
        assert_eq!(running.trouble(quiet), 0);
        assert_eq!(job("d", JobState::Finished).trouble(quiet), 0, "a finished batch job is not unhealthy");
    }

    #[test]
    fn ages_are_read_on_flinks_clock() {
        let j = JobHealth {
            now_ms: Some(100_000),
            start_ms: Some(40_000),
            checkpoints: Some(CheckpointHealth { last_ack_ms: Some(95_000), ..Default::default() }),
            ..job("a", JobState::Running)
        };
        assert_eq!(j.uptime_ms(), Some(60_000));
        assert_eq!(j.checkpoint_age_ms(), Some(5_000));
        assert_eq!(JobHealth { state: JobState::Canceled, ..j }.uptime_ms(), None);
    }
}
