//! The quick morning review without the TUI (SPEC §5): `rapport today`
//! prints the call list as text, JSON or iCalendar; `log`, `task`, `done`
//! and `snooze` act on it through the same command path as the TUI.

use rapport::backend::Backend;
use rapport::domain::text::printable;
use std::io::{IsTerminal, Write};

use chrono::{Local, NaiveDate};
use clap::Args;
use serde::Serialize;

use super::{CliResult, Failure, Target, current_login, date_arg, finish_read, io_err, today};
use rapport::domain::*;
use rapport::model::Model;
use rapport::queue::{self, Group, Item, ItemKey, Scope};
use rapport::write::Command;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TodayFormat {
    Text,
    Json,
    Ics,
}

#[derive(Args, Debug)]
pub struct TodayArgs {
    /// The day to review (default: today).
    #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    /// Only this manager's clients (default: yours, if you are a manager).
    #[arg(long, value_name = "LOGIN", conflicts_with = "all")]
    manager: Option<String>,
    /// Every manager's clients.
    #[arg(long)]
    all: bool,
    /// Look this many days ahead; past the first 7, items are "Later".
    #[arg(long, value_name = "DAYS", default_value_t = queue::HORIZON_DAYS,
          value_parser = clap::value_parser!(u64).range(0..=3660))]
    horizon: u64,
    #[arg(long, value_enum, default_value_t = TodayFormat::Text)]
    format: TodayFormat,
}

#[derive(Args, Debug)]
pub struct LogArgs {
    /// The client's ref.
    client: String,
    /// call, meeting, email, message or visit.
    #[arg(long, value_parser = channel_arg)]
    channel: Channel,
    /// What was said.
    #[arg(long)]
    summary: String,
    #[arg(long, default_value = "")]
    outcome: String,
    /// The contact person's name (one of the client's persons).
    #[arg(long)]
    person: Option<String>,
    /// The next contact date (a date or +DAYS): it becomes the next cadence
    /// date.
    #[arg(long, value_name = "DATE|+DAYS")]
    next: Option<String>,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct TaskArgs {
    #[command(subcommand)]
    action: Option<super::corrections::TaskAction>,
    /// The client's ref.
    #[arg(required = true)]
    client: Option<String>,
    /// Due date (a date or +DAYS).
    #[arg(required = true)]
    due: Option<String>,
    /// What to do.
    #[arg(required = true)]
    text: Option<String>,
}

#[derive(Args, Debug)]
pub struct DoneArgs {
    /// The item's id, as `rapport today` prints it (e.g. step-12-3).
    id: String,
    /// The day the queue is read as of (default: today).
    #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
}

#[derive(Args, Debug)]
pub struct UnmarkArgs {
    /// The item's id, as `rapport today` printed it (`step-12-3`…).
    id: String,
}

#[derive(Args, Debug)]
pub struct SnoozeArgs {
    /// The item's id, as `rapport today` prints it.
    id: String,
    /// Until when: a date or +DAYS.
    until: String,
    #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
}

fn channel_arg(s: &str) -> Result<Channel, String> {
    Channel::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
        format!("unknown channel '{s}' (one of {})", names.join(", "))
    })
}

/// A date, or `+N` days from `base` (the library's one rule).
pub fn date_or_days(s: &str, base: NaiveDate) -> Result<NaiveDate, Failure> {
    rapport::domain::date_or_days(s, base).map_err(Failure::input)
}

/// `--manager`, `--all`, or the manager whose login is the Unix user.
fn scope(model: &Model, manager: Option<&str>, all: bool, who: &str) -> Result<(Scope, Option<String>), Failure> {
    if all {
        return Ok((Scope::All, None));
    }
    match manager {
        Some(login) => {
            let m = model
                .manager_by_login(login)
                .ok_or_else(|| Failure::input(format!("unknown manager '{login}'")))?;
            Ok((Scope::Manager(m.id), Some(m.login.clone())))
        }
        None => Ok(match model.manager_by_login(who) {
            Some(m) => (Scope::Manager(m.id), Some(m.login.clone())),
            None => (Scope::All, None),
        }),
    }
}

