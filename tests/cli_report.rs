//! `rapport report …` through the real binary, on a book whose figures are
//! worked out by hand for Q3 2026 (F = 1 July, T = 30 September).

mod common;

use common::*;
use rapport::domain::*;
use rapport::write::{Command as Cmd, OfferMove};

const Q3: [&str; 4] = ["--from", "2026-07-01", "--to", "2026-09-30"];

/// The commands that make the reports' book, on `small_store`'s records.
fn book() -> Vec<Cmd> {
    let mut cmds = Vec::new();
    let mut run = |cmd: Cmd| cmds.push(cmd);
    for (reference, name) in [("C3", "Dritte GmbH"), ("C4", "Quatrième SA")] {
        run(Cmd::AddClient {
            reference: reference.into(),
            name: name.into(),
            segment: Some(SegmentId(1)),
            manager: Some(ManagerId(2)),
            created: d("2025-01-01"),
            notes: String::new(),
            tags: vec![],
        });
    }
    let (crm, care) = (Some(ProductId(1)), Some(ProductId(2)));
    for (client, date, euros, product) in [
        // C1 (amy): primary, repeat in the same line, a new line.
        (1, "2026-07-05", 1000, crm),
        (1, "2026-08-01", 500, crm),
        (1, "2026-09-01", 300, care),
        // C2 (amy): regular at 30 June, lost at 30 September.
        (2, "2026-01-10", 200, crm),
        (2, "2026-04-02", 200, crm),
        // C3 (lea): back after more than 3 months (restored, a repeat),
        // then a refund.
        (3, "2026-03-10", 400, care),
        (3, "2026-07-20", 600, care),
        (3, "2026-08-10", -100, care),
        // C4 (lea): two on one day — primary, then a new line.
        (4, "2026-09-10", 700, crm),
        (4, "2026-09-10", 300, care),
    ] {
        run(Cmd::RecordSettlement {
            client: ClientId(client),
            date: d(date),
            amount: Money(euros * 100),
            product,
            doc: String::new(),
        });
    }
    run(Cmd::LogContact {
        client: ClientId(1),
        person: None,
        at: d("2026-07-02").and_hms_opt(9, 0, 0).unwrap(),
        channel: Channel::Call,
        summary: "Intro call".into(),
        outcome: String::new(),
        next_contact: None,
    });
    run(Cmd::AddTask {
        client: ClientId(2),
        due: d("2026-07-10"),
        text: "Win back".into(),
    });
    run(Cmd::CompleteTask {
        task: TaskId(1),
        date: d("2026-07-11"),
    });
    run(Cmd::OpenTicket {
        client: ClientId(3),
        product: care,
        date: d("2026-08-12"),
        text: "Slow answers".into(),
    });
    for (to, date, reason) in [
        (OfferStage::Presentation, "2026-07-03", None),
        (OfferStage::Proposal, "2026-07-20", None),
        (OfferStage::Refused, "2026-08-05", Some(RefusalReason::Price)),
    ] {
        let mut m = OfferMove::new(ClientId(1), ProductId(2), to, d(date));
        m.reason = reason;
        run(Cmd::MoveOffer(m));
    }
    cmds
}

struct Env {
    book: Book,
}

impl Env {
    /// The book on `kind`; `None` (skipped) without a PostgreSQL cluster.
    fn on(kind: Kind) -> Option<Env> {
        let book = Book::on(kind)?;
        book.as_user("lea", self::book());
        Some(Env { book })
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.book.run(&[&["report"], args].concat());
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        stdout(&o)
    }

