#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::NaiveDate;
use rapport::domain::*;
use rapport::store::Store;
use rapport::write::Command as Cmd;

pub const BIN: &str = env!("CARGO_BIN_EXE_rapport");

pub fn d(s: &str) -> NaiveDate {
    s.parse().expect("test date")
}

/// Runs the real binary with a private XDG environment.
pub fn rapport(home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("RAPPORT_DB")
        .env("NO_COLOR", "1")
        .output()
        .expect("run rapport")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn db_in(dir: &Path) -> PathBuf {
    dir.join("db")
}

/// A store with one manager, segment, two products in two lines, a
/// portrait, and two clients (`C1`, `C2`).
pub fn small_store(dir: &Path) -> Store {
    let mut s = Store::open(&db_in(dir)).expect("open");
    s.execute(
        "amy",
        Cmd::Batch {
            label: "setup".into(),
            commands: small_commands(),
        },
    )
    .expect("setup");
    s
}

/// What `small_store` holds, as commands.
pub fn small_commands() -> Vec<Cmd> {
    vec![
        Cmd::AddManager {
            login: "amy".into(),
            name: "Amy".into(),
            role: Role::Manager,
        },
        Cmd::AddManager {
            login: "lea".into(),
            name: "Léa".into(),
            role: Role::Lead,
        },
        Cmd::AddSegment {
            code: "retail".into(),
            name: "Retail".into(),
            description: String::new(),
        },
        Cmd::AddProduct {
            code: "crm".into(),
            name: "CRM".into(),
            line: "software".into(),
        },
        Cmd::AddProduct {
            code: "care".into(),
            name: "Care".into(),
            line: "support".into(),
        },
        Cmd::SetPortrait {
            segment: SegmentId(1),
            product: ProductId(1),
            target: true,
        },
        Cmd::SetPortrait {
            segment: SegmentId(1),
            product: ProductId(2),
            target: true,
        },
        Cmd::AddClient {
            reference: "C1".into(),
            name: "Müller & Söhne".into(),
            segment: Some(SegmentId(1)),
            manager: Some(ManagerId(1)),
            created: d("2025-01-01"),
            notes: String::new(),
            tags: vec![],
        },
        Cmd::AddClient {
            reference: "C2".into(),
            name: "Société Générale".into(),
            segment: Some(SegmentId(1)),
            manager: Some(ManagerId(1)),
            created: d("2025-01-01"),
            notes: String::new(),
            tags: vec![],
        },
    ]
}

/// The two places a database can be: the tests that run on both take one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Sled,
    Postgres,
}

/// A session on the database `db` names (a sled path or a PostgreSQL
/// URL), opened here, for a test to look at what commands did.
pub fn open_db(db: &str) -> Box<dyn rapport::backend::Backend> {
    if rapport::pg::is_url(db) {
        Box::new(rapport::pg::PgStore::open(db).expect("open PostgreSQL"))
    } else {
        Box::new(Store::open(Path::new(db)).expect("open"))
    }
}

/// Runs each test on the sled store and on PostgreSQL (skipped, and
/// said, where there is no test cluster).
#[macro_export]
macro_rules! on_both {
    ($(fn $name:ident($kind:ident) $body:block)*) => {
        $(mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn run($kind: $crate::common::Kind) $body
            #[test]
            fn sled() {
                run($crate::common::Kind::Sled)
            }
            #[test]
            fn postgres() {
                run($crate::common::Kind::Postgres)
            }
        })*
    };
}

/// Starts `rapport serve --print-ready` as `cmd` says (its log to `log`)
/// and waits until it accepts sessions.
pub fn spawn_server(cmd: &mut Command, log: &Path) -> std::process::Child {
    use std::io::{BufRead, BufReader};
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.starts_with("ready"),
        "the server did not start: {line:?}\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    child
}

/// `small_store` in a temp dir and the real binary on it, directly.
pub struct Book {
    pub home: tempfile::TempDir,
    pub db: String,
}

impl Book {
    pub fn new() -> Book {
        let home = tempfile::tempdir().expect("temp dir");
        drop(small_store(home.path()));
        let db = db_in(home.path()).display().to_string();
        Book { home, db }
    }

    /// `small_store`'s records on `kind`: `None` (the test is skipped) on
    /// PostgreSQL without a test cluster.
    pub fn on(kind: Kind) -> Option<Book> {
        match kind {
            Kind::Sled => Some(Book::new()),
            Kind::Postgres => {
                let db = rapport::pg::testing::fresh_database(true)?;
                let mut pg = rapport::pg::PgStore::open(&db).expect("open PostgreSQL");
                let setup = Cmd::Batch {
                    label: "setup".into(),
                    commands: small_commands(),
                };
                pg.execute_as("amy", chrono::Utc::now().naive_utc(), setup)
                    .expect("setup");
                let home = tempfile::tempdir().expect("temp dir");
                Some(Book { home, db })
            }
        }
    }

    /// A session on the book's database, opened here.
    pub fn open(&self) -> Box<dyn rapport::backend::Backend> {
        open_db(&self.db)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        rapport(
            self.home.path(),
            &[&["--db", self.db.as_str(), "--server", "never"], args].concat(),
        )
    }

    /// `run`, which must succeed: its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        stdout(&o)
    }
}

/// Schema 4 added the acquisition source as the last column of the
/// clients' export: what an older export becomes (empty for every client).
pub fn with_source_column(csv: &str) -> String {
    csv.lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l},source\n")
            } else {
                format!("{l},\n")
            }
        })
        .collect()
}

/// Today's automatic backup of the one database backed up under `backups`
/// (`$XDG_DATA_HOME/rapport/backups`).
pub fn todays_backup(backups: &Path) -> PathBuf {
    let today = chrono::Local::now().date_naive();
    std::fs::read_dir(backups)
        .expect("the backups folder")
        .flatten()
        .next()
        .expect("a database's backups")
        .path()
        .join(format!("{today}.jsonl"))
}
