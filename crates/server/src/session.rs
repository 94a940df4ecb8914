//! A session on a database: the store opened in this process, or a
//! server's copy of it over the socket. Everything above (the commands
//! line, the interface) works the same on both.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};

use std::collections::BTreeMap;

use crate::client::{ConnectError, Remote, Waker};
use crate::domain::*;
use crate::kpi::{self, GroupBy, Period, Table};
use crate::model::Model;
use crate::protocol::Held;
use crate::store::backup::{BackupError, Header, Summary};
use crate::store::{OpenError, Store, StoreError};
use crate::write::{Command, Event};

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
}

// One per process: the size of the local variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Session {
    Local(Store),
    Remote(Box<Remote>),
    /// Handing a store opened here to a server started for it: the model
    /// stays in memory (and on screen) meanwhile; a call that needs the
    /// server waits for it.
    Joining(Box<Joining>),
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
    if mode != ServerMode::Never {
        match Remote::connect(socket, claimed_login) {
            Ok(r) => return Ok(Session::Remote(Box::new(r))),
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
        Ok(store) => Ok(Session::Local(store)),
        Err(OpenError::Locked(_)) if mode == ServerMode::Auto => Err(SessionError::LockedNoServer {
            db: db.to_path_buf(),
            socket: socket.to_path_buf(),
        }),
        Err(e) => Err(SessionError::Open(e)),
    }
}

impl Session {
    pub fn model(&self) -> &Model {
        match self {
            Session::Local(s) => s.model(),
            Session::Remote(r) => r.model(),
            Session::Joining(j) => &j.model,
        }
    }

    pub fn is_remote(&self) -> bool {
        !matches!(self, Session::Local(_))
    }

    /// The manager this session acts as when the server says it is a
    /// manager (not a lead): what it creates is theirs.
    pub fn acting_manager(&self) -> Option<ManagerId> {
        match self {
            Session::Remote(r) if r.role == Role::Manager => r.manager,
            _ => None,
        }
    }

