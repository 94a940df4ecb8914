//! The PostgreSQL backend against a real server: the write path, several
//! processes' view of one order, the schema's versions, failures.

use rapport_core::domain::*;
use rapport_core::write::Command;
use rapport_pg::{PgStore, testing};

fn manager(login: &str) -> Command {
    Command::AddManager {
        login: login.into(),
        name: format!("{login} name"),
        role: Role::Manager,
    }
}

fn superuser(url: &str, sql: &str) {
    let admin = testing::superuser_url(url).expect("the test cluster");
    testing::as_superuser(&admin, sql);
}

#[test]
fn a_command_is_one_transaction_and_refused_ones_leave_nothing() {
    let Some(url) = testing::fresh_database(true) else {
        return;
    };
    let mut pg = PgStore::open(&url).unwrap();
    let event = pg.execute(manager("amartin")).unwrap();
    assert_eq!(event.seq, 1);
    assert_eq!(event.who, pg.login());
    // The event says what is stored (PostgreSQL keeps microseconds): what a
    // session that lost its connection during the commit looks for.
    let mut psql = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let stored: chrono::NaiveDateTime = psql
        .query_one("SELECT at FROM events WHERE seq = 1", &[])
        .unwrap()
        .get(0);
    assert_eq!(stored, event.at);
    assert_eq!(pg.model().managers.len(), 1);
    // The same login again is refused by the planner: nothing is written.
    let refused = pg.execute(manager("amartin"));
    assert!(refused.is_err(), "{refused:?}");
    // A batch whose second command is refused leaves nothing of the first.
    let batch = Command::Batch {
        label: "two".into(),
        commands: vec![manager("bnoel"), manager("amartin")],
    };
    assert!(pg.execute(batch).is_err());
    assert_eq!(pg.model().counters.seq, 1);
    assert!(pg.model().manager_by_login("bnoel").is_none());
    let again = PgStore::open(&url).unwrap();
    assert_eq!(again.model(), pg.model());
}

#[test]
fn a_write_that_fails_in_the_database_leaves_no_trace_and_no_ghost_in_the_model() {
    let Some(url) = testing::fresh_database(true) else {
        return;
    };
    let mut pg = PgStore::open(&url).unwrap();
    pg.execute(manager("amartin")).unwrap();
    // The database refuses the event row (as a full disk or a broken
    // constraint would): the rows written before it in the same
    // transaction go too, and the model forgets the command.
    superuser(
        &url,
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'no room'; END $$; \
         CREATE TRIGGER refuse BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse();",
    );
    let failed = pg.execute(manager("bnoel"));
    let message = failed.expect_err("refused by the trigger").to_string();
    assert!(message.contains("no room"), "{message}");
    assert!(pg.model().manager_by_login("bnoel").is_none());
    assert_eq!(pg.model().counters.seq, 1);
    superuser(&url, "DROP TRIGGER refuse ON events");
    let event = pg.execute(manager("bnoel")).unwrap();
    assert_eq!(event.seq, 2);
    assert_eq!(PgStore::open(&url).unwrap().model(), pg.model());
}

#[test]
fn two_processes_see_one_order_and_each_others_writes_live() {
    let Some(url) = testing::fresh_database(true) else {
        return;
    };
    let mut a = PgStore::open(&url).unwrap();
    let mut b = PgStore::open(&url).unwrap();
    // Writers interleave: each command catches up first, so the sequence
    // is one and no id is handed out twice.
    let mut seqs = Vec::new();
    for i in 0..6 {
        let (w, name) = if i % 2 == 0 { (&mut a, "a") } else { (&mut b, "b") };
        seqs.push(w.execute(manager(&format!("{name}{i}"))).unwrap().seq);
    }
    assert_eq!(seqs, vec![1, 2, 3, 4, 5, 6]);
    // Each learns the other's last write by listening, without writing.
    let arrived = testing::seen_up_to(&mut a, 6);
    assert_eq!(arrived.last().map(|e| e.seq), Some(6));
    assert_eq!(a.model(), b.model());
    let ids: Vec<u32> = a.model().managers.keys().map(|m| m.0).collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5, 6]);
}

#[test]
fn a_lost_connection_is_made_again_and_the_model_read_again() {
    let Some(url) = testing::fresh_database(true) else {
        return;
    };
    let mut a = PgStore::open(&url).unwrap();
    a.execute(manager("amartin")).unwrap();
    let mut b = PgStore::open(&url).unwrap();
    // Every connection of the database is cut (a restart, a failover).
    let db = url
        .split_whitespace()
        .find_map(|w| w.strip_prefix("dbname="))
        .unwrap()
        .to_string();
    superuser(
        &url,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}' AND pid <> pg_backend_pid()"
        ),
    );
    // Meanwhile another process writes: it connects again by itself.
    let event = b.execute(manager("bnoel")).unwrap();
    assert_eq!(event.seq, 2);
    // `a` reconnects by itself and sees it.
    testing::seen_up_to(&mut a, 2);
    assert_eq!(a.model(), b.model());
}

#[test]
fn the_schema_is_migrated_once_and_a_newer_one_is_refused() {
    let Some(url) = testing::fresh_database(false) else {
        return;
    };
    let not_yet = PgStore::open(&url).err().expect("no schema yet").to_string();
    assert!(not_yet.contains("rapport migrate"), "{not_yet}");
    let first = rapport_pg::migrate(&url, None).unwrap();
    assert_eq!((first.from, first.to), (0, rapport_pg::schema::LATEST));
    let again = rapport_pg::migrate(&url, None).unwrap();
    assert_eq!(again.from, again.to);
    PgStore::open(&url).unwrap();
    superuser(
        &url,
        "INSERT INTO rapport_schema (version, name) VALUES (99, 'from the future')",
    );
    let newer = PgStore::open(&url).err().expect("a newer schema").to_string();
    assert!(newer.contains("newer") && newer.contains("99"), "{newer}");
    let refused = rapport_pg::migrate(&url, None).unwrap_err().to_string();
    assert!(refused.contains("newer"), "{refused}");
}
