//! The durable store on sled 0.34: a few trees with big-endian fixed-width
//! keys, values in the versioned envelope of `codec`, and one write path
//! (`Store::execute`, in `commit.rs`): command in, validated, applied in one
//! transaction, flushed, event out.

// The core's modules, by the paths the store's files use.
use rapport_core::{domain, model, write};

mod backend;
pub mod backup;
pub mod codec;
mod commit;
pub mod keys;
mod open;
pub mod paths;
pub mod space;
mod staging;
pub mod verify;

use crate::write::CommandError;
pub use backend::DAILY_BACKUPS_KEPT;
pub use open::{OpenError, bulk_load};

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::*;
use crate::model::{Change, Model};
use codec::{CodecError, Record};

/// The trees, in the order of `TREE_NAMES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum T {
    Meta,
    Managers,
    Segments,
    Products,
    Portrait,
    Clients,
    Persons,
    Settlements,
    Aggregates,
    Offers,
    Contacts,
    Tasks,
    Surveys,
    Tickets,
    Audit,
    Marks,
    Questionnaires,
    /// The changes of recent commands, so that opening can bring an older
    /// snapshot up to date instead of reading every record.
    Changes,
    /// Archived clients and persons (schema 2).
    Archive,
    /// The company's document templates (schema 3).
    Templates,
    /// Documents, offer terms, acquisition sources, the sales setup (schema 4).
    Sales,
}

pub(crate) const TREE_NAMES: [&str; 21] = [
    "meta",
    "managers",
    "segments",
    "products",
    "portrait",
    "clients",
    "persons",
    "settlements",
    "aggregates",
    "offers",
    "contacts",
    "tasks",
    "surveys",
    "tickets",
    "audit",
    "marks",
    "questionnaires",
    "changes",
    "archive",
    "templates",
    "sales",
];

/// Commands with more changes than this (imports, the demo) are not kept in
/// the change log: they save a snapshot themselves, and replaying them would
/// cost what reading the records costs. The log is kept after a snapshot:
/// it is the clients' history.
pub const CHANGE_LOG_MAX: usize = 5_000;

/// One command's changes, by audit sequence number (tree `changes`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChangeLog {
    pub seq: u64,
    pub changes: Vec<Change>,
}

pub(crate) const META_INFO: &[u8] = b"info";
pub(crate) const META_COUNTERS: &[u8] = b"counters";
pub(crate) const META_SETTINGS: &[u8] = b"settings";
/// The model snapshot, beside sled's own files in the database directory.
pub const SNAPSHOT_FILE: &str = "rapport-model.snapshot";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error("{}", sled_message(.0))]
    Sled(#[from] sled::Error),
    #[error("damaged record in tree '{tree}' at key {key}: {error}")]
    Corrupt {
        tree: &'static str,
        key: String,
        error: CodecError,
    },
    #[error(transparent)]
    Codec(#[from] CodecError),
    #[error("cannot write the model snapshot: {0}")]
    Io(#[from] std::io::Error),
    /// The server refused the command for this user: nothing was changed.
    #[error("not allowed: {0}")]
    Denied(String),
    /// The server could not be reached or could not apply the command.
    #[error("{0}")]
    Server(String),
    /// The disk cannot hold the command: refused before anything was written.
    #[error(
        "the disk holding {path} is full ({free} free, this change needs about {need}): nothing was written; \
         free some space and try again"
    )]
    DiskFull { path: PathBuf, free: Bytes, need: Bytes },
    /// A write failed and the database could not be reopened yet (each
    /// later call tries again).
    #[error("the database at {path} cannot be used until it is reopened: {why}; nothing was written")]
    Unavailable { path: PathBuf, why: String },
}

/// sled's error as a user can act on it.
fn sled_message(e: &sled::Error) -> String {
    match e {
        sled::Error::Corruption { .. } => format!(
            "the database file is damaged ({e}); run `rapport verify` to see what, \
             then restore the last backup into a new database (`rapport restore`)"
        ),
        other => format!("database error: {other}"),
    }
}

/// A size, as people read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes(pub u64);

impl std::fmt::Display for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MIB: u64 = 1024 * 1024;
        match self.0 {
            n if n >= MIB => write!(f, "{:.1} MiB", n as f64 / MIB as f64),
            n => write!(f, "{} KiB", n.div_ceil(1024)),
        }
    }
}

/// The open sled database and its trees (in the order of `TREE_NAMES`).
pub(crate) struct Handle {
    pub(crate) db: sled::Db,
    pub(crate) trees: Vec<sled::Tree>,
}

pub struct Store {
    path: PathBuf,
    /// `None` after a write failed and reopening has not worked yet.
    handle: Option<Handle>,
    /// Why the database is closed, when it is.
    closed: Option<String>,
    model: Model,
    /// When the database was created: stamps the snapshot.
    created: NaiveDateTime,
    /// The sequence number of the snapshot on disk, if it matches the model.
    snapshot_seq: Option<u64>,
    /// How many logged commands opening replayed on top of the snapshot.
    replayed: u64,
    /// Keep a reserve file (not for databases on a disk too small for one).
    reserve_wanted: bool,
    /// Backups being written while commands go on (`backup::BackupView`).
    watchers: backup::Watchers,
}

