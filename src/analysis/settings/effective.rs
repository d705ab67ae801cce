//! What one TaskManager really runs with for one option: what its Netty stack logged, else
//! the value it was given (under the option's key or an older name this Flink still reads),
//! else this Flink's default.

use super::catalogue::{Category, Line, Opt};
use crate::model::settings::{JobSettings, TaskManagerSettings};

/// Where a value shown for an option came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Origin {
    /// The TaskManager's `NettyConfig [...]` log line: applied, not only given.
    Netty,
    /// The configuration the TaskManager (or the job) was given.
    Given,
    /// Nothing set: the running Flink's default.
    Default,
}

impl Origin {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Origin::Netty => "NettyConfig",
            Origin::Given => "config",
            Origin::Default => "default",
        }
    }
}

/// The NettyConfig line's field for an option, where it prints one.
fn netty_field(key: &str) -> Option<&'static str> {
    Some(match key {
        "taskmanager.network.netty.server.numThreads" => "number of server threads",
        "taskmanager.network.netty.client.numThreads" => "number of client threads",
        "taskmanager.network.netty.transport" => "transport type",
        "taskmanager.memory.segment-size" => "memory segment size (bytes)",
        "taskmanager.data.ssl.enabled" => "ssl enabled",
        _ => return None,
    })
}

/// The option's value on this TaskManager, or `None` when this Flink does not have it.
pub(crate) fn value(
    opt: &Opt,
    tm: &TaskManagerSettings,
    job: Option<&JobSettings>,
    line: Line,
) -> Option<(String, Origin)> {
    let default = opt.on(line).default()?;
    if let Some(field) = netty_field(opt.key)
        && let Some(v) = tm.netty.get(field)
    {
        // "2 (manual)", "4 (use number of slots)": the number is what runs.
        let first = v.split_whitespace().next().unwrap_or(v).to_string();
        return Some((first, Origin::Netty));
    }
    // Job options come from the job's own configuration, else the cluster's (which a job
    // inherits unless it sets its own); TaskManager options from the TaskManager's.
    let job_config = if opt.category == Category::Job { job.map(|j| &j.config) } else { None };
    for given in job_config.into_iter().chain([&tm.given]) {
        if let Some(v) = given.get(opt.key).or_else(|| opt.fallbacks.iter().find_map(|k| given.get(*k))) {
            return Some((v.clone(), Origin::Given));
        }
    }
    Some((default.to_string(), Origin::Default))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::settings::catalogue;

    fn tm(given: &[(&str, &str)], netty: &[(&str, &str)]) -> TaskManagerSettings {
        TaskManagerSettings {
            id: "tm".into(),
            given: given.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            netty: netty.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn the_netty_line_wins_over_what_was_given() {
        let o = catalogue::find("taskmanager.network.netty.server.numThreads").unwrap();
        let t =
            tm(&[("taskmanager.network.netty.server.numThreads", "4")], &[("number of server threads", "2 (manual)")]);
        assert_eq!(value(o, &t, None, Line::V1), Some(("2".into(), Origin::Netty)));
        assert_eq!(value(o, &t, None, Line::V2), None, "2.x has no such option");
    }

    #[test]
    fn given_under_an_old_name_else_the_default() {
        let o = catalogue::find("taskmanager.memory.network.fraction").unwrap();
        let t = tm(&[("taskmanager.network.memory.fraction", "0.2")], &[]);
        assert_eq!(value(o, &t, None, Line::V2), Some(("0.2".into(), Origin::Given)));
        assert_eq!(value(o, &tm(&[], &[]), None, Line::V2), Some(("0.1".into(), Origin::Default)));
    }

    #[test]
    fn job_options_come_from_the_job() {
        let o = catalogue::find("execution.buffer-timeout.interval").unwrap();
        let job = JobSettings {
            config: [("execution.buffer-timeout".to_string(), "20 ms".to_string())].into(),
            ..Default::default()
        };
        let t = tm(&[("execution.buffer-timeout.interval", "5ms")], &[]);
        assert_eq!(value(o, &t, Some(&job), Line::V2), Some(("20 ms".into(), Origin::Given)));
        assert_eq!(value(o, &t, None, Line::V2), Some(("5ms".into(), Origin::Given)), "the cluster's");
        assert_eq!(value(o, &tm(&[], &[]), None, Line::V2).unwrap().1, Origin::Default);
    }
}
