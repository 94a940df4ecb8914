//! Identity and permissions on PostgreSQL: each user connects as their own
//! role; the manager/lead rules are the sled server's; with managers who
//! see their own clients only, row-level security keeps every other
//! client's rows from them, through rapport or psql alike.

use chrono::NaiveDate;
use rapport_core::backend::{Backend, BackendError};
use rapport_core::domain::*;
use rapport_core::write::Command;
use rapport_pg::schema::ManagersSee;
use rapport_pg::{PgStore, testing};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

static ROLES: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn with_user(url: &str, user: &str) -> String {
    let kept: Vec<&str> = url.split_whitespace().filter(|w| !w.starts_with("user=")).collect();
    format!("{} user={user}", kept.join(" "))
}

fn settle(client: u32, amount: i64) -> Command {
    Command::RecordSettlement {
        client: ClientId(client),
        date: d("2026-03-01"),
        amount: Money(amount),
        product: None,
        doc: format!("F-{amount}"),
    }
}

fn client(reference: &str, manager: u32) -> Command {
    Command::AddClient {
        reference: reference.into(),
        name: format!("{reference} name"),
        segment: None,
        manager: Some(ManagerId(manager)),
        created: d("2025-01-01"),
        notes: String::new(),
        tags: vec![],
    }
}

/// amy (manager 1, client C1), zed (manager 2, client C2), lea (lead);
/// roles of their own in `rapport_user`, as a DBA makes them.
fn team(see: ManagersSee) -> Option<String> {
    let url = testing::fresh_database(true)?;
    let admin = testing::superuser_url(&url).expect("the test cluster");
    {
        // Roles are the cluster's, shared by the tests running at once:
        // one test makes them at a time.
        let _one = ROLES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for role in ["amy", "zed", "lea", "outsider"] {
            let _ = postgres::Client::connect(&admin, postgres::NoTls)
                .and_then(|mut c| c.batch_execute(&format!("CREATE ROLE {role} LOGIN")));
            testing::as_superuser(&admin, &format!("GRANT rapport_user TO {role}"));
        }
    }
    let mut owner = PgStore::open(&url).unwrap();
    let at = chrono::Utc::now().naive_utc();
    let setup = Command::Batch {
        label: "team".into(),
        commands: vec![
            Command::AddManager {
                login: "amy".into(),
                name: "Amy".into(),
                role: Role::Manager,
            },
            Command::AddManager {
                login: "zed".into(),
                name: "Zed".into(),
                role: Role::Manager,
            },
            Command::AddManager {
                login: "lea".into(),
                name: "Léa".into(),
                role: Role::Lead,
            },
            client("C1", 1),
            client("C2", 2),
            settle(1, 100),
            settle(2, 200),
        ],
    };
    owner.execute_as("lea", at, setup).unwrap();
    rapport_pg::migrate(&url, Some(see)).unwrap();
    Some(url)
}

#[test]
fn a_manager_who_sees_their_own_clients_sees_nothing_of_the_others() {
    let Some(url) = team(ManagersSee::Own) else { return };
    let mut amy = PgStore::open(&with_user(&url, "amy")).unwrap();
    let refs: Vec<&str> = amy.model().clients.values().map(|c| c.reference.as_str()).collect();
    assert_eq!(refs, vec!["C1"]);
    assert_eq!(amy.model().managers.len(), 3, "reference data is everyone's");
    assert!(Backend::settlements_of(&mut amy, ClientId(2)).unwrap().is_empty());
    // psql as amy: the rows of C2 are not there, in any table or the log.
    let mut psql = postgres::Client::connect(&with_user(&url, "amy"), postgres::NoTls).unwrap();
    for (sql, expected) in [
        ("SELECT count(*) FROM clients", 1i64),
        ("SELECT count(*) FROM settlements", 1),
        ("SELECT count(*) FROM aggregates", 1),
        ("SELECT count(*) FROM event_changes WHERE client = 2", 0),
        ("SELECT count(*) FROM events WHERE 2 = ANY(clients)", 0),
    ] {
        let n: i64 = psql.query_one(sql, &[]).unwrap().get(0);
        assert_eq!(n, expected, "{sql}");
    }
    // Nor can she write them, or the reference data, behind rapport's back.
    let sneaked = psql.execute("UPDATE clients SET name = 'x' WHERE id = 2", &[]).unwrap();
    assert_eq!(sneaked, 0);
    let forged =
        psql.batch_execute("INSERT INTO products (id, code, name, line, record) VALUES (9, 'x', 'x', 'x', '{}')");
    assert!(forged.is_err(), "a manager wrote a product");
    // Nor sign a command with another's name (a lead's role may: a server
    // logs its sessions' commands under the logins it checked).
    let signed = psql.batch_execute(
        "INSERT INTO events (seq, login, at, summary, clients, logged) VALUES (999, 'lea', now(), 'x', '{}', true)",
    );
    assert!(signed.is_err(), "a manager logged a command as the lead");
    psql.batch_execute(
        "BEGIN; INSERT INTO events (seq, login, at, summary, clients, logged) \
         VALUES (999, 'amy', now(), 'x', '{}', true); ROLLBACK",
    )
    .unwrap();
    let mut lead_sql = postgres::Client::connect(&with_user(&url, "lea"), postgres::NoTls).unwrap();
    lead_sql
        .batch_execute(
            "BEGIN; INSERT INTO events (seq, login, at, summary, clients, logged) \
             VALUES (999, 'amy', now(), 'x', '{}', true); ROLLBACK",
        )
        .unwrap();
    // Through rapport: her own client, yes; the reference data, no.
    Backend::execute(&mut amy, "amy", settle(1, 150)).unwrap();
    let refused = Backend::execute(
        &mut amy,
        "amy",
        Command::AddProduct {
            code: "crm".into(),
            name: "CRM".into(),
            line: "software".into(),
        },
    );
    assert!(matches!(refused, Err(BackendError::Denied(_))), "{refused:?}");
    // The lead sees everything, amy's settlement among it, live.
    let mut lea = PgStore::open(&with_user(&url, "lea")).unwrap();
    assert_eq!(lea.model().clients.len(), 2);
    let seq = amy.model().counters.seq;
    Backend::execute(&mut amy, "amy", settle(1, 175)).unwrap();
    testing::seen_up_to(&mut lea, seq + 1);
    assert_eq!(Backend::settlements_of(&mut lea, ClientId(1)).unwrap().len(), 3);
    // zed's work on C2 reaches amy as a command she may not read: her
    // sequence moves on, her model keeps only what she may see.
    let mut zed = PgStore::open(&with_user(&url, "zed")).unwrap();
    let event = Backend::execute(&mut zed, "zed", settle(2, 250)).unwrap();
    let arrived = testing::seen_up_to(&mut amy, event.seq);
    let last = arrived.last().unwrap();
    assert!(last.changes.is_empty() && last.summary.is_empty(), "{last:?}");
    assert_eq!(amy.model().clients.len(), 1);
    let verified = Backend::verify(&mut amy).unwrap();
    assert!(verified.ok(), "{:?}", verified.problems);
}