#[derive(Serialize)]
struct JsonItem<'a> {
    #[serde(flatten)]
    item: &'a Item,
    group: Group,
    days_late: i64,
    client_ref: &'a str,
    client_name: &'a str,
    product_code: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonQueue<'a> {
    as_of: NaiveDate,
    manager: Option<String>,
    overdue: usize,
    today: usize,
    soon: usize,
    #[serde(skip_serializing_if = "is_zero")]
    later: usize,
    items: Vec<JsonItem<'a>>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Through a server, the server computes the queue and only the text
/// travels (`Backend::query`).
pub fn today_cmd(args: TodayArgs, db: Target) -> CliResult {
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut store = super::open_for_command(db)?;
    if let Some(done) = super::answered_by_server(&mut store, colour) {
        return done;
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    write_today(
        store.model(),
        &super::compute_classes,
        &super::build_queue,
        args,
        &current_login(),
        colour,
        &mut out,
    )?;
    out.flush().map_err(io_err)?;
    drop(out);
    finish_read(store)
}

/// What `rapport today` prints, from `model`, for `who` when no manager
/// is named.
pub fn write_today(
    model: &Model,
    classes_of: &super::ClassesOf<'_>,
    queue_of: &super::QueueOf<'_>,
    args: TodayArgs,
    who: &str,
    colour: bool,
    out: &mut dyn Write,
) -> CliResult {
    let (scope, manager) = scope(model, args.manager.as_deref(), args.all, who)?;
    let as_of = args.as_of.unwrap_or_else(today);
    let classes = classes_of(model, as_of);
    let horizon = queue::Horizon {
        days: args.horizon,
        later_tasks: false,
    };
    let mut written = Ok(());
    queue_of(model, classes, as_of, scope, horizon, &mut |items| {
        written = write_items(model, items, as_of, manager.as_deref(), args.format, colour, &mut *out);
    });
    written
}

/// The queue's `items` in `format`.
fn write_items(
    model: &Model,
    items: &[&Item],
    as_of: NaiveDate,
    manager: Option<&str>,
    format: TodayFormat,
    colour: bool,
    out: &mut dyn Write,
) -> CliResult {
    match format {
        TodayFormat::Text => {
            write_text(&mut *out, model, items, as_of, manager, colour).map_err(io_err)?;
        }
        TodayFormat::Json => {
            let count = |g| items.iter().filter(|i| i.group(as_of) == g).count();
            let doc = JsonQueue {
                as_of,
                manager: manager.map(str::to_string),
                overdue: count(Group::Overdue),
                today: count(Group::Today),
                soon: count(Group::Soon),
                later: count(Group::Later),
                items: items
                    .iter()
                    .map(|&i| {
                        let client = model.clients.get(&i.client);
                        JsonItem {
                            item: i,
                            group: i.group(as_of),
                            days_late: i.days_late(as_of),
                            client_ref: client.map_or("", |c| c.reference.as_str()),
                            client_name: client.map_or("", |c| c.name.as_str()),
                            product_code: i.product.and_then(|p| model.products.get(&p)).map(|p| p.code.as_str()),
                        }
                    })
                    .collect(),
            };
            serde_json::to_writer_pretty(&mut *out, &doc).map_err(io_err)?;
            writeln!(out).map_err(io_err)?;
        }
        TodayFormat::Ics => {
            out.write_all(ics(model, items, as_of).as_bytes()).map_err(io_err)?;
        }
    }
    Ok(())
}

/// Grouped, aligned; colour only on a terminal and never with `NO_COLOR`.
fn write_text(
    out: &mut dyn Write,
    model: &Model,
    items: &[&Item],
    as_of: NaiveDate,
    manager: Option<&str>,
    colour: bool,
) -> std::io::Result<()> {
    let paint = |code: &str, text: &str| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let whose = manager.map_or_else(|| "all managers".to_string(), |m| format!("manager {m}"));
    writeln!(
        out,
        "{}",
        paint(
            "1",
            &format!("Due contacts as of {as_of} — {whose}: {} items", items.len())
        )
    )?;
    // Each client once, in id order (the list's date order would jump about
    // the model's tree): its ref and its name as printed, with their widths.
    let mut clients: Vec<ClientId> = items.iter().map(|i| i.client).collect();
    clients.sort_unstable();
    clients.dedup();
    let shown: Vec<Shown> = clients
        .iter()
        .map(|c| {
            let client = model.clients.get(c);
            let reference = printable(client.map_or("?", |c| c.reference.as_str()));
            // Borrowed unless cut: the list can hold a hundred thousand items.
            let name = match printable(client.map_or("?", |c| c.name.as_str())) {
                std::borrow::Cow::Borrowed(name) => truncate(name, 28),
                std::borrow::Cow::Owned(name) => std::borrow::Cow::Owned(truncate(&name, 28).into_owned()),
            };
            Shown {
                reference_chars: reference.chars().count(),
                name_chars: name.chars().count(),
                reference,
                name,
            }
        })
        .collect();
    let shown_of = |c: ClientId| clients.binary_search(&c).ok().and_then(|k| shown.get(k));
    let ref_w = shown.iter().map(|s| s.reference_chars).max().unwrap_or(0);
    let name_w = shown.iter().map(|s| s.name_chars).max().unwrap_or(0);
    let ids: Vec<String> = items.iter().map(|i| i.key.to_string()).collect();
    let id_w = ids.iter().map(String::len).max().unwrap_or(0);
    let groups: Vec<Group> = items.iter().map(|i| i.group(as_of)).collect();
    let whens: Vec<String> = items
        .iter()
        .zip(&groups)
        .map(|(item, group)| match group {
            Group::Overdue => format!("{} late", plural(item.days_late(as_of), "day")),
            Group::Today => "today".to_string(),
            Group::Soon | Group::Later => format!("in {}", plural((item.due - as_of).num_days(), "day")),
        })
        .collect();
    let when_w = whens.iter().map(|w| w.len()).max().unwrap_or(0);
    // The lines are written into one buffer by hand, not through `write!`
    // with widths: a manager's list can be 50,000 lines (8 MB), and the
    // formatting machinery took about half of a server's time for it.
    let mut text = String::with_capacity(items.len().min(4096) * 160);
    for group in Group::ALL {
        let rows: Vec<usize> = (0..items.len()).filter(|&i| groups[i] == group).collect();
        if group == Group::Later && rows.is_empty() {
            continue;
        }
        let title = format!("{} ({})", group.title(), rows.len());
        text.push('\n');
        text.push_str(&paint(if group == Group::Overdue { "1;31" } else { "1" }, &title));
        text.push('\n');
        for i in rows {
            let item = &items[i];
            text.push_str("  ");
            push_date(&mut text, item.due);
            text.push_str("  ");
            if group == Group::Overdue && colour {
                text.push_str("\x1b[31m");
                push_padded(&mut text, &whens[i], when_w);
                text.push_str("\x1b[0m");
            } else {
                push_padded(&mut text, &whens[i], when_w);
            }
            text.push_str("  ");
            push_padded(&mut text, item.kind.as_str(), 8);
            text.push_str("  ");
            match shown_of(item.client) {
                Some(s) => {
                    push_counted(&mut text, &s.reference, s.reference_chars, ref_w);
                    text.push_str("  ");
                    push_counted(&mut text, &s.name, s.name_chars, name_w);
                }
                // Not met: every item's client is in `shown`.
                None => {
                    push_padded(&mut text, "?", ref_w);
                    text.push_str("  ");
                    push_padded(&mut text, "?", name_w);
                }
            }
            text.push_str("  ");
            push_padded(&mut text, &ids[i], id_w);
            text.push_str("  ");
            text.push_str(&printable(&item.reason));
            text.push('\n');
            if text.len() >= 1 << 20 {
                out.write_all(text.as_bytes())?;
                text.clear();
            }
        }
    }
    out.write_all(text.as_bytes())
}

/// `text` left-aligned in `width` characters, as `{:<width$}` writes it.
fn push_padded(out: &mut String, text: &str, width: usize) {
    let chars = if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    };
    push_counted(out, text, chars, width);
}

