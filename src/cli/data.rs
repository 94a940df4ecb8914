//! `demo`, `import`, `export`, and opening without a subcommand.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::{CliResult, Failure, Target, current_login, date_arg, open_store, today};
use rapport::backend::Backend;
use rapport::demo::{self, DemoOptions};
use rapport::io::Kind;
use rapport::io::export::{self, Format};
use rapport::io::import::{self, ImportError, ImportOptions};
use rapport::session::{ServerMode, Session};
use rapport::store::Store;

/// Row errors printed before the rest are only counted.
const SHOWN_ERRORS: usize = 20;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// How many clients to generate.
    #[arg(long, default_value_t = 300)]
    clients: usize,
    /// Random seed: the same seed and date give the same data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The date the generated history ends at (default: today).
    #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
    today: Option<NaiveDate>,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    kind: Kind,
    /// The CSV file (`,` or `;` delimited, UTF-8, header row first).
    file: PathBuf,
    /// Create clients that a settlements file names but the database lacks.
    #[arg(long)]
    create_missing: bool,
    /// Import clients that look like ones already there (same name, phone
    /// or email); otherwise such rows are refused with the reason.
    #[arg(long)]
    allow_duplicate: bool,
}

/// `export --format`: CSV, JSON, or vCard for the contact persons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
    Vcard,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[arg(value_enum)]
    kind: Kind,
    /// `vcard`: the contact persons as vCard 4.0 (contacts only).
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    format: ExportFormat,
}

