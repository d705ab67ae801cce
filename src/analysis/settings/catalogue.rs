//! The catalogue of Flink's network-related options: key, type, default and whether each
//! Flink line honours it. Written from the options classes of Flink 1.20.5 and 2.3.0 (as
//! `scripts/lab/ListOptions.java` lists them from the jars; `tests/settings_catalogue.rs`
//! compares this table with those jars) and Flink's documentation.
//!
//! A key a line does not have is silently ignored by that Flink: 2.0 removed most of the
//! classic Netty keys of the test plan, which is why a canary on 2.x can run "two settings"
//! that are the same.

use Category::*;
use In::{Absent, Deprecated, Has};
use Kind::*;

/// How a value is written, for comparing "32kb" with "32768" or "100 ms" with "PT0.1S".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Float,
    Bool,
    Memory,
    Duration,
    Text,
}

/// The test plan's configuration categories (its matrix), plus the job and the slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Category {
    Buffers,
    Debloating,
    Threads,
    Connection,
    Transport,
    Compression,
    Shuffle,
    Backoff,
    Monitoring,
    Job,
    Slots,
}

impl Category {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Buffers => "network buffers",
            Debloating => "buffer debloating",
            Threads => "Netty threads",
            Connection => "connections",
            Transport => "transport",
            Compression => "compression",
            Shuffle => "shuffle",
            Backoff => "request backoff",
            Monitoring => "monitoring",
            Job => "job",
            Slots => "slots",
        }
    }
}

/// What one Flink line does with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    /// The line reads it; its default as the options class prints it ("" when none).
    Has(&'static str),
    /// Read, but deprecated (on 1.20: to be removed in 2.0).
    Deprecated(&'static str),
    /// Not an option of this line: set, it is silently ignored.
    Absent,
}

impl In {
    pub fn default(self) -> Option<&'static str> {
        match self {
            Has(d) | Deprecated(d) => Some(d),
            Absent => None,
        }
    }
}

/// A Flink release line the catalogue knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// 1.x, written from 1.20.5.
    V1,
    /// 2.x, written from 2.3.0.
    V2,
}

