//! Planning: Queue marks: done, snoozed, next contact (SPEC §5).

use super::*;

/// Plans the marks commands (see `Command::plan`).
pub(super) fn plan(cmd: &Command, model: &Model, ctx: &Context) -> Result<Vec<Change>> {
    Ok(match cmd {
        Command::MarkItem { key, due, state } => vec![mark_item(model, ctx, key, *due, *state)?],
        Command::ClearMark { key, expected_seq } => {
            let Some(mark) = model.marks.get(key) else {
                return Err(CommandError::NotFound(format!("a mark on {key}")));
            };
            if let Some(expected) = expected_seq
                && *expected != mark.seq
            {
                return Err(CommandError::Stale {
                    what: format!("the mark of {key}"),
                    expected: *expected,
                    current: mark.seq,
                });
            }
            if matches!(mark.state, MarkState::NextContact(_)) {
                return Err(invalid(format!("{key}'s next contact is set by logging a contact")));
            }
            vec![Change::Mark {
                key: key.clone(),
                mark: None,
            }]
        }
        other => return Err(not_here(other)),
    })
}

/// Done or snoozed, for the date the item is due. Cadence items are done by
/// logging the contact, tasks by completing them and tickets by advancing
/// them: marking those done would hide work that is still there.
fn mark_item(model: &Model, ctx: &Context, key: &str, due: NaiveDate, state: MarkState) -> Result<Change> {
    let parsed: ItemKey = key.parse().map_err(|e: crate::queue::BadKey| invalid(e.to_string()))?;
    if !parsed.exists(model) {
        return Err(CommandError::NotFound(format!("queue item {parsed}")));
    }
    check_date("due date", due)?;
    match (parsed.kind(), state) {
        (None, _) | (_, MarkState::NextContact(_)) => {
            return Err(invalid(format!("{parsed} is set by logging a contact")));
        }
        (Some(Kind::Cadence), MarkState::Done) => {
            return Err(invalid(format!(
                "{parsed} is done by logging the contact (rapport log), which also sets the next date"
            )));
        }
        (Some(Kind::Task), MarkState::Done) => {
            return Err(invalid(format!("{parsed} is done by completing the task")));
        }
        (Some(Kind::Ticket), MarkState::Done) => {
            return Err(invalid(format!(
                "{parsed} is done by advancing the ticket to its next stage (rapport ticket advance)"
            )));
        }
        (_, MarkState::Snoozed(until)) => {
            check_date("snooze date", until)?;
            if until <= due {
                return Err(invalid(format!(
                    "a snooze moves an item later: {until} is not after its due date {due}"
                )));
            }
        }
        (_, MarkState::Done) => {}
    }
    let key = parsed.to_string();
    Ok(Change::Mark {
        key: key.clone(),
        mark: Some(QueueMark {
            key,
            due,
            state,
            who: ctx.who.into(),
            seq: ctx.seq,
        }),
    })
}

#[cfg(test)]
mod tests {
    use crate::domain::*;
    use crate::testing::Planner;
    use crate::write::{Command, CommandError};

    fn mark(key: &str, state: MarkState) -> Command {
        Command::MarkItem {
            key: key.into(),
            due: "2026-03-02".parse().unwrap(),
            state,
        }
    }

    #[test]
    fn cadence_and_task_items_are_not_marked_done() {
        let mut p = Planner::with_client();
        assert!(
            matches!(p.refused(mark("cadence-1", MarkState::Done)), CommandError::Invalid(m) if m.contains("logging the contact"))
        );
        assert!(matches!(
            p.refused(mark("nonsense", MarkState::Done)),
            CommandError::Invalid(_)
        ));
        assert!(matches!(
            p.refused(mark("cadence-9", MarkState::Done)),
            CommandError::NotFound(_)
        ));
    }

    #[test]
    fn a_snooze_moves_an_item_later() {
        let mut p = Planner::with_client();
        let early = mark("cadence-1", MarkState::Snoozed("2026-03-01".parse().unwrap()));
        assert!(matches!(p.refused(early), CommandError::Invalid(m) if m.contains("later")));
        p.run(mark("cadence-1", MarkState::Snoozed("2026-03-09".parse().unwrap())));
        assert!(p.model.marks.contains_key("cadence-1"));
    }
}
