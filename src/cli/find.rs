//! `rapport find`, `rapport duplicates` and `rapport merge`: a client by
//! anything known about it (an incoming call: `rapport find 0612345678`),
//! the pairs of clients that look like one, and one of them merged into
//! the other.

use std::io::Write;

use clap::Args;

use super::records::Said;
use super::sheet::{Output, Sheet, col, listing};
use super::{CliResult, Failure, Target, client_by_ref, current_login, date_arg, open_holding, today};
use rapport::backend::Backend;
use rapport::find::{self, duplicates};
use rapport::model::Model;

#[derive(Args, Debug)]
pub struct FindArgs {
    /// A name or part of one, a ref, a phone number or some of its digits,
    /// an email, a tag, a word of the notes.
    query: String,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    format: Output,
}

#[derive(Args, Debug)]
pub struct DuplicatesArgs {
    #[arg(long, value_enum, default_value_t = Output::Text)]
    format: Output,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The ref of the client that stays.
    into: String,
    /// The ref of the duplicate: its records move to the first, and it is
    /// archived with a note naming the first.
    duplicate: String,
    /// The day of the merge (today by default).
    #[arg(long, value_parser = date_arg)]
    on: Option<chrono::NaiveDate>,
    #[arg(long, value_enum, default_value = "text")]
    format: Said,
}

/// Who a person is, to say whose phone or email matched.
fn person_name(model: &Model, hit: &find::Hit) -> String {
    hit.person
        .and_then(|p| model.persons.get(&(hit.client, p)))
        .map_or_else(String::new, |p| p.name.clone())
}

/// Through a server (an incoming call), the server searches its model and
/// only the answer travels (`Backend::query`).
pub fn find_cmd(args: FindArgs, db: Target) -> CliResult {
    if args.query.trim().is_empty() {
        return Err(Failure::input(
            "find what? (a name, a ref, a phone number, an email, a tag)",
        ));
    }
    super::read_here_or_there(db, |model, out| write_find(model, args, out))
}

/// What `rapport find` prints, from `model`.
pub fn write_find(model: &Model, args: FindArgs, out: &mut dyn Write) -> CliResult {
    let hits = find::find(model, &args.query);
    let name = |c| {
        model
            .clients
            .get(&c)
            .map_or_else(String::new, |c: &rapport::domain::Client| c.name.clone())
    };
    // Nothing found: nothing printed (an empty JSON list for scripts).
    if !hits.is_empty() || args.format == Output::Json {
        let json = || -> Vec<serde_json::Value> {
            hits.iter()
                .map(|h| {
                    serde_json::json!({
                        "ref": model.client_label(h.client), "name": name(h.client),
                        "field": h.field, "value": h.value, "person": hit_person(model, h),
                    })
                })
                .collect()
        };
        let sheet = || {
            let columns = vec![
                col("Ref", &["ref"]),
                col("Name", &["name"]),
                col("Matched", &["field"]),
                col("Value", &["value"]),
                col("Person", &["person"]),
            ];
            Sheet::listing(
                columns,
                hits.iter().map(|h| {
                    let (field, who) = (h.field.as_str().to_string(), person_name(model, h));
                    vec![
                        model.client_label(h.client),
                        name(h.client),
                        field,
                        h.value.clone(),
                        who,
                    ]
                }),
            )
        };
        listing(args.format, out, json, sheet)?;
    }
    Ok(())
}

fn hit_person(model: &Model, h: &find::Hit) -> Option<String> {
    Some(person_name(model, h)).filter(|n| !n.is_empty())
}

/// Through a server, the server compares its clients and only the pairs
/// travel (`Backend::query`).
pub fn duplicates_cmd(args: DuplicatesArgs, db: Target) -> CliResult {
    super::read_here_or_there(db, |model, out| write_duplicates(model, args, out))
}

/// What `rapport duplicates` prints, from `model`.
pub fn write_duplicates(model: &Model, args: DuplicatesArgs, out: &mut dyn Write) -> CliResult {
    let pairs = duplicates::pairs(model);
    let name = |c| model.clients.get(&c).map_or_else(String::new, |c| c.name.clone());
    let json = || -> Vec<serde_json::Value> {
        pairs
            .iter()
            .map(|p| {
                serde_json::json!({
                    "a": model.client_label(p.a), "a_name": name(p.a),
                    "b": model.client_label(p.b), "b_name": name(p.b),
                    "reasons": p.reasons,
                })
            })
            .collect()
    };
    let sheet = || {
        let columns = vec![
            col("A", &["a"]),
            col("Name", &["a_name"]),
            col("B", &["b"]),
            col("Name", &["b_name"]),
            col("Why", &["reasons"]),
        ];
        Sheet::listing(
            columns,
            pairs.iter().map(|p| {
                let why: Vec<String> = p.reasons.iter().map(ToString::to_string).collect();
                vec![
                    model.client_label(p.a),
                    name(p.a),
                    model.client_label(p.b),
                    name(p.b),
                    why.join("; "),
                ]
            }),
        )
    };
    listing(args.format, out, json, sheet)
}

/// The clients a new one named `name` looks like, said as a refusal
/// (`--allow-duplicate` creates it anyway).
pub fn refuse_duplicate(model: &Model, reference: &str, name: &str) -> Result<(), Failure> {
    // A common name can have hundreds: the first few are named, the rest counted.
    const NAMED: usize = 5;
    let like = duplicates::likely(model, name);
    if like.is_empty() {
        return Ok(());
    }
    let more = match like.len().saturating_sub(NAMED) {
        0 => String::new(),
        n => format!(" and {n} more of that name"),
    };
    let named: Vec<&str> = like.iter().take(NAMED).map(String::as_str).collect();
    Err(Failure::input(format!(
        "{reference} ({name}) looks like {}{more}; add --allow-duplicate to create it anyway",
        named.join(", ")
    )))
}

pub fn merge_cmd(args: MergeArgs, db: Target) -> CliResult {
    let wanted = rapport::find::named::Wanted::refs([args.into.clone(), args.duplicate.clone()]);
    let mut store = open_holding(db, wanted)?;
    let model = store.model();
    let into = client_by_ref(model, &args.into)?;
    let from = client_by_ref(model, &args.duplicate)?;
    let cmd = rapport::write::Command::MergeClients {
        into: into.id,
        from: from.id,
        expected: Some((into.version, from.version)),
        on: args.on.unwrap_or_else(today),
    };
    let summary = cmd.describe(model);
    let event = store.execute(&current_login(), cmd)?;
    match args.format {
        Said::Text => {
            let moved = rapport::write::merge_moved(&event.changes);
            let moved = if moved.is_empty() { "nothing".to_string() } else { moved };
            println!(
                "{}: {moved} moved; {} archived (rapport undo takes the merge back)",
                rapport::domain::text::printable(&summary),
                rapport::domain::text::printable(&args.duplicate)
            );
        }
        Said::Json => println!(
            "{}",
            serde_json::json!({"command": "merge_clients", "seq": event.seq, "changes": event.changes})
        ),
    }
    Ok(())
}
