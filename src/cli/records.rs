//! `rapport client add|edit` and `rapport person add|edit`: keeping the
//! client records from the command line. Clients are named by ref, a
//! person by their client's ref and their name; flags are named like the
//! CSV columns. Each prints what changed (`--format json`: the changes).

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};

use rapport::backend::Backend;
use rapport::domain::*;
use rapport::model::Model;
use rapport::write::{Command, Event};

use super::{CliResult, Failure, Target, client_by_ref, current_login, date_arg, open_holding};
use rapport::find::named::Wanted;

#[derive(Args, Debug)]
pub struct ClientArgs {
    #[command(subcommand)]
    action: ClientAction,
}

#[derive(Subcommand, Debug)]
enum ClientAction {
    /// Add a client (a manager on a team's server adds clients for
    /// themselves).
    Add {
        #[arg(long = "ref", value_name = "REF")]
        reference: String,
        #[arg(long)]
        name: String,
        /// The segment's code.
        #[arg(long)]
        segment: Option<String>,
        /// The manager's login (default: the manager you are, if any).
        #[arg(long)]
        manager: Option<String>,
        /// The day the client became one (default: today).
        #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
        created: Option<NaiveDate>,
        #[arg(long, default_value = "")]
        notes: String,
        /// A tag (repeat for several).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// How the client was acquired (see `rapport sales-setup`).
        #[arg(long)]
        source: Option<String>,
        /// Create it even though it looks like a client already there.
        #[arg(long)]
        allow_duplicate: bool,
        #[arg(long, value_enum, default_value = "text")]
        format: Said,
    },
    /// Change a client's fields: those given are changed, the others kept.
    Edit {
        /// The client's ref; several refs change them all at once (one
        /// command: all or nothing, one undo).
        #[arg(required = true, num_args = 1..)]
        clients: Vec<String>,
        #[arg(long)]
        name: Option<String>,
        /// The segment's code; "" files it under none.
        #[arg(long)]
        segment: Option<String>,
        /// The manager's login; "" leaves it with none.
        #[arg(long)]
        manager: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        /// A tag (repeat for several): plain tags replace the old ones;
        /// `+vip` adds one, `-old` removes one.
        #[arg(long = "tag", value_name = "TAG", allow_hyphen_values = true)]
        tags: Vec<String>,
        /// Remove every tag.
        #[arg(long, conflicts_with = "tags")]
        no_tags: bool,
        /// How the client was acquired; "" clears it.
        #[arg(long)]
        source: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Said,
    },
    /// Move a client and everything about it to the trash (out of every
    /// list, class, queue and KPI until restored).
    Archive {
        /// The client's ref.
        client: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Said,
    },
    /// Bring an archived client back from the trash.
    Restore {
        /// The client's ref.
        client: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Said,
    },
}

#[derive(Args, Debug)]
pub struct PersonArgs {
    #[command(subcommand)]
    action: PersonAction,
}

#[derive(Subcommand, Debug)]
enum PersonAction {
    /// Add a contact person to a client.
    Add {
        /// The client's ref.
        client: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        role: String,
        /// A phone number (repeat for several).
        #[arg(long = "phone", value_name = "PHONE")]
        phones: Vec<String>,
        #[arg(long, default_value = "")]
        email: String,
        #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
        birthday: Option<NaiveDate>,
        #[arg(long, value_enum, default_value = "text")]
        format: Said,
    },
    /// Change a contact person's fields: those given are changed.
    Edit {
        /// The client's ref.
        client: String,
        /// The person's name, as it is now.
        person: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        role: Option<String>,
        /// The phone numbers (repeat for several); they replace the old ones.
        #[arg(long = "phone", value_name = "PHONE")]
        phones: Vec<String>,
        #[arg(long)]
        email: Option<String>,
        /// The birthday; "" removes it.
        #[arg(long)]
        birthday: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Said,
    },
    /// Move a contact person to the trash.
    Archive {
        /// The client's ref.
        client: String,
        /// The person's name.
        person: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Said,
    },
    /// Bring an archived contact person back.
    Restore {
        /// The client's ref.
        client: String,
        /// The person's name.
        person: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Said,
    },
}

