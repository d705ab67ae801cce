//! Which group a local TaskManager process belongs to, and each group's figures from one
//! reading of this host (pure: tested without /proc).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use super::counters::HostCounters;
use super::processes::TmProcess;
use crate::config::TmPattern;
use crate::model::{Batch, Counter, Group, InterfaceRate, MetricKey};
use crate::sources::flink_metrics::tm_matches;

/// One reading of this host.
#[derive(Debug, Clone)]
pub struct HostSample {
    pub(crate) at: Instant,
    pub processes: Vec<TmProcess>,
    pub(crate) host: HostCounters,
    pub(crate) ticks_per_s: f64,
    /// Each interface's rates since the previous reading.
    pub(crate) interfaces: Vec<InterfaceRate>,
}

/// What a group's other sources reported about its TaskManagers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Known {
    pub(crate) ids: Vec<String>,
    /// REST's Netty data ports; empty for a group without REST.
    pub(crate) data_ports: Vec<u16>,
}

/// How a group's TaskManagers are known: its regex (split mode) and what its sources
/// reported (pair mode has no regex: a cluster's TaskManagers are its own).
#[derive(Debug, Clone, Default)]
pub struct Members {
    pub pattern: Option<TmPattern>,
    pub known: Known,
}

use crate::model::taskmanager::same_taskmanager as same_id;

/// The group a local TaskManager process belongs to. The Netty data port it listens on
/// decides where REST reported ports (two clusters on one host may both have a `tm-1`);
/// otherwise the resource id the group's sources reported, else the one group whose
/// regex matches it.
pub(crate) fn owner(p: &TmProcess, groups: &[Members; 2]) -> Option<Group> {
    if let Some(g) = Group::BOTH
        .into_iter()
        .find(|g| groups[g.index()].known.data_ports.iter().any(|port| p.listen_ports.contains(port)))
    {
        return Some(g);
    }
    let id = p.resource_id.as_deref()?;
    // A group with ports but none of this process's is not its group, whatever the id.
    let candidates: Vec<Group> =
        Group::BOTH.into_iter().filter(|g| groups[g.index()].known.data_ports.is_empty()).collect();
    if let Some(g) = candidates.iter().copied().find(|g| groups[g.index()].known.ids.iter().any(|k| same_id(k, id))) {
        return Some(g);
    }
    let by_pattern: Vec<Group> = candidates
        .into_iter()
        .filter(|g| groups[g.index()].pattern.as_ref().is_some_and(|pat| tm_matches(Some(pat), id)))
        .collect();
    (by_pattern.len() == 1).then(|| by_pattern[0])
}

/// Each group's batch: its processes here and, when it has any, the host's counters.
/// A group without a TaskManager on this host gets `None` (not a zero).
pub(crate) fn batches(sample: &HostSample, groups: &[Members; 2], interval: Duration) -> [Option<Batch>; 2] {
    Group::BOTH.map(|g| {
        let mine: Vec<&TmProcess> = sample.processes.iter().filter(|p| owner(p, groups) == Some(g)).collect();
        (!mine.is_empty()).then(|| batch(sample, &mine, interval))
    })
}

