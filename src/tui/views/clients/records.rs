//! Correcting and removing a client's records from the card: the picker
//! (`edit_record`, `delete_record`) names the newest settlements (`s1`…),
//! logged contacts (`l1`…), tasks (`t1`…) and surveys (`v1`…); then a form
//! corrects the one picked, or the pick deletes it. Archiving a client or
//! a person asks first.

use chrono::NaiveDateTime;

use rapport::domain::text::printable;
use rapport::domain::*;
use rapport::write::Command;

use super::settlements::last_settlements;
use crate::tui::app::FormKind;
use crate::tui::form::{Field, FieldKind, Form};
use crate::tui::view::{Ctx, Submitted};

/// How many of each kind the picker offers (newest first): the form stays
/// whole at 80×24.
const EACH: usize = 4;

/// A client's records as the picker names them.
struct Records {
    settlements: Vec<Settlement>,
    log: Vec<ContactEntry>,
    tasks: Vec<Task>,
    surveys: Vec<Survey>,
}

fn records(client: ClientId, cx: &mut Ctx) -> Result<Records, String> {
    let mut settlements = last_settlements(client, cx)?;
    settlements.truncate(EACH);
    let mut log = cx
        .data
        .contacts_of(client)
        .map_err(|e| format!("Cannot read the contact log: {e}"))?;
    log.sort_by_key(|c| std::cmp::Reverse((c.at, c.id)));
    log.truncate(EACH);
    let model = cx.model();
    let mut tasks: Vec<Task> = model.tasks.values().filter(|t| t.client == client).cloned().collect();
    // Open tasks first, then the newest.
    tasks.sort_by_key(|t| (t.done.is_some(), std::cmp::Reverse((t.due, t.id))));
    tasks.truncate(EACH);
    let mut surveys: Vec<Survey> = model.surveys.values().filter(|s| s.client == client).cloned().collect();
    surveys.sort_by_key(|s| std::cmp::Reverse((s.date, s.id)));
    surveys.truncate(EACH);
    Ok(Records {
        settlements,
        log,
        tasks,
        surveys,
    })
}

fn lines(r: &Records, cx: &Ctx) -> Vec<String> {
    let model = cx.model();
    let short = |s: &str| -> String {
        let one = printable(s.lines().next().unwrap_or("")).into_owned();
        match one.char_indices().nth(30) {
            Some((i, _)) => format!("{}…", &one[..i]),
            None => one,
        }
    };
    let mut out = Vec::new();
    for (i, s) in super::settlements::numbered(&r.settlements, model)
        .into_iter()
        .enumerate()
    {
        out.push(format!("s{}{}", i + 1, s.get(1..).unwrap_or("")));
    }
    for (i, c) in r.log.iter().enumerate() {
        out.push(format!(
            "l{}  {}  {:<7}  {}",
            i + 1,
            c.at.format("%d/%m/%y %H:%M"),
            c.channel.as_str(),
            short(&c.summary)
        ));
    }
    for (i, t) in r.tasks.iter().enumerate() {
        let state = t
            .done
            .map_or("open".to_string(), |d| format!("done {}", d.format("%d/%m/%y")));
        out.push(format!(
            "t{}  {}  {:<13}  {}",
            i + 1,
            t.due.format("%d/%m/%y"),
            state,
            short(&t.text)
        ));
    }
    for (i, s) in r.surveys.iter().enumerate() {
        let scores: Vec<String> = s.scores.iter().map(u8::to_string).collect();
        out.push(format!(
            "v{}  {}  {}  {}",
            i + 1,
            s.date.format("%d/%m/%y"),
            model.product_label(s.product),
            scores.join(" ")
        ));
    }
    out
}

/// The picker of the selected client's records.
pub fn pick(client: ClientId, name: &str, delete: bool, cx: &mut Ctx) {
    let r = match records(client, cx) {
        Ok(r) => r,
        Err(e) => return cx.status(e, crate::tui::app::Tone::Error),
    };
    let info = lines(&r, cx);
    let Some(first) = info
        .first()
        .and_then(|l| l.split_whitespace().next())
        .map(str::to_string)
    else {
        return cx.status(
            format!("{name} has no settlement, contact, task or survey to correct"),
            crate::tui::app::Tone::Error,
        );
    };
    let what = if delete { "Delete" } else { "Correct" };
    let mut form = Form::new(
        format!("{what} a record · {name}"),
        vec![Field::new("Record", FieldKind::Record, first, true)],
    );
    form.info = info;
    cx.open_form(FormKind::PickRecord { client, delete }, form);
}