/// How a change is reported.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Said {
    Text,
    Json,
}

/// `""` names none; any other key must name one (`what`: of which kind).
fn named<T>(key: &str, what: &str, find: impl FnOnce(&str) -> Option<T>) -> Result<Option<T>, Failure> {
    if key.is_empty() {
        return Ok(None);
    }
    find(key)
        .map(Some)
        .ok_or_else(|| Failure::input(format!("unknown {what} '{key}'")))
}

fn segment_of(model: &Model, code: &str) -> Result<Option<SegmentId>, Failure> {
    named(code, "segment", |c| model.segment_by_code(c).map(|s| s.id))
}

fn manager_of(model: &Model, login: &str) -> Result<Option<ManagerId>, Failure> {
    named(login, "manager", |l| model.manager_by_login(l).map(|m| m.id))
}

/// `cmd`, with the client's source set in the same transaction when given.
fn with_source(cmd: Command, reference: &str, source: Option<String>) -> Command {
    match source {
        None => cmd,
        Some(source) => rapport::write::bulk::with_source(cmd, reference, &source),
    }
}

/// Applies `cmd` and says what changed.
pub(super) fn apply(data: &mut dyn Backend, cmd: Command, said: Said) -> CliResult {
    let summary = cmd.describe(data.model());
    let name = cmd.name();
    let event = data.execute(&current_login(), cmd)?;
    report(&event, name, &summary, said)
}

fn report(event: &Event, name: &str, summary: &str, said: Said) -> CliResult {
    match said {
        Said::Text => println!("{}", rapport::domain::text::printable(summary)),
        Said::Json => {
            let out = serde_json::json!({
                "command": name,
                "seq": event.seq,
                "changes": event.changes,
            });
            println!("{out}");
        }
    }
    Ok(())
}

