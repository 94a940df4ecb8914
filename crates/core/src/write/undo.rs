//! Undo: the command that puts back what an event changed, through the
//! same path as any other (checked, one transaction, audited). Each inverse
//! names the version it undoes, so an undo that would overwrite someone
//! else's later change is refused as stale. Redo is the undo of an undo.
//!
//! An event carries the new records only; the versions a command is about
//! to replace are read from the model first (`Prior`). A settlement's
//! change carries both versions.

use super::{Command, Event};
use crate::domain::*;
use crate::model::{Change, Model};

/// The records a command may rewrite, as they are before it runs.
#[derive(Clone, Debug, Default)]
pub struct Prior {
    clients: Vec<Client>,
    persons: Vec<ContactPerson>,
    /// Queue marks by key (`None`: the item had none).
    marks: Vec<(String, Option<QueueMark>)>,
}

impl Prior {
    /// Reads from `model` what `cmd` may replace.
    pub fn of(model: &Model, cmd: &Command) -> Prior {
        let mut prior = Prior::default();
        prior.add(model, cmd);
        prior
    }

    fn add(&mut self, model: &Model, cmd: &Command) {
        match cmd {
            Command::EditClient { client, .. } => self.clients.extend(model.clients.get(client).cloned()),
            Command::EditPerson { client, person, .. } => {
                self.persons.extend(model.persons.get(&(*client, *person)).cloned())
            }
            Command::MarkItem { key, .. } | Command::ClearMark { key, .. } => {
                self.marks.push((key.clone(), model.marks.get(key).cloned()))
            }
            Command::Batch { commands, .. } => commands.iter().for_each(|c| self.add(model, c)),
            _ => {}
        }
    }
}

/// The command that undoes `event`, or why there is none yet.
pub fn inverse(event: &Event, prior: &Prior) -> Result<Command, String> {
    let mut commands = Vec::new();
    for change in event.changes.iter().rev() {
        commands.push(undo_change(change, prior)?);
    }
    match commands.len() {
        0 => Err("it changed nothing".into()),
        1 => commands.pop().ok_or_else(|| "it changed nothing".into()),
        _ => Ok(Command::Batch {
            label: "undo".into(),
            commands,
        }),
    }
}

fn undo_change(change: &Change, prior: &Prior) -> Result<Command, String> {
    Ok(match change {
        Change::Settlement {
            old: None,
            new: Some(n),
        } => Command::DeleteSettlement {
            client: n.client,
            id: n.id,
            expected_seq: Some(n.seq),
        },
        Change::Settlement {
            old: Some(o),
            new: Some(n),
        } => Command::EditSettlement {
            client: n.client,
            id: n.id,
            expected_seq: Some(n.seq),
            date: o.date,
            amount: o.amount,
            product: o.product,
            doc: o.doc.clone(),
        },
        Change::Settlement {
            old: Some(o),
            new: None,
        } => Command::RecordSettlement {
            client: o.client,
            date: o.date,
            amount: o.amount,
            product: o.product,
            doc: o.doc.clone(),
        },
        Change::Client(c) => match prior.clients.iter().find(|p| p.id == c.id) {
            Some(p) => Command::EditClient {
                client: c.id,
                expected_version: Some(c.version),
                name: p.name.clone(),
                segment: p.segment,
                manager: p.manager,
                notes: p.notes.clone(),
                tags: p.tags.clone(),
            },
            None => return Err("a new client cannot be taken back yet".into()),
        },
        Change::Person(n) => match prior.persons.iter().find(|p| p.client == n.client && p.id == n.id) {
            Some(p) => Command::EditPerson {
                client: n.client,
                person: n.id,
                expected_seq: Some(n.seq),
                name: p.name.clone(),
                role: p.role.clone(),
                phone: p.phone.clone(),
                email: p.email.clone(),
                birthday: p.birthday,
            },
            None => return Err("a new contact person cannot be taken back yet".into()),
        },
        Change::Portrait {
            segment,
            product,
            target,
        } => Command::SetPortrait {
            segment: *segment,
            product: *product,
            target: !target,
        },
        Change::Mark { key, mark } => {
            let before = prior.marks.iter().find(|(k, _)| k == key).and_then(|(_, m)| m.as_ref());
            match (before, mark) {
                (Some(p), _) if matches!(p.state, MarkState::NextContact(_)) => {
                    return Err("a next contact date comes back by logging a contact".into());
                }
                (Some(p), _) => Command::MarkItem {
                    key: key.clone(),
                    due: p.due,
                    state: p.state,
                },
                (None, Some(now)) => Command::ClearMark {
                    key: key.clone(),
                    expected_seq: Some(now.seq),
                },
                (None, None) => return Err("the item had no mark to put back".into()),
            }
        }
        other => return Err(format!("{} cannot be undone yet", what(other))),
    })
}

