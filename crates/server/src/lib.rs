//! The shared server: one process owns the database (sled lets only one
//! open it) and serves every session of a team over a Unix socket.
//!
//! Commands from all sessions are applied one at a time, in arrival order,
//! through the store's one write path (validated, one transaction,
//! flushed); only then is the event pushed to every session and the sender
//! told `Done`. Each session has a reader thread and a writer thread with a
//! bounded queue: a session that does not read falls behind, its queue
//! fills, and it is disconnected instead of slowing the others.

/// Who may change what: the core's rules, which PostgreSQL applies too.
pub use rapport_core::write::auth;
pub mod client;
mod commands;
pub mod data;
mod fanout;
pub mod hooks;
pub mod protocol;
mod reading;
mod reads;
pub mod session;
pub mod trust;

// The core's modules and the store, by the paths this crate's files use.
use rapport_core::{domain, kpi, model, write};
use rapport_store as store;

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::domain::{ManagerId, Role};
use crate::store::{Store, StoreError};
use auth::User;
use data::Data;
pub use data::Database;
use protocol::{FrameError, Held, PROTOCOL_VERSION, ToServer, ToSession};

/// Encoded bytes ready for a socket, shared by every session they go to.
type Frame = Arc<Vec<u8>>;

/// Frames a session may have waiting before it counts as too far behind.
pub const QUEUE_FRAMES: usize = 4096;
/// How long a new connection has to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections that have not yet said hello: past this, new ones are
/// closed at once (each waiting one holds a thread until its timeout).
const MAX_PENDING_HELLOS: usize = 64;

/// The default socket for the database at `db`:
/// `$XDG_RUNTIME_DIR/rapport/<hash of its full path>.sock` (or under
/// `/tmp/rapport-<uid>` without a runtime directory). The directory is
/// created private, and refused when it is not (`trust::runtime_dir`).
pub fn default_socket(db: &Path) -> Result<PathBuf, String> {
    let full = db.canonicalize().unwrap_or_else(|_| db.to_path_buf());
    let hash = crc32fast::hash(full.to_string_lossy().as_bytes());
    Ok(trust::runtime_dir()?.join(format!("{hash:08x}.sock")))
}

/// Who asks a query, as the server authenticated them.
#[derive(Clone, Debug)]
pub struct Asker {
    pub login: String,
    pub manager: Option<ManagerId>,
    pub role: Role,
    /// Whether the asker's terminal takes colour.
    pub colour: bool,
    /// Whose share of the book the query reads (`None`: all of it), for a
    /// manager limited to their own clients.
    pub sees: Option<ManagerId>,
}

/// The read-only command lines the server answers from its data (the
/// binary provides them): the text the command prints, or why not. The
/// backend is the server's store as the asker may read it, read only.
pub type Queries =
    Arc<dyn Fn(&mut dyn rapport_core::backend::Backend, &Asker, &[String]) -> Result<String, String> + Send + Sync>;

