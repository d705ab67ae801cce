//! The metric keys the snapshot format promises (issue 2): every source kind that can
//! watch a group alone must fill them.

pub const REQUIRED: &[&str] = &[
    "records_in_per_s",
    "records_out_per_s",
    "bytes_in_per_s",
    "bytes_out_per_s",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "in_pool_usage",
    "out_pool_usage",
    "netty_used_segments",
    "netty_available_segments",
    "cpu_cores",
    "heap_used_bytes",
    "backpressured_ms_per_s",
    "busy_ms_per_s",
    "idle_ms_per_s",
    "restarts",
    "checkpoints_failed",
    "taskmanagers",
];
