//! Class engine budgets (issue 3) on the 100,000-client demo data:
//! full recomputation from aggregates, incremental update after one
//! settlement, as-of date change. The data set is generated once into
//! `target/bench-data/demo-100k` (about a minute) and reused.

use std::path::PathBuf;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};

use rapport::classes::{Engine, compute};
use rapport::demo::{DemoOptions, generate};
use rapport::domain::*;
use rapport::model::{Change, Model};
use rapport::store::Store;

const TODAY: &str = "2026-11-22";

fn bench_db() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    target.join("bench-data").join("demo-100k")
}

pub fn demo_model() -> Model {
    let path = bench_db();
    let mut store = Store::open(&path).expect("open the bench database");
    if store.model().clients.len() < 100_000 {
        assert!(
            store.model().clients.is_empty(),
            "{} holds a partial data set; delete it",
            path.display()
        );
        eprintln!("generating 100,000 demo clients into {} …", path.display());
        let opts = DemoOptions {
            clients: 100_000,
            seed: 42,
            today: TODAY.parse().unwrap(),
        };
        generate(&mut store, &opts, &mut |_| {}).expect("demo");
    }
    store.model().clone()
}

fn classes(c: &mut Criterion) {
    let model = demo_model();
    let as_of: NaiveDate = TODAY.parse().unwrap();
    let mut group = c.benchmark_group("classes_100k");
    group.sample_size(20);
    group.bench_function("full_recompute", |b| b.iter(|| compute(&model, as_of)));

    let mut m = model.clone();
    let mut engine = Engine::new(&m, as_of);
    let mut id = m.counters.settlement;
    let mut n = 0u32;
    group.bench_function("incremental_one_settlement", |b| {
        b.iter(|| {
            id += 1;
            n += 1;
            let change = Change::Settlement {
                old: None,
                new: Some(Settlement {
                    id: SettlementId(id),
                    client: ClientId(1 + n % 100_000),
                    date: as_of,
                    amount: Money(12_345),
                    product: Some(ProductId(1)),
                    doc: String::new(),
                    seq: 0,
                }),
            };
            m.apply(&change);
            engine.apply(&m, std::slice::from_ref(&change));
        })
    });

    let mut engine = Engine::new(&model, as_of);
    let dates: Vec<NaiveDate> = ["2026-03-31", "2025-12-31", "2026-11-22", "2024-02-29"]
        .iter()
        .map(|d| d.parse().unwrap())
        .collect();
    let mut i = 0;
    group.bench_function("as_of_change", |b| {
        b.iter(|| {
            i = (i + 1) % dates.len();
            engine.set_as_of(&model, dates[i]);
        })
    });
    group.finish();
}

criterion_group!(benches, classes);
criterion_main!(benches);
