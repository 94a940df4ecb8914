//! Command-line interface (clap derive). Exit codes: 0 done, 1 the database
//! or the system failed, 2 bad input (nothing was changed).

mod backup;
mod classes;
mod corrections;
mod data;
mod find;
mod marketing;
mod offers;
mod plan;
mod postgres;
mod queue;
mod records;
mod report;
mod sales;
mod serve;
mod sheet;
mod stress;
mod templates;
mod tickets;
mod views;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use rapport::backend::BackendError;
use rapport::domain::parse_date;
use rapport::session::{ServerMode, Session};

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
    /// Use the demo database (generated on first use), for the interface
    /// and for every command.
    #[arg(long, global = true, conflicts_with = "db")]
    demo: bool,
    /// Open the interface as of this date instead of today.
    #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    /// Open on the due-contacts queue (also `start = "queue"` in config.toml).
    #[arg(long)]
    queue: bool,
    /// How to reach the database: through a server if one listens (auto),
    /// only through a server (always), or directly (never).
    #[arg(long, global = true, env = "RAPPORT_SERVER", value_name = "MODE", default_value = "auto",
          value_parser = ["auto", "always", "never"])]
    server: String,
    /// The server's socket (default: $XDG_RUNTIME_DIR/rapport/<db hash>.sock).
    #[arg(long, global = true, env = "RAPPORT_SOCKET", value_name = "PATH")]
    socket: Option<PathBuf>,
    /// The user the server must run as (a name or uid); a session refuses
    /// any other. Default: the owner of the socket's directory.
    #[arg(long, global = true, env = "RAPPORT_SERVER_USER", value_name = "USER")]
    server_user: Option<String>,
    /// Tests only: the login to claim from a server started with
    /// --trust-claimed-logins.
    #[arg(long, global = true, env = "RAPPORT_CLAIM_LOGIN", hide = true)]
    claim_login: Option<String>,
    /// Where documents are written (default: $XDG_DATA_HOME/rapport/documents).
    #[arg(long, global = true, env = "RAPPORT_DOCUMENTS", value_name = "DIR")]
    documents: Option<PathBuf>,
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
    /// The sales plan: each client between sales and the product to offer next (SPEC §9).
    Plan(plan::PlanArgs),
    /// The company's document templates (SPEC §9): list, show, edit, import.
    Template(templates::TemplateArgs),
    /// Write a stage's document from its template, mark it sent, open it (SPEC §9).
    Doc(sales::DocArgs),
    /// List the documents (of one client with --client).
    Docs(sales::DocsArgs),
    /// Show or set an offer's amendment date, invoice and instalments (SPEC §9).
    Terms(sales::TermsArgs),
    /// Show or set the acquisition sources, competitors and minutes delay (a lead's).
    SalesSetup(sales::SetupArgs),
    /// Print the due-contacts queue (SPEC §5): overdue, today, next 7 days.
    Today(queue::TodayArgs),
    /// Log a contact with a client (call, meeting, email, message, visit).
    Log(queue::LogArgs),
    /// Add a manual task for a client (or correct or delete one).
    Task(queue::TaskArgs),
    /// Find clients by a name, a ref, a phone number (its digits alone), an
    /// email, a tag or a word of the notes; says which field matched.
    Find(find::FindArgs),
    /// List the pairs of clients that look like one, with the reason.
    Duplicates(find::DuplicatesArgs),
    /// Merge a duplicate client into the one that stays (undo takes it back).
    Merge(find::MergeArgs),
    /// The views a lead shares with the team; unshare one.
    Views(views::ViewsArgs),
    /// Add a client or change its fields.
    Client(records::ClientArgs),
    /// Add a contact person to a client or change their fields.
    Person(records::PersonArgs),
    /// Every change to a client's records: who, when, what.
    History(records::HistoryArgs),
    /// Correct or delete a settlement.
    Settlement(records::SettlementArgs),
    /// Correct or delete a logged contact.
    Contact(corrections::ContactArgs),
    /// List the archived clients and persons; purge them (a lead's).
    Trash(corrections::TrashArgs),
    /// Undo your last command (by putting back what it changed).
    Undo(corrections::UndoArgs),
    /// Mark a queue item done (a task is completed).
    Done(queue::DoneArgs),
    /// Snooze a queue item to a later date.
    Snooze(queue::SnoozeArgs),
    /// Take a done or snooze mark off a queue item (the item is due again).
    Unmark(queue::UnmarkArgs),
    /// List complaint tickets (open ones by default).
    Tickets(tickets::TicketsArgs),
    /// Register a complaint or move a ticket to its next stage.
    Ticket(tickets::TicketArgs),
    /// Record a satisfaction survey (a score of 3 or less opens a ticket).
    Survey(tickets::SurveyArgs),
    /// Show or set a product's survey questions.
    Questionnaire(tickets::QuestionnaireArgs),
    /// The team lead's numbers (SPEC §7) and the class history (SPEC §4.5).
    Report(report::ReportArgs),
    /// Write a logical, human-readable backup of every record.
    Backup(backup::BackupArgs),
    /// Print a completion script for a shell (see README "Shell completions").
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Make an empty database (--db); the other commands, except demo,
    /// import and restore, refuse a database that is not there.
    Init,
    /// Rebuild a new database (--db) from a backup.
    Restore(backup::RestoreArgs),
    /// Create or upgrade the rapport schema of a PostgreSQL database (--db
    /// postgresql://…; its owner runs it once per upgrade).
    Migrate(postgres::MigrateArgs),
    /// Copy a database between sled and PostgreSQL, either way, into a new one.
    Copy(postgres::CopyArgs),
    /// Check every record of the database (or a backup file): checksums,
    /// and that aggregates and counters equal a rebuild.
    Verify(backup::VerifyArgs),
    /// Serve the database to every session over a Unix socket (a team's
    /// shared server; see README "Shared server").
    Serve(serve::ServeArgs),
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
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<BackendError> for Failure {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::Command(c) => Failure::input(c.to_string()),
            BackendError::Denied(why) => Failure::input(format!("not allowed: {why}")),
            other => Failure::system(other.to_string()),
        }
    }
}

