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
