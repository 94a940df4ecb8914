//! Disk space: a command is refused before anything is written when the
//! disk cannot hold it, and a small reserve file keeps room for sled to
//! reopen the database after a write failed on a disk filled by someone
//! else; plus the cleanup of sled's own half-written temporary files.

use std::fs;
use std::io;
use std::path::Path;

/// The reserve file in the database directory.
pub const RESERVE_FILE: &str = "rapport-reserve";
/// Room a command needs beyond twice its bytes: sled writes each value to
/// its log, with headers, and may start a new 512 KiB segment.
pub const SLACK: u64 = 2 * 1024 * 1024;
const RESERVE_MAX: u64 = 4 * 1024 * 1024;

/// Bytes an unprivileged writer may still use on the filesystem of `path`.
pub fn free_bytes(path: &Path) -> io::Result<u64> {
    let st = nix::sys::statvfs::statvfs(path).map_err(io::Error::from)?;
    Ok(st.blocks_available().saturating_mul(st.fragment_size()))
}

/// The reserve's size: 4 MiB, or a sixteenth of a small filesystem.
fn reserve_size(path: &Path) -> u64 {
    match nix::sys::statvfs::statvfs(path) {
        Ok(st) => (st.blocks().saturating_mul(st.fragment_size()) / 16).min(RESERVE_MAX),
        Err(_) => RESERVE_MAX,
    }
}

/// Makes sure the reserve file exists, when there is room to spare for it
/// (never taking the last of the disk). Best effort.
pub fn keep_reserve(dir: &Path) -> bool {
    let file = dir.join(RESERVE_FILE);
    let size = reserve_size(dir);
    if fs::metadata(&file).is_ok_and(|m| m.len() >= size) {
        return true;
    }
    if free_bytes(dir).unwrap_or(0) < size.saturating_mul(4).saturating_add(SLACK) {
        return false;
    }
    let made = fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&file)
        .and_then(|f| {
            // Allocated, not sparse: the blocks are really taken.
            nix::fcntl::posix_fallocate(&f, 0, size as i64).map_err(io::Error::from)?;
            f.sync_all()
        });
    if made.is_err() {
        let _ = fs::remove_file(&file);
    }
    made.is_ok()
}

/// Gives the reserve back to the filesystem (so that reopening the
/// database after a failed write finds room).
pub fn release_reserve(dir: &Path) {
    let _ = fs::remove_file(dir.join(RESERVE_FILE));
}

/// sled writes a snapshot of its page table as `snap.N.generating` and
/// renames it when complete; a disk that fills meanwhile leaves it cut
/// short, and sled then picks it (the lexically last `snap.` file) and
/// refuses to open. Such a file holds nothing of ours and is incomplete by
/// sled's own check (length and CRC32 trailer): remove it. A complete one
/// is left for sled to use.
pub fn remove_incomplete_sled_snapshots(dir: &Path) -> io::Result<Vec<String>> {
    let mut removed = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("snap.") && name.ends_with(".generating")) {
            continue;
        }
        let bytes = fs::read(entry.path())?;
        if !sled_snapshot_complete(&bytes) {
            fs::remove_file(entry.path())?;
            removed.push(name);
        }
    }
    Ok(removed)
}

/// sled's own test: more than 12 bytes, ending in the payload's length
/// (8 bytes) and CRC32 (4 bytes, little-endian).
fn sled_snapshot_complete(bytes: &[u8]) -> bool {
    let Some(body_len) = bytes.len().checked_sub(12).filter(|n| *n > 0) else {
        return false;
    };
    let (body, trailer) = bytes.split_at(body_len);
    let crc = trailer
        .get(8..12)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_le_bytes);
    crc == Some(crc32fast::hash(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_incomplete_generating_snapshots_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        fs::write(p.join("snap.00000000000000A0.generating"), b"").unwrap();
        fs::write(p.join("snap.00000000000000B0.generating"), b"0123456789abcdef").unwrap();
        let body = b"page table";
        let mut whole = body.to_vec();
        whole.extend_from_slice(&(body.len() as u64).to_le_bytes());
        whole.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
        fs::write(p.join("snap.00000000000000C0.generating"), &whole).unwrap();
        fs::write(p.join("snap.00000000000000D0"), b"").unwrap();
        let mut removed = remove_incomplete_sled_snapshots(p).unwrap();
        removed.sort();
        assert_eq!(
            removed,
            ["snap.00000000000000A0.generating", "snap.00000000000000B0.generating"]
        );
        assert!(p.join("snap.00000000000000C0.generating").exists());
        assert!(
            p.join("snap.00000000000000D0").exists(),
            "finished snapshots are sled's business"
        );
    }

    #[test]
    fn the_reserve_is_made_and_given_back() {
        let dir = tempfile::tempdir().unwrap();
        assert!(keep_reserve(dir.path()));
        let len = fs::metadata(dir.path().join(RESERVE_FILE)).unwrap().len();
        assert!(len > 0 && len <= RESERVE_MAX);
        release_reserve(dir.path());
        assert!(!dir.path().join(RESERVE_FILE).exists());
    }
}