fn batch(s: &HostSample, procs: &[&TmProcess], interval: Duration) -> Batch {
    use MetricKey::*;
    let n = procs.len() as f64;
    let mean = |f: fn(&TmProcess) -> u64| Some(procs.iter().map(|p| f(p) as f64).sum::<f64>() / n);
    // A process that restarts (new pid) restarts its counters: rates skip that interval.
    let mut pids = DefaultHasher::new();
    procs.iter().map(|p| p.pid).collect::<Vec<_>>().hash(&mut pids);
    let counter = |key, total: u64, scale| Counter { key, total: total as f64, scale, coverage: 0 };
    let h = &s.host;
    let cpu_scale = 1.0 / (s.ticks_per_s * h.cpu.cpus as f64);
    let mut counters = vec![
        Counter {
            key: ProcessCpuCores,
            total: procs.iter().map(|p| p.cpu_ticks as f64).sum(),
            scale: 1.0 / (s.ticks_per_s * n),
            coverage: procs.len() as u64,
        },
        counter(NicRxBytesPerS, h.nic.rx_bytes, 1.0),
        counter(NicTxBytesPerS, h.nic.tx_bytes, 1.0),
        counter(NicDropsPerS, h.nic.drops, 1.0),
        counter(NicErrorsPerS, h.nic.errors, 1.0),
        counter(HostCpuBusy, h.cpu.busy, cpu_scale),
        counter(HostCpuUser, h.cpu.user, cpu_scale),
        counter(HostCpuSystem, h.cpu.system, cpu_scale),
        counter(HostCpuIowait, h.cpu.iowait, cpu_scale),
        counter(HostCpuSoftirq, h.cpu.softirq, cpu_scale),
        counter(HostCpuSteal, h.cpu.steal, cpu_scale),
    ];
    for (key, v) in [
        (TcpRetransPerS, h.tcp_retrans_segs),
        (TcpTimeoutsPerS, h.tcp_timeouts),
        (ListenOverflowsPerS, h.listen_overflows),
    ] {
        counters.extend(v.map(|v| counter(key, v, 1.0)));
    }
    Batch {
        gauges: vec![
            (ProcessRssBytes, mean(|p| p.rss_bytes)),
            (ProcessThreads, mean(|p| p.threads)),
            (ProcessOpenFiles, mean(|p| p.open_files)),
            (ProcessTcpConnections, mean(|p| p.tcp_connections)),
            (ProcessDataConnections, {
                let known: Vec<u64> = procs.iter().filter_map(|p| p.data_connections).collect();
                (known.len() == procs.len()).then(|| known.iter().sum::<u64>() as f64 / n)
            }),
        ],
        counters,
        epoch: pids.finish(),
        interfaces: s.interfaces.clone(),
        taskmanagers: procs.iter().filter_map(|p| p.resource_id.clone()).collect(),
        ..Batch::new(crate::model::SourceKind::Host, s.at, interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::host::counters::{CpuTicks, NicTotals};

    fn process(pid: i32, id: Option<&str>, cpu_ticks: u64) -> TmProcess {
        TmProcess {
            pid,
            resource_id: id.map(String::from),
            cpu_ticks,
            rss_bytes: 100 << 20,
            threads: 80,
            open_files: 200,
            tcp_connections: 4,
            data_connections: Some(2),
            listen_ports: vec![40000 + pid as u16],
        }
    }

    fn ids(ids: &[&str]) -> Known {
        Known { ids: ids.iter().map(std::string::ToString::to_string).collect(), data_ports: vec![] }
    }

    fn sample(at: Instant, procs: Vec<TmProcess>, rx: u64) -> HostSample {
        HostSample {
            at,
            processes: procs,
            host: HostCounters {
                nic: NicTotals { rx_bytes: rx, tx_bytes: rx, interfaces: 2, ..NicTotals::default() },
                tcp_retrans_segs: Some(10),
                tcp_timeouts: Some(3),
                listen_overflows: None,
                cpu: CpuTicks { busy: 500, softirq: 10, total: 1000, cpus: 2, ..CpuTicks::default() },
            },
            ticks_per_s: 100.0,
            interfaces: Vec::new(),
        }
    }

    #[test]
    fn owners_by_data_port_then_known_ids_then_regex() {
        let owner_of = |id: &str, pid: i32, groups: &[Members; 2]| owner(&process(pid, Some(id), 0), groups);
        let pair = [
            Members { pattern: None, known: ids(&["tm_base_1", "tm-base-2"]) },
            Members { pattern: None, known: ids(&["tm-var-1"]) },
        ];
        assert_eq!(owner_of("tm-base-1", 1, &pair), Some(Group::Baseline), "sanitised id from Prometheus");
        assert_eq!(owner_of("tm-var-1", 1, &pair), Some(Group::Variant));
        assert_eq!(owner_of("elsewhere", 1, &pair), None, "no regex, not reported: nobody's");
        let split = [
            Members { pattern: Some(TmPattern::new("^tm-base").unwrap()), known: ids(&[]) },
            Members { pattern: Some(TmPattern::new("^tm-").unwrap()), known: ids(&["tm-var-1"]) },
        ];
        assert_eq!(owner_of("tm-var-1", 1, &split), Some(Group::Variant));
        assert_eq!(owner_of("tm-base-3", 1, &split), None, "two regexes match: ambiguous");
        assert_eq!(owner_of("tm-x", 1, &split), Some(Group::Variant));
        // REST's data ports: two clusters here both have a `tm-1`; the port tells them apart.
        let ports = [
            Members { pattern: None, known: Known { ids: vec!["tm-1".into()], data_ports: vec![40001] } },
            Members { pattern: None, known: Known { ids: vec!["tm-1".into()], data_ports: vec![40002] } },
        ];
        assert_eq!(owner_of("tm-1", 1, &ports), Some(Group::Baseline));
        assert_eq!(owner_of("tm-1", 2, &ports), Some(Group::Variant));
        assert_eq!(owner_of("tm-1", 3, &ports), None, "a third cluster's tm-1");
        assert_eq!(owner(&process(2, None, 0), &ports), Some(Group::Variant), "no id needed");
    }

    #[test]
    fn group_batches_become_rates_in_the_store() {
        let groups = [
            Members { pattern: None, known: ids(&["tm-base-1"]) },
            Members { pattern: None, known: ids(&["tm-var-1", "tm-var-2"]) },
        ];
        let t0 = Instant::now();
        let procs =
            |cpu| vec![process(1, Some("tm-base-1"), cpu), process(2, Some("tm-var-1"), cpu), process(3, None, 0)];
        let first = batches(&sample(t0, procs(0), 0), &groups, Duration::from_secs(1));
        let second =
            batches(&sample(t0 + Duration::from_secs(2), procs(100), 2_000_000), &groups, Duration::from_secs(1));
        let mut store = crate::model::Store::with_epoch(t0, Duration::from_secs(600), Duration::from_secs(1));
        for b in [first, second] {
            for (g, batch) in Group::BOTH.into_iter().zip(b) {
                store.ingest(g, batch.expect("both groups have a process here"));
            }
        }
        let last = |g, k| store.group(g).series(k).current();
        // 100 ticks at 100/s over 2 s: half a core per process.
        assert_eq!(last(Group::Variant, MetricKey::ProcessCpuCores), Some(0.5));
        assert_eq!(last(Group::Baseline, MetricKey::NicRxBytesPerS), Some(1_000_000.0));
        assert_eq!(last(Group::Baseline, MetricKey::ProcessRssBytes), Some((100 << 20) as f64));
        assert_eq!(last(Group::Baseline, MetricKey::TcpTimeoutsPerS), Some(0.0));
        assert_eq!(
            store.group(Group::Baseline).provider(MetricKey::ProcessThreads),
            Some(crate::model::SourceKind::Host)
        );
        // Not reported by the host source: the REST source describes TaskManagers.
        assert!(store.group(Group::Baseline).taskmanagers.is_empty());

        let nobody = [Members::default(), Members::default()];
        assert!(batches(&sample(t0, procs(0), 0), &nobody, Duration::from_secs(1)).iter().all(Option::is_none));
    }
}
