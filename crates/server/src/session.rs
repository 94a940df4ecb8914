//! A session on a database: the store opened in this process, or a
//! server's copy of it over the socket. Everything above (the commands
//! line, the interface) works the same on both.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use rapport_core::backend::{Backend, BackendError, BackupSummary, HistoryEntry, VerifyReport, Waker};

use crate::client::{ConnectError, Remote};
use crate::domain::*;
use crate::kpi::{GroupBy, Period, Table};
use crate::model::Model;
use crate::protocol::Held;
use crate::store::{OpenError, Store};
use crate::write::{Command, Event};
use rapport_pg::PgStore;

/// `--server`: how a session finds its database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerMode {
    /// Through a server if one is listening, else directly.
    Auto,
    /// Through a server only.
    Always,
    /// Directly only.
    Never,
}

impl ServerMode {
    pub fn parse(s: &str) -> Option<ServerMode> {
        match s {
            "auto" => Some(ServerMode::Auto),
            "always" => Some(ServerMode::Always),
            "never" => Some(ServerMode::Never),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Open(OpenError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(
        "{db}: the database is locked by another rapport process and no server answers on {socket}; \
         to share it, stop that process and run `rapport serve --db {db}` (every session then goes through it)"
    )]
    LockedNoServer { db: PathBuf, socket: PathBuf },
    /// A command that does not make a database named one that is not there.
    #[error(
        "no rapport database at {0} (nothing was created): check --db or RAPPORT_DB; \
         `rapport init --db PATH` makes an empty one, and demo, import and restore fill a new one"
    )]
    NoDatabase(PathBuf),
    #[error(
        "no rapport server is listening on {0}, a shared socket: the team's server is not running \
         (nothing was done; ask whoever runs it to start `rapport serve`)"
    )]
    TeamServerDown(PathBuf),
    #[error(transparent)]
    Postgres(BackendError),
}

/// A session on a database: the local/remote switch. Everything else
/// sees it as a `Backend`; the hand-over from a store opened here to a
/// server stays inside.
pub struct Session {
    link: Link,
    /// How a session on a store opened here moves to a server
    /// (`Backend::hand_over`), when it was given one.
    planned: Option<Connector>,
    /// The user's hooks, run after each command this session applies.
    hooks: crate::hooks::Hooks,
}

/// Where a session's data is, for the few callers that must know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Where {
    /// A store opened in this process.
    Here,
    /// Handed to a server that is not answering yet.
    Joining,
    /// A server's copy over the socket.
    Server,
    /// A PostgreSQL database.
    Postgres,
}

// One per process: the size of the local variant does not matter.
#[allow(clippy::large_enum_variant)]
enum Link {
    Local(Store),
    Remote(Box<Remote>),
    /// Handing a store opened here to a server started for it: the model
    /// stays in memory (and on screen) meanwhile; a call that needs the
    /// server waits for it.
    Joining(Box<Joining>),
    /// A PostgreSQL database, shared with every other process on it.
    Postgres(Box<PgStore>),
}

/// Starts (or finds) the server for the database and connects to it,
/// saying which model the session holds. Runs on its own thread.
pub type Connector = Box<dyn FnOnce(Held) -> Result<Remote, String> + Send>;

/// How long a call waits for the server a hand-over started (it may take
/// the day's backup before it listens).
const JOIN_WAIT: Duration = Duration::from_secs(60);

pub struct Joining {
    model: Model,
    joined: Receiver<Result<Remote, String>>,
    /// Called when the connection is there (the interface wakes its loop).
    waker: Arc<Mutex<Option<Waker>>>,
    /// Why the hand-over failed, once it has.
    failed: Option<String>,
}

/// Opens a session on `db` as `mode` says; `socket` is the server's socket.
/// Opening directly, a missing database is created only when `create`
/// (the commands that make one); otherwise it is an error.
pub fn connect(
    db: &Path,
    socket: &Path,
    mode: ServerMode,
    claimed_login: Option<String>,
    create: bool,
) -> Result<Session, SessionError> {
    connect_as(db, socket, mode, claimed_login, create, true)
}

/// `connect` for one command that names its records by ref (`rapport
/// log`): through a server, no model is sent (`Backend::named` asks the
/// server); opened here, the store is, as always.
pub fn connect_for_command(
    db: &Path,
    socket: &Path,
    mode: ServerMode,
    claimed_login: Option<String>,
) -> Result<Session, SessionError> {
    connect_as(db, socket, mode, claimed_login, false, false)
}

