#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::NaiveDate;
use rapport::domain::*;
use rapport::store::Store;
use rapport::write::Command as Cmd;

pub mod server;

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

/// The demo's `clients` (generated with `seed` as of `as_of`) in a store
/// of their own, and its directory.
pub fn demo(clients: usize, seed: u64, as_of: NaiveDate) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("db")).unwrap();
    let opts = rapport::demo::DemoOptions {
        clients,
        seed,
        today: as_of,
    };
    rapport::demo::generate(&mut store, &opts, &mut |_| {}).unwrap();
    (dir, store)
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

/// What a team adds to `small_store` (by the lead): a second manager,
/// `ben` (manager 3), with client `C3`, and an offer of product 1 to `C3`
/// at presentation.
pub fn team_commands() -> Vec<Cmd> {
    vec![
        Cmd::AddManager {
            login: "ben".into(),
            name: "Ben".into(),
            role: Role::Manager,
        },
        Cmd::AddClient {
            reference: "C3".into(),
            name: "Ben's client".into(),
            segment: Some(SegmentId(1)),
            manager: Some(ManagerId(3)),
            created: d("2025-01-01"),
            notes: String::new(),
            tags: vec![],
        },
        Cmd::MoveOffer(rapport::write::OfferMove::new(
            ClientId(3),
            ProductId(1),
            OfferStage::Presentation,
            d("2026-01-01"),
        )),
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
    ($($(#[$meta:meta])* fn $name:ident($kind:ident) $body:block)*) => {
        $($(#[$meta])* mod $name {
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

    /// No database yet on `kind` (a sled path that does not exist, or a new,
    /// migrated and empty PostgreSQL database): for tests that import
    /// everything.
    pub fn empty(kind: Kind) -> Option<Book> {
        let home = tempfile::tempdir().expect("temp dir");
        let db = match kind {
            Kind::Sled => home.path().join("db").display().to_string(),
            Kind::Postgres => rapport::pg::testing::fresh_database(true)?,
        };
        Some(Book { home, db })
    }

    /// A session on the book's database, opened here.
    pub fn open(&self) -> Box<dyn rapport::backend::Backend> {
        open_db(&self.db)
    }

    /// Applies `cmds` one by one as `who` (PostgreSQL records the role it
    /// connects as; this is the test's way to act as another user).
    pub fn as_user(&self, who: &str, cmds: Vec<Cmd>) {
        if rapport::pg::is_url(&self.db) {
            let mut pg = rapport::pg::PgStore::open(&self.db).expect("open PostgreSQL");
            for cmd in cmds {
                pg.execute_as(who, chrono::Utc::now().naive_utc(), cmd)
                    .expect("as user");
            }
        } else {
            let mut store = Store::open(Path::new(&self.db)).expect("open");
            for cmd in cmds {
                store.execute(who, cmd).expect("as user");
            }
        }
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

/// Kills a writer `kills` times at random moments; after each kill every
/// command it confirmed must be on disk.
/// `db`: a sled path or a PostgreSQL URL.
pub fn kill_loop(db: &str, kills: u32) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command as Proc, Stdio};
    use std::time::Duration;
    let mut confirmed: u64 = 0;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..kills {
        let mut child = Proc::new(BIN)
            .args(["--db", db, "stress-writer", "--from", &(confirmed + 1).to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // A random number of confirmations (0–15) before the kill, plus a
        // random delay, so kills land anywhere in a command.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let wait_for = seed % 16;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut last = confirmed;
        for _ in 0..wait_for {
            match lines.next() {
                Some(Ok(l)) => last = l.trim_start_matches("ok ").parse().unwrap(),
                _ => break,
            }
        }
        std::thread::sleep(Duration::from_micros(seed % 3000));
        child.kill().unwrap(); // SIGKILL
        // Anything printed before the kill was confirmed too.
        for l in lines.map_while(Result::ok) {
            last = l.trim_start_matches("ok ").parse().unwrap();
        }
        child.wait().unwrap();
        let mut store = open_db(db);
        let client = store.model().client_by_ref("STRESS").map(|c| c.id);
        let amounts: Vec<i64> = match client {
            Some(c) => store
                .settlements_of(c)
                .unwrap_or_else(|e| panic!("round {round}: reopen failed: {e}"))
                .iter()
                .map(|s| s.amount.0)
                .collect(),
            None => vec![],
        };
        for n in 1..=last {
            assert!(
                amounts.contains(&(n as i64)),
                "round {round}: confirmed command {n} lost"
            );
        }
        // What is on disk is a replay of a prefix of the commands: 1..=k,
        // no gap and no duplicate (k may exceed the last confirmed one, for
        // a command that reached the disk just before the kill).
        let mut sorted = amounts.clone();
        sorted.sort_unstable();
        let prefix: Vec<i64> = (1..=sorted.len() as i64).collect();
        assert_eq!(
            sorted, prefix,
            "round {round}: the database is not a prefix of the commands"
        );
        // The next writer continues after the highest one present.
        confirmed = amounts.iter().copied().max().unwrap_or(0).max(last as i64) as u64;
        let total: i64 = amounts.iter().sum();
        let agg: i64 = client.map_or(0, |c| store.model().aggregates[&c].days.iter().map(|d| d.amount).sum());
        assert_eq!(agg, total, "round {round}: aggregate disagrees with the settlements");
    }
    assert!(confirmed > 0, "the writer never confirmed anything");
    eprintln!("{kills} kills, {confirmed} commands confirmed, none lost");
}

/// The next of a fixed sequence of random numbers (xorshift): kill loops
/// that differ from run to run only as much as the machine makes them.
pub fn next_random(rng: &mut u64) -> u64 {
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    *rng
}
