//! Logical backups: a versioned, human-readable dump (JSON lines: a header,
//! then one record per line, then a trailer with the count of each kind
//! and the SHA-256 of every line before it) written via temp file, fsync
//! and rename; and restore, which rebuilds a new database from one after
//! `reader` has checked every line of it. Aggregates are not dumped:
//! restore recomputes them from the settlements and contacts.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::codec::{self, Record};
use super::{META_COUNTERS, META_SETTINGS, Store, StoreError, T, TREE_NAMES, keys};
use crate::domain::*;
use crate::model::{Change, Counters, Model};

pub mod reader;
mod view;

pub use view::BackupView;
pub(crate) use view::{Watchers, dumped};

pub const FORMAT: &str = "rapport-backup";
/// 1: no trailer (rapport before the trailer); 2: with the trailer.
pub const FORMAT_VERSION: u32 = 2;

#[derive(Debug, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    /// Absent in version 1 files.
    #[serde(default = "version_1")]
    pub version: u32,
    pub schema: u16,
    pub db_created: NaiveDateTime,
    pub seq: u64,
    pub taken: NaiveDateTime,
}

fn version_1() -> u32 {
    1
}

/// The last line: what a complete, unaltered file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trailer {
    /// Records (not counting the header, settings and counters lines).
    pub records: u64,
    /// Lines of each kind, by the kind's name.
    pub counts: BTreeMap<String, u64>,
    /// SHA-256 (hex) of every byte before the trailer line.
    pub sha256: String,
}

/// One record of the dump.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", content = "record", rename_all = "snake_case")]
pub enum Line {
    Settings(Settings),
    Counters(Counters),
    Manager(Manager),
    Segment(Segment),
    Product(Product),
    Portrait(PortraitEntry),
    Client(Client),
    Person(ContactPerson),
    Settlement(Settlement),
    Offer(Offer),
    Contact(ContactEntry),
    Task(Task),
    Survey(Survey),
    Ticket(Ticket),
    Audit(AuditEntry),
    Mark(QueueMark),
    Questionnaire(Questionnaire),
    Trailer(Trailer),
    /// Schema 2.
    Archival(Archival),
    /// Schema 3.
    Template(rapport_core::templates::Template),
    /// Schema 4.
    Sales(SalesRecord),
}

impl Line {
    /// The kind's name, as in the file.
    pub fn kind(&self) -> &'static str {
        match self {
            Line::Settings(_) => "settings",
            Line::Counters(_) => "counters",
            Line::Manager(_) => "manager",
            Line::Segment(_) => "segment",
            Line::Product(_) => "product",
            Line::Portrait(_) => "portrait",
            Line::Client(_) => "client",
            Line::Person(_) => "person",
            Line::Settlement(_) => "settlement",
            Line::Offer(_) => "offer",
            Line::Contact(_) => "contact",
            Line::Task(_) => "task",
            Line::Survey(_) => "survey",
            Line::Ticket(_) => "ticket",
            Line::Audit(_) => "audit",
            Line::Mark(_) => "mark",
            Line::Questionnaire(_) => "questionnaire",
            Line::Trailer(_) => "trailer",
            Line::Archival(_) => "archival",
            Line::Template(_) => "template",
            Line::Sales(_) => "sales",
        }
    }
}

impl Header {
    /// The header of a backup of this format and schema taken at `taken`.
    pub fn now(db_created: NaiveDateTime, seq: u64, taken: NaiveDateTime) -> Header {
        Header {
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            schema: codec::SCHEMA_VERSION,
            db_created,
            seq,
            taken,
        }
    }
}

/// Writes a backup line by line, whatever holds the records (the sled
/// store's view, PostgreSQL): the header, the settings and counters, the
/// records in the reader's order (`reader::position`), then the trailer
/// with the counts and the hash of every line before it.
pub struct Writer<'a> {
    hashed: reader::Hashing<'a>,
    counts: BTreeMap<String, u64>,
    records: u64,
    seq: u64,
}

