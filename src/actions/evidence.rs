//! Evidence of a rollback: what flinkscope saw (verdict, per-metric comparison, alerts),
//! both groups' settings as the sources last read them, and the step results, as JSON and
//! Markdown.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Writes `<dir>/rollback-<stamp>.json` and `.md`; returns the JSON path.
pub(crate) fn write(dir: &Path, stamp: &str, doc: &Value, settings_md: &str) -> std::io::Result<PathBuf> {
    crate::private::dir(dir)?;
    let json_path = dir.join(format!("rollback-{stamp}.json"));
    crate::private::write(&json_path, serde_json::to_string_pretty(doc).map_err(std::io::Error::other)?.as_bytes())?;
    crate::private::write(&dir.join(format!("rollback-{stamp}.md")), markdown(doc, settings_md).as_bytes())?;
    Ok(json_path)
}

pub(crate) fn markdown(doc: &Value, settings_md: &str) -> String {
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
    let _ = writeln!(
        md,
        "\n## Settings as flinkscope saw them\n\n{settings_md}\n(the full settings are in the JSON file)\n"
    );
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
