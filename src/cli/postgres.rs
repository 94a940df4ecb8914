//! `rapport migrate` and `rapport copy`: bringing a PostgreSQL database's
//! schema to this rapport's, and moving a database between sled and
//! PostgreSQL (either way) through the backup format.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::{CliResult, Failure, Target};
use rapport::pg::{self, PgStore, copy::RestoreError};
use rapport::store::Store;
use rapport::store::backup::{self, BackupError};

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// What managers see: all clients, or only their own (enforced by
    /// PostgreSQL's row-level security, for psql too); leads see all.
    #[arg(long, value_enum)]
    managers_see: Option<See>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum See {
    All,
    Own,
}

#[derive(Args, Debug)]
pub struct CopyArgs {
    /// The database to copy: a sled directory or a PostgreSQL URL.
    #[arg(long)]
    from: String,
    /// A new database to fill: a sled directory that does not exist yet, or
    /// a migrated, empty PostgreSQL database.
    #[arg(long)]
    to: String,
}

impl From<RestoreError> for Failure {
    fn from(e: RestoreError) -> Self {
        match e {
            RestoreError::NotEmpty(_) | RestoreError::Backup(BackupError::Line { .. }) => Failure::input(e.to_string()),
            other => Failure::system(other.to_string()),
        }
    }
}

impl From<pg::PgError> for Failure {
    fn from(e: pg::PgError) -> Self {
        rapport::backend::BackendError::from(e).into()
    }
}

/// `rapport migrate --db URL`: creates or upgrades the schema (the
/// database's owner runs it; nothing else needs that right).
pub fn migrate(args: MigrateArgs, db: Target) -> CliResult {
    let Some(url) = db.postgres() else {
        return Err(Failure::input(
            "rapport migrate works on a PostgreSQL database: pass --db postgresql://… (a sled database needs none)",
        ));
    };
    let see = args.managers_see.map(|s| match s {
        See::All => pg::schema::ManagersSee::All,
        See::Own => pg::schema::ManagersSee::Own,
    });
    let done = pg::migrate(&url, see)?;
    let name = pg::copy::url_for_messages(&url);
    if done.from == done.to {
        println!(
            "{name}: the schema is at version {} already; nothing was changed",
            done.to
        );
    } else if done.from == 0 {
        println!("{name}: created the rapport schema (version {})", done.to);
    } else {
        println!("{name}: migrated the schema from version {} to {}", done.from, done.to);
    }
    if let Some(see) = args.managers_see {
        println!(
            "managers now see {}",
            match see {
                See::All => "every client",
                See::Own => "their own clients only (leads see every client)",
            }
        );
    }
    Ok(())
}

fn bar(what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}: {pos} records ({per_sec})") {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar
}

/// `rapport copy --from A --to B`: a backup of A (one consistent read),
/// proven and restored into B in one go; B must be new. Either way round.
pub fn copy(args: CopyArgs) -> CliResult {
    let (from, to) = (args.from.as_str(), args.to.as_str());
    if pg::is_url(to) {
        // Refused before the source is read.
        let store = PgStore::open(to)?;
        if store.model().counters.seq > 0 || !store.model().clients.is_empty() {
            return Err(Failure::input(format!(
                "{}: the PostgreSQL database already holds data; copy only into a new (migrated) one",
                pg::copy::url_for_messages(to)
            )));
        }
    } else if Path::new(to).exists() {
        return Err(Failure::input(format!(
            "{to} exists; copy into a new path (nothing was changed)"
        )));
    }
    let scratch = tempfile::Builder::new()
        .prefix("rapport-copy")
        .tempdir()
        .map_err(|e| Failure::system(format!("cannot make a temporary directory: {e}")))?;
    let file = scratch.path().join("copy.jsonl");
    let reading = bar("reading");
    let taken = chrono::Utc::now().naive_utc();
    let written = if pg::is_url(from) {
        let mut source = PgStore::open(from)?;
        backup::write_file(&file, |out| Ok(source.write_backup(out, taken)?))
    } else {
        let path = PathBuf::from(from);
        if !Store::exists(&path) {
            return Err(super::data::no_database(&path));
        }
        let source = Store::open(&path).map_err(|e| Failure::system(e.to_string()))?;
        backup::write_file(&file, |out| source.write_backup(out, taken))
    }
    .map_err(|e| Failure::system(e.to_string()))?;
    reading.finish_and_clear();
    let writing = bar("writing");
    writing.set_length(written.records);
    let summary = if pg::is_url(to) {
        pg::copy::restore(to, &file, false, &mut |n| writing.set_position(n))?
    } else {
        rapport::store::bulk_load();
        let (mut store, summary) =
            backup::restore(&file, Path::new(to), false).map_err(|e| Failure::system(e.to_string()))?;
        store.save_snapshot()?;
        summary
    };
    writing.finish_and_clear();
    println!(
        "copied {} records (sequence {}) from {} to {}",
        summary.records,
        summary.seq,
        shown(from),
        shown(to)
    );
    Ok(())
}

/// A database as messages show it (a URL without its password).
pub fn shown(db: &str) -> String {
    if pg::is_url(db) {
        pg::copy::url_for_messages(db)
    } else {
        db.to_string()
    }
}
