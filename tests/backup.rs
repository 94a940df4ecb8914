//! Backup and restore on the real binary and a real database.

mod common;

use common::*;
use rapport::domain::ClientId;
use rapport::store::Store;
use rapport::write::Command as Cmd;

on_both! {
/// On either backend: the restored database holds the same model, the
/// same settlements and the same audit trail (its backup is the same,
/// line for line, but for the header's time).
fn a_backup_of_the_demo_restores_to_an_identical_model(kind) {
    let (Some(book_src), Some(book_dst)) = (Book::empty(kind), Book::empty(kind)) else {
        return;
    };
    let h = book_src.home.path();
    let (src, dst) = (book_src.db.as_str(), book_dst.db.as_str());
    let dump = h.join("backup.jsonl");
    let o = rapport(
        h,
        &[
            "--db",
            src,
            "demo",
            "--clients",
            "80",
            "--today",
            "2026-11-22",
        ],
    );
    assert!(o.status.success());
    // Some edits after the demo, so the audit trail has several authors.
    let o = rapport(
        h,
        &[
            "--db",
            src,
            "offer",
            "C000001",
            "crm-basic",
            "excluded",
            "--note",
            "n/a",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // An archived client: the trash is restored too.
    let o = rapport(h, &["--db", src, "client", "archive", "C000005"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = rapport(h, &["--db", src, "backup", dump.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("backed up "), "{}", stdout(&o));
    let text = std::fs::read_to_string(&dump).unwrap();
    let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(header["format"], "rapport-backup");
    assert_eq!(header["schema"], rapport::store::codec::SCHEMA_VERSION);
    // The sales records (the demo's sources, competitors and instalments).
    assert!(text.contains("{\"kind\":\"sales\""), "no sales records in the backup");
    // Human-readable: ISO dates, not day numbers.
    assert!(text.contains("\"date\":\"20"), "dates are not ISO text");

    let o = rapport(h, &["--db", dst, "restore", dump.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (mut a, mut b) = (open_db(src), open_db(dst));
    assert!(a.model() == b.model(), "the restored model differs");
    assert_eq!(b.model().trash.clients.len(), 1);
    let all = |db: &mut Box<dyn rapport::backend::Backend>| {
        let mut all = Vec::new();
        db.each_settlement(&mut |_, s| {
            all.push(s);
            true
        })
        .unwrap();
        all
    };
    assert_eq!(all(&mut a), all(&mut b));
    drop((a, b));
    let again = h.join("again.jsonl");
    let o = rapport(h, &["--db", dst, "backup", again.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Between the header (the time) and the trailer (its checksum covers
    // the header).
    let body = |f: &std::path::Path| {
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        lines[1..lines.len() - 1].join("\n")
    };
    assert!(body(&dump) == body(&again), "the audit trail or a record differs after the restore");

    // Restoring over a database with data is refused.
    let o = rapport(h, &["--db", src, "restore", dump.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already holds data"), "{}", stderr(&o));
}

fn a_damaged_backup_is_refused_and_leaves_nothing_behind(kind) {
    let (Some(book_src), Some(book_dst)) = (Book::empty(kind), Book::empty(kind)) else {
        return;
    };
    let h = book_src.home.path();
    let (src, dst) = (book_src.db.as_str(), book_dst.db.as_str());
    let dump = h.join("b.jsonl");
    assert!(
        rapport(
            h,
            &[
                "--db",
                src,
                "demo",
                "--clients",
                "10",
                "--today",
                "2026-11-22"
            ]
        )
        .status
        .success()
    );
    assert!(
        rapport(h, &["--db", src, "backup", dump.to_str().unwrap()])
            .status
            .success()
    );
    let text = std::fs::read_to_string(&dump).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[5] = "{\"kind\":\"client\",\"record\":{\"id\":\"x\"}}".into();
    let bad = h.join("bad.jsonl");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let o = rapport(h, &["--db", dst, "restore", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("{}:6: unreadable record", bad.display())),
        "{}",
        stderr(&o)
    );
    match kind {
        Kind::Sled => assert!(!std::path::Path::new(dst).exists(), "a failed restore left a database behind"),
        Kind::Postgres => assert_eq!(open_db(dst).model().counters.seq, 0, "a failed restore wrote into the target"),
    }

    let schema = format!("\"schema\":{}", rapport::store::codec::SCHEMA_VERSION);
    assert!(text.contains(&schema));
    let future = text.replacen(&schema, "\"schema\":99", 1);
    std::fs::write(&bad, future).unwrap();
    let o = rapport(h, &["--db", dst, "restore", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("schema 99 cannot be restored"), "{}", stderr(&o));
}
}

#[test]
fn one_automatic_backup_a_day_keeping_seven() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("backups");
    std::fs::create_dir_all(&dir).unwrap();
    for day in 1..=9 {
        std::fs::write(dir.join(format!("2026-01-{day:02}.jsonl")), "old").unwrap();
    }
    std::fs::write(dir.join("keep-me.jsonl"), "not a daily backup").unwrap();
    let mut store = small_store(home.path());
    store.save_snapshot().unwrap();
    let today = d("2026-11-22");
    let written = store.daily_backup(&dir, today, 7).unwrap();
    assert_eq!(written, Some(dir.join("2026-11-22.jsonl")));
    assert_eq!(
        store.daily_backup(&dir, today, 7).unwrap(),
        None,
        "a second one the same day"
    );
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "2026-01-04.jsonl",
            "2026-01-05.jsonl",
            "2026-01-06.jsonl",
            "2026-01-07.jsonl",
            "2026-01-08.jsonl",
            "2026-01-09.jsonl",
            "2026-11-22.jsonl",
            "keep-me.jsonl"
        ]
    );
    // The backup restores.
    let (restored, _) =
        rapport::store::backup::restore(&dir.join("2026-11-22.jsonl"), &home.path().join("r"), false).unwrap();
    assert_eq!(restored.model(), store.model());
}

fn demo_with_backup(h: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let src = h.join("src");
    let dump = h.join("backup.jsonl");
    let db = src.to_str().unwrap();
    let o = rapport(h, &["--db", db, "demo", "--clients", "40", "--today", "2026-11-22"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = rapport(h, &["--db", db, "backup", dump.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    (src, dump)
}

/// Restoring `text` fails with exit 2, names `expect`, and leaves no database.
fn refused(h: &std::path::Path, name: &str, text: &str, expect: &str) {
    let file = h.join(format!("{name}.jsonl"));
    std::fs::write(&file, text).unwrap();
    let dst = h.join(format!("dst-{name}"));
    let o = rapport(h, &["--db", dst.to_str().unwrap(), "restore", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{name}: {}", stdout(&o));
    assert!(stderr(&o).contains(expect), "{name}: {}", stderr(&o));
    assert!(!dst.exists(), "{name}: a half-restored database was left");
    let o = rapport(h, &["verify", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{name}: verify passed it");
    assert!(stderr(&o).contains(expect), "{name}: {}", stderr(&o));
}

#[test]
fn a_cut_doubled_or_altered_backup_is_refused_naming_the_first_problem() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (_, dump) = demo_with_backup(h);
    let text = std::fs::read_to_string(&dump).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let o = rapport(h, &["verify", dump.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("complete and unaltered"), "{}", stdout(&o));

    // Cut at a line boundary, a third of the way in.
    let cut: String = lines[..lines.len() / 3].iter().map(|l| format!("{l}\n")).collect();
    refused(h, "cut", &cut, "without its trailer: it was cut short");
    // Cut in the middle of the last line.
    refused(h, "torn", &text[..text.len() - 20], "cut short");
    // One settlement line twice.
    let at = lines
        .iter()
        .position(|l| l.starts_with("{\"kind\":\"settlement\""))
        .unwrap();
    let mut doubled: Vec<&str> = lines.clone();
    doubled.insert(at + 1, lines[at]);
    refused(
        h,
        "duplicated",
        &(doubled.join("\n") + "\n"),
        "duplicated or moved line",
    );
    // The whole file twice.
    refused(h, "twice", &format!("{text}{text}"), "after the trailer");
    // One amount changed.
    let altered = text.replacen("\"amount\":", "\"amount\":1", 1);
    refused(h, "altered", &altered, "do not match the trailer's checksum");
    // A line removed and the trailer's counts left as they were.
    let mut fewer = lines.clone();
    fewer.remove(at);
    refused(h, "fewer", &(fewer.join("\n") + "\n"), "checksum");
}

/// A backup written by the rapport before the trailer (format version 1)
/// still restores, when asked to, to the exports taken before.
#[test]
fn a_version_1_backup_restores_with_allow_unproven_to_the_same_exports() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/backup-v1");
    let file = fixture.join("backup-v1.jsonl");
    let dst = h.join("dst");
    let db = dst.to_str().unwrap();
    let o = rapport(h, &["--db", db, "restore", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--allow-unproven"), "{}", stderr(&o));
    assert!(!dst.exists());
    let o = rapport(h, &["--db", db, "restore", file.to_str().unwrap(), "--allow-unproven"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for kind in ["clients", "settlements", "offers"] {
        let o = rapport(h, &["--db", db, "--server", "never", "export", kind]);
        assert!(o.status.success(), "{}", stderr(&o));
        let mut before = std::fs::read_to_string(fixture.join(format!("v1-{kind}.csv"))).unwrap();
        if kind == "clients" {
            before = with_source_column(&before);
        }
        assert_eq!(stdout(&o), before, "{kind} differ after the restore");
    }
    let o = rapport(h, &["--db", db, "--server", "never", "verify"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}

/// Bytes flipped inside sled's file: `verify` finds and names the damage.
#[test]
fn verify_reports_damage_in_the_middle_of_the_database() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (src, _) = demo_with_backup(h);
    let db = src.to_str().unwrap();
    let o = rapport(h, &["--db", db, "--server", "never", "verify"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("every checksum and every rebuild agrees"),
        "{}",
        stdout(&o)
    );
    let csv = h.join("marker.csv");
    std::fs::write(
        &csv,
        "client,date,amount,product,doc\nC000003,2026-11-20,12.34,,MARKER-DAMAGE-0001\n",
    )
    .unwrap();
    let o = rapport(
        h,
        &[
            "--db",
            db,
            "--server",
            "never",
            "import",
            "settlements",
            csv.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let file = src.join("db");
    let mut bytes = std::fs::read(&file).unwrap();
    let marker = b"MARKER-DAMAGE-0001";
    let spots: Vec<usize> = bytes
        .windows(marker.len())
        .enumerate()
        .filter(|(_, w)| w == marker)
        .map(|(i, _)| i)
        .collect();
    assert!(!spots.is_empty(), "the marker is not in sled's file");
    for at in spots {
        let start = at.saturating_sub(100);
        for b in bytes.iter_mut().skip(start).take(200) {
            *b ^= 0x5a;
        }
    }
    std::fs::write(&file, bytes).unwrap();
    let o = rapport(h, &["--db", db, "--server", "never", "verify"]);
    assert_eq!(o.status.code(), Some(1), "damage went unnoticed: {}", stdout(&o));
    let said = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        said.contains("problem") || said.contains("damaged") || said.contains("corrupt"),
        "{said}"
    );
    // Nor does an ordinary command carry on as if nothing happened.
    let o = rapport(h, &["--db", db, "--server", "never", "export", "clients"]);
    assert_ne!(o.status.code(), Some(0), "an export of a damaged database passed");
}

/// Without a server, the first command of a day takes the day's backup.
#[test]
fn a_direct_command_takes_the_days_backup() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (src, _) = demo_with_backup(h);
    let dir = h.join("data/rapport/backups");
    let _ = std::fs::remove_dir_all(&dir);
    let o = rapport(
        h,
        &[
            "--db",
            src.to_str().unwrap(),
            "--server",
            "never",
            "log",
            "C000001",
            "--channel",
            "call",
            "--summary",
            "hello",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let today = chrono::Local::now().date_naive();
    let taken: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).unwrap().flatten())
        .map(|f| f.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(taken, [format!("{today}.jsonl")]);
    let file = todays_backup(&dir);
    let o = rapport(h, &["verify", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A restore is built beside its target and moved into place at the end:
/// a refused one leaves an existing (empty) database exactly as it was,
/// and no staging directory behind.
#[test]
fn a_failed_restore_never_touches_the_target() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (_, dump) = demo_with_backup(h);
    let dst = h.join("empty-db");
    let (before, created) = {
        let s = Store::open(&dst).unwrap();
        (s.model().clone(), s.created())
    };
    let text = std::fs::read_to_string(&dump).unwrap();
    let cut = h.join("cut.jsonl");
    // Cut late (1,518 lines): the restore's writer has applied its first
    // batches of 1,000 lines when the reading fails.
    assert!(text.lines().count() > 1_200, "{}", text.lines().count());
    std::fs::write(&cut, &text[..text.len() * 9 / 10]).unwrap();
    let o = rapport(h, &["--db", dst.to_str().unwrap(), "restore", cut.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let after = Store::open(&dst).unwrap();
    assert_eq!(after.model(), &before, "the failed restore wrote into the target");
    assert_eq!(after.created(), created, "the target was deleted and made anew");
    drop(after);
    assert!(!h.join(".empty-db.restoring").exists(), "a staging directory was left");
    assert_eq!(Store::open(&dst).unwrap().model().counters.seq, 0);
    let o = rapport(h, &["--db", dst.to_str().unwrap(), "restore", dump.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(Store::open(&dst).unwrap().model().clients.len(), 40);
}

/// The demo's database (80 clients) and its store, opened in-process.
fn demo_store(h: &std::path::Path) -> Store {
    let db = h.join("db");
    let o = rapport(
        h,
        &[
            "--db",
            db.to_str().unwrap(),
            "demo",
            "--clients",
            "80",
            "--today",
            "2026-11-22",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    Store::open(&db).unwrap()
}

/// Commands that create, rewrite and delete records in most trees: new
/// settlements, edited and deleted ones, an archived client, a merge (its
/// persons and offers leave their keys), a new client, queue marks.
fn writes(store: &Store, round: u32) -> Vec<Cmd> {
    let m = store.model();
    let clients: Vec<ClientId> = m.clients.keys().copied().collect();
    let some = |i: usize| clients[(i + round as usize * 7) % clients.len()];
    let settled = store.settlements_of(some(1)).unwrap();
    let mut out = vec![
        Cmd::RecordSettlement {
            client: some(0),
            date: d("2026-11-20"),
            amount: rapport::domain::Money(12_345),
            product: None,
            doc: format!("R{round}"),
        },
        Cmd::AddClient {
            reference: format!("NEW{round}"),
            name: format!("New {round}"),
            segment: None,
            manager: None,
            created: d("2026-11-22"),
            notes: String::new(),
            tags: vec![],
        },
    ];
    if let Some(s) = settled.first() {
        out.push(Cmd::EditSettlement {
            client: s.client,
            id: s.id,
            expected_seq: None,
            date: s.date,
            amount: rapport::domain::Money(s.amount.0 + 1),
            product: s.product,
            doc: s.doc.clone(),
        });
    }
    if let Some(s) = settled.last().filter(|_| settled.len() > 1) {
        out.push(Cmd::DeleteSettlement {
            client: s.client,
            id: s.id,
            expected_seq: None,
        });
    }
    out.push(Cmd::Archive {
        key: rapport::domain::Archivable::Client(some(2)),
        expected_seq: None,
        on: d("2026-11-22"),
    });
    out.push(Cmd::MergeClients {
        into: some(3),
        from: some(4),
        expected: None,
        on: d("2026-11-22"),
    });
    out
}

#[test]
fn a_backup_begun_before_writes_holds_the_database_as_it_was_then() {
    let home = tempfile::tempdir().unwrap();
    let mut store = demo_store(home.path());
    let taken = d("2026-11-22").and_hms_opt(6, 0, 0).unwrap();
    let mut before = Vec::new();
    store.write_backup(&mut before, taken).unwrap();

    // Written out after the writes: the moment it was begun.
    let view = store.begin_backup().unwrap();
    for round in 0..3 {
        for cmd in writes(&store, round) {
            store.execute("hweber", cmd).unwrap();
        }
    }
    let mut late = Vec::new();
    view.write(&mut late, taken).unwrap();
    assert!(
        before == late,
        "the view does not hold the database as it was when it was begun"
    );
    drop(view);

    // Written out while commands go on, on another thread.
    let mut now = Vec::new();
    store.write_backup(&mut now, taken).unwrap();
    assert!(now != before, "the writes changed nothing");
    let view = store.begin_backup().unwrap();
    let writer = std::thread::spawn(move || {
        let mut text = Vec::new();
        view.write(&mut text, taken).map(|_| text)
    });
    for round in 3..8 {
        for cmd in writes(&store, round) {
            store.execute("hweber", cmd).unwrap();
        }
    }
    let during = writer.join().unwrap().unwrap();
    assert!(
        now == during,
        "a backup written during writes differs from the moment it began"
    );

    // And it is a backup restore proves and takes.
    let file = home.path().join("during.jsonl");
    std::fs::write(&file, &during).unwrap();
    let o = rapport(
        home.path(),
        &[
            "--db",
            home.path().join("copy").to_str().unwrap(),
            "restore",
            file.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}
