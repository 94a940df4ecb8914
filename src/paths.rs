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
