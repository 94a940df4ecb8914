//! `rapport backup FILE`, `rapport restore FILE --db NEWPATH` and
//! `rapport verify [FILE]`.

use std::path::PathBuf;

use clap::Args;

use super::{CliResult, Failure, Target};
use rapport::backend::Backend;
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
    /// Restore a backup of an older rapport, which has no trailer to prove
    /// it complete.
    #[arg(long)]
    allow_unproven: bool,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// A backup file to check instead of the database.
    file: Option<PathBuf>,
    /// Read a backup of an older rapport, which has no trailer.
    #[arg(long)]
    allow_unproven: bool,
}

fn failure(e: BackupError) -> Failure {
    match e {
        BackupError::Line { .. } | BackupError::NotEmpty(_) => Failure::input(e.to_string()),
        other => Failure::system(other.to_string()),
    }
}

pub fn backup(args: BackupArgs, db: Target) -> CliResult {
    // Through a server: no model here; the server writes it as it sends it.
    let mut session = super::open_for_command(db)?;
    let taken = chrono::Utc::now().naive_utc();
    let summary = backup::write_file(&args.file, |out| Ok(session.write_backup(out, taken)?)).map_err(failure)?;
    println!(
        "backed up {} records (sequence {}) to {}",
        summary.records,
        summary.seq,
        args.file.display()
    );
    Ok(())
}

pub fn restore(args: RestoreArgs, db: Target) -> CliResult {
    if let Some(url) = db.postgres() {
        let summary = rapport::pg::copy::restore(&url, &args.file, args.allow_unproven, &mut |_| {})?;
        println!(
            "restored {} records (sequence {}) into {}",
            summary.records,
            summary.seq,
            super::postgres::shown(&url)
        );
        return Ok(());
    }
    let target = db.path()?;
    rapport::store::bulk_load();
    let (mut store, summary) = backup::restore(&args.file, &target, args.allow_unproven).map_err(failure)?;
    store.save_snapshot()?;
    println!(
        "restored {} records (sequence {}) into {}",
        summary.records,
        summary.seq,
        target.display()
    );
    Ok(())
}

/// Checks a backup file, or every record of the database; exit 1 with the
/// problems when anything is wrong.
pub fn verify(args: VerifyArgs, db: Target) -> CliResult {
    if let Some(file) = args.file {
        let (header, checked) = backup::reader::check_file(&file, args.allow_unproven).map_err(failure)?;
        println!(
            "{}: {} records (sequence {}), {}",
            file.display(),
            checked.records,
            header.seq,
            if checked.proven {
                "complete and unaltered (trailer and checksum match)"
            } else {
                "readable, but an older backup without a trailer: completeness not proven"
            }
        );
        return Ok(());
    }
    let path = match db.postgres() {
        Some(url) => PathBuf::from(super::postgres::shown(&url)),
        None => db.path()?,
    };
    // Directly (a missing database is refused by the session, as for every
    // command), or by the server that holds the database (it checks under
    // its lock, so the team need not stop it), which sends no model.
    let mut session = super::session_for_command(db)?;
    let report = session.verify()?;
    let total: u64 = report.records.values().sum();
    if report.ok() {
        println!(
            "{}: {total} records read, every checksum and every rebuild agrees",
            path.display()
        );
        return Ok(());
    }
    for p in &report.problems {
        println!("problem: {p}");
    }
    Err(Failure::system(format!(
        "{}: {} problem(s) found in {total} records read",
        path.display(),
        report.problems.len()
    )))
}
