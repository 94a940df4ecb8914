//! `rapport serve`: the shared server (library `rapport::server`).

use std::path::Path;
use std::time::{Duration, Instant};

use clap::Args;

use super::{CliResult, Failure, Target};
use rapport::server::Database;
use rapport::server::client::{ConnectError, Remote};
use rapport::session::{Connector, ServerMode, Session};
use rapport::store::{OpenError, Store};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Permission bits of the socket: 600 for one user, 660 for a team
    /// sharing a group (see README "Shared server").
    #[arg(long, default_value = "600", value_parser = mode_arg)]
    socket_mode: u32,
    /// Whether managers read every client (all) or only their own (own);
    /// leads always read everything.
    #[arg(long, default_value = "all", value_parser = ["all", "own"])]
    managers_see: String,
    /// Stop once the last session has left (how sessions start a server
    /// for themselves).
    #[arg(long)]
    exit_when_idle: bool,
    /// Tests only: accept the login a session claims instead of its Unix user.
    #[arg(long, hide = true)]
    trust_claimed_logins: bool,
    /// Frames a session may have waiting before it is dropped as too slow.
    #[arg(long, hide = true, default_value_t = rapport::server::QUEUE_FRAMES)]
    queue_frames: usize,
    /// Print "ready SOCKET" on standard output once sessions can connect.
    #[arg(long, hide = true)]
    print_ready: bool,
}

fn mode_arg(s: &str) -> Result<u32, String> {
    u32::from_str_radix(s, 8)
        .ok()
        .filter(|m| *m <= 0o777)
        .ok_or_else(|| format!("'{s}' is not an octal permission like 600 or 660"))
}

pub fn run(args: ServeArgs, target: Target) -> CliResult {
    crate::memory::huge_pages(true);
    // On PostgreSQL, one server per host, each its host's sessions' cache.
    let (db, socket) = match target.postgres() {
        Some(url) => (Database::Postgres(url.clone()), target.socket(Path::new(&url))?),
        None => {
            let path = target.path()?;
            if !Store::exists(&path) {
                return Err(super::data::no_database(&path));
            }
            let socket = target.socket(&path)?;
            (Database::Sled(path), socket)
        }
    };
    let config = rapport::server::Config {
        db,
        socket,
        socket_mode: args.socket_mode,
        exit_when_idle: args.exit_when_idle,
        trust_claimed_logins: args.trust_claimed_logins,
        queue_frames: args.queue_frames,
        managers_see_all: args.managers_see == "all",
        queries: Some({
            // Classes and the queue are kept between queries.
            let kept = super::Kept::default();
            std::sync::Arc::new(move |data, asker, args| super::answer_query(&kept, data, asker, args))
        }),
    };
    let print_ready = args.print_ready;
    rapport::server::serve(config, |socket| {
        if print_ready {
            println!("ready {}", socket.display());
        }
    })
    .map_err(|e| Failure::system(e.to_string()))
}

/// The interface's session. With `--server auto` and no server listening,
/// it starts one in the background (tmux-style) that stops once the last
/// session has left, so a second session of the same user (another SSH
/// login) joins the first without any set-up.
pub fn session_for_interface(target: &Target, db: &Path) -> Result<Session, Failure> {
    let socket = target.socket(db)?;
    let claim = target.claim_login.clone();
    if target.mode != ServerMode::Auto || !rapport::server::trust::is_private_socket_dir(&socket) {
        // The interface checked the path; a first run makes the default one.
        return rapport::session::connect(db, &socket, target.mode, claim, true)
            .map_err(|e| Failure::system(e.to_string()));
    }
    match Remote::connect(&socket, claim.clone()) {
        Ok(r) => return Ok(Session::remote(r)),
        Err(ConnectError::NoServer(_)) => {}
        Err(e) => return Err(Failure::system(e.to_string())),
    }
    start_server(db, &socket)?;
    Remote::connect(&socket, claim)
        .map(Session::remote)
        .map_err(|e| Failure::system(e.to_string()))
}

/// What the interface's first session does in `auto` mode when no server
/// answers: it opens the database itself (the first frame comes as fast
/// as without a server) and, once that frame is up, hands it to a server
/// it starts, keeping its model (`Backend::hand_over` on a
/// `Session::local_then_server`). `None` when a
/// server answers or another process holds the database: then it joins
/// or starts a server first, as `session_for_interface` does.
pub fn local_for_interface(target: &Target, db: &Path) -> Result<Option<Session>, Failure> {
    let socket = target.socket(db)?;
    if target.mode != ServerMode::Auto || !rapport::server::trust::is_private_socket_dir(&socket) {
        return Ok(None);
    }
    if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
        return Ok(None);
    }
    let store = match Store::open(db) {
        Ok(store) => store,
        Err(OpenError::Locked(_)) => return Ok(None),
        Err(e) => return Err(Failure::system(e.to_string())),
    };
    Ok(Some(Session::local_then_server(
        store,
        hand_over_to_server(target, db)?,
    )))
}

/// Starts the server for `db` (or finds one that won the race) and joins
/// it, saying which model the session holds.
pub fn hand_over_to_server(target: &Target, db: &Path) -> Result<Connector, Failure> {
    let socket = target.socket(db)?;
    let claim = target.claim_login.clone();
    let db = db.to_path_buf();
    Ok(Box::new(move |have| {
        start_server(&db, &socket).map_err(|f| f.message().to_string())?;
        Remote::connect_with(&socket, claim, Some(have)).map_err(|e| e.to_string())
    }))
}

/// Starts `rapport serve --exit-when-idle` detached from this terminal (its
/// own process group: the terminal's signals are not its business) and
/// waits until it answers. Its log goes beside its socket.
fn start_server(db: &Path, socket: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::DirBuilderExt;
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().map_err(|e| Failure::system(format!("cannot find the rapport program: {e}")))?;
    if let Some(dir) = socket.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Failure::system(format!("{}: {e}", dir.display())))?;
    }
    let log_path = socket.with_extension("log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| Failure::system(format!("{}: {e}", log_path.display())))?;
    let start_len = log.metadata().map(|m| m.len()).unwrap_or(0);
    let mut child = std::process::Command::new(exe)
        .arg("--db")
        .arg(db)
        .arg("--socket")
        .arg(socket)
        .arg("serve")
        .arg("--exit-when-idle")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .process_group(0)
        .spawn()
        .map_err(|e| Failure::system(format!("cannot start a server: {e}")))?;
    let started = Instant::now();
    loop {
        if std::os::unix::net::UnixStream::connect(socket).is_ok() {
            return Ok(());
        }
        if let Ok(Some(_)) = child.try_wait() {
            // Another session's server may have won the race.
            if std::os::unix::net::UnixStream::connect(socket).is_ok() {
                return Ok(());
            }
            let said = std::fs::read(&log_path).unwrap_or_default();
            let said = String::from_utf8_lossy(said.get(start_len as usize..).unwrap_or_default());
            let last = said.lines().last().unwrap_or("it exited").to_string();
            return Err(Failure::system(format!(
                "could not start a server for {}: {last}",
                db.display()
            )));
        }
        if started.elapsed() > Duration::from_secs(300) {
            return Err(Failure::system(format!(
                "the server for {} did not answer within 5 minutes (log: {})",
                db.display(),
                log_path.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