/// A session on the PostgreSQL database `url`: through its host's server
/// when one answers on `socket` (and `mode` allows), else connected to
/// the database directly. Unlike sled, going direct when no server answers
/// is safe even for a team's shared socket: it is the same database.
/// `live`: the session listens for others' commands (an interface).
pub fn connect_postgres(
    url: &str,
    socket: &Path,
    mode: ServerMode,
    claimed_login: Option<String>,
    wants_model: bool,
    live: bool,
) -> Result<Session, SessionError> {
    if mode != ServerMode::Never {
        match remote(socket, claimed_login, wants_model) {
            Ok(r) => return Ok(Session::remote(r)),
            Err(ConnectError::NoServer(_)) if mode == ServerMode::Auto => {}
            Err(e) => return Err(e.into()),
        }
    }
    Session::postgres(url, live).map_err(SessionError::Postgres)
}

/// The server on `socket`, for a session that holds the model (or, for
/// one command, none).
fn remote(socket: &Path, claimed_login: Option<String>, wants_model: bool) -> Result<Remote, ConnectError> {
    match wants_model {
        true => Remote::connect(socket, claimed_login),
        false => Remote::connect_for_command(socket, claimed_login),
    }
}

fn connect_as(
    db: &Path,
    socket: &Path,
    mode: ServerMode,
    claimed_login: Option<String>,
    create: bool,
    wants_model: bool,
) -> Result<Session, SessionError> {
    if mode != ServerMode::Never {
        match remote(socket, claimed_login, wants_model) {
            Ok(r) => return Ok(Session::remote(r)),
            // Only a socket of this user's own may be passed over: a
            // team's server that is down must not become a private,
            // empty database that takes the user's work.
            Err(ConnectError::NoServer(_))
                if mode == ServerMode::Auto && crate::trust::is_private_socket_dir(socket) => {}
            Err(ConnectError::NoServer(s)) if mode == ServerMode::Auto => {
                return Err(SessionError::TeamServerDown(s));
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !create && !Store::exists(db) {
        return Err(SessionError::NoDatabase(db.to_path_buf()));
    }
    match Store::open(db) {
        Ok(store) => Ok(Session::local(store)),
        Err(OpenError::Locked(_)) if mode == ServerMode::Auto => Err(SessionError::LockedNoServer {
            db: db.to_path_buf(),
            socket: socket.to_path_buf(),
        }),
        Err(e) => Err(SessionError::Open(e)),
    }
}

impl Session {
    /// A session on a store opened here.
    pub fn local(store: Store) -> Session {
        Session {
            link: Link::Local(store),
            planned: None,
            hooks: crate::hooks::Hooks::for_user(),
        }
    }

    /// A store opened here that `hand_over` moves to the server `connect`
    /// starts (or finds).
    pub fn local_then_server(store: Store, connect: Connector) -> Session {
        Session {
            link: Link::Local(store),
            planned: Some(connect),
            hooks: crate::hooks::Hooks::for_user(),
        }
    }

    /// A session on the PostgreSQL database `url` (`--db postgresql://…`);
    /// `live`: it listens for what others commit (an interface), else it
    /// is for one command.
    pub fn postgres(url: &str, live: bool) -> Result<Session, BackendError> {
        let store = match live {
            true => PgStore::open(url)?,
            false => PgStore::open_for_command(url)?,
        };
        Ok(Session {
            link: Link::Postgres(Box::new(store)),
            planned: None,
            hooks: crate::hooks::Hooks::for_user(),
        })
    }

    pub fn remote(remote: Remote) -> Session {
        Session {
            link: Link::Remote(Box::new(remote)),
            planned: None,
            hooks: crate::hooks::Hooks::for_user(),
        }
    }

    pub fn place(&self) -> Where {
        match self.link {
            Link::Local(_) => Where::Here,
            Link::Joining(_) => Where::Joining,
            Link::Remote(_) => Where::Server,
            Link::Postgres(_) => Where::Postgres,
        }
    }

    /// The store, when it is opened in this process.
    pub fn store(&self) -> Option<&Store> {
        match &self.link {
            Link::Local(s) => Some(s),
            _ => None,
        }
    }

    pub fn store_mut(&mut self) -> Option<&mut Store> {
        match &mut self.link {
            Link::Local(s) => Some(s),
            _ => None,
        }
    }

    /// The login the server authenticated, on a server session.
    pub fn server_login(&self) -> Option<&str> {
        match &self.link {
            Link::Remote(r) => Some(&r.login),
            _ => None,
        }
    }

    /// The manager this session acts as when the server says it is a
    /// manager (not a lead): what it creates is theirs.
    pub fn acting_manager(&self) -> Option<ManagerId> {
        match &self.link {
            Link::Remote(r) if r.role == Role::Manager => r.manager,
            Link::Postgres(p) => p
                .model()
                .manager_by_login(p.login())
                .filter(|m| m.role == Role::Manager)
                .map(|m| m.id),
            _ => None,
        }
    }

    /// Finishes a hand-over whose server answered (waiting up to `wait`):
    /// the connection takes the model, or brings a newer one (see
    /// `poll_replaced`).
    fn settle(&mut self, wait: Option<Duration>) -> Result<(), BackendError> {
        let Link::Joining(j) = &mut self.link else {
            return Ok(());
        };
        if let Some(reason) = &j.failed {
            return Err(BackendError::Server(reason.clone()));
        }
        let outcome = match wait {
            Some(wait) => j.joined.recv_timeout(wait).map_err(|e| match e {
                RecvTimeoutError::Timeout => None,
                RecvTimeoutError::Disconnected => Some("the hand-over to the server stopped".to_string()),
            }),
            None => j.joined.try_recv().map_err(|e| match e {
                TryRecvError::Empty => None,
                TryRecvError::Disconnected => Some("the hand-over to the server stopped".to_string()),
            }),
        };
        let mut remote = match outcome {
            Ok(Ok(remote)) => remote,
            Ok(Err(reason)) | Err(Some(reason)) => {
                j.failed = Some(reason.clone());
                return Err(BackendError::Server(reason));
            }
            Err(None) if wait.is_some() => {
                return Err(BackendError::Server(
                    "the server for this database is still starting (it may be taking the day's backup); \
                     nothing was changed, try again in a moment"
                        .into(),
                ));
            }
            Err(None) => return Ok(()),
        };
        if remote.kept() {
            remote.adopt(std::mem::take(&mut j.model));
        }
        if let Some(w) = j.waker.lock().ok().and_then(|mut w| w.take()) {
            remote.set_waker(w);
        }
        self.link = Link::Remote(Box::new(remote));
        Ok(())
    }

    /// What answers the calls: the store here, or the server (after a
    /// hand-over under way, once it is there).
    fn backend(&mut self) -> Result<&mut dyn Backend, BackendError> {
        self.settle(Some(JOIN_WAIT))?;
        match &mut self.link {
            Link::Local(s) => Ok(s),
            Link::Remote(r) => Ok(r.as_mut()),
            Link::Postgres(p) => Ok(p.as_mut()),
            Link::Joining(_) => Err(BackendError::Server("no server session".into())),
        }
    }

    /// Ends a session that only read: a local one leaves a current model
    /// snapshot so the next start is fast, then closes without freeing the
    /// model record by record (the process ends anyway).
    pub fn finish(self) -> Result<(), BackendError> {
        match self.link {
            Link::Local(mut store) => {
                if !store.loaded_from_snapshot() {
                    // A cache only: failing to write it changes nothing.
                    let _ = store.save_snapshot();
                }
                Ok(store.close_without_freeing()?)
            }
            Link::Remote(r) => {
                // The socket closes with the process.
                std::mem::forget(r);
                Ok(())
            }
            Link::Joining(j) => {
                std::mem::forget(j);
                Ok(())
            }
            Link::Postgres(_) => Ok(()),
        }
    }
}

impl Backend for Session {
    fn model(&self) -> &Model {
        match &self.link {
            Link::Local(s) => s.model(),
            Link::Remote(r) => r.model(),
            Link::Joining(j) => &j.model,
            Link::Postgres(p) => p.model(),
        }
    }

    fn execute(&mut self, who: &str, cmd: Command) -> Result<Event, BackendError> {
        // The command is kept for the hooks only when there are hooks.
        let kept = self.hooks.active().then(|| cmd.clone());
        let event = self.backend()?.execute(who, cmd)?;
        if let Some(cmd) = kept {
            self.hooks.fire(&cmd, &event);
        }
        Ok(event)
    }

    fn execute_unread(&mut self, who: &str, cmd: Command) -> Result<(), BackendError> {
        // The hooks read the event.
        if self.hooks.active() {
            return self.execute(who, cmd).map(drop);
        }
        self.backend()?.execute_unread(who, cmd)
    }

    fn hook_failures(&mut self) -> Vec<String> {
        self.hooks.take_failures()
    }

    fn settlements_of(&mut self, client: ClientId) -> Result<Vec<Settlement>, BackendError> {
        self.backend()?.settlements_of(client)
    }

    fn each_settlement(&mut self, visit: &mut dyn FnMut(&Model, Settlement) -> bool) -> Result<(), BackendError> {
        self.backend()?.each_settlement(visit)
    }

    fn contacts_of(&mut self, client: ClientId) -> Result<Vec<ContactEntry>, BackendError> {
        self.backend()?.contacts_of(client)
    }

    fn query(&mut self, args: &[String], colour: bool, out: &mut dyn Write) -> Option<Result<(), BackendError>> {
        match self.backend() {
            Ok(b) => b.query(args, colour, out),
            Err(e) => Some(Err(e)),
        }
    }

    fn named(
        &mut self,
        reference: &str,
        person: Option<&str>,
        product: Option<&str>,
    ) -> Result<rapport_core::find::named::Named, BackendError> {
        self.backend()?.named(reference, person, product)
    }

    fn due_item(
        &mut self,
        item: &str,
        as_of: NaiveDate,
    ) -> Result<(rapport_core::queue::Item, Option<String>), BackendError> {
        self.backend()?.due_item(item, as_of)
    }

    fn hold(&mut self, wanted: &rapport_core::find::named::Wanted) -> Result<(), BackendError> {
        self.backend()?.hold(wanted)
    }

    fn contacts_between(&mut self, from: NaiveDate, to: NaiveDate) -> Result<Vec<ContactEntry>, BackendError> {
        self.backend()?.contacts_between(from, to)
    }

    fn write_backup(&mut self, out: &mut dyn Write, taken: NaiveDateTime) -> Result<BackupSummary, BackendError> {
        self.backend()?.write_backup(out, taken)
    }

    fn verify(&mut self) -> Result<VerifyReport, BackendError> {
        self.backend()?.verify()
    }

    fn history_of(&mut self, client: ClientId) -> Result<Vec<HistoryEntry>, BackendError> {
        self.backend()?.history_of(client)
    }

    fn last_undoable(&mut self, who: &str) -> Result<Option<(Event, rapport_core::write::undo::Prior)>, BackendError> {
        self.backend()?.last_undoable(who)
    }

    fn kpi_table(&mut self, period: Period, by: GroupBy) -> Result<Table, BackendError> {
        self.backend()?.kpi_table(period, by)
    }

    fn is_remote(&self) -> bool {
        !matches!(self.link, Link::Local(_))
    }

    fn through_server(&self) -> bool {
        matches!(self.link, Link::Remote(_) | Link::Joining(_))
    }

    fn poll_events(&mut self) -> Vec<Event> {
        match &mut self.link {
            Link::Remote(r) => r.poll_events(),
            Link::Postgres(p) => Backend::poll_events(p.as_mut()),
            Link::Local(_) | Link::Joining(_) => Vec::new(),
        }
    }

    fn connection_lost(&self) -> Option<String> {
        match &self.link {
            Link::Remote(r) => r.closed().map(str::to_string),
            Link::Joining(j) => j.failed.clone(),
            Link::Local(_) | Link::Postgres(_) => None,
        }
    }

    /// Lets the connection (once there) wake the caller's loop.
    fn set_waker(&mut self, waker: Waker) {
        match &mut self.link {
            Link::Remote(r) => r.set_waker(waker),
            Link::Joining(j) => {
                if let Ok(mut w) = j.waker.lock() {
                    *w = Some(waker);
                }
            }
            Link::Postgres(p) => Backend::set_waker(p.as_mut(), waker),
            Link::Local(_) => {}
        }
    }

    /// Completes a hand-over whose server has answered, without waiting.
    /// True (once) when the hand-over is done and the server brought a
    /// newer model than the one held (the database changed in between):
    /// what was derived from it is stale. Also true after a call that
    /// waited for the hand-over.
    fn poll_replaced(&mut self) -> bool {
        let _ = self.settle(None);
        match &mut self.link {
            Link::Remote(r) => r.take_replaced(),
            Link::Postgres(p) => Backend::poll_replaced(p.as_mut()),
            _ => false,
        }
    }

    /// Hands a store opened here to the server it was planned for:
    /// flushes and closes it (releasing the database), keeps the model,
    /// and starts the server and joins it on another thread. The session
    /// answers from the model meanwhile; the first call that needs the
    /// server waits for it.
    fn hand_over(&mut self) -> Result<bool, BackendError> {
        let Link::Local(store) = &self.link else {
            return Ok(false);
        };
        let Some(connect) = self.planned.take() else {
            return Ok(false);
        };
        store.flush()?;
        let (tx, joined) = mpsc::channel();
        let waker: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let placeholder = Link::Joining(Box::new(Joining {
            model: Model::default(),
            joined,
            waker: waker.clone(),
            failed: None,
        }));
        let Link::Local(store) = std::mem::replace(&mut self.link, placeholder) else {
            return Ok(false);
        };
        let (model, created) = store.into_model();
        let have = Held {
            created,
            seq: model.counters.seq,
        };
        if let Link::Joining(j) = &mut self.link {
            j.model = model;
        }
        std::thread::spawn(move || {
            let _ = tx.send(connect(have));
            if let Ok(w) = waker.lock()
                && let Some(w) = w.as_ref()
            {
                w();
            }
        });
        Ok(true)
    }

    fn close(&mut self, today: NaiveDate) -> Result<(), BackendError> {
        match &mut self.link {
            Link::Local(store) => Backend::close(store, today),
            // The server keeps its own snapshot and backups; PostgreSQL
            // is backed up by its own tools.
            Link::Remote(_) | Link::Joining(_) | Link::Postgres(_) => Ok(()),
        }
    }
}
