//! `rapport contact edit|delete`, `rapport task edit|delete`,
//! `rapport trash [--purge]` and `rapport undo [--dry-run]`: correcting and
//! removing from the command line. A logged contact is named by its client
//! and the minute it was logged at (as `rapport export log` prints it), a
//! task by its id (`task-12`, as `rapport today` prints it).

use chrono::{NaiveDate, NaiveDateTime};
use clap::{Args, Subcommand};

use rapport::backend::Backend;
use rapport::domain::*;
use rapport::write::Command;

use super::records::{Said, apply};
use super::{
    CliResult, Failure, Target, client_by_ref, current_login, date_arg, open_for_command, open_holding, today,
};
use rapport::find::named::Wanted;

#[derive(Args, Debug)]
pub struct ContactArgs {
    #[command(subcommand)]
    action: ContactAction,
}

/// Which logged contact: its client, its time, and a part of its summary
/// when several were logged in that minute.
#[derive(Args, Debug)]
struct WhichContact {
    /// The client's ref.
    client: String,
    /// When it was logged, as `rapport export log` prints it (YYYY-MM-DD HH:MM).
    at: String,
    /// A part of its summary, when several were logged that minute.
    #[arg(long, value_name = "TEXT")]
    matching: Option<String>,
}

#[derive(Subcommand, Debug)]
enum ContactAction {
    /// Correct a logged contact: the fields given change, the others stay.
    Edit {
        #[command(flatten)]
        which: WhichContact,
        /// A new time (YYYY-MM-DD HH:MM).
        #[arg(long, value_name = "YYYY-MM-DD HH:MM")]
        new_at: Option<String>,
        /// call, meeting, email, message or visit.
        #[arg(long)]
        channel: Option<String>,
        #[arg(long)]
        summary: Option<String>,
        #[arg(long)]
        outcome: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Said,
    },
    /// Delete a contact logged by mistake.
    Delete {
        #[command(flatten)]
        which: WhichContact,
        #[arg(long, value_enum, default_value = "text")]
        format: Said,
    },
}

#[derive(Subcommand, Debug)]
pub enum TaskAction {
    /// Correct a task: the fields given change, the others stay.
    Edit {
        /// The task's id (task-12).
        id: String,
        /// A new due date (a date or +DAYS).
        #[arg(long)]
        due: Option<String>,
        #[arg(long)]
        text: Option<String>,
        /// The day it was done; "" reopens it.
        #[arg(long)]
        done: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Said,
    },
    /// Delete a task added by mistake.
    Delete {
        /// The task's id (task-12).
        id: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Said,
    },
}

#[derive(Args, Debug)]
pub struct TrashArgs {
    /// Delete for good what has waited in the trash at least --older-than
    /// days (a lead's).
    #[arg(long)]
    purge: bool,
    /// How long an archived record waits before it may be purged.
    #[arg(long, value_name = "DAYS", default_value_t = rapport::write::TRASH_RETENTION_DAYS)]
    older_than: u32,
    /// The day the wait is counted to (default: today).
    #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    #[arg(long, value_enum, default_value = "text")]
    format: Said,
}

#[derive(Args, Debug)]
pub struct UndoArgs {
    /// Say what would be undone, and change nothing.
    #[arg(long)]
    dry_run: bool,
    #[arg(long, value_enum, default_value = "text")]
    format: Said,
}

