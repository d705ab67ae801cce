//! Reads this host once per tick: the TaskManager processes (rescanned every few ticks,
//! since JVMs come and go far more slowly than we poll) and the counter files.

use std::collections::HashMap;
use std::time::Instant;

use super::assign::{self, HostSample, Members};
use super::counters;
use super::processes::{self, TmProcess};
use crate::sources::SourceError;

/// Rescan /proc for TaskManager JVMs this often (in ticks), or sooner when one vanished.
const RESCAN_EVERY: u64 = 30;
/// Walk the JVMs' file descriptors (open files, connections, listening ports) this often:
/// it is most of a tick's cost, and those figures change slowly.
const FDS_EVERY: u64 = 10;

pub struct HostPoller {
    interfaces: Vec<String>,
    known: Vec<(i32, Option<String>)>,
    ticks: u64,
    ticks_per_s: f64,
    page_size: u64,
    /// The previous reading of each interface, for its rates.
    previous: Option<(Instant, Vec<counters::Interface>)>,
    /// Each process's last file-descriptor figures, carried over between walks.
    last: HashMap<i32, TmProcess>,
    last_data_ports: Vec<u16>,
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
            last: HashMap::new(),
            last_data_ports: Vec::new(),
        }
    }

    /// Blocking file reads (a few hundred microseconds): run it on a blocking thread.
    /// `members` say which processes are whose: between walks, only processes that
    /// belong to a group are read (another cluster's JVMs on this host cost nothing).
    pub fn poll(&mut self, members: &[Members; 2]) -> Result<HostSample, SourceError> {
        let data_ports: Vec<u16> = members.iter().flat_map(|m| m.known.data_ports.iter().copied()).collect();
        let data_ports = data_ports.as_slice();
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
        let walk = self.ticks.is_multiple_of(FDS_EVERY)
            || data_ports != self.last_data_ports
            || self.known.iter().any(|(pid, _)| !self.last.contains_key(pid));
        self.ticks += 1;
        let sockets = if walk && !self.known.is_empty() { Some(processes::sockets()) } else { None };
        let mut found: Vec<TmProcess> = Vec::with_capacity(self.known.len());
        for (pid, id) in &self.known {
            let unowned = self.last.get(pid).is_some_and(|p| assign::owner(p, members).is_none());
            if sockets.is_none() && unowned {
                // Keep it known (it is not gone), read it again at the next walk.
                found.push(self.last[pid].clone());
                continue;
            }
            let fds = sockets.as_ref().map(|s| (s, data_ports));
            let Some(mut p) = processes::read(*pid, id.clone(), fds, self.page_size) else { continue };
            if let (None, Some(before)) = (&sockets, self.last.get(pid)) {
                p.open_files = before.open_files;
                p.tcp_connections = before.tcp_connections;
                p.data_connections = before.data_connections;
                p.listen_ports.clone_from(&before.listen_ports);
            }
            found.push(p);
        }
        self.last = found.iter().map(|p| (p.pid, p.clone())).collect();
        self.last_data_ports = data_ports.to_vec();
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
