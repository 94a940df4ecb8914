//! `rapport today`, `log`, `task`, `done`, `snooze` on a real database,
//! through the real binary: three output formats, bad input, and marks
//! that stay across runs.

mod common;

use common::*;
use rapport::domain::*;
use rapport::write::{Command as Cmd, OfferMove};

const AS_OF: &str = "2026-11-22";

/// The small store plus an offer with a next step and an expiry, a
/// person with a birthday, and a task, on `kind`.
fn setup(kind: Kind) -> Option<Book> {
    let book = Book::on(kind)?;
    let mut m = OfferMove::new(ClientId(1), ProductId(1), OfferStage::Proposal, d("2026-11-01"));
    m.next_step = Some(d("2026-11-20"));
    m.next_note = "Call about the proposal".into();
    m.expiry = Some(d("2026-11-22"));
    book.as_user(
        "amy",
        vec![
            Cmd::MoveOffer(m),
            Cmd::AddPerson {
                client: ClientId(2),
                name: "Zoë Brontë".into(),
                role: "CEO".into(),
                phone: String::new(),
                email: String::new(),
                birthday: Some(d("1980-11-24")),
            },
            Cmd::AddTask {
                client: ClientId(2),
                due: d("2026-11-25"),
                text: "Send the deck".into(),
            },
        ],
    );
    Some(book)
}

