//! Who may be trusted on the other end of a socket, and which directories
//! may hold one.
//!
//! A session talks only to a server run by the user who owns the database:
//! the kernel's `SO_PEERCRED` uid of the server must be that user's. Who
//! that is comes from `--server-user` / `RAPPORT_SERVER_USER`, else from the
//! owner of the socket's directory (the README's team set-up has the service
//! user create it). A server listens only in a directory that nobody else
//! can rearrange: owned by it (or root), and sticky if others may write.
//! The per-user runtime directory is checked as ssh checks `~/.ssh`.

use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use nix::unistd::{Uid, User};

/// `--server-user` from the command line (tests and the CLI set it once).
static SERVER_USER: OnceLock<String> = OnceLock::new();

/// Sets who the server must run as (`--server-user`); the first call wins.
pub fn set_server_user(user: String) {
    let _ = SERVER_USER.set(user);
}

/// The user the server must run as, if set (`--server-user`, then
/// `RAPPORT_SERVER_USER`).
fn configured_server_user() -> Option<String> {
    SERVER_USER
        .get()
        .cloned()
        .or_else(|| std::env::var("RAPPORT_SERVER_USER").ok())
        .filter(|u| !u.is_empty())
}

/// A user name or a numeric uid.
fn resolve_user(user: &str) -> Result<Uid, String> {
    if let Ok(n) = user.parse::<u32>() {
        return Ok(Uid::from_raw(n));
    }
    match User::from_name(user) {
        Ok(Some(u)) => Ok(u.uid),
        _ => Err(format!("RAPPORT_SERVER_USER / --server-user: no user named '{user}'")),
    }
}

/// `uid` as people read it: `name (uid N)`.
pub fn describe_uid(uid: Uid) -> String {
    match User::from_uid(uid) {
        Ok(Some(u)) => format!("{} (uid {uid})", u.name),
        _ => format!("uid {uid}"),
    }
}

/// Why a server cannot be trusted, for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untrusted(pub String);

/// Checks that the process listening on `stream` (connected to `socket`)
/// runs as the database's owner. Called before anything is sent.
pub fn verify_server(stream: &UnixStream, socket: &Path) -> Result<(), Untrusted> {
    let cred = nix::sys::socket::getsockopt(stream, nix::sys::socket::sockopt::PeerCredentials)
        .map_err(|e| Untrusted(format!("cannot read the server's credentials: {e}")))?;
    let actual = Uid::from_raw(cred.uid());
    let (expected, because) = match configured_server_user() {
        Some(user) => (
            resolve_user(&user).map_err(Untrusted)?,
            "RAPPORT_SERVER_USER / --server-user".to_string(),
        ),
        None => {
            let dir = socket_dir(socket);
            let meta = std::fs::metadata(&dir)
                .map_err(|e| Untrusted(format!("{}: cannot check who owns it: {e}", dir.display())))?;
            (Uid::from_raw(meta.uid()), format!("the owner of {}", dir.display()))
        }
    };
    if actual == expected {
        return Ok(());
    }
    Err(Untrusted(format!(
        "the server on {} runs as {}, but the database's server must run as {} ({because}); \
         refusing to talk to it. Tell your team lead: someone may be impersonating the team server",
        socket.display(),
        describe_uid(actual),
        describe_uid(expected),
    )))
}