pub fn client_cmd(args: ClientArgs, db: Target) -> CliResult {
    // A new client reads the clients it looks like (to refuse a
    // duplicate); the others read the clients they name.
    let mut store = match &args.action {
        ClientAction::Add {
            name, allow_duplicate, ..
        } => {
            let like = Wanted {
                like: (!allow_duplicate).then(|| name.clone()),
                ..Wanted::default()
            };
            open_holding(db, like)?
        }
        ClientAction::Edit { clients, .. } => open_holding(db, Wanted::refs(clients.iter().cloned()))?,
        ClientAction::Archive { client, .. } | ClientAction::Restore { client, .. } => {
            open_holding(db, Wanted::refs([client.clone()]))?
        }
    };
    let model = store.model();
    let (cmd, said) = match args.action {
        ClientAction::Add {
            reference,
            name,
            segment,
            manager,
            created,
            notes,
            tags,
            source,
            allow_duplicate,
            format,
        } => {
            if !allow_duplicate {
                super::find::refuse_duplicate(model, &reference, &name)?;
            }
            let manager = match manager {
                Some(login) => manager_of(model, &login)?,
                None => store
                    .acting_manager()
                    .or_else(|| model.manager_by_login(&current_login()).map(|m| m.id)),
            };
            let cmd = Command::AddClient {
                reference: reference.clone(),
                name,
                segment: segment_of(model, segment.as_deref().unwrap_or(""))?,
                manager,
                created: created.unwrap_or_else(super::today),
                notes,
                tags,
            };
            (with_source(cmd, &reference, source), format)
        }
        ClientAction::Edit {
            clients,
            name,
            segment,
            manager,
            notes,
            tags,
            no_tags,
            source,
            format,
        } => {
            if clients.len() > 1 {
                if name.is_some() {
                    return Err(Failure::input("several clients cannot take one name"));
                }
                let ids = clients
                    .iter()
                    .map(|r| client_by_ref(model, r).map(|c| c.id))
                    .collect::<Result<Vec<_>, _>>()?;
                let edit = rapport::write::bulk::Edit {
                    manager: manager.as_deref().map(|l| manager_of(model, l)).transpose()?,
                    segment: segment.as_deref().map(|c| segment_of(model, c)).transpose()?,
                    tags,
                    no_tags,
                    notes,
                };
                let mut cmd = if edit.is_empty() && source.is_some() {
                    Command::Batch {
                        label: format!("set the source of {} clients", clients.len()),
                        commands: Vec::new(),
                    }
                } else {
                    rapport::write::bulk::edit(model, &ids, &edit).map_err(Failure::input)?
                };
                if let (Command::Batch { commands, .. }, Some(source)) = (&mut cmd, &source) {
                    commands.extend(clients.iter().map(|reference| Command::SetSource {
                        reference: reference.clone(),
                        source: source.clone(),
                    }));
                }
                return apply(&mut store, cmd, format);
            }
            let client = clients.into_iter().next().unwrap_or_default();
            let c = client_by_ref(model, &client)?;
            let only_source = name.is_none()
                && segment.is_none()
                && manager.is_none()
                && notes.is_none()
                && tags.is_empty()
                && !no_tags;
            if let (true, Some(source)) = (only_source, &source) {
                let cmd = Command::SetSource {
                    reference: client,
                    source: source.clone(),
                };
                return apply(&mut store, cmd, format);
            }
            let cmd = Command::EditClient {
                client: c.id,
                expected_version: Some(c.version),
                name: name.unwrap_or_else(|| c.name.clone()),
                segment: match segment {
                    Some(code) => segment_of(model, &code)?,
                    None => c.segment,
                },
                manager: match manager {
                    Some(login) => manager_of(model, &login)?,
                    None => c.manager,
                },
                notes: notes.unwrap_or_else(|| c.notes.clone()),
                tags: if no_tags {
                    Vec::new()
                } else {
                    rapport::domain::text::edit_tags(&c.tags, &tags).map_err(Failure::input)?
                },
            };
            (with_source(cmd, &client, source), format)
        }
        ClientAction::Archive { client, format } => {
            let c = client_by_ref(model, &client)?;
            let cmd = Command::Archive {
                key: Archivable::Client(c.id),
                expected_seq: Some(c.seq),
                on: super::today(),
            };
            (cmd, format)
        }
        ClientAction::Restore { client, format } => {
            let t = model
                .trash
                .client_by_ref(&client)
                .ok_or_else(|| Failure::input(format!("client '{client}' is not in the trash")))?;
            let cmd = Command::Restore {
                key: Archivable::Client(t.client.id),
            };
            (cmd, format)
        }
    };
    apply(&mut store, cmd, said)
}

