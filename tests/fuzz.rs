//! Fuzz-style property tests: random bytes and strings into every decoder
//! and parser users or files can reach. None may panic; what they accept
//! must round-trip.

use proptest::prelude::*;

use rapport::domain::*;
use rapport::io::Kind;
use rapport::io::import::{ImportOptions, plan};
use rapport::model::{ClientAggregate, Counters, Model};
use rapport::store::codec::{self, Record, decode};

fn decodes_without_panic<R: Record>(bytes: &[u8]) {
    let _ = decode::<R>(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn frame_decoder(payload in proptest::collection::vec(any::<u8>(), 0..400), to_server in any::<bool>()) {
        use rapport::server::protocol::{ToServer, ToSession, read_frame};
        // A frame with a valid length and envelope, so the message decoder
        // is reached; then the same bytes raw, frame after frame.
        let mut env = vec![b'R', b'P', if to_server { 23 } else { 24 }, 0, 1];
        env.extend_from_slice(&payload);
        let crc = crc32fast::hash(&env);
        env.extend_from_slice(&crc.to_be_bytes());
        let mut framed = (env.len() as u32).to_be_bytes().to_vec();
        framed.extend_from_slice(&env);
        let _ = read_frame::<ToServer>(&mut framed.as_slice());
        let _ = read_frame::<ToSession>(&mut framed.as_slice());
        let mut raw = payload.as_slice();
        while read_frame::<ToServer>(&mut raw).is_ok() {}
    }

    #[test]
    fn record_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..300), valid_prefix in any::<bool>()) {
        // Half the cases start like a real envelope so the payload decoder
        // is reached, not only the envelope checks.
        let mut b = bytes;
        if valid_prefix && b.len() > 9 {
            b[0] = b'R';
            b[1] = b'P';
            b[3] = 0;
            b[4] = 1;
            let n = b.len();
            let crc = crc32fast::hash(&b[..n - 4]);
            b[n - 4..].copy_from_slice(&crc.to_be_bytes());
        }
        for kind in 1..=18u8 {
            if b.len() > 2 {
                b[2] = kind;
            }
            decodes_without_panic::<Client>(&b);
            decodes_without_panic::<Offer>(&b);
            decodes_without_panic::<Settlement>(&b);
            decodes_without_panic::<Ticket>(&b);
            decodes_without_panic::<ClientAggregate>(&b);
            decodes_without_panic::<Counters>(&b);
            decodes_without_panic::<Settings>(&b);
            decodes_without_panic::<AuditEntry>(&b);
            let _ = codec::decode_snapshot(&b);
        }
    }

    #[test]
    fn money_and_dates(text in "\\PC{0,24}", digits in "[-+]?[0-9]{0,20}([.,][0-9]{0,4})?") {
        for s in [&text, &digits] {
            if let Ok(m) = Money::parse(s) {
                prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
            }
            if let Ok(d) = parse_date(s) {
                prop_assert_eq!(parse_date(&d.to_string()), Ok(d));
            }
        }
    }

    #[test]
    fn csv_importers(bytes in proptest::collection::vec(any::<u8>(), 0..400), text in "[a-z0-9,;\"\\n\\r .:/-]{0,200}") {
        let model = Model::default();
        let opts = ImportOptions {
            create_missing: true,
            today: "2026-11-22".parse().unwrap(),
            new_clients_manager: None,
            allow_duplicates: false,
        };
        for kind in Kind::IMPORT_ORDER {
            let header = kind.columns().iter().map(|(c, _)| *c).collect::<Vec<_>>().join(",");
            for body in [bytes.clone(), text.as_bytes().to_vec(), [header.as_bytes(), b"\n", text.as_bytes()].concat()] {
                if let Err(errors) = plan(&model, kind, "f.csv", &body, &opts) {
                    prop_assert!(!errors.is_empty());
                    for e in errors {
                        prop_assert!(e.to_string().starts_with("f.csv:"));
                    }
                }
            }
        }
    }
}

/// A real backup of a small demo book, written once for the properties below.
fn demo_backup() -> &'static [u8] {
    static BACKUP: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BACKUP.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut store = rapport::store::Store::open(&dir.path().join("db")).unwrap();
        let opts = rapport::demo::DemoOptions {
            clients: 6,
            seed: 7,
            today: "2026-11-22".parse().unwrap(),
        };
        rapport::demo::generate(&mut store, &opts, &mut |_| {}).unwrap();
        let mut out = Vec::new();
        store
            .write_backup(&mut out, "2026-11-22T08:00:00".parse().unwrap())
            .unwrap();
        out
    })
}

fn read_backup(bytes: &[u8]) -> Result<usize, rapport::store::backup::BackupError> {
    let mut r = rapport::store::backup::reader::Reader::new(bytes, "prop", false)?;
    let mut n = 0;
    while r.next_line()?.is_some() {
        n += 1;
    }
    Ok(n)
}

/// How a file gets damaged: bytes flipped, lines lost, doubled, moved, cut.
#[derive(Debug, Clone)]
enum Damage {
    Flip { at: usize, mask: u8 },
    DropLine(usize),
    DoubleLine(usize),
    SwapLines(usize, usize),
    Cut(usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Damage::Flip { at, mask }),
        any::<usize>().prop_map(Damage::DropLine),
        any::<usize>().prop_map(Damage::DoubleLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Damage::SwapLines(a, b)),
        any::<usize>().prop_map(Damage::Cut),
    ]
}

fn apply(original: &[u8], d: &Damage) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = original.split_inclusive(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    let n = lines.len();
    match *d {
        Damage::Flip { at, mask } => {
            let mut v = original.to_vec();
            let i = at % v.len();
            v[i] ^= mask;
            return v;
        }
        Damage::Cut(at) => return original[..at % original.len()].to_vec(),
        Damage::DropLine(i) => {
            lines.remove(i % n);
        }
        Damage::DoubleLine(i) => {
            let l = lines[i % n].clone();
            lines.insert(i % n, l);
        }
        Damage::SwapLines(a, b) => lines.swap(a % n, b % n),
    }
    lines.concat()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn backup_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600), header in any::<bool>()) {
        let mut input = Vec::new();
        if header {
            input.extend_from_slice(&demo_backup()[..demo_backup().iter().position(|b| *b == b'\n').unwrap() + 1]);
        }
        input.extend_from_slice(&bytes);
        let _ = read_backup(&input);
    }

    /// Whatever the damage, a backup is read whole only if its bytes are
    /// the ones written.
    #[test]
    fn a_damaged_backup_is_never_read_whole(d in damage()) {
        let original = demo_backup();
        prop_assert!(read_backup(original).is_ok());
        let damaged = apply(original, &d);
        if damaged != original {
            prop_assert!(read_backup(&damaged).is_err(), "{:?} went unnoticed", d);
        }
    }
}