    fn bad(&self, args: &[&str], says: &str) {
        let o = self.book.run(&[&["report"], args].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

on_both! {
fn the_manager_table_in_every_format(kind) {
    let Some(env) = Env::on(kind) else { return };
    let text = env.ok(&[&["managers"], &Q3[..]].concat());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Results by manager · 2026-07-01 to 2026-09-30");
    let words = |prefix: &str| -> Vec<String> {
        let line = lines
            .iter()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{text}"));
        line.split_whitespace().map(str::to_string).collect()
    };
    // new, primary, repeat, new line, refunds, turnover, lost, restored,
    // conversion, contacts, tasks, complaints.
    assert_eq!(
        words("amy").join(" "),
        "amy 1 1 / 1000.00 1 / 500.00 1 / 300.00 0 1800.00 1 0 1/1 100 % 1 1 0"
    );
    assert_eq!(
        words("lea").join(" "),
        "lea 1 1 / 700.00 1 / 600.00 1 / 300.00 1 / -100.00 1500.00 0 1 1/1 100 % 0 0 1"
    );
    assert_eq!(
        words("total").join(" "),
        "total 2 2 / 1700.00 2 / 1100.00 2 / 600.00 1 / -100.00 3300.00 1 1 2/2 100 % 1 1 1"
    );

    let csv = env.ok(&[&["managers", "--format", "csv"], &Q3[..]].concat());
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some(
            "group,new_clients,primary_count,primary_sum,repeat_count,repeat_sum,new_line_count,new_line_sum,\
             refunds_count,refunds_sum,turnover,lost,restored,converted,potential,conversion_percent,contacts,\
             tasks_done,complaints"
        )
    );
    assert_eq!(
        rows.next(),
        Some("amy,1,1,1000.00,1,500.00,1,300.00,0,0.00,1800.00,1,0,1,1,100.0,1,1,0")
    );
    assert_eq!(csv.lines().count(), 4, "{csv}");

    let excel = env.ok(&[&["managers", "--excel"], &Q3[..]].concat());
    assert!(excel.starts_with("\u{feff}group;new_clients;"), "{excel}");
    assert!(
        excel.contains("\nlea;1;1;700,00;1;600,00;1;300,00;1;-100,00;1500,00;0;1;1;1;100,0;0;0;1\n"),
        "{excel}"
    );

    let j = json(&env.ok(&[&["managers", "--format", "json"], &Q3[..]].concat()));
    assert_eq!(j["by"], "manager");
    assert_eq!(j["period"]["from"], "2026-07-01");
    assert_eq!(j["total"]["repeat"]["sum"], 110_000);
    assert_eq!(j["total"]["refunds"]["count"], 1);
    assert_eq!(j["rows"][1]["group"], "lea");
    assert_eq!(j["rows"][1]["restored"], 1);

    // By product line: the sales split, client figures only in the total.
    let csv = env.ok(&[&["managers", "--by", "line", "--format", "csv"], &Q3[..]].concat());
    assert!(
        csv.contains("\nsoftware,,2,1700.00,1,500.00,0,0.00,0,0.00,2200.00,,,,,,,,0\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\nsupport,,0,0.00,1,600.00,2,600.00,1,-100.00,1100.00,,,,,,,,1\n"),
        "{csv}"
    );
    let csv = env.ok(&[&["managers", "--by", "segment", "--format", "csv"], &Q3[..]].concat());
    assert!(csv.contains("\nretail,2,2,1700.00,"), "{csv}");
}
}

on_both! {
fn loyalty_funnel_and_complaints(kind) {
    let Some(env) = Env::on(kind) else { return };
    let csv = env.ok(&[&["loyalty", "--format", "csv"], &Q3[..]].concat());
    assert_eq!(
        csv,
        "group,clients_with_settlements,clients_with_repeat_sale,repeat_percent,turnover,turnover_not_new,not_new_percent\n\
         amy,1,1,100.0,1800.00,0.00,0.0\n\
         lea,2,1,50.0,1500.00,500.00,33.3\n\
         total,3,2,66.7,3300.00,500.00,15.2\n"
    );
    let text = env.ok(&[&["loyalty"], &Q3[..]].concat());
    assert!(text.contains("66.7 %"), "{text}");
    let j = json(&env.ok(&[&["loyalty", "--format", "json"], &Q3[..]].concat()));
    assert_eq!(j["rows"][2]["loyalty"]["turnover_not_new"], 50_000);

    let text = env.ok(&[&["funnel"], &Q3[..]].concat());
    let row = |stage: &str| -> String {
        text.lines()
            .find(|l| l.starts_with(stage))
            .unwrap_or_else(|| panic!("{text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    // stage, reached, refused, then price … other, not kept.
    assert_eq!(row("presentation"), "presentation 1 0 0 0 0 0 0 0 0");
    assert_eq!(row("proposal"), "proposal 1 1 1 0 0 0 0 0 0");
    assert_eq!(row("won"), "won 0 0 0 0 0 0 0 0 0");
    let csv = env.ok(&[&["funnel", "--format", "csv", "--manager", "lea"], &Q3[..]].concat());
    assert!(csv.contains("\nproposal,0,0,"), "lea has none of these offers: {csv}");
    let j = json(&env.ok(&[&["funnel", "--format", "json"], &Q3[..]].concat()));
    assert_eq!(j["funnel"]["refusals"][0]["reason"], "price");
    assert_eq!(j["funnel"]["refusals"][0]["stage"], "proposal");
    let excel = env.ok(&[&["funnel", "--excel"], &Q3[..]].concat());
    assert!(excel.starts_with("\u{feff}stage;reached;refused;price;"), "{excel}");

    let csv = env.ok(&[&["complaints", "--format", "csv"], &Q3[..]].concat());
    assert!(csv.starts_with("by,what,opened,closed\ntotal,,1,0\n"), "{csv}");
    assert!(csv.contains("\nproduct,care,1,0\n"), "{csv}");
    let text = env.ok(&[&["complaints"], &Q3[..]].concat());
    assert!(text.contains("median days to close –"), "{text}");
    let j = json(&env.ok(&[&["complaints", "--format", "json"], &Q3[..]].concat()));
    assert_eq!(j["complaints"]["opened"], 1);
}
}

on_both! {
fn class_history_for_the_portfolio_and_one_client(kind) {
    let Some(env) = Env::on(kind) else { return };
    let text = env.ok(&["history", "--as-of", "2026-09-30"]);
    assert!(text.starts_with("Classes at the last 12 month ends\n"), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("20")).count(), 12, "{text}");
    let csv = env.ok(&["history", "--as-of", "2026-09-30", "--format", "csv"]);
    // At the end of September: C1 and C3 … every client with turnover has
    // a class; the last row is 2026-09-30.
    let last = csv.lines().last().unwrap_or_default();
    assert!(last.starts_with("2026-09-30,"), "{csv}");
    let j = json(&env.ok(&["history", "--as-of", "2026-09-30", "--format", "json"]));
    assert_eq!(j.as_array().map(Vec::len), Some(12));

    let csv = env.ok(&["history", "--as-of", "2026-09-30", "--client", "C1", "--format", "csv"]);
    assert!(csv.starts_with("month_end,abc,xyz,status,turnover,change\n"), "{csv}");
    assert!(csv.contains("2026-07-31,A,–,new,1000.00,"), "{csv}");
    assert!(csv.contains("status potential→new"), "{csv}");
    let text = env.ok(&["history", "--as-of", "2026-09-30", "--client", "C1"]);
    assert!(text.contains("status potential→new in 2026-07"), "{text}");
}
}

on_both! {
fn bad_arguments_change_nothing_and_say_why(kind) {
    let Some(env) = Env::on(kind) else { return };
    env.bad(
        &["managers", "--from", "2026-09-30", "--to", "2026-07-01"],
        "ends (2026-07-01) before it starts",
    );
    env.bad(&["managers", "--to", "2026-07-01"], "--to needs --from");
    env.bad(&["managers", "--period", "next-year"], "unknown period 'next-year'");
    env.bad(
        &["managers", "--excel", "--format", "json"],
        "does not go with --format json",
    );
    env.bad(&["managers", "--by", "colour"], "not a grouping");
    env.bad(&["managers", "--from", "2026-02-30"], "not a date");
    env.bad(&["funnel", "--manager", "zed"], "unknown manager 'zed'");
    env.bad(&["history", "--client", "C9"], "unknown client 'C9'");
    // Presets count from --as-of.
    let text = env.ok(&["managers", "--period", "last-quarter", "--as-of", "2026-11-22"]);
    assert!(
        text.starts_with("Results by manager · 2026-07-01 to 2026-09-30"),
        "{text}"
    );
}
}