impl Line {
    /// The line of a version string such as "2.3.0"; `None` when it is not a number.
    pub(crate) fn of(version: &str) -> Option<Line> {
        match version.trim().split('.').next()?.parse::<u32>().ok()? {
            0 | 1 => Some(Line::V1),
            _ => Some(Line::V2),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Opt {
    pub key: &'static str,
    pub(crate) kind: Kind,
    pub(crate) category: Category,
    pub(crate) v1: In,
    pub(crate) v2: In,
    /// Older names the options class still reads for it (Flink's fallback keys).
    pub fallbacks: &'static [&'static str],
    /// What it changes, in a few words.
    pub(crate) affects: &'static str,
}

impl Opt {
    pub fn on(&self, line: Line) -> In {
        match line {
            Line::V1 => self.v1,
            Line::V2 => self.v2,
        }
    }
}

const fn opt(
    key: &'static str,
    kind: Kind,
    category: Category,
    v1: In,
    v2: In,
    fallbacks: &'static [&'static str],
    affects: &'static str,
) -> Opt {
    Opt { key, kind, category, v1, v2, fallbacks, affects }
}

/// Every network-related option of 1.20 and 2.x, by key.
#[rustfmt::skip]
pub const OPTIONS: &[Opt] = &[
    opt("execution.buffer-timeout.enabled", Bool, Job, Has("true"), Has("true"), &[], "flushing on a timer (job)"),
    opt("execution.buffer-timeout.interval", Duration, Job, Has("PT0.1S"), Has("PT0.1S"), &["execution.buffer-timeout"], "longest a buffer waits before it is flushed (job)"),
    opt("taskmanager.data.bind-port", Text, Transport, Has(""), Has(""), &[], ""),
    opt("taskmanager.data.port", Int, Transport, Has("0"), Has("0"), &[], ""),
    opt("taskmanager.data.ssl.enabled", Bool, Transport, Has("true"), Has("true"), &[], "TLS on the data plane"),
    opt("taskmanager.memory.network.fraction", Float, Buffers, Has("0.1"), Has("0.1"), &["taskmanager.network.memory.fraction"], "share of Flink memory for network buffers"),
    opt("taskmanager.memory.network.max", Memory, Buffers, Has("9223372036854775807 bytes"), Has("9223372036854775807 bytes"), &["taskmanager.network.memory.max"], "upper bound of network memory"),
    opt("taskmanager.memory.network.min", Memory, Buffers, Has("64 mb"), Has("64 mb"), &["taskmanager.network.memory.min"], "lower bound of network memory"),
    opt("taskmanager.memory.segment-size", Memory, Buffers, Has("32 kb"), Has("32 kb"), &[], "size of one network buffer (must match across TaskManagers that exchange data)"),
    opt("taskmanager.network.adaptive-partitioner.enabled", Bool, Shuffle, Absent, Has("false"), &[], ""),
    opt("taskmanager.network.adaptive-partitioner.max-traverse-size", Int, Shuffle, Absent, Has("4"), &[], ""),
    opt("taskmanager.network.batch-shuffle.compression.enabled", Bool, Compression, Deprecated("true"), Absent, &["taskmanager.network.blocking-shuffle.compression.enabled"], "compression of batch shuffle data"),
    opt("taskmanager.network.bind-policy", Text, Transport, Has("ip"), Has("ip"), &[], ""),
    opt("taskmanager.network.blocking-shuffle.type", Text, Shuffle, Deprecated("file"), Absent, &[], "blocking shuffle backend"),
    opt("taskmanager.network.compression.codec", Text, Compression, Has("LZ4"), Has("LZ4"), &[], "codec of shuffle compression"),
    opt("taskmanager.network.detailed-metrics", Bool, Monitoring, Has("false"), Has("false"), &[], "per-gate buffer metrics"),
    opt("taskmanager.network.hybrid-shuffle.enable-new-mode", Bool, Shuffle, Deprecated("true"), Absent, &[], ""),
    opt("taskmanager.network.hybrid-shuffle.external-remote-tier-factory.class", Text, Shuffle, Has(""), Has(""), &[], ""),
    opt("taskmanager.network.hybrid-shuffle.num-retained-in-memory-regions-max", Int, Shuffle, Deprecated("1048576"), Absent, &[], ""),
    opt("taskmanager.network.hybrid-shuffle.remote.path", Text, Shuffle, Has(""), Has(""), &[], ""),
    opt("taskmanager.network.hybrid-shuffle.spill-index-region-group-size", Int, Shuffle, Deprecated("1024"), Absent, &["taskmanager.network.hybrid-shuffle.spill-index-segment-size"], ""),
    opt("taskmanager.network.max-num-tcp-connections", Int, Connection, Deprecated("1"), Absent, &[], "TCP connections between two TaskManagers"),
    opt("taskmanager.network.memory.buffer-debloat.enabled", Bool, Debloating, Has("false"), Has("false"), &[], "adaptive buffer sizing"),
    opt("taskmanager.network.memory.buffer-debloat.period", Duration, Debloating, Has("PT0.2S"), Has("PT0.2S"), &[], "how often the buffer size is adjusted"),
    opt("taskmanager.network.memory.buffer-debloat.samples", Int, Debloating, Has("20"), Has("20"), &[], "throughput samples averaged"),
    opt("taskmanager.network.memory.buffer-debloat.target", Duration, Debloating, Has("PT1S"), Has("PT1S"), &[], "time the buffered data should take to consume"),
    opt("taskmanager.network.memory.buffer-debloat.threshold-percentages", Int, Debloating, Has("25"), Has("25"), &[], "smallest change applied"),
    opt("taskmanager.network.memory.buffers-per-channel", Int, Buffers, Deprecated("2"), Absent, &[], "exclusive buffers per input channel"),
    opt("taskmanager.network.memory.buffers-request-timeout", Duration, Buffers, Has("PT30S"), Has("PT30S"), &["taskmanager.network.memory.exclusive-buffers-request-timeout-ms"], ""),
    opt("taskmanager.network.memory.exclusive-buffers-request-timeout-ms", Int, Buffers, Deprecated("30000"), Absent, &[], ""),
    opt("taskmanager.network.memory.floating-buffers-per-gate", Int, Buffers, Deprecated("8"), Absent, &[], "floating buffers shared by an input gate"),
    opt("taskmanager.network.memory.fraction", Float, Buffers, Deprecated("0.1"), Absent, &[], "legacy name of taskmanager.memory.network.fraction"),
    opt("taskmanager.network.memory.max", Text, Buffers, Deprecated("1gb"), Absent, &[], "legacy name of taskmanager.memory.network.max"),
    opt("taskmanager.network.memory.max-buffers-per-channel", Int, Buffers, Deprecated("10"), Absent, &[], "buffers one output subpartition may hold"),
    opt("taskmanager.network.memory.max-overdraft-buffers-per-gate", Int, Buffers, Deprecated("5"), Absent, &[], "extra buffers a backpressured task may take"),
    opt("taskmanager.network.memory.min", Text, Buffers, Deprecated("64mb"), Absent, &[], "legacy name of taskmanager.memory.network.min"),
    opt("taskmanager.network.memory.read-buffer.required-per-gate.max", Int, Buffers, Has(""), Has(""), &[], "buffers an input gate needs at most"),
    opt("taskmanager.network.netty.client.connectTimeoutSec", Int, Connection, Has("120"), Has("120"), &["taskmanager.net.client.connectTimeoutSec"], "connect timeout of partition requests"),
    opt("taskmanager.network.netty.client.numThreads", Int, Threads, Deprecated("-1"), Absent, &["taskmanager.net.client.numThreads"], "Netty client threads"),
    opt("taskmanager.network.netty.client.tcp.keepCount", Int, Connection, Has(""), Has(""), &[], ""),
    opt("taskmanager.network.netty.client.tcp.keepIdleSec", Int, Connection, Has(""), Has(""), &[], ""),
    opt("taskmanager.network.netty.client.tcp.keepIntervalSec", Int, Connection, Has(""), Has(""), &[], ""),
    opt("taskmanager.network.netty.num-arenas", Int, Threads, Deprecated("-1"), Absent, &["taskmanager.net.num-arenas"], "Netty memory arenas"),
    opt("taskmanager.network.netty.sendReceiveBufferSize", Int, Transport, Deprecated("0"), Absent, &["taskmanager.net.sendReceiveBufferSize"], "TCP send/receive buffer size"),
    opt("taskmanager.network.netty.server.backlog", Int, Connection, Deprecated("0"), Absent, &["taskmanager.net.server.backlog"], "accept queue of the Netty server"),
    opt("taskmanager.network.netty.server.numThreads", Int, Threads, Deprecated("-1"), Absent, &["taskmanager.net.server.numThreads"], "Netty server threads"),
    opt("taskmanager.network.netty.transport", Text, Transport, Deprecated("auto"), Absent, &["taskmanager.net.transport"], "NIO or EPOLL"),
    opt("taskmanager.network.numberOfBuffers", Int, Buffers, Deprecated("2048"), Absent, &[], "legacy fixed number of network buffers"),
    opt("taskmanager.network.partition-request-timeout", Duration, Connection, Has("PT10S"), Has("PT10S"), &[], "partition request timeout"),
    opt("taskmanager.network.request-backoff.initial", Int, Backoff, Has("100"), Has("100"), &["taskmanager.net.request-backoff.initial"], "first partition-request backoff (ms)"),
    opt("taskmanager.network.request-backoff.max", Int, Backoff, Has("10000"), Has("10000"), &["taskmanager.net.request-backoff.max"], "longest partition-request backoff (ms)"),
    opt("taskmanager.network.retries", Int, Connection, Has("0"), Has("0"), &["taskmanager.network.retries"], "connect retries"),
    opt("taskmanager.network.sort-shuffle.min-buffers", Int, Shuffle, Has("512"), Has("512"), &[], "buffers of a sort-shuffle result partition"),
    opt("taskmanager.network.sort-shuffle.min-parallelism", Int, Shuffle, Deprecated("1"), Absent, &[], "parallelism from which sort shuffle is used"),
    opt("taskmanager.network.tcp-connection.enable-reuse-across-jobs", Bool, Connection, Has("true"), Has("true"), &[], "connection reuse across jobs"),
    opt("taskmanager.numberOfTaskSlots", Int, Slots, Has("1"), Has("1"), &[], "slots; Netty threads and arenas default to it"),
    opt("taskmanager.memory.process.size", Memory, Buffers, Has(""), Has(""), &[], "total TaskManager memory; network memory is a share of it"),
    opt("taskmanager.memory.flink.size", Memory, Buffers, Has(""), Has(""), &[], "Flink memory; network memory is a share of it"),
];

/// For a key 2.0 removed: what to look at instead (where Flink names one).
const INSTEAD: &[(&str, &str)] = &[
    ("taskmanager.network.memory.buffers-per-channel", "taskmanager.network.memory.read-buffer.required-per-gate.max"),
    (
        "taskmanager.network.memory.floating-buffers-per-gate",
        "taskmanager.network.memory.read-buffer.required-per-gate.max",
    ),
    ("taskmanager.network.memory.max-buffers-per-channel", "taskmanager.network.memory.buffer-debloat.enabled"),
    (
        "taskmanager.network.memory.exclusive-buffers-request-timeout-ms",
        "taskmanager.network.memory.buffers-request-timeout",
    ),
    ("taskmanager.network.numberOfBuffers", "taskmanager.memory.network.fraction"),
];

/// The test plan's configuration matrix: (its category, key, the default it assumes).
#[rustfmt::skip]
pub const PLAN_MATRIX: &[(&str, &str, &str)] = &[
    ("1 Network Buffers", "taskmanager.memory.network.min", "64m"),
    ("1 Network Buffers", "taskmanager.memory.network.max", "Long.MAX"),
    ("1 Network Buffers", "taskmanager.memory.network.fraction", "0.1"),
    ("1 Network Buffers", "taskmanager.memory.segment-size", "32kb"),
    ("1 Network Buffers", "taskmanager.network.memory.buffers-per-channel", "2"),
    ("1 Network Buffers", "taskmanager.network.memory.floating-buffers-per-gate", "8"),
    ("1 Network Buffers", "taskmanager.network.memory.max-buffers-per-channel", "10"),
    ("1 Network Buffers", "taskmanager.network.memory.max-overdraft-buffers-per-gate", "5"),
    ("1 Network Buffers", "taskmanager.network.memory.read-buffer.required-per-gate.max", "(auto)"),
    ("2 Buffer Debloating", "taskmanager.network.memory.buffer-debloat.enabled", "false"),
    ("2 Buffer Debloating", "taskmanager.network.memory.buffer-debloat.period", "200ms"),
    ("2 Buffer Debloating", "taskmanager.network.memory.buffer-debloat.samples", "20"),
    ("2 Buffer Debloating", "taskmanager.network.memory.buffer-debloat.target", "1s"),
    ("2 Buffer Debloating", "taskmanager.network.memory.buffer-debloat.threshold-percentages", "25"),
    ("3 Netty Thread Pools", "taskmanager.network.netty.num-arenas", "-1"),
    ("3 Netty Thread Pools", "taskmanager.network.netty.server.numThreads", "-1"),
    ("3 Netty Thread Pools", "taskmanager.network.netty.client.numThreads", "-1"),
    ("4 Connection Settings", "taskmanager.network.max-num-tcp-connections", "1"),
    ("4 Connection Settings", "taskmanager.network.netty.server.backlog", "0"),
    ("4 Connection Settings", "taskmanager.network.netty.client.connectTimeoutSec", "120"),
    ("4 Connection Settings", "taskmanager.network.retries", "0"),
    ("4 Connection Settings", "taskmanager.network.tcp-connection.enable-reuse-across-jobs", "true"),
    ("5 Transport and Protocol", "taskmanager.network.netty.transport", "auto"),
    ("5 Transport and Protocol", "taskmanager.network.netty.sendReceiveBufferSize", "0"),
    ("5 Transport and Protocol", "taskmanager.data.ssl.enabled", "true"),
    ("6 Compression", "taskmanager.network.batch-shuffle.compression.enabled", "true"),
    ("6 Compression", "taskmanager.network.compression.codec", "LZ4"),
    ("7 Shuffle-Specific", "taskmanager.network.sort-shuffle.min-buffers", "512"),
    ("7 Shuffle-Specific", "taskmanager.network.sort-shuffle.min-parallelism", "1"),
    ("7 Shuffle-Specific", "taskmanager.network.blocking-shuffle.type", "file"),
    ("8 Request Backoff", "taskmanager.network.request-backoff.initial", "100ms"),
    ("8 Request Backoff", "taskmanager.network.request-backoff.max", "10000ms"),
    ("9 Monitoring", "taskmanager.network.detailed-metrics", "false"),
];

/// The option with this key.
pub fn find(key: &str) -> Option<&'static Opt> {
    OPTIONS.iter().find(|o| o.key == key)
}

