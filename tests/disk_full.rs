//! A full disk, on a small tmpfs, directly and through a server: a command
//! the disk cannot hold is refused with nothing written, reads go on, and
//! once space is back writes are accepted again. Also when sled itself
//! runs out of space in the middle of a write (the space check switched
//! off): the failed command leaves no trace and nothing confirmed is lost.
//! Needs root (mount), as on this project's machines and CI.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use common::*;
use rapport::store::Store;

struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, size: &str) -> Mount {
        std::fs::create_dir_all(dir).unwrap();
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .expect("run mount");
        assert!(
            o.status.success(),
            "this test mounts a small tmpfs and needs root: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        Mount(dir.to_path_buf())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the filesystem of `dir` with a file, then gives back `leave`
/// bytes of it.
fn fill(dir: &Path, leave: u64) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    let mut written = 0u64;
    while f.write_all(&chunk).is_ok() {
        written += chunk.len() as u64;
    }
    let _ = f.flush();
    f.set_len(written.saturating_sub(leave)).unwrap();
    f.sync_all().unwrap();
    path
}

/// A settlements file of `n` rows for `n / 10` new clients.
fn settlements_csv(dir: &Path, name: &str, n: usize) -> PathBuf {
    let mut text = String::from("client,date,amount,product,doc\n");
    for i in 0..n {
        text.push_str(&format!(
            "{name}-{},2026-0{}-1{},{}.{:02},,{name}-DOC-{i}\n",
            i / 10,
            1 + i % 9,
            i % 10,
            100 + i,
            i % 100
        ));
    }
    let path = dir.join(format!("{name}.csv"));
    std::fs::write(&path, text).unwrap();
    path
}

/// How the tests reach the database: directly, or through a server.
enum Via {
    Direct,
    Server { child: Child, socket: PathBuf },
}

struct Setup {
    home: tempfile::TempDir,
    mount: Mount,
    db: PathBuf,
    via: Via,
}

impl Setup {
    fn new(server: bool, skip_space_check: bool) -> Setup {
        let home = tempfile::tempdir().unwrap();
        let mount = Mount::tmpfs(&home.path().join("fs"), "20m");
        let db = mount.0.join("db");
        let mut s = Setup {
            home,
            mount,
            db,
            via: Via::Direct,
        };
        let first = settlements_csv(s.home.path(), "FIRST", 200);
        s.ok(&["import", "settlements", first.to_str().unwrap(), "--create-missing"]);
        if server {
            let socket = s.home.path().join("run/s.sock");
            let log = s.home.path().join("serve.log");
            let mut c = Command::new(BIN);
            c.args(["--db", s.db.to_str().unwrap(), "--socket", socket.to_str().unwrap()])
                .args(["serve", "--print-ready"])
                .env("XDG_DATA_HOME", s.home.path().join("data"));
            if skip_space_check {
                c.env("RAPPORT_TEST_SKIP_SPACE_CHECK", "1");
            }
            let child = spawn_server(&mut c, &log);
            s.via = Via::Server { child, socket };
        }
        s
    }

    fn run(&self, args: &[&str], skip_space_check: bool) -> Output {
        let mut c = Command::new(BIN);
        c.arg("--db").arg(&self.db);
        match &self.via {
            Via::Direct => c.args(["--server", "never"]),
            Via::Server { socket, .. } => c.args(["--server", "always", "--socket"]).arg(socket),
        };
        c.args(args)
            .env("XDG_DATA_HOME", self.home.path().join("data"))
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env_remove("RAPPORT_DB");
        if skip_space_check {
            c.env("RAPPORT_TEST_SKIP_SPACE_CHECK", "1");
        }
        c.output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args, false);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        stdout(&o)
    }

    fn export(&self) -> String {
        self.ok(&["export", "settlements"])
    }

    /// Stops the server (if any) and opens the database directly.
    fn close(self) -> (Store, tempfile::TempDir, Mount) {
        if let Via::Server { mut child, .. } = self.via {
            nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            )
            .unwrap();
            assert!(child.wait().unwrap().success());
        }
        let store = Store::open(&self.db).expect("reopen after the disk was full");
        // Every record readable, and everything derived equal to a rebuild.
        let report = store.verify();
        assert!(report.ok(), "{:?}", report.problems);
        (store, self.home, self.mount)
    }
}

