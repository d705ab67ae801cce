//! A rollback step as the operator confirmed it, and how it ended: plain data that the
//! runner produces, the app keeps and the screen and the evidence show.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PreparedStep {
    pub index: usize,
    pub name: String,
    /// After placeholder expansion.
    pub argv: Vec<String>,
    #[serde(skip)]
    pub timeout: Duration,
    pub continue_on_error: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepState {
    Pending,
    Running,
    Ok,
    Failed,
    TimedOut,
    /// Stopped because flinkscope was quitting (its group got SIGTERM, then SIGKILL).
    Interrupted,
    /// Dry run, or not reached after a failure.
    Skipped,
}

impl StepState {
    pub(crate) fn label(self) -> &'static str {
        match self {
            StepState::Pending => "pending",
            StepState::Running => "running",
            StepState::Ok => "ok",
            StepState::Failed => "failed",
            StepState::TimedOut => "timed out",
            StepState::Interrupted => "interrupted",
            StepState::Skipped => "skipped",
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepResult {
    pub state: StepState,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub duration_ms: u64,
    /// The last lines of stdout and stderr, cleaned of control characters.
    pub tail: Vec<String>,
    /// Why the step could not even start.
    pub error: Option<String>,
}

/// Why a rollback ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trigger {
    /// The operator confirmed it in the dialog.
    Manual,
    /// The armed automatic rollback, after a hard alert and its countdown.
    Auto,
}

impl Trigger {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Auto => "auto",
        }
    }
}

/// What the operator saw when the rollback was confirmed, for the audit log and the
/// evidence: the verdict, the alerts, and the comparison per metric.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Context {
    pub verdict: serde_json::Value,
    pub alerts: Vec<serde_json::Value>,
    pub active_alerts: Vec<serde_json::Value>,
    pub comparison: std::collections::BTreeMap<String, MetricContext>,
}

/// One metric's comparison at confirmation time.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MetricContext {
    pub(crate) baseline: Option<f64>,
    pub(crate) variant: Option<f64>,
    pub(crate) change_pct: Option<f64>,
    pub(crate) class: Option<&'static str>,
    pub(crate) p: Option<f64>,
}

/// Progress of a rollback run, as the runner reports it to the event loop.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionEvent {
    StepStarted {
        index: usize,
    },
    /// A line the running step wrote (cleaned). Sent while the event channel has room: the
    /// step's result holds its last lines whatever was dropped.
    StepOutput {
        index: usize,
        line: String,
    },
    StepFinished {
        index: usize,
        result: StepResult,
    },
    Finished {
        ok: bool,
        message: String,
        evidence: Option<std::path::PathBuf>,
    },
}
