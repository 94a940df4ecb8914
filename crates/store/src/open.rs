//! Opening a database safely: never delete, recreate or write into anything
//! that is not already a rapport database (or an empty/new directory), say
//! clearly when another process holds the lock, and turn a panic inside sled
//! on a damaged directory into an error.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::codec::{self, DbInfo};
use super::{
    Handle, META_COUNTERS, META_INFO, META_SETTINGS, SNAPSHOT_FILE, Store, StoreError, T, TREE_NAMES, decode_at,
    scan_prefix,
};
use crate::domain::*;
use crate::model::{Change, ClientAggregate, Counters, Model};

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "{0}: the database is locked by another rapport process (only one process may open it); \
         to work on it from several sessions at once, share it through one rapport server"
    )]
    Locked(PathBuf),
    #[error("{0}: not a rapport database ({1}); nothing was changed")]
    NotADatabase(PathBuf, String),
    #[error("{0}: cannot open the database: {1}; nothing was changed")]
    Sled(PathBuf, String),
    #[error("{0}: the database is damaged (opening it crashed: {1}); nothing was changed")]
    Panicked(PathBuf, String),
    #[error("{0}: cannot read the database: {1}; nothing was changed")]
    Damaged(PathBuf, StoreError),
    #[error("{0}: {1}")]
    Io(PathBuf, io::Error),
    /// The snapshot (written only after its commands were on disk) is
    /// ahead of the records: the storage lost the newest commands.
    #[error(
        "{path}: the records end at command {records}, but the model snapshot holds commands up to {snapshot}: \
         the storage lost the newest changes (damaged file). Nothing was changed. Run `rapport verify`, then \
         restore the last backup into a new database (`rapport restore`); to carry on with what the records \
         hold instead, move {snapshot_file} away"
    )]
    LostRecords {
        path: PathBuf,
        records: u64,
        snapshot: u64,
        snapshot_file: PathBuf,
    },
}

pub(super) fn open(path: &Path) -> Result<Store, OpenError> {
    let (handle, fresh) = open_handle(path)?;
    let damaged = |e: StoreError| OpenError::Damaged(path.to_path_buf(), e);
    let trees = &handle.trees;
    if fresh {
        restrict_files(path);
    }
    let info: DbInfo = meta_record(trees, META_INFO).map_err(damaged)?;
    let counters: Counters = meta_record(trees, META_COUNTERS).map_err(damaged)?;
    let (model, snapshot_seq, replayed) = match read_snapshot(path, info.created, &counters, trees) {
        FromSnapshot::Current(model, seq) => (*model, Some(seq), counters.seq - seq),
        FromSnapshot::Ahead(seq) => {
            return Err(OpenError::LostRecords {
                path: path.to_path_buf(),
                records: counters.seq,
                snapshot: seq,
                snapshot_file: path.join(SNAPSHOT_FILE),
            });
        }
        FromSnapshot::Unusable => (load_model(trees).map_err(damaged)?, None, 0),
    };
    // A reserve file for reopening after a write failed (when the disk is
    // large enough to spare one).
    let reserve_wanted = super::space::keep_reserve(path);
    Ok(Store {
        path: path.to_path_buf(),
        handle: Some(handle),
        closed: None,
        model,
        created: info.created,
        snapshot_seq,
        replayed,
        reserve_wanted,
        watchers: Default::default(),
    })
}

/// The model of an open database, as `open` reads it: from the snapshot
/// and the change log when they are current, else from every record.
pub(super) fn reload_model(
    path: &Path,
    created: chrono::NaiveDateTime,
    trees: &[sled::Tree],
) -> Result<Model, StoreError> {
    let counters: Counters = meta_record(trees, META_COUNTERS)?;
    match read_snapshot(path, created, &counters, trees) {
        FromSnapshot::Current(model, _) => Ok(*model),
        _ => load_model(trees),
    }
}