pub fn person_cmd(args: PersonArgs, db: Target) -> CliResult {
    let client = match &args.action {
        PersonAction::Add { client, .. }
        | PersonAction::Edit { client, .. }
        | PersonAction::Archive { client, .. }
        | PersonAction::Restore { client, .. } => client,
    };
    let mut store = open_holding(db, Wanted::refs([client.clone()]))?;
    let model = store.model();
    let (cmd, said) = match args.action {
        PersonAction::Add {
            client,
            name,
            role,
            phones,
            email,
            birthday,
            format,
        } => {
            let cmd = Command::AddPerson {
                client: client_by_ref(model, &client)?.id,
                name,
                role,
                phone: phones.join(", "),
                email,
                birthday,
            };
            (cmd, format)
        }
        PersonAction::Edit {
            client,
            person,
            name,
            role,
            phones,
            email,
            birthday,
            format,
        } => {
            let c = client_by_ref(model, &client)?;
            let p = person_named(model, c, &person)?;
            let birthday = match birthday.as_deref() {
                None => p.birthday,
                Some("") => None,
                Some(s) => Some(parse_date(s).map_err(|e| Failure::input(format!("--birthday: {e}")))?),
            };
            let cmd = Command::EditPerson {
                client: c.id,
                person: p.id,
                expected_seq: Some(p.seq),
                name: name.unwrap_or_else(|| p.name.clone()),
                role: role.unwrap_or_else(|| p.role.clone()),
                phone: if phones.is_empty() {
                    p.phone.clone()
                } else {
                    phones.join(", ")
                },
                email: email.unwrap_or_else(|| p.email.clone()),
                birthday,
            };
            (cmd, format)
        }
        PersonAction::Archive { client, person, format } => {
            let c = client_by_ref(model, &client)?;
            let p = person_named(model, c, &person)?;
            let cmd = Command::Archive {
                key: Archivable::Person(c.id, p.id),
                expected_seq: Some(p.seq),
                on: super::today(),
            };
            (cmd, format)
        }
        PersonAction::Restore { client, person, format } => {
            let c = client_by_ref(model, &client)?;
            let p = model
                .trash
                .persons
                .values()
                .find(|t| t.person.client == c.id && t.person.name.eq_ignore_ascii_case(person.trim()))
                .ok_or_else(|| {
                    Failure::input(format!(
                        "{} has no archived contact person named '{person}'",
                        c.reference
                    ))
                })?;
            let cmd = Command::Restore {
                key: Archivable::Person(c.id, p.person.id),
            };
            (cmd, format)
        }
    };
    apply(&mut store, cmd, said)
}

/// The client's contact person named `name` (any case).
fn person_named<'m>(model: &'m Model, c: &Client, name: &str) -> Result<&'m ContactPerson, Failure> {
    model
        .persons_of(c.id)
        .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| Failure::input(format!("{} has no contact person named '{name}'", c.reference)))
}

#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// The client's ref.
    client: String,
    #[arg(long, value_enum, default_value = "text")]
    format: Said,
}

