//! A writer for durability tests and benchmarks: applies `count`
//! settlements (amount = its number in cents) to one client and prints
//! `ok N` only after the command returned, i.e. after it was flushed. A test
//! kills it at random moments and checks every reported N is on disk. With
//! `--writers N` (a shared database: a server or PostgreSQL), N sessions
//! write at once, each to a client of its own, and `--timings` prints each
//! command's round trip in microseconds at the end (`us N`).

use std::io::Write;
use std::time::Instant;

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
    /// Sessions writing at once, each on its own thread and client.
    #[arg(long, default_value_t = 1)]
    writers: usize,
    /// Names this process's clients (`STRESS-<tag>-<n>`) when several
    /// processes write at once.
    #[arg(long)]
    tag: Option<String>,
    /// Print each command's round trip (microseconds) at the end.
    #[arg(long)]
    timings: bool,
}

pub fn run(args: StressArgs, db: Target) -> CliResult {
    if args.writers <= 1 {
        let reference = match &args.tag {
            Some(tag) => format!("STRESS-{tag}-0"),
            None => "STRESS".into(),
        };
        let timings = write(&db, &reference, args.from, args.count, true)?;
        return print_timings(args.timings, &timings);
    }
    let tag = args.tag.clone().unwrap_or_else(|| std::process::id().to_string());
    let results: Vec<Result<Vec<u128>, Failure>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..args.writers)
            .map(|n| {
                let db = db.clone();
                let reference = format!("STRESS-{tag}-{n}");
                s.spawn(move || write(&db, &reference, args.from, args.count, false))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Failure::system("a writer thread panicked")))
            })
            .collect()
    });
    let mut all = Vec::new();
    for r in results {
        all.extend(r?);
    }
    print_timings(args.timings, &all)
}

fn print_timings(timings: bool, all: &[u128]) -> CliResult {
    if !timings {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    for us in all {
        writeln!(out, "us {us}").map_err(|e| Failure::system(e.to_string()))?;
    }
    Ok(())
}

/// One session writing `count` settlements to the client `reference`
/// (made if missing); `confirm`: print `ok N` after each.
fn write(db: &Target, reference: &str, from: u64, count: u64, confirm: bool) -> Result<Vec<u128>, Failure> {
    let mut store = open_store(db.clone().creating())?;
    let client = match store.model().client_by_ref(reference) {
        Some(c) => c.id,
        None => {
            let event = store.execute(
                "stress",
                Command::AddClient {
                    reference: reference.into(),
                    name: "Stress writer".into(),
                    segment: None,
                    manager: None,
                    created: super::today(),
                    notes: String::new(),
                    tags: Vec::new(),
                },
            )?;
            event
                .changes
                .iter()
                .find_map(|c| match c {
                    rapport::model::Change::Client(c) if c.reference == reference => Some(c.id),
                    _ => None,
                })
                .unwrap_or(ClientId(0))
        }
    };
    // Held by the one confirming writer only: writers on threads must not
    // wait for each other's lock on standard output.
    let mut out = confirm.then(|| std::io::stdout().lock());
    let mut timings = Vec::new();
    for n in from..from.saturating_add(count) {
        let start = Instant::now();
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
        timings.push(start.elapsed().as_micros());
        if let Some(out) = out.as_mut() {
            writeln!(out, "ok {n}").map_err(|e| Failure::system(e.to_string()))?;
            out.flush().map_err(|e| Failure::system(e.to_string()))?;
        }
    }
    Ok(timings)
}