#[test]
fn managers_who_see_all_see_every_client_and_users_who_are_not_managers_change_nothing() {
    let Some(url) = team(ManagersSee::All) else { return };
    let mut amy = PgStore::open(&with_user(&url, "amy")).unwrap();
    assert_eq!(amy.model().clients.len(), 2);
    // A manager still changes only their own clients (the rules).
    let refused = Backend::execute(&mut amy, "amy", settle(2, 5));
    assert!(matches!(refused, Err(BackendError::Denied(_))), "{refused:?}");
    // A role that is no manager and not the owner: refused, nothing written.
    let mut outsider = PgStore::open(&with_user(&url, "outsider")).unwrap();
    let refused = Backend::execute(&mut outsider, "outsider", settle(1, 5));
    assert!(
        matches!(&refused, Err(BackendError::Denied(why)) if why.contains("not a manager")),
        "{refused:?}"
    );
    let seq = amy.model().counters.seq;
    assert_eq!(PgStore::open(&url).unwrap().model().counters.seq, seq);
}

/// A client handed from one manager to another, with `own`: the new
/// manager's open session reads her share again (the client's records and
/// aggregates come with it, and her next command plans on them); the old
/// manager's next session no longer has it.
#[test]
fn a_client_handed_to_another_manager_moves_with_its_records() {
    let Some(url) = team(ManagersSee::Own) else { return };
    let mut amy = PgStore::open(&with_user(&url, "amy")).unwrap();
    assert_eq!(amy.model().clients.len(), 1);
    let mut lea = PgStore::open(&with_user(&url, "lea")).unwrap();
    let c2 = lea.model().clients[&ClientId(2)].clone();
    let event = Backend::execute(
        &mut lea,
        "lea",
        Command::EditClient {
            client: c2.id,
            expected_version: Some(c2.version),
            name: c2.name.clone(),
            segment: c2.segment,
            manager: Some(ManagerId(1)),
            notes: c2.notes.clone(),
            tags: c2.tags.clone(),
        },
    )
    .unwrap();
    // Her next command comes first: it reads her share again, then plans.
    Backend::execute(&mut amy, "amy", settle(2, 300)).unwrap();
    assert!(event.seq < amy.model().counters.seq);
    let whole = PgStore::open(&with_user(&url, "amy")).unwrap();
    assert_eq!(amy.model().clients.len(), 2);
    assert_eq!(
        amy.model().aggregates,
        whole.model().aggregates,
        "the moved client's aggregates"
    );
    assert_eq!(Backend::settlements_of(&mut amy, ClientId(2)).unwrap().len(), 2);
    let verified = Backend::verify(&mut amy).unwrap();
    assert!(verified.ok(), "{:?}", verified.problems);
    // Handed back: the other manager's next session has it again.
    let c2 = amy.model().clients[&ClientId(2)].clone();
    let back = Backend::execute(
        &mut lea,
        "lea",
        Command::EditClient {
            client: c2.id,
            expected_version: None,
            name: c2.name.clone(),
            segment: c2.segment,
            manager: Some(ManagerId(2)),
            notes: c2.notes.clone(),
            tags: c2.tags.clone(),
        },
    )
    .unwrap();
    let zed = PgStore::open(&with_user(&url, "zed")).unwrap();
    assert_eq!(zed.model().clients.len(), 1);
    assert_eq!(zed.model().counters.seq, back.seq);
    let amy_now = PgStore::open(&with_user(&url, "amy")).unwrap();
    assert_eq!(
        amy_now.model().clients.len(),
        1,
        "the old manager's next session still has it"
    );
    // Her open session learns it too: the command is one she may not read,
    // so it checks her share, finds C2 gone and reads it again.
    let start = std::time::Instant::now();
    while amy.model().clients.contains_key(&ClientId(2)) {
        let _ = Backend::poll_events(&mut amy);
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "her open session still shows C2"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(amy.model() == amy_now.model());
}
