//! A group's settings as its cluster reports them: what the JobManager and each TaskManager
//! say they run with, read by the REST source. Owned strings, cleaned at the edge.

use std::collections::BTreeMap;
use std::time::SystemTime;

/// One read of a group's settings.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct GroupSettings {
    /// When it was read (wall clock, for snapshots and evidence).
    pub(crate) read_at: Option<SystemTime>,
    /// The REST URL it was read from.
    pub(crate) url: String,
    /// Flink's version (`/config`).
    pub(crate) flink_version: Option<String>,
    /// The JobManager's configuration (`/jobmanager/config`).
    pub(crate) jobmanager: BTreeMap<String, String>,
    /// The job the group runs, when there is one.
    pub(crate) job: Option<JobSettings>,
    pub(crate) taskmanagers: Vec<TaskManagerSettings>,
    /// Parts that could not be read, each saying why (a TaskManager's log refused, ...).
    pub(crate) problems: Vec<String>,
}

/// What the job says about its own configuration.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct JobSettings {
    pub(crate) id: String,
    pub(crate) name: String,
    /// The job's configuration as Flink reports it (`/jobs/<id>/jobmanager/config`,
    /// else the execution config of `/jobs/<id>/config`), by Flink key.
    pub(crate) config: BTreeMap<String, String>,
    /// Its vertices with their parallelism and inputs (`/jobs/<id>/plan`).
    pub(crate) plan: Vec<PlanVertex>,
}

/// One vertex of the job's plan.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct PlanVertex {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) parallelism: u32,
    /// (upstream vertex id, ship strategy: "HASH", "REBALANCE", "FORWARD", ...).
    pub(crate) inputs: Vec<(String, String)>,
}

/// What one TaskManager reports about its settings.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct TaskManagerSettings {
    pub(crate) id: String,
    /// The configuration it was given, from its log's "Loading configuration property"
    /// and dynamic-property lines (what it was handed, not what Flink applied).
    pub(crate) given: BTreeMap<String, String>,
    /// Its log's `NettyConfig [...]` line, as fields ("number of server threads" → "2
    /// (manual)"): what the Netty stack really runs with.
    pub(crate) netty: BTreeMap<String, String>,
    /// The line as it was logged (cleaned).
    pub(crate) netty_line: Option<String>,
    /// Its memory configuration in bytes (`/taskmanagers/<id>` memoryConfiguration:
    /// networkMemory, managedMemory, ...).
    pub(crate) memory: BTreeMap<String, u64>,
    /// Its hardware (`/taskmanagers/<id>` hardware: cpuCores, physicalMemory, ...).
    pub(crate) hardware: BTreeMap<String, u64>,
    /// Network buffers: (available, total) memory segments, when reported.
    pub(crate) segments: Option<(u64, u64)>,
    pub(crate) slots: Option<u32>,
    /// Why its log could not be read, when it could not.
    pub(crate) log_problem: Option<String>,
}

impl GroupSettings {
    /// The version's major.minor, for messages ("2.3").
    pub(crate) fn version(&self) -> &str {
        self.flink_version.as_deref().unwrap_or("?")
    }
}
