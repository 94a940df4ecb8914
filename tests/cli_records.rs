//! `rapport client add|edit` and `rapport person add|edit` through the real
//! binary: what they store, what they print (text and JSON), and bad input
//! refused with exit 2 and nothing changed.

mod common;

use common::*;

fn json(o: &std::process::Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_str(stdout(o).trim()).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

on_both! {
fn clients_are_added_and_edited_field_by_field(kind) {
    let Some(book) = Book::on(kind) else { return };
    let home = &book.home;
    let db = book.db.as_str();
    let run = |args: &[&str]| rapport(home.path(), &[&["--db", db, "--server", "never"], args].concat());

    let o = run(&[
        "client",
        "add",
        "--ref",
        "C9",
        "--name",
        "Atelier Neuf",
        "--segment",
        "retail",
        "--manager",
        "amy",
        "--created",
        "2026-02-01",
        "--notes",
        "VIP, calls before 10",
        "--tag",
        "vip",
        "--tag",
        "export",
        "--format",
        "json",
    ]);
    let said = json(&o);
    assert_eq!(said["command"], "add_client");
    assert_eq!(said["changes"][0]["Client"]["reference"], "C9");
    assert_eq!(
        said["changes"][0]["Client"]["tags"],
        serde_json::json!(["vip", "export"])
    );

    // Only the fields given change.
    let o = run(&["client", "edit", "C9", "--notes", "Calls after 14h"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("C9"), "{}", stdout(&o));
    let o = run(&["client", "edit", "C9", "--no-tags", "--segment", ""]);
    assert!(o.status.success(), "{}", stderr(&o));

    // Bad input: exit 2, a clear message, nothing changed.
    for (args, message) in [
        (
            &["client", "add", "--ref", "C9", "--name", "Again"][..],
            "already exists",
        ),
        (
            &["client", "add", "--ref", "C10", "--name", "X", "--segment", "nowhere"][..],
            "unknown segment",
        ),
        (
            &["client", "add", "--ref", "C10", "--name", "X", "--manager", "zoe"][..],
            "unknown manager",
        ),
        (&["client", "edit", "C404", "--name", "X"][..], "unknown client"),
        (&["client", "add", "--ref", "C 10", "--name", "X"][..], "client ref"),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
    }

    // The history: every change, who made it and what.
    let o = run(&["history", "C9"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("History of C9 Atelier Neuf: 3 changes"), "{text}");
    assert!(text.contains("client C9 created: Atelier Neuf"), "{text}");
    assert!(text.contains("client now: Atelier Neuf · no segment · amy"), "{text}");
    let entries = json(&run(&["history", "C9", "--format", "json"]));
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert!(
        entries.windows(2).all(|w| w[0]["seq"].as_u64() < w[1]["seq"].as_u64()),
        "oldest first"
    );
    assert_eq!(
        entries[0]["summary"].as_str().map(|s| s.starts_with("add client C9")),
        Some(true)
    );
    assert_eq!(entries[2]["changes"][0]["Client"]["version"], 3);
    let o = run(&["history", "C404"]);
    assert_eq!(o.status.code(), Some(2));

    let store = book.open();
    let c = store.model().client_by_ref("C9").unwrap();
    assert_eq!(
        (c.name.as_str(), c.notes.as_str(), c.tags.len(), c.segment, c.version),
        ("Atelier Neuf", "Calls after 14h", 0, None, 3)
    );
    assert_eq!(c.created, d("2026-02-01"));
    assert!(store.model().client_by_ref("C10").is_none());
}
}

on_both! {
fn contact_persons_keep_several_phones_and_a_checked_email(kind) {
    let Some(book) = Book::on(kind) else { return };
    let home = &book.home;
    let db = book.db.as_str();
    let run = |args: &[&str]| rapport(home.path(), &[&["--db", db, "--server", "never"], args].concat());

    let o = run(&["person", "add", "C1", "--name", "Anne Martin", "--email", "anne@"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not an email address"), "{}", stderr(&o));

    let o = run(&[
        "person",
        "add",
        "C1",
        "--name",
        "Anne Martin",
        "--role",
        "buyer",
        "--phone",
        "+33 6 12 34 56 78",
        "--phone",
        "+33 1 40 00 00 00",
        "--email",
        "anne@muller.de",
        "--birthday",
        "1980-02-29",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    let said = json(&run(&[
        "person",
        "edit",
        "C1",
        "anne martin",
        "--role",
        "head buyer",
        "--format",
        "json",
    ]));
    assert_eq!(said["command"], "edit_person");
    let p = &said["changes"][0]["Person"];
    assert_eq!(p["role"], "head buyer");
    assert_eq!(p["phone"], "+33 6 12 34 56 78, +33 1 40 00 00 00");
    assert_eq!(p["email"], "anne@muller.de");

    let o = run(&["person", "edit", "C1", "Nobody", "--role", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no contact person named 'Nobody'"),
        "{}",
        stderr(&o)
    );
    let o = run(&["person", "edit", "C1", "Anne Martin", "--birthday", "31/02/1980"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    let o = run(&["person", "edit", "C1", "Anne Martin", "--birthday", ""]);
    assert!(o.status.success(), "{}", stderr(&o));
    let store = book.open();
    let anne = store
        .model()
        .persons_of(rapport::domain::ClientId(1))
        .next()
        .unwrap()
        .clone();
    assert_eq!((anne.role.as_str(), anne.birthday), ("head buyer", None));
}
}

on_both! {
/// `rapport settlement edit|delete`: a settlement named by its client, date
/// and amount; several alike need `--match-doc`; bad input changes nothing.
fn settlements_are_corrected_and_deleted_by_date_and_amount(kind) {
    let Some(book) = Book::on(kind) else { return };
    let settlement = |doc: &str| rapport::write::Command::RecordSettlement {
        client: rapport::domain::ClientId(1),
        date: d("2026-11-03"),
        amount: rapport::domain::Money(120_000),
        product: None,
        doc: doc.into(),
    };
    book.as_user("amy", vec![settlement("INV-1"), settlement("INV-2")]);
    let home = &book.home;
    let db = book.db.as_str();
    let run = |args: &[&str]| rapport(home.path(), &[&["--db", db, "--server", "never"], args].concat());

    let o = run(&[
        "settlement",
        "edit",
        "C1",
        "2026-11-03",
        "1200.00",
        "--new-amount",
        "1250",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("2 settlements of 1200.00 on 2026-11-03: name one with --match-doc ('INV-1', 'INV-2')"),
        "{}",
        stderr(&o)
    );
    let said = json(&run(&[
        "settlement",
        "edit",
        "C1",
        "2026-11-03",
        "1200.00",
        "--match-doc",
        "INV-2",
        "--new-amount",
        "1250",
        "--format",
        "json",
    ]));
    assert_eq!(said["command"], "edit_settlement");
    assert_eq!(said["changes"][0]["Settlement"]["old"]["amount"], 120_000);
    assert_eq!(said["changes"][0]["Settlement"]["new"]["amount"], 125_000);
    let o = run(&["settlement", "delete", "C1", "2026-11-03", "1200"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for (args, message) in [
        (
            &["settlement", "delete", "C1", "2026-11-03", "1200"][..],
            "no settlement of 1200.00",
        ),
        (&["settlement", "delete", "C1", "2026-11-03", "12x"][..], "the amount"),
        (
            &["settlement", "edit", "C1", "2026-11-03", "1250", "--product", "nope"][..],
            "unknown product",
        ),
        (
            &["settlement", "delete", "C404", "2026-11-03", "1"][..],
            "unknown client",
        ),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
    }
    let mut store = book.open();
    let left = store.settlements_of(rapport::domain::ClientId(1)).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!((left[0].doc.as_str(), left[0].amount.0), ("INV-2", 125_000));
    let classes = rapport::classes::compute(store.model(), d("2026-11-30"));
    assert_eq!(
        classes.get(rapport::domain::ClientId(1)).unwrap().turnover,
        125_000,
        "the aggregates follow"
    );
}
}

on_both! {
/// `contact edit|delete`, `task edit|delete`, `person archive|restore`,
/// `client archive|restore`, `trash [--purge]` and `undo [--dry-run]`: each
/// changes what it says (JSON: the changes), bad input changes nothing.
fn records_are_corrected_archived_purged_and_undone(kind) {
    let Some(book) = Book::on(kind) else { return };
    let (run, ok) = (|args: &[&str]| book.run(args), |args: &[&str]| book.ok(args));
    let refused = |args: &[&str], why: &str| {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        assert!(stderr(&o).contains(why), "{args:?}: {}", stderr(&o));
    };
    let export = |kind: &str| ok(&["export", kind]);

    // The contact log: named by client and minute.
    ok(&["log", "C1", "--channel", "call", "--summary", "First call"]);
    let log = export("log");
    let line = log.lines().find(|l| l.contains("First call")).unwrap();
    let at = line.split(',').nth(1).unwrap().get(..16).unwrap().to_string();
    refused(
        &["contact", "edit", "C1", "1999-03-02 10:16", "--summary", "x"],
        "no contact logged at",
    );
    refused(&["contact", "edit", "C1", &at, "--channel", "fax"], "--channel 'fax'");
    let said = json(&run(&[
        "contact",
        "edit",
        "C1",
        &at,
        "--summary",
        "Second thoughts",
        "--channel",
        "visit",
        "--format",
        "json",
    ]));
    assert_eq!(said["command"], "edit_contact");
    assert!(export("log").contains("visit,Second thoughts"));
    ok(&["contact", "delete", "C1", &at]);
    assert!(!export("log").contains("Second thoughts"));

    // Tasks: by the id `rapport task` printed.
    let said = ok(&["task", "C1", "2026-12-01", "Send the offer"]);
    let task = said.split_whitespace().next().unwrap().to_string();
    refused(&["task", "edit", "task-99", "--text", "x"], "no task task-99");
    ok(&[
        "task",
        "edit",
        &task,
        "--due",
        "2026-12-05",
        "--text",
        "Send the new offer",
    ]);
    assert!(export("tasks").contains("2026-12-05,Send the new offer"));
    ok(&["task", "edit", &task, "--done", "2026-12-04"]);
    ok(&["task", "edit", &task, "--done", ""]);
    assert!(export("tasks").contains("Send the new offer,,"), "reopened");

    // Undo walks back this user's commands, one at a time.
    assert!(ok(&["undo", "--dry-run"]).contains("Would undo #"));
    let before = export("tasks");
    ok(&["undo"]);
    assert!(
        export("tasks").contains("Send the new offer,2026-12-04"),
        "the reopening undone"
    );
    ok(&["undo"]);
    assert!(
        export("tasks").contains("Send the new offer,,"),
        "the completion undone"
    );
    assert_ne!(before, export("tasks").replace(",,", ",2026-12-04,"));
    ok(&["task", "delete", &task]);
    assert!(!export("tasks").contains("Send the new offer"));

    // Persons and clients go to the trash and come back.
    ok(&["person", "add", "C1", "--name", "Anne"]);
    ok(&["person", "archive", "C1", "anne"]);
    assert!(!export("contacts").contains("Anne"));
    refused(
        &["person", "edit", "C1", "Anne", "--role", "x"],
        "no contact person named",
    );
    ok(&["person", "restore", "C1", "Anne"]);
    assert!(export("contacts").contains("Anne"));
    let clients = export("clients");
    ok(&["client", "archive", "C2"]);
    assert!(!export("clients").contains("C2,"));
    refused(&["log", "C2", "--channel", "call", "--summary", "x"], "is archived");
    refused(&["client", "add", "--ref", "C2", "--name", "Again"], "archived");
    let trash = json(&run(&["trash", "--format", "json"]));
    assert_eq!(
        trash[0]["what"].as_str().map(|s| s.starts_with("client C2")),
        Some(true)
    );
    ok(&["client", "restore", "C2"]);
    assert_eq!(export("clients"), clients);

    // A purge waits the retention.
    ok(&["client", "archive", "C2"]);
    assert!(ok(&["trash", "--purge"]).contains("nothing purged"));
    assert!(ok(&["trash", "--purge", "--older-than", "0"]).contains("purge"));
    assert!(ok(&["trash"]).contains("empty"));
    refused(&["client", "restore", "C2"], "not in the trash");
    assert!(ok(&["verify"]).contains("agrees"));
    let mut store = book.open();
    assert!(store.model().client_by_ref("C2").is_none());
    let mut any_of_c2 = false;
    store
        .each_settlement(&mut |_, s| {
            any_of_c2 |= s.client.0 == 2;
            true
        })
        .unwrap();
    assert!(!any_of_c2, "a purged client's settlement is left");
}
}