/// `rapport history REF`: every change to the client's records, oldest
/// first, with who made it and when (the audit trail of SPEC §2).
pub fn history_cmd(args: HistoryArgs, db: Target) -> CliResult {
    let mut store = super::open_for_command(db)?;
    if let Some(done) = super::answered_by_server(&mut store, false) {
        return done;
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    write_history(&mut store, &args, &mut out)?;
    use std::io::Write as _;
    out.flush().map_err(super::io_err)?;
    drop(out);
    super::finish_read(store)
}

/// What `rapport history` prints, from `store` (here, or the server's).
pub fn write_history(store: &mut dyn Backend, args: &HistoryArgs, out: &mut dyn std::io::Write) -> CliResult {
    let id = client_by_ref(store.model(), &args.client)?.id;
    let entries = store.history_of(id)?;
    let model = store.model();
    let engine = rapport::classes::Engine::new(model, super::today());
    let mut out = out;
    match args.format {
        Said::Json => {
            let moved = rapport::history::classes_moved(model, &engine, id, &entries);
            let doc: Vec<serde_json::Value> = entries
                .iter()
                .zip(moved)
                .map(|(e, moved)| {
                    let mut entry = serde_json::json!({
                        "seq": e.seq,
                        "who": e.who,
                        "at": e.at,
                        "summary": e.summary,
                        "what": e.changes.iter().map(|c| c.describe(model)).collect::<Vec<_>>(),
                        "changes": e.changes,
                    });
                    // Only where the command's settlements moved the classes.
                    if let (Some((before, after)), Some(map)) = (moved, entry.as_object_mut()) {
                        map.insert(
                            "classes".into(),
                            serde_json::json!({
                                "as_of": engine.as_of(),
                                "before": rapport::history::label(&before),
                                "after": rapport::history::label(&after),
                            }),
                        );
                    }
                    entry
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &doc).map_err(super::io_err)?;
            writeln!(out).map_err(super::io_err)?;
        }
        Said::Text => {
            for line in rapport::history::lines(model, &engine, id, &entries) {
                writeln!(out, "{line}").map_err(super::io_err)?;
            }
        }
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct SettlementArgs {
    #[command(subcommand)]
    action: SettlementAction,
}

/// Which settlement: the client's ref, its date and amount (and its
/// document, when several match).
#[derive(Args, Debug)]
struct WhichSettlement {
    /// The client's ref.
    client: String,
    /// The settlement's date, as it is now.
    #[arg(value_parser = date_arg)]
    date: NaiveDate,
    /// The settlement's amount, as it is now (e.g. 1200.00 or -50).
    #[arg(allow_hyphen_values = true)]
    amount: String,
    /// Its document ref, when several settlements have that date and amount.
    #[arg(long, value_name = "DOC")]
    match_doc: Option<String>,
}

#[derive(Subcommand, Debug)]
enum SettlementAction {
    /// Correct a settlement: the fields given change, the others stay.
    Edit {
        #[command(flatten)]
        which: WhichSettlement,
        #[arg(long = "new-date", value_parser = date_arg, value_name = "YYYY-MM-DD")]
        new_date: Option<NaiveDate>,
        #[arg(long = "new-amount", allow_hyphen_values = true, value_name = "AMOUNT")]
        new_amount: Option<String>,
        /// The product's code; "" for none.
        #[arg(long)]
        product: Option<String>,
        #[arg(long)]
        doc: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Said,
    },
    /// Delete a settlement entered by mistake.
    Delete {
        #[command(flatten)]
        which: WhichSettlement,
        #[arg(long, value_enum, default_value = "text")]
        format: Said,
    },
}

fn money(text: &str, what: &str) -> Result<Money, Failure> {
    Money::parse(text).map_err(|e| Failure::input(format!("{what}: {e}")))
}

/// The one settlement `which` names, or why there is none.
fn settlement_of(data: &mut dyn Backend, which: &WhichSettlement) -> Result<Settlement, Failure> {
    let client = client_by_ref(data.model(), &which.client)?.id;
    let amount = money(&which.amount, "the amount")?;
    let found: Vec<Settlement> = data
        .settlements_of(client)?
        .into_iter()
        .filter(|s| s.date == which.date && s.amount == amount)
        .filter(|s| which.match_doc.as_deref().is_none_or(|d| s.doc == d))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Failure::input(format!(
            "{} has no settlement of {amount} on {}",
            which.client, which.date
        ))),
        several => {
            let docs: Vec<String> = several.iter().map(|s| format!("'{}'", s.doc)).collect();
            Err(Failure::input(format!(
                "{} settlements of {amount} on {}: name one with --match-doc ({})",
                several.len(),
                which.date,
                docs.join(", ")
            )))
        }
    }
}

pub fn settlement_cmd(args: SettlementArgs, db: Target) -> CliResult {
    let which = match &args.action {
        SettlementAction::Edit { which, .. } | SettlementAction::Delete { which, .. } => which,
    };
    let mut store = open_holding(db, Wanted::refs([which.client.clone()]))?;
    let (cmd, said) = match args.action {
        SettlementAction::Edit {
            which,
            new_date,
            new_amount,
            product,
            doc,
            format,
        } => {
            let s = settlement_of(&mut store, &which)?;
            let product = match product.as_deref() {
                None => s.product,
                Some(code) => named(code, "product", |c| store.model().product_by_code(c).map(|p| p.id))?,
            };
            let cmd = Command::EditSettlement {
                client: s.client,
                id: s.id,
                expected_seq: Some(s.seq),
                date: new_date.unwrap_or(s.date),
                amount: match new_amount {
                    Some(a) => money(&a, "--new-amount")?,
                    None => s.amount,
                },
                product,
                doc: doc.unwrap_or(s.doc),
            };
            (cmd, format)
        }
        SettlementAction::Delete { which, format } => {
            let s = settlement_of(&mut store, &which)?;
            (
                Command::DeleteSettlement {
                    client: s.client,
                    id: s.id,
                    expected_seq: Some(s.seq),
                },
                format,
            )
        }
    };
    apply(&mut store, cmd, said)
}
