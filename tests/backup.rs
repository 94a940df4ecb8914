//! Backup and restore on the real binary and a real database.

mod common;

use common::*;
use rapport::store::Store;

#[test]
fn a_backup_of_the_demo_restores_to_an_identical_model() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let src = h.join("src");
    let dst = h.join("dst");
    let dump = h.join("backup.jsonl");
    let o = rapport(
        h,
        &[
            "--db",
            src.to_str().unwrap(),
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
            src.to_str().unwrap(),
            "offer",
            "C000001",
            "crm-basic",
            "excluded",
            "--note",
            "n/a",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = rapport(h, &["--db", src.to_str().unwrap(), "backup", dump.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("backed up "), "{}", stdout(&o));
    let text = std::fs::read_to_string(&dump).unwrap();
    let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(header["format"], "rapport-backup");
    assert_eq!(header["schema"], 1);
    // Human-readable: ISO dates, not day numbers.
    assert!(text.contains("\"date\":\"20"), "dates are not ISO text");

    let o = rapport(h, &["--db", dst.to_str().unwrap(), "restore", dump.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let a = Store::open(&src).unwrap();
    let b = Store::open(&dst).unwrap();
    assert_eq!(a.model(), b.model());
    let sa: Vec<_> = a.settlements().collect::<Result<_, _>>().unwrap();
    let sb: Vec<_> = b.settlements().collect::<Result<_, _>>().unwrap();
    assert_eq!(sa, sb);
    let aa: Vec<_> = a.audit().collect::<Result<_, _>>().unwrap();
    let ab: Vec<_> = b.audit().collect::<Result<_, _>>().unwrap();
    assert_eq!(aa, ab);
    drop((a, b));

    // Restoring over a database with data is refused.
    let o = rapport(h, &["--db", src.to_str().unwrap(), "restore", dump.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already holds data"), "{}", stderr(&o));
}

#[test]
fn a_damaged_backup_is_refused_and_leaves_nothing_behind() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let src = h.join("src");
    let dump = h.join("b.jsonl");
    assert!(
        rapport(
            h,
            &[
                "--db",
                src.to_str().unwrap(),
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
        rapport(h, &["--db", src.to_str().unwrap(), "backup", dump.to_str().unwrap()])
            .status
            .success()
    );
    let text = std::fs::read_to_string(&dump).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[5] = "{\"kind\":\"client\",\"record\":{\"id\":\"x\"}}".into();
    let bad = h.join("bad.jsonl");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let dst = h.join("dst");
    let o = rapport(h, &["--db", dst.to_str().unwrap(), "restore", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("{}:6: unreadable record", bad.display())),
        "{}",
        stderr(&o)
    );
    assert!(!dst.exists(), "a failed restore left a database behind");

    let future = text.replacen("\"schema\":1", "\"schema\":99", 1);
    std::fs::write(&bad, future).unwrap();
    let o = rapport(h, &["--db", dst.to_str().unwrap(), "restore", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("schema 99 cannot be restored"), "{}", stderr(&o));
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
    let (restored, _) = rapport::store::backup::restore(&dir.join("2026-11-22.jsonl"), &home.path().join("r")).unwrap();
    assert_eq!(restored.model(), store.model());
}