fn progress_bar(len: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

fn write_demo(store: &mut Store, args: &DemoArgs) -> CliResult {
    write_demo_to(store, args)?;
    store.save_snapshot()?;
    Ok(())
}

fn write_demo_to(store: &mut dyn demo::DemoTarget, args: &DemoArgs) -> CliResult {
    let opts = DemoOptions {
        clients: args.clients,
        seed: args.seed,
        today: args.today.unwrap_or_else(today),
    };
    let bar = progress_bar(opts.clients as u64, "generating clients");
    demo::generate(store, &opts, &mut |n| bar.set_position(n as u64)).map_err(|e| match e {
        demo::DemoError::NotEmpty => Failure::input(e.to_string()),
        other => Failure::system(other.to_string()),
    })?;
    bar.finish_and_clear();
    Ok(())
}

pub fn demo(args: DemoArgs, db: Target) -> CliResult {
    if let Some(url) = db.postgres() {
        let mut store = rapport::pg::PgStore::open(&url)?;
        write_demo_to(&mut store, &args)?;
        // The next sessions start from a snapshot (a cache: no failure).
        let _ = store.save_snapshot();
        let m = store.model();
        println!(
            "wrote the demo data set to {}: {} clients, {} offers, {} tickets",
            super::postgres::shown(&url),
            m.clients.len(),
            m.offers.len(),
            m.tickets.len()
        );
        return Ok(());
    }
    // The demo goes only into a new database, which no server serves.
    let path = db.path()?;
    let mut store = Store::open(&path).map_err(|e| Failure::system(e.to_string()))?;
    if !store.model().clients.is_empty() {
        return Err(Failure::input(format!(
            "{} already holds data; the demo is written only into a new database",
            store.path().display()
        )));
    }
    write_demo(&mut store, &args)?;
    let m = store.model();
    println!(
        "wrote the demo data set to {}: {} clients, {} offers, {} tickets",
        store.path().display(),
        m.clients.len(),
        m.offers.len(),
        m.tickets.len()
    );
    Ok(())
}

pub fn import(args: ImportArgs, db: Target) -> CliResult {
    let label = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).map_err(|e| Failure::input(format!("{label}: {e}")))?;
    let mut store = open_store(db.creating())?;
    let opts = ImportOptions {
        create_missing: args.create_missing,
        today: today(),
        new_clients_manager: store.acting_manager(),
        allow_duplicates: args.allow_duplicate,
    };
    let spinner = if std::io::stderr().is_terminal() {
        let s = ProgressBar::new_spinner();
        s.set_message(format!("importing {label} …"));
        s.enable_steady_tick(std::time::Duration::from_millis(120));
        s
    } else {
        ProgressBar::hidden()
    };
    let result = import::import(&mut store, &current_login(), args.kind, &label, bytes, &opts);
    spinner.finish_and_clear();
    match result {
        Ok(report) => {
            let created = if report.created_clients > 0 {
                format!(" ({} new clients created)", report.created_clients)
            } else {
                String::new()
            };
            println!("imported {} {} rows from {label}{created}", report.rows, args.kind);
            // The snapshot spares the next session reading every record
            // (a server keeps its own). What the import freed (its rows, its
            // changes, sled's copies) is handed back first: the snapshot's
            // encoding would otherwise come on top of it.
            crate::memory::give_back();
            if let Some(store) = store.store_mut() {
                store.save_snapshot()?;
            }
            Ok(())
        }
        Err(ImportError::Rows(errors)) => {
            let mut err = std::io::stderr().lock();
            for e in errors.iter().take(SHOWN_ERRORS) {
                let _ = writeln!(err, "{e}");
            }
            if errors.len() > SHOWN_ERRORS {
                let _ = writeln!(err, "… and {} more problems", errors.len() - SHOWN_ERRORS);
            }
            Err(Failure::input(format!(
                "{} problem(s) in {label}; nothing was imported",
                errors.len()
            )))
        }
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}

pub fn export(args: ExportArgs, db: Target) -> CliResult {
    // Refused before the (slower) opening of the database.
    export_format(&args)?;
    let mut store = super::open_for_command(db)?;
    if let Some(done) = super::answered_by_server(&mut store, false) {
        return done;
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match write_export(&mut store, &args, &mut out).and_then(|()| out.flush().map_err(super::io_err)) {
        Err(e) if e.message.contains("Broken pipe") => Ok(()),
        other => other,
    }
}

/// The export's format; `None`: vCards (of contacts only).
fn export_format(args: &ExportArgs) -> Result<Option<Format>, Failure> {
    match args.format {
        ExportFormat::Csv => Ok(Some(Format::Csv)),
        ExportFormat::Json => Ok(Some(Format::Json)),
        ExportFormat::Vcard if args.kind != Kind::Contacts => Err(Failure::input(format!(
            "{} have no vCard form: only contacts do",
            args.kind
        ))),
        ExportFormat::Vcard => Ok(None),
    }
}

/// What `rapport export` prints, from `store` (here, or the server's).
pub fn write_export(store: &mut dyn rapport::backend::Backend, args: &ExportArgs, out: &mut dyn Write) -> CliResult {
    match export_format(args)? {
        None => rapport::io::vcard::write_all(store.model(), out).map_err(|e| Failure::system(e.to_string())),
        Some(format) => export::export(store, args.kind, format, out).or_else(|e| {
            if e.is_broken_pipe() {
                Ok(())
            } else {
                Err(Failure::system(e.to_string()))
            }
        }),
    }
}

/// The demo database (the interface's, 300 clients, seed 42), generated
/// on first use as of `as_of` (default today); its path.
pub fn demo_database(as_of: Option<NaiveDate>) -> Result<std::path::PathBuf, Failure> {
    let path = rapport::paths::demo_db().ok_or_else(|| Failure::system("cannot find a data directory for the demo"))?;
    if Store::exists(&path) {
        return Ok(path);
    }
    let mut store = Store::open(&path).map_err(|e| Failure::system(e.to_string()))?;
    generate_demo(&mut store, as_of)?;
    Ok(path)
}

/// The interface's demo: 300 clients, seed 42, history up to `as_of`.
fn generate_demo(store: &mut Store, as_of: Option<NaiveDate>) -> CliResult {
    eprintln!("generating the demo database in {} …", store.path().display());
    write_demo(
        store,
        &DemoArgs {
            clients: 300,
            seed: 42,
            today: as_of,
        },
    )
}

/// A database named on purpose that is not there.
pub fn no_database(path: &std::path::Path) -> Failure {
    Failure::input(rapport::session::SessionError::NoDatabase(path.to_path_buf()).to_string())
}

/// `rapport` and `rapport --demo`: the terminal interface.
pub fn interactive(db: Target, demo: bool, as_of: Option<NaiveDate>, queue: bool) -> CliResult {
    crate::memory::huge_pages(false);
    let documents = db.documents_dir()?;
    if let Some(url) = db.postgres().filter(|_| !demo) {
        if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
            return Err(Failure::input(
                "the interface needs a terminal; for scripts use the subcommands (rapport --help)",
            ));
        }
        let session = crate::cli::postgres_session(&db, &url, true, true)?;
        // Through a server: a lost server is replaced by the next one to
        // answer, or by the database itself.
        let reconnect = (session.place() == rapport::session::Where::Server).then_some(db.clone());
        return run_interface(
            session,
            as_of,
            queue,
            reconnect.map(Reconnect::Postgres),
            false,
            &documents,
        );
    }
    // A path given on purpose (--db, RAPPORT_DB) must be a database: a typo
    // never becomes a new, empty one. The default one is made on first use.
    if !demo && db.db.is_some() {
        let path = db.path()?;
        if !Store::exists(&path) && db.socket.is_none() {
            return Err(no_database(&path));
        }
    }
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Failure::input(
            "the interface needs a terminal; for scripts use the subcommands (rapport --help)",
        ));
    }
    let path = if demo {
        rapport::paths::demo_db().ok_or_else(|| Failure::system("cannot find a data directory for the demo"))?
    } else {
        db.path()?
    };
    if demo {
        // Generated on first use. A server (or another session) holding
        // it means it is there already.
        match Store::open(&path) {
            Ok(mut store) => {
                if store.model().clients.is_empty() {
                    generate_demo(&mut store, as_of)?;
                }
                match db.mode {
                    ServerMode::Never => {
                        return run_interface(Session::local(store), as_of, queue, None, demo, &documents);
                    }
                    ServerMode::Auto => {
                        let connect = crate::cli::serve::hand_over_to_server(&db, &path)?;
                        let local = Session::local_then_server(store, connect);
                        return run_interface(local, as_of, queue, Some(Reconnect::Sled(db, path)), demo, &documents);
                    }
                    ServerMode::Always => store.close_without_freeing()?,
                }
            }
            Err(rapport::store::OpenError::Locked(_)) => {}
            Err(e) => return Err(Failure::system(e.to_string())),
        }
    }
    if let Some(local) = crate::cli::serve::local_for_interface(&db, &path)? {
        return run_interface(local, as_of, queue, Some(Reconnect::Sled(db, path)), demo, &documents);
    }
    let session = crate::cli::serve::session_for_interface(&db, &path)?;
    run_interface(session, as_of, queue, Some(Reconnect::Sled(db, path)), demo, &documents)
}

