//! TaskManager JVMs on this host: found by their command line, named by the resource id
//! Flink knows them by, and read from /proc. A process that exits between the scan and the
//! read is skipped quietly: it is gone, not an error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use procfs::process::{FDTarget, Process};

const RUNNER: &str = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
const RESOURCE_ID: &str = "taskmanager.resource-id";

/// A TaskManager JVM here, with what it has used so far.
#[derive(Debug, Clone, PartialEq)]
pub struct TmProcess {
    pub(crate) pid: i32,
    /// `taskmanager.resource-id` from a `-D` argument or the TaskManager's config file;
    /// `None` when Flink generated the id (it cannot be told from outside).
    pub(crate) resource_id: Option<String>,
    /// utime + stime in clock ticks.
    pub(crate) cpu_ticks: u64,
    pub(crate) rss_bytes: u64,
    pub(crate) threads: u64,
    pub(crate) open_files: u64,
    /// Established TCP connections the process holds.
    pub(crate) tcp_connections: u64,
    /// Those with a Netty data port at either end (`None` when no data ports are known,
    /// i.e. no group has a REST source).
    pub(crate) data_connections: Option<u64>,
    /// TCP ports it listens on (its Netty data port among them).
    pub(crate) listen_ports: Vec<u16>,
}

pub(crate) fn is_taskmanager(cmdline: &[String]) -> bool {
    cmdline.iter().any(|a| a == RUNNER)
}

/// The resource id a TaskManager was started with: `-Dtaskmanager.resource-id=X`,
/// `-D taskmanager.resource-id=X`, else the `taskmanager.resource-id:` line of the
/// config.yaml (Flink 2) or flink-conf.yaml (1.x) in its `--configDir`.
pub(crate) fn resource_id(cmdline: &[String], read: impl Fn(&Path) -> Option<String>) -> Option<String> {
    let prefix = format!("{RESOURCE_ID}=");
    let mut config_dir = None;
    for (i, a) in cmdline.iter().enumerate() {
        let dynamic = a.strip_prefix("-D").map(|d| if d.is_empty() { cmdline.get(i + 1).map_or("", |s| s) } else { d });
        if let Some(v) = dynamic.and_then(|d| d.strip_prefix(&prefix)) {
            return Some(v.to_string()).filter(|v| !v.is_empty());
        }
        if a == "--configDir" || a == "-c" {
            config_dir = cmdline.get(i + 1).map(PathBuf::from);
        }
    }
    let dir = config_dir?;
    ["config.yaml", "flink-conf.yaml"].iter().find_map(|f| read(&dir.join(f)).and_then(|text| from_config(&text)))
}

/// The flat `taskmanager.resource-id: X` line of a Flink config file.
fn from_config(text: &str) -> Option<String> {
    text.lines().rev().find_map(|l| {
        let v = l.trim().strip_prefix(RESOURCE_ID)?.trim_start().strip_prefix(':')?;
        let v = v.split(" #").next().unwrap_or(v).trim().trim_matches(|c| c == '"' || c == '\'');
        (!v.is_empty()).then(|| v.to_string())
    })
}

/// Every TaskManager JVM on this host (pid and resource id).
pub(crate) fn scan() -> Vec<(i32, Option<String>)> {
    let Ok(all) = procfs::process::all_processes() else { return Vec::new() };
    all.filter_map(Result::ok)
        .filter_map(|p| {
            let cmd = p.cmdline().ok()?;
            is_taskmanager(&cmd).then(|| (p.pid, resource_id(&cmd, |f| std::fs::read_to_string(f).ok())))
        })
        .collect()
}

/// The host's TCP sockets by inode (IPv4 and IPv6: Java's sockets are tcp6).
#[derive(Debug, Default)]
pub(crate) struct Sockets {
    /// inode -> (local port, remote port)
    pub(crate) established: HashMap<u64, (u16, u16)>,
    pub(crate) listening: HashMap<u64, u16>,
}

pub(crate) fn sockets() -> Sockets {
    let v4 = procfs::net::tcp().unwrap_or_default();
    let v6 = procfs::net::tcp6().unwrap_or_default();
    sockets_of(v4.iter().chain(&v6))
}

fn sockets_of<'a>(entries: impl Iterator<Item = &'a procfs::net::TcpNetEntry>) -> Sockets {
    use procfs::net::TcpState;
    let mut s = Sockets::default();
    for e in entries {
        match e.state {
            TcpState::Established => {
                s.established.insert(e.inode, (e.local_address.port(), e.remote_address.port()));
            }
            TcpState::Listen => {
                s.listening.insert(e.inode, e.local_address.port());
            }
            _ => {}
        }
    }
    s
}

