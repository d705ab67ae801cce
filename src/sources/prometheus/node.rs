//! node_exporter's NIC, TCP and CPU counters mapped to the Host panel's keys, for hosts
//! flinkscope does not run on. The same figures as this host's /proc source: counters
//! summed over the group's node_exporter endpoints, turned into rates by the store.

use std::collections::BTreeSet;

use super::parse::Sample;
use crate::model::{Counter, MetricKey};

#[derive(Default)]
struct Sums {
    rx: f64,
    tx: f64,
    drops: f64,
    errors: f64,
    retrans: Option<f64>,
    timeouts: Option<f64>,
    overflows: Option<f64>,
    cpu_busy: f64,
    cpu_user: f64,
    cpu_system: f64,
    cpu_iowait: f64,
    cpu_softirq: f64,
    cpu_steal: f64,
    cpus: BTreeSet<String>,
}

/// The Host-panel counters of every node_exporter among `scrapes` (none without one).
/// `interfaces` restricts the NIC sums as for /proc (empty: all). The poller folds scrape
/// by scrape (`Fold`); this is the same over scrapes held at once.
#[cfg(test)]
pub(crate) fn counters(scrapes: &[Vec<Sample<'_>>], interfaces: &[String]) -> Vec<Counter> {
    let mut fold = Fold::default();
    for scrape in scrapes {
        fold.add(scrape, interfaces);
    }
    fold.finish()
}

/// The counters folded scrape by scrape (a scrape's text is dropped once read).
#[derive(Default)]
pub(crate) struct Fold {
    s: Sums,
    hosts: u64,
}

impl Fold {
    pub(crate) fn add(&mut self, scrape: &[Sample<'_>], interfaces: &[String]) {
        let (s, hosts) = (&mut self.s, self.hosts);
        let mut is_node = false;
        for m in scrape {
            let Some(rest) = m.name.strip_prefix("node_") else { continue };
            is_node = true;
            let add = |slot: &mut Option<f64>, v: f64| *slot = Some(slot.unwrap_or(0.0) + v);
            match rest {
                "netstat_Tcp_RetransSegs" => add(&mut s.retrans, m.value),
                "netstat_TcpExt_TCPTimeouts" => add(&mut s.timeouts, m.value),
                "netstat_TcpExt_ListenOverflows" => add(&mut s.overflows, m.value),
                "cpu_seconds_total" => {
                    let mode = m.label("mode");
                    let mode = mode.as_deref().unwrap_or("");
                    if let Some(cpu) = m.label("cpu") {
                        s.cpus.insert(format!("{hosts}/{cpu}"));
                    }
                    match mode {
                        "user" | "nice" => s.cpu_user += m.value,
                        "system" => s.cpu_system += m.value,
                        "iowait" => s.cpu_iowait += m.value,
                        "irq" | "softirq" => s.cpu_softirq += m.value,
                        "steal" => s.cpu_steal += m.value,
                        _ => {}
                    }
                    if mode != "idle" && mode != "iowait" {
                        s.cpu_busy += m.value;
                    }
                }
                _ => {
                    let Some(nic) = rest.strip_prefix("network_") else { continue };
                    let device = m.label("device");
                    if !interfaces.is_empty() && !interfaces.iter().any(|i| Some(i.as_str()) == device.as_deref()) {
                        continue;
                    }
                    match nic {
                        "receive_bytes_total" => s.rx += m.value,
                        "transmit_bytes_total" => s.tx += m.value,
                        "receive_drop_total" | "transmit_drop_total" => s.drops += m.value,
                        "receive_errs_total" | "transmit_errs_total" => s.errors += m.value,
                        _ => {}
                    }
                }
            }
        }
        self.hosts += u64::from(is_node);
    }

    pub(crate) fn finish(self) -> Vec<Counter> {
        let (s, hosts) = (self.s, self.hosts);
        if hosts == 0 {
            return Vec::new();
        }
        use MetricKey::*;
        // Coverage: a host that stops answering changes the sum for reasons that are not traffic.
        let c = |key, total: f64, scale: f64| Counter { key, total, scale, coverage: hosts };
        let cpu_scale = 1.0 / s.cpus.len().max(1) as f64;
        let mut out = vec![
            c(NicRxBytesPerS, s.rx, 1.0),
            c(NicTxBytesPerS, s.tx, 1.0),
            c(NicDropsPerS, s.drops, 1.0),
            c(NicErrorsPerS, s.errors, 1.0),
            c(HostCpuBusy, s.cpu_busy, cpu_scale),
            c(HostCpuUser, s.cpu_user, cpu_scale),
            c(HostCpuSystem, s.cpu_system, cpu_scale),
            c(HostCpuIowait, s.cpu_iowait, cpu_scale),
            c(HostCpuSoftirq, s.cpu_softirq, cpu_scale),
            c(HostCpuSteal, s.cpu_steal, cpu_scale),
        ];
        for (key, v) in [(TcpRetransPerS, s.retrans), (TcpTimeoutsPerS, s.timeouts), (ListenOverflowsPerS, s.overflows)]
        {
            out.extend(v.map(|v| c(key, v, 1.0)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::prometheus::parse::parse;

    fn fixture() -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/node-exporter-1.5.0/metrics.txt",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn debian_node_exporter_fills_the_host_keys() {
        let text = fixture();
        let scrape = parse(&text).unwrap();
        let got = counters(std::slice::from_ref(&scrape), &[]);
        let get = |k: MetricKey| got.iter().find(|c| c.key == k).unwrap_or_else(|| panic!("{k:?} missing"));
        assert_eq!(got.len(), 13, "every Host counter but the per-process ones");
        // This VM's steal time shows (541 + 545 s in the capture).
        assert_eq!(get(MetricKey::HostCpuSteal).total, 541.37 + 544.6);
        assert!(get(MetricKey::NicRxBytesPerS).total > 1e6);
        assert_eq!(get(MetricKey::TcpTimeoutsPerS).total, 3.0, "node_netstat_TcpExt_TCPTimeouts in the capture");
        assert_eq!(get(MetricKey::TcpRetransPerS).total, 923.0);
        // Two CPUs: busy seconds per second / 2 is the busy fraction.
        assert_eq!(get(MetricKey::HostCpuBusy).scale, 0.5);
        let eth0 = counters(std::slice::from_ref(&scrape), &["eth0".into()]);
        let rx = |v: &[Counter]| v.iter().find(|c| c.key == MetricKey::NicRxBytesPerS).unwrap().total;
        assert_eq!(rx(&eth0), 3.247443654e9, "node_exporter leaves out lo; the ifb devices are 0");
        assert!(counters(std::slice::from_ref(&scrape), &["nope0".into()])[0].total == 0.0);
        // Two hosts add up, and say so in the coverage.
        let two = counters(&[scrape.clone(), scrape], &[]);
        assert_eq!(two[0].total, 2.0 * got[0].total);
        assert_eq!(two[0].coverage, 2);
    }

    #[test]
    fn a_flink_reporter_alone_has_no_host_counters() {
        let tm = std::fs::read_to_string(format!(
            "{}/tests/fixtures/flink-2.3.0/prometheus-taskmanager.txt",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert!(counters(&[parse(&tm).unwrap()], &[]).is_empty());
    }
}
