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
