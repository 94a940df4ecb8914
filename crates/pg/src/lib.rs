//! rapport on PostgreSQL: a second `Backend` beside the sled store, for a
//! team beyond one machine. The same model and the same write path: each
//! command is one transaction that takes one advisory lock, catches up with
//! the events other processes wrote since, plans the command against that
//! current model, writes its rows and its event, and notifies. Every
//! process listens (`listen`) and applies the events in sequence order, so
//! several hosts see one order.
//!
//! The client is the synchronous `postgres` crate: rapport's processes are
//! threaded, one command at a time per session, so an async runtime would
//! add weight and no speed.

mod backend;
mod batch;
mod catchup;
pub mod copy;
mod listen;
mod literal;
mod load;
mod log;
mod pgpass;
mod rows;
pub mod schema;
mod snapshot;
pub mod testing;
mod tls;
mod verify;
mod write;

use std::str::FromStr;

use chrono::NaiveDateTime;
use rapport_core::model::Model;
use rapport_core::write::{CommandError, Event};

pub use backend::BackupSource;
pub use schema::Migrated;
pub use snapshot::BEHIND as SNAPSHOT_BEHIND;
pub use write::CHANGE_LOG_MAX;

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error("PostgreSQL: {}", message(.0))]
    Db(#[from] postgres::Error),
    /// The connection string, or the schema, is not one rapport can use.
    #[error("{0}")]
    Schema(String),
    /// The rules refused the command for this user (nothing was changed).
    #[error("not allowed: {0}")]
    Denied(String),
    #[error("damaged record in table {table}: {error}")]
    Corrupt { table: String, error: String },
    /// The connection failed while the command was being committed, and
    /// whether it was cannot be told yet.
    #[error(
        "the connection to PostgreSQL was lost while command #{seq} ({summary}) was being committed: \
         it may or may not have been applied; check with `rapport history` before doing it again"
    )]
    Unknown { seq: u64, summary: String },
    /// A client changed hands and this session sees one manager's
    /// clients: it reads them again before planning (never shown: the
    /// command is tried once more).
    #[error("a client changed hands: this session reads its clients again")]
    ShareChanged,
}

/// A PostgreSQL error as a user can act on it: the server's message with
/// its detail and hint, or the client's with its cause.
pub fn message(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut text = db.message().to_string();
        if let Some(detail) = db.detail() {
            text.push_str(&format!(" ({detail})"));
        }
        if let Some(hint) = db.hint() {
            text.push_str(&format!("; {hint}"));
        }
        return text;
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// Whether the error means the connection is gone (the server restarted,
/// an administrator cut it, the network broke): then the connection is
/// made again.
pub(crate) fn connection_gone(e: &PgError) -> bool {
    let PgError::Db(e) = e else { return false };
    if e.is_closed() {
        return true;
    }
    match e.code() {
        // Class 08: connection exception; 57P01–57P03: shutdown, crash,
        // cannot connect now.
        Some(code) => {
            let code = code.code();
            code.starts_with("08") || code.starts_with("57P")
        }
        // No SQLSTATE: gone when the socket failed (not, say, a value
        // that did not convert).
        None => std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>()),
    }
}

/// Whether `--db` names a PostgreSQL database (a `postgresql://` URL or a
/// libpq `key=value` string) rather than a sled directory.
pub fn is_url(db: &str) -> bool {
    db.starts_with("postgresql://")
        || db.starts_with("postgres://")
        || db
            .split_whitespace()
            .next()
            .and_then(|w| w.split_once('='))
            .is_some_and(|(k, _)| matches!(k, "host" | "dbname" | "user" | "port" | "hostaddr" | "service"))
}

/// The connection settings of `url`; without a user, the Unix login (what
/// peer authentication maps to a role of the same name).
pub fn config(url: &str) -> Result<postgres::Config, PgError> {
    let mut config = postgres::Config::from_str(url)
        .map_err(|e| PgError::Schema(format!("cannot read the PostgreSQL connection string: {}", message(&e))))?;
    if config.get_user().is_none() {
        let login = nix::unistd::User::from_uid(nix::unistd::getuid())
            .ok()
            .flatten()
            .map(|u| u.name)
            .ok_or_else(|| PgError::Schema("cannot tell the Unix login to connect as; put user= in --db".into()))?;
        config.user(&login);
    }
    if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
        // As libpq: $PGHOST, else the local server's socket directory.
        match std::env::var("PGHOST") {
            Ok(host) if !host.is_empty() => {
                config.host(&host);
            }
            _ => {
                let port = config.get_ports().first().copied().unwrap_or(5432);
                let socket_dir = ["/var/run/postgresql", "/run/postgresql", "/tmp"]
                    .into_iter()
                    .find(|d| std::path::Path::new(d).join(format!(".s.PGSQL.{port}")).exists());
                config.host(socket_dir.unwrap_or("localhost"));
            }
        }
    }
    // A host that does not answer is given up on after a few seconds (the
    // system's default is minutes).
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(5));
    }
    if config.get_application_name().is_none() {
        config.application_name("rapport");
    }
    // A password login without a password in the string: ~/.pgpass. A
    // file that cannot be used is said only if the login then fails.
    if config.get_password().is_none()
        && let Ok(Some(password)) = pgpass::password_for(&config)
    {
        config.password(password);
    }
    Ok(config)
}

