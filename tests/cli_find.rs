//! `rapport find`, `duplicates`, `merge` and `views` through the real
//! binary: an incoming call found by the digits of the number, which field
//! matched; likely duplicates refused on creation and import unless
//! allowed; a duplicate merged and the merge undone; shared views.

mod common;

use common::*;

on_both! {
fn a_caller_is_found_by_the_digits_of_the_number(kind) {
    let Some(book) = Book::on(kind) else { return };
    book.ok(&[
        "person",
        "add",
        "C1",
        "--name",
        "Émile Wagner",
        "--phone",
        "+33 6 12 34 56 78",
        "--email",
        "emile@muller.example",
    ]);
    book.ok(&[
        "person",
        "add",
        "C2",
        "--name",
        "Anna Berg",
        "--phone",
        "01 77 27 77 00",
    ]);
    let found = book.ok(&["find", "0612345678"]);
    let row = found.lines().find(|l| l.starts_with("C1 ")).unwrap_or_default();
    assert!(
        row.contains("phone") && row.contains("+33 6 12 34 56 78") && row.contains("Émile Wagner"),
        "{found}"
    );
    assert!(!found.contains("C2"), "{found}");
    let json: serde_json::Value = serde_json::from_str(&book.ok(&["find", "77 27 77", "--format", "json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["ref"], "C2");
    assert_eq!(json[0]["field"], "phone");
    assert_eq!(json[0]["person"], "Anna Berg");
    let json: serde_json::Value = serde_json::from_str(&book.ok(&["find", "muller", "--format", "json"])).unwrap();
    assert_eq!(json[0]["ref"], "C1");
    assert_eq!(json[0]["field"], "name");
    assert_eq!(book.ok(&["find", "0699"]), "");
    assert_eq!(book.run(&["find", " "]).status.code(), Some(2));
}
}

on_both! {
fn likely_duplicates_are_listed_and_refused_unless_allowed(kind) {
    let Some(book) = Book::on(kind) else { return };
    // C1 is "Müller & Söhne": the same name once the legal form goes.
    let o = book.run(&["client", "add", "--ref", "C3", "--name", "MUELLER und Söhne GmbH"]);
    assert!(
        o.status.success(),
        "a different spelling is not the same name: {}",
        stderr(&o)
    );
    let o = book.run(&["client", "add", "--ref", "C4", "--name", "Müller & Söhne GmbH"]);
    assert_eq!(o.status.code(), Some(2));
    let said = stderr(&o);
    assert!(
        said.contains("looks like C1 Müller & Söhne (same name (muller sohne))"),
        "{said}"
    );
    assert!(said.contains("--allow-duplicate"), "{said}");
    assert!(!book.ok(&["export", "clients"]).contains("C4,"), "nothing created");
    book.ok(&[
        "client",
        "add",
        "--ref",
        "C4",
        "--name",
        "Müller & Söhne GmbH",
        "--allow-duplicate",
    ]);
    // Many of one name: the first five are named, the others counted.
    for n in 10..16 {
        let reference = format!("C{n}");
        book.ok(&["client", "add", "--ref", &reference, "--name", "Muller Sohne", "--allow-duplicate"]);
    }
    let o = book.run(&["client", "add", "--ref", "C20", "--name", "Müller & Söhne"]);
    let said = stderr(&o);
    assert_eq!(said.matches("(same name (muller sohne))").count(), 5, "{said}");
    assert!(said.contains("C1 Müller & Söhne") && said.contains(" and 3 more of that name;"), "{said}");
    let pairs = book.ok(&["duplicates"]);
    let row = pairs.lines().find(|l| l.starts_with("C1 ")).unwrap_or_default();
    assert!(row.contains("C4") && row.contains("same name"), "{pairs}");
    // A shared phone pairs clients too.
    book.ok(&["person", "add", "C2", "--name", "A", "--phone", "+49 30 1234567"]);
    book.ok(&["person", "add", "C3", "--name", "B", "--phone", "030/1234567"]);
    let json: serde_json::Value = serde_json::from_str(&book.ok(&["duplicates", "--format", "json"])).unwrap();
    let phone = json
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["a"] == "C2" && p["b"] == "C3")
        .expect("C2 and C3 share a phone");
    assert_eq!(phone["reasons"][0]["rule"], "same_phone");

    // Import: a row like a client there, or like an earlier row, is refused
    // at its line; with --allow-duplicate both are kept.
    let csv = book.home.path().join("clients.csv");
    std::fs::write(&csv, "ref,name\nC5,Société Générale SA\nC6,Brandt KG\nC7,BRANDT GmbH\n").unwrap();
    let o = book.run(&["import", "clients", csv.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let said = stderr(&o);
    assert!(said.contains(":2: C5 looks like C2 Société Générale"), "{said}");
    assert!(said.contains(":4: C7 looks like C6 Brandt KG (line 3)"), "{said}");
    assert!(!book.ok(&["export", "clients"]).contains("C5,"));
    book.ok(&["import", "clients", csv.to_str().unwrap(), "--allow-duplicate"]);
    assert!(book.ok(&["export", "clients"]).contains("C7,BRANDT GmbH"));
}
}

on_both! {
fn several_clients_are_edited_at_once_all_or_nothing_and_undone_as_one(kind) {
    let Some(book) = Book::on(kind) else { return };
    book.ok(&["client", "edit", "C1", "--tag", "old"]);
    book.ok(&[
        "client",
        "edit",
        "C1",
        "C2",
        "--manager",
        "lea",
        "--tag",
        "+vip",
        "--tag",
        "-old",
    ]);
    let export = book.ok(&["export", "clients"]);
    assert!(
        export.contains("C1,Müller & Söhne,retail,lea,2025-01-01,,vip,"),
        "{export}"
    );
    assert!(
        export.contains("C2,Société Générale,retail,lea,2025-01-01,,vip,"),
        "{export}"
    );
    // One unknown ref: nothing changed.
    let o = book.run(&["client", "edit", "C1", "C404", "--tag", "+x"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(book.ok(&["export", "clients"]), export);
    let o = book.run(&["client", "edit", "C1", "C2", "--tag", "+x", "--tag", "plain"]);
    assert!(stderr(&o).contains("either all"), "{}", stderr(&o));
    // One undo puts both back.
    book.ok(&["undo"]);
    let back = book.ok(&["export", "clients"]);
    assert!(back.contains("C1,Müller & Söhne,retail,amy,2025-01-01,,old,"), "{back}");
    assert!(back.contains("C2,Société Générale,retail,amy,2025-01-01,,,"), "{back}");
}
}

// `rapport merge A B`: B's settlements, contacts and persons move to A,
// B is archived with a pointer; the totals stay; `rapport undo` takes it
// back; a merge into itself or an archived client is refused.
on_both! {
fn a_duplicate_is_merged_and_the_merge_undone(kind) {
    let Some(book) = Book::on(kind) else { return };
    let csv = book.home.path().join("s.csv");
    std::fs::write(
        &csv,
        "client,date,amount,product\nC1,2026-03-05,500,crm\nC2,2026-04-05,250.25,crm\nC2,2026-05-05,100,care\n",
    )
    .unwrap();
    book.ok(&["import", "settlements", csv.to_str().unwrap()]);
    book.ok(&["log", "C2", "--channel", "call", "--summary", "Order by phone"]);
    book.ok(&["person", "add", "C2", "--name", "Eva Roth", "--phone", "+49 30 1234"]);
    let exports = |book: &Book| -> Vec<String> {
        ["settlements", "contacts", "log", "clients"]
            .iter()
            .map(|k| book.ok(&["export", k]))
            .collect()
    };
    let before = exports(&book);
    let said = book.ok(&["merge", "C1", "C2", "--on", "2026-11-20"]);
    assert!(
        said.starts_with("merge C2 into C1: 2 settlements, 1 logged contact, 1 contact person moved; C2 archived"),
        "{said}"
    );
    let settlements = book.ok(&["export", "settlements"]);
    assert_eq!(
        settlements.lines().filter(|l| l.starts_with("C1,")).count(),
        3,
        "{settlements}"
    );
    assert!(!settlements.contains("C2,"), "{settlements}");
    let found = book.ok(&["find", "+49 30 1234"]);
    assert!(found.starts_with("Ref") && found.contains("C1 "), "{found}");
    let trash = book.ok(&["trash"]);
    assert!(trash.contains("C2"), "{trash}");
    let history = book.ok(&["history", "C1"]);
    assert!(history.contains("merge C2 into C1"), "{history}");
    // Refused, with nothing changed.
    let after = exports(&book);
    for (args, why) in [
        (vec!["merge", "C1", "C1"], "cannot be merged into itself"),
        (vec!["merge", "C1", "C2"], "is archived"),
        (vec!["merge", "C2", "C1"], "is archived"),
        (vec!["merge", "C1", "NOPE"], "NOPE"),
    ] {
        let o = book.run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(why), "{args:?}: {}", stderr(&o));
        assert_eq!(exports(&book), after, "{args:?} changed something");
    }
    let undone = book.ok(&["undo"]);
    assert!(
        undone.starts_with("undo #") && undone.contains("merge C2 into C1"),
        "{undone}"
    );
    assert_eq!(exports(&book), before);
    assert!(book.ok(&["verify"]).contains("agrees"));
}
}

/// `rapport views` lists what a lead shared with the team; `views unshare`
/// takes one back.
#[test]
fn shared_views_are_listed_and_unshared() {
    let book = Book::new();
    {
        let mut store = rapport::store::Store::open(&db_in(book.home.path())).unwrap();
        store
            .execute(
                "lea",
                rapport::write::Command::ShareView(rapport::domain::SharedView {
                    number: 0,
                    name: "Brasseries".into(),
                    tab: 0,
                    filter: "brasserie".into(),
                    manager: Some("amy".into()),
                    sort: Some("Turnover".into()),
                    descending: true,
                    as_of: Some("today".into()),
                    who: String::new(),
                    seq: 0,
                }),
            )
            .unwrap();
    }
    let listed = book.ok(&["views"]);
    let row = listed.lines().nth(1).unwrap_or_default();
    for part in ["Brasseries", "brasserie", "amy", "Turnover ↓", "today", "lea"] {
        assert!(row.contains(part), "{part}: {listed}");
    }
    let json: serde_json::Value = serde_json::from_str(&book.ok(&["views", "--format", "json"])).unwrap();
    assert_eq!(json[0]["name"], "Brasseries");
    let o = book.run(&["views", "unshare", "Nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("shared view 'Nope' not found"), "{}", stderr(&o));
    book.ok(&["views", "unshare", "brasseries"]);
    assert_eq!(book.ok(&["views"]).lines().count(), 1, "only the heading");
}