pub struct Config {
    pub db: Database,
    pub socket: PathBuf,
    /// Permission bits of the socket file (0600 alone, 0660 for a group).
    pub socket_mode: u32,
    /// Stop once the last session has left (a server a session started).
    pub exit_when_idle: bool,
    /// Tests only: take the login a session claims in its hello.
    pub trust_claimed_logins: bool,
    /// Frames a session may have waiting (`QUEUE_FRAMES`; tests lower it).
    pub queue_frames: usize,
    /// Whether managers read every client (the default) or only their own.
    pub managers_see_all: bool,
    /// The queries it answers (none: every session computes its own).
    pub queries: Option<Queries>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{socket}: a rapport server already serves this database (pid {pid})")]
    AlreadyServed { socket: PathBuf, pid: String },
    #[error(transparent)]
    Open(#[from] crate::store::OpenError),
    #[error("{0}: {1}")]
    Socket(PathBuf, std::io::Error),
    #[error("refusing to listen: {0}")]
    UnsafeDir(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Postgres(String),
}

/// One connected session, as the fan-out sees it.
struct Peer {
    id: u64,
    login: String,
    /// Set when this session may read only that manager's clients.
    sees: Option<ManagerId>,
    queue: SyncSender<Frame>,
    stream: UnixStream,
}

/// Everything behind the one lock: the store, the sessions, and what a
/// joining session is sent: an encoded snapshot (of sequence number `seq`)
/// and the event frames since. Encoding the model costs over a second on
/// 100,000 clients, so it is redone only when the events since grow long.
struct Core {
    data: Data,
    peers: Vec<Peer>,
    snapshot: Option<Snapshot>,
}

struct Snapshot {
    bytes: Frame,
    since: Vec<Frame>,
    since_bytes: usize,
}

/// Past these, a joining session gets a new snapshot instead of the events.
const SINCE_FRAMES: usize = 1_000;
const SINCE_BYTES: usize = 32 * 1024 * 1024;

impl Core {
    /// The snapshot and the events since, for a session joining now.
    fn join_frames(&mut self, room: usize) -> Result<(Frame, Vec<Frame>), String> {
        // A closed store (a write failed and it could not reopen yet) may
        // hold that write in its model: send nobody that.
        self.data.available()?;
        let usable = self
            .snapshot
            .as_ref()
            .is_some_and(|s| s.since.len() < SINCE_FRAMES.min(room) && s.since_bytes < SINCE_BYTES);
        if !usable {
            self.snapshot = Some(Snapshot {
                bytes: Arc::new(self.data.encode_snapshot_of(self.data.model())?),
                since: Vec::new(),
                since_bytes: 0,
            });
        }
        match &self.snapshot {
            Some(s) => Ok((s.bytes.clone(), s.since.clone())),
            None => Err("no snapshot".into()),
        }
    }
}

struct Shared {
    core: Mutex<Core>,
    config: Config,
    stop: Arc<AtomicBool>,
    next_peer: AtomicU64,
    /// Sessions ever welcomed (the idle exit waits for the first).
    welcomed: AtomicU64,
    /// Connections still in their hello.
    pending: AtomicUsize,
    /// Commands sent while another was being applied: the next session to
    /// hold the lock applies them all at once (see `commands`).
    waiting: Mutex<Vec<commands::Waiting>>,
}

impl Shared {
    /// The store lock. A panic while it was held (a bug) may have left the
    /// in-memory model half-changed: stop serving rather than serve it; the
    /// records on disk are the truth and the next start reads them.
    fn core(&self) -> Option<MutexGuard<'_, Core>> {
        match self.core.lock() {
            Ok(g) => Some(g),
            Err(_) => {
                log("a command failed inside the server; stopping");
                self.stop.store(true, Ordering::SeqCst);
                None
            }
        }
    }
}

fn log(msg: &str) {
    let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S");
    let _ = writeln!(std::io::stderr().lock(), "{now} rapport serve: {msg}");
}

/// Whether a server answers on `socket`, and which process it is.
fn answering(socket: &Path) -> Option<String> {
    let stream = UnixStream::connect(socket).ok()?;
    let pid = nix::sys::socket::getsockopt(&stream, nix::sys::socket::sockopt::PeerCredentials)
        .map(|c| c.pid().to_string())
        .unwrap_or_else(|_| "unknown".into());
    Some(pid)
}

/// Serves until SIGTERM/SIGINT (or, with `exit_when_idle`, until the last
/// session leaves); `ready` is called once the socket accepts sessions.
pub fn serve(mut config: Config, ready: impl FnOnce(&Path)) -> Result<(), ServeError> {
    let socket = config.socket.clone();
    if let Some(pid) = answering(&socket) {
        return Err(ServeError::AlreadyServed { socket, pid });
    }
    let sock_err = |e| ServeError::Socket(socket.clone(), e);
    if let Some(dir) = socket.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(sock_err)?;
    }
    let dir = match socket.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    trust::check_listen_dir(&dir).map_err(ServeError::UnsafeDir)?;
    let mut data = open(&mut config)?;
    if let Some(pid) = answering(&socket) {
        return Err(ServeError::AlreadyServed { socket, pid });
    }
    // Nobody answers: a file left by a server that was killed.
    if socket.exists() {
        std::fs::remove_file(&socket).map_err(sock_err)?;
    }
    let listener = UnixListener::bind(&socket).map_err(sock_err)?;
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(config.socket_mode)).map_err(sock_err)?;
    listener.set_nonblocking(true).map_err(sock_err)?;

    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone()).map_err(sock_err)?;
    }
    // The day's backup is of this moment and written while sessions work
    // (PostgreSQL is backed up by its own tools).
    let (daily, snapshot) = match &mut data {
        Data::Sled(store) => {
            let daily = match store.begin_keep_daily_backup(chrono::Local::now().date_naive()) {
                Ok(daily) => daily,
                Err(e) => {
                    log(&format!("daily backup failed: {e}"));
                    None
                }
            };
            (daily, first_snapshot(store))
        }
        Data::Postgres(_) => (None, None),
    };
    let shared = Arc::new(Shared {
        core: Mutex::new(Core {
            data,
            peers: Vec::new(),
            snapshot,
        }),
        config,
        stop,
        next_peer: AtomicU64::new(1),
        welcomed: AtomicU64::new(0),
        pending: AtomicUsize::new(0),
        waiting: Mutex::new(Vec::new()),
    });
    log(&format!(
        "serving {} on {}{}",
        shared.config.db.describe(),
        socket.display(),
        if shared.config.managers_see_all {
            ""
        } else {
            " (managers see their own clients)"
        }
    ));
    let relay = relay_thread(&shared);
    let backup = daily.map(|daily| {
        std::thread::spawn(move || match daily.take() {
            Ok(file) => log(&format!("took the day's backup: {}", file.display())),
            Err(e) => log(&format!("daily backup failed: {e}")),
        })
    });
    ready(&socket);
    // A server that stops when idle keeps serving until the day's backup is
    // written: it holds the database meanwhile, and a session started then
    // must find it answering.
    let writing = || backup.as_ref().is_some_and(|b| !b.is_finished());
    accept_loop(&shared, &listener, &writing);

    // Stop: no new sessions; the lock waits for the command in flight.
    drop(listener);
    let _ = std::fs::remove_file(&socket);
    let mut core = match shared.core.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Ok(bye) = protocol::frame(&ToSession::Closing("the server stopped".into())) {
        let bye = Arc::new(bye);
        for p in core.peers.drain(..) {
            let _ = p.queue.try_send(bye.clone());
        }
    }
    match &mut core.data {
        Data::Sled(store) => store.save_snapshot()?,
        // A cache for the next start of any process on the database.
        Data::Postgres(pg) => {
            if let Err(e) = pg.save_snapshot() {
                log(&format!("cannot write the model snapshot: {e}"));
            }
        }
    }
    drop(core);
    if let Some(relay) = relay {
        let _ = relay.join();
    }
    // A day's backup under way is finished, not left half written.
    if let Some(backup) = backup {
        let _ = backup.join();
    }
    log("stopped; everything is flushed");
    Ok(())
}