fn io_err(e: std::io::Error) -> BackupError {
    BackupError::Io(PathBuf::from("(backup)"), e)
}

impl<'a> Writer<'a> {
    pub fn new(
        out: &'a mut dyn Write,
        header: &Header,
        settings: &Settings,
        counters: &Counters,
    ) -> Result<Writer<'a>, BackupError> {
        let mut writer = Writer {
            hashed: reader::Hashing::new(out),
            counts: BTreeMap::new(),
            records: 0,
            seq: header.seq,
        };
        writer.put(header)?;
        for line in [Line::Settings(settings.clone()), Line::Counters(counters.clone())] {
            writer.put(&line)?;
            *writer.counts.entry(line.kind().into()).or_default() += 1;
        }
        Ok(writer)
    }

    fn put(&mut self, value: &dyn erased::Json) -> Result<(), BackupError> {
        value.write(&mut self.hashed).map_err(io_err)?;
        self.hashed.write_all(b"\n").map_err(io_err)
    }

    /// One record (never settings, counters or the trailer).
    pub fn line(&mut self, line: Line) -> Result<(), BackupError> {
        self.put(&line)?;
        *self.counts.entry(line.kind().into()).or_default() += 1;
        self.records += 1;
        Ok(())
    }

    /// Writes the trailer.
    pub fn finish(self) -> Result<Summary, BackupError> {
        let (out, sha256) = self.hashed.finish();
        let trailer = Line::Trailer(Trailer {
            records: self.records,
            counts: self.counts,
            sha256,
        });
        erased::Json::write(&trailer, out).map_err(io_err)?;
        out.write_all(b"\n").map_err(io_err)?;
        Ok(Summary {
            records: self.records,
            seq: self.seq,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A backup taken through a session (here or from a server).
    #[error(transparent)]
    Backend(#[from] rapport_core::backend::BackendError),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("{file}:{line}: {message}")]
    Line { file: String, line: usize, message: String },
    #[error("{0}: the database already holds data; restore only into a new or empty one")]
    NotEmpty(PathBuf),
    #[error(transparent)]
    Open(#[from] super::OpenError),
}

/// What a backup or restore handled.
pub use rapport_core::backend::BackupSummary as Summary;

impl Store {
    /// Writes every record to `file` (temp file, fsync, rename).
    pub fn backup(&self, file: &Path, taken: NaiveDateTime) -> Result<Summary, BackupError> {
        write_file(file, |out| self.write_backup(out, taken))
    }

    /// Writes every record as JSON lines to `out` (a file, or a server's
    /// answer to a session that takes a backup).
    pub fn write_backup(&self, out: &mut dyn Write, taken: NaiveDateTime) -> Result<Summary, BackupError> {
        self.begin_backup()?.write(out, taken)
    }
}

/// Writes `file` through `write`: a temp file beside it, fsync, rename,
/// fsync of the directory. A failure leaves any earlier file as it was.
pub fn write_file<T>(
    file: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<T, BackupError>,
) -> Result<T, BackupError> {
    let io = |e| BackupError::Io(file.to_path_buf(), e);
    let tmp = file.with_extension("tmp");
    let mut out = BufWriter::new(fs::File::create(&tmp).map_err(io)?);
    let written = write(&mut out).map_err(|e| match e {
        BackupError::Io(_, err) | BackupError::Backend(rapport_core::backend::BackendError::Io(err)) => io(err),
        other => other,
    });
    let done = written.and_then(|value| {
        let handle = out.into_inner().map_err(|e| io(e.into_error()))?;
        handle.sync_all().map_err(io)?;
        Ok(value)
    });
    let value = match done {
        Ok(v) => v,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
    };
    fs::rename(&tmp, file).map_err(io)?;
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
    }
    Ok(value)
}

/// One `put` for the header and the lines: serialisation behind a trait
/// object, since a closure cannot be generic.
mod erased {
    pub trait Json {
        fn write(&self, out: &mut dyn std::io::Write) -> std::io::Result<()>;
    }
    impl<T: serde::Serialize> Json for T {
        fn write(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
            serde_json::to_writer(out, self).map_err(std::io::Error::from)
        }
    }
}

/// Lines written to the trees per batch: bounds memory on big restores.
const CHUNK: usize = 1_000;

/// Rebuilds a database at `db` from `file`, proving the file as it goes
/// (`reader`). The new database is built in a staging directory beside
/// `db` and moved into place only once the whole file is proven and
/// written, so a failed or killed restore never touches `db`. Refuses a
/// database that holds data. A version 1 file (no trailer) only with
/// `allow_unproven`.
pub fn restore(file: &Path, db: &Path, allow_unproven: bool) -> Result<(Store, Summary), BackupError> {
    let existed = db.exists();
    if existed {
        let empty = fs::read_dir(db).map(|mut d| d.next().is_none()).unwrap_or(false);
        if !empty {
            // An empty rapport database (no command ever ran) may be
            // replaced; anything with records is refused.
            let store = Store::open(db)?;
            if !store.model().clients.is_empty() || store.model().counters.seq > 0 {
                return Err(BackupError::NotEmpty(db.to_path_buf()));
            }
        }
    }
    let staging = staging_dir(db);
    let io = |p: &Path, e| BackupError::Io(p.to_path_buf(), e);
    // A staging directory left by a killed restore is an incomplete one.
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(|e| io(&staging, e))?;
    }
    let summary = match restore_into(file, &staging, allow_unproven) {
        Ok(s) => s,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    // Proven and flushed: replace the empty target with it.
    if existed {
        fs::remove_dir_all(db).map_err(|e| io(db, e))?;
    }
    fs::rename(&staging, db).map_err(|e| io(db, e))?;
    if let Some(parent) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::File::open(parent)
            .and_then(|d| d.sync_all())
            .map_err(|e| io(parent, e))?;
    }
    Ok((Store::open(db)?, summary))
}

/// `.<name>.restoring` beside `db`.
fn staging_dir(db: &Path) -> PathBuf {
    let name = db
        .file_name()
        .map_or_else(|| "db".into(), |n| n.to_string_lossy().into_owned());
    db.with_file_name(format!(".{name}.restoring"))
}

fn restore_into(file: &Path, db: &Path, allow_unproven: bool) -> Result<Summary, BackupError> {
    let input = std::io::BufReader::new(fs::File::open(file).map_err(|e| BackupError::Io(file.to_path_buf(), e))?);
    let mut reader = reader::Reader::new(input, &file.display().to_string(), allow_unproven)?;
    let store = Store::open(db)?;
    let trees = store.handle()?.trees.clone();
    // Two stages on two threads: this one reads, checks and encodes the
    // lines into batches; the writer applies them to sled (most of the
    // time). A few batches wait between them at most.
    let (to_writer, batches_in) = std::sync::mpsc::sync_channel::<Vec<sled::Batch>>(4);
    let summary = std::thread::scope(|s| {
        let writer = s.spawn(move || -> Result<(), StoreError> {
            for batches in batches_in {
                for (tree, batch) in trees.iter().zip(batches) {
                    tree.apply_batch(batch)?;
                }
            }
            Ok(())
        });
        let read = read_batches(&mut reader, file, db, &to_writer);
        drop(to_writer);
        let written = match writer.join() {
            Ok(written) => written.map_err(BackupError::from),
            Err(_) => Err(stopped(db)),
        };
        // A writer that failed closed the channel: its error is the cause.
        match (read, written) {
            (_, Err(e)) => Err(e),
            (read, Ok(())) => read,
        }
    })?;
    store.flush()?;
    Ok(summary)
}

/// The writer thread ended before the reading did (its own error, when
/// it has one, is reported instead).
fn stopped(db: &Path) -> BackupError {
    BackupError::Io(db.to_path_buf(), std::io::Error::other("the restore's writer stopped"))
}

/// Reads every line of the backup into batches of `CHUNK` records for
/// the writer, then the aggregates and the counters.
fn read_batches<R: std::io::BufRead>(
    reader: &mut reader::Reader<R>,
    file: &Path,
    db: &Path,
    writer: &std::sync::mpsc::SyncSender<Vec<sled::Batch>>,
) -> Result<Summary, BackupError> {
    let header_seq = reader.header().seq;
    let mut model = Model::default();
    let fresh = || TREE_NAMES.iter().map(|_| sled::Batch::default()).collect::<Vec<_>>();
    let mut batches = fresh();
    let mut pending = 0usize;
    let mut counters = None;
    let send = |batches: &mut Vec<sled::Batch>| -> Result<(), BackupError> {
        writer
            .send(std::mem::replace(batches, fresh()))
            .map_err(|_| stopped(db))
    };
    fn put<R: Record>(batches: &mut [sled::Batch], t: T, key: &[u8], r: &R) -> Result<(), StoreError> {
        batches[t as usize].insert(key, codec::encode(r)?);
        Ok(())
    }
    while let Some((_, line)) = reader.next_line()? {
        let b = &mut batches;
        match line {
            Line::Settings(s) => {
                put(b, T::Meta, META_SETTINGS, &s)?;
                model.apply_owned(Change::Settings(s));
            }
            Line::Counters(c) => counters = Some(c),
            Line::Manager(m) => {
                put(b, T::Managers, &keys::id32(m.id.0), &m)?;
                model.apply_owned(Change::Manager(m));
            }
            Line::Segment(s) => {
                put(b, T::Segments, &keys::id32(s.id.0), &s)?;
                model.apply_owned(Change::Segment(s));
            }
            Line::Product(p) => {
                put(b, T::Products, &keys::id32(p.id.0), &p)?;
                model.apply_owned(Change::Product(p));
            }
            Line::Portrait(e) => put(b, T::Portrait, &keys::pair32(e.segment.0, e.product.0), &e)?,
            Line::Client(c) => {
                put(b, T::Clients, &keys::id32(c.id.0), &c)?;
                model.apply_owned(Change::Client(c));
            }
            Line::Person(p) => put(b, T::Persons, &keys::pair32_64(p.client.0, p.id.0), &p)?,
            Line::Settlement(s) => {
                put(b, T::Settlements, &keys::pair32_64(s.client.0, s.id.0), &s)?;
                model.apply_owned(Change::Settlement {
                    old: None,
                    new: Some(s),
                });
            }
            Line::Offer(o) => put(b, T::Offers, &keys::pair32(o.client.0, o.product.0), &o)?,
            Line::Contact(c) => {
                put(b, T::Contacts, &keys::pair32_64(c.client.0, c.id.0), &c)?;
                model.apply_owned(Change::Contact(c));
            }
            Line::Task(t) => put(b, T::Tasks, &keys::pair32_64(t.client.0, t.id.0), &t)?,
            Line::Survey(s) => put(b, T::Surveys, &keys::pair32_64(s.client.0, s.id.0), &s)?,
            Line::Ticket(t) => put(b, T::Tickets, &keys::id64(t.id.0), &t)?,
            Line::Audit(a) => put(b, T::Audit, &keys::id64(a.seq), &a)?,
            Line::Mark(m) => put(b, T::Marks, m.key.as_bytes(), &m)?,
            Line::Questionnaire(q) => put(b, T::Questionnaires, &keys::id32(q.product.0), &q)?,
            // Stored only: the aggregates below cover archived clients too.
            Line::Archival(a) => put(b, T::Archive, &keys::archived(a.key), &a)?,
            Line::Template(t) => put(b, T::Templates, &[t.kind as u8], &t)?,
            Line::Sales(r) => put(b, T::Sales, &keys::sales(r.key()), &r)?,
            // The reader checks the trailer and never hands it out.
            Line::Trailer(_) => {}
        }
        pending += 1;
        if pending >= CHUNK {
            send(&mut batches)?;
            pending = 0;
        }
    }
    let records = reader.checked().records;
    let counters = restored_counters(file, counters, header_seq)?;
    for (n, (client, aggregate)) in model.aggregates.iter().enumerate() {
        put(&mut batches, T::Aggregates, &keys::id32(client.0), aggregate)?;
        if n % CHUNK == CHUNK - 1 {
            send(&mut batches)?;
        }
    }
    put(&mut batches, T::Meta, META_COUNTERS, &counters)?;
    send(&mut batches)?;
    Ok(Summary {
        records,
        seq: header_seq,
    })
}

/// The counters a restore read, which must be there and agree with the
/// header's sequence (whatever the database restored into).
pub fn restored_counters(file: &Path, counters: Option<Counters>, header_seq: u64) -> Result<Counters, BackupError> {
    let err = |message: String| BackupError::Line {
        file: file.display().to_string(),
        line: 1,
        message,
    };
    let counters = counters.ok_or_else(|| err("the backup has no counters record".into()))?;
    if counters.seq != header_seq {
        return Err(err(format!(
            "header says sequence {header_seq}, counters say {}",
            counters.seq
        )));
    }
    Ok(counters)
}

impl Store {
    /// The automatic backup: at most one a day in `dir` (`YYYY-MM-DD.jsonl`),
    /// keeping the newest `keep`. Returns the file written, if any.
    pub fn daily_backup(
        &self,
        dir: &Path,
        today: chrono::NaiveDate,
        keep: usize,
    ) -> Result<Option<PathBuf>, BackupError> {
        match self.begin_daily_backup(dir, today, keep)? {
            Some(daily) => daily.take().map(Some),
            None => Ok(None),
        }
    }

    /// The day's backup as of now, to `take` while commands go on; none
    /// when the day has one.
    pub fn begin_daily_backup(
        &self,
        dir: &Path,
        today: chrono::NaiveDate,
        keep: usize,
    ) -> Result<Option<DailyBackup>, BackupError> {
        let file = dir.join(format!("{today}.jsonl"));
        if file.exists() {
            return Ok(None);
        }
        Ok(Some(DailyBackup {
            view: self.begin_backup()?,
            dir: dir.to_path_buf(),
            file,
            keep,
        }))
    }
}

/// A day's backup begun (`Store::begin_daily_backup`).
pub struct DailyBackup {
    view: BackupView,
    dir: PathBuf,
    file: PathBuf,
    keep: usize,
}

impl DailyBackup {
    /// Writes the file (temp file, fsync, rename) and prunes the oldest
    /// daily files beyond `keep`. Returns the file written.
    pub fn take(self) -> Result<PathBuf, BackupError> {
        use std::os::unix::fs::DirBuilderExt;
        let dir = &self.dir;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| BackupError::Io(dir.to_path_buf(), e))?;
        write_file(&self.file, |out| self.view.write(out, chrono::Utc::now().naive_utc()))?;
        let mut all: Vec<PathBuf> = fs::read_dir(dir)
            .map_err(|e| BackupError::Io(dir.to_path_buf(), e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_daily(p))
            .collect();
        all.sort();
        let excess = all.len().saturating_sub(self.keep);
        for old in all.into_iter().take(excess) {
            fs::remove_file(&old).map_err(|e| BackupError::Io(old.clone(), e))?;
        }
        Ok(self.file)
    }
}

/// `YYYY-MM-DD.jsonl`: only the automatic backups are pruned.
fn is_daily(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.strip_suffix(".jsonl")
        .is_some_and(|d| crate::domain::parse_date(d).is_ok() && d.len() == 10 && d.as_bytes().get(4) == Some(&b'-'))
}
