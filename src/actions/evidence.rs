//! Evidence of a rollback: what flinkscope saw (verdict, per-metric comparison, alerts),
//! both groups' settings as Flink reports them, and the step results, as JSON and Markdown.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::config::{GroupConfig, HttpSettings};
use crate::sources::http::Endpoint;

/// Reads a group's settings over REST: the JobManager configuration, each TaskManager's
/// memory configuration, and the `NettyConfig [...]` line of each TaskManager's log.
pub async fn group_settings(g: &GroupConfig, http: &HttpSettings) -> Value {
    let Some(flink) = &g.flink else {
        return json!({ "error": "the group has no Flink REST URL: settings cannot be read" });
    };
    let endpoint = match Endpoint::new(&flink.0, &g.auth, &g.tls, http) {
        Ok(e) => e,
        Err(e) => return json!({ "error": e.to_string() }),
    };
    let mut out = json!({ "flink": flink.0 });
    match endpoint
        .get("/jobmanager/config")
        .await
        .and_then(|b| crate::sources::flink_rest::api::parse_jobmanager_config(&b))
    {
        Ok(c) => out["jobmanager_config"] = json!(c),
        Err(e) => out["jobmanager_config_error"] = json!(e.to_string()),
    }
    let tms =
        match endpoint.get("/taskmanagers").await.and_then(|b| crate::sources::flink_rest::api::parse_taskmanagers(&b))
        {
            Ok(t) => t,
            Err(e) => {
                out["taskmanagers_error"] = json!(e.to_string());
                return out;
            }
        };
    let mut list = Vec::new();
    for tm in tms.iter().filter(|t| g.taskmanagers.as_ref().is_none_or(|p| p.is_match(&t.id))) {
        let id = crate::sources::flink_rest::queries::encode(&tm.id);
        let detail: Value = endpoint
            .get(&format!("/taskmanagers/{id}"))
            .await
            .ok()
            .and_then(|b| serde_json::from_str(&b).ok())
            .unwrap_or(Value::Null);
        let netty = endpoint.get(&format!("/taskmanagers/{id}/log")).await.ok().and_then(|log| netty_line(&log));
        list.push(json!({
            "id": crate::sanitize::clean(&tm.id),
            "memoryConfiguration": detail.get("memoryConfiguration").cloned().unwrap_or(Value::Null),
            "netty_config": netty,
        }));
    }
    out["taskmanagers"] = json!(list);
    out
}

/// The TaskManager's effective Netty settings, as its log prints them at start.
pub fn netty_line(log: &str) -> Option<String> {
    log.lines().rev().find(|l| l.contains("NettyConfig [")).map(|l| {
        let from = l.find("NettyConfig [").unwrap_or(0);
        crate::sanitize::clean(&l[from..])
    })
}

/// Writes `<dir>/rollback-<stamp>.json` and `.md`; returns the JSON path.
pub fn write(dir: &Path, stamp: &str, doc: &Value) -> std::io::Result<PathBuf> {
    crate::private::dir(dir)?;
    let json_path = dir.join(format!("rollback-{stamp}.json"));
    crate::private::write(&json_path, serde_json::to_string_pretty(doc).map_err(std::io::Error::other)?.as_bytes())?;
    crate::private::write(&dir.join(format!("rollback-{stamp}.md")), markdown(doc).as_bytes())?;
    Ok(json_path)
}

pub fn markdown(doc: &Value) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# flinkscope rollback {}\n", doc["started"].as_str().unwrap_or(""));
    let _ = writeln!(md, "- user: {}, host: {}, flinkscope {}", doc["user"], doc["host"], doc["version"]);
    let _ = writeln!(md, "- dry run: {}", doc["dry_run"]);
    let _ = writeln!(md, "- result: {}\n", doc["result"].as_str().unwrap_or("?"));
    let _ = writeln!(md, "## Verdict\n\n{} (score {})\n", doc["verdict"]["result"], doc["verdict"]["score"]);
    for r in doc["verdict"]["reasons"].as_array().into_iter().flatten() {
        let _ = writeln!(md, "- {}", r.as_str().unwrap_or(""));
    }
    let _ = writeln!(md, "\n## Alerts\n");
    for a in doc["alerts"].as_array().into_iter().flatten() {
        let _ = writeln!(
            md,
            "- {} {} ({}): {} — since {}, resolved {}",
            a["severity"].as_str().unwrap_or(""),
            a["rule"].as_str().unwrap_or(""),
            a["metric"].as_str().unwrap_or(""),
            a["message"].as_str().unwrap_or(""),
            a["since"].as_str().unwrap_or(""),
            a["resolved"].as_str().unwrap_or("no")
        );
    }
    let _ = writeln!(
        md,
        "\n## Comparison (window means)\n\n| metric | baseline | variant | change % | class |\n| --- | --- | --- | --- | --- |"
    );
    for (k, c) in doc["comparison"].as_object().into_iter().flatten() {
        let _ = writeln!(
            md,
            "| {k} | {} | {} | {} | {} |",
            c["baseline"],
            c["variant"],
            c["change_pct"],
            c["class"].as_str().unwrap_or("")
        );
    }
    let _ = writeln!(md, "\n## Settings as flinkscope saw them\n");
    for g in ["baseline", "variant"] {
        let s = &doc["settings"][g];
        let _ = writeln!(md, "### {g} ({})\n", s["flink"].as_str().unwrap_or(""));
        for tm in s["taskmanagers"].as_array().into_iter().flatten() {
            let _ = writeln!(
                md,
                "- {}: `{}`",
                tm["id"].as_str().unwrap_or(""),
                tm["netty_config"].as_str().unwrap_or("no NettyConfig line")
            );
        }
        let _ = writeln!(md, "\n(the JobManager configuration and memory configurations are in the JSON file)\n");
    }
    let _ = writeln!(md, "## Steps\n");
    for s in doc["steps"].as_array().into_iter().flatten() {
        let _ = writeln!(
            md,
            "### {}\n\n`{}`\n\nstate {}, exit code {}, signal {}, {} ms\n\n```\n{}\n```\n",
            s["name"].as_str().unwrap_or(""),
            s["argv"]
                .as_array()
                .map(|a| a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
            s["result"]["state"].as_str().unwrap_or("not run"),
            s["result"]["exit_code"],
            s["result"]["signal"],
            s["result"]["duration_ms"],
            s["result"]["tail"]
                .as_array()
                .map(|t| t.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join("\n"))
                .unwrap_or_default()
        );
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netty_line_from_a_log() {
        let log = "2026 INFO x - Loading configuration property: taskmanager.network.netty.server.numThreads, 3\n\
                   2026 INFO org.apache.flink.runtime.io.network.netty.NettyConfig - NettyConfig [server address: /127.0.0.1, server port range: 0, ssl enabled: false, memory segment size (bytes): 32768, transport type: AUTO, number of server threads: 2 (manual), number of client threads: 2 (manual)]\n";
        let l = netty_line(log).unwrap();
        assert!(l.starts_with("NettyConfig [server address"));
        assert!(l.contains("number of server threads: 2"));
        assert_eq!(netty_line("nothing here"), None);
    }
}
