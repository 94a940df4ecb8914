//! Any payload as a model snapshot, sealed in a valid envelope so the
//! header, the two halves' framing and their payloads are reached: errors,
//! never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let mut v = vec![b'R', b'P', 21, 0, 1];
    v.extend_from_slice(bytes);
    let crc = crc32fast::hash(&v);
    v.extend_from_slice(&crc.to_be_bytes());
    let _ = rapport::store::codec::decode_snapshot(&v);
    let _ = rapport::store::codec::decode_snapshot(bytes);
});
