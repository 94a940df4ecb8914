//! A full disk: rapport runs on a 3 MB tmpfs until it fills. The user gets
//! an error, the failing command is not reported as applied, and every
//! command confirmed before survives a reopen. Needs root (mount), as on
//! this project's machines and CI.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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

#[test]
fn a_full_disk_fails_the_command_and_loses_nothing_confirmed() {
    let home = tempfile::tempdir().unwrap();
    let mount = Mount::tmpfs(&home.path().join("fs"), "3m");
    let db = mount.0.join("db");
    let mut child = Command::new(BIN)
        .args(["--db", db.to_str().unwrap(), "stress-writer"])
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
    assert!(err.contains("No space left on device"), "{err}");
    assert!(last > 100, "only {last} commands fit before the disk was full");

    // Reopen a copy (the full filesystem has no room for sled's recovery).
    let copy = home.path().join("copy");
    let status = Command::new("cp").arg("-a").arg(&db).arg(&copy).status().unwrap();
    assert!(status.success());
    drop(mount);
    let store = Store::open(&copy).expect("reopen after a full disk");
    let client = store.model().client_by_ref("STRESS").unwrap().id;
    let mut amounts: Vec<i64> = store
        .settlements_of(client)
        .unwrap()
        .iter()
        .map(|s| s.amount.0)
        .collect();
    amounts.sort_unstable();
    for n in 1..=last as i64 {
        assert!(amounts.binary_search(&n).is_ok(), "confirmed command {n} lost");
    }
}