/// Opens the database `config` names. The sled lock is the real guard
/// against two servers (or a server and a direct session) on one
/// database; on PostgreSQL any number serve, one per host, and what
/// managers see is the database's setting unless `config` is stricter.
fn open(config: &mut Config) -> Result<Data, ServeError> {
    match &config.db {
        Database::Sled(path) => Ok(Data::Sled(Store::open(path)?)),
        Database::Postgres(url) => {
            let pg_err = |e: rapport_pg::PgError| ServeError::Postgres(e.to_string());
            let mut pg = rapport_pg::PgStore::open(url).map_err(pg_err)?;
            let all = pg.serving().map_err(pg_err)?;
            config.managers_see_all &= all;
            Ok(Data::Postgres(Box::new(pg)))
        }
    }
}

/// On PostgreSQL: a thread that sends on, as they come, the events other
/// processes commit (woken by the store's `LISTEN`; once a second anyway,
/// to reach a database that went away again).
fn relay_thread(shared: &Arc<Shared>) -> Option<std::thread::JoinHandle<()>> {
    let (wake, woken) = mpsc::channel::<()>();
    {
        let mut core = shared.core()?;
        let Data::Postgres(pg) = &mut core.data else {
            return None;
        };
        rapport_core::backend::Backend::set_waker(
            pg.as_mut(),
            Box::new(move || {
                let _ = wake.send(());
            }),
        );
    }
    let shared = shared.clone();
    Some(std::thread::spawn(move || {
        while !shared.stop.load(Ordering::SeqCst) {
            match woken.recv_timeout(Duration::from_millis(500)) {
                Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
            let Some(mut core) = shared.core() else { return };
            core.relay(true);
        }
    }))
}

/// What the first session gets: the snapshot file as it is on disk when
/// it is current (written when the last session or server ended), else a
/// new one, written first so that the next start is fast too.
fn first_snapshot(store: &mut Store) -> Option<Snapshot> {
    if !store.loaded_from_snapshot()
        && let Err(e) = store.save_snapshot()
    {
        log(&format!("cannot write the snapshot: {e}"));
        return None;
    }
    match std::fs::read(store.path().join(crate::store::SNAPSHOT_FILE)) {
        Ok(bytes) => Some(Snapshot {
            bytes: Arc::new(bytes),
            since: Vec::new(),
            since_bytes: 0,
        }),
        Err(e) => {
            log(&format!("cannot read the snapshot: {e}"));
            None
        }
    }
}

/// `busy`: work that keeps a server that stops when idle up.
fn accept_loop(shared: &Arc<Shared>, listener: &UnixListener, busy: &dyn Fn() -> bool) {
    use std::os::fd::AsFd;
    let started = Instant::now();
    let mut idle_since: Option<Instant> = None;
    while !shared.stop.load(Ordering::SeqCst) {
        let mut fds = [nix::poll::PollFd::new(listener.as_fd(), nix::poll::PollFlags::POLLIN)];
        // Wakes at least every 200 ms to see the stop flag.
        let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(200u16));
        match listener.accept() {
            Ok((stream, _)) => {
                if shared.pending.fetch_add(1, Ordering::SeqCst) >= MAX_PENDING_HELLOS {
                    shared.pending.fetch_sub(1, Ordering::SeqCst);
                    log("too many connections waiting to say hello; closed a new one");
                    drop(stream);
                    continue;
                }
                let shared = shared.clone();
                let id = shared.next_peer.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || session(&shared, stream, id));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => log(&format!("accept failed: {e}")),
        }
        if shared.config.exit_when_idle {
            let empty = shared.core().is_none_or(|c| c.peers.is_empty());
            let anyone = shared.welcomed.load(Ordering::SeqCst) > 0;
            // Stays up a moment after the last session leaves (a restart
            // of the interface reconnects), and a while for the first one.
            let grace = if anyone {
                Duration::from_secs(2)
            } else {
                Duration::from_secs(60)
            };
            match (empty, idle_since) {
                (false, _) => idle_since = None,
                (true, None) => idle_since = Some(if anyone { Instant::now() } else { started }),
                (true, Some(t)) if t.elapsed() >= grace && !busy() => {
                    log("the last session left; stopping");
                    return;
                }
                (true, Some(_)) => {}
            }
        }
    }
}