pub(crate) fn connect(config: &postgres::Config) -> Result<postgres::Client, PgError> {
    use postgres::config::{Host, SslMode};
    // As libpq: no TLS on a Unix socket, whatever sslmode says.
    let on_socket = config.get_hosts().iter().all(|h| matches!(h, Host::Unix(_)));
    let connected = match config.get_ssl_mode() {
        SslMode::Require if !on_socket => config.connect(tls::connector()?),
        SslMode::Require => config.clone().ssl_mode(SslMode::Disable).connect(postgres::NoTls),
        _ => config.connect(postgres::NoTls),
    };
    connected.map_err(|e| {
        if message(&e).contains("invalid peer certificate") {
            return PgError::Schema(format!(
                "PostgreSQL: {}: the server's certificate is not one this machine trusts for that host name; \
                 put its certificate authority's certificate in ~/.postgresql/root.crt (or point \
                 PGSSLROOTCERT at it)",
                message(&e)
            ));
        }
        // 28P01: wrong password; 28000: no password given, among others.
        let login_failed =
            e.code().is_some_and(|c| c.code().starts_with("28")) || message(&e).contains("password missing");
        match pgpass::password_for(config) {
            Err(why) if login_failed && config.get_password().is_none() => {
                PgError::Schema(format!("PostgreSQL: {}; {why}", message(&e)))
            }
            _ => PgError::Db(e),
        }
    })
}

/// Brings the schema of the database at `url` to this rapport's
/// (`rapport migrate`): run by the database's owner.
pub fn migrate(url: &str, see: Option<schema::ManagersSee>) -> Result<Migrated, PgError> {
    let mut client = connect(&config(url)?)?;
    schema::migrate(&mut client, see)
}

/// A session on a PostgreSQL database.
pub struct PgStore {
    config: postgres::Config,
    /// `None` after the connection was lost, until it is made again.
    client: Option<postgres::Client>,
    model: Model,
    created: NaiveDateTime,
    /// The role the connection is (what commands are recorded as).
    login: String,
    /// Whether that role owns rapport's tables (a lead if not a manager).
    owner: bool,
    /// A read replica (a hot standby): it reads, and refuses commands.
    replica: bool,
    /// Whether this role sees every client (else its model is a share).
    sees_all: bool,
    /// A client changed hands since `take_moved` last asked.
    moved: bool,
    /// The model was last read from the stored snapshot and the events
    /// since (not from every table).
    from_snapshot: bool,
    /// Other processes' events applied since `poll_events` last asked.
    arrived: Vec<Event>,
    /// The model may hold a command that failed: read it again first.
    stale: bool,
    /// The statements this connection prepared for commands' scripts.
    named: literal::Named,
    /// The model was read again since `poll_replaced` last asked.
    replaced: bool,
    listener: Option<listen::Listener>,
    /// When a poll last tried to reach the database again.
    last_retry: Option<std::time::Instant>,
}

impl PgStore {
    /// Connects to the database at `url`, checks its schema and reads the
    /// model; starts listening for other processes' events.
    pub fn open(url: &str) -> Result<PgStore, PgError> {
        PgStore::open_with(url, true)
    }

    /// `open` for one command that exits when done: no `LISTEN` thread
    /// (what others commit is caught up with under the write lock anyway).
    pub fn open_for_command(url: &str) -> Result<PgStore, PgError> {
        PgStore::open_with(url, false)
    }

