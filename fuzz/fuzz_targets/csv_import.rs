//! Any bytes as each importable CSV kind, planned against a small model:
//! every problem is a `FILE:LINE` error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport::io::Kind;
use rapport::io::import::{ImportOptions, plan};
use rapport::model::Model;

fuzz_target!(|bytes: &[u8]| {
    let model = Model::default();
    let Some(today) = chrono::NaiveDate::from_ymd_opt(2026, 11, 22) else {
        return;
    };
    for kind in Kind::IMPORT_ORDER.into_iter().chain([Kind::Offers]) {
        for create_missing in [false, true] {
            let _ = plan(&model, kind, "fuzz.csv", bytes, &ImportOptions { create_missing, today });
        }
    }
});

