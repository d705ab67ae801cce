//! flinkscope's own files on a shared bastion: the log, the audit log, the rollback lock
//! and the evidence are created 0600 in directories created 0700. A file that already
//! exists keeps its mode: a team may share an audit log on purpose (0660, one group). Secret files named in the config (tokens, passwords,
//! client keys) that others can read are warned about, as ssh does for keys.

use std::fs::{DirBuilder, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Creates `path`'s parent directories (new ones 0700).
fn parent(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => DirBuilder::new().recursive(true).mode(0o700).create(dir),
        None => Ok(()),
    }
}

/// Opens `path` for appending, creating it (and its directories) private.
pub(crate) fn append(path: &Path) -> std::io::Result<File> {
    parent(path)?;
    OpenOptions::new().create(true).append(true).mode(0o600).open(path)
}

/// Opens `path` for writing without truncating (a lock file), created private.
pub(crate) fn open_write(path: &Path) -> std::io::Result<File> {
    parent(path)?;
    OpenOptions::new().create(true).truncate(false).write(true).mode(0o600).open(path)
}

/// Writes `bytes` to a new or truncated private file.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    parent(path)?;
    OpenOptions::new().create(true).truncate(true).write(true).mode(0o600).open(path)?.write_all(bytes)
}

/// Creates a private directory (and its parents).
pub(crate) fn dir(path: &Path) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(path)
}

/// A warning when a secret file can be read by its group or by others.
pub(crate) fn secret_warning(what: &str, path: &Path) -> Option<String> {
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!("warning: {what} {} is readable by others (mode {:03o}): chmod 600 it", path.display(), mode & 0o777)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_and_directories_are_private() {
        let tmp = tempfile::tempdir().unwrap();
        let log = tmp.path().join("state/flinkscope/flinkscope.log");
        append(&log).unwrap();
        assert_eq!(mode(&log), 0o600);
        assert_eq!(mode(log.parent().unwrap()), 0o700);
        assert_eq!(mode(&tmp.path().join("state")), 0o700);
        let evidence = tmp.path().join("evidence/rollback-1.json");
        write(&evidence, b"{}").unwrap();
        assert_eq!(mode(&evidence), 0o600);
        // An existing file keeps its mode (a team's shared audit log stays shared).
        std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o660)).unwrap();
        append(&log).unwrap();
        assert_eq!(mode(&log), 0o660);
        let lock = tmp.path().join("rollback.lock");
        open_write(&lock).unwrap();
        assert_eq!(mode(&lock), 0o600);
    }

    #[test]
    fn readable_secrets_are_warned_about() {
        let tmp = tempfile::tempdir().unwrap();
        let token = tmp.path().join("token");
        std::fs::write(&token, "s3cret").unwrap();
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
        let w = secret_warning("token-file", &token).expect("warned");
        assert!(w.contains("mode 644") && w.contains("chmod 600") && !w.contains("s3cret"), "{w}");
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(secret_warning("token-file", &token), None);
    }
}
