//! Planning: corrections of the contact log, tasks and surveys.

use chrono::NaiveDateTime;

use super::tickets::{check_scores, survey_changes};
use super::trash::live_client;
use super::*;

/// Plans the corrections (see `Command::plan`).
pub(super) fn plan(cmd: &Command, model: &Model, ctx: &Context) -> Result<Vec<Change>> {
    let seq = ctx.seq;
    Ok(match cmd {
        Command::EditContact {
            client,
            id,
            expected_seq,
            person,
            at,
            channel,
            summary,
            outcome,
        } => {
            live_client(model, *client)?;
            let (old, others) = contact_and_others(ctx, *client, *id)?;
            check_version(|| format!("logged contact #{id}"), *expected_seq, old.seq)?;
            if let Some(p) = person
                && !model.persons.contains_key(&(*client, *p))
            {
                return Err(CommandError::NotFound(format!("contact person #{p} of this client")));
            }
            check_text("summary", summary, true)?;
            check_text("outcome", outcome, false)?;
            check_date("contact date", at.date())?;
            let new = ContactEntry {
                person: *person,
                at: *at,
                channel: *channel,
                summary: summary.trim().to_string(),
                outcome: outcome.trim().to_string(),
                seq,
                ..old.clone()
            };
            let last_contact = latest(others.iter().map(|c| c.at).chain([*at]));
            let mut remaining = others;
            remaining.push(new.clone());
            let client = *client;
            let mut changes = vec![Change::ContactRewritten {
                old: Box::new(old),
                new: Some(Box::new(new)),
                last_contact,
            }];
            changes.extend(next_contact_mark(model, ctx, client, &remaining));
            changes
        }
        Command::DeleteContact {
            client,
            id,
            expected_seq,
        } => {
            live_client(model, *client)?;
            let (old, others) = contact_and_others(ctx, *client, *id)?;
            check_version(|| format!("logged contact #{id}"), *expected_seq, old.seq)?;
            let last_contact = latest(others.iter().map(|c| c.at));
            let mut changes = vec![Change::ContactRewritten {
                old: Box::new(old),
                new: None,
                last_contact,
            }];
            changes.extend(next_contact_mark(model, ctx, *client, &others));
            changes
        }
        Command::EditTask {
            task,
            expected_seq,
            due,
            text,
            done,
        } => {
            let t = found(&model.tasks, *task, "task")?;
            check_version(|| format!("task #{task}"), *expected_seq, t.seq)?;
            check_text("task text", text, true)?;
            check_date("due date", *due)?;
            if let Some(d) = done {
                check_date("done date", *d)?;
            }
            vec![Change::Task(Task {
                due: *due,
                text: text.trim().to_string(),
                done: *done,
                seq,
                ..t.clone()
            })]
        }
        Command::DeleteTask { task, expected_seq } => {
            let t = found(&model.tasks, *task, "task")?;
            check_version(|| format!("task #{task}"), *expected_seq, t.seq)?;
            let mut changes = vec![Change::TaskRemoved(t.clone())];
            let key = crate::queue::ItemKey::Task(*task).to_string();
            if model.marks.contains_key(&key) {
                changes.push(Change::Mark { key, mark: None });
            }
            changes
        }
        Command::EditSurvey {
            survey,
            expected_seq,
            date,
            scores,
        } => {
            let s = found(&model.surveys, *survey, "survey")?;
            check_version(|| format!("survey #{survey}"), *expected_seq, s.seq)?;
            check_date("survey date", *date)?;
            let questions = check_scores(model, s.product, scores)?;
            let new = Survey {
                date: *date,
                scores: scores.clone(),
                seq,
                ..s.clone()
            };
            // SPEC §6: a score of 3 or less opens a ticket, also when it is
            // typed as a correction (an existing ticket stays as it is).
            let product = model.products.get(&s.product).map_or("", |p| p.name.as_str());
            survey_changes(model, ctx, new, questions, product)
        }
        Command::DeleteSurvey { survey, expected_seq } => {
            let s = found(&model.surveys, *survey, "survey")?;
            check_version(|| format!("survey #{survey}"), *expected_seq, s.seq)?;
            vec![Change::SurveyRemoved(s.clone())]
        }
        other => return Err(not_here(other)),
    })
}

/// The client's entry `id` and its other entries, read from the store.
fn contact_and_others(ctx: &Context, client: ClientId, id: ContactId) -> Result<(ContactEntry, Vec<ContactEntry>)> {
    let all = (ctx.contacts)(client).map_err(invalid)?;
    let (mine, others): (Vec<ContactEntry>, Vec<ContactEntry>) = all.into_iter().partition(|c| c.id == id);
    let old = mine
        .into_iter()
        .next()
        .ok_or_else(|| CommandError::NotFound(format!("logged contact #{id} of this client")))?;
    Ok((old, others))
}

/// SPEC §5.4: the latest contact decides the next contact date. After an
/// entry is corrected or deleted, the client's mark follows the latest of
/// `remaining` (the change, when the mark is not already that).
fn next_contact_mark(model: &Model, ctx: &Context, client: ClientId, remaining: &[ContactEntry]) -> Option<Change> {
    let key = ItemKey::NextContact(client).to_string();
    let latest = remaining.iter().max_by_key(|c| (c.at, c.id));
    let wanted = latest.and_then(|c| c.next_contact.map(|next| (c.at.date(), next)));
    let now = model.marks.get(&key).and_then(|m| match m.state {
        MarkState::NextContact(next) => Some((m.due, next)),
        _ => None,
    });
    if wanted == now {
        return None;
    }
    Some(Change::Mark {
        key: key.clone(),
        mark: wanted.map(|(due, next)| QueueMark {
            key,
            due,
            state: MarkState::NextContact(next),
            who: ctx.who.into(),
            seq: ctx.seq,
        }),
    })
}