fn today_json(dir: &std::path::Path, db: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--db", db, "today", "--format", "json"];
    args.extend_from_slice(extra);
    let o = rapport(dir, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

fn ids(v: &serde_json::Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_string())
        .collect()
}

on_both! {
fn today_in_text_json_and_ics(kind) {
    let Some(book) = setup(kind) else { return };
    let dir = book.home.path();
    let db = book.db.as_str();

    let v = today_json(dir, db, &["--as-of", AS_OF, "--all"]);
    assert_eq!(
        ids(&v),
        vec![
            "cadence-1",
            "cadence-2",
            "step-1-1",
            "expiry-1-1",
            "birthday-2-1",
            "task-1"
        ]
    );
    assert_eq!(
        (v["overdue"].as_u64(), v["today"].as_u64(), v["soon"].as_u64()),
        (Some(3), Some(1), Some(2))
    );
    let step = &v["items"][2];
    assert_eq!(step["kind"], "next_step");
    assert_eq!(step["due"], "2026-11-20");
    assert_eq!(step["days_late"], 2);
    assert_eq!(step["group"], "overdue");
    assert_eq!(step["client_ref"], "C1");
    assert_eq!(step["product_code"], "crm");
    assert_eq!(step["reason"], "Call about the proposal (CRM, proposal)");
    assert_eq!(
        v["items"][0]["reason"],
        "no contact yet (client since 01/01/2025) — no class cadence 90"
    );

    // Text: grouped and aligned, no colour off a terminal.
    let o = rapport(dir, &["--db", db, "today", "--as-of", AS_OF, "--all"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(!text.contains('\x1b'), "no colour when not on a terminal");
    let headings: Vec<&str> = text.lines().filter(|l| !l.starts_with(' ') && !l.is_empty()).collect();
    assert_eq!(
        headings,
        vec![
            "Due contacts as of 2026-11-22 — all managers: 6 items",
            "Overdue (3)",
            "Today (1)",
            "Next 7 days (2)"
        ]
    );
    let step_line = text.lines().find(|l| l.contains("step-1-1")).unwrap();
    assert!(step_line.starts_with("  20/11/2026  2 days late"), "{step_line}");
    let columns: Vec<usize> = text
        .lines()
        .filter(|l| l.starts_with("  "))
        .map(|l| l.find("C1").or_else(|| l.find("C2")).unwrap())
        .collect();
    assert!(columns.windows(2).all(|w| w[0] == w[1]), "refs aligned: {columns:?}");

    // iCalendar: one all-day event per item, parsed back by a parser.
    let o = rapport(
        dir,
        &["--db", db, "today", "--as-of", AS_OF, "--all", "--format", "ics"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let ics = stdout(&o);
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(ics.trim_end().ends_with("END:VCALENDAR"));
    let cal: icalendar::Calendar = ics.parse().expect("valid iCalendar");
    let events: Vec<&icalendar::Event> = cal.components.iter().filter_map(|c| c.as_event()).collect();
    assert_eq!(events.len(), 6);
    use icalendar::Component;
    let e = events
        .iter()
        .find(|e| e.get_summary() == Some("step: Müller & Söhne"))
        .unwrap();
    // Due on the 20th, overdue on the 22nd: shown on the 22nd, the date it
    // was due in its description; its UID keeps the date it was due.
    assert_eq!(e.get_uid(), Some("step-1-1-20261120@rapport"));
    assert_eq!(e.get_start(), Some(icalendar::DatePerhapsTime::Date(d("2026-11-22"))));
    assert!(
        e.get_description()
            .is_some_and(|t| t.contains("(due 20/11/2026, 2 days late)")),
        "{ics}"
    );
    // All-day events end the next day (RFC 5545: DTEND is exclusive).
    for e in &events {
        let (Some(icalendar::DatePerhapsTime::Date(start)), Some(icalendar::DatePerhapsTime::Date(end))) =
            (e.get_start(), e.get_end())
        else {
            panic!("not an all-day event: {e:?}")
        };
        assert_eq!(end, start.succ_opt().unwrap(), "{e:?}");
        assert!(start >= d(AS_OF), "an event before the as-of day: {e:?}");
    }

    // One manager: amy has both clients; lea none.
    assert_eq!(
        ids(&today_json(dir, db, &["--as-of", AS_OF, "--manager", "amy"])).len(),
        6
    );
    assert!(ids(&today_json(dir, db, &["--as-of", AS_OF, "--manager", "lea"])).is_empty());
    let o = rapport(dir, &["--db", db, "today", "--manager", "zed"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown manager 'zed'"));
}

fn log_task_done_and_snooze_are_stored(kind) {
    let Some(book) = setup(kind) else { return };
    let dir = book.home.path();
    let db = book.db.as_str();
    let run = |args: &[&str]| rapport(dir, &[&["--db", db], args].concat());

    // Bad input: exit 2, nothing changed.
    let before = run(&["export", "offers"]);
    for (args, says) in [
        (
            vec!["log", "C9", "--channel", "call", "--summary", "x"],
            "unknown client 'C9'",
        ),
        (
            vec!["log", "C1", "--channel", "fax", "--summary", "x"],
            "unknown channel 'fax'",
        ),
        (
            vec!["log", "C1", "--channel", "call", "--summary", " "],
            "summary is empty",
        ),
        (
            vec!["log", "C1", "--channel", "call", "--summary", "x", "--next", "soon"],
            "+DAYS",
        ),
        (
            vec!["log", "C1", "--channel", "call", "--summary", "x", "--person", "Bob"],
            "no contact person 'Bob'",
        ),
        (vec!["task", "C1", "31/02/2026", "x"], "31/02/2026"),
        (vec!["task", "C1", "+1", ""], "task text is empty"),
        (vec!["done", "nonsense"], "is not a queue item id"),
        (vec!["done", "step-2-1"], "no queue item step-2-1"),
        (vec!["done", "cadence-1", "--as-of", AS_OF], "by logging the contact"),
        (
            vec!["snooze", "step-1-1", "2020-01-01", "--as-of", AS_OF],
            "is in the past",
        ),
        (vec!["snooze", "step-1-1", "+x", "--as-of", AS_OF], "+DAYS"),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    assert_eq!(stdout(&run(&["export", "offers"])), stdout(&before));
    assert_eq!(ids(&today_json(dir, db, &["--as-of", AS_OF, "--all"])).len(), 6);

    // done and snooze, each a separate process: stored, stable across runs.
    let o = run(&["done", "step-1-1", "--as-of", AS_OF]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["snooze", "expiry-1-1", "+7", "--as-of", AS_OF]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "expiry-1-1 snoozed to 2026-11-29\n");
    let o = run(&["done", "task-1", "--as-of", AS_OF]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = today_json(dir, db, &["--as-of", AS_OF, "--all"]);
    assert_eq!(ids(&v), vec!["cadence-1", "cadence-2", "birthday-2-1", "expiry-1-1"]);
    let expiry = &v["items"][3];
    assert_eq!(
        (expiry["due"].as_str(), expiry["snoozed"].as_bool()),
        (Some("2026-11-29"), Some(true))
    );
    let o = run(&["done", "step-1-1", "--as-of", AS_OF]);
    assert_eq!(o.status.code(), Some(2), "done twice: {}", stdout(&o));
    // A done by mistake comes off: the item is due again.
    let o = run(&["unmark", "step-1-1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "step-1-1 is due again on 2026-11-20\n");
    assert!(ids(&today_json(dir, db, &["--as-of", AS_OF, "--all"])).contains(&"step-1-1".to_string()));
    let o = run(&["unmark", "step-1-1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("step-1-1 has no done or snooze mark"),
        "{}",
        stderr(&o)
    );
    let o = run(&["unmark", "nonsense"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["done", "step-1-1", "--as-of", AS_OF]);
    assert!(o.status.success(), "{}", stderr(&o));

    // A new task, and a logged call that moves the cadence date (as of the
    // real today, which is when the call is logged).
    let o = run(&["task", "C2", "+2", "Prepare the visit"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).split(' ').next(), Some("task-2"));
    assert!(ids(&today_json(dir, db, &["--all"])).contains(&"cadence-1".to_string()));
    let o = run(&[
        "log",
        "C1",
        "--channel",
        "call",
        "--summary",
        "Talked prices",
        "--next",
        "+30",
        "--person",
        "",
    ]);
    assert_eq!(o.status.code(), Some(2), "an empty person name is no person");
    let o = run(&[
        "log",
        "C1",
        "--channel",
        "call",
        "--summary",
        "Talked prices",
        "--next",
        "+30",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = today_json(dir, db, &["--all"]);
    assert!(!ids(&v).contains(&"cadence-1".to_string()), "{:?}", ids(&v));
    let log = book.open().contacts_of(ClientId(1)).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].summary.as_str(), log[0].channel),
        ("Talked prices", Channel::Call)
    );
    assert!(!log[0].who.is_empty(), "who logged it is the Unix user");
}

/// `--horizon DAYS` reaches items past the week (a task set a month ahead),
/// in a "Later" group of the text and JSON; without it they stay out.
fn a_longer_horizon_lists_later_items(kind) {
    let Some(book) = setup(kind) else { return };
    let dir = book.home.path();
    let db = book.db.as_str();
    let o = rapport(dir, &["--db", db, "task", "C1", "2026-12-20", "Renewal talk"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let week = today_json(dir, db, &["--all", "--as-of", "2026-11-22"]);
    assert!(week.get("later").is_none(), "{week}");
    assert!(!ids(&week).contains(&"task-2".to_string()));
    let month = today_json(dir, db, &["--all", "--as-of", "2026-11-22", "--horizon", "30"]);
    assert_eq!(month["later"], 1, "{month}");
    let later: Vec<&serde_json::Value> = month["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["group"] == "later")
        .collect();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0]["key"], "task-2");
    let o = rapport(
        dir,
        &["--db", db, "today", "--all", "--as-of", "2026-11-22", "--horizon", "30"],
    );
    let text = stdout(&o);
    assert!(text.contains("Later (1)") && text.contains("in 28 days"), "{text}");
    let o = rapport(dir, &["--db", db, "today", "--all", "--as-of", "2026-11-22"]);
    assert!(!stdout(&o).contains("Later"), "{}", stdout(&o));
    let o = rapport(dir, &["--db", db, "today", "--horizon", "-3"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
}