/// Handles this module's forms (`None`: not one of them).
pub fn submit(kind: FormKind, form: &Form, cx: &mut Ctx) -> Option<Result<Submitted, String>> {
    let cmd = match kind {
        FormKind::PickRecord { client, delete } => return Some(picked(client, delete, form.value("Record"), cx)),
        FormKind::EditContact { client, id, seq } => {
            let Some(old) = cx.data.contacts_of(client).ok()?.into_iter().find(|c| c.id == id) else {
                return Some(Err("this contact is no longer there".into()));
            };
            let at = match NaiveDateTime::parse_from_str(form.value("When").trim(), "%Y-%m-%d %H:%M") {
                Ok(at) => at,
                Err(_) => return Some(Err("When: a time like 2026-11-20 09:30".into())),
            };
            let Some(channel) = Channel::parse(form.value("Channel")) else {
                return Some(Err("Channel: call, meeting, email, message or visit".into()));
            };
            Command::EditContact {
                client,
                id,
                expected_seq: Some(seq),
                person: old.person,
                at,
                channel,
                summary: form.value("Summary").to_string(),
                outcome: form.value("Outcome").to_string(),
            }
        }
        FormKind::EditTask { task, seq } => {
            let Some(due) = form.field("Due").and_then(Field::date) else {
                return Some(Err("Due: a date is required".into()));
            };
            Command::EditTask {
                task,
                expected_seq: Some(seq),
                due,
                text: form.value("Task").to_string(),
                done: form.field("Done").and_then(Field::date),
            }
        }
        FormKind::EditSurvey { survey, seq } => {
            let Some(date) = form.field("Date").and_then(Field::date) else {
                return Some(Err("Date: a date is required".into()));
            };
            let scores: Result<Vec<u8>, _> = form.value("Scores").split_whitespace().map(str::parse).collect();
            let Ok(scores) = scores else {
                return Some(Err("Scores: numbers 1–5 separated by spaces".into()));
            };
            Command::EditSurvey {
                survey,
                expected_seq: Some(seq),
                date,
                scores,
            }
        }
        FormKind::ArchiveClient { client, seq } => {
            let reference = cx.model().client_label(client);
            if form.value("Ref").trim() != reference {
                return Some(Err(format!("type {reference} to archive it, or press Esc")));
            }
            Command::Archive {
                key: Archivable::Client(client),
                expected_seq: Some(seq),
                on: cx.today,
            }
        }
        FormKind::ArchivePerson(client) => {
            let name = form.value("Person");
            let Some(p) = cx
                .model()
                .persons_of(client)
                .find(|p| p.name.eq_ignore_ascii_case(name))
            else {
                return Some(Err(format!("no contact person '{name}'")));
            };
            Command::Archive {
                key: Archivable::Person(client, p.id),
                expected_seq: Some(p.seq),
                on: cx.today,
            }
        }
        _ => return None,
    };
    Some(Ok(Submitted::Run(cmd)))
}

