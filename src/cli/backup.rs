//! `rapport backup FILE` and `rapport restore FILE --db NEWPATH`.

use std::path::PathBuf;

use clap::Args;

use super::{CliResult, Failure, Target, open_store};
use rapport::store::backup::{self, BackupError};

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// Where to write the dump (JSON lines; written via a temp file).
    file: PathBuf,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// A dump written by `rapport backup`.
    file: PathBuf,
}

fn failure(e: BackupError) -> Failure {
    match e {
        BackupError::Line { .. } | BackupError::NotEmpty(_) => Failure::input(e.to_string()),
        other => Failure::system(other.to_string()),
    }
}

pub fn backup(args: BackupArgs, db: Target) -> CliResult {
    let mut session = open_store(db)?;
    let taken = chrono::Utc::now().naive_utc();
    let summary = backup::write_file(&args.file, |out| session.write_backup(out, taken)).map_err(failure)?;
    println!(
        "backed up {} records (sequence {}) to {}",
        summary.records,
        summary.seq,
        args.file.display()
    );
    Ok(())
}

pub fn restore(args: RestoreArgs, db: Target) -> CliResult {
    let target = db.path()?;
    let (mut store, summary) = backup::restore(&args.file, &target).map_err(failure)?;
    store.save_snapshot()?;
    println!(
        "restored {} records (sequence {}) into {}",
        summary.records,
        summary.seq,
        target.display()
    );
    Ok(())
}
