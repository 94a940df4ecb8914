//! Command-line interface (clap derive). Exit codes: 0 done, 1 the database
//! or the system failed, 2 bad input (nothing was changed).

mod backup;
mod classes;
mod data;
mod offers;
mod stress;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use rapport::domain::parse_date;
use rapport::store::{Store, StoreError};

#[derive(Parser, Debug)]
#[command(
    name = "rapport",
    version,
    about = "A keyboard-driven terminal CRM for account managers"
)]
pub struct Cli {
    /// The database directory (default: $XDG_DATA_HOME/rapport/db).
    #[arg(long, global = true, env = "RAPPORT_DB", value_name = "PATH")]
    db: Option<PathBuf>,
    /// Open the demo database (generated on first use).
    #[arg(long)]
    demo: bool,
    /// Open the interface as of this date instead of today.
    #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Write a deterministic synthetic data set into a new database.
    Demo(data::DemoArgs),
    /// Import a CSV file (all or nothing).
    Import(data::ImportArgs),
    /// Export records as CSV or JSON to standard output.
    Export(data::ExportArgs),
    /// Print every client's classes (SPEC §4).
    Classes(classes::ClassesArgs),
    /// List offers (the product matrix cells).
    Offers(offers::OffersArgs),
    /// Move one client's offer of one product to a stage (SPEC §3).
    Offer(offers::OfferArgs),
    /// Print the portrait: each segment's target products.
    Portrait(offers::PortraitArgs),
    /// Write a logical, human-readable backup of every record.
    Backup(backup::BackupArgs),
    /// Rebuild a new database (--db) from a backup.
    Restore(backup::RestoreArgs),
    /// Test helper: apply numbered commands, reporting each once it is durable.
    #[command(hide = true)]
    StressWriter(stress::StressArgs),
}

/// A failure with the exit code it maps to.
pub struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    pub fn input(message: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: message.into(),
        }
    }
    pub fn system(message: impl Into<String>) -> Self {
        Failure {
            code: 1,
            message: message.into(),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Command(c) => Failure::input(c.to_string()),
            other => Failure::system(other.to_string()),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::system(e.to_string())
    }
}

pub type CliResult = Result<(), Failure>;

pub fn run() -> ExitCode {
    // Databases, backups and exports hold customer data: private by default.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if !f.message.is_empty() {
                eprintln!("rapport: {}", f.message);
            }
            ExitCode::from(f.code)
        }
    }
}

fn dispatch(cli: Cli) -> CliResult {
    let db = cli.db.clone();
    match cli.command {
        Some(Cmd::Demo(args)) => data::demo(args, db),
        Some(Cmd::Import(args)) => data::import(args, db),
        Some(Cmd::Export(args)) => data::export(args, db),
        Some(Cmd::Classes(args)) => classes::run(args, db),
        Some(Cmd::Offers(args)) => offers::offers(args, db),
        Some(Cmd::Offer(args)) => offers::offer(args, db),
        Some(Cmd::Portrait(args)) => offers::portrait(args, db),
        Some(Cmd::Backup(args)) => backup::backup(args, db),
        Some(Cmd::Restore(args)) => backup::restore(args, db),
        Some(Cmd::StressWriter(args)) => stress::run(args, db),
        None => data::interactive(db, cli.demo, cli.as_of),
    }
}

/// `--db`, then `RAPPORT_DB` (both via clap), then the XDG default.
pub fn db_path(db: Option<PathBuf>) -> Result<PathBuf, Failure> {
    db.or_else(rapport::paths::default_db)
        .ok_or_else(|| Failure::system("cannot find a home directory for the default database; pass --db PATH"))
}

pub fn open_store(db: Option<PathBuf>) -> Result<Store, Failure> {
    let path = db_path(db)?;
    Store::open(&path).map_err(|e| Failure::system(e.to_string()))
}

/// The login of the Unix user running rapport: the audit trail's "who".
pub fn current_login() -> String {
    let uid = nix::unistd::getuid();
    match nix::unistd::User::from_uid(uid) {
        Ok(Some(user)) => user.name,
        _ => std::env::var("USER").unwrap_or_else(|_| format!("uid{uid}")),
    }
}

pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// Parses a date argument for clap.
pub fn date_arg(s: &str) -> Result<NaiveDate, String> {
    parse_date(s).map_err(|e| e.to_string())
}