impl From<rapport::store::StoreError> for Failure {
    fn from(e: rapport::store::StoreError) -> Self {
        BackendError::from(e).into()
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::system(e.to_string())
    }
}

pub type CliResult = Result<(), Failure>;

/// A failed write to standard output. A closed pipe (`rapport today | head`)
/// is not an error: the reader has what it wanted.
pub fn io_err(e: impl Into<std::io::Error>) -> Failure {
    let e: std::io::Error = e.into();
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return Failure {
            code: 0,
            message: String::new(),
        };
    }
    Failure::system(format!("cannot write: {e}"))
}

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
    if let Some(user) = cli.server_user.clone() {
        rapport::server::trust::set_server_user(user);
    }
    // `rapport --demo today`: every command works on the demo database.
    let demo_path = match (&cli.command, cli.demo) {
        (Some(Cmd::Demo(_)) | None, _) | (_, false) => None,
        (Some(_), true) => Some(data::demo_database(cli.as_of)?),
    };
    let db = Target {
        db: demo_path.or_else(|| cli.db.clone()),
        mode: ServerMode::parse(&cli.server).unwrap_or(ServerMode::Auto),
        socket: cli.socket.clone(),
        claim_login: cli.claim_login.clone(),
        documents: cli.documents.clone(),
        create: false,
    };
    match cli.command {
        Some(Cmd::Demo(args)) => data::demo(args, db),
        Some(Cmd::Import(args)) => data::import(args, db),
        Some(Cmd::Export(args)) => data::export(args, db),
        Some(Cmd::Classes(args)) => classes::run(args, db),
        Some(Cmd::Offers(args)) => offers::offers(args, db),
        Some(Cmd::Offer(args)) => offers::offer(args, db),
        Some(Cmd::Portrait(args)) => offers::portrait(args, db),
        Some(Cmd::Today(args)) => queue::today_cmd(args, db),
        Some(Cmd::Log(args)) => queue::log_cmd(args, db),
        Some(Cmd::Task(args)) => queue::task_cmd(args, db),
        Some(Cmd::Client(args)) => records::client_cmd(args, db),
        Some(Cmd::Find(args)) => find::find_cmd(args, db),
        Some(Cmd::Duplicates(args)) => find::duplicates_cmd(args, db),
        Some(Cmd::Merge(args)) => find::merge_cmd(args, db),
        Some(Cmd::Views(args)) => views::views_cmd(args, db),
        Some(Cmd::Person(args)) => records::person_cmd(args, db),
        Some(Cmd::History(args)) => records::history_cmd(args, db),
        Some(Cmd::Settlement(args)) => records::settlement_cmd(args, db),
        Some(Cmd::Plan(args)) => plan::plan_cmd(args, db),
        Some(Cmd::Template(args)) => templates::template_cmd(args, db),
        Some(Cmd::Doc(args)) => sales::doc_cmd(args, db),
        Some(Cmd::Docs(args)) => sales::docs_cmd(args, db),
        Some(Cmd::Terms(args)) => sales::terms_cmd(args, db),
        Some(Cmd::SalesSetup(args)) => sales::setup_cmd(args, db),
        Some(Cmd::Contact(args)) => corrections::contact_cmd(args, db),
        Some(Cmd::Trash(args)) => corrections::trash_cmd(args, db),
        Some(Cmd::Undo(args)) => corrections::undo_cmd(args, db),
        Some(Cmd::Done(args)) => queue::done_cmd(args, db),
        Some(Cmd::Snooze(args)) => queue::snooze_cmd(args, db),
        Some(Cmd::Unmark(args)) => queue::unmark_cmd(args, db),
        Some(Cmd::Tickets(args)) => tickets::list(args, db),
        Some(Cmd::Ticket(args)) => tickets::ticket(args, db),
        Some(Cmd::Survey(args)) => tickets::survey(args, db),
        Some(Cmd::Questionnaire(args)) => tickets::questionnaire(args, db),
        Some(Cmd::Report(args)) => report::run(args, db),
        Some(Cmd::Backup(args)) => backup::backup(args, db),
        Some(Cmd::Restore(args)) => backup::restore(args, db),
        Some(Cmd::Init) => init(db),
        Some(Cmd::Migrate(args)) => postgres::migrate(args, db),
        Some(Cmd::Copy(args)) => postgres::copy(args),
        Some(Cmd::Completions { shell }) => {
            // Generated from the same definitions that parse the arguments.
            // Into memory first: clap_complete panics on a write error.
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "rapport", &mut script);
            let mut out = std::io::stdout().lock();
            std::io::Write::write_all(&mut out, &script)
                .and_then(|()| std::io::Write::flush(&mut out))
                .map_err(io_err)
        }
        Some(Cmd::Verify(args)) => backup::verify(args, db),
        Some(Cmd::Serve(args)) => serve::run(args, db),
        Some(Cmd::StressWriter(args)) => stress::run(args, db),
        None => data::interactive(db, cli.demo, cli.as_of, cli.queue),
    }
}

