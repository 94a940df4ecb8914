//! Group commit (`PgStore::execute_batch`, what a server does with the
//! commands its sessions send at once): one transaction, each command
//! planned against the model as the ones before it left it and refused
//! alone; what another process committed comes first; a group that fails
//! to commit is applied one command at a time, each with its own answer.

mod common;

use common::{client, settle};
use rapport_core::domain::*;
use rapport_core::write::Event;
use rapport_pg::{PgError, PgStore, testing};

fn login(store: &PgStore) -> String {
    store.login().to_string()
}

fn amounts(url: &str, client: u32) -> Vec<i64> {
    let mut psql = postgres::Client::connect(url, postgres::NoTls).unwrap();
    psql.query(
        "SELECT amount_cents FROM settlements WHERE client = $1 ORDER BY id",
        &[&(client as i32)],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

fn events_at(url: &str) -> Vec<(i64, chrono::NaiveDateTime)> {
    let mut psql = postgres::Client::connect(url, postgres::NoTls).unwrap();
    psql.query("SELECT seq, at FROM events ORDER BY seq", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[test]
fn a_group_is_one_transaction_of_commands_each_planned_after_the_one_before() {
    let Some(url) = testing::fresh_database(true) else {
        return;
    };
    let mut store = PgStore::open(&url).unwrap();
    let who = login(&store);
    let before = store.model().counters.seq;
    let next_client = store.model().counters.client + 1;
    let answers = store.execute_batch(&[
        (who.clone(), client("G1")),
        // The ref the command before took: refused, alone.
        (who.clone(), client("G1")),
        // About the client the first command adds.
        (who.clone(), settle(next_client, 500)),
        (who.clone(), client("G2")),
    ]);
    assert_eq!(answers.len(), 4);
    let seqs: Vec<u64> = answers.iter().filter_map(|a| a.as_ref().ok().map(|e| e.seq)).collect();
    assert_eq!(seqs, vec![before + 1, before + 2, before + 3]);
    match &answers[1] {
        Err(PgError::Command(e)) => assert!(e.to_string().contains("G1"), "{e}"),
        other => panic!("the second G1 must be refused: {other:?}"),
    }
    // One transaction: the three events have the one time of the group.
    let logged = events_at(&url);
    let group: Vec<_> = logged.iter().filter(|(seq, _)| *seq as u64 > before).collect();
    assert_eq!(group.len(), 3);
    assert!(group.iter().all(|(_, at)| *at == group[0].1));
    // What a new session reads is what this one holds.
    let fresh = PgStore::open(&url).unwrap();
    for reference in ["G1", "G2"] {
        assert!(fresh.model().client_by_ref(reference).is_some(), "{reference}");
    }
    assert_eq!(fresh.model().counters.seq, store.model().counters.seq);
    assert_eq!(
        fresh
            .model()
            .aggregates
            .get(&ClientId(next_client))
            .map(|a| format!("{a:?}")),
        store
            .model()
            .aggregates
            .get(&ClientId(next_client))
            .map(|a| format!("{a:?}")),
    );
    assert_eq!(amounts(&url, next_client), vec![500]);
}

#[test]
fn what_another_process_committed_comes_before_the_group() {
    let Some(url) = testing::fresh_database(true) else {
        return;
    };
    let mut a = PgStore::open(&url).unwrap();
    let mut b = PgStore::open(&url).unwrap();
    let who = login(&a);
    let first = b.execute(client("B1")).unwrap();
    let answers = a.execute_batch(&[(who.clone(), client("A1")), (who.clone(), client("A2"))]);
    let events: Vec<Event> = answers.into_iter().map(Result::unwrap).collect();
    assert_eq!(events[0].seq, first.seq + 1);
    assert_eq!(events[1].seq, first.seq + 2);
    // A server sends on what it caught up with, before its own events.
    let arrived: Vec<u64> = a.take_arrived().iter().map(|e| e.seq).collect();
    assert_eq!(arrived, vec![first.seq]);
    assert!(a.model().client_by_ref("B1").is_some());
}

#[test]
fn a_group_that_fails_to_commit_is_applied_one_command_at_a_time() {
    let Some(url) = testing::fresh_database(true) else {
        return;
    };
    let mut store = PgStore::open(&url).unwrap();
    let who = login(&store);
    let id = store.execute(client("F1")).unwrap().seq as u32; // the first client: id 1
    assert_eq!(store.model().client_by_ref("F1").map(|c| c.id), Some(ClientId(id)));
    // A rule only the database knows: the planner accepts 13 cents, the
    // row is refused when the group is written.
    let mut owner = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    owner
        .batch_execute("ALTER TABLE settlements ADD CONSTRAINT not_13 CHECK (amount_cents <> 13)")
        .unwrap();
    let before = store.model().counters.seq;
    let answers = store.execute_batch(&[
        (who.clone(), settle(id, 12)),
        (who.clone(), settle(id, 13)),
        (who.clone(), settle(id, 14)),
    ]);
    assert!(answers[0].is_ok() && answers[2].is_ok(), "{answers:?}");
    assert!(answers[1].is_err(), "{answers:?}");
    assert_eq!(answers[0].as_ref().unwrap().seq, before + 1);
    assert_eq!(answers[2].as_ref().unwrap().seq, before + 2);
    assert_eq!(amounts(&url, id), vec![12, 14]);
    // The model holds what the database holds, and goes on.
    let fresh = PgStore::open(&url).unwrap();
    let total = |s: &PgStore| s.model().aggregates.get(&ClientId(id)).map(|a| format!("{a:?}"));
    assert_eq!(total(&store), total(&fresh));
    store.execute(settle(id, 15)).unwrap();
    assert_eq!(amounts(&url, id), vec![12, 14, 15]);
    assert_eq!(store.model().counters.seq, before + 3);
}
