//! Any bytes from a socket into the server's and the session's frame
//! readers, read frame after frame until an error, raw and with a length
//! prefix and envelope made valid so the message decoder is reached:
//! errors, never panics, never a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport::server::protocol::{ToServer, ToSession, read_frame};

/// `payload` as one frame: length, envelope of `kind` with a good checksum.
fn framed(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut env = vec![b'R', b'P', kind, 0, 1];
    env.extend_from_slice(payload);
    let crc = crc32fast::hash(&env);
    env.extend_from_slice(&crc.to_be_bytes());
    let mut v = (env.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(&env);
    v
}

fuzz_target!(|bytes: &[u8]| {
    let mut input = bytes;
    while read_frame::<ToServer>(&mut input).is_ok() {}
    let mut input = bytes;
    while read_frame::<ToSession>(&mut input).is_ok() {}
    let _ = read_frame::<ToServer>(&mut framed(23, bytes).as_slice());
    let _ = read_frame::<ToSession>(&mut framed(24, bytes).as_slice());
});