/// Which database a command works on, and how to reach it.
#[derive(Clone, Debug)]
pub struct Target {
    pub db: Option<PathBuf>,
    pub mode: ServerMode,
    pub socket: Option<PathBuf>,
    pub claim_login: Option<String>,
    /// `--documents` / `RAPPORT_DOCUMENTS`.
    pub documents: Option<PathBuf>,
    /// Whether the command makes a database when there is none (import,
    /// the test writer); every other command refuses a missing one.
    pub create: bool,
}

impl Target {
    /// This target, for a command that makes the database if it is missing.
    pub fn creating(mut self) -> Target {
        self.create = true;
        self
    }
}

impl Target {
    /// The PostgreSQL database `--db` (or `RAPPORT_DB`) names, if it names one.
    pub fn postgres(&self) -> Option<String> {
        let db = self.db.as_ref()?.to_str()?;
        rapport::pg::is_url(db).then(|| db.to_string())
    }

    /// `--db`, then `RAPPORT_DB` (both via clap), then the XDG default.
    pub fn path(&self) -> Result<PathBuf, Failure> {
        db_path(self.db.clone())
    }

    /// `--socket`, then `RAPPORT_SOCKET`, then the default for the database.
    pub fn socket(&self, db: &std::path::Path) -> Result<PathBuf, Failure> {
        match &self.socket {
            Some(s) => Ok(s.clone()),
            None => rapport::server::default_socket(db).map_err(Failure::system),
        }
    }
}