impl Store {
    /// Opens (or creates) the database at `path`; see `open.rs` for the
    /// safety rules.
    pub fn open(path: &Path) -> Result<Store, OpenError> {
        open::open(path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `path` holds a database (what `open` opens rather than
    /// creates). Commands that only use a database check this first, so
    /// that a mistyped path never becomes a new, empty one.
    pub fn exists(path: &Path) -> bool {
        path.join("conf").is_file() && path.join("db").is_file()
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Whether opening read the model from a current snapshot.
    pub fn loaded_from_snapshot(&self) -> bool {
        self.snapshot_seq.is_some_and(|s| s == self.model.counters.seq)
    }

    /// How many commands opening replayed from the change log on top of an
    /// older snapshot (0 when the snapshot was current or the records were read).
    pub fn replayed(&self) -> u64 {
        self.replayed
    }

    /// The model as snapshot bytes (what a server sends a new session).
    pub fn encode_snapshot(&self) -> Result<Vec<u8>, CodecError> {
        self.encode_snapshot_of(&self.model)
    }

    /// `model` (this database's, or a part of it) as snapshot bytes.
    pub fn encode_snapshot_of(&self, model: &Model) -> Result<Vec<u8>, CodecError> {
        codec::encode_snapshot(&codec::SnapshotRef {
            created: self.created,
            seq: model.counters.seq,
            model,
        })
    }

    /// Writes the model as a snapshot (temp file, fsync, rename) so that
    /// the next open reads one file instead of every record. A cache only:
    /// it is used when its sequence number is the database's, and the
    /// records stay the truth. Does nothing when the snapshot is current.
    pub fn save_snapshot(&mut self) -> Result<(), StoreError> {
        // A closed store's model may hold a command that failed.
        self.available()?;
        let seq = self.model.counters.seq;
        if self.snapshot_seq == Some(seq) {
            return Ok(());
        }
        let target = self.path.join(SNAPSHOT_FILE);
        let tmp = self.path.join(format!("{SNAPSHOT_FILE}.tmp"));
        let snapshot = codec::SnapshotRef {
            created: self.created,
            seq,
            model: &self.model,
        };
        let written = std::fs::File::create(&tmp).and_then(|f| {
            let mut out = std::io::BufWriter::with_capacity(1 << 20, f);
            codec::write_snapshot(&snapshot, &mut out)?;
            out.into_inner()
                .map_err(std::io::IntoInnerError::into_error)?
                .sync_all()
        });
        if let Err(e) = written {
            // A cut temp file helps nobody, least of all on a full disk.
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
        std::fs::rename(&tmp, &target)?;
        std::fs::File::open(&self.path)?.sync_all()?;
        self.snapshot_seq = Some(seq);
        // The change log stays: opening replays only what follows the
        // snapshot, and the log is each client's history (`history_of`).
        Ok(())
    }

    /// When the database was created: with the sequence number, what
    /// identifies a state of it.
    pub fn created(&self) -> NaiveDateTime {
        self.created
    }

    /// Writes everything to disk (each command already is; this is for
    /// a hand-over to another process).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.handle()?.db.flush()?;
        Ok(())
    }

    /// Whether the database is open (it is closed after a failed write
    /// until reopening works).
    pub fn available(&self) -> Result<(), StoreError> {
        self.handle().map(|_| ())
    }

    pub(crate) fn handle(&self) -> Result<&Handle, StoreError> {
        self.handle.as_ref().ok_or_else(|| StoreError::Unavailable {
            path: self.path.clone(),
            why: self.closed.clone().unwrap_or_else(|| "it was closed".into()),
        })
    }

    /// Closes the database (releasing its lock) and keeps the model: a
    /// session handing the database to a server. Call `flush` first.
    pub fn into_model(self) -> (Model, NaiveDateTime) {
        let Store { model, created, .. } = self;
        (model, created)
    }

    /// Flushes and closes the database but leaves the in-memory model
    /// allocated: for a process about to exit, which frees it at once.
    pub fn close_without_freeing(self) -> Result<(), StoreError> {
        self.flush()?;
        let Store { model, .. } = self;
        std::mem::forget(model);
        Ok(())
    }

    fn tree(&self, t: T) -> Result<&sled::Tree, StoreError> {
        let handle = self.handle()?;
        handle.trees.get(t as usize).ok_or_else(|| StoreError::Unavailable {
            path: self.path.clone(),
            why: format!("tree {} is missing", TREE_NAMES[t as usize]),
        })
    }

    /// Rebuilds the model from disk (after a refused or failed write): from
    /// the snapshot and the change log when they are current, else from
    /// every record.
    fn reload(&mut self) -> Result<(), StoreError> {
        let handle = self.handle()?;
        self.model = open::reload_model(&self.path, self.created, &handle.trees)?;
        Ok(())
    }

    /// After a failed write: drops sled's state (it may hold what failed),
    /// gives the reserve file back so that sled's recovery has room, and
    /// opens the database again from disk. When that fails too the store
    /// stays closed: reads and writes say so, and the next write tries again.
    fn reopen(&mut self) -> Result<(), StoreError> {
        self.handle = None;
        space::release_reserve(&self.path);
        let _ = space::remove_incomplete_sled_snapshots(&self.path);
        match open::open_handle(&self.path) {
            Ok((handle, _)) => {
                self.handle = Some(handle);
                self.closed = None;
                self.reload()?;
                // The reserve was given back: take it again if there is room.
                if self.reserve_wanted {
                    space::keep_reserve(&self.path);
                }
                Ok(())
            }
            Err(e) => {
                let why = e.to_string();
                self.closed = Some(why.clone());
                Err(StoreError::Unavailable {
                    path: self.path.clone(),
                    why,
                })
            }
        }
    }

    /// A client's settlements in id order: one range scan.
    pub fn settlements_of(&self, client: ClientId) -> Result<Vec<Settlement>, StoreError> {
        scan_prefix(self.tree(T::Settlements)?, T::Settlements, &keys::id32(client.0)).collect()
    }

    /// Every settlement, by client then id.
    pub fn settlements(&self) -> impl Iterator<Item = Result<Settlement, StoreError>> + '_ {
        self.scan(T::Settlements)
    }

    /// A client's contact log, oldest first.
    pub fn contacts_of(&self, client: ClientId) -> Result<Vec<ContactEntry>, StoreError> {
        scan_prefix(self.tree(T::Contacts)?, T::Contacts, &keys::id32(client.0)).collect()
    }

    /// The whole contact log, by client then id.
    pub fn contacts(&self) -> impl Iterator<Item = Result<ContactEntry, StoreError>> + '_ {
        self.scan(T::Contacts)
    }

    /// Every record of tree `t`; one error when the database is closed.
    pub(crate) fn scan<'a, R: Record + 'a>(&'a self, t: T) -> Box<dyn Iterator<Item = Result<R, StoreError>> + 'a> {
        match self.tree(t) {
            Ok(tree) => Box::new(scan_prefix(tree, t, &[])),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    /// The contacts logged on a day from `from` to `to` with the clients
    /// the model holds (not archived ones): one scan of the log.
    pub fn contacts_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<ContactEntry>, StoreError> {
        let mut kept = Vec::new();
        for c in self.contacts() {
            let c = c?;
            let day = c.at.date();
            if from <= day && day <= to && self.model.clients.contains_key(&c.client) {
                kept.push(c);
            }
        }
        Ok(kept)
    }

    /// The audit trail, oldest first.
    pub fn audit(&self) -> impl Iterator<Item = Result<AuditEntry, StoreError>> + '_ {
        self.scan(T::Audit)
    }

    /// Every record of tree `t` (keyed by sequence number), newest first.
    pub(crate) fn scan_rev<'a, R: Record + 'a>(&'a self, t: T) -> Box<dyn Iterator<Item = Result<R, StoreError>> + 'a> {
        self.scan_rev_below(t, u64::MAX)
    }

    /// The records of tree `t` keyed below sequence number `seq`, newest first.
    pub(crate) fn scan_rev_below<'a, R: Record + 'a>(
        &'a self,
        t: T,
        seq: u64,
    ) -> Box<dyn Iterator<Item = Result<R, StoreError>> + 'a> {
        match self.tree(t) {
            Ok(tree) => Box::new(tree.range(..keys::id64(seq)).rev().map(move |item| {
                let (key, bytes) = item?;
                decode_at(t, &key, &bytes)
            })),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    /// The changes of command `seq`, if the change log kept them.
    pub fn change_log(&self, seq: u64) -> Result<Option<ChangeLog>, StoreError> {
        match self.tree(T::Changes)?.get(keys::id64(seq))? {
            Some(bytes) => Ok(Some(decode_at(T::Changes, &keys::id64(seq), &bytes)?)),
            None => Ok(None),
        }
    }

    /// One audit entry: who made a record's last change, and when.
    pub fn audit_entry(&self, seq: u64) -> Result<Option<AuditEntry>, StoreError> {
        match self.tree(T::Audit)?.get(keys::id64(seq))? {
            Some(bytes) => Ok(Some(decode_at(T::Audit, &keys::id64(seq), &bytes)?)),
            None => Ok(None),
        }
    }
}

pub(crate) fn decode_at<R: Record>(t: T, key: &[u8], bytes: &[u8]) -> Result<R, StoreError> {
    codec::decode(bytes).map_err(|error| StoreError::Corrupt {
        tree: TREE_NAMES[t as usize],
        key: keys::hex(key),
        error,
    })
}

pub(crate) fn scan_prefix<'a, R: Record + 'a>(
    tree: &'a sled::Tree,
    t: T,
    prefix: &[u8],
) -> impl Iterator<Item = Result<R, StoreError>> + 'a {
    tree.scan_prefix(prefix).map(move |item| {
        let (key, value) = item?;
        decode_at(t, &key, &value)
    })
}