fn a_full_disk_refuses_and_recovers(server: bool) {
    let s = Setup::new(server, false);
    let before = s.export();
    let audit_before = s.ok(&["export", "settlements"]).lines().count();
    let filler = fill(&s.mount.0, 256 * 1024);
    let big = settlements_csv(s.home.path(), "BIG", 2_000);
    let o = s.run(
        &["import", "settlements", big.to_str().unwrap(), "--create-missing"],
        false,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("is full") && err.contains("nothing was written"), "{err}");
    // Reads go on, and show nothing of the refused import.
    assert_eq!(s.export(), before);
    s.ok(&["classes"]);
    // Space is back: writes are accepted again.
    std::fs::remove_file(filler).unwrap();
    s.ok(&["import", "settlements", big.to_str().unwrap(), "--create-missing"]);
    assert_eq!(s.export().lines().count(), audit_before + 2_000);
    let (store, _home, _mount) = s.close();
    assert_eq!(store.settlements().count(), 2_200);
}

#[test]
fn a_full_disk_refuses_a_command_whole_and_recovers_directly() {
    a_full_disk_refuses_and_recovers(false);
}

#[test]
fn a_full_disk_refuses_a_command_whole_and_recovers_through_a_server() {
    a_full_disk_refuses_and_recovers(true);
}

/// sled runs out of space in the middle of the import's write.
fn sled_failing_mid_write_keeps_nothing_of_it(server: bool) {
    let s = Setup::new(server, true);
    let before = s.export();
    let seq_before = {
        let o = s.run(&["export", "settlements"], false);
        assert!(o.status.success());
        before.lines().count()
    };
    let filler = fill(&s.mount.0, 300 * 1024);
    let big = settlements_csv(s.home.path(), "BIG", 5_000);
    let o = s.run(
        &["import", "settlements", big.to_str().unwrap(), "--create-missing"],
        true,
    );
    assert_ne!(o.status.code(), Some(0), "the import fitted: {}", stdout(&o));
    // Through the server, reads are still answered, without the import.
    if server {
        assert_eq!(s.export(), before);
    }
    std::fs::remove_file(filler).unwrap();
    assert_eq!(s.export(), before, "the failed import left rows behind");
    // Writes work again, and land whole.
    let small = settlements_csv(s.home.path(), "AFTER", 50);
    s.ok(&["import", "settlements", small.to_str().unwrap(), "--create-missing"]);
    assert_eq!(s.export().lines().count(), seq_before + 50);
    let (store, _home, _mount) = s.close();
    assert_eq!(store.settlements().count(), 250);
    // Two imports confirmed (and no line for the failed one).
    let audit: Vec<_> = store.audit().map(|a| a.unwrap().summary).collect();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(store.model().counters.seq, 2);
}

#[test]
fn sled_out_of_space_mid_write_keeps_nothing_of_it_directly() {
    sled_failing_mid_write_keeps_nothing_of_it(false);
}

#[test]
fn sled_out_of_space_mid_write_keeps_nothing_of_it_through_a_server() {
    sled_failing_mid_write_keeps_nothing_of_it(true);
}

/// A half-written sled page-table snapshot (what a full disk leaves when
/// sled opens) never makes the database unopenable.
#[test]
fn a_cut_sled_snapshot_file_does_not_block_opening() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("db");
    let first = settlements_csv(home.path(), "FIRST", 30);
    let o = rapport(
        home.path(),
        &[
            "--db",
            db.to_str().unwrap(),
            "--server",
            "never",
            "import",
            "settlements",
            first.to_str().unwrap(),
            "--create-missing",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(db.join("snap.FFFFFFFFFFFFFFFF.generating"), b"").unwrap();
    let store = Store::open(&db).expect("open with a cut sled snapshot beside it");
    assert_eq!(store.settlements().count(), 30);
}

#[test]
fn a_full_disk_fails_the_writer_and_loses_nothing_confirmed() {
    let home = tempfile::tempdir().unwrap();
    let mount = Mount::tmpfs(&home.path().join("fs"), "3m");
    let db = mount.0.join("db");
    let mut child = Command::new(BIN)
        .args(["--db", db.to_str().unwrap(), "--server", "never", "stress-writer"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut last = 0u64;
    for line in BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
    {
        last = line.trim_start_matches("ok ").parse().unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the writer should fail when the disk is full"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is full"), "{err}");
    assert!(last > 100, "only {last} commands fit before the disk was full");
    // Reopened in place, on the still full disk.
    let store = Store::open(&db).expect("reopen on a full disk");
    let client = store.model().client_by_ref("STRESS").unwrap().id;
    let mut amounts: Vec<i64> = store
        .settlements_of(client)
        .unwrap()
        .iter()
        .map(|s| s.amount.0)
        .collect();
    amounts.sort_unstable();
    assert_eq!(amounts.len() as u64, last, "a refused command was kept");
    for n in 1..=last as i64 {
        assert!(amounts.binary_search(&n).is_ok(), "confirmed command {n} lost");
    }
}
