//! The buffer budget: how many network buffers the job's tasks reserve on one TaskManager
//! when they are deployed, against the buffers that TaskManager has. Flink refuses to deploy
//! ("Insufficient number of network buffers: required X, but only Y available") when the
//! reservations of the tasks on a TaskManager exceed its buffers.
//!
//! The arithmetic is Flink's (the same in 1.20.5 and 2.3.0, read from their
//! `InputGateSpecUtils`, `NettyShuffleUtils` and `NetworkBufferPool`), for pipelined
//! (streaming) exchanges:
//! - an input gate of N channels reserves `required = min(R, N*bpc + 1)` where R is
//!   `taskmanager.network.memory.read-buffer.required-per-gate.max` (unbounded for streaming
//!   when unset): its pool's minimum `required - N*e` plus `e` exclusive buffers per *remote*
//!   channel, `e = min(bpc, (required-1)/N)`; local channels take none;
//! - a result partition of S subpartitions reserves `S + 1`;
//! - pool maximums and overdraft buffers are taken when free and never reserved.
//!
//! bpc is buffers-per-channel on 1.20; 2.x removed the key and uses 2. Where the plan does
//! not say which TaskManager runs which subtask, subtasks are taken as spread evenly and the
//! fullest TaskManager is the one judged.

use super::catalogue::Line;
use crate::model::settings::PlanVertex;

/// 2.x's fixed buffers per channel (the key is gone; `NettyShuffleEnvironmentConfiguration`).
const V2_BUFFERS_PER_CHANNEL: u64 = 2;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Budget {
    /// Buffers the job's tasks reserve on the fullest TaskManager.
    pub(crate) needs: u64,
    /// Buffers that TaskManager has (network memory / segment size).
    pub(crate) has: u64,
}

impl Budget {
    pub(crate) fn share(&self) -> f64 {
        if self.has == 0 { f64::INFINITY } else { self.needs as f64 / self.has as f64 }
    }

    /// "needs 6 of 2048 buffers (0.3%)".
    pub(crate) fn describe(&self) -> String {
        format!("needs {} of {} buffers ({:.1}%)", self.needs, self.has, 100.0 * self.share())
    }
}

/// What the budget is computed from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Inputs<'a> {
    pub(crate) plan: &'a [PlanVertex],
    /// The group's TaskManagers.
    pub(crate) taskmanagers: u64,
    pub(crate) line: Line,
    /// buffers-per-channel where the line reads it (1.20); `None` is its default.
    pub(crate) buffers_per_channel: Option<u64>,
    /// read-buffer.required-per-gate.max, when set.
    pub(crate) required_per_gate_max: Option<u64>,
    /// Network buffers of the smallest TaskManager.
    pub(crate) has: u64,
}

/// How many channels an exchange of this ship strategy gives each consumer, and how many
/// subpartitions each producer.
fn fan(strategy: &str, producers: u64, consumers: u64) -> (u64, u64) {
    match strategy.to_ascii_uppercase().as_str() {
        "FORWARD" => (1, 1),
        "RESCALE" => (producers.div_ceil(consumers).max(1), consumers.div_ceil(producers).max(1)),
        // HASH, REBALANCE, BROADCAST, GLOBAL, CUSTOM...: all to all.
        _ => (producers, consumers),
    }
}

