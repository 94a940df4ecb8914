//! Any text as a date and as an amount: accepted values round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport::domain::{Money, parse_date};

fuzz_target!(|text: &str| {
    if let Ok(d) = parse_date(text) {
        assert_eq!(parse_date(&d.to_string()), Ok(d));
    }
    if let Ok(m) = Money::parse(text) {
        assert_eq!(Money::parse(&m.to_string()), Ok(m));
    }
});
