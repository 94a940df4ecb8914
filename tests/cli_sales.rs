//! The sales process of SPEC §9 through the real binary: documents written,
//! refused for an offer at another stage with nothing left behind, marked
//! sent and listed; instalments refused unless they sum to the invoice and
//! paid oldest first; sources through import and export; the sources and
//! competitors reports on a small book.

mod common;

use common::*;

/// The documents directory of a book's tests (private, made on use).
fn docs_dir(book: &Book) -> String {
    book.home.path().join("documents").display().to_string()
}

on_both! {
fn a_document_is_written_numbered_sent_and_listed(kind) {
    let Some(book) = Book::on(kind) else { return };
    let dir = docs_dir(&book);
    let doc = |args: &[&str]| book.run(&[&["--documents", dir.as_str()], args].concat());
    // No offer yet: refused, and neither a record nor a file appears.
    let o = doc(&["doc", "new", "C1", "crm", "--kind", "offer", "--date", "2026-03-02"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("a commercial offer goes with an offer at stage proposal"),
        "{}",
        stderr(&o)
    );
    book.ok(&["offer", "C1", "crm", "proposal", "--date", "2026-03-01"]);
    let o = doc(&["doc", "new", "C1", "crm", "--kind", "contract", "--date", "2026-03-02"]);
    assert_eq!(o.status.code(), Some(2));
    let files = || -> Vec<String> {
        std::fs::read_dir(&dir)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(files(), Vec::<String>::new());
    assert!(!book.ok(&["docs"]).contains("OFF-"));

    // The stage's document by default: the commercial offer of a proposal.
    let o = doc(&["doc", "new", "C1", "crm", "--date", "2026-03-02"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("commercial offer OFF-2026-0001 written to "),
        "{}",
        stdout(&o)
    );
    let o = doc(&["doc", "new", "C1", "crm", "--date", "2026-03-03"]);
    assert!(stdout(&o).contains("OFF-2026-0002"), "{}", stdout(&o));
    let mut written = files();
    written.sort();
    assert_eq!(written, ["OFF-2026-0001.txt", "OFF-2026-0002.txt"]);
    let text = std::fs::read_to_string(book.home.path().join("documents/OFF-2026-0001.txt")).unwrap();
    assert!(
        text.starts_with("COMMERCIAL OFFER OFF-2026-0001\nDate: 2026-03-02\n"),
        "{text}"
    );
    assert!(text.contains("Müller & Söhne (C1)"), "{text}");

    // Sent once; not before it was written; an unknown number is refused.
    book.ok(&[
        "doc",
        "sent",
        "OFF-2026-0001",
        "--date",
        "2026-03-04",
        "--channel",
        "meeting",
    ]);
    let o = book.run(&["doc", "sent", "OFF-2026-0001", "--date", "2026-03-05"]);
    assert!(
        stderr(&o).contains("already marked sent on 2026-03-04 by meeting"),
        "{}",
        stderr(&o)
    );
    let o = book.run(&["doc", "sent", "OFF-2026-0002", "--date", "2026-03-01"]);
    assert!(stderr(&o).contains("before it was written"), "{}", stderr(&o));
    assert_eq!(book.run(&["doc", "sent", "OFF-2026-0099"]).status.code(), Some(2));
    assert_eq!(book.run(&["doc", "sent", "OFF-26"]).status.code(), Some(2));

    let list = book.ok(&["docs", "--client", "C1"]);
    let row = list.lines().find(|l| l.starts_with("OFF-2026-0001")).unwrap();
    assert!(row.contains("2026-03-04") && row.contains("meeting"), "{list}");
    let json: serde_json::Value = serde_json::from_str(&book.ok(&["docs", "--format", "json"])).unwrap();
    assert_eq!(json[1]["number"]["number"], 2);
    assert!(json[1]["sent"].is_null());

    // `doc show` prints the registered text; `doc open` writes a deleted
    // file again and hands it to $PAGER.
    assert_eq!(book.ok(&["doc", "show", "OFF-2026-0001"]), text);
    std::fs::remove_file(book.home.path().join("documents/OFF-2026-0001.txt")).unwrap();
    let o = std::process::Command::new(BIN)
        .args([
            "--db",
            book.db.as_str(),
            "--server",
            "never",
            "--documents",
            dir.as_str(),
        ])
        .args(["doc", "open", "OFF-2026-0001"])
        .env("XDG_DATA_HOME", book.home.path().join("data"))
        .env("PAGER", "cat")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), text);
}
}

on_both! {
fn a_directory_others_can_write_is_refused_before_anything_is_registered(kind) {
    let Some(book) = Book::on(kind) else { return };
    let dir = book.home.path().join("shared");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    book.ok(&["offer", "C1", "crm", "proposal", "--date", "2026-03-01"]);
    let o = book.run(&["--documents", dir.to_str().unwrap(), "doc", "new", "C1", "crm"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("others can write"), "{}", stderr(&o));
    assert!(!book.ok(&["docs"]).contains("OFF-"), "no number was taken");
}
}

on_both! {
fn instalments_sum_to_the_invoice_and_are_paid_oldest_first(kind) {
    let Some(book) = Book::on(kind) else { return };
    book.ok(&["offer", "C1", "crm", "invoiced", "--date", "2026-03-01"]);
    let o = book.run(&[
        "terms",
        "C1",
        "crm",
        "--invoice",
        "1000",
        "--instalment",
        "500@2026-03-10",
        "--instalment",
        "400@2026-04-10",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("the instalments sum to 900.00, the invoice is 1000.00"),
        "{}",
        stderr(&o)
    );
    let o = book.run(&["terms", "C1", "crm", "--instalment", "500@2026-13-10"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(book.ok(&["terms", "C1", "crm"]).contains("no terms"));
    book.ok(&[
        "terms",
        "C1",
        "crm",
        "--invoice",
        "1000",
        "--instalment",
        "500@2026-03-10",
        "--instalment",
        "500@2026-04-10",
    ]);
    // A prepayment pays the first; the cell says so; the second is due.
    book.ok(&[
        "import",
        "settlements",
        &write_csv(&book, "client,date,amount,product\nC1,2026-03-05,500,crm\n"),
    ]);
    let terms = book.ok(&["terms", "C1", "crm"]);
    assert!(terms.contains("instalment 1: 500.00 due 2026-03-10 — paid"), "{terms}");
    assert!(
        terms.contains("instalment 2: 500.00 due 2026-04-10 — unpaid"),
        "{terms}"
    );
    let today = book.ok(&["today", "--as-of", "2026-04-12"]);
    assert!(today.contains("instalment 2/2 of CRM: 500.00 unpaid"), "{today}");
    assert!(!today.contains("instalment 1/2"), "{today}");
    // A refund of the prepayment: the first is unpaid again.
    book.ok(&[
        "import",
        "settlements",
        &write_csv(&book, "client,date,amount,product\nC1,2026-03-20,-500,crm\n"),
    ]);
    assert!(
        book.ok(&["terms", "C1", "crm"])
            .contains("instalment 1: 500.00 due 2026-03-10 — unpaid")
    );
}
}

fn write_csv(book: &Book, text: &str) -> String {
    let path = book.home.path().join(format!("in-{}.csv", text.len()));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

on_both! {
fn sources_come_in_and_out_with_clients_and_feed_the_reports(kind) {
    let Some(book) = Book::on(kind) else { return };
    book.ok(&[
        "sales-setup",
        "--source",
        "Trade fair",
        "--source",
        "Referral",
        "--competitor",
        "Rival",
    ]);
    let bad = write_csv(&book, "ref,name,source\nC3,Three,Referral\nC4,Four,\"two\nlines\"\n");
    let o = book.run(&["import", "clients", &bad]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(&format!("{bad}:3")), "{}", stderr(&o));
    assert!(!book.ok(&["export", "clients"]).contains("C3"), "nothing imported");
    let good = write_csv(
        &book,
        "ref,name,created,source\nC3,Three,2026-01-05,referral\nC4,Four,2026-01-06,\n",
    );
    book.ok(&["import", "clients", &good]);
    book.ok(&["client", "edit", "C1", "--source", "Trade fair"]);
    let export = book.ok(&["export", "clients"]);
    assert!(
        export.starts_with("ref,name,segment,manager,created,notes,tags,source\n"),
        "{export}"
    );
    assert!(
        export.contains("C3,Three,,,2026-01-05,,,Referral"),
        "as the list spells it: {export}"
    );
    assert!(
        export.contains("C1,Müller & Söhne,retail,amy,2025-01-01,,,Trade fair"),
        "{export}"
    );

    // C3 buys in March (new, converted), C1 in February (not new in March).
    book.ok(&[
        "import",
        "settlements",
        &write_csv(
            &book,
            "client,date,amount,product\nC1,2026-02-10,100,crm\nC3,2026-03-10,250,crm\n",
        ),
    ]);
    let report = book.ok(&["report", "sources", "--from", "2026-03-01", "--to", "2026-03-31"]);
    let line = |name: &str| report.lines().find(|l| l.starts_with(name)).unwrap_or("").to_string();
    assert!(
        line("Referral").contains("1 / 250.00") && line("Referral").contains("1/1 100 %"),
        "{report}"
    );
    assert!(line("Trade fair").split_whitespace().any(|w| w == "0"), "{report}");
    let json: serde_json::Value = serde_json::from_str(&book.ok(&[
        "report",
        "sources",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(json["sources"]["total"]["new_clients"], 1);
    let excel = book.ok(&[
        "report",
        "sources",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--excel",
    ]);
    assert!(excel.contains("Referral;1;1;250,00;1;1;100,0"), "{excel}");

    // Refusals by competitor and stage.
    book.ok(&["offer", "C1", "crm", "proposal", "--date", "2026-03-01"]);
    let o = book.run(&[
        "offer",
        "C1",
        "crm",
        "refused",
        "--date",
        "2026-03-05",
        "--reason",
        "competitor",
    ]);
    assert!(stderr(&o).contains("names the competitor"), "{}", stderr(&o));
    book.ok(&[
        "offer",
        "C1",
        "crm",
        "refused",
        "--date",
        "2026-03-05",
        "--reason",
        "competitor",
        "--competitor",
        "rival",
    ]);
    book.ok(&["offer", "C2", "care", "presentation", "--date", "2026-03-01"]);
    book.ok(&[
        "offer",
        "C2",
        "care",
        "refused",
        "--date",
        "2026-03-06",
        "--reason",
        "price",
    ]);
    let report = book.ok(&["report", "competitors", "--from", "2026-03-01", "--to", "2026-03-31"]);
    let rival: Vec<&str> = report
        .lines()
        .find(|l| l.starts_with("Rival"))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(rival, ["Rival", "0", "1", "0", "0", "0", "0", "1"], "{report}");
    let other: Vec<&str> = report
        .lines()
        .find(|l| l.starts_with("(other"))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        other,
        ["(other", "reasons)", "1", "0", "0", "0", "0", "0", "1"],
        "{report}"
    );
}
}