/// The login of the peer of `stream`, from the kernel (SO_PEERCRED), and
/// whether it is the user the server runs as.
fn peer_login(stream: &UnixStream) -> Result<(String, bool), String> {
    let cred = nix::sys::socket::getsockopt(stream, nix::sys::socket::sockopt::PeerCredentials)
        .map_err(|e| format!("cannot read the peer's credentials: {e}"))?;
    let uid = nix::unistd::Uid::from_raw(cred.uid());
    let owner = uid == nix::unistd::geteuid();
    match nix::unistd::User::from_uid(uid) {
        Ok(Some(user)) => Ok((user.name, owner)),
        _ => Err(format!("uid {uid} has no user name")),
    }
}

/// The hello exchange: who is this, and may they come in? A manager comes
/// in with their role. The user the server runs as owns the database
/// files and could open them directly: they come in as a lead even when
/// not a manager (how one person works on their own database).
/// The user, and the model their session says it holds.
fn welcome(shared: &Shared, stream: &mut UnixStream) -> Result<(User, Option<Held>, bool), String> {
    let hello = match protocol::read_frame_max::<ToServer>(stream, protocol::MAX_HELLO) {
        Ok(h) => h,
        // A probe (a session waiting for the server to come up): no news.
        Err(FrameError::Closed) => return Err(String::new()),
        Err(e) => return Err(format!("no valid hello: {e}")),
    };
    let ToServer::Hello {
        protocol,
        app,
        claimed_login,
        have,
        model,
    } = hello
    else {
        return Err("the first frame was not a hello".into());
    };
    if protocol != PROTOCOL_VERSION {
        return Err(format!(
            "this server speaks protocol {PROTOCOL_VERSION}, the session ({app}) speaks {protocol}: \
             use the same rapport version on both sides"
        ));
    }
    let (login, owner) = match claimed_login {
        Some(claimed) if shared.config.trust_claimed_logins => (claimed, false),
        _ => peer_login(stream)?,
    };
    let core = shared.core().ok_or("the server is stopping")?;
    match core.data.model().manager_by_login(&login) {
        Some(m) => Ok((
            User {
                login,
                manager: Some(m.id),
                role: m.role,
            },
            have,
            model,
        )),
        None if owner => Ok((
            User {
                login,
                manager: None,
                role: Role::Lead,
            },
            have,
            model,
        )),
        None => Err(format!(
            "user '{login}' is not a manager of this database; a lead adds them with \
             `rapport import managers` (login,name,role)"
        )),
    }
}

fn send_now(stream: &mut UnixStream, msg: &ToSession) {
    if let Ok(bytes) = protocol::frame(msg) {
        let _ = stream.write_all(&bytes);
    }
}

