//! Reads this host once per tick: the TaskManager processes (rescanned every few ticks,
//! since JVMs come and go far more slowly than we poll) and the counter files.

use std::time::Instant;

use super::assign::HostSample;
use super::counters;
use super::processes::{self, TmProcess};
use crate::sources::SourceError;

/// Rescan /proc for TaskManager JVMs this often (in ticks), or sooner when one vanished.
const RESCAN_EVERY: u64 = 10;

pub struct HostPoller {
    interfaces: Vec<String>,
    known: Vec<(i32, Option<String>)>,
    ticks: u64,
    ticks_per_s: f64,
    page_size: u64,
    /// The previous reading of each interface, for its rates.
    previous: Option<(Instant, Vec<counters::Interface>)>,
}

impl HostPoller {
    pub fn new(interfaces: Vec<String>) -> Self {
        HostPoller {
            interfaces,
            known: Vec::new(),
            ticks: 0,
            ticks_per_s: procfs::ticks_per_second() as f64,
            page_size: procfs::page_size(),
            previous: None,
        }
    }

    /// Blocking file reads (a few hundred microseconds): run it on a blocking thread.
    /// `data_ports` are the Netty data ports REST reported for either group.
    pub fn poll(&mut self, data_ports: &[u16]) -> Result<HostSample, SourceError> {
        let at = Instant::now();
        let read = |path: &str| std::fs::read(path).map_err(|e| SourceError::Other(format!("{path}: {e}")));
        let dev = read("/proc/net/dev")?;
        let snmp = String::from_utf8_lossy(&read("/proc/net/snmp")?).into_owned();
        let netstat = String::from_utf8_lossy(&read("/proc/net/netstat")?).into_owned();
        let stat = read("/proc/stat")?;
        let host = counters::host_counters(&dev, &snmp, &netstat, &stat, &self.interfaces)
            .map_err(|detail| SourceError::Malformed { what: "host counters", detail })?;
        if self.ticks.is_multiple_of(RESCAN_EVERY) {
            self.known = processes::scan();
        }
        self.ticks += 1;
        let sockets = if self.known.is_empty() { Default::default() } else { processes::sockets() };
        let mut found: Vec<TmProcess> = Vec::with_capacity(self.known.len());
        for (pid, id) in &self.known {
            found.extend(processes::read(*pid, id.clone(), &sockets, data_ports, self.page_size));
        }
        if found.len() < self.known.len() {
            // A TaskManager exited: look again next tick for its replacement.
            self.known.retain(|(pid, _)| found.iter().any(|p| p.pid == *pid));
            self.ticks = 0;
        }
        let interfaces = match &self.previous {
            Some((t0, before)) => {
                counters::interface_rates(before, &host.nic.per_interface, at.duration_since(*t0).as_secs_f64())
            }
            None => Vec::new(),
        };
        self.previous = Some((at, host.nic.per_interface.clone()));
        Ok(HostSample { at, processes: found, host, ticks_per_s: self.ticks_per_s, interfaces })
    }
}