fn latest(times: impl Iterator<Item = NaiveDateTime>) -> Option<NaiveDateTime> {
    times.max()
}

#[cfg(test)]
mod tests {
    use crate::domain::*;
    use crate::testing::Planner;
    use crate::write::{Command, CommandError};

    fn d(s: &str) -> chrono::NaiveDate {
        s.parse().unwrap()
    }

    fn log(p: &mut Planner, at: &str, summary: &str) {
        p.run(Command::LogContact {
            client: ClientId(1),
            person: None,
            at: at.parse().unwrap(),
            channel: Channel::Call,
            summary: summary.into(),
            outcome: String::new(),
            next_contact: None,
        });
    }

    #[test]
    fn a_deleted_contact_gives_the_last_contact_back_to_the_one_before() {
        let mut p = Planner::with_client();
        log(&mut p, "2026-03-01T10:00:00", "First");
        log(&mut p, "2026-03-05T10:00:00", "Second");
        let agg = |p: &Planner| p.model.aggregate(ClientId(1)).cloned().unwrap_or_default();
        assert_eq!(agg(&p).contacts, 2);
        let stale = Command::DeleteContact {
            client: ClientId(1),
            id: ContactId(2),
            expected_seq: Some(1),
        };
        assert!(matches!(p.refused(stale), CommandError::Stale { .. }));
        p.run(Command::DeleteContact {
            client: ClientId(1),
            id: ContactId(2),
            expected_seq: None,
        });
        assert_eq!(agg(&p).contacts, 1);
        assert_eq!(agg(&p).last_contact, Some("2026-03-01T10:00:00".parse().unwrap()));
        let gone = Command::DeleteContact {
            client: ClientId(1),
            id: ContactId(2),
            expected_seq: None,
        };
        assert!(matches!(p.refused(gone), CommandError::NotFound(_)));
    }

    #[test]
    fn an_edited_contact_keeps_the_count_and_moves_the_last_contact() {
        let mut p = Planner::with_client();
        log(&mut p, "2026-03-01T10:00:00", "First");
        let edit = |summary: &str, at: &str| Command::EditContact {
            client: ClientId(1),
            id: ContactId(1),
            expected_seq: None,
            person: None,
            at: at.parse().unwrap(),
            channel: Channel::Visit,
            summary: summary.into(),
            outcome: "Ordered".into(),
        };
        assert!(matches!(
            p.refused(edit(" ", "2026-03-02T09:00:00")),
            CommandError::Invalid(_)
        ));
        p.run(edit("Visited", "2026-03-02T09:00:00"));
        let agg = p.model.aggregate(ClientId(1)).cloned().unwrap_or_default();
        assert_eq!(agg.contacts, 1);
        assert_eq!(agg.last_contact, Some("2026-03-02T09:00:00".parse().unwrap()));
        assert_eq!(p.contacts[0].summary, "Visited");
    }

    #[test]
    fn a_task_is_edited_reopened_and_deleted_with_its_mark() {
        let mut p = Planner::with_client();
        p.run(Command::AddTask {
            client: ClientId(1),
            due: d("2026-03-09"),
            text: "Send the offer".into(),
        });
        p.run(Command::CompleteTask {
            task: TaskId(1),
            date: d("2026-03-05"),
        });
        p.run(Command::EditTask {
            task: TaskId(1),
            expected_seq: None,
            due: d("2026-03-12"),
            text: "Send the new offer".into(),
            done: None,
        });
        assert_eq!(p.model.tasks[&TaskId(1)].done, None);
        p.run(Command::MarkItem {
            key: "task-1".into(),
            due: d("2026-03-12"),
            state: MarkState::Snoozed(d("2026-03-20")),
        });
        p.run(Command::DeleteTask {
            task: TaskId(1),
            expected_seq: None,
        });
        assert!(p.model.tasks.is_empty() && p.model.marks.is_empty());
    }

    #[test]
    fn a_survey_corrected_to_a_low_score_opens_a_ticket_once() {
        let mut p = Planner::with_client();
        p.run(Command::RecordSurvey {
            client: ClientId(1),
            product: ProductId(1),
            date: d("2026-03-02"),
            scores: vec![5, 5, 5],
        });
        let edit = |scores: Vec<u8>| Command::EditSurvey {
            survey: SurveyId(1),
            expected_seq: None,
            date: d("2026-03-02"),
            scores,
        };
        assert!(matches!(p.refused(edit(vec![5, 5])), CommandError::Invalid(_)));
        p.run(edit(vec![5, 2, 5]));
        assert_eq!(p.model.tickets.len(), 1);
        p.run(edit(vec![5, 1, 5]));
        assert_eq!(p.model.tickets.len(), 1, "the survey's ticket is not opened twice");
        p.run(Command::DeleteSurvey {
            survey: SurveyId(1),
            expected_seq: None,
        });
        assert!(p.model.surveys.is_empty());
        assert_eq!(p.model.tickets.len(), 1, "a deleted survey's ticket stays");
    }
}
