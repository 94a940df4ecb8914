//! A writer for durability tests: applies `count` settlements (amount =
//! its number in cents) to one client and prints `ok N` only after the
//! command returned, i.e. after it was flushed. A test kills it at random
//! moments and checks every reported N is on disk.

use std::io::Write;

use clap::Args;

use super::{CliResult, Failure, Target, open_store};
use rapport::backend::Backend;
use rapport::domain::{ClientId, Money};
use rapport::write::Command;

#[derive(Args, Debug)]
pub struct StressArgs {
    /// Start numbering here (a restarted writer continues).
    #[arg(long, default_value_t = 1)]
    from: u64,
    #[arg(long, default_value_t = 1_000_000)]
    count: u64,
}

pub fn run(args: StressArgs, db: Target) -> CliResult {
    let mut store = open_store(db.creating())?;
    let client = match store.model().client_by_ref("STRESS") {
        Some(c) => c.id,
        None => {
            store.execute(
                "stress",
                Command::AddClient {
                    reference: "STRESS".into(),
                    name: "Stress writer".into(),
                    segment: None,
                    manager: None,
                    created: super::today(),
                    notes: String::new(),
                    tags: Vec::new(),
                },
            )?;
            store
                .model()
                .client_by_ref("STRESS")
                .map(|c| c.id)
                .unwrap_or(ClientId(0))
        }
    };
    let mut out = std::io::stdout().lock();
    for n in args.from..args.from.saturating_add(args.count) {
        store.execute(
            "stress",
            Command::RecordSettlement {
                client,
                date: super::today(),
                amount: Money(n as i64),
                product: None,
                doc: format!("S{n}"),
            },
        )?;
        writeln!(out, "ok {n}").map_err(|e| Failure::system(e.to_string()))?;
        out.flush().map_err(|e| Failure::system(e.to_string()))?;
    }
    Ok(())
}
