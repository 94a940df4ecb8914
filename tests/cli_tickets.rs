//! `rapport tickets`, `ticket new|advance`, `survey`, `questionnaire`
//! through the real binary.

mod common;

use common::*;

on_both! {
fn a_complaint_and_a_survey_from_the_command_line(kind) {
    let Some(book) = Book::on(kind) else { return };
    let run = |args: &[&str]| book.run(args);
    let ok = |args: &[&str]| {
        let o = run(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        stdout(&o)
    };
    let bad = |args: &[&str], says: &str| {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    };

    assert_eq!(
        ok(&[
            "ticket",
            "new",
            "C1",
            "--product",
            "crm",
            "--text",
            "Invoice twice",
            "--date",
            "2026-11-20"
        ]),
        "ticket #1 registered for C1, investigating due 2026-11-21\n"
    );
    bad(&["ticket", "new", "C9", "--text", "x"], "unknown client 'C9'");
    bad(
        &["ticket", "new", "C1", "--product", "zzz", "--text", "x"],
        "unknown product 'zzz'",
    );
    bad(&["ticket", "new", "C1", "--text", " "], "description is empty");
    bad(&["ticket", "advance", "1"], "needs an owner");
    bad(&["ticket", "advance", "1", "--owner", "bob"], "unknown manager 'bob'");
    bad(&["ticket", "advance", "7", "--owner", "amy"], "ticket #7 not found");
    ok(&["ticket", "advance", "1", "--owner", "amy", "--date", "2026-11-21"]);
    bad(
        &["ticket", "advance", "1", "--cause", "Double booking"],
        "needs the cause and the action",
    );
    assert_eq!(
        ok(&[
            "ticket",
            "advance",
            "1",
            "--cause",
            "Double booking",
            "--action",
            "Credit note",
            "--date",
            "2026-11-22"
        ]),
        "ticket #1 is now resolved (next stage due 2026-11-30)\n"
    );
    ok(&["ticket", "advance", "1", "--fix", "Invoices checked twice"]);
    ok(&["ticket", "advance", "1"]);
    bad(&["ticket", "advance", "1"], "ticket #1 is closed");

    // Surveys: wrong counts and ranges are refused; a 3 opens ticket #2.
    bad(&["survey", "C1", "crm", "5", "5"], "the survey has 3 questions");
    bad(&["survey", "C1", "crm", "5", "5", "6"], "score 6 is outside 1–5");
    bad(&["survey", "C1", "nope", "5"], "unknown product 'nope'");
    assert_eq!(ok(&["survey", "C1", "crm", "5", "4", "5"]), "survey #1 recorded\n");
    assert_eq!(
        ok(&["survey", "C2", "crm", "5", "3", "5", "--date", "2026-11-22"]),
        "survey #2 recorded; a score of 3 or less opened ticket #2\n"
    );
    // A product's own questionnaire.
    assert_eq!(
        ok(&["questionnaire", "care"]),
        "1. product\n2. delivery speed\n3. payment terms\n"
    );
    assert_eq!(
        ok(&["questionnaire", "care", "Response time", "Friendliness"]),
        "1. Response time\n2. Friendliness\n"
    );
    bad(&["survey", "C1", "care", "5", "5", "5"], "the survey has 2 questions");
    ok(&["survey", "C1", "care", "5", "5"]);

    // Listing: open by default; all; by stage; by client; JSON.
    let csv = ok(&["tickets", "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("id,client,client_name,product,stage,opened,age_days,stage_due,overdue,owner,source"));
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[1].starts_with("2,C2,Société Générale,crm,registered,2026-11-22,"),
        "{csv}"
    );
    assert!(lines[1].contains(",survey,Survey on CRM: delivery speed 3/5,"), "{csv}");
    assert_eq!(ok(&["tickets", "--all", "--format", "csv"]).lines().count(), 3);
    assert_eq!(
        ok(&["tickets", "--stage", "closed", "--format", "csv"]).lines().count(),
        2
    );
    assert_eq!(
        ok(&["tickets", "--all", "--client", "C1", "--format", "csv"])
            .lines()
            .count(),
        2
    );
    bad(&["tickets", "--stage", "done"], "unknown stage 'done'");
    // Text by default, like every listing.
    let text = ok(&["tickets"]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with('#') && lines[0].contains("Description"), "{text}");
    assert!(
        lines[1].starts_with("2 ") && lines[1].contains("Société Générale") && lines[1].contains("registered"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&ok(&["tickets", "--all", "--format", "json"])).unwrap();
    let first = &json[0];
    assert_eq!(first["stage"], "closed");
    assert_eq!(first["owner"], "amy");
    assert_eq!(first["cause"], "Double booking");
    assert_eq!(first["fix"], "Invoices checked twice");
    assert_eq!(
        ok(&["tickets", "--client", "C1"]).lines().count(),
        1,
        "only the header: none open"
    );
}
}
