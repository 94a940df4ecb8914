//! The model snapshot in the database (schema 4): a lead's closing session
//! writes it, the next session starts from it and the events since, and
//! anything that makes it a bad start (damage, another database, an event
//! too large to log, a future sequence) makes a session read the tables.
//! Only those who see every client read it, only leads write it.

mod common;

use common::{client, settle};
use rapport_core::backend::Backend;
use rapport_core::domain::*;
use rapport_core::write::Command;
use rapport_pg::{PgStore, testing};

fn superuser(url: &str, sql: &str) {
    let admin = testing::superuser_url(url).expect("the test cluster");
    testing::as_superuser(&admin, sql);
}

fn stored_seq(url: &str) -> Option<i64> {
    let mut psql = postgres::Client::connect(url, postgres::NoTls).unwrap();
    psql.query_opt("SELECT seq FROM rapport_snapshot", &[])
        .unwrap()
        .map(|r| r.get(0))
}

/// A new session's model, read from every table (no snapshot to use).
fn from_tables(url: &str) -> rapport_core::model::Model {
    let mut psql = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let mut tx = psql.transaction().unwrap();
    let saved: Option<(i64, Vec<u8>)> = tx
        .query_opt("SELECT seq, data FROM rapport_snapshot", &[])
        .unwrap()
        .map(|r| (r.get(0), r.get(1)));
    tx.execute("DELETE FROM rapport_snapshot", &[]).unwrap();
    tx.commit().unwrap();
    let fresh = PgStore::open(url).unwrap();
    assert!(!fresh.read_from_snapshot());
    if let Some((seq, data)) = saved {
        psql.execute(
            "INSERT INTO rapport_snapshot (seq, data) VALUES ($1, $2)",
            &[&seq, &data],
        )
        .unwrap();
    }
    fresh.model().clone()
}

#[test]
fn a_session_starts_from_the_snapshot_and_the_events_since() {
    let Some(url) = testing::fresh_database(true) else {
        return;
    };
    let mut lead = PgStore::open(&url).unwrap();
    lead.execute(Command::Batch {
        label: "setup".into(),
        commands: (1..=30).map(|i| client(&format!("C{i}"))).collect(),
    })
    .unwrap();
    // Nothing stored yet: the first close writes one.
    assert!(!lead.read_from_snapshot());
    Backend::close(&mut lead, chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()).unwrap();
    assert_eq!(stored_seq(&url), Some(1));
    // A few commands later the stored one is recent enough: not rewritten.
    for i in 1..=5 {
        lead.execute(settle(i, 100 * i64::from(i))).unwrap();
    }
    assert!(!lead.save_snapshot().unwrap());
    assert_eq!(stored_seq(&url), Some(1));
    // The next session: the snapshot and the five events since, the same
    // model as every table gives.
    let next = PgStore::open(&url).unwrap();
    assert!(next.read_from_snapshot());
    assert_eq!(next.model().counters.seq, 6);
    assert!(next.model() == lead.model());
    assert!(next.model() == &from_tables(&url));
    // Past `BEHIND` events, a close writes it again.
    let batch: Vec<Command> = (0..rapport_pg::SNAPSHOT_BEHIND)
        .map(|k| settle(1, k as i64 + 1))
        .collect();
    for cmd in batch {
        lead.execute(cmd).unwrap();
    }
    assert!(lead.save_snapshot().unwrap());
    assert_eq!(stored_seq(&url), Some(6 + rapport_pg::SNAPSHOT_BEHIND as i64));
}