/// Reads one process; `None` when it has gone. `fds`: also walk its file descriptors
/// against the host's sockets (and the known data ports) for open files, connections and
/// listening ports; without it those fields are left empty for the caller to carry over
/// (the walk is most of a tick's cost, and they change slowly).
pub(crate) fn read(
    pid: i32,
    resource_id: Option<String>,
    fds: Option<(&Sockets, &[u16])>,
    page_size: u64,
) -> Option<TmProcess> {
    let p = Process::new(pid).ok()?;
    let stat = p.stat().ok()?;
    let (mut open_files, mut tcp_connections, mut data, mut listen_ports) = (0u64, 0u64, 0u64, Vec::new());
    if let Some((sockets, data_ports)) = fds {
        for fd in p.fd().ok()?.flatten() {
            open_files += 1;
            if let FDTarget::Socket(inode) = fd.target {
                if let Some((local, remote)) = sockets.established.get(&inode) {
                    tcp_connections += 1;
                    data += u64::from(data_ports.contains(local) || data_ports.contains(remote));
                } else if let Some(port) = sockets.listening.get(&inode) {
                    listen_ports.push(*port);
                }
            }
        }
    }
    Some(TmProcess {
        pid,
        resource_id,
        cpu_ticks: stat.utime + stat.stime,
        rss_bytes: stat.rss * page_size,
        threads: stat.num_threads.max(0) as u64,
        open_files,
        tcp_connections,
        data_connections: fds.filter(|(_, ports)| !ports.is_empty()).map(|_| data),
        listen_ports,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(std::string::ToString::to_string).collect()
    }

    #[test]
    fn a_real_taskmanager_command_line() {
        let text =
            std::fs::read_to_string(format!("{}/tests/fixtures/host/taskmanager-cmdline", env!("CARGO_MANIFEST_DIR")))
                .unwrap();
        let cmd: Vec<String> = text.lines().map(String::from).collect();
        assert!(is_taskmanager(&cmd));
        // The lab sets the id in the config file of --configDir.
        let seen = std::cell::RefCell::new(Vec::new());
        let id = resource_id(&cmd, |p| {
            seen.borrow_mut().push(p.to_path_buf());
            p.ends_with("config.yaml")
                .then(|| "taskmanager.host: 127.0.0.1\ntaskmanager.resource-id: tm-base-1\n".into())
        });
        assert_eq!(id.as_deref(), Some("tm-base-1"));
        assert!(seen.borrow()[0].ends_with("tm-base-1/conf/config.yaml"), "{:?}", seen.borrow());
        assert!(!is_taskmanager(&args(&[
            "java",
            "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint"
        ])));
    }

    #[test]
    fn resource_id_forms() {
        let none = |_: &Path| None;
        assert_eq!(resource_id(&args(&["java", "-Dtaskmanager.resource-id=a-1"]), none).as_deref(), Some("a-1"));
        assert_eq!(resource_id(&args(&["java", "-D", "taskmanager.resource-id=b"]), none).as_deref(), Some("b"));
        assert_eq!(resource_id(&args(&["java", "-D", "taskmanager.numberOfTaskSlots=1"]), none), None);
        let conf = |text: &'static str| move |p: &Path| p.ends_with("flink-conf.yaml").then(|| text.to_string());
        let cmd = args(&["java", RUNNER, "--configDir", "/x/conf"]);
        assert_eq!(resource_id(&cmd, conf("taskmanager.resource-id: \"q-7\"  # ours\n")).as_deref(), Some("q-7"));
        assert_eq!(resource_id(&cmd, conf("# taskmanager.resource-id: old\n")), None);
        assert_eq!(resource_id(&cmd, conf("taskmanager.resource-id:\n")), None);
    }

    #[test]
    fn reads_this_process_and_skips_a_gone_one() {
        // A listening socket of our own shows as this process's port.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // A connection to it counts as a data connection when its port is a data port.
        let client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (_server, _) = listener.accept().unwrap();
        let s = sockets();
        let me = read(std::process::id() as i32, None, Some((&s, &[port])), procfs::page_size()).unwrap();
        assert!(me.rss_bytes > 0 && me.threads >= 1 && me.open_files >= 3, "{me:?}");
        assert!(me.listen_ports.contains(&port), "{me:?}");
        // Both ends are ours: the client's remote port and the server's local port.
        assert!(me.data_connections == Some(2) && me.tcp_connections >= 2, "{me:?}");
        let unknown = read(std::process::id() as i32, None, Some((&s, &[])), procfs::page_size()).unwrap();
        assert_eq!(unknown.data_connections, None, "no data ports known: no figure, not 0");
        let stat_only = read(std::process::id() as i32, None, None, procfs::page_size()).unwrap();
        assert!(stat_only.rss_bytes > 0 && stat_only.open_files == 0 && stat_only.listen_ports.is_empty());
        drop(client);
        assert_eq!(read(i32::MAX, None, None, 4096), None);
    }

    #[test]
    fn socket_tables_captured_with_the_lab_running() {
        use procfs::FromBufReadSI;
        let read = |f: &str| {
            let bytes = std::fs::read(format!("{}/tests/fixtures/host/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap();
            let info = procfs::current_system_info();
            procfs::net::TcpNetEntries::from_buf_read(bytes.as_slice(), info).unwrap().0
        };
        let (v4, v6) = (read("tcp"), read("tcp6"));
        let s = sockets_of(v4.iter().chain(&v6));
        // The lab's REST ports listen; its TaskManagers hold established data connections.
        let ports: HashSet<u16> = s.listening.values().copied().collect();
        assert!(ports.contains(&8081) && ports.contains(&8082), "{ports:?}");
        assert!(s.established.len() >= 8, "{}", s.established.len());
    }
}