/// `push_padded` for a text whose characters are counted already.
fn push_counted(out: &mut String, text: &str, chars: usize, width: usize) {
    out.push_str(text);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(chars)));
}

/// A client as a line of the list shows it.
struct Shown<'a> {
    reference: std::borrow::Cow<'a, str>,
    reference_chars: usize,
    name: std::borrow::Cow<'a, str>,
    name_chars: usize,
}

/// `date` as `%d/%m/%Y`.
fn push_date(out: &mut String, date: NaiveDate) {
    use chrono::Datelike;
    let two = |out: &mut String, n: u32| {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    };
    match u32::try_from(date.year()) {
        Ok(year) if year <= 9999 => {
            two(out, date.day());
            out.push('/');
            two(out, date.month());
            out.push('/');
            two(out, year / 100);
            two(out, year % 100);
        }
        // Years chrono writes with a sign.
        _ => out.push_str(&date.format("%d/%m/%Y").to_string()),
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

fn truncate(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.chars().count() <= max {
        std::borrow::Cow::Borrowed(s)
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        std::borrow::Cow::Owned(t)
    }
}

/// One all-day event per item, with a UID stable for the item and its date,
/// so re-importing the file updates events instead of duplicating them.
/// An all-day event ends the next day (RFC 5545: DTEND is exclusive). An
/// overdue item is placed on `as_of`, with the date it was due in its
/// description, so that a calendar shows today's work today.
fn ics(model: &Model, items: &[&Item], as_of: NaiveDate) -> String {
    use icalendar::{Calendar, Component, Event, EventLike};
    let mut cal = Calendar::new();
    cal.name("rapport due contacts");
    for i in items {
        let client = model.clients.get(&i.client);
        let name = client.map_or("?", |c| c.name.as_str());
        let reference = client.map_or("?", |c| c.reference.as_str());
        let day = i.due.max(as_of);
        let late = if i.due < as_of {
            format!(
                " (due {}, {} late)",
                i.due.format("%d/%m/%Y"),
                plural((as_of - i.due).num_days(), "day")
            )
        } else {
            String::new()
        };
        let event = Event::new()
            .uid(&format!("{}-{}@rapport", i.key, i.base_due.format("%Y%m%d")))
            .starts(day)
            .ends(day.succ_opt().unwrap_or(day))
            .summary(&format!("{}: {}", i.kind.as_str(), printable(name)))
            .description(&format!("{}{late} — {reference} (rapport id {})", i.reason, i.key))
            .done();
        cal.push(event);
    }
    cal.done().to_string()
}

/// Through a server, the one command of `rapport log` travels alone: the
/// server resolves the ref and the person, and no model is sent.
pub fn log_cmd(args: LogArgs, db: Target) -> CliResult {
    let now = Local::now().naive_local();
    // Bad input is said before anything is opened.
    let next = args.next.as_deref().map(|n| date_or_days(n, now.date())).transpose()?;
    let mut store = super::open_for_command(db)?;
    let named = store.named(&args.client, args.person.as_deref(), None)?;
    let reference = named.reference;
    store.execute(
        &current_login(),
        Command::LogContact {
            client: named.client,
            person: named.person,
            at: now,
            channel: args.channel,
            summary: args.summary,
            outcome: args.outcome,
            next_contact: next,
        },
    )?;
    match next {
        Some(n) => println!("logged a {} with {reference}; next contact {n}", args.channel.as_str()),
        None => println!("logged a {} with {reference}", args.channel.as_str()),
    }
    Ok(())
}

pub fn task_cmd(args: TaskArgs, db: Target) -> CliResult {
    if let Some(action) = args.action {
        return super::corrections::task_action(action, db);
    }
    let (Some(client), Some(due), Some(text)) = (args.client, args.due, args.text) else {
        return Err(Failure::input("rapport task CLIENT DUE TEXT: all three are needed"));
    };
    let due = date_or_days(&due, today())?;
    // Through a server the command travels alone, as `log`'s does.
    let mut store = super::open_for_command(db)?;
    let named = store.named(&client, None, None)?;
    let event = store.execute(
        &current_login(),
        Command::AddTask {
            client: named.client,
            due,
            text,
        },
    )?;
    let task = event.changes.iter().find_map(|c| match c {
        rapport::model::Change::Task(t) => Some(t.id),
        _ => None,
    });
    match task {
        Some(task) => println!("{} for {} due {due}", ItemKey::Task(task), named.reference),
        None => println!("task for {} due {due}", named.reference),
    }
    Ok(())
}

/// Through a server the mark travels alone, as `log`'s does: the server
/// finds the item (and says what to do instead when it is not one command).
pub fn done_cmd(args: DoneArgs, db: Target) -> CliResult {
    let as_of = args.as_of.unwrap_or_else(today);
    let mut store = super::open_for_command(db)?;
    let (item, how) = store.due_item(&args.id, as_of)?;
    if let Some(how) = how {
        return Err(Failure::input(how));
    }
    let done = rapport::write::completion(&item, as_of);
    let rapport::write::Completion::Run(cmd) = done else {
        return Ok(());
    };
    store.execute(&current_login(), cmd)?;
    println!("{} done", item.key);
    Ok(())
}

pub fn snooze_cmd(args: SnoozeArgs, db: Target) -> CliResult {
    let as_of = args.as_of.unwrap_or_else(today);
    let until = date_or_days(&args.until, as_of)?;
    if until < as_of {
        return Err(Failure::input(format!("{until} is in the past (today is {as_of})")));
    }
    let mut store = super::open_for_command(db)?;
    let (item, _) = store.due_item(&args.id, as_of)?;
    store.execute(
        &current_login(),
        Command::MarkItem {
            key: item.key.to_string(),
            due: item.base_due,
            state: MarkState::Snoozed(until),
        },
    )?;
    println!("{} snoozed to {until}", item.key);
    Ok(())
}

/// `rapport unmark ID`: takes a done or snooze mark off an item (one set by
/// mistake); the item is due again on its own date. Through a server it
/// reads the item's client only.
pub fn unmark_cmd(args: UnmarkArgs, db: Target) -> CliResult {
    let key: ItemKey = args
        .id
        .parse()
        .map_err(|e: queue::BadKey| Failure::input(e.to_string()))?;
    let key = key.to_string();
    let mut store = super::open_holding(db, rapport::find::named::Wanted::items([key.clone()]))?;
    let Some(mark) = store.model().marks.get(&key).cloned() else {
        return Err(Failure::input(format!("{key} has no done or snooze mark")));
    };
    store.execute(
        &current_login(),
        Command::ClearMark {
            key: key.clone(),
            expected_seq: Some(mark.seq),
        },
    )?;
    println!("{key} is due again on {}", mark.due);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written text says what `format!` said.
    #[test]
    fn dates_and_padding_as_format_writes_them() {
        for date in ["2026-11-22", "0099-01-05", "9999-12-31", "+12345-03-04", "-0044-03-15"] {
            let date: NaiveDate = date.parse().unwrap();
            let mut text = String::new();
            push_date(&mut text, date);
            assert_eq!(text, date.format("%d/%m/%Y").to_string());
        }
        for (s, width) in [("C000002", 9), ("Spedition Köhler KG", 28), ("Ünïcödé", 3), ("", 2)] {
            let mut text = String::new();
            push_padded(&mut text, s, width);
            assert_eq!(text, format!("{s:<width$}"));
        }
    }
}