/// Opens sled at `path` (creating a new database in an empty or missing
/// directory) and its trees; with whether the database is new.
pub(super) fn open_handle(path: &Path) -> Result<(Handle, bool), OpenError> {
    let fresh = prepare_directory(path)?;
    // A disk that filled while sled wrote its page-table snapshot leaves
    // the file cut short, and sled would refuse every open after.
    super::space::remove_incomplete_sled_snapshots(path).map_err(|e| OpenError::Io(path.to_path_buf(), e))?;
    let db = open_sled(path)?;
    let damaged = |e: StoreError| OpenError::Damaged(path.to_path_buf(), e);
    let trees = TREE_NAMES
        .iter()
        .map(|name| db.open_tree(name))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| damaged(e.into()))?;
    let meta = &trees[T::Meta as usize];
    match meta.get(META_INFO).map_err(|e| damaged(e.into()))? {
        Some(_) => {}
        None => {
            let has_data = trees.iter().any(|t| !t.is_empty());
            if has_data || !db.is_empty() {
                return Err(OpenError::NotADatabase(
                    path.to_path_buf(),
                    "a sled database without a rapport header".into(),
                ));
            }
            initialise(&db, &trees).map_err(damaged)?;
        }
    }
    // A large command that did not commit leaves its staged settlements.
    super::staging::roll_back(&db, &trees).map_err(damaged)?;
    Ok((Handle { db, trees }, fresh))
}

/// What the snapshot file gave.
enum FromSnapshot {
    /// The model, current (brought up to date by the change log), and the
    /// snapshot's sequence number.
    Current(Box<Model>, u64),
    /// This database's snapshot, beyond the records' last command: only
    /// lost records explain that (it is written after its commands).
    Ahead(u64),
    /// Missing, damaged, another database's, or a gap in the log: read
    /// the records.
    Unusable,
}

/// The model from the snapshot file of this database, brought up to date
/// with the change log when commands ran since it was written; with the
/// snapshot's sequence number. Anything else (missing, damaged, from
/// another database, a gap in the log) means reading the records.
fn read_snapshot(
    path: &Path,
    created: chrono::NaiveDateTime,
    counters: &Counters,
    trees: &[sled::Tree],
) -> FromSnapshot {
    let Ok(file) = fs::File::open(path.join(SNAPSHOT_FILE)) else {
        return FromSnapshot::Unusable;
    };
    // Mapped rather than read: the pages come from the page cache instead
    // of a fresh 90 MB buffer. SAFETY: the snapshot is only ever replaced
    // by renaming a new file over it, so the mapped file is never changed
    // or truncated while mapped; and a damaged file is caught by the
    // envelope's checksum before decoding.
    let Ok(bytes) = (unsafe { memmap2::Mmap::map(&file) }) else {
        return FromSnapshot::Unusable;
    };
    let Ok(snapshot) = codec::decode_snapshot(&bytes) else {
        return FromSnapshot::Unusable;
    };
    if snapshot.created != created {
        return FromSnapshot::Unusable;
    }
    if snapshot.seq > counters.seq {
        return FromSnapshot::Ahead(snapshot.seq);
    }
    match replay(snapshot.model, snapshot.seq, counters, trees) {
        Some(model) => FromSnapshot::Current(Box::new(model), snapshot.seq),
        None => FromSnapshot::Unusable,
    }
}

/// Brings a snapshot's model from `seq` up to `counters.seq` with the
/// change log; `None` when an entry is missing or unreadable.
fn replay(mut model: Model, seq: u64, counters: &Counters, trees: &[sled::Tree]) -> Option<Model> {
    if seq == counters.seq {
        return (&model.counters == counters).then_some(model);
    }
    let log = &trees[T::Changes as usize];
    for seq in seq + 1..=counters.seq {
        let bytes = log.get(super::keys::id64(seq)).ok()??;
        let entry: super::ChangeLog = codec::decode(&bytes).ok()?;
        if entry.seq != seq {
            return None;
        }
        for change in entry.changes {
            model.apply_owned(change);
        }
    }
    // As after reading the records: the stored counters are the truth.
    model.counters = counters.clone();
    Some(model)
}