fn datetime(text: &str, what: &str) -> Result<NaiveDateTime, Failure> {
    let t = text.trim();
    [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    .ok_or_else(|| Failure::input(format!("{what} '{text}' is not a time like 2026-11-20 09:30")))
}

/// The one logged contact `which` names.
fn contact_of(data: &mut dyn Backend, which: &WhichContact) -> Result<ContactEntry, Failure> {
    let c = client_by_ref(data.model(), &which.client)?;
    let (id, reference) = (c.id, c.reference.clone());
    let at = datetime(&which.at, "the time")?;
    let minute = |t: NaiveDateTime| t.format("%Y-%m-%d %H:%M").to_string();
    let mut found: Vec<ContactEntry> = data
        .contacts_of(id)?
        .into_iter()
        .filter(|e| minute(e.at) == minute(at))
        .filter(|e| which.matching.as_ref().is_none_or(|m| e.summary.contains(m.as_str())))
        .collect();
    match found.len() {
        0 => Err(Failure::input(format!(
            "{reference} has no contact logged at {}",
            minute(at)
        ))),
        1 => Ok(found.remove(0)),
        n => Err(Failure::input(format!(
            "{reference} has {n} contacts logged at {}; add --matching with a part of the summary",
            minute(at)
        ))),
    }
}

pub fn contact_cmd(args: ContactArgs, db: Target) -> CliResult {
    let which = match &args.action {
        ContactAction::Edit { which, .. } | ContactAction::Delete { which, .. } => &which.client,
    };
    let mut store = open_holding(db, Wanted::refs([which.clone()]))?;
    let (cmd, said) = match args.action {
        ContactAction::Edit {
            which,
            new_at,
            channel,
            summary,
            outcome,
            format,
        } => {
            let e = contact_of(&mut store, &which)?;
            let channel = match channel {
                Some(c) => Channel::parse(&c).ok_or_else(|| {
                    Failure::input(format!("--channel '{c}': use call, meeting, email, message or visit"))
                })?,
                None => e.channel,
            };
            let at = match new_at {
                Some(t) => datetime(&t, "--new-at")?,
                None => e.at,
            };
            let cmd = Command::EditContact {
                client: e.client,
                id: e.id,
                expected_seq: Some(e.seq),
                person: e.person,
                at,
                channel,
                summary: summary.unwrap_or(e.summary),
                outcome: outcome.unwrap_or(e.outcome),
            };
            (cmd, format)
        }
        ContactAction::Delete { which, format } => {
            let e = contact_of(&mut store, &which)?;
            let cmd = Command::DeleteContact {
                client: e.client,
                id: e.id,
                expected_seq: Some(e.seq),
            };
            (cmd, format)
        }
    };
    apply(&mut store, cmd, said)
}

fn task_of<'m>(model: &'m rapport::model::Model, id: &str) -> Result<&'m Task, Failure> {
    let n = id
        .trim()
        .strip_prefix("task-")
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| Failure::input(format!("'{id}' is not a task id like task-12")))?;
    model
        .tasks
        .get(&TaskId(n))
        .ok_or_else(|| Failure::input(format!("no task {id}")))
}

pub fn task_action(action: TaskAction, db: Target) -> CliResult {
    let id = match &action {
        TaskAction::Edit { id, .. } | TaskAction::Delete { id, .. } => id,
    };
    let mut store = open_holding(db, Wanted::items([id.clone()]))?;
    let model = store.model();
    let (cmd, said) = match action {
        TaskAction::Edit {
            id,
            due,
            text,
            done,
            format,
        } => {
            let t = task_of(model, &id)?;
            let due = match due {
                Some(d) => super::queue::date_or_days(&d, today())?,
                None => t.due,
            };
            let done = match done.as_deref() {
                None => t.done,
                Some("") => None,
                Some(d) => Some(parse_date(d).map_err(|e| Failure::input(format!("--done: {e}")))?),
            };
            let cmd = Command::EditTask {
                task: t.id,
                expected_seq: Some(t.seq),
                due,
                text: text.unwrap_or_else(|| t.text.clone()),
                done,
            };
            (cmd, format)
        }
        TaskAction::Delete { id, format } => {
            let t = task_of(model, &id)?;
            let cmd = Command::DeleteTask {
                task: t.id,
                expected_seq: Some(t.seq),
            };
            (cmd, format)
        }
    };
    apply(&mut store, cmd, said)
}