/// How an interface on a server reconnects when it loses it.
enum Reconnect {
    /// To the server of the sled database at the path (started if need be).
    Sled(Target, PathBuf),
    /// To the host's server of the PostgreSQL database, else to the database.
    Postgres(Target),
}

/// Runs the interface on `session`; `target` is how it reconnects to a
/// server it lost.
fn run_interface(
    session: Session,
    as_of: Option<NaiveDate>,
    queue: bool,
    target: Option<Reconnect>,
    demo: bool,
    documents: &std::path::Path,
) -> CliResult {
    let who = if demo {
        rapport::demo::DEMO_LOGIN.to_string()
    } else {
        session.server_login().map_or_else(current_login, str::to_string)
    };
    let depth = crate::tui::theme::Depth::from_env(
        std::env::var("NO_COLOR").ok().as_deref(),
        std::env::var("COLORTERM").ok().as_deref(),
    );
    let config_dir = rapport::paths::config_dir();
    let loaded = crate::tui::settings::load(config_dir.as_deref(), depth);
    let mut app = crate::tui::app::App::new(
        Box::new(session),
        who,
        as_of.unwrap_or_else(today),
        loaded.keymap,
        loaded.theme,
    );
    app.set_card(loaded.card_open);
    app.links = crate::tui::links::Links::new(loaded.links);
    app.config_dir = config_dir.clone();
    app.documents = documents.to_path_buf();
    // The demo is one manager's morning: it opens on their queue.
    if queue || loaded.start_queue || demo {
        app.update(crate::tui::action::Action::TabQueue);
    }
    app.show_config_errors(loaded.errors);
    app.panic_on_key = std::env::var_os("RAPPORT_PANIC_ON_KEY").is_some();
    match target {
        Some(Reconnect::Sled(target, path)) => {
            app.reconnect = Some(Box::new(move || {
                crate::cli::serve::session_for_interface(&target, &path)
                    .map(|s| Box::new(s) as Box<dyn Backend>)
                    .map_err(|f| f.message().to_string())
            }));
        }
        Some(Reconnect::Postgres(target)) => {
            app.reconnect = Some(Box::new(move || {
                let url = target.postgres().unwrap_or_default();
                crate::cli::postgres_session(&target, &url, true, true)
                    .map(|s| Box::new(s) as Box<dyn Backend>)
                    .map_err(|f| f.message().to_string())
            }));
        }
        None => {}
    }
    crate::tui::terminal::run(&mut app).map_err(|e| Failure::system(format!("terminal: {e}")))?;
    // After the terminal is restored: the next session starts faster.
    app.close().map_err(Failure::system)
}
