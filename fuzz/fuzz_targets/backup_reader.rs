//! Any bytes as a backup file, as written and behind a valid header: the
//! reader returns records or an error naming a line, never panics, never
//! allocates beyond what the input holds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport::store::backup::reader::Reader;

const HEADER: &str = "{\"format\":\"rapport-backup\",\"version\":2,\"schema\":1,\"db_created\":\"2026-01-01T00:00:00\",\"seq\":1,\"taken\":\"2026-01-01T00:00:00\"}\n";

fn read_all(bytes: &[u8]) {
    if let Ok(mut r) = Reader::new(bytes, "fuzz", true) {
        while let Ok(Some(_)) = r.next_line() {}
    }
}

fuzz_target!(|bytes: &[u8]| {
    read_all(bytes);
    let mut with_header = HEADER.as_bytes().to_vec();
    with_header.extend_from_slice(bytes);
    read_all(&with_header);
});
