//! A large import is all or nothing even when the process is killed: its
//! new settlements are written in batches before its transaction
//! (`crates/store/src/staging.rs`), and opening removes those of an import
//! that did not commit.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const ROWS: usize = 12_000;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// What the database holds, as its exports and classes say.
fn state(h: &Path, db: &Path) -> String {
    let mut all = String::new();
    for args in [
        &["export", "settlements"][..],
        &["export", "clients"],
        &["classes", "--as-of", "2026-11-22"],
    ] {
        let o = rapport(
            h,
            &[&["--db", db.to_str().unwrap(), "--server", "never"], args].concat(),
        );
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        all.push_str(&stdout(&o));
    }
    all
}

fn import(h: &Path, db: &Path, file: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.env("XDG_DATA_HOME", h.join("data"))
        .env("XDG_CONFIG_HOME", h.join("config"))
        .args([
            "--db",
            db.to_str().unwrap(),
            "--server",
            "never",
            "import",
            "settlements",
        ])
        .arg(file)
        .env("RAPPORT_TEST_STAGE_BATCH", "400")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

#[test]
fn an_import_killed_at_ten_random_moments_leaves_the_database_as_it_was() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let original = h.join("original");
    let o = rapport(
        h,
        &[
            "--db",
            original.to_str().unwrap(),
            "demo",
            "--clients",
            "60",
            "--today",
            "2026-11-22",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = rapport(h, &["--db", original.to_str().unwrap(), "export", "clients"]);
    let refs: Vec<String> = stdout(&o)
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next().map(str::to_string))
        .collect();
    let mut csv = String::from("client,date,amount,product,doc\n");
    for i in 0..ROWS {
        csv.push_str(&format!(
            "{},2026-10-{:02},{}.00,,BIG-{i}\n",
            refs[i % refs.len()],
            1 + i % 28,
            1 + i % 90
        ));
    }
    let file = h.join("big.csv");
    std::fs::write(&file, csv).unwrap();
    let before = state(h, &original);

    // The whole import, once, for its result and its duration.
    let whole = h.join("whole");
    copy_dir(&original, &whole);
    let started = Instant::now();
    assert!(import(h, &whole, &file).status().unwrap().success());
    let took = started.elapsed();
    let after = state(h, &whole);
    assert!(after.contains("BIG-11999"), "the import did not take");

    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut killed = 0;
    for round in 0..10 {
        let db = h.join(format!("round-{round}"));
        copy_dir(&original, &db);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Anywhere from the start to a little past the usual end.
        let at = took.mul_f64((seed % 1000) as f64 / 1000.0 * 1.1);
        let mut child = import(h, &db, &file).spawn().unwrap();
        std::thread::sleep(at.max(Duration::from_millis(1)));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap_or(()); // SIGKILL
        child.wait().unwrap();
        let now = state(h, &db);
        if finished {
            assert!(now == after, "round {round}: an import that finished is not all there");
        } else {
            killed += 1;
            assert!(
                now == before || now == after,
                "round {round}: killed after {at:?}, the database is neither as before nor as after"
            );
        }
        let o = rapport(h, &["--db", db.to_str().unwrap(), "--server", "never", "verify"]);
        assert!(o.status.success(), "round {round}: {}", stdout(&o));
        std::fs::remove_dir_all(&db).unwrap();
    }
    assert!(killed >= 5, "only {killed} of 10 imports were killed before they ended");
}
