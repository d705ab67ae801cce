//! Pure readers of the host's counter files (/proc/net/dev, /proc/net/snmp,
//! /proc/net/netstat, /proc/stat), unit-tested on files captured on this machine.

use std::collections::BTreeMap;

use procfs::FromBufRead;

pub(crate) use crate::model::InterfaceRate;
use procfs::net::InterfaceDeviceStatus;

/// Cumulative host counters at one instant.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct HostCounters {
    pub(crate) nic: NicTotals,
    /// `Tcp: RetransSegs`, `TcpExt: TCPTimeouts`, `TcpExt: ListenOverflows`; `None` where
    /// the kernel does not report one.
    pub(crate) tcp_retrans_segs: Option<u64>,
    pub(crate) tcp_timeouts: Option<u64>,
    pub(crate) listen_overflows: Option<u64>,
    pub(crate) cpu: CpuTicks,
}

/// NIC counters summed over the interfaces watched, and each of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct NicTotals {
    pub(crate) rx_bytes: u64,
    pub(crate) tx_bytes: u64,
    /// Received and sent packets dropped.
    pub(crate) drops: u64,
    pub(crate) errors: u64,
    pub(crate) interfaces: usize,
    pub(crate) per_interface: Vec<Interface>,
}

/// One interface's cumulative counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Interface {
    pub(crate) name: String,
    pub(crate) rx_bytes: u64,
    pub(crate) tx_bytes: u64,
    pub(crate) rx_packets: u64,
    pub(crate) tx_packets: u64,
    pub(crate) drops: u64,
    pub(crate) errors: u64,
}

/// Per-second rates of each interface between two readings `dt` seconds apart (an
/// interface that is new, or whose counters went back, has none yet).
pub(crate) fn interface_rates(previous: &[Interface], current: &[Interface], dt: f64) -> Vec<InterfaceRate> {
    if dt <= 0.0 {
        return Vec::new();
    }
    current
        .iter()
        .filter_map(|c| {
            let p = previous.iter().find(|p| p.name == c.name)?;
            let rate = |now: u64, before: u64| now.checked_sub(before).map(|d| d as f64 / dt);
            Some(InterfaceRate {
                name: c.name.clone(),
                rx_bytes_per_s: rate(c.rx_bytes, p.rx_bytes)?,
                tx_bytes_per_s: rate(c.tx_bytes, p.tx_bytes)?,
                rx_packets_per_s: rate(c.rx_packets, p.rx_packets)?,
                tx_packets_per_s: rate(c.tx_packets, p.tx_packets)?,
                drops_per_s: rate(c.drops, p.drops)?,
                errors_per_s: rate(c.errors, p.errors)?,
            })
        })
        .collect()
}

/// /proc/stat's first line: ticks since boot over all CPUs, by mode.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct CpuTicks {
    /// Everything but idle and iowait.
    pub(crate) busy: u64,
    /// user + nice.
    pub(crate) user: u64,
    pub(crate) system: u64,
    pub(crate) iowait: u64,
    /// irq + softirq: where the kernel's network stack spends its time.
    pub(crate) softirq: u64,
    /// Taken by the hypervisor: a noisy neighbour, not this host's work.
    pub(crate) steal: u64,
    pub(crate) total: u64,
    pub(crate) cpus: usize,
}

/// Sums /proc/net/dev over `interfaces` (all of them when empty; loopback included, as
/// TaskManagers on one host shuffle over it).
pub(crate) fn nic_totals(dev: &[u8], interfaces: &[String]) -> Result<NicTotals, String> {
    let status = InterfaceDeviceStatus::from_buf_read(dev).map_err(|e| format!("/proc/net/dev: {e}"))?;
    let mut t = NicTotals::default();
    for (name, d) in &status.0 {
        if !interfaces.is_empty() && !interfaces.iter().any(|i| i == name) {
            continue;
        }
        t.rx_bytes += d.recv_bytes;
        t.tx_bytes += d.sent_bytes;
        t.drops += d.recv_drop + d.sent_drop;
        t.errors += d.recv_errs + d.sent_errs;
        t.interfaces += 1;
        t.per_interface.push(Interface {
            name: crate::sanitize::clean(name),
            rx_bytes: d.recv_bytes,
            tx_bytes: d.sent_bytes,
            rx_packets: d.recv_packets,
            tx_packets: d.sent_packets,
            drops: d.recv_drop + d.sent_drop,
            errors: d.recv_errs + d.sent_errs,
        });
    }
    if t.interfaces == 0 {
        let known: Vec<&str> = status.0.keys().map(String::as_str).collect();
        return Err(format!("none of the interfaces {interfaces:?} exists here (known: {})", known.join(", ")));
    }
    Ok(t)
}

