//! `flinkscope preflight`: the test plan's pre-test checks that a tool can make, before a
//! canary starts. It polls every source for a short while (the dashboard's loop, headless),
//! then checks what answered and what the config prepares: the jobs, the rollback steps (a
//! dry run of their argv as they would run now), the audit and evidence folders, the
//! settings review, thresholds and stages.

use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::app::{App, HealthState};
use crate::cli::Format;
use crate::config::Config;
use crate::model::{Group, JobState};
use crate::sources::SourceKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Ok,
    /// Worth knowing; does not fail the preflight.
    Warn,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Check {
    pub(crate) name: String,
    pub(crate) status: Status,
    pub(crate) detail: String,
}

fn check(name: impl Into<String>, status: Status, detail: impl Into<String>) -> Check {
    Check { name: name.into(), status, detail: detail.into() }
}

pub async fn run(config: &Config, duration: Duration, fmt: Format) -> (String, u8) {
    let watched = match crate::headless::watch(config, crate::headless::Until::Duration(duration)).await {
        Ok(w) => w,
        Err(e) => return (format!("flinkscope: {e}"), 2),
    };
    let checks = checks(&watched.app, config);
    let failed = checks.iter().any(|c| c.status == Status::Fail);
    let out = match fmt {
        Format::Json => {
            serde_json::to_string_pretty(&serde_json::json!({ "ok": !failed, "checks": checks })).unwrap_or_default()
        }
        Format::Text => text(&checks),
    };
    (out, u8::from(failed))
}

fn text(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        let mark = match c.status {
            Status::Ok => "✓",
            Status::Warn => "!",
            Status::Fail => "✗",
        };
        let _ = writeln!(out, "{mark} {}: {}", c.name, c.detail);
    }
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    let _ = write!(
        out,
        "\n{}",
        if failed == 0 { "preflight: ready".to_string() } else { format!("preflight: {failed} check(s) failed") }
    );
    out
}

/// Every check on the app's state after the poll, and the config's files.
pub(crate) fn checks(app: &App, config: &Config) -> Vec<Check> {
    let mut out = Vec::new();
    let now = app.now();
    for (id, h) in &app.health {
        // This host's counters judge nothing: a host without them is worth a note only.
        let missing = if id.kind == SourceKind::Host { Status::Warn } else { Status::Fail };
        out.push(match h.state(now) {
            HealthState::Live => check(format!("source {}", h.name), Status::Ok, "answers"),
            HealthState::Failed(why) => check(format!("source {}", h.name), missing, format!("failed: {why}")),
            HealthState::Stale(d) => check(
                format!("source {}", h.name),
                missing,
                format!("answers, but its values have not changed for {:.0} s", d.as_secs_f64()),
            ),
            HealthState::Waiting => check(format!("source {}", h.name), missing, "no answer yet"),
        });
    }
    for g in Group::BOTH {
        out.push(jobs(app, config, g));
    }
    out.extend(rollback(app, config));
    out.push(settings(app));
    let rules = &config.settings.rules;
    out.push(check(
        "alert thresholds",
        Status::Ok,
        format!("{} rules (docs/judgement.md#alert-rules)", rules.rules.len()),
    ));
    out.push(match &config.settings.rollout {
        None => check("rollout stages", Status::Warn, "none configured ([[rollout.stages]], docs/rollout.md)"),
        Some(r) => check(
            "rollout stages",
            Status::Ok,
            format!(
                "{}{}",
                r.stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "),
                config.settings.stage.as_ref().map(|s| format!("; watching {s}")).unwrap_or_default()
            ),
        ),
    });
    out
}

fn jobs(app: &App, config: &Config, g: Group) -> Check {
    let name = format!("{} jobs", g.as_str());
    let group = app.view().store.group(g);
    let gc = match g {
        Group::Baseline => &config.baseline,
        Group::Variant => &config.variant,
    };
    if gc.recording.is_some() {
        return check(name, Status::Ok, "from a recording");
    }
    let rows = &group.jobs.rows;
    if rows.is_empty() {
        // Sources without REST know only that a job runs (its metrics are there).
        return match &group.job {
            Some(j) if j.state.is_running() => check(name, Status::Ok, "a job runs (its metrics are reported)"),
            Some(j) => check(name, Status::Fail, format!("{} is {}", j.name, j.state)),
            None => check(name, Status::Fail, "no job seen"),
        };
    }
    let running: Vec<&str> = rows.iter().filter(|r| r.state.is_running()).map(|r| r.name.as_str()).collect();
    let not: Vec<String> = rows
        .iter()
        .filter(|r| !r.state.is_running() && r.state != JobState::Finished)
        .map(|r| format!("{} is {}", r.name, r.state))
        .collect();
    match (running.is_empty(), not.is_empty()) {
        (false, true) => check(name, Status::Ok, format!("RUNNING: {}", running.join(", "))),
        (_, false) => check(name, Status::Fail, not.join("; ")),
        (true, true) => check(name, Status::Fail, "no job RUNNING"),
    }
}

