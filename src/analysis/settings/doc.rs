//! The settings as one JSON document: what each group's cluster reported, the side-by-side
//! rows and the warnings. The same document goes into snapshots, `flinkscope settings
//! --format json` and the rollback's evidence (docs/settings.md).

use serde_json::{Value, json};

use super::State;
use super::values::show_default;
use crate::model::Group;
use crate::model::settings::GroupSettings;

pub(crate) fn document(state: &State) -> Value {
    let r = &state.review;
    let mut out = json!({});
    for g in Group::BOTH {
        let i = g.index();
        let mut doc = state.read[i].as_ref().map_or_else(|| json!({"read": false}), group);
        if let Some(e) = &state.error[i] {
            doc["error"] = json!(e);
        }
        if let Some((min, max)) = r.network_memory[i] {
            doc["network_memory_bytes"] = json!({"min": min, "max": max});
        }
        if let Some(b) = r.budget[i] {
            doc["buffer_budget"] = json!({"needs": b.needs, "has": b.has, "share": b.share()});
        }
        out[g.as_str()] = doc;
    }
    out["rows"] = r
        .rows
        .iter()
        .map(|row| {
            json!({
                "key": row.opt.key,
                "category": row.opt.category.label(),
                "baseline": row.cells[0].text,
                "variant": row.cells[1].text,
                "default": row.default,
                "differs": row.differs,
                "affects": row.opt.affects,
            })
        })
        .collect();
    out["warnings"] = r
        .warnings
        .iter()
        .map(|w| {
            json!({
                "kind": w.kind.label(),
                "group": w.group.map(Group::as_str),
                "key": w.key,
                "message": w.message,
            })
        })
        .collect();
    out["not_in_effect"] = json!(r.blocking().len());
    out
}

fn group(s: &GroupSettings) -> Value {
    // Of what a TaskManager was given, the keys the catalogue judges: the rest (JVM options,
    // paths, reporters) is long, not about the network, and in its log.
    let line = s.flink_version.as_deref().and_then(super::catalogue::Line::of).unwrap_or(super::catalogue::Line::V2);
    let network = |k: &str| !matches!(super::catalogue::status(k, line), super::catalogue::Status::Other);
    let tms: Vec<Value> = s
        .taskmanagers
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "given": t.given.iter().filter(|(k, _)| network(k)).collect::<std::collections::BTreeMap<_, _>>(),
                "netty_config": t.netty_line,
                "memoryConfiguration": t.memory,
                "hardware": t.hardware,
                "network_memory": t.memory.get("networkMemory").map(|b| show_default(super::catalogue::Kind::Memory, &b.to_string())),
                "segments": t.segments.map(|(available, total)| json!({"available": available, "total": total})),
                "slots": t.slots,
                "problem": t.log_problem,
            })
        })
        .collect();
    let job = s.job.as_ref().map(|j| {
        json!({
            "id": j.id,
            "name": j.name,
            "config": j.config,
            "plan": j.plan.iter().map(|v| json!({
                "id": v.id,
                "name": v.name,
                "parallelism": v.parallelism,
                "inputs": v.inputs.iter().map(|(id, ship)| json!({"id": id, "ship_strategy": ship})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    });
    json!({
        "read": true,
        "read_at": s.read_at.map(crate::analysis::alerts::rfc3339),
        "flink": s.url,
        "flink_version": s.flink_version,
        "jobmanager_config": s.jobmanager,
        "job": job,
        "taskmanagers": tms,
        "problems": s.problems,
    })
}

/// The settings in Markdown, for the rollback's evidence and reports: the rows that
/// differ or are set, then the warnings.
pub(crate) fn markdown(state: &State) -> String {
    use std::fmt::Write;
    let r = &state.review;
    let mut md = String::new();
    for g in Group::BOTH {
        let i = g.index();
        match &state.read[i] {
            Some(s) => {
                let _ = writeln!(
                    md,
                    "- {}: Flink {} at {}, {} TaskManagers",
                    g.as_str(),
                    s.version(),
                    s.url,
                    s.taskmanagers.len()
                );
            }
            None => {
                let _ = writeln!(
                    md,
                    "- {}: not read{}",
                    g.as_str(),
                    state.error[i].as_ref().map(|e| format!(" ({e})")).unwrap_or_default()
                );
            }
        }
    }
    let _ = writeln!(md, "\n| key | baseline | variant | default |\n| --- | --- | --- | --- |");
    for row in r.rows.iter().filter(|row| row.differs || row.cells.iter().any(|c| c.ignored)) {
        let _ = writeln!(md, "| `{}` | {} | {} | {} |", row.opt.key, row.cells[0].text, row.cells[1].text, row.default);
    }
    if r.warnings.is_empty() {
        let _ = writeln!(md, "\nNo settings warnings.");
    } else {
        let _ = writeln!(md);
        for w in &r.warnings {
            let _ = writeln!(md, "- **{}** {}", w.kind.label(), w.message);
        }
    }
    for g in Group::BOTH {
        for t in state.read[g.index()].iter().flat_map(|s| &s.taskmanagers) {
            let _ = writeln!(
                md,
                "\n{} {}: `{}`",
                g.as_str(),
                t.id,
                t.netty_line.as_deref().unwrap_or("no NettyConfig line")
            );
        }
    }
    md
}
