//! Diagnosis hints from the test plan's troubleshooting guide (its Appendix C): a known
//! symptom, its likely causes, and the Flink keys to look at, named as the running Flink
//! reads them (2.x names where 1.20's were removed; a key the version ignores is left out).

use super::catalogue::{self, Line};
use super::values::show_default;
use crate::analysis::rules::RuleId;
use crate::model::settings::GroupSettings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Symptom {
    /// "Insufficient number of network buffers" in the exception history.
    BufferShortage,
    /// High backpressure (the backpressure rule), with starved pools.
    Backpressure,
    /// p99 latency rising.
    Latency,
    /// CPU rising.
    Cpu,
    /// PartitionConnectionException, connection timeouts (network errors).
    Connection,
}

impl Symptom {
    /// The symptom an alert of this rule shows, when the guide has one for it.
    pub(crate) fn of_rule(rule: RuleId) -> Option<Symptom> {
        match rule {
            RuleId::Backpressure | RuleId::Throughput => Some(Symptom::Backpressure),
            RuleId::LatencyP99 => Some(Symptom::Latency),
            RuleId::Cpu => Some(Symptom::Cpu),
            RuleId::NetworkTimeouts => Some(Symptom::Connection),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hint {
    pub(crate) symptom: Symptom,
    /// One line: likely causes, with the group's values where they are known.
    pub(crate) text: String,
    /// The keys to look at, as this Flink reads them.
    pub(crate) keys: Vec<&'static str>,
}

/// What the guide suggests, per symptom: causes and keys (in the guide's order; keys a
/// version ignores are dropped or replaced by what it reads instead).
fn guide(symptom: Symptom) -> (&'static str, &'static [&'static str]) {
    match symptom {
        Symptom::BufferShortage => (
            "network buffer exhaustion: network memory too small for the tasks and parallelism",
            &[
                "taskmanager.memory.network.fraction",
                "taskmanager.memory.network.min",
                "taskmanager.network.memory.buffer-debloat.enabled",
                "taskmanager.network.memory.buffers-per-channel",
                "taskmanager.network.memory.floating-buffers-per-gate",
                "taskmanager.network.memory.read-buffer.required-per-gate.max",
            ],
        ),
        Symptom::Backpressure => (
            "backpressure with starved buffer pools: too few buffers, or a slow consumer",
            &[
                "taskmanager.memory.network.fraction",
                "taskmanager.network.memory.buffers-per-channel",
                "taskmanager.network.memory.floating-buffers-per-gate",
                "taskmanager.network.memory.buffer-debloat.enabled",
                "taskmanager.network.memory.buffer-debloat.target",
            ],
        ),
        Symptom::Latency => (
            "higher latency: a large buffer timeout or too much buffering",
            &[
                "execution.buffer-timeout.interval",
                "taskmanager.network.memory.buffers-per-channel",
                "taskmanager.network.memory.buffer-debloat.enabled",
                "taskmanager.network.detailed-metrics",
            ],
        ),
        Symptom::Cpu => (
            "higher CPU: compression, thread counts, transport",
            &[
                "taskmanager.network.compression.codec",
                "taskmanager.network.batch-shuffle.compression.enabled",
                "taskmanager.network.netty.server.numThreads",
                "taskmanager.network.netty.client.numThreads",
                "taskmanager.network.netty.transport",
                "taskmanager.numberOfTaskSlots",
            ],
        ),
        Symptom::Connection => (
            "connection failures: a timeout too aggressive, no retries, or the network itself",
            &[
                "taskmanager.network.netty.client.connectTimeoutSec",
                "taskmanager.network.retries",
                "taskmanager.network.partition-request-timeout",
                "taskmanager.network.request-backoff.max",
            ],
        ),
    }
}

/// The hint for `symptom` on a group running `line`, with that group's values of the
/// settings the causes name.
pub(crate) fn hint(symptom: Symptom, line: Line, settings: Option<&GroupSettings>) -> Hint {
    let (causes, wanted) = guide(symptom);
    let mut keys: Vec<&'static str> = Vec::new();
    for k in wanted {
        let key = match catalogue::status(k, line) {
            catalogue::Status::Ignored { instead, .. } => instead,
            s => s.sets().map(|o| o.key),
        };
        if let Some(key) = key
            && !keys.contains(&key)
        {
            keys.push(key);
        }
    }
    let mut text = causes.to_string();
    let value = |key: &str| -> Option<String> {
        let s = settings?;
        let opt = catalogue::find(key)?;
        let tm = s.taskmanagers.first()?;
        super::effective::value(opt, tm, s.job.as_ref(), line).map(|(v, _)| show_default(opt.kind, &v))
    };
    match symptom {
        Symptom::Latency => {
            if let Some(v) = value("execution.buffer-timeout.interval") {
                text.push_str(&format!(" (buffer timeout {v})"));
            }
        }
        Symptom::Cpu => {
            if let Some(v) = value("taskmanager.network.compression.codec") {
                text.push_str(&format!(" (codec {v})"));
            }
        }
        Symptom::BufferShortage | Symptom::Backpressure => {
            if let Some(v) = value("taskmanager.memory.network.fraction") {
                text.push_str(&format!(" (network fraction {v})"));
            }
        }
        Symptom::Connection => {
            if let Some(v) = value("taskmanager.network.netty.client.connectTimeoutSec") {
                text.push_str(&format!(" (connect timeout {v} s)"));
            }
        }
    }
    if line == Line::V2 && symptom == Symptom::Cpu {
        text.push_str("; 2.x runs one Netty thread per slot");
    }
    Hint { symptom, text, keys }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_named_as_the_running_flink_reads_them() {
        let h1 = hint(Symptom::BufferShortage, Line::V1, None);
        assert!(h1.keys.contains(&"taskmanager.network.memory.buffers-per-channel"), "{h1:?}");
        let h2 = hint(Symptom::BufferShortage, Line::V2, None);
        assert!(!h2.keys.contains(&"taskmanager.network.memory.buffers-per-channel"), "2.x ignores it: {h2:?}");
        assert!(h2.keys.contains(&"taskmanager.network.memory.read-buffer.required-per-gate.max"), "{h2:?}");
        assert_eq!(h2.keys.iter().filter(|k| k.contains("required-per-gate")).count(), 1, "no duplicate: {h2:?}");
        let cpu = hint(Symptom::Cpu, Line::V2, None);
        assert!(!cpu.keys.iter().any(|k| k.contains("numThreads") || k.contains("transport")), "{cpu:?}");
        assert!(cpu.text.contains("one Netty thread per slot"));
    }

    #[test]
    fn the_groups_values_are_in_the_hint() {
        let s = GroupSettings {
            flink_version: Some("2.3.0".into()),
            taskmanagers: vec![crate::model::settings::TaskManagerSettings {
                given: [("execution.buffer-timeout.interval".to_string(), "200ms".to_string())].into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let h = hint(Symptom::Latency, Line::V2, Some(&s));
        assert!(h.text.ends_with("(buffer timeout 200 ms)"), "{}", h.text);
        assert_eq!(h.keys[0], "execution.buffer-timeout.interval");
        assert_eq!(Symptom::of_rule(RuleId::LatencyP99), Some(Symptom::Latency));
        assert_eq!(Symptom::of_rule(RuleId::OutOfMemory), None);
    }
}