fn rollback(app: &App, config: &Config) -> Vec<Check> {
    let Some(r) = &config.settings.rollback else {
        return vec![check("rollback", Status::Fail, "no [rollback] steps: R and the automatic rollback cannot act")];
    };
    let mut out = Vec::new();
    let workdir = r.workdir.clone().unwrap_or_else(|| std::path::PathBuf::from("."));
    for s in &r.steps {
        let program = s.argv.first().map_or("", String::as_str);
        out.push(match crate::config::rollback::find_program(program, &workdir) {
            Some(p) => {
                check(format!("rollback step {:?}", s.name), Status::Ok, format!("{} is executable", p.display()))
            }
            None => check(format!("rollback step {:?}", s.name), Status::Fail, format!("{program} not found")),
        });
    }
    out.push(match app.rollback_preview() {
        Ok(steps) => check(
            "rollback dry run",
            Status::Ok,
            steps.iter().map(|s| crate::sanitize::clean(&s.argv.join(" "))).collect::<Vec<_>>().join(" ; "),
        ),
        Err(e) => check("rollback dry run", Status::Fail, e),
    });
    let audit_dir = r.audit_log.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    out.push(writable("audit log folder", audit_dir));
    out.push(writable("evidence folder", &r.evidence_dir));
    out
}

/// Whether a file can be created in `dir`, or the folders up to it (the rollback creates
/// them): tried in the nearest folder that exists, not guessed from permission bits (root
/// ignores them).
fn writable(name: &str, dir: &Path) -> Check {
    let Some(existing) = dir.ancestors().find(|a| a.as_os_str().is_empty() || a.exists()) else {
        return check(name, Status::Fail, format!("{}: no folder above it exists", dir.display()));
    };
    let existing = if existing.as_os_str().is_empty() { Path::new(".") } else { existing };
    if !existing.is_dir() {
        return check(name, Status::Fail, format!("{}: {} is not a folder", dir.display(), existing.display()));
    }
    let probe = existing.join(format!(".flinkscope-preflight-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            let how = if existing == dir { "writable" } else { "will be created" };
            check(name, Status::Ok, format!("{} {how}", dir.display()))
        }
        Err(e) => check(name, Status::Fail, format!("{}: {e}", dir.display())),
    }
}

fn settings(app: &App) -> Check {
    let s = &app.flink_settings;
    let unread: Vec<String> = Group::BOTH
        .iter()
        .filter(|g| s.read[g.index()].is_none())
        .map(|g| format!("{}: {}", g.as_str(), s.error[g.index()].as_deref().unwrap_or("not read yet")))
        .collect();
    let blocking = s.review.blocking();
    if !blocking.is_empty() {
        check("settings", Status::Fail, format!("not in effect: {}", blocking.join("; ")))
    } else if !unread.is_empty() {
        check("settings", Status::Warn, format!("not read: {}", unread.join("; ")))
    } else {
        check("settings", Status::Ok, "the intended settings are in effect (flinkscope settings has the table)")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::app::demo;

    #[test]
    fn the_demo_with_a_rollback_is_ready_and_a_bad_folder_fails() {
        let mut config = demo::config();
        config.settings.rollback = Some(demo::rollback_config(&["true {variant.job_id}"]));
        let mut app = demo::app(Instant::now(), 60, false);
        app.settings = config.settings.clone();
        let checks = checks(&app, &config);
        let get = |name: &str| checks.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("{name}: {checks:?}"));
        assert_eq!(get("source variant/flink-rest").status, Status::Ok);
        assert_eq!(get("variant jobs").status, Status::Ok, "{:?}", get("variant jobs"));
        assert!(get("variant jobs").detail.contains("flinkscope-lab-variant-2"));
        let dry = get("rollback dry run");
        assert_eq!(dry.status, Status::Ok);
        assert!(dry.detail.starts_with("true 49e9c17b1c0e9c703c716db89c62d948"), "the job id expanded: {dry:?}");
        assert_eq!(get("rollout stages").status, Status::Warn);
        assert!(!checks.iter().any(|c| c.status == Status::Fail), "{checks:?}");

        // An evidence folder under a regular file cannot be created.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        config.settings.rollback.as_mut().unwrap().evidence_dir = file.join("evidence");
        let checks = super::checks(&app, &config);
        let e = checks.iter().find(|c| c.name == "evidence folder").unwrap();
        assert_eq!(e.status, Status::Fail, "{e:?}");
        let t = text(&checks);
        assert!(t.ends_with("preflight: 1 check(s) failed"), "{t}");

        // No rollback steps: the plan's procedure is not prepared.
        config.settings.rollback = None;
        assert_eq!(super::checks(&app, &config).iter().find(|c| c.name == "rollback").unwrap().status, Status::Fail);
    }
}
