//! `rapport classes` on a small imported data set whose answers are worked
//! out by hand below.

mod common;

use common::*;

on_both! {
fn classes_csv_matches_hand_computed_answers(kind) {
    let Some(book) = Book::empty(kind) else { return };
    let h = book.home.path();
    let db = book.db.as_str();
    let files = [
        ("segments", "id,name\nretail,Retail\n".to_string()),
        (
            "products",
            "id,name,line\ncrm,CRM,software\ncare,Care,support\n".to_string(),
        ),
        ("portrait", "segment,product\nretail,crm\nretail,care\n".to_string()),
        (
            "clients",
            "ref,name,segment\nC1,Alpha,retail\nC2,Beta,retail\nC3,Gamma,\nC4,Delta,\nC5,Epsilon,\nC6,\"Zeta, Inc\",\n"
                .to_string(),
        ),
        ("settlements", {
            let mut s = String::from("client,date,amount,product\n");
            // C1: 1000.00 on the 15th of each month Jul 2025 – Jun 2026.
            for m in 0..12 {
                let (y, mo) = if m < 6 { (2025, m + 7) } else { (2026, m - 5) };
                s.push_str(&format!("C1,{y}-{mo:02}-15,1000.00,crm\n"));
            }
            s.push_str("C2,2026-05-10,3000.00,\n"); // first in P0: new
            s.push_str("C3,2025-01-10,2000.00,\nC3,2026-06-01,500.00,\n"); // back after a gap: restored
            s.push_str("C4,2025-11-20,800.00,\n"); // nothing since: lost
            s.push_str("C6,2026-04-01,100.00,\nC6,2026-04-02,-300.00,\n"); // refund: T < 0
            s
        }),
    ];
    for (kind, content) in files {
        let f = h.join(format!("{kind}.csv"));
        std::fs::write(&f, content).unwrap();
        let o = rapport(h, &["--db", db, "import", kind, f.to_str().unwrap()]);
        assert!(o.status.success(), "{kind}: {}", stderr(&o));
    }
    let o = rapport(h, &["--db", db, "classes", "--as-of", "2026-06-30"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Σ T = 12000 + 3000 + 800 + 500 = 16300. C1 has 0 before it: A.
    // C2 has 12000 (73.6 %): B. C4 has 15000 (92 %): C; C3 likewise.
    // C3 and C4: one month with money, eleven empty: CV = √11 = 3.3166.
    assert_eq!(
        stdout(&o),
        "client,name,abc,xyz,status,maturity,turnover,cv\n\
         C1,Alpha,A,X,regular,1/2,12000.00,0.0000\n\
         C2,Beta,B,,new,0/2,3000.00,\n\
         C3,Gamma,C,Z,restored,,500.00,3.3166\n\
         C4,Delta,C,Z,lost,,800.00,3.3166\n\
         C5,Epsilon,,,potential,,0.00,\n\
         C6,\"Zeta, Inc\",,,new,,-200.00,\n"
    );
    let o = rapport(h, &["--db", db, "classes", "--as-of", "2026-06-30", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["abc"], "A");
    assert_eq!(v[0]["turnover_cents"], 1_200_000);
    assert_eq!(v[2]["status"], "restored");
    assert_eq!(v[4]["xyz"], serde_json::Value::Null);

    let o = rapport(h, &["--db", db, "classes", "--as-of", "2026-06-30", "--summary"]);
    let text = stdout(&o);
    assert!(text.contains("6 clients, turnover 16100.00"), "{text}");
    assert!(
        text.contains("status: potential 1 · new 2 · regular 1 · restored 1 · lost 1"),
        "{text}"
    );
    // Row A: one client in X; row C: two in Z.
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["A", "1", "0", "0", "0", "1"]),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["C", "0", "0", "2", "0", "2"]),
        "{text}"
    );

    // One month earlier C2's only settlement is gone from the picture.
    let o = rapport(h, &["--db", db, "classes", "--as-of", "2026-05-09"]);
    assert!(stdout(&o).contains("C2,Beta,,,potential,0/2,0.00,"), "{}", stdout(&o));

    let o = rapport(
        h,
        &[
            "--db",
            db,
            "classes",
            "--as-of",
            "2026-06-30",
            "--history",
            "--client",
            "C2",
        ],
    );
    assert!(stdout(&o).contains("status potential→new in 2026-05"), "{}", stdout(&o));
    let o = rapport(h, &["--db", db, "classes", "--history", "--client", "NOPE"]);
    assert_eq!(o.status.code(), Some(2));
    let o = rapport(h, &["--db", db, "classes", "--as-of", "2026-02-30"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a date"));
}
}
