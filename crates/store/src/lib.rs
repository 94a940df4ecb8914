//! The durable store on sled 0.34: a few trees with big-endian fixed-width
//! keys, values in the versioned envelope of `codec`, and one write path
//! (`Store::execute`): command in, validated, applied in one transaction,
//! flushed, event out.

// The core's modules, by the paths the store's files use.
use rapport_core::{domain, model, write};

mod backend;
pub mod backup;
pub mod codec;
pub mod keys;
mod open;
pub mod paths;
pub mod space;
mod staging;
pub mod verify;

use crate::write::{Command, CommandError, Context, Event};
pub use backend::DAILY_BACKUPS_KEPT;
pub use open::{OpenError, bulk_load};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

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

/// A command's records encoded for the disk, not yet written.
struct Encoded {
    /// One batch per tree.
    batches: Vec<sled::Batch>,
    /// Its new settlements, when there are many (`staging`).
    staged: staging::Staged,
    /// The keys written, when a backup in progress must see them as they
    /// were.
    touched: Option<Vec<(T, Vec<u8>)>>,
    bytes_written: u64,
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

    /// Applies `cmd` on behalf of `who`, stamped with the current UTC time.
    pub fn execute(&mut self, who: &str, cmd: Command) -> Result<Event, StoreError> {
        self.execute_at(who, chrono::Utc::now().naive_utc(), cmd)
    }

    /// Validates `cmd`, writes its records, aggregates, counters and audit
    /// line in one transaction, flushes, and only then updates the model
    /// for good and returns the event. On any error nothing is written and
    /// the model is as before.
    pub fn execute_at(&mut self, who: &str, at: NaiveDateTime, cmd: Command) -> Result<Event, StoreError> {
        self.execute_keeping(who, at, cmd, true)
    }

    /// `execute`, for a caller that does not read the event: the changes are
    /// let go once encoded for the disk (an import of two million rows held
    /// 320 MB of them while sled wrote).
    pub fn execute_unread(&mut self, who: &str, cmd: Command) -> Result<(), StoreError> {
        self.execute_keeping(who, chrono::Utc::now().naive_utc(), cmd, false)
            .map(drop)
    }

    /// `execute_at`; the event has no changes unless `keep`.
    fn execute_keeping(&mut self, who: &str, at: NaiveDateTime, cmd: Command, keep: bool) -> Result<Event, StoreError> {
        if self.handle.is_none() {
            self.reopen()?;
        }
        let seq = self.model.counters.seq + 1;
        let last_settlement = self.model.counters.settlement;
        let summary = cmd.describe(&self.model);
        // An import's batch makes about one change per command: its list is
        // sized once instead of doubling (which held the old list and the new,
        // twice as large, at once: 450 MB for two million settlements).
        let mut changes = Vec::with_capacity(match &cmd {
            Command::Batch { commands, .. } => commands.len(),
            _ => 1,
        });
        // Planned: an import's commands (hundreds of megabytes for millions
        // of rows) are let go as they are planned, before its changes are
        // written.
        if let Err(e) = self.stage(who, seq, cmd, &mut changes) {
            if !changes.is_empty() {
                self.reload()?;
            }
            return Err(e.into());
        }
        self.model.counters.seq = seq;
        let audit = AuditEntry {
            seq,
            who: who.to_string(),
            at,
            summary,
        };
        let written = self.encode(&changes, &audit, last_settlement).and_then(|encoded| {
            if !keep {
                changes = Vec::new();
            }
            self.write(encoded)
        });
        if let Err(e) = written {
            if matches!(e, StoreError::DiskFull { .. }) {
                // Refused before sled was touched: only the model changed.
                self.reload()?;
                return Err(e);
            }
            // sled failed while writing: what it holds in memory may
            // include this command. Only the disk is the truth: reopen.
            self.reopen()?;
            if self.model.counters.seq != seq {
                return Err(e);
            }
            // The whole command reached the disk after all (sled writes a
            // transaction whole or not at all).
        }
        Ok(Event::of(audit, changes))
    }