    fn open_with(url: &str, listen: bool) -> Result<PgStore, PgError> {
        let config = config(url)?;
        let mut client = connect(&config)?;
        schema::check(&mut client)?;
        let row = client.query_one(
            "SELECT current_user::text, (SELECT tableowner = current_user FROM pg_tables \
             WHERE schemaname = current_schema() AND tablename = 'events'), pg_is_in_recovery(), \
             rapport_sees_all()",
            &[],
        )?;
        let login: String = row.try_get(0)?;
        let owner: Option<bool> = row.try_get(1)?;
        let replica: bool = row.try_get(2)?;
        let sees_all: bool = row.try_get(3)?;
        let (model, created, from_snapshot) = read_all(&mut client)?;
        let listener = listen.then(|| listen::Listener::start(config.clone()));
        Ok(PgStore {
            config,
            client: Some(client),
            model,
            created,
            login,
            owner: owner.unwrap_or(false),
            replica,
            sees_all,
            moved: false,
            from_snapshot,
            arrived: Vec::new(),
            stale: false,
            named: literal::Named::default(),
            replaced: false,
            listener,
            last_retry: None,
        })
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn created(&self) -> NaiveDateTime {
        self.created
    }

    /// Whether the model was last read from the stored model snapshot and
    /// the events since, rather than from every table.
    pub fn read_from_snapshot(&self) -> bool {
        self.from_snapshot
    }

    /// The role this session is connected as.
    pub fn login(&self) -> &str {
        &self.login
    }

    /// Other processes' events this process has applied and not yet
    /// handed on, without looking for more: after a command, they are the
    /// ones before it (a server sends them to its sessions first).
    pub fn take_arrived(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.arrived)
    }

    /// For `rapport serve`: whether this connection may serve a team (it
    /// writes for all its sessions, so its role must be a lead's or the
    /// owner's), and whether managers see every client (`rapport migrate
    /// --managers-see`).
    pub fn serving(&mut self) -> Result<bool, PgError> {
        let row = self.client()?.query_one(
            "SELECT rapport_is_lead(), (SELECT managers_see = 'all' FROM rapport_access)",
            &[],
        )?;
        let lead: bool = row.try_get(0)?;
        if !lead {
            return Err(PgError::Denied(format!(
                "rapport serve writes for all its sessions, so it connects as a lead or as the owner \
                 of the tables; '{}' is neither (name another role in the connection string: user=…)",
                self.login
            )));
        }
        Ok(row.try_get::<_, Option<bool>>(1)?.unwrap_or(false))
    }

    /// Whether a client changed hands in what this session applied since
    /// last asked (a server's sessions that see one manager's clients
    /// join again).
    pub fn take_moved(&mut self) -> bool {
        std::mem::take(&mut self.moved)
    }

    /// What a catch-up found: a model read again is news for the front
    /// end; a client that changed hands leaves a session that sees only
    /// its manager's clients with the wrong share, which it reads again.
    pub(crate) fn caught_up(&mut self, found: catchup::CaughtUp) {
        self.replaced |= found.reread;
        self.moved |= found.moved;
        if found.moved && !self.sees_all {
            self.stale = true;
        }
    }

    /// The connection, made again if it was lost (the model is then read
    /// again: events may have been missed).
    pub(crate) fn client(&mut self) -> Result<&mut postgres::Client, PgError> {
        if self.client.as_ref().is_some_and(postgres::Client::is_closed) {
            self.client = None;
        }
        if self.client.is_none() {
            self.named = literal::Named::default();
            let mut client = connect(&self.config)?;
            schema::check(&mut client)?;
            self.client = Some(client);
            self.stale = true;
        }
        if self.stale {
            let client = self.client.as_mut().ok_or_else(lost)?;
            let (model, created, from_snapshot) = read_all(client)?;
            self.model = model;
            self.created = created;
            self.from_snapshot = from_snapshot;
            self.stale = false;
            self.replaced = true;
        }
        self.client.as_mut().ok_or_else(lost)
    }
}

fn lost() -> PgError {
    PgError::Schema("the connection to PostgreSQL is closed".into())
}

/// The model and the database's creation time, from one consistent read:
/// the stored model snapshot and the events since when this role may read
/// it, else every table.
fn read_all(client: &mut postgres::Client) -> Result<(Model, NaiveDateTime, bool), PgError> {
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let created = load::created(&mut tx)?;
    let (model, from_snapshot) = match snapshot::load(&mut tx, created)? {
        Some(mut model) => {
            // What happened since is not news to this session (an event
            // too large to log makes it read every table after all).
            let reread = catchup::catch_up(&mut tx, &mut model, &mut Vec::new())?.reread;
            (model, !reread)
        }
        None => (load::model(&mut tx)?, false),
    };
    tx.commit()?;
    Ok((model, created, from_snapshot))
}
