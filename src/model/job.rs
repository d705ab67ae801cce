//! A job's state, parsed from Flink's job status at the source: rules and the screen ask
//! it questions (running? failed?) instead of comparing strings.

use std::fmt;

/// Flink's job statuses (`org.apache.flink.api.common.JobStatus`), and while Flink says
/// RUNNING but tasks still wait for slots, what they wait in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum JobState {
    Initializing,
    Created,
    Running,
    /// Flink says RUNNING, but not every task runs yet: the commonest other task state
    /// (e.g. SCHEDULED, DEPLOYING) and how many of the tasks run.
    Starting {
        tasks: String,
        running: i64,
        total: i64,
    },
    Failing,
    Failed,
    Cancelling,
    Canceled,
    Finished,
    Restarting,
    Suspended,
    Reconciling,
    /// A status this version of flinkscope does not know (cleaned).
    Other(String),
}

const NAMES: [(&str, JobState); 11] = [
    ("INITIALIZING", JobState::Initializing),
    ("CREATED", JobState::Created),
    ("RUNNING", JobState::Running),
    ("FAILING", JobState::Failing),
    ("FAILED", JobState::Failed),
    ("CANCELLING", JobState::Cancelling),
    ("CANCELED", JobState::Canceled),
    ("FINISHED", JobState::Finished),
    ("RESTARTING", JobState::Restarting),
    ("SUSPENDED", JobState::Suspended),
    ("RECONCILING", JobState::Reconciling),
];

impl JobState {
    /// Flink's status as the REST API spells it; an unknown one is kept, cleaned.
    pub(crate) fn parse(status: &str) -> JobState {
        NAMES
            .iter()
            .find(|(n, _)| *n == status)
            .map_or_else(|| JobState::Other(crate::sanitize::clean(status)), |(_, s)| s.clone())
    }

    pub(crate) fn is_running(&self) -> bool {
        *self == JobState::Running
    }

    pub(crate) fn is_failed(&self) -> bool {
        *self == JobState::Failed
    }

    /// A terminal status: the job runs no tasks any more.
    pub(crate) fn is_terminal(&self) -> bool {
        matches!(self, JobState::Finished | JobState::Canceled | JobState::Failed | JobState::Suspended)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobState::Starting { tasks, running, total } => write!(f, "{tasks} ({running}/{total} running)"),
            JobState::Other(s) => f.write_str(s),
            known => f.write_str(NAMES.iter().find(|(_, s)| s == known).map_or("?", |(n, _)| n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_as_flink_spells_it() {
        for (name, state) in NAMES {
            assert_eq!(JobState::parse(name), state);
            assert_eq!(state.to_string(), name);
        }
        assert_eq!(JobState::parse("RUNNING"), JobState::Running);
        assert!(JobState::parse("FAILED").is_failed() && JobState::parse("FAILED").is_terminal());
        assert!(!JobState::parse("RESTARTING").is_terminal());
        let odd = JobState::parse("NEW\u{1b}[2J");
        assert_eq!(odd, JobState::Other("NEW".into()), "cleaned: {odd:?}");
        let starting = JobState::Starting { tasks: "SCHEDULED".into(), running: 1, total: 4 };
        assert_eq!(starting.to_string(), "SCHEDULED (1/4 running)");
        assert!(!starting.is_running());
    }
}
