//! Planning: The contact log and tasks.

use super::*;

/// Plans the contacts commands (see `Command::plan`).
pub(super) fn plan(cmd: &Command, model: &Model, ctx: &Context) -> Result<Vec<Change>> {
    let seq = ctx.seq;
    let client = |id: ClientId| found(&model.clients, id, "client");
    let c = &model.counters;
    Ok(match cmd {
        Command::LogContact {
            client: id,
            person,
            at,
            channel,
            summary,
            outcome,
            next_contact,
        } => {
            client(*id)?;
            if let Some(p) = person
                && !model.persons.contains_key(&(*id, *p))
            {
                return Err(CommandError::NotFound(format!("contact person #{p} of this client")));
            }
            check_text("summary", summary, true)?;
            check_text("outcome", outcome, false)?;
            check_date("contact date", at.date())?;
            if let Some(n) = next_contact {
                check_date("next contact date", *n)?;
                if *n < at.date() {
                    return Err(invalid(format!(
                        "the next contact date {n} is before the contact ({})",
                        at.date()
                    )));
                }
            }
            let mut changes = Vec::with_capacity(2);
            // SPEC §5.4: the latest contact decides the next cadence
            // date; a back-dated entry only adds to the log.
            let latest = model
                .aggregate(*id)
                .and_then(|a| a.last_contact)
                .is_none_or(|last| *at >= last);
            if latest {
                let key = ItemKey::NextContact(*id).to_string();
                match next_contact {
                    Some(next) => changes.push(Change::Mark {
                        key: key.clone(),
                        mark: Some(QueueMark {
                            key,
                            due: at.date(),
                            state: MarkState::NextContact(*next),
                            who: ctx.who.into(),
                            seq,
                        }),
                    }),
                    None if model.marks.contains_key(&key) => changes.push(Change::Mark { key, mark: None }),
                    None => {}
                }
            }
            changes.insert(
                0,
                Change::Contact(ContactEntry {
                    id: ContactId(c.contact + 1),
                    client: *id,
                    person: *person,
                    at: *at,
                    channel: *channel,
                    summary: summary.trim().to_string(),
                    outcome: outcome.trim().to_string(),
                    next_contact: *next_contact,
                    who: ctx.who.into(),
                    seq,
                }),
            );
            changes
        }
        Command::AddTask { client: id, due, text } => {
            client(*id)?;
            check_text("task text", text, true)?;
            check_date("due date", *due)?;
            vec![Change::Task(Task {
                id: TaskId(c.task + 1),
                client: *id,
                due: *due,
                text: text.trim().to_string(),
                done: None,
                who: ctx.who.into(),
                seq,
            })]
        }
        Command::CompleteTask { task, date } => {
            let t = found(&model.tasks, *task, "task")?;
            if let Some(done) = t.done {
                return Err(invalid(format!("task #{task} was already done on {done}")));
            }
            vec![Change::Task(Task {
                done: Some(*date),
                seq,
                ..t.clone()
            })]
        }
        other => return Err(not_here(other)),
    })
}

#[cfg(test)]
mod tests {
    use crate::domain::*;
    use crate::testing::Planner;
    use crate::write::{Command, CommandError};

    #[test]
    fn a_contact_needs_a_summary_and_moves_the_last_contact() {
        let mut p = Planner::with_client();
        let log = |summary: &str| Command::LogContact {
            client: ClientId(1),
            person: None,
            at: "2026-03-02T10:00:00".parse().unwrap(),
            channel: Channel::Call,
            summary: summary.into(),
            outcome: String::new(),
            next_contact: None,
        };
        assert!(matches!(p.refused(log("  ")), CommandError::Invalid(_)));
        p.run(log("Talked about the renewal"));
        assert_eq!(p.contacts.len(), 1);
    }

    #[test]
    fn a_task_is_done_once() {
        let mut p = Planner::with_client();
        p.run(Command::AddTask {
            client: ClientId(1),
            due: "2026-03-09".parse().unwrap(),
            text: "Send the offer".into(),
        });
        let far = Command::AddTask {
            client: ClientId(1),
            due: "2400-01-01".parse().unwrap(),
            text: "x".into(),
        };
        assert!(matches!(p.refused(far), CommandError::Invalid(_)));
        let done = || Command::CompleteTask {
            task: TaskId(1),
            date: "2026-03-05".parse().unwrap(),
        };
        p.run(done());
        assert!(matches!(p.refused(done()), CommandError::Invalid(m) if m.contains("already done")));
        let unknown = Command::CompleteTask {
            task: TaskId(9),
            date: "2026-03-05".parse().unwrap(),
        };
        assert!(matches!(p.refused(unknown), CommandError::NotFound(_)));
    }
}
