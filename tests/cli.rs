//! The real binary: demo determinism, imports good and bad, export →
//! import round trip, the locked-database message.

mod common;

use std::path::Path;

use common::*;

fn write(dir: &Path, name: &str, content: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.to_str().unwrap().to_string()
}

fn export_all(home: &Path, db: &str) -> Vec<(String, String)> {
    [
        "managers",
        "segments",
        "products",
        "portrait",
        "clients",
        "contacts",
        "settlements",
        "offers",
    ]
    .iter()
    .map(|k| {
        let o = rapport(home, &["--db", db, "export", k]);
        assert!(o.status.success(), "export {k}: {}", stderr(&o));
        (k.to_string(), stdout(&o))
    })
    .collect()
}

on_both! {
fn demo_is_deterministic_and_rich(kind) {
    let (Some(book_a), Some(book_b), Some(book_c)) = (Book::empty(kind), Book::empty(kind), Book::empty(kind)) else {
        return;
    };
    let home = &book_a.home;
    let (a, b, c) = (book_a.db.as_str(), book_b.db.as_str(), book_c.db.as_str());
    for db in [a, b] {
        let o = rapport(
            home.path(),
            &[
                "--db",
                db,
                "demo",
                "--clients",
                "120",
                "--seed",
                "7",
                "--today",
                "2026-03-31",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let ea = export_all(home.path(), a);
    let eb = export_all(home.path(), b);
    assert_eq!(ea, eb);
    let get = |k: &str| ea.iter().find(|(n, _)| n == k).unwrap().1.clone();
    let clients = get("clients");
    assert!(clients.contains("Société Générale Équipements"));
    assert!(clients.contains("Müller & Söhne"));
    assert_eq!(clients.lines().count(), 121);
    let settlements = get("settlements");
    assert!(settlements.lines().count() > 120 * 8, "too few settlements");
    assert!(settlements.contains(",-"), "no refunds");
    let offers = get("offers");
    for stage in [
        "presentation",
        "proposal",
        "agreement",
        "invoiced",
        "delivery",
        "won",
        "refused",
        "excluded",
    ] {
        assert!(offers.contains(&format!(",{stage},")), "no offer at {stage}");
    }
    // A different seed gives different data.
    rapport(
        home.path(),
        &[
            "--db",
            c,
            "demo",
            "--clients",
            "120",
            "--seed",
            "8",
            "--today",
            "2026-03-31",
        ],
    );
    assert_ne!(export_all(home.path(), c), ea);
    // The demo refuses to write into a database that has data.
    let o = rapport(home.path(), &["--db", a, "demo"]);
    assert_eq!(o.status.code(), Some(2));
}
}

on_both! {
fn export_import_round_trip(kind) {
    let (Some(book_src), Some(book_dst)) = (Book::empty(kind), Book::empty(kind)) else {
        return;
    };
    let home = &book_src.home;
    let (src, dst) = (book_src.db.as_str(), book_dst.db.as_str());
    let o = rapport(
        home.path(),
        &[
            "--db",
            src,
            "demo",
            "--clients",
            "60",
            "--today",
            "2026-11-22",
        ],
    );
    assert!(o.status.success());
    let exported = export_all(home.path(), src);
    for (kind, csv) in &exported {
        if kind == "offers" {
            continue;
        }
        let f = write(home.path(), &format!("{kind}.csv"), csv.as_bytes());
        // The demo's names repeat (`… SA` and `… SAS`): likely duplicates,
        // kept on purpose here.
        let o = rapport(
            home.path(),
            &["--db", dst, "import", kind, &f, "--allow-duplicate"],
        );
        assert!(o.status.success(), "import {kind}: {}", stderr(&o));
    }
    let again = export_all(home.path(), dst);
    for ((k, a), (_, b)) in exported.iter().zip(&again) {
        if k != "offers" {
            assert_eq!(a, b, "{k} differs after the round trip");
        }
    }
    // The contact log, tasks and surveys come back too (the `who` column
    // says who imported them, so it is left out of the comparison).
    let without_who = |csv: &str| -> Vec<String> {
        csv.lines()
            .map(|l| l.rsplit_once(',').map_or(l, |(rest, _)| rest).to_string())
            .collect()
    };
    for kind in ["log", "tasks", "surveys"] {
        let o = rapport(home.path(), &["--db", src, "export", kind]);
        assert!(o.status.success(), "export {kind}: {}", stderr(&o));
        let first = stdout(&o);
        assert!(first.lines().count() > 5, "the demo has some {kind}:\n{first}");
        let f = write(home.path(), &format!("{kind}.csv"), first.as_bytes());
        let o = rapport(home.path(), &["--db", dst, "import", kind, &f]);
        assert!(o.status.success(), "import {kind}: {}", stderr(&o));
        let o = rapport(home.path(), &["--db", dst, "export", kind]);
        assert_eq!(
            without_who(&first),
            without_who(&stdout(&o)),
            "{kind} differs after the round trip"
        );
    }
    // Bad rows are named by file and line, and nothing is imported.
    let bad = write(
        home.path(),
        "bad-log.csv",
        b"client,at,channel,summary\nC0001,2026-11-03 10:00,fax,Sent\nC0001,yesterday,call,\n",
    );
    let o = rapport(home.path(), &["--db", dst, "import", "log", &bad]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("bad-log.csv:2: channel: 'fax'"), "{err}");
    assert!(err.contains("bad-log.csv:3: at: 'yesterday'"), "{err}");
    assert!(err.contains("bad-log.csv:3: summary is empty"), "{err}");
    // JSON export is an array with one object per row.
    let o = rapport(
        home.path(),
        &["--db", dst, "export", "clients", "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 60);
    assert_eq!(v[1]["name"], "Müller & Söhne");
}
}

fn setup_reference(home: &Path, db: &str) {
    let seg = write(home, "seg.csv", b"id,name\nretail,Retail\n");
    let prod = write(home, "prod.csv", "\u{feff}id;name;line\ncrm;CRM;software\n".as_bytes());
    let mgr = write(home, "mgr.csv", b"login,name,role\namy,Amy,manager\n");
    let cli = write(
        home,
        "cli.csv",
        "ref;name;segment;manager;created\nC1;Müller;retail;amy;01/02/2025\nC2;Zoë;;;\n".as_bytes(),
    );
    for (k, f) in [
        ("segments", seg),
        ("products", prod),
        ("managers", mgr),
        ("clients", cli),
    ] {
        let o = rapport(home, &["--db", db, "import", k, &f]);
        assert!(o.status.success(), "{k}: {}", stderr(&o));
    }
}

on_both! {
fn good_imports_in_both_dialects(kind) {
    let Some(book) = Book::empty(kind) else { return };
    let home = &book.home;
    let db = book.db.as_str();
    setup_reference(home.path(), db);
    let s = write(
        home.path(),
        "s.csv",
        "client;date;amount;product;doc\nC1;31/03/2026;1234,56;crm;F-1\nC2;2026-03-01;-0,5;;\n".as_bytes(),
    );
    let o = rapport(home.path(), &["--db", db, "import", "settlements", &s]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("imported 2 settlements rows"));
    let out = stdout(&rapport(home.path(), &["--db", db, "export", "settlements"]));
    assert_eq!(
        out,
        "client,date,amount,product,doc\nC1,2026-03-31,1234.56,crm,F-1\nC2,2026-03-01,-0.50,,\n"
    );
    let clients = stdout(&rapport(home.path(), &["--db", db, "export", "clients"]));
    assert!(clients.contains("C1,Müller,retail,amy,2025-02-01"), "{clients}");

    // --create-missing creates unknown clients, dated by their first row.
    let s = write(
        home.path(),
        "s2.csv",
        b"client,date,amount\nNEW-9,2026-01-05,10\nNEW-9,2025-12-01,5\n",
    );
    let o = rapport(home.path(), &["--db", db, "import", "settlements", &s]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("s2.csv:2: unknown client 'NEW-9'"),
        "{}",
        stderr(&o)
    );
    let o = rapport(
        home.path(),
        &["--db", db, "import", "settlements", &s, "--create-missing"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("1 new clients created"));
    let clients = stdout(&rapport(home.path(), &["--db", db, "export", "clients"]));
    assert!(clients.contains("NEW-9,NEW-9,,,2025-12-01"), "{clients}");
}
}

on_both! {
fn bad_files_exit_2_with_file_line_and_write_nothing(kind) {
    let Some(book) = Book::empty(kind) else { return };
    let home = &book.home;
    let db = book.db.as_str();
    setup_reference(home.path(), db);
    let before = export_all(home.path(), db);
    let cases: Vec<(&str, &str, Vec<u8>, Vec<&str>)> = vec![
        (
            "settlements",
            "bad_date.csv",
            b"client,date,amount\nC1,2026-01-05,10\nC1,2026-02-30,10\n".to_vec(),
            vec!["bad_date.csv:3: date: '2026-02-30' is not a date"],
        ),
        (
            "settlements",
            "bad_amount.csv",
            b"client,date,amount\nC1,2026-01-05,12.345\nC1,2026-01-05,ten\n".to_vec(),
            vec![
                "bad_amount.csv:2: amount:",
                "bad_amount.csv:3: amount: 'ten' is not an amount",
            ],
        ),
        (
            "settlements",
            "unknown.csv",
            b"client,date,amount\nC1,2026-01-05,10\nC404,2026-01-05,10\n".to_vec(),
            vec!["unknown.csv:3: unknown client 'C404'"],
        ),
        (
            "settlements",
            "columns.csv",
            b"client,date,amount\nC1,2026-01-05,10,extra\n".to_vec(),
            vec!["columns.csv:2: expected 3 fields, found 4"],
        ),
        (
            "settlements",
            "header.csv",
            b"client,when,amount\nC1,2026-01-05,10\n".to_vec(),
            vec![
                "header.csv:1: unknown column 'when'",
                "header.csv:1: missing required column 'date'",
            ],
        ),
        (
            "settlements",
            "empty.csv",
            b"".to_vec(),
            vec!["empty.csv:1: the file is empty"],
        ),
        (
            "settlements",
            "garbage.bin",
            (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect(),
            vec!["garbage.bin:1:"],
        ),
        (
            "clients",
            "dup.csv",
            b"ref,name\nC9,Nine\nC9,Nine again\nC1,Exists\n".to_vec(),
            vec![
                "dup.csv:3: ref 'C9' appears twice",
                "dup.csv:4: ref 'C1' already exists",
            ],
        ),
        (
            "contacts",
            "contacts.csv",
            b"client,name,email,birthday\nC1,Ann,ann-at-example,1980-02-29\nC1,,a@b.c,\nC1,Bob,,31/02/1990\n".to_vec(),
            vec![
                "contacts.csv:2: 'ann-at-example' is not an email",
                "contacts.csv:3: name is empty",
                "contacts.csv:4: birthday:",
            ],
        ),
    ];
    for (kind, name, content, expected) in cases {
        let f = write(home.path(), name, &content);
        let o = rapport(home.path(), &["--db", db, "import", kind, &f]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        let err = stderr(&o);
        for e in expected {
            assert!(
                err.contains(&format!("{}/{e}", home.path().display())),
                "{name}: expected '{e}' in:\n{err}"
            );
        }
        assert!(err.contains("nothing was imported"), "{name}: {err}");
        assert_eq!(export_all(home.path(), db), before, "{name} changed the database");
    }
}
}

on_both! {
fn many_bad_rows_show_twenty_then_a_count(kind) {
    let Some(book) = Book::empty(kind) else { return };
    let home = &book.home;
    let db = book.db.as_str();
    setup_reference(home.path(), db);
    let mut csv = String::from("client,date,amount\n");
    for _ in 0..25 {
        csv.push_str("C1,nope,1\n");
    }
    let f = write(home.path(), "many.csv", csv.as_bytes());
    let o = rapport(home.path(), &["--db", db, "import", "settlements", &f]);
    let err = stderr(&o);
    assert_eq!(err.matches("is not a date").count(), 20, "{err}");
    assert!(err.contains("… and 5 more problems"), "{err}");
    assert!(err.contains("many.csv:21:"));
    assert!(!err.contains("many.csv:22:"));
}
}

#[test]
fn a_locked_database_gives_one_line_and_exit_1() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("db");
    let _held = rapport::store::Store::open(&db).unwrap();
    let o = rapport(home.path(), &["--db", db.to_str().unwrap(), "export", "clients"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(db.to_str().unwrap()) && err.contains("locked") && err.contains("server"),
        "{err}"
    );
}

/// Where the database is: `RAPPORT_DB`, else the XDG default. Only `init`
/// (and demo, import, restore) make one there; a command that uses it
/// refuses a missing one, creating nothing.
#[test]
fn db_location_from_env_and_xdg_default() {
    let home = tempfile::tempdir().unwrap();
    let o = rapport(home.path(), &["export", "managers"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("no rapport database at"), "{}", stderr(&o));
    assert!(!home.path().join("data/rapport/db").exists(), "a database was created");
    let o = rapport(home.path(), &["init"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(home.path().join("data/rapport/db/conf").exists());
    let o = rapport(home.path(), &["export", "managers"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let envdb = home.path().join("envdb");
    let with_env = |args: &[&str]| {
        std::process::Command::new(BIN)
            .args(args)
            .env("RAPPORT_DB", &envdb)
            .env("XDG_DATA_HOME", home.path().join("data"))
            .output()
            .unwrap()
    };
    assert_eq!(with_env(&["export", "managers"]).status.code(), Some(2));
    assert!(!envdb.exists());
    assert!(with_env(&["init"]).status.success());
    assert!(envdb.join("conf").exists());
    assert!(with_env(&["export", "managers"]).status.success());
}

/// A mistyped --db: every command that only uses a database says there is
/// none and exits 2, creating nothing; the interface too.
#[test]
fn a_missing_database_is_refused_and_never_created() {
    let home = tempfile::tempdir().unwrap();
    let typo = home.path().join("tpyo");
    let db = typo.to_str().unwrap();
    for args in [
        vec!["today"],
        vec!["classes"],
        vec!["export", "clients"],
        vec!["report", "managers"],
        vec!["log", "C1", "--channel", "call", "--summary", "x"],
        vec!["verify"],
        vec!["serve"],
        vec![],
    ] {
        let o = rapport(home.path(), &[&["--db", db][..], &args[..]].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        assert!(
            stderr(&o).contains("no rapport database at"),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(!typo.exists(), "{args:?} created {db}");
    }
}

#[test]
fn every_subcommand_has_help() {
    let home = tempfile::tempdir().unwrap();
    for sub in ["demo", "import", "export", "classes"] {
        let o = rapport(home.path(), &[sub, "--help"]);
        assert!(o.status.success(), "{sub}");
        assert!(stdout(&o).contains("Usage: rapport"), "{sub}");
    }
}

on_both! {
/// `rapport offers | head`: a reader that stops early ends the command
/// quietly (exit 0, nothing on stderr), whatever prints the table.
fn a_closed_pipe_ends_every_listing_quietly(kind) {
    use std::io::{BufRead, BufReader};
    let Some(book) = Book::empty(kind) else { return };
    let home = &book.home;
    let db = book.db.as_str();
    let o = rapport(
        home.path(),
        &["--db", db, "demo", "--clients", "300", "--today", "2026-11-22"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    for args in [
        vec!["offers"],
        vec!["offers", "--format", "json"],
        vec!["tickets", "--all"],
        vec!["today", "--all", "--as-of", "2026-11-22"],
        vec!["export", "settlements"],
        vec!["classes"],
    ] {
        let mut child = std::process::Command::new(BIN)
            .args(["--db", db, "--server", "never"])
            .args(&args)
            .env("XDG_DATA_HOME", home.path().join("data"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty(), "{args:?} printed nothing");
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{args:?}");
    }
}
}

/// `rapport completions SHELL`: scripts generated from the argument
/// definitions, naming every subcommand; the bash one parses.
#[test]
fn completions_for_bash_zsh_and_fish() {
    let home = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let o = rapport(home.path(), &["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        for sub in ["today", "import", "verify", "init", "serve", "completions"] {
            assert!(script.contains(sub), "{shell} lacks {sub}");
        }
        if shell == "bash" {
            let mut check = std::process::Command::new("bash")
                .arg("-n")
                .stdin(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            std::io::Write::write_all(check.stdin.as_mut().unwrap(), script.as_bytes()).unwrap();
            assert!(check.wait().unwrap().success(), "the bash script does not parse");
        }
    }
    let o = rapport(home.path(), &["completions", "tcsh-like"]);
    assert_eq!(o.status.code(), Some(2));
}

/// `rapport --demo today`: commands work on the demo database too (made on
/// first use); --demo and --db together are refused.
#[test]
fn demo_flag_applies_to_commands() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let o = rapport(
        h,
        &["--demo", "today", "--all", "--as-of", "2026-11-22", "--format", "json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("generating the demo database"), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(!v["items"].as_array().unwrap().is_empty());
    assert!(h.join("data/rapport/demo/conf").exists());
    let o = rapport(h, &["export", "clients", "--demo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 301, "the demo's 300 clients and a header");
    assert!(!stderr(&o).contains("generating"), "generated twice");
    let o = rapport(h, &["--demo", "--db", "x", "today"]);
    assert_eq!(o.status.code(), Some(2));
}