/// `--db`, then `RAPPORT_DB` (both via clap), then the XDG default.
pub fn db_path(db: Option<PathBuf>) -> Result<PathBuf, Failure> {
    db.or_else(rapport::paths::default_db)
        .ok_or_else(|| Failure::system("cannot find a home directory for the default database; pass --db PATH"))
}

/// A session on the target's database: through its server when one
/// listens (and `--server` allows), else the store opened here.
pub fn open_store(target: Target) -> Result<Session, Failure> {
    if let Some(url) = target.postgres() {
        return postgres_session(&target, &url, true, false);
    }
    let path = target.path()?;
    let socket = target.socket(&path)?;
    let session = rapport::session::connect(&path, &socket, target.mode, target.claim_login, target.create).map_err(
        |e| match e {
            rapport::session::SessionError::NoDatabase(p) => data::no_database(&p),
            e => Failure::system(e.to_string()),
        },
    )?;
    if let Some(store) = session.store() {
        daily_backup(store);
    }
    Ok(session)
}

/// A session for one command that names its records by ref and reads
/// nothing else (`rapport log`): through a server it holds no model.
pub fn open_for_command(target: Target) -> Result<Session, Failure> {
    let session = session_for_command(target)?;
    if let Some(store) = session.store() {
        daily_backup(store);
    }
    Ok(session)
}

/// `open_for_command` without the day's backup (`verify` must not rotate
/// a possibly damaged copy into the backups).
pub fn session_for_command(target: Target) -> Result<Session, Failure> {
    if let Some(url) = target.postgres() {
        return postgres_session(&target, &url, false, false);
    }
    let path = target.path()?;
    let socket = target.socket(&path)?;
    rapport::session::connect_for_command(&path, &socket, target.mode, target.claim_login).map_err(|e| match e {
        rapport::session::SessionError::NoDatabase(p) => data::no_database(&p),
        e => Failure::system(e.to_string()),
    })
}

/// A session for one command that reads only the records `wanted` names
/// and the shared reference data (`client edit`, `ticket advance`…):
/// through a server it receives that part of the model, not the whole book.
pub fn open_holding(target: Target, wanted: rapport::find::named::Wanted) -> Result<Session, Failure> {
    let mut session = open_for_command(target)?;
    rapport::backend::Backend::hold(&mut session, &wanted)?;
    Ok(session)
}

/// A session on the PostgreSQL database `url`: through the host's server
/// when one answers (`rapport serve --db URL`), else directly.
/// `live`: an interface, which listens for others' commands; a command
/// line that exits when done does not.
pub fn postgres_session(target: &Target, url: &str, wants_model: bool, live: bool) -> Result<Session, Failure> {
    let socket = target.socket(std::path::Path::new(url))?;
    rapport::session::connect_postgres(url, &socket, target.mode, target.claim_login.clone(), wants_model, live)
        .map_err(|e| match e {
            rapport::session::SessionError::Postgres(e) => Failure::from(e),
            e => Failure::system(e.to_string()),
        })
}