/// Returns whether the database is new. A missing directory is created
/// (0700); an existing one must be empty or hold a sled database.
fn prepare_directory(path: &Path) -> Result<bool, OpenError> {
    let io_err = |e| OpenError::Io(path.to_path_buf(), e);
    match fs::metadata(path) {
        Ok(meta) if !meta.is_dir() => Err(OpenError::NotADatabase(
            path.to_path_buf(),
            "it is a file, not a database directory".into(),
        )),
        Ok(_) => {
            let mut entries = fs::read_dir(path).map_err(io_err)?;
            if entries.next().is_none() {
                return Ok(true);
            }
            if path.join("conf").is_file() && path.join("db").is_file() {
                Ok(false)
            } else {
                Err(OpenError::NotADatabase(
                    path.to_path_buf(),
                    "the directory is not empty and holds no database".into(),
                ))
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(path)
                .map_err(io_err)?;
            Ok(true)
        }
        Err(e) => Err(io_err(e)),
    }
}

/// A process that is just closing the database (a session ending, or this
/// process's own background flusher after a drop) still holds the lock for
/// a moment: wait up to a second before calling it locked.
fn open_sled(path: &Path) -> Result<sled::Db, OpenError> {
    let mut tries = 0;
    loop {
        match open_sled_once(path) {
            Err(OpenError::Locked(_)) if tries < 10 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

/// sled's page cache for the databases this process opens, in bytes; 0:
/// sled's default (1 GB).
static CACHE_BYTES: AtomicU64 = AtomicU64::new(0);

/// The page cache of a process that writes millions of records once (a
/// restore): sled keeps the pages it writes up to its cache's size, most of
/// a restore's peak (the 100k backup: 1.02–1.03 GB with the default,
/// 0.91–0.94 GB with this, in the same time). An import's peak is not
/// sled's cache (the same with 128 MB).
const BULK_CACHE_BYTES: u64 = 256 << 20;

/// Makes the databases this process opens from now on keep a smaller page
/// cache: for a command that writes a whole database, not for a session
/// that reads.
pub fn bulk_load() {
    CACHE_BYTES.store(BULK_CACHE_BYTES, Ordering::Relaxed);
}

fn open_sled_once(path: &Path) -> Result<sled::Db, OpenError> {
    let mut config = sled::Config::new().path(path).mode(sled::Mode::HighThroughput);
    match CACHE_BYTES.load(Ordering::Relaxed) {
        0 => {}
        bytes => config = config.cache_capacity(bytes),
    }
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || config.open()));
    match opened {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(e)) => {
            let text = e.to_string();
            if text.contains("could not acquire lock") {
                Err(OpenError::Locked(path.to_path_buf()))
            } else {
                Err(OpenError::Sled(path.to_path_buf(), text))
            }
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            Err(OpenError::Panicked(path.to_path_buf(), what))
        }
    }
}

/// Best effort: the directory is already 0700; make the files private too.
fn restrict_files(path: &Path) {
    if let Ok(entries) = fs::read_dir(path) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                let _ = fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o600));
            }
        }
    }
}

fn initialise(db: &sled::Db, trees: &[sled::Tree]) -> Result<(), StoreError> {
    let info = codec::encode(&DbInfo {
        app: "rapport".into(),
        created: chrono::Utc::now().naive_utc(),
    })?;
    let counters = codec::encode(&Counters::default())?;
    let settings = codec::encode(&Settings::default())?;
    let meta = &trees[T::Meta as usize];
    let result: Result<(), TransactionError<()>> = meta.transaction(|tx| {
        tx.insert(META_SETTINGS, settings.as_slice())?;
        tx.insert(META_COUNTERS, counters.as_slice())?;
        tx.insert(META_INFO, info.as_slice())?;
        Ok::<(), ConflictableTransactionError<()>>(())
    });
    match result {
        Ok(()) => {}
        Err(TransactionError::Storage(e)) => return Err(e.into()),
        Err(TransactionError::Abort(())) => return Err(sled::Error::Unsupported("aborted".into()).into()),
    }
    db.flush()?;
    Ok(())
}

fn meta_record<R: codec::Record>(trees: &[sled::Tree], key: &[u8]) -> Result<R, StoreError> {
    match trees[T::Meta as usize].get(key)? {
        Some(bytes) => decode_at(T::Meta, key, &bytes),
        None => Err(StoreError::Corrupt {
            tree: "meta",
            key: String::from_utf8_lossy(key).into_owned(),
            error: codec::CodecError::Truncated(0),
        }),
    }
}