/// A change's kind, as a reason names it.
fn what(change: &Change) -> &'static str {
    match change {
        Change::Settings(_) => "a change of the settings",
        Change::Manager(_) | Change::Segment(_) | Change::Product(_) | Change::Questionnaire(_) => {
            "a change of the reference data"
        }
        Change::Offer(_) => "an offer's move",
        Change::Contact(_) => "a logged contact",
        Change::Task(_) => "a task",
        Change::Survey(_) => "a survey",
        Change::Ticket(_) => "a ticket's change",
        Change::Mark { .. } => "a queue mark",
        Change::Client(_) | Change::Person(_) | Change::Settlement { .. } | Change::Portrait { .. } => "this",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Planner;
    use crate::write::CommandError;

    fn d(s: &str) -> chrono::NaiveDate {
        s.parse().unwrap()
    }

    /// Runs `cmd`, then its inverse: the model (and the classes) are back
    /// where they were; the inverse of the inverse does it again.
    fn undo_redo(p: &mut Planner, cmd: Command) {
        let before = p.model.clone();
        let prior = Prior::of(&p.model, &cmd);
        let event = p.event(cmd);
        let after = p.model.clone();
        let undo = inverse(&event, &prior).unwrap();
        let prior = Prior::of(&p.model, &undo);
        let undone = p.event(undo);
        assert_eq!(
            crate::classes::compute(&p.model, d("2026-12-31")),
            crate::classes::compute(&before, d("2026-12-31"))
        );
        // The records say again what they said (an undo is a new version).
        let fields = |m: &Model| -> Vec<String> {
            let clients = m
                .clients
                .values()
                .map(|c| format!("{} {:?} {:?} {} {:?}", c.name, c.segment, c.manager, c.notes, c.tags));
            let persons = m
                .persons
                .values()
                .map(|x| format!("{} {} {} {}", x.name, x.role, x.phone, x.email));
            clients.chain(persons).collect()
        };
        assert_eq!(fields(&p.model), fields(&before));
        let redo = inverse(&undone, &prior).unwrap();
        p.run(redo);
        assert_eq!(
            crate::classes::compute(&p.model, d("2026-12-31")),
            crate::classes::compute(&after, d("2026-12-31"))
        );
    }

    #[test]
    fn settlements_client_and_person_edits_go_back_and_forth() {
        let mut p = Planner::with_client();
        undo_redo(
            &mut p,
            Command::RecordSettlement {
                client: ClientId(1),
                date: d("2026-11-03"),
                amount: Money(120_000),
                product: None,
                doc: "INV-1".into(),
            },
        );
        let s = p.settlements.values().next().unwrap().clone();
        undo_redo(
            &mut p,
            Command::EditSettlement {
                client: ClientId(1),
                id: s.id,
                expected_seq: None,
                date: d("2026-11-04"),
                amount: Money(125_000),
                product: None,
                doc: "INV-1b".into(),
            },
        );
        p.run(Command::AddPerson {
            client: ClientId(1),
            name: "Anne".into(),
            role: "buyer".into(),
            phone: String::new(),
            email: String::new(),
            birthday: None,
        });
        let anne = p.model.persons_of(ClientId(1)).next().unwrap().clone();
        undo_redo(
            &mut p,
            Command::EditPerson {
                client: ClientId(1),
                person: anne.id,
                expected_seq: Some(anne.seq),
                name: "Anne Martin".into(),
                role: "head buyer".into(),
                phone: "+33 1".into(),
                email: "anne@example.com".into(),
                birthday: None,
            },
        );
        let client = p.model.clients[&ClientId(1)].clone();
        undo_redo(
            &mut p,
            Command::EditClient {
                client: ClientId(1),
                expected_version: Some(client.version),
                name: "Renamed".into(),
                segment: client.segment,
                manager: client.manager,
                notes: "two\nlines".into(),
                tags: vec!["vip".into()],
            },
        );
    }

    #[test]
    fn someone_elses_later_change_refuses_the_undo() {
        let mut p = Planner::with_client();
        let record = Command::RecordSettlement {
            client: ClientId(1),
            date: d("2026-11-03"),
            amount: Money(120_000),
            product: None,
            doc: String::new(),
        };
        let event = p.event(record);
        let undo = inverse(&event, &Prior::default()).unwrap();
        let s = p.settlements.values().next().unwrap().clone();
        // Another session corrects the amount in between.
        p.run(Command::EditSettlement {
            client: ClientId(1),
            id: s.id,
            expected_seq: None,
            date: s.date,
            amount: Money(99_000),
            product: None,
            doc: String::new(),
        });
        assert!(matches!(p.refused(undo), CommandError::Stale { .. }));

        let c = p.model.clients[&ClientId(1)].clone();
        let edit = Command::EditClient {
            client: ClientId(1),
            expected_version: Some(c.version),
            name: "Mine".into(),
            segment: c.segment,
            manager: c.manager,
            notes: String::new(),
            tags: vec![],
        };
        let prior = Prior::of(&p.model, &edit);
        let event = p.event(edit);
        let undo = inverse(&event, &prior).unwrap();
        p.run(Command::EditClient {
            client: ClientId(1),
            expected_version: None,
            name: "Theirs".into(),
            segment: c.segment,
            manager: c.manager,
            notes: String::new(),
            tags: vec![],
        });
        assert!(matches!(p.refused(undo), CommandError::Stale { .. }));
        assert_eq!(p.model.clients[&ClientId(1)].name, "Theirs");
    }

    /// A done or snooze mark set by mistake is taken back (the item is
    /// due again); undoing a change of mark puts the old one back.
    #[test]
    fn queue_marks_come_off_and_back() {
        let mut p = Planner::with_client();
        let mv = |stage, date: &str| {
            let mut m = crate::write::OfferMove::new(ClientId(1), ProductId(1), stage, d(date));
            m.next_step = Some(d("2026-03-02"));
            Command::MoveOffer(m)
        };
        p.run(mv(OfferStage::Presentation, "2026-03-01"));
        let key = "step-1-1".to_string();
        let done = Command::MarkItem {
            key: key.clone(),
            due: d("2026-03-02"),
            state: MarkState::Done,
        };
        let prior = Prior::of(&p.model, &done);
        let event = p.event(done);
        let undo = inverse(&event, &prior).unwrap();
        assert!(matches!(undo, Command::ClearMark { .. }));
        let prior = Prior::of(&p.model, &undo);
        let undone = p.event(undo);
        assert!(!p.model.marks.contains_key(&key), "the item is due again");
        // Redo marks it done again; a snooze over it undoes back to done.
        p.run(inverse(&undone, &prior).unwrap());
        let snooze = Command::MarkItem {
            key: key.clone(),
            due: d("2026-03-02"),
            state: MarkState::Snoozed(d("2026-03-09")),
        };
        let prior = Prior::of(&p.model, &snooze);
        let event = p.event(snooze);
        p.run(inverse(&event, &prior).unwrap());
        assert_eq!(p.model.marks[&key].state, MarkState::Done);
        // Clearing a mark someone else changed since is refused.
        let stale = Command::ClearMark {
            key: key.clone(),
            expected_seq: Some(1),
        };
        assert!(matches!(p.refused(stale), CommandError::Stale { .. }));
        assert!(matches!(
            p.refused(Command::ClearMark {
                key: "step-1-9".into(),
                expected_seq: None
            }),
            CommandError::NotFound(_)
        ));
    }

    #[test]
    fn what_cannot_be_undone_says_why() {
        let mut p = Planner::with_client();
        let event = p.event(Command::AddTask {
            client: ClientId(1),
            due: d("2026-12-01"),
            text: "Call".into(),
        });
        assert_eq!(
            inverse(&event, &Prior::default()),
            Err("a task cannot be undone yet".into())
        );
        let event = p.event(Command::AddClient {
            reference: "C2".into(),
            name: "New".into(),
            segment: None,
            manager: None,
            created: d("2026-01-01"),
            notes: String::new(),
            tags: vec![],
        });
        assert!(inverse(&event, &Prior::default()).unwrap_err().contains("new client"));
    }
}