/// /proc/net/snmp and /proc/net/netstat: pairs of lines, a header of names and a line of
/// values, both prefixed by the protocol (`Tcp:`, `TcpExt:`). Keys are `Tcp:RetransSegs`.
pub(crate) fn counter_table(text: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let (Some(names), Some(values)) = (lines.next(), lines.next()) {
        let (Some((proto, names)), Some((proto2, values))) = (names.split_once(':'), values.split_once(':')) else {
            break;
        };
        if proto != proto2 {
            break; // out of step: a damaged file, keep what was read
        }
        for (n, v) in names.split_whitespace().zip(values.split_whitespace()) {
            // Some fields (Tcp: MaxConn) are -1: not a counter.
            if let Ok(v) = v.parse::<u64>() {
                out.insert(format!("{proto}:{n}"), v);
            }
        }
    }
    out
}

/// The `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal ... (ticks).
pub(crate) fn cpu_ticks(stat: &[u8]) -> Result<CpuTicks, String> {
    let text = std::str::from_utf8(stat).map_err(|e| format!("/proc/stat: {e}"))?;
    let line = text.lines().find(|l| l.starts_with("cpu ")).ok_or("/proc/stat: no `cpu` line")?;
    let v: Vec<u64> = line.split_whitespace().skip(1).map(|f| f.parse().unwrap_or(0)).collect();
    if v.len() < 4 {
        return Err(format!("/proc/stat: short `cpu` line: {line}"));
    }
    let at = |i: usize| v.get(i).copied().unwrap_or(0);
    // guest and guest_nice (8, 9) are already counted in user and nice.
    let busy = at(0) + at(1) + at(2) + at(5) + at(6) + at(7);
    let idle = at(3) + at(4);
    let cpus =
        text.lines().filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit)).count();
    Ok(CpuTicks {
        busy,
        user: at(0) + at(1),
        system: at(2),
        iowait: at(4),
        softirq: at(5) + at(6),
        steal: at(7),
        total: busy + idle,
        cpus: cpus.max(1),
    })
}

/// Everything but the processes, from the files' contents.
pub(crate) fn host_counters(
    dev: &[u8],
    snmp: &str,
    netstat: &str,
    stat: &[u8],
    interfaces: &[String],
) -> Result<HostCounters, String> {
    let tables: BTreeMap<String, u64> = counter_table(snmp).into_iter().chain(counter_table(netstat)).collect();
    Ok(HostCounters {
        nic: nic_totals(dev, interfaces)?,
        tcp_retrans_segs: tables.get("Tcp:RetransSegs").copied(),
        tcp_timeouts: tables.get("TcpExt:TCPTimeouts").copied(),
        listen_overflows: tables.get("TcpExt:ListenOverflows").copied(),
        cpu: cpu_ticks(stat)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/fixtures/host/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn reads_this_machines_files() {
        let snmp = String::from_utf8(fixture("snmp")).unwrap();
        let netstat = String::from_utf8(fixture("netstat")).unwrap();
        let h = host_counters(&fixture("dev"), &snmp, &netstat, &fixture("stat"), &[]).unwrap();
        assert!(h.nic.interfaces >= 2, "lo and at least one NIC: {:?}", h.nic);
        // The lab's shuffle runs over loopback: many bytes each way.
        let lo = nic_totals(&fixture("dev"), &["lo".into()]).unwrap();
        assert!(lo.rx_bytes > 1_000_000 && lo.rx_bytes == lo.tx_bytes, "{lo:?}");
        assert!(h.nic.rx_bytes >= lo.rx_bytes);
        assert_eq!(h.nic.per_interface.len(), h.nic.interfaces);
        assert!(lo.per_interface[0].name == "lo" && lo.per_interface[0].rx_packets > 0);
        // Rates between two readings: 1000 more bytes in 2 s is 500 B/s.
        let mut later = lo.per_interface.clone();
        later[0].rx_bytes += 1000;
        let r = interface_rates(&lo.per_interface, &later, 2.0);
        assert_eq!((r[0].rx_bytes_per_s, r[0].tx_bytes_per_s), (500.0, 0.0));
        later[0].rx_bytes = 0; // a reset (the interface came back): no rate
        assert!(interface_rates(&lo.per_interface, &later, 2.0).is_empty());
        assert!(h.tcp_retrans_segs.is_some() && h.tcp_timeouts.is_some() && h.listen_overflows.is_some());
        assert!(h.cpu.total > h.cpu.busy && h.cpu.busy > 0 && h.cpu.cpus >= 1, "{:?}", h.cpu);
        let c = h.cpu;
        assert_eq!(c.busy, c.user + c.system + c.softirq + c.steal, "modes add up: {c:?}");
        let t = counter_table(&snmp);
        assert!(t.contains_key("Tcp:ActiveOpens") && t.contains_key("Udp:InDatagrams"));
        assert!(!t.contains_key("Tcp:MaxConn"), "-1 is not a counter");
    }

    #[test]
    fn damaged_files_are_errors_or_partial_never_a_panic() {
        assert!(nic_totals(b"garbage", &[]).is_err());
        assert!(nic_totals(&fixture("dev"), &["nope0".into()]).unwrap_err().contains("known: "));
        assert!(cpu_ticks(b"").is_err());
        let t = counter_table("Tcp: A B\nTcp: 1 2\nUdp: X\nTcpExt: 5\n");
        assert_eq!(t.len(), 2, "stops at the line out of step: {t:?}");
        assert!(counter_table("").is_empty());
    }
}