pub fn trash_cmd(args: TrashArgs, db: Target) -> CliResult {
    let everything = Wanted {
        trash: true,
        ..Wanted::default()
    };
    let mut store = open_holding(db, everything)?;
    let as_of = args.as_of.unwrap_or_else(today);
    let model = store.model();
    let entries: Vec<(Archival, String)> = model
        .trash
        .entries()
        .into_iter()
        .map(|a| (a.clone(), what(model, a.key)))
        .collect();
    if !args.purge {
        match args.format {
            Said::Json => {
                let rows: Vec<_> = entries
                    .iter()
                    .map(|(a, what)| serde_json::json!({"what": what, "archived": a.on, "by": a.who}))
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
            }
            Said::Text if entries.is_empty() => println!("The trash is empty."),
            Said::Text => {
                println!("Trash: {} archived", entries.len());
                for (a, what) in &entries {
                    println!("  {}  {:<12}  {}", a.on, text::printable(&a.who), text::printable(what));
                }
            }
        }
        return Ok(());
    }
    let due = |a: &Archival| {
        a.on.checked_add_days(chrono::Days::new(u64::from(args.older_than)))
            .is_some_and(|from| from <= as_of)
    };
    let commands: Vec<Command> = entries
        .iter()
        .filter(|(a, _)| due(a))
        // A purged client takes its archived persons along.
        .filter(|(a, _)| match a.key {
            Archivable::Person(c, _) => !model.trash.clients.contains_key(&c),
            Archivable::Client(_) => true,
        })
        .map(|(a, _)| Command::Purge {
            key: a.key,
            today: as_of,
            retention_days: args.older_than,
        })
        .collect();
    if entries.is_empty() {
        println!("The trash is empty; nothing purged.");
        return Ok(());
    }
    if commands.is_empty() {
        println!(
            "Nothing in the trash has waited {} days (as of {as_of}); nothing purged.",
            args.older_than
        );
        return Ok(());
    }
    let cmd = Command::Batch {
        label: "purge the trash".into(),
        commands,
    };
    apply(&mut store, cmd, args.format)
}

/// "client C000123 Name" or "contact person Anna Beck of C000123".
fn what(model: &rapport::model::Model, key: Archivable) -> String {
    match key {
        Archivable::Client(c) => match model.trash.clients.get(&c) {
            Some(t) => format!("client {} {}", t.client.reference, t.client.name),
            None => format!("client #{c}"),
        },
        Archivable::Person(c, p) => {
            let name = model
                .trash
                .persons
                .get(&(c, p))
                .map_or_else(|| format!("#{p}"), |t| t.person.name.clone());
            format!("contact person {name} of {}", model.client_label(c))
        }
    }
}

pub fn undo_cmd(args: UndoArgs, db: Target) -> CliResult {
    let mut store = open_for_command(db)?;
    let me = current_login();
    let Some((event, prior)) = store.last_undoable(&me)? else {
        println!("Nothing of yours to undo.");
        return Ok(());
    };
    store.hold(&about(&event))?;
    let what = format!(
        "#{} {} ({})",
        event.seq,
        event.summary,
        event.at.format("%Y-%m-%d %H:%M")
    );
    let inverse = rapport::write::undo::inverse(&event, &prior)
        .map_err(|why| Failure::input(format!("{what} cannot be undone: {why}")))?;
    if args.dry_run {
        let undo = inverse.describe(store.model());
        match args.format {
            Said::Text => println!("Would undo {}: {}", text::printable(&what), text::printable(&undo)),
            Said::Json => println!(
                "{}",
                serde_json::json!({"undo": event.seq, "summary": event.summary, "command": inverse})
            ),
        }
        return Ok(());
    }
    let cmd = Command::Batch {
        label: format!("undo #{}: {}", event.seq, event.summary),
        commands: vec![inverse],
    };
    apply(&mut store, cmd, args.format)
}

/// The records a change to undo is about, to describe it and its undo.
fn about(event: &rapport::write::Event) -> Wanted {
    use rapport::domain::SalesKey;
    use rapport::model::Change;
    let unknown = rapport::model::Model::default();
    let mut wanted = Wanted::default();
    for change in &event.changes {
        match change {
            // Their clients are found through the records they name.
            Change::Mark { key, .. } => wanted.items.push(key.clone()),
            Change::Sales {
                key: SalesKey::Document(n),
                ..
            } => wanted.items.push(n.to_string()),
            other => wanted.clients.extend(unknown.client_of(other)),
        }
    }
    wanted
}
