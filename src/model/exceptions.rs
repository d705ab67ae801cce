//! Failures from Flink's exception history, counted once each however often they are
//! polled, for the network-timeout and OutOfMemory alerts.

use std::collections::{HashSet, VecDeque};

/// One entry of a job's exception history (or one of its concurrent exceptions), as the
/// source classified it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExceptionEntry {
    pub job_id: String,
    /// Flink's timestamp (epoch ms) of the failure.
    pub timestamp_ms: i64,
    /// Cleaned exception class name.
    pub name: String,
    pub taskmanager_id: Option<String>,
    /// A network connection or timeout error (RemoteTransportException, ...).
    pub network: bool,
    pub out_of_memory: bool,
    /// One of an entry's concurrent exceptions (not a failure of its own).
    pub concurrent: bool,
}

impl ExceptionEntry {
    fn key(&self) -> (String, i64, String, Option<String>) {
        (self.job_id.clone(), self.timestamp_ms, self.name.clone(), self.taskmanager_id.clone())
    }
}

/// A new failure and when flinkscope first saw it (store seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct SeenException {
    pub t: f64,
    pub entry: ExceptionEntry,
}

/// Bounded: remembers at most `capacity` keys and entries.
#[derive(Debug, Clone)]
pub struct ExceptionLog {
    seen: HashSet<(String, i64, String, Option<String>)>,
    order: VecDeque<(String, i64, String, Option<String>)>,
    pub new: VecDeque<SeenException>,
    capacity: usize,
}

impl Default for ExceptionLog {
    fn default() -> Self {
        ExceptionLog { seen: HashSet::new(), order: VecDeque::new(), new: VecDeque::new(), capacity: 10_000 }
    }
}

impl ExceptionLog {
    /// Takes the entries of one poll; returns how many were new.
    pub fn ingest(&mut self, t: f64, entries: &[ExceptionEntry]) -> usize {
        let mut added = 0;
        for e in entries {
            let key = e.key();
            if self.seen.contains(&key) {
                continue;
            }
            if self.order.len() == self.capacity
                && let Some(old) = self.order.pop_front()
            {
                self.seen.remove(&old);
            }
            self.seen.insert(key.clone());
            self.order.push_back(key);
            if self.new.len() == self.capacity {
                self.new.pop_front();
            }
            self.new.push_back(SeenException { t, entry: e.clone() });
            added += 1;
        }
        added
    }

    pub fn network_since(&self, from: f64) -> usize {
        self.new.iter().filter(|s| s.t >= from && s.entry.network).count()
    }

    pub fn out_of_memory(&self) -> impl Iterator<Item = &SeenException> {
        self.new.iter().filter(|s| s.entry.out_of_memory)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(ts: i64, network: bool) -> ExceptionEntry {
        ExceptionEntry { job_id: "j".into(), timestamp_ms: ts, name: "X".into(), network, ..Default::default() }
    }

    #[test]
    fn counted_once_across_polls() {
        let mut log = ExceptionLog::default();
        assert_eq!(log.ingest(1.0, &[e(1, true), e(2, false)]), 2);
        assert_eq!(log.ingest(2.0, &[e(1, true), e(2, false), e(3, true)]), 1);
        assert_eq!(log.network_since(0.0), 2);
        assert_eq!(log.network_since(1.5), 1);
    }

    #[test]
    fn bounded() {
        let mut log = ExceptionLog { capacity: 10, ..Default::default() };
        for i in 0..1000 {
            log.ingest(i as f64, &[e(i, true)]);
        }
        assert!(log.new.len() <= 10 && log.seen.len() <= 10);
    }
}
