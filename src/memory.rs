//! Handing freed memory back to the system.
//!
//! Loading a model frees about as much as it keeps (the snapshot's bytes
//! while they are decoded, decoding buffers, sled's start-up tables), and
//! mimalloc keeps freed pages for reuse: an interface session would stay at
//! its loading peak for the whole day. On a server shared by many SSH
//! sessions that is memory nobody uses, so the interface hands it back once
//! its first frame is up.

/// Returns the pages the allocator holds free to the system.
pub fn give_back() {
    #[cfg(feature = "mimalloc")]
    // SAFETY: `mi_collect` takes no pointers: it walks mimalloc's own free
    // lists, and may be called from any thread at any time.
    unsafe {
        libmimalloc_sys::mi_collect(true)
    };
}

/// Whether this process (and what it starts) may use transparent huge
/// pages. An interface session does without: on the 100k data a lead's
/// first frame after joining a server went from 1.0–1.3 s to 0.74–0.79 s
/// and a direct session's resident memory from 472 to 435 MB, because the
/// kernel no longer zeroes (and, on a machine whose memory is fragmented,
/// compacts) 2 MB at a time for a model built of small records. A server it
/// starts inherits the setting, so `rapport serve` asks for the system's
/// default again.
pub fn huge_pages(allowed: bool) {
    // Advice only: a kernel without the setting changes nothing.
    let _ = nix::sys::prctl::set_thp_disable(!allowed);
}