    /// Hands a store opened here to a server: flushes and closes it
    /// (releasing the database), keeps the model, and lets `connect` start
    /// the server and join it on another thread. The session answers from
    /// the model meanwhile; the first call that needs the server waits
    /// for it. Does nothing on a session that is not local.
    pub fn hand_over(&mut self, connect: Connector) -> Result<(), StoreError> {
        let Session::Local(store) = self else {
            return Ok(());
        };
        store.flush()?;
        let (tx, joined) = mpsc::channel();
        let waker: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let placeholder = Session::Joining(Box::new(Joining {
            model: Model::default(),
            joined,
            waker: waker.clone(),
            failed: None,
        }));
        let Session::Local(store) = std::mem::replace(self, placeholder) else {
            return Ok(());
        };
        let (model, created) = store.into_model();
        let have = Held {
            created,
            seq: model.counters.seq,
        };
        if let Session::Joining(j) = self {
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
        Ok(())
    }

    /// Finishes a hand-over whose server answered (waiting up to `wait`):
    /// the connection takes the model, or brings a newer one (see
    /// `poll_hand_over`).
    fn settle(&mut self, wait: Option<Duration>) -> Result<(), StoreError> {
        let Session::Joining(j) = self else {
            return Ok(());
        };
        if let Some(reason) = &j.failed {
            return Err(StoreError::Server(reason.clone()));
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
                return Err(StoreError::Server(reason));
            }
            Err(None) if wait.is_some() => {
                return Err(StoreError::Server(
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
        *self = Session::Remote(Box::new(remote));
        Ok(())
    }

    /// The server connection, after a hand-over if one is under way.
    fn remote(&mut self) -> Result<Option<&mut Remote>, StoreError> {
        self.settle(Some(JOIN_WAIT))?;
        Ok(match self {
            Session::Remote(r) => Some(r),
            _ => None,
        })
    }

    /// Applies `cmd`. Directly it is recorded as `who`; through a server,
    /// as the login the server authenticated.
    pub fn execute(&mut self, who: &str, cmd: Command) -> Result<Event, StoreError> {
        match self {
            Session::Local(s) => s.execute(who, cmd),
            _ => self.joined()?.execute(cmd),
        }
    }

    fn joined(&mut self) -> Result<&mut Remote, StoreError> {
        self.remote()?
            .ok_or_else(|| StoreError::Server("no server session".into()))
    }

    pub fn settlements_of(&mut self, client: ClientId) -> Result<Vec<Settlement>, StoreError> {
        match self {
            Session::Local(s) => s.settlements_of(client),
            _ => self.joined()?.settlements_of(client),
        }
    }

    pub fn all_settlements(&mut self) -> Result<Vec<Settlement>, StoreError> {
        match self {
            Session::Local(s) => s.settlements().collect(),
            _ => self.joined()?.all_settlements(),
        }
    }

    pub fn contacts_of(&mut self, client: ClientId) -> Result<Vec<ContactEntry>, StoreError> {
        match self {
            Session::Local(s) => s.contacts_of(client),
            _ => self.joined()?.contacts_of(client),
        }
    }

    pub fn contacts_between(&mut self, from: NaiveDate, to: NaiveDate) -> Result<Vec<ContactEntry>, StoreError> {
        match self {
            Session::Local(s) => s.contacts_between(from, to),
            _ => self.joined()?.contacts_between(from, to),
        }
    }

    /// The logical backup of every record, as JSON lines.
    pub fn write_backup(&mut self, out: &mut dyn Write, taken: NaiveDateTime) -> Result<Summary, BackupError> {
        if matches!(self, Session::Joining(_)) {
            self.settle(Some(JOIN_WAIT))?;
        }
        match self {
            Session::Local(s) => s.write_backup(out, taken),
            Session::Joining(_) => Err(StoreError::Server("no server session".into()).into()),
            Session::Remote(r) => {
                let mut counted = LineCounter {
                    out,
                    lines: 0,
                    first: Vec::new(),
                };
                r.backup(&mut counted, taken)?;
                let header: Header = serde_json::from_slice(&counted.first).map_err(|e| BackupError::Line {
                    file: "(from the server)".into(),
                    line: 1,
                    message: e.to_string(),
                })?;
                // The header, the settings, the counters and the trailer
                // are not records.
                Ok(Summary {
                    records: counted.lines.saturating_sub(4),
                    seq: header.seq,
                })
            }
        }
    }

    /// Every record checked (`rapport verify`): here, or by the server
    /// that holds the database, under its lock.
    pub fn verify(&mut self) -> Result<crate::store::verify::Report, StoreError> {
        match self {
            Session::Local(s) => Ok(s.verify()),
            _ => self.joined()?.verify(),
        }
    }

    /// The manager results of SPEC §7 for `period`, reading what the
    /// model does not hold (the contact log, and the settlements of the
    /// few clients with several on one day).
    pub fn kpi_table(&mut self, period: Period, by: GroupBy) -> Result<Table, StoreError> {
        self.settle(Some(JOIN_WAIT))?;
        match self {
            Session::Local(store) => kpi_table_local(store, period, by),
            Session::Joining(_) => Err(StoreError::Server("no server session".into())),
            Session::Remote(r) => {
                let mut fetched = BTreeMap::new();
                for client in kpi::clients_to_fetch(r.model(), period) {
                    fetched.insert(client, r.settlements_of(client)?);
                }
                let contacts = r.contacts_between(period.from, period.to)?;
                let sales = kpi::sales(r.model(), period, |c| {
                    Ok::<_, StoreError>(fetched.remove(&c).unwrap_or_default())
                })?;
                Ok(kpi::table(r.model(), period, by, &sales, &contacts))
            }
        }
    }

    /// Other sessions' events since the last call (none when local).
    pub fn poll_events(&mut self) -> Vec<Event> {
        match self {
            Session::Local(_) | Session::Joining(_) => Vec::new(),
            Session::Remote(r) => r.poll_events(),
        }
    }

    /// Completes a hand-over whose server has answered, without waiting.
    /// True (once) when the hand-over is done and the server brought a
    /// newer model than the one held (the database changed in between):
    /// what was derived from it is stale. Also true after a call that
    /// waited for the hand-over.
    pub fn poll_hand_over(&mut self) -> bool {
        let _ = self.settle(None);
        match self {
            Session::Remote(r) => r.take_replaced(),
            _ => false,
        }
    }

    /// Why the connection to the server ended (or could not be made).
    pub fn connection_lost(&self) -> Option<String> {
        match self {
            Session::Remote(r) => r.closed().map(str::to_string),
            Session::Joining(j) => j.failed.clone(),
            Session::Local(_) => None,
        }
    }

    /// Lets the connection (once there) wake the caller's loop.
    pub fn set_waker(&mut self, waker: Waker) {
        match self {
            Session::Remote(r) => r.set_waker(waker),
            Session::Joining(j) => {
                if let Ok(mut w) = j.waker.lock() {
                    *w = Some(waker);
                }
            }
            Session::Local(_) => {}
        }
    }

    /// Ends a session that only read: a local one leaves a current model
    /// snapshot so the next start is fast, then closes without freeing the
    /// model record by record (the process ends anyway).
    pub fn finish(self) -> Result<(), StoreError> {
        match self {
            Session::Local(mut store) => {
                if !store.loaded_from_snapshot() {
                    // A cache only: failing to write it changes nothing.
                    let _ = store.save_snapshot();
                }
                store.close_without_freeing()
            }
            Session::Remote(r) => {
                // The socket closes with the process.
                std::mem::forget(r);
                Ok(())
            }
            Session::Joining(j) => {
                std::mem::forget(j);
                Ok(())
            }
        }
    }
}

/// Counts the lines written through it and keeps the first (the header).
struct LineCounter<'a> {
    out: &'a mut dyn Write,
    lines: u64,
    first: Vec<u8>,
}

impl Write for LineCounter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        let written = buf.get(..n).unwrap_or(buf);
        if self.lines == 0 {
            let end = written.iter().position(|b| *b == b'\n').unwrap_or(written.len());
            self.first.extend_from_slice(written.get(..end).unwrap_or(written));
        }
        self.lines += written.iter().filter(|b| **b == b'\n').count() as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// `Session::kpi_table` on a store of this process: the contact log and
/// the settlements are read side by side.
pub fn kpi_table_local(store: &Store, period: Period, by: GroupBy) -> Result<Table, StoreError> {
    let model = store.model();
    let (sales, contacts) = std::thread::scope(|s| {
        let contacts = s.spawn(|| store.contacts_between(period.from, period.to));
        let sales = kpi::sales(model, period, |client| store.settlements_of(client));
        let contacts = contacts.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (sales, contacts)
    });
    Ok(kpi::table(model, period, by, &sales?, &contacts?))
}
