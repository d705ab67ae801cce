//! The rollout's state file: when each stage began and the decisions it has had, so that a
//! 48-hour stage does not start again when a bastion session drops. Small JSON, replaced
//! whole by write-to-temporary, fsync, rename: a crash mid-write leaves the last complete
//! state, never a torn one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

const VERSION: u32 = 1;
/// Decisions kept per stage (each change, not each check).
const HISTORY: usize = 100;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RolloutState {
    pub(crate) version: u32,
    pub(crate) stages: Vec<StageRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StageRecord {
    pub(crate) name: String,
    /// Unix milliseconds.
    pub(crate) started_ms: u64,
    /// Each change of decision: (unix ms, "GO" / "ROLL BACK" / "NOT YET").
    #[serde(default)]
    pub(crate) history: Vec<(u64, String)>,
}

fn ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64
}

pub(crate) fn time(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

fn temporary(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".tmp");
    PathBuf::from(p)
}

/// The state at `path`; none yet is an empty state. A file that does not parse is an error
/// (it is never overwritten blindly: a stage's start would be lost).
pub(crate) fn load(path: &Path) -> Result<RolloutState, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(RolloutState { version: VERSION, stages: Vec::new() });
        }
        Err(e) => return Err(format!("rollout state {}: {e}", path.display())),
    };
    let state: RolloutState = serde_json::from_str(&text)
        .map_err(|e| format!("rollout state {}: {e} (move it away to start the stages afresh)", path.display()))?;
    if state.version > VERSION {
        return Err(format!(
            "rollout state {}: version {} is newer than this flinkscope's ({VERSION})",
            path.display(),
            state.version
        ));
    }
    Ok(state)
}

pub(crate) fn save(path: &Path, state: &RolloutState) -> Result<(), String> {
    let tmp = temporary(path);
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(serde_json::to_string_pretty(state).map_err(std::io::Error::other)?.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself must survive a power loss.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    };
    write().map_err(|e| format!("rollout state {}: {e}", path.display()))
}

/// When stage `name` began: as the file says, else now (written down).
pub(crate) fn begin(path: &Path, name: &str, now: SystemTime) -> Result<SystemTime, String> {
    let mut state = load(path)?;
    if let Some(s) = state.stages.iter().find(|s| s.name == name) {
        return Ok(time(s.started_ms));
    }
    state.version = VERSION;
    state.stages.push(StageRecord { name: name.to_string(), started_ms: ms(now), history: Vec::new() });
    save(path, &state)?;
    tracing::info!(stage = name, file = %path.display(), "rollout stage begins");
    Ok(now)
}

/// Records the stage's decision when it differs from the last one recorded.
pub(crate) fn note(path: &Path, name: &str, decision: &str, now: SystemTime) -> Result<(), String> {
    let mut state = load(path)?;
    let Some(s) = state.stages.iter_mut().find(|s| s.name == name) else { return Ok(()) };
    if s.history.last().is_some_and(|(_, d)| d == decision) {
        return Ok(());
    }
    s.history.push((ms(now), decision.to_string()));
    if s.history.len() > HISTORY {
        s.history.remove(0);
    }
    save(path, &state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stage_keeps_its_start_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollout.json");
        let t0 = UNIX_EPOCH + Duration::from_secs(1_796_300_000);
        assert_eq!(begin(&path, "1A", t0).unwrap(), t0);
        // A new flinkscope process a day later: the same start.
        assert_eq!(begin(&path, "1A", t0 + Duration::from_secs(86_400)).unwrap(), t0);
        assert_eq!(begin(&path, "1B", t0 + Duration::from_secs(90_000)).unwrap(), t0 + Duration::from_secs(90_000));
        note(&path, "1A", "NOT YET", t0).unwrap();
        note(&path, "1A", "NOT YET", t0 + Duration::from_secs(60)).unwrap();
        note(&path, "1A", "GO", t0 + Duration::from_secs(172_800)).unwrap();
        let s = load(&path).unwrap();
        assert_eq!(s.stages.len(), 2);
        assert_eq!(s.stages[0].history.len(), 2, "only changes: {:?}", s.stages[0].history);
    }

    #[test]
    fn a_torn_write_leaves_the_last_complete_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollout.json");
        let t0 = UNIX_EPOCH + Duration::from_secs(1_796_300_000);
        begin(&path, "1A", t0).unwrap();
        let complete = std::fs::read(&path).unwrap();
        // A crash while writing the next state: half a temporary file, the rename never done.
        std::fs::write(temporary(&path), &complete[..complete.len() / 2]).unwrap();
        assert_eq!(begin(&path, "1A", t0 + Duration::from_secs(3600)).unwrap(), t0);
        // And the next write goes through over the torn temporary.
        note(&path, "1A", "NOT YET", t0).unwrap();
        assert_eq!(load(&path).unwrap().stages[0].history.len(), 1);
        // A state file torn by something else is refused, not overwritten.
        std::fs::write(&path, &complete[..complete.len() / 2]).unwrap();
        let e = begin(&path, "1A", t0).unwrap_err();
        assert!(e.contains("move it away"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), &complete[..complete.len() / 2]);
        std::fs::write(&path, r#"{"version": 9, "stages": []}"#).unwrap();
        assert!(load(&path).unwrap_err().contains("newer"));
    }
}
