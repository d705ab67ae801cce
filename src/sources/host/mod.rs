//! This host: the TaskManager JVMs running here (found in /proc) and the host's NIC, TCP
//! and CPU counters. One poller reads them every tick; each group gets the processes that
//! belong to it and, when it has any here, the host's counters.

pub mod assign;
pub(crate) mod counters;
pub(crate) mod poller;
pub(crate) mod processes;

pub use poller::HostPoller;