/// Reads every kept record into a fresh model. Settlements are not read:
/// their per-client aggregates are. Offers (the largest tree) are decoded on
/// a second thread while this one reads the rest.
pub(super) fn load_model(trees: &[sled::Tree]) -> Result<Model, StoreError> {
    std::thread::scope(|scope| {
        let side = scope.spawn(|| -> Result<_, StoreError> {
            let offers: Vec<Offer> = scan_prefix_all(trees, T::Offers).collect::<Result<_, _>>()?;
            let tickets: Vec<Ticket> = scan_prefix_all(trees, T::Tickets).collect::<Result<_, _>>()?;
            Ok((offers, tickets))
        });
        let mut model = Model::default();
        load_main(trees, &mut model)?;
        let (offers, tickets) = match side.join() {
            Ok(result) => result?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        for o in offers {
            model.apply_owned(Change::Offer(o));
        }
        for t in tickets {
            model.apply_owned(Change::ticket(t));
        }
        let archivals = scan_prefix_all::<Archival>(trees, T::Archive).collect::<Result<_, _>>()?;
        model.load_archivals(archivals);
        // Counters last: applying records raised them to the highest id
        // seen; the stored value also remembers ids of records since deleted.
        model.counters = meta_record(trees, META_COUNTERS)?;
        Ok(model)
    })
}

fn load_main(trees: &[sled::Tree], model: &mut Model) -> Result<(), StoreError> {
    model.apply_owned(Change::Settings(meta_record(trees, META_SETTINGS)?));
    for m in scan_prefix_all(trees, T::Managers) {
        model.apply_owned(Change::Manager(m?));
    }
    for s in scan_prefix_all(trees, T::Segments) {
        model.apply_owned(Change::Segment(s?));
    }
    for p in scan_prefix_all(trees, T::Products) {
        model.apply_owned(Change::Product(p?));
    }
    for e in scan_prefix::<PortraitEntry>(&trees[T::Portrait as usize], T::Portrait, &[]) {
        let e = e?;
        model.apply_owned(Change::Portrait {
            segment: e.segment,
            product: e.product,
            target: true,
        });
    }
    for c in scan_prefix_all(trees, T::Clients) {
        model.apply_owned(Change::Client(c?));
    }
    for p in scan_prefix_all(trees, T::Persons) {
        model.apply_owned(Change::Person(p?));
    }
    for item in trees[T::Aggregates as usize].iter() {
        let (key, bytes) = item?;
        let agg: ClientAggregate = decode_at(T::Aggregates, &key, &bytes)?;
        let id = <[u8; 4]>::try_from(key.as_ref())
            .map(u32::from_be_bytes)
            .map_err(|_| StoreError::Corrupt {
                tree: "aggregates",
                key: super::keys::hex(&key),
                error: codec::CodecError::Truncated(key.len()),
            })?;
        model.insert_aggregate(ClientId(id), agg);
    }
    for t in scan_prefix_all(trees, T::Tasks) {
        model.apply_owned(Change::Task(t?));
    }
    for s in scan_prefix_all(trees, T::Surveys) {
        model.apply_owned(Change::Survey(s?));
    }
    for q in scan_prefix_all(trees, T::Questionnaires) {
        model.apply_owned(Change::Questionnaire(q?));
    }
    for t in scan_prefix_all(trees, T::Templates) {
        model.apply_owned(Change::Template(t?));
    }
    for r in scan_prefix_all::<SalesRecord>(trees, T::Sales) {
        let r = r?;
        model.apply_owned(Change::Sales {
            key: r.key(),
            record: Some(r),
        });
    }
    for m in scan_prefix_all::<QueueMark>(trees, T::Marks) {
        let m = m?;
        model.apply_owned(Change::Mark {
            key: m.key.clone(),
            mark: Some(m),
        });
    }
    Ok(())
}

fn scan_prefix_all<'a, R: codec::Record + 'a>(
    trees: &'a [sled::Tree],
    t: T,
) -> impl Iterator<Item = Result<R, StoreError>> + 'a {
    scan_prefix(&trees[t as usize], t, &[])
}