/// The record `label` names: deleted, or its correction form opened.
fn picked(client: ClientId, delete: bool, label: &str, cx: &mut Ctx) -> Result<Submitted, String> {
    let r = records(client, cx)?;
    let label = label.trim().to_ascii_lowercase();
    // By characters: a typed label is never sliced inside a character.
    let mut chars = label.chars();
    let kind = chars.next().map(String::from).unwrap_or_default();
    let kind = kind.as_str();
    let n: usize = chars
        .as_str()
        .parse()
        .map_err(|_| format!("'{label}' names no record: s1, l1, t1, v1…"))?;
    let missing = || format!("there is no {label}");
    let i = n.checked_sub(1).ok_or_else(missing)?;
    let model = cx.model();
    match kind {
        "s" => {
            let s = r.settlements.get(i).ok_or_else(missing)?;
            if delete {
                return Ok(Submitted::Run(Command::DeleteSettlement {
                    client,
                    id: s.id,
                    expected_seq: Some(s.seq),
                }));
            }
            let product = s.product.and_then(|p| model.products.get(&p)).map(|p| p.code.clone());
            let mut edit = Form::new(
                format!("Settlement of {} · {}", s.date, model.client_label(client)),
                vec![
                    Field::new("Date", FieldKind::Date, s.date.to_string(), true),
                    Field::new("Amount", FieldKind::Amount, s.amount.to_string(), true),
                    Field::new("Product", FieldKind::Product, product.unwrap_or_default(), false),
                    Field::new("Document", FieldKind::Text, s.doc.clone(), false),
                ],
            );
            edit.info = vec!["the classes follow the corrected amount at once".into()];
            let kind = FormKind::EditSettlement {
                client,
                id: s.id,
                seq: s.seq,
            };
            cx.open_form(kind, edit);
        }
        "l" => {
            let c = r.log.get(i).ok_or_else(missing)?;
            if delete {
                return Ok(Submitted::Run(Command::DeleteContact {
                    client,
                    id: c.id,
                    expected_seq: Some(c.seq),
                }));
            }
            let edit = Form::new(
                format!("Logged {} · {}", c.channel.as_str(), model.client_label(client)),
                vec![
                    Field::new("When", FieldKind::Text, c.at.format("%Y-%m-%d %H:%M").to_string(), true),
                    Field::new("Channel", FieldKind::Channel, c.channel.as_str(), true),
                    Field::new("Summary", FieldKind::Notes, c.summary.clone(), true),
                    Field::new("Outcome", FieldKind::Text, c.outcome.clone(), false),
                ],
            );
            cx.open_form(
                FormKind::EditContact {
                    client,
                    id: c.id,
                    seq: c.seq,
                },
                edit,
            );
        }
        "t" => {
            let t = r.tasks.get(i).ok_or_else(missing)?;
            if delete {
                return Ok(Submitted::Run(Command::DeleteTask {
                    task: t.id,
                    expected_seq: Some(t.seq),
                }));
            }
            let done = t.done.map_or(String::new(), |d| d.to_string());
            let mut edit = Form::new(
                format!("Task · {}", model.client_label(client)),
                vec![
                    Field::new("Due", FieldKind::Date, t.due.to_string(), true),
                    Field::new("Task", FieldKind::Text, t.text.clone(), true),
                    Field::new("Done", FieldKind::Date, done, false),
                ],
            );
            edit.info = vec!["an empty Done reopens the task".into()];
            cx.open_form(FormKind::EditTask { task: t.id, seq: t.seq }, edit);
        }
        "v" => {
            let s = r.surveys.get(i).ok_or_else(missing)?;
            if delete {
                return Ok(Submitted::Run(Command::DeleteSurvey {
                    survey: s.id,
                    expected_seq: Some(s.seq),
                }));
            }
            let scores: Vec<String> = s.scores.iter().map(u8::to_string).collect();
            let mut edit = Form::new(
                format!(
                    "Survey of {} · {}",
                    model.product_label(s.product),
                    model.client_label(client)
                ),
                vec![
                    Field::new("Date", FieldKind::Date, s.date.to_string(), true),
                    Field::new("Scores", FieldKind::Scores, scores.join(" "), true),
                ],
            );
            edit.info = vec![model.questions(s.product).join(" · ")];
            cx.open_form(
                FormKind::EditSurvey {
                    survey: s.id,
                    seq: s.seq,
                },
                edit,
            );
        }
        _ => return Err(format!("'{label}' names no record: s1, l1, t1, v1…")),
    }
    Ok(Submitted::Applied)
}

/// Asks before the client goes to the trash (its ref typed, prefilled).
pub fn ask_archive_client(c: &Client, cx: &mut Ctx) {
    let mut form = Form::new(
        format!("Archive {} · {}", c.reference, c.name),
        vec![Field::new("Ref", FieldKind::Text, c.reference.clone(), true)],
    );
    form.info = vec![
        "the client, its persons, offers, tasks, tickets and".into(),
        "settlements leave every list, class, queue and KPI;".into(),
        "the Trash view (7) brings them back".into(),
    ];
    cx.open_form(
        FormKind::ArchiveClient {
            client: c.id,
            seq: c.seq,
        },
        form,
    );
}

/// Which of the client's persons goes to the trash.
pub fn ask_archive_person(c: &Client, cx: &mut Ctx) {
    let Some(first) = cx.model().persons_of(c.id).next().map(|p| p.name.clone()) else {
        return cx.status(
            format!("{} has no contact person", c.name),
            crate::tui::app::Tone::Error,
        );
    };
    let mut form = Form::new(
        format!("Archive a contact person · {}", c.name),
        vec![Field::new("Person", FieldKind::Person(c.id), first, true)],
    );
    form.info = vec!["the Trash view (7) brings them back".into()];
    cx.open_form(FormKind::ArchivePerson(c.id), form);
}