pub(crate) fn budget(i: &Inputs) -> Option<Budget> {
    if i.plan.is_empty() || i.taskmanagers == 0 {
        return None;
    }
    let bpc = match i.line {
        Line::V1 => i.buffers_per_channel.unwrap_or(2),
        Line::V2 => V2_BUFFERS_PER_CHANNEL,
    };
    let r = i.required_per_gate_max.unwrap_or(u64::MAX);
    let n = i.taskmanagers;
    let parallelism = |id: &str| i.plan.iter().find(|v| v.id == id).map_or(1, |v| u64::from(v.parallelism.max(1)));
    let mut needs = 0u64;
    for v in i.plan {
        let p = u64::from(v.parallelism.max(1));
        let mut per_subtask = 0u64;
        for (up, strategy) in &v.inputs {
            let pu = parallelism(up);
            let (channels, _) = fan(strategy, pu, p);
            // The producers on the same TaskManager are local; at least those of an even spread.
            let remote =
                if strategy.eq_ignore_ascii_case("FORWARD") { 0 } else { channels - (channels / n).min(channels) };
            let required = r.min(channels * bpc + 1);
            let exclusive = bpc.min((required - 1) / channels.max(1));
            per_subtask += (required - channels * exclusive) + exclusive * remote;
        }
        for down in i.plan.iter().filter(|d| d.inputs.iter().any(|(u, _)| *u == v.id)) {
            for (_, strategy) in down.inputs.iter().filter(|(u, _)| *u == v.id) {
                let (_, subpartitions) = fan(strategy, p, u64::from(down.parallelism.max(1)));
                per_subtask += subpartitions + 1;
            }
        }
        needs += p.div_ceil(n) * per_subtask;
    }
    Some(Budget { needs, has: i.has })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vertex(id: &str, p: u32, inputs: &[(&str, &str)]) -> PlanVertex {
        PlanVertex {
            id: id.into(),
            name: id.into(),
            parallelism: p,
            inputs: inputs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
        }
    }

    fn lab_plan(p: u32) -> Vec<PlanVertex> {
        vec![vertex("src", p, &[]), vertex("sink", p, &[("src", "HASH")])]
    }

    fn inputs(plan: &[PlanVertex], tms: u64, line: Line) -> Inputs<'_> {
        Inputs { plan, taskmanagers: tms, line, buffers_per_channel: None, required_per_gate_max: None, has: 2048 }
    }

    #[test]
    fn the_lab_job_needs_six_buffers_per_taskmanager() {
        // Source p=2 → keyBy → sink p=2 on two TaskManagers: the source's partition 2 + 1,
        // the sink's gate 1 floating + 2 exclusive for its one remote channel.
        let plan = lab_plan(2);
        let b = budget(&inputs(&plan, 2, Line::V2)).unwrap();
        assert_eq!(b.needs, 6);
        assert_eq!(b.describe(), "needs 6 of 2048 buffers (0.3%)");
        // The same job from the captured 2.3.0 plan.
        let captured = crate::sources::flink_rest::settings::parse_plan(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/flink-2.3.0/job-plan.json"
        )))
        .unwrap();
        assert_eq!(budget(&inputs(&captured, 2, Line::V2)).unwrap().needs, 6);
    }

    #[test]
    fn one_taskmanager_has_only_local_channels() {
        let plan = lab_plan(2);
        // Two subtasks of each vertex: 2 × (2 + 1) + 2 × 1.
        assert_eq!(budget(&inputs(&plan, 1, Line::V2)).unwrap().needs, 8);
    }

    #[test]
    fn more_buffers_per_channel_on_1_20_and_a_cap_per_gate() {
        let plan = lab_plan(100);
        let base = budget(&inputs(&plan, 10, Line::V1)).unwrap().needs;
        let more = budget(&Inputs { buffers_per_channel: Some(4), ..inputs(&plan, 10, Line::V1) }).unwrap().needs;
        assert!(more > base, "{more} > {base}");
        // Per TaskManager: 10 sources × 101, 10 sinks × (1 + 2 × 90 remote channels).
        assert_eq!(base, 10 * 101 + 10 * (1 + 2 * 90));
        // 2.x ignores buffers-per-channel.
        let v2 = budget(&Inputs { buffers_per_channel: Some(4), ..inputs(&plan, 10, Line::V2) }).unwrap().needs;
        assert_eq!(v2, base);
        // A cap of 50 per gate: e = min(2, 49/100) = 0 exclusive, 50 floating.
        let capped = budget(&Inputs { required_per_gate_max: Some(50), ..inputs(&plan, 10, Line::V1) }).unwrap().needs;
        assert_eq!(capped, 10 * 101 + 10 * 50);
    }

    #[test]
    fn forward_edges_take_one_local_channel() {
        let plan = vec![vertex("a", 4, &[]), vertex("b", 4, &[("a", "FORWARD")])];
        // a: one subpartition + 1; b: a gate of one channel (required 3: 2 exclusive, which a
        // local channel does not take, and 1 floating).
        assert_eq!(budget(&inputs(&plan, 2, Line::V2)).unwrap().needs, 6, "a: 2 subtasks × 2; b: 2 subtasks × 1");
        assert!(budget(&inputs(&[], 2, Line::V2)).is_none());
    }
}
