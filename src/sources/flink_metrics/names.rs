//! Flink's names of the metrics flinkscope reads, as the REST API spells them (the
//! reporters' names derive from these: see `reporter`).

/// TaskManager-scope metrics read for every group, every poll (aggregated over the group).
pub(crate) const TM_CPU_TIME: &str = "Status.JVM.CPU.Time";
pub(crate) const TM_HEAP_USED: &str = "Status.JVM.Memory.Heap.Used";
pub(crate) const TM_DIRECT_USED: &str = "Status.JVM.Memory.Direct.MemoryUsed";
pub(crate) const TM_GC_ALL_TIME: &str = "Status.JVM.GarbageCollector.All.Time";
pub(crate) const TM_NETTY_USED: &str = "Status.Shuffle.Netty.UsedMemorySegments";
pub(crate) const TM_NETTY_AVAILABLE: &str = "Status.Shuffle.Netty.AvailableMemorySegments";
pub(crate) const TM_REQUESTED_MEMORY: &str = "Status.Shuffle.Netty.RequestedMemoryUsage";

pub(crate) const TM_GAUGES: &[&str] =
    &[TM_CPU_TIME, TM_HEAP_USED, TM_DIRECT_USED, TM_NETTY_USED, TM_NETTY_AVAILABLE, TM_REQUESTED_MEMORY];

/// Task-scope metrics, aggregated per vertex over the group's subtasks.
pub(crate) const TASK_RECORDS_IN: &str = "numRecordsInPerSecond";
pub(crate) const TASK_RECORDS_OUT: &str = "numRecordsOutPerSecond";
pub(crate) const TASK_BYTES_IN: &str = "numBytesInPerSecond";
pub(crate) const TASK_BYTES_OUT: &str = "numBytesOutPerSecond";
pub(crate) const TASK_REMOTE_BYTES_IN: &str = "numBytesInRemotePerSecond";
pub(crate) const TASK_IN_POOL: &str = "Shuffle.Netty.Input.Buffers.inPoolUsage";
pub(crate) const TASK_OUT_POOL: &str = "Shuffle.Netty.Output.Buffers.outPoolUsage";
pub(crate) const TASK_FLOATING: &str = "Shuffle.Netty.Input.Buffers.inputFloatingBuffersUsage";
pub(crate) const TASK_EXCLUSIVE: &str = "Shuffle.Netty.Input.Buffers.inputExclusiveBuffersUsage";
pub(crate) const TASK_BACKPRESSURED: &str = "backPressuredTimeMsPerSecond";
pub(crate) const TASK_BUSY: &str = "busyTimeMsPerSecond";
pub(crate) const TASK_IDLE: &str = "idleTimeMsPerSecond";

pub(crate) const TASK_METRICS: &[&str] = &[
    TASK_RECORDS_IN,
    TASK_RECORDS_OUT,
    TASK_BYTES_IN,
    TASK_BYTES_OUT,
    TASK_REMOTE_BYTES_IN,
    TASK_IN_POOL,
    TASK_OUT_POOL,
    TASK_FLOATING,
    TASK_EXCLUSIVE,
    TASK_BACKPRESSURED,
    TASK_BUSY,
    TASK_IDLE,
];

/// Task-scope counters: the statistics take their rates over non-overlapping blocks
/// (Flink's meters above are smoothed and autocorrelated).
pub(crate) const TASK_COUNTER_RECORDS_IN: &str = "numRecordsIn";
pub(crate) const TASK_COUNTER_RECORDS_OUT: &str = "numRecordsOut";
pub(crate) const TASK_COUNTER_BYTES_IN: &str = "numBytesIn";
pub(crate) const TASK_COUNTER_BYTES_OUT: &str = "numBytesOut";
pub(crate) const TASK_COUNTER_REMOTE_BYTES_IN: &str = "numBytesInRemote";
pub(crate) const TASK_COUNTER_BACKPRESSURED: &str = "accumulateBackPressuredTimeMs";
pub(crate) const TASK_COUNTER_BUSY: &str = "accumulateBusyTimeMs";
pub(crate) const TASK_COUNTER_IDLE: &str = "accumulateIdleTimeMs";

pub(crate) const TASK_COUNTERS: &[&str] = &[
    TASK_COUNTER_RECORDS_IN,
    TASK_COUNTER_RECORDS_OUT,
    TASK_COUNTER_BYTES_IN,
    TASK_COUNTER_BYTES_OUT,
    TASK_COUNTER_REMOTE_BYTES_IN,
    TASK_COUNTER_BACKPRESSURED,
    TASK_COUNTER_BUSY,
    TASK_COUNTER_IDLE,
];

/// Job-scope metrics (plain values).
pub(crate) const JOB_METRICS: &str = "numRestarts,numberOfCompletedCheckpoints,numberOfFailedCheckpoints";