    /// Plans the command against the model (`write::stage`), reading
    /// what the planner asks for from the trees.
    fn stage(&mut self, who: &str, seq: u64, cmd: Command, changes: &mut Vec<Change>) -> Result<(), CommandError> {
        let settlements = self
            .handle
            .as_ref()
            .and_then(|h| h.trees.get(T::Settlements as usize))
            .ok_or_else(|| CommandError::Invalid("the database is closed".into()))?;
        let lookup = |client: ClientId, id: SettlementId| -> Result<Option<Settlement>, String> {
            let key = keys::pair32_64(client.0, id.0);
            match settlements.get(key) {
                Ok(Some(bytes)) => codec::decode(&bytes).map(Some).map_err(|e| e.to_string()),
                Ok(None) => Ok(None),
                Err(e) => Err(format!("database error: {e}")),
            }
        };
        let contacts_tree = self
            .handle
            .as_ref()
            .and_then(|h| h.trees.get(T::Contacts as usize))
            .ok_or_else(|| CommandError::Invalid("the database is closed".into()))?;
        let contacts = |client: ClientId| -> Result<Vec<ContactEntry>, String> {
            scan_prefix::<ContactEntry>(contacts_tree, T::Contacts, &keys::id32(client.0))
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())
        };
        let settled = |client: ClientId| -> Result<Vec<Settlement>, String> {
            scan_prefix::<Settlement>(settlements, T::Settlements, &keys::id32(client.0))
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())
        };
        let ctx = Context {
            who,
            seq,
            settlement: &lookup,
            contacts: &contacts,
            settlements: &settled,
        };
        crate::write::stage_owned(cmd, &mut self.model, &ctx, changes)
    }

    /// Encodes a command's records for the disk (`write`);
    /// `last_settlement`: the settlement counter before the command (the
    /// ids beyond it are new).
    fn encode(&self, changes: &[Change], audit: &AuditEntry, last_settlement: u64) -> Result<Encoded, StoreError> {
        // One batch per tree, written in the order of the changes: a later
        // write to a key replaces an earlier one (sled batches keep the
        // last), so an edited settlement's remove-then-insert leaves the
        // insert, and a mark set then cleared in one import ends cleared —
        // as in the model, which applies the changes in the same order.
        let mut batches: Vec<sled::Batch> = TREE_NAMES.iter().map(|_| sled::Batch::default()).collect();
        let mut bytes_written = 0u64;
        // The keys a backup in progress must see as they were.
        let watched = !self.watchers.live().is_empty();
        let mut touched: Vec<(T, Vec<u8>)> = Vec::new();
        // A command with many new settlements writes them first (`staging`).
        let is_new =
            |c: &Change| matches!(c, Change::Settlement { old: None, new: Some(n) } if n.id.0 > last_settlement);
        let stage = changes.iter().filter(|c| is_new(c)).count() >= staging::stage_from();
        let mut staged = staging::Staged::default();
        let mut put = |t: T, key: &[u8], bytes: Option<Vec<u8>>| {
            bytes_written += (key.len() + bytes.as_ref().map_or(0, Vec::len)) as u64;
            if watched && backup::dumped(t) {
                touched.push((t, key.to_vec()));
            }
            match bytes {
                Some(b) => batches[t as usize].insert(key, b),
                None => batches[t as usize].remove(key),
            }
        };
        let mut dirty_aggregates = BTreeSet::new();
        for change in changes {
            match change {
                Change::Settings(s) => put(T::Meta, META_SETTINGS, Some(codec::encode(s)?)),
                Change::Manager(m) => put(T::Managers, &keys::id32(m.id.0), Some(codec::encode(m)?)),
                Change::Segment(s) => put(T::Segments, &keys::id32(s.id.0), Some(codec::encode(s)?)),
                Change::Product(p) => put(T::Products, &keys::id32(p.id.0), Some(codec::encode(p)?)),
                Change::Portrait {
                    segment,
                    product,
                    target,
                } => {
                    let key = keys::pair32(segment.0, product.0);
                    if *target {
                        let entry = PortraitEntry {
                            segment: *segment,
                            product: *product,
                            seq: audit.seq,
                        };
                        put(T::Portrait, &key, Some(codec::encode(&entry)?));
                    } else {
                        put(T::Portrait, &key, None);
                    }
                }
                Change::Client(c) => {
                    put(T::Clients, &keys::id32(c.id.0), Some(codec::encode(c)?));
                    dirty_aggregates.insert(c.id);
                }
                Change::Person(p) => put(
                    T::Persons,
                    &keys::pair32_64(p.client.0, p.id.0),
                    Some(codec::encode(p)?),
                ),
                Change::Settlement {
                    old: None,
                    new: Some(new),
                } if stage && new.id.0 > last_settlement => {
                    staged.push(keys::pair32_64(new.client.0, new.id.0), &codec::encode(new)?);
                    dirty_aggregates.insert(new.client);
                }
                Change::Settlement { old, new } => {
                    if let Some(old) = old {
                        put(T::Settlements, &keys::pair32_64(old.client.0, old.id.0), None);
                        dirty_aggregates.insert(old.client);
                    }
                    if let Some(new) = new {
                        put(
                            T::Settlements,
                            &keys::pair32_64(new.client.0, new.id.0),
                            Some(codec::encode(new)?),
                        );
                        dirty_aggregates.insert(new.client);
                    }
                }
                Change::Offer(o) => put(
                    T::Offers,
                    &keys::pair32(o.client.0, o.product.0),
                    Some(codec::encode(o)?),
                ),
                Change::Contact(c) => {
                    put(
                        T::Contacts,
                        &keys::pair32_64(c.client.0, c.id.0),
                        Some(codec::encode(c)?),
                    );
                    dirty_aggregates.insert(c.client);
                }
                Change::Task(t) => put(T::Tasks, &keys::pair32_64(t.client.0, t.id.0), Some(codec::encode(t)?)),
                Change::Survey(s) => put(
                    T::Surveys,
                    &keys::pair32_64(s.client.0, s.id.0),
                    Some(codec::encode(s)?),
                ),
                Change::Ticket(t) => put(T::Tickets, &keys::id64(t.id.0), Some(codec::encode(&**t)?)),
                Change::Questionnaire(q) => put(T::Questionnaires, &keys::id32(q.product.0), Some(codec::encode(q)?)),
                Change::Mark { key, mark } => match mark {
                    Some(m) => put(T::Marks, key.as_bytes(), Some(codec::encode(m)?)),
                    None => put(T::Marks, key.as_bytes(), None),
                },
                Change::Archive { key, archival } => match archival {
                    Some(a) => put(T::Archive, &keys::archived(*key), Some(codec::encode(a)?)),
                    None => put(T::Archive, &keys::archived(*key), None),
                },
                Change::Purge { key, tickets, marks } => match *key {
                    Archivable::Client(c) => {
                        let prefix = keys::id32(c.0);
                        for t in [
                            T::Clients,
                            T::Persons,
                            T::Settlements,
                            T::Aggregates,
                            T::Offers,
                            T::Contacts,
                            T::Tasks,
                            T::Surveys,
                            T::Archive,
                        ] {
                            for item in self.tree(t)?.scan_prefix(prefix) {
                                put(t, &item?.0, None);
                            }
                        }
                        for t in tickets {
                            put(T::Tickets, &keys::id64(t.0), None);
                        }
                        for m in marks {
                            put(T::Marks, m.as_bytes(), None);
                        }
                    }
                    Archivable::Person(c, p) => {
                        put(T::Persons, &keys::pair32_64(c.0, p.0), None);
                        put(T::Archive, &keys::archived(*key), None);
                    }
                },
                Change::ContactRewritten { old, new, .. } => {
                    let key = keys::pair32_64(old.client.0, old.id.0);
                    match new {
                        Some(n) => put(T::Contacts, &key, Some(codec::encode(&**n)?)),
                        None => put(T::Contacts, &key, None),
                    }
                    dirty_aggregates.insert(old.client);
                }
                Change::TaskRemoved(t) => put(T::Tasks, &keys::pair32_64(t.client.0, t.id.0), None),
                Change::Template(t) => put(T::Templates, &[t.kind as u8], Some(codec::encode(t)?)),
                Change::SurveyRemoved(s) => put(T::Surveys, &keys::pair32_64(s.client.0, s.id.0), None),
                Change::Sales { key, record } => match record {
                    Some(r) => put(T::Sales, &keys::sales(*key), Some(codec::encode(r)?)),
                    None => put(T::Sales, &keys::sales(*key), None),
                },
                Change::PersonRemoved(p) => put(T::Persons, &keys::pair32_64(p.client.0, p.id.0), None),
                Change::OfferRemoved(o) => put(T::Offers, &keys::pair32(o.client.0, o.product.0), None),
                // Kept in the change log only (for the merge's undo).
                Change::Merge(_) | Change::OfferWas { .. } => {}
            }
        }
        for client in dirty_aggregates {
            // An archived client's aggregate waits with it in the trash (a
            // merge empties the duplicate's, then archives it).
            let trashed = || self.model.trash.clients.get(&client).map(|t| &t.aggregate);
            if let Some(agg) = self.model.aggregates.get(&client).or_else(trashed) {
                put(T::Aggregates, &keys::id32(client.0), Some(codec::encode(agg)?));
            }
        }
        put(T::Meta, META_COUNTERS, Some(codec::encode(&self.model.counters)?));
        put(T::Audit, &keys::id64(audit.seq), Some(codec::encode(audit)?));
        if changes.len() <= CHANGE_LOG_MAX {
            let log = ChangeLog {
                seq: audit.seq,
                changes: changes.to_vec(),
            };
            put(T::Changes, &keys::id64(audit.seq), Some(codec::encode(&log)?));
        }
        Ok(Encoded {
            batches,
            staged,
            touched: watched.then_some(touched),
            bytes_written,
        })
    }

    /// Writes what `encode` made: the staged settlements, then every other
    /// record in one transaction; flushed.
    fn write(&self, encoded: Encoded) -> Result<(), StoreError> {
        let Encoded {
            mut batches,
            staged,
            touched,
            bytes_written,
        } = encoded;
        self.check_room(bytes_written + staged.size() as u64)?;
        if let Some(touched) = touched {
            let keys: Vec<(T, &[u8])> = touched
                .iter()
                .map(|(t, k)| (*t, k.as_slice()))
                .chain(staged.iter().map(|(k, _)| (T::Settlements, k)))
                .collect();
            self.keep_before(&keys)?;
        }
        let handle = self.handle()?;
        if let Some(from_id) = staged.first_id() {
            staging::write(&handle.db, &handle.trees, from_id, staged)?;
            batches[T::Meta as usize].remove(staging::MARKER);
        }
        let result: Result<(), TransactionError<()>> = handle.trees.as_slice().transaction(|tx| {
            for (i, batch) in batches.iter().enumerate() {
                tx[i].apply_batch(batch)?;
            }
            Ok::<(), ConflictableTransactionError<()>>(())
        });
        match result {
            Ok(()) => {}
            Err(TransactionError::Storage(e)) => return Err(e.into()),
            Err(TransactionError::Abort(())) => {
                return Err(StoreError::Sled(sled::Error::Unsupported("transaction aborted".into())));
            }
        }
        handle.db.flush()?;
        Ok(())
    }

    /// Refuses a write of `bytes` that the disk has no room for (twice the
    /// bytes and some slack), before sled is touched: sled does not survive
    /// running out of space in the middle of a write.
    fn check_room(&self, bytes: u64) -> Result<(), StoreError> {
        if std::env::var_os("RAPPORT_TEST_SKIP_SPACE_CHECK").is_some() {
            return Ok(());
        }
        let need = bytes.saturating_mul(2).saturating_add(space::SLACK);
        // Unknown free space (statvfs failed) does not block a write.
        let free = space::free_bytes(&self.path).unwrap_or(u64::MAX);
        if free < need {
            return Err(StoreError::DiskFull {
                path: self.path.clone(),
                free: Bytes(free),
                need: Bytes(need),
            });
        }
        Ok(())
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