/// What a Flink line does with a key someone set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Status {
    /// Read as it is.
    Honoured(&'static Opt),
    /// Read, but deprecated on this line.
    Deprecated(&'static Opt),
    /// An older name that this line still reads for `opt`.
    ReadAs(&'static Opt),
    /// An option of the other line only: this Flink ignores it.
    Ignored { opt: &'static Opt, instead: Option<&'static str> },
    /// Network-looking but no option of either line (a typo); the nearest key this line reads.
    Unknown { nearest: Option<&'static str> },
    /// Not a network option: the catalogue does not judge it.
    Other,
}

impl Status {
    /// The option whose value the key sets on this line, when it sets one.
    pub(crate) fn sets(self) -> Option<&'static Opt> {
        match self {
            Status::Honoured(o) | Status::Deprecated(o) | Status::ReadAs(o) => Some(o),
            _ => None,
        }
    }
}

pub(crate) fn status(key: &str, line: Line) -> Status {
    let read_as = || OPTIONS.iter().find(|o| o.on(line) != Absent && o.fallbacks.contains(&key));
    if let Some(o) = find(key) {
        return match o.on(line) {
            Has(_) => Status::Honoured(o),
            Deprecated(_) => Status::Deprecated(o),
            Absent => match read_as() {
                Some(new) => Status::ReadAs(new),
                None => Status::Ignored { opt: o, instead: INSTEAD.iter().find(|(k, _)| *k == key).map(|(_, i)| *i) },
            },
        };
    }
    if let Some(new) = read_as() {
        return Status::ReadAs(new);
    }
    let nearest = nearest(key, line);
    if looks_network(key) || nearest.is_some() { Status::Unknown { nearest } } else { Status::Other }
}

fn looks_network(key: &str) -> bool {
    ["taskmanager.network.", "taskmanager.memory.network.", "taskmanager.net.", "execution.buffer-timeout"]
        .iter()
        .any(|p| key.starts_with(p))
        || key.contains("netty")
}

/// The key this line reads that `key` is most likely a typo of: within a few edits.
fn nearest(key: &str, line: Line) -> Option<&'static str> {
    let limit = (key.len() / 10).clamp(2, 4);
    OPTIONS
        .iter()
        .filter(|o| o.on(line) != Absent)
        // The lengths' difference is a lower bound of the distance: most keys are far
        // apart by length alone, and a settings read brings every key of every TaskManager.
        .filter(|o| key.len().abs_diff(o.key.len()) <= limit)
        .map(|o| (strsim::levenshtein(key, o.key), o.key))
        .filter(|(d, _)| *d > 0 && *d <= limit)
        .min()
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_of_the_test_plan_has_a_row() {
        for (_, key, _) in PLAN_MATRIX {
            assert!(find(key).is_some(), "{key} is in the test plan's matrix but not in the catalogue");
        }
        assert_eq!(PLAN_MATRIX.len(), 33);
    }

    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<_> = OPTIONS.iter().map(|o| o.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), OPTIONS.len());
    }

    #[test]
    fn classic_netty_keys_are_ignored_on_2x_and_read_on_1_20() {
        let k = "taskmanager.network.netty.server.numThreads";
        assert!(matches!(status(k, Line::V1), Status::Deprecated(o) if o.key == k));
        assert!(matches!(status(k, Line::V2), Status::Ignored { .. }));
        let b = "taskmanager.network.memory.buffers-per-channel";
        assert!(matches!(
            status(b, Line::V2),
            Status::Ignored { instead: Some("taskmanager.network.memory.read-buffer.required-per-gate.max"), .. }
        ));
    }

    #[test]
    fn an_old_name_is_read_as_the_new_option() {
        // 2.x has no option of that name, but reads it as a fallback of the new one.
        let s = status("taskmanager.network.memory.fraction", Line::V2);
        assert!(matches!(s, Status::ReadAs(o) if o.key == "taskmanager.memory.network.fraction"), "{s:?}");
        let s = status("taskmanager.net.server.numThreads", Line::V1);
        assert!(matches!(s, Status::ReadAs(o) if o.key == "taskmanager.network.netty.server.numThreads"), "{s:?}");
        assert!(matches!(status("taskmanager.net.server.numThreads", Line::V2), Status::Unknown { .. }));
    }

    #[test]
    fn a_typo_gets_its_correction_and_other_keys_are_left_alone() {
        let s = status("taskmanager.network.memory.buffer-debloat.enable", Line::V2);
        assert_eq!(s, Status::Unknown { nearest: Some("taskmanager.network.memory.buffer-debloat.enabled") });
        let s = status("taskmanager.memory.segmentsize", Line::V1);
        assert_eq!(s, Status::Unknown { nearest: Some("taskmanager.memory.segment-size") });
        assert_eq!(status("state.backend.type", Line::V2), Status::Other);
        assert_eq!(status("taskmanager.network.bogus-key", Line::V2), Status::Unknown { nearest: None });
    }

    #[test]
    fn lines_from_versions() {
        assert_eq!(Line::of("1.20.5"), Some(Line::V1));
        assert_eq!(Line::of("2.3.0"), Some(Line::V2));
        assert_eq!(Line::of("<unknown>"), None);
    }
}
