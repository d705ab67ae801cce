//! Failures from Flink's exception history, counted once each however often they are
//! polled, for the network-timeout and OutOfMemory alerts.

use std::collections::{HashSet, VecDeque};

/// One entry of a job's exception history (or one of its concurrent exceptions), as the
/// source classified it.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct ExceptionEntry {
    pub(crate) job_id: String,
    /// Flink's timestamp (epoch ms) of the failure.
    pub(crate) timestamp_ms: i64,
    /// Cleaned exception class name.
    pub(crate) name: String,
    pub(crate) taskmanager_id: Option<String>,
    /// A network connection or timeout error (RemoteTransportException, ...).
    pub(crate) network: bool,
    pub(crate) out_of_memory: bool,
    /// "Insufficient number of network buffers": a task could not get its buffers.
    pub(crate) buffer_shortage: bool,
    /// One of an entry's concurrent exceptions (not a failure of its own).
    pub(crate) concurrent: bool,
}

impl ExceptionEntry {
    fn key(&self) -> (String, i64, String, Option<String>) {
        (self.job_id.clone(), self.timestamp_ms, self.name.clone(), self.taskmanager_id.clone())
    }
}

/// A new failure and when flinkscope first saw it (store seconds).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SeenException {
    pub(crate) t: f64,
    pub(crate) entry: ExceptionEntry,
}

/// Bounded: remembers at most `capacity` keys and entries.
#[derive(Debug, Clone)]
pub(crate) struct ExceptionLog {
    seen: HashSet<(String, i64, String, Option<String>)>,
    order: VecDeque<(String, i64, String, Option<String>)>,
    /// Failures of this run: the rules count these.
    pub(crate) new: VecDeque<SeenException>,
    /// Entries whose Flink timestamp is before `counted_from_ms`: shown, never counted
    /// (an OutOfMemoryError of last week is not a failure of today's canary).
    pub(crate) earlier: VecDeque<ExceptionEntry>,
    /// Flink timestamps (epoch ms) before this are history, in the first read.
    pub(crate) counted_from_ms: i64,
    /// The first read of the history is done: later entries are new whatever their stamp
    /// (a JobManager's clock behind ours must not hide a failure of this run).
    settled: bool,
    capacity: usize,
}

/// How many earlier entries are kept to show (Flink keeps 16 per job by default).
const EARLIER: usize = 64;

impl Default for ExceptionLog {
    fn default() -> Self {
        ExceptionLog {
            seen: HashSet::new(),
            order: VecDeque::new(),
            new: VecDeque::new(),
            earlier: VecDeque::new(),
            counted_from_ms: i64::MIN,
            settled: false,
            capacity: 10_000,
        }
    }
}

impl ExceptionLog {
    /// Takes the entries of one poll; returns how many were new failures of this run.
    pub(crate) fn ingest(&mut self, t: f64, entries: &[ExceptionEntry]) -> usize {
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
            if !self.settled && e.timestamp_ms < self.counted_from_ms {
                if self.earlier.len() == EARLIER {
                    self.earlier.pop_front();
                }
                self.earlier.push_back(e.clone());
                continue;
            }
            if self.new.len() == self.capacity {
                self.new.pop_front();
            }
            self.new.push_back(SeenException { t, entry: e.clone() });
            added += 1;
        }
        added
    }

    /// The history has been read once: from now on every unseen entry is new.
    pub(crate) fn settle(&mut self) {
        self.settled = true;
    }

    /// Only what a screen shows (the earlier entries): a paused screen's copy, whose size
    /// does not grow with the failures the rules have counted.
    pub(crate) fn shown(&self) -> ExceptionLog {
        ExceptionLog {
            earlier: self.earlier.clone(),
            counted_from_ms: self.counted_from_ms,
            settled: self.settled,
            ..ExceptionLog::default()
        }
    }

    /// Bytes held on the heap, approximately (keys twice, entries once, their strings).
    pub(crate) fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let text = |e: &ExceptionEntry| {
            e.job_id.capacity() + e.name.capacity() + e.taskmanager_id.as_ref().map_or(0, String::capacity)
        };
        let key = size_of::<(String, i64, String, Option<String>)>();
        let keys: usize = self
            .order
            .iter()
            .map(|k| key + k.0.capacity() + k.2.capacity() + k.3.as_ref().map_or(0, String::capacity))
            .sum();
        let new: usize = self.new.iter().map(|s| size_of::<SeenException>() + text(&s.entry)).sum();
        let earlier: usize = self.earlier.iter().map(|e| size_of::<ExceptionEntry>() + text(e)).sum();
        2 * keys + new + earlier
    }

    pub(crate) fn network_since(&self, from: f64) -> usize {
        self.new.iter().filter(|s| s.t >= from && s.entry.network).count()
    }

    /// A task could not get its network buffers, in this run or before it.
    pub(crate) fn buffer_shortage(&self) -> bool {
        self.new.iter().any(|s| s.entry.buffer_shortage) || self.earlier.iter().any(|e| e.buffer_shortage)
    }

    pub(crate) fn out_of_memory(&self) -> impl Iterator<Item = &SeenException> {
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
    fn entries_from_before_the_start_are_history() {
        let mut log = ExceptionLog { counted_from_ms: 1_000, ..Default::default() };
        let oom = ExceptionEntry { out_of_memory: true, ..e(500, false) };
        assert_eq!(log.ingest(1.0, &[oom.clone(), e(1_500, true)]), 1);
        assert_eq!(log.out_of_memory().count(), 0, "last week's OOM is not counted");
        assert_eq!(log.earlier.iter().collect::<Vec<_>>(), vec![&oom]);
        assert_eq!(log.ingest(2.0, &[oom]), 0, "and is kept once");
        assert_eq!(log.earlier.len(), 1);
        assert_eq!(log.network_since(0.0), 1);
        // After the first read, an unseen entry is new even if its stamp is old (clock skew).
        log.settle();
        assert_eq!(log.ingest(3.0, &[ExceptionEntry { out_of_memory: true, ..e(900, false) }]), 1);
        assert_eq!(log.out_of_memory().count(), 1);
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