fn socket_dir(socket: &Path) -> PathBuf {
    match socket.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether the socket's directory is this user's own (owned by them, and
/// nobody else may write in it): only then may a session in `auto` mode
/// start its own server there or open the database directly when nobody
/// answers. A team's socket that cannot be reached is an error instead.
pub fn is_private_socket_dir(socket: &Path) -> bool {
    let dir = socket_dir(socket);
    match std::fs::metadata(&dir) {
        Ok(meta) => meta.uid() == nix::unistd::geteuid().as_raw() && meta.mode() & 0o022 == 0,
        // Not there yet: it will be created private.
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

/// Checks the directory a server is about to listen in: owned by the
/// server's user or root, and, if others may write to it, sticky (so
/// nobody can rename or delete the socket and put their own in its place).
pub fn check_listen_dir(dir: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let me = nix::unistd::geteuid().as_raw();
    let owner = meta.uid();
    if owner != me && owner != 0 {
        return Err(format!(
            "{} belongs to {}: a server listens only in a directory of its own user (or root's), \
             since the owner could replace the socket",
            dir.display(),
            describe_uid(Uid::from_raw(owner))
        ));
    }
    let mode = meta.mode();
    if mode & 0o022 != 0 && mode & 0o1000 == 0 {
        return Err(format!(
            "{} (mode {:04o}) may be written by others and is not sticky: anyone there could rename \
             the socket and listen in its place; use `chmod 3770` (see README \"Shared server\")",
            dir.display(),
            mode & 0o7777
        ));
    }
    Ok(())
}

/// Creates `dir` (mode 0700, parents as needed) if missing, then checks it
/// is a real directory owned by this user and closed to everyone else.
pub fn private_dir(dir: &Path) -> Result<(), String> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| format!("{}: cannot create it: {e}", dir.display()))?;
        }
        Err(e) => return Err(format!("{}: cannot create it: {e}", dir.display())),
    }
    // lstat: a symbolic link planted there is refused, not followed.
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let me = nix::unistd::geteuid();
    let fix = "remove it (or set XDG_RUNTIME_DIR to a private directory) and start again";
    if !meta.is_dir() {
        return Err(format!(
            "{} is not a directory: refusing to use it; {fix}",
            dir.display()
        ));
    }
    if meta.uid() != me.as_raw() {
        return Err(format!(
            "{} belongs to {}, not to you ({}): refusing to use it; {fix}",
            dir.display(),
            describe_uid(Uid::from_raw(meta.uid())),
            describe_uid(me)
        ));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(format!(
            "{} has mode {:04o}: others may use it, refusing to; run `chmod 700 {}`",
            dir.display(),
            meta.mode() & 0o7777,
            dir.display()
        ));
    }
    Ok(())
}

/// This user's directory for sockets: `$XDG_RUNTIME_DIR/rapport`, else
/// `/tmp/rapport-<uid>`; created private and checked.
pub fn runtime_dir() -> Result<PathBuf, String> {
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d).join("rapport"),
        None => PathBuf::from("/tmp").join(format!("rapport-{}", nix::unistd::geteuid())),
    };
    private_dir(&dir)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn chmod(p: &Path, mode: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn a_private_dir_is_created_0700_and_an_open_one_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        private_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700);
        chmod(&dir, 0o777);
        let e = private_dir(&dir).unwrap_err();
        assert!(e.contains("mode 0777") && e.contains("chmod 700"), "{e}");
        chmod(&dir, 0o700);
        private_dir(&dir).unwrap();
    }

    #[test]
    fn a_symlink_or_file_is_not_a_private_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("elsewhere");
        std::fs::create_dir(&target).unwrap();
        let link = tmp.path().join("run");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(private_dir(&link).unwrap_err().contains("not a directory"));
        let file = tmp.path().join("file");
        std::fs::write(&file, "x").unwrap();
        assert!(private_dir(&file).unwrap_err().contains("not a directory"));
    }

    #[test]
    fn a_writable_dir_must_be_sticky_to_listen_in() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("team");
        std::fs::create_dir(&dir).unwrap();
        chmod(&dir, 0o2770);
        let e = check_listen_dir(&dir).unwrap_err();
        assert!(e.contains("not sticky") && e.contains("3770"), "{e}");
        chmod(&dir, 0o3770);
        check_listen_dir(&dir).unwrap();
        chmod(&dir, 0o700);
        check_listen_dir(&dir).unwrap();
    }

    #[test]
    fn only_an_own_closed_dir_counts_as_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        std::fs::create_dir(&dir).unwrap();
        chmod(&dir, 0o700);
        assert!(is_private_socket_dir(&dir.join("s.sock")));
        chmod(&dir, 0o755);
        assert!(
            is_private_socket_dir(&dir.join("s.sock")),
            "readable by others, writable by nobody else"
        );
        chmod(&dir, 0o3770);
        assert!(!is_private_socket_dir(&dir.join("s.sock")));
        chmod(&dir, 0o1777);
        assert!(!is_private_socket_dir(&dir.join("s.sock")));
        assert!(is_private_socket_dir(&tmp.path().join("missing/s.sock")));
    }
}
