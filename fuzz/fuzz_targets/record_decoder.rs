//! Any payload into the record decoder of every kind, sealed in a valid
//! envelope (magic, kind, version, CRC) so the payload decoder itself is
//! reached, and also as raw bytes: errors, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport::domain::*;
use rapport::model::{ClientAggregate, Counters};
use rapport::store::codec::decode;

/// `payload` in an envelope of `kind` with a correct checksum.
fn sealed(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![b'R', b'P', kind, 0, 1];
    v.extend_from_slice(payload);
    let crc = crc32fast::hash(&v);
    v.extend_from_slice(&crc.to_be_bytes());
    v
}

fuzz_target!(|bytes: &[u8]| {
    let _ = decode::<Client>(bytes);
    let _ = decode::<Client>(&sealed(8, bytes));
    let _ = decode::<ContactPerson>(&sealed(9, bytes));
    let _ = decode::<Settlement>(&sealed(10, bytes));
    let _ = decode::<ClientAggregate>(&sealed(11, bytes));
    let _ = decode::<Offer>(&sealed(12, bytes));
    let _ = decode::<ContactEntry>(&sealed(13, bytes));
    let _ = decode::<Task>(&sealed(14, bytes));
    let _ = decode::<Survey>(&sealed(15, bytes));
    let _ = decode::<Ticket>(&sealed(16, bytes));
    let _ = decode::<AuditEntry>(&sealed(17, bytes));
    let _ = decode::<QueueMark>(&sealed(19, bytes));
    let _ = decode::<Questionnaire>(&sealed(20, bytes));
    let _ = decode::<Counters>(&sealed(2, bytes));
    let _ = decode::<Settings>(&sealed(3, bytes));
});
