//! Flink's names of the metrics flinkscope reads, as the REST API spells them (the
//! reporters' names derive from these: see `reporter`).

/// TaskManager-scope metrics read for every group, every poll (aggregated over the group).
pub const TM_CPU_TIME: &str = "Status.JVM.CPU.Time";
pub const TM_HEAP_USED: &str = "Status.JVM.Memory.Heap.Used";
pub const TM_DIRECT_USED: &str = "Status.JVM.Memory.Direct.MemoryUsed";
pub const TM_GC_ALL_TIME: &str = "Status.JVM.GarbageCollector.All.Time";
pub const TM_NETTY_USED: &str = "Status.Shuffle.Netty.UsedMemorySegments";
pub const TM_NETTY_AVAILABLE: &str = "Status.Shuffle.Netty.AvailableMemorySegments";
pub const TM_REQUESTED_MEMORY: &str = "Status.Shuffle.Netty.RequestedMemoryUsage";

pub const TM_GAUGES: &[&str] =
    &[TM_CPU_TIME, TM_HEAP_USED, TM_DIRECT_USED, TM_NETTY_USED, TM_NETTY_AVAILABLE, TM_REQUESTED_MEMORY];

/// Task-scope metrics, aggregated per vertex over the group's subtasks.
pub const TASK_RECORDS_IN: &str = "numRecordsInPerSecond";
pub const TASK_RECORDS_OUT: &str = "numRecordsOutPerSecond";
pub const TASK_BYTES_IN: &str = "numBytesInPerSecond";
pub const TASK_BYTES_OUT: &str = "numBytesOutPerSecond";
pub const TASK_REMOTE_BYTES_IN: &str = "numBytesInRemotePerSecond";
pub const TASK_IN_POOL: &str = "Shuffle.Netty.Input.Buffers.inPoolUsage";
pub const TASK_OUT_POOL: &str = "Shuffle.Netty.Output.Buffers.outPoolUsage";
pub const TASK_FLOATING: &str = "Shuffle.Netty.Input.Buffers.inputFloatingBuffersUsage";
pub const TASK_EXCLUSIVE: &str = "Shuffle.Netty.Input.Buffers.inputExclusiveBuffersUsage";
pub const TASK_BACKPRESSURED: &str = "backPressuredTimeMsPerSecond";
pub const TASK_BUSY: &str = "busyTimeMsPerSecond";
pub const TASK_IDLE: &str = "idleTimeMsPerSecond";

pub const TASK_METRICS: &[&str] = &[
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
pub const TASK_COUNTER_RECORDS_IN: &str = "numRecordsIn";
pub const TASK_COUNTER_RECORDS_OUT: &str = "numRecordsOut";
pub const TASK_COUNTER_BYTES_IN: &str = "numBytesIn";
pub const TASK_COUNTER_BYTES_OUT: &str = "numBytesOut";
pub const TASK_COUNTER_REMOTE_BYTES_IN: &str = "numBytesInRemote";
pub const TASK_COUNTER_BACKPRESSURED: &str = "accumulateBackPressuredTimeMs";
pub const TASK_COUNTER_BUSY: &str = "accumulateBusyTimeMs";
pub const TASK_COUNTER_IDLE: &str = "accumulateIdleTimeMs";

pub const TASK_COUNTERS: &[&str] = &[
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
pub const JOB_METRICS: &str = "numRestarts,numberOfCompletedCheckpoints,numberOfFailedCheckpoints";