/// One connection, from hello to goodbye.
fn session(shared: &Arc<Shared>, mut stream: UnixStream, id: u64) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(HELLO_TIMEOUT));
    let welcomed = welcome(shared, &mut stream);
    shared.pending.fetch_sub(1, Ordering::SeqCst);
    let (user, have, wants_model) = match welcomed {
        Ok(u) => u,
        Err(reason) if reason.is_empty() => return,
        Err(reason) => {
            log(&format!("session {id} refused: {reason}"));
            send_now(&mut stream, &ToSession::Refused(reason));
            return;
        }
    };
    let _ = stream.set_read_timeout(None);
    let kept;
    // Room for the welcome and the snapshot at least.
    let (queue, outbox) = mpsc::sync_channel::<Frame>(shared.config.queue_frames.max(2));
    let (Ok(writer), Ok(handle)) = (stream.try_clone(), stream.try_clone()) else {
        return;
    };
    // The writer: the only thread that writes to this socket. A write
    // error (the session is gone, or was shut down for falling behind)
    // ends it.
    std::thread::spawn(move || {
        let mut writer = writer;
        for bytes in outbox {
            if writer.write_all(&bytes).is_err() {
                let _ = writer.shutdown(std::net::Shutdown::Both);
                return;
            }
        }
    });
    let sees = match (shared.config.managers_see_all, user.role, user.manager) {
        (false, Role::Manager, Some(m)) => Some(m),
        _ => None,
    };
    {
        let Some(mut core) = shared.core() else { return };
        let room = shared.config.queue_frames.saturating_sub(2);
        // A session that opened the database itself and handed it over
        // keeps its model if it is this one, whole and current.
        let now = Held {
            created: core.data.created(),
            seq: core.data.model().counters.seq,
        };
        kept = sees.is_none() && have == Some(now);
        let joined = match sees {
            // Nothing to send: the session holds the model, or wants none.
            _ if kept || !wants_model => Ok((Arc::new(Vec::new()), Vec::new())),
            // Their own share of the model, encoded for them from the model
            // in place (copying it out first doubled the work).
            Some(m) => core.data.encode_share(m).map(|b| (Arc::new(b), Vec::new())),
            None => core.join_frames(room),
        };
        let (snapshot, since) = match joined {
            Ok(frames) => frames,
            Err(e) => {
                log(&format!("cannot encode the snapshot: {e}"));
                return;
            }
        };
        let welcome = ToSession::Welcome {
            protocol: PROTOCOL_VERSION,
            login: user.login.clone(),
            manager: user.manager,
            role: user.role,
            snapshot_len: snapshot.len() as u64,
            seq: now.seq,
            kept,
        };
        let Ok(frame) = protocol::frame(&welcome) else { return };
        // The queue is new and empty: all fit (`join_frames` saw to it).
        let _ = queue.try_send(Arc::new(frame));
        if !kept && wants_model {
            let _ = queue.try_send(snapshot);
        }
        for event in since {
            let _ = queue.try_send(event);
        }
        core.peers.push(Peer {
            id,
            login: user.login.clone(),
            sees,
            queue: queue.clone(),
            stream: handle,
        });
    }
    shared.welcomed.fetch_add(1, Ordering::SeqCst);
    log(&format!(
        "session {id}: {} ({}) joined{}",
        user.login,
        if user.role == Role::Lead { "lead" } else { "manager" },
        match (kept, wants_model) {
            (true, _) => ", keeping the model it had",
            (false, false) => ", without a model (one command)",
            (false, true) => "",
        }
    ));
    let reason = serve_session(shared, &mut stream, &user, sees, &queue);
    if let Some(mut core) = shared.core() {
        core.peers.retain(|p| p.id != id);
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
    log(&format!("session {id}: {} left ({reason})", user.login));
}

/// Reads and answers requests until the session ends; returns why.
fn serve_session(
    shared: &Shared,
    stream: &mut UnixStream,
    user: &User,
    sees: Option<ManagerId>,
    queue: &SyncSender<Frame>,
) -> String {
    let reply = |msg: &ToSession| -> bool {
        match protocol::frame(msg) {
            // Blocks only this session when its own queue is full.
            Ok(bytes) => queue.send(Arc::new(bytes)).is_ok(),
            Err(e) => {
                log(&format!("cannot encode a reply: {e}"));
                false
            }
        }
    };
    loop {
        let request = match protocol::read_frame::<ToServer>(stream) {
            Ok(r) => r,
            Err(FrameError::Closed) => return "closed".into(),
            Err(e) => return format!("bad frame, connection closed: {e}"),
        };
        let ok = match request {
            ToServer::Hello { .. } => return "a second hello".into(),
            ToServer::Execute { id, command } => {
                let result = commands::execute(shared, user, command).map_err(|r| commands::hide_for(sees, r));
                reply(&ToSession::Done { id, result })
            }
            ToServer::Read { id, read } => reads::answer(shared, user, sees, id, read, &reply),
        };
        if !ok {
            return "its queue was closed".into();
        }
    }
}
