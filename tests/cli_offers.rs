//! `rapport offers`, `rapport offer`, `rapport portrait` on the real binary.

mod common;

use std::path::Path;

use common::*;

fn setup(h: &Path) -> String {
    let db = h.join("db").to_str().unwrap().to_string();
    for (kind, content) in [
        ("segments", "id,name\nretail,Retail\npublic,Public\n"),
        ("products", "id,name,line\ncrm,CRM,software\ncare,Care,support\n"),
        ("portrait", "segment,product\nretail,crm\nretail,care\npublic,care\n"),
        ("clients", "ref,name,segment\nC1,Alpha,retail\nC2,Beta,public\n"),
    ] {
        let f = h.join(format!("{kind}.csv"));
        std::fs::write(&f, content).unwrap();
        let o = rapport(h, &["--db", &db, "import", kind, f.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    db
}

#[test]
fn offers_move_through_the_stages_with_the_rules_of_spec_3() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let db = setup(h);
    let run = |args: &[&str]| {
        let mut all = vec!["--db", db.as_str()];
        all.extend_from_slice(args);
        rapport(h, &all)
    };
    // Forward, skipping stages.
    let o = run(&[
        "offer",
        "C1",
        "crm",
        "presentation",
        "--date",
        "2026-02-01",
        "--next",
        "2026-02-10",
        "--next-note",
        "send deck",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "offer crm of C1: not_offered → presentation (version 1)\n");
    let o = run(&["offer", "C1", "crm", "agreement", "--date", "2026-02-20"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Back without a note: refused, nothing changed.
    let o = run(&["offer", "C1", "crm", "proposal"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("needs a note"), "{}", stderr(&o));
    let o = run(&[
        "offer",
        "C1",
        "crm",
        "proposal",
        "--note",
        "new terms",
        "--expiry",
        "2026-03-31",
        "--date",
        "2026-02-25",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A refusal needs its reason.
    let o = run(&["offer", "C1", "care", "presentation", "--date", "2026-01-05"]);
    assert!(o.status.success());
    let o = run(&["offer", "C1", "care", "refused"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("needs a reason"));
    let o = run(&[
        "offer",
        "C1",
        "care",
        "refused",
        "--reason",
        "no-budget",
        "--retry",
        "2026-09-01",
        "--date",
        "2026-01-20",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Bad input: clear message, exit 2.
    for (args, message) in [
        (vec!["offer", "C9", "crm", "won"], "unknown client 'C9'"),
        (vec!["offer", "C1", "tea", "won"], "unknown product 'tea'"),
        (vec!["offer", "C1", "crm", "sold"], "unknown stage 'sold'"),
        (vec!["offer", "C1", "crm", "won", "--date", "30/02/2026"], "not a date"),
        (
            vec!["offer", "C1", "crm", "refused", "--reason", "mood"],
            "unknown reason 'mood'",
        ),
        (
            vec!["offer", "C1", "crm", "won", "--version", "1"],
            "changed by someone else (you edited version 1, it is now at 3)",
        ),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
    }
    // The current version goes through.
    let o = run(&["offer", "C1", "crm", "won", "--version", "3", "--date", "2026-03-05"]);
    assert!(o.status.success(), "{}", stderr(&o));

    let all = stdout(&run(&["offers", "--format", "csv"]));
    assert_eq!(
        all,
        "client,product,stage,stage_date,next_step,next_note,expiry,invoice_due,delivery,reason,refused_at,retry,version\n\
         C1,crm,won,2026-03-05,,,,,,,,,4\n\
         C1,care,refused,2026-01-20,,,,,,no_budget,presentation,2026-09-01,2\n"
    );
    assert_eq!(
        stdout(&run(&["offers", "--stage", "won", "--format", "csv"]))
            .lines()
            .count(),
        2
    );
    assert_eq!(
        stdout(&run(&["offers", "--segment", "public", "--format", "csv"]))
            .lines()
            .count(),
        1
    );
    assert_eq!(
        stdout(&run(&["offers", "--client", "C2", "--format", "csv"]))
            .lines()
            .count(),
        1
    );
    let json: serde_json::Value =
        serde_json::from_slice(&run(&["offers", "--client", "C1", "--format", "json"]).stdout).unwrap();
    assert_eq!(json[1]["reason"], "no_budget");
    assert_eq!(run(&["offers", "--segment", "nowhere"]).status.code(), Some(2));
    // Text by default, like every listing.
    let text = stdout(&run(&["offers"]));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("Client") && lines[0].contains("Stage"), "{text}");
    assert!(
        lines[1].starts_with("C1") && lines[1].contains("won") && lines[1].contains("2026-03-05"),
        "{text}"
    );
    assert!(lines[2].contains("refused") && lines[2].contains("no_budget"), "{text}");
}

#[test]
fn portrait_as_grid_and_csv() {
    let home = tempfile::tempdir().unwrap();
    let db = setup(home.path());
    let o = rapport(home.path(), &["--db", &db, "portrait"]);
    assert_eq!(
        stdout(&o),
        "segment  crm  care\nretail    ●    ●  \npublic    ·    ●  \n"
    );
    let o = rapport(home.path(), &["--db", &db, "portrait", "--format", "csv"]);
    assert_eq!(stdout(&o), "segment,product\nretail,crm\nretail,care\npublic,care\n");
}

// `rapport plan`: between sales, the first portrait product not offered;
// a client in a sale is not in the plan; a product refused with a retry
// date still to come waits.
on_both! {
fn the_sales_plan_names_each_clients_next_product(kind) {
    let Some(book) = Book::on(kind) else { return };
    let (run, ok) = (|args: &[&str]| book.run(args), |args: &[&str]| book.ok(args));
    // C1 is in a sale of crm; C2 refused crm until next year.
    ok(&["offer", "C1", "crm", "presentation", "--date", "2026-03-01"]);
    ok(&["offer", "C2", "crm", "presentation", "--date", "2026-03-01"]);
    ok(&[
        "offer",
        "C2",
        "crm",
        "refused",
        "--date",
        "2026-03-02",
        "--reason",
        "price",
        "--retry",
        "2027-01-10",
    ]);
    let plan: serde_json::Value =
        serde_json::from_str(&ok(&["plan", "--as-of", "2026-11-22", "--format", "json"])).unwrap();
    assert_eq!(plan["plan"].as_array().map(Vec::len), Some(1), "{plan}");
    assert_eq!(plan["plan"][0]["product"], "care");
    assert_eq!(plan["plan"][0]["clients"][0]["ref"], "C2");
    let later = ok(&["plan", "--as-of", "2027-01-10"]);
    assert!(later.contains("CRM (crm): 1") && later.contains("C2"), "{later}");
    let o = run(&["plan", "--manager", "nobody"]);
    assert_eq!(o.status.code(), Some(2));
    let csv = ok(&["plan", "--as-of", "2026-11-22", "--format", "csv"]);
    assert_eq!(csv.lines().next(), Some("product,client,name,manager"));
}
}

/// `rapport undo` takes back offer moves one after the other (each puts the
/// offer back as it was, the first takes the new offer away); `offers`
/// shows each step.
#[test]
fn offer_moves_are_undone_one_after_the_other() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let db = setup(h);
    let run = |args: &[&str]| {
        let mut all = vec!["--db", db.as_str()];
        all.extend_from_slice(args);
        let o = rapport(h, &all);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        stdout(&o)
    };
    // The offers without their version (a put-back offer is a new one).
    let offers = || -> Vec<String> {
        run(&["export", "offers"])
            .lines()
            .map(|l| l.rsplit_once(',').map_or(l, |(rest, _)| rest).to_string())
            .collect()
    };
    let none = offers();
    run(&[
        "offer",
        "C1",
        "crm",
        "presentation",
        "--date",
        "2026-02-01",
        "--next",
        "2026-02-10",
    ]);
    let first = offers();
    run(&["offer", "C1", "crm", "agreement", "--date", "2026-02-20"]);
    assert!(offers().concat().contains("agreement"));
    assert!(run(&["undo"]).contains("move offer crm of C1 to agreement"));
    assert_eq!(offers(), first);
    assert!(run(&["undo"]).contains("move offer crm of C1 to presentation"));
    assert_eq!(offers(), none);
    assert!(run(&["verify"]).contains("agrees"));
}
