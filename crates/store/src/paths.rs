//! Where rapport keeps its files by default (XDG base directories).

use std::path::PathBuf;

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "rapport")
}

/// `$XDG_DATA_HOME/rapport/db` (usually `~/.local/share/rapport/db`).
pub fn default_db() -> Option<PathBuf> {
    project().map(|p| p.data_dir().join("db"))
}

/// The demo database that `rapport --demo` generates on first use.
pub fn demo_db() -> Option<PathBuf> {
    project().map(|p| p.data_dir().join("demo"))
}

/// `$XDG_CONFIG_HOME/rapport`.
pub fn config_dir() -> Option<PathBuf> {
    project().map(|p| p.config_dir().to_path_buf())
}

/// Where the automatic backups of the database at `db` go:
/// `$XDG_DATA_HOME/rapport/backups/<name>-<hash of its full path>`.
pub fn backup_dir(db: &std::path::Path) -> Option<PathBuf> {
    let full = db.canonicalize().unwrap_or_else(|_| db.to_path_buf());
    let name = full.file_name().and_then(|n| n.to_str()).unwrap_or("db").to_string();
    let hash = crc32fast::hash(full.to_string_lossy().as_bytes());
    project().map(|p| p.data_dir().join("backups").join(format!("{name}-{hash:08x}")))
}