/// The command line as typed (without the program), for a server to run a
/// read-only command on its model (`Backend::query`).
fn typed_args() -> Vec<String> {
    std::env::args().skip(1).collect()
}

/// A read-only command answered by the server the session is on (the
/// command line as typed, run on its model): printed, and done; `None`
/// when the model is here and the caller computes the answer.
pub fn answered_by_server(session: &mut Session, colour: bool) -> Option<CliResult> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let answer = rapport::backend::Backend::query(session, &typed_args(), colour, &mut out)?;
    let printed = answer.and_then(|()| Ok(out.flush()?));
    Some(match printed {
        Err(rapport::backend::BackendError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(Failure::from),
    })
}

/// A read-only command: through a server the server answers it
/// (`Backend::query`, the command line as typed) and no model travels;
/// here `write` prints it from the model.
pub fn read_here_or_there(
    target: Target,
    write: impl FnOnce(&rapport::model::Model, &mut dyn std::io::Write) -> CliResult,
) -> CliResult {
    use rapport::backend::Backend as _;
    use std::io::Write as _;
    let mut store = open_for_command(target)?;
    if let Some(done) = answered_by_server(&mut store, false) {
        return done;
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let result = write(store.model(), &mut out).and_then(|()| out.flush().map_err(io_err));
    drop(out);
    match result {
        Err(e) if e.message.contains("Broken pipe") => Ok(()),
        Err(e) => Err(e),
        Ok(()) => finish_read(store),
    }
}

/// The server's side of `Backend::query`: a read-only command line run on
/// the server's data for `asker` (`data` refuses every write), and the
/// text it prints. Only commands that read are answered.
pub fn answer_query(
    kept: &Kept,
    data: &mut dyn rapport::backend::Backend,
    asker: &rapport::server::Asker,
    args: &[String],
) -> Result<String, String> {
    let cli = Cli::try_parse_from(std::iter::once("rapport".to_string()).chain(args.iter().cloned()))
        .map_err(|e| e.to_string())?;
    let classes_of = |m: &rapport::model::Model, as_of| kept.classes.get(m, as_of, asker.sees);
    // The kept queue is the whole book's: a manager who sees only their
    // share reads a model made for the query, and builds theirs from it.
    let queue_of =
        |m: &rapport::model::Model, classes, as_of, scope, horizon, read: &mut dyn FnMut(&[&_])| match asker.sees {
            None => kept.queue.read_due(m, classes, as_of, scope, horizon, read),
            Some(_) => build_queue(m, classes, as_of, scope, horizon, read),
        };
    let mut out = Vec::new();
    let done = match cli.command {
        Some(Cmd::Today(a)) => queue::write_today(
            data.model(),
            &classes_of,
            &queue_of,
            a,
            &asker.login,
            asker.colour,
            &mut out,
        ),
        Some(Cmd::Classes(a)) => classes::write(data.model(), &classes_of, a, &mut out),
        Some(Cmd::Find(a)) => find::write_find(data.model(), a, &mut out),
        Some(Cmd::Duplicates(a)) => find::write_duplicates(data.model(), a, &mut out),
        Some(Cmd::Report(a)) => report::output_of(&a).and_then(|output| report::write(data, &a, output, &mut out)),
        Some(Cmd::Export(a)) => data::write_export(data, &a, &mut out),
        Some(Cmd::History(a)) => records::write_history(data, &a, &mut out),
        Some(Cmd::Offers(a)) => offers::write_offers(data.model(), &a, &mut out),
        Some(Cmd::Tickets(a)) => tickets::write_list(data.model(), &a, &mut out),
        Some(Cmd::Docs(a)) => sales::write_docs(data.model(), &a, &mut out),
        Some(Cmd::Plan(a)) => plan::write_plan(data.model(), &a, &mut out),
        _ => {
            return Err(
                "the server answers `today`, `classes`, `find`, `duplicates`, `report`, `export`, \
                 `history`, `offers`, `tickets`, `docs` and `plan` only"
                    .into(),
            );
        }
    };
    done.map_err(|f| f.message().to_string())?;
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// Where a query's classes come from: computed for it, or a server's cache.
pub type ClassesOf<'a> =
    dyn Fn(&rapport::model::Model, chrono::NaiveDate) -> std::sync::Arc<rapport::classes::Classes> + 'a;

/// What a server keeps between queries while the data does not move (or
/// brings up to date for what moved).
#[derive(Default)]
pub struct Kept {
    pub classes: rapport::classes::Cache,
    pub queue: rapport::queue::Kept,
}

/// Where a query's queue comes from: built for it, or a server's kept one;
/// the items are handed to the last argument.
pub type QueueOf<'a> = dyn Fn(
        &rapport::model::Model,
        std::sync::Arc<rapport::classes::Classes>,
        chrono::NaiveDate,
        rapport::queue::Scope,
        rapport::queue::Horizon,
        &mut dyn FnMut(&[&rapport::queue::Item]),
    ) + 'a;

/// A command run on its own builds the queue once.
pub fn build_queue(
    model: &rapport::model::Model,
    classes: std::sync::Arc<rapport::classes::Classes>,
    as_of: chrono::NaiveDate,
    scope: rapport::queue::Scope,
    horizon: rapport::queue::Horizon,
    read: &mut dyn FnMut(&[&rapport::queue::Item]),
) {
    let items = rapport::queue::due_within(model, &classes, as_of, scope, horizon);
    read(&items.iter().collect::<Vec<_>>());
}

/// A command run on its own computes the classes once.
pub fn compute_classes(
    model: &rapport::model::Model,
    as_of: chrono::NaiveDate,
) -> std::sync::Arc<rapport::classes::Classes> {
    std::sync::Arc::new(rapport::classes::compute(model, as_of))
}

/// `rapport init`: an empty database, made on purpose.
fn init(target: Target) -> CliResult {
    if target.postgres().is_some() {
        return Err(Failure::input(
            "a PostgreSQL database is made by its owner: `createdb`, then `rapport migrate --db URL`",
        ));
    }
    let path = target.path()?;
    if rapport::store::Store::exists(&path) {
        println!("{} is already a rapport database; nothing was changed", path.display());
        return Ok(());
    }
    let store = rapport::store::Store::open(&path).map_err(|e| Failure::system(e.to_string()))?;
    store.flush()?;
    println!("created an empty rapport database at {}", path.display());
    Ok(())
}

/// Installations without a server get the day's backup too: the first
/// command of a day that opens the database directly takes it (a server
/// takes it when it starts). A failure is said, and changes nothing else.
fn daily_backup(store: &rapport::store::Store) {
    if let Err(e) = store.keep_daily_backup(today()) {
        eprintln!("rapport: warning: the day's backup failed: {e}");
    }
}

/// Ends a command that only read: leaves a current model snapshot so the
/// next command starts fast, and exits without freeing the model record by
/// record (the process ends anyway; freeing 100,000 clients' records one
/// by one costs a noticeable part of a second).
pub fn finish_read(session: Session) -> CliResult {
    session.finish().map_err(|e| Failure::system(e.to_string()))
}

/// The client a command names by its ref, or a clear refusal (exit 2).
pub fn client_by_ref<'m>(
    model: &'m rapport::model::Model,
    reference: &str,
) -> Result<&'m rapport::domain::Client, Failure> {
    model.client_by_ref(reference).ok_or_else(|| {
        if model.trash.client_by_ref(reference).is_some() {
            Failure::input(format!(
                "client '{reference}' is archived (rapport trash); bring it back with: rapport client restore {reference}"
            ))
        } else {
            Failure::input(format!("unknown client '{reference}'"))
        }
    })
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
