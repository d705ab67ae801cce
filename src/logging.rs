//! Logs go to a file, never to the screen (the screen belongs to the dashboard).

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// $XDG_STATE_HOME/flinkscope/flinkscope.log, else ~/.local/state/flinkscope/flinkscope.log,
/// else ./flinkscope.log.
pub fn default_path() -> PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")));
    match state {
        Some(dir) => dir.join("flinkscope").join("flinkscope.log"),
        None => PathBuf::from("flinkscope.log"),
    }
}

/// Starts logging to `path`; keep the guard alive until exit so buffered lines are written.
pub fn init(path: &Path) -> std::io::Result<WorkerGuard> {
    // 0600 in a 0700 directory: a shared bastion's other users do not read our log.
    let file = crate::private::append(path)?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_env_filter(filter).try_init();
    Ok(guard)
}