#[test]
fn a_bad_snapshot_is_passed_over_for_the_tables() {
    let Some(url) = testing::fresh_database(true) else {
        return;
    };
    let mut lead = PgStore::open(&url).unwrap();
    lead.execute(client("C1")).unwrap();
    lead.execute(settle(1, 500)).unwrap();
    assert!(lead.save_snapshot().unwrap());
    let want = lead.model().clone();
    assert!(Backend::verify(&mut lead).unwrap().ok());
    // Damaged bytes: read the tables, no panic; verify says so.
    superuser(&url, "UPDATE rapport_snapshot SET data = '\\xdeadbeef'");
    let mut s = PgStore::open(&url).unwrap();
    assert!(!s.read_from_snapshot());
    assert!(s.model() == &want);
    let report = Backend::verify(&mut s).unwrap();
    assert!(
        report.problems.iter().any(|p| p.contains("snapshot cannot be used")),
        "{:?}",
        report.problems
    );
    // Another database's snapshot (its creation time differs).
    let Some(other) = testing::fresh_database(true) else {
        return;
    };
    let mut o = PgStore::open(&other).unwrap();
    o.execute(client("X1")).unwrap();
    o.execute(client("X2")).unwrap();
    assert!(o.save_snapshot().unwrap());
    let mut psql = postgres::Client::connect(&other, postgres::NoTls).unwrap();
    let (seq, data): (i64, Vec<u8>) = psql
        .query_one("SELECT seq, data FROM rapport_snapshot", &[])
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    let mut here = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    here.execute("UPDATE rapport_snapshot SET seq = $1, data = $2", &[&seq, &data])
        .unwrap();
    let s = PgStore::open(&url).unwrap();
    assert!(!s.read_from_snapshot());
    assert!(s.model() == &want);
    // One from the future (ahead of the events): passed over too.
    lead.execute(client("C2")).unwrap();
    lead.execute(client("C3")).unwrap();
    let ahead = lead.model().clone();
    let mut psql = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    psql.execute("DELETE FROM rapport_snapshot", &[]).unwrap();
    assert!(lead.save_snapshot().unwrap());
    superuser(
        &url,
        "DELETE FROM event_changes WHERE seq = 4; DELETE FROM events WHERE seq = 4",
    );
    superuser(
        &url,
        "UPDATE rapport_meta SET record = jsonb_set(record, '{seq}', '3') WHERE key = 'counters'",
    );
    let s = PgStore::open(&url).unwrap();
    assert!(!s.read_from_snapshot());
    assert!(s.model() != &ahead);
}

#[test]
fn an_event_too_large_to_log_makes_a_session_read_the_tables() {
    let Some(url) = testing::fresh_database(true) else {
        return;
    };
    let mut lead = PgStore::open(&url).unwrap();
    lead.execute(client("C1")).unwrap();
    assert!(lead.save_snapshot().unwrap());
    let import = Command::Batch {
        label: "import".into(),
        commands: (0..=rapport_pg::CHANGE_LOG_MAX)
            .map(|k| settle(1, k as i64 + 1))
            .collect(),
    };
    lead.execute(import).unwrap();
    let s = PgStore::open(&url).unwrap();
    assert!(
        !s.read_from_snapshot(),
        "the import was not in the events to catch up with"
    );
    assert!(s.model() == lead.model());
}

#[test]
fn only_those_who_see_everyone_read_it_and_only_leads_write_it() {
    let Some(url) = testing::fresh_database(true) else {
        return;
    };
    let mut owner = PgStore::open(&url).unwrap();
    let at = chrono::Utc::now().naive_utc();
    owner
        .execute_as(
            "owner",
            at,
            Command::AddManager {
                login: "snap_amy".into(),
                name: "Amy".into(),
                role: Role::Manager,
            },
        )
        .unwrap();
    owner.execute(client("C1")).unwrap();
    assert!(owner.save_snapshot().unwrap());
    superuser(
        &url,
        "DO $$ BEGIN CREATE ROLE snap_amy LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$; \
         GRANT rapport_user TO snap_amy",
    );
    rapport_pg::migrate(&url, Some(rapport_pg::schema::ManagersSee::Own)).unwrap();
    let amy_url = format!("{url} user=snap_amy");
    let mut amy = PgStore::open(&amy_url).unwrap();
    assert!(
        !amy.read_from_snapshot(),
        "a manager who sees her own clients read everyone's"
    );
    assert!(!amy.save_snapshot().unwrap());
    let mut psql = postgres::Client::connect(&amy_url, postgres::NoTls).unwrap();
    assert!(
        psql.query_opt("SELECT seq FROM rapport_snapshot", &[])
            .unwrap()
            .is_none(),
        "the snapshot is visible to a manager"
    );
    assert!(
        psql.execute("UPDATE rapport_snapshot SET data = '\\x00'", &[]).unwrap() == 0,
        "a manager changed the snapshot"
    );
    assert!(
        psql.execute("INSERT INTO rapport_snapshot (seq, data) VALUES (1, '\\x00')", &[])
            .is_err()
    );
}
