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
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Prior {
    pub clients: Vec<Client>,
    pub persons: Vec<ContactPerson>,
    pub tasks: Vec<Task>,
    pub surveys: Vec<Survey>,
    /// Queue marks by key (`None`: the item had none).
    pub marks: Vec<(String, Option<QueueMark>)>,
    /// Acquisition sources ("": none) by client ref, with the client's id
    /// when it exists already.
    pub sources: Vec<(Option<ClientId>, String, String)>,
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
            Command::CompleteTask { task, .. } | Command::EditTask { task, .. } => {
                self.tasks.extend(model.tasks.get(task).cloned())
            }
            Command::EditSurvey { survey, .. } => self.surveys.extend(model.surveys.get(survey).cloned()),
            Command::MarkItem { key, .. } | Command::ClearMark { key, .. } => {
                self.marks.push((key.clone(), model.marks.get(key).cloned()))
            }
            Command::LogContact { client, .. } => {
                let key = crate::queue::ItemKey::NextContact(*client).to_string();
                self.marks.push((key.clone(), model.marks.get(&key).cloned()))
            }
            Command::DeleteTask { task, .. } => {
                let key = crate::queue::ItemKey::Task(*task).to_string();
                self.marks.push((key.clone(), model.marks.get(&key).cloned()))
            }
            Command::SetSource { reference, .. } => {
                let client = model.client_by_ref(reference).map(|c| c.id);
                let before = client.map_or("", |c| model.sales.source_of(c));
                self.sources.push((client, reference.clone(), before.to_string()))
            }
            Command::Batch { commands, .. } => commands.iter().for_each(|c| self.add(model, c)),
            _ => {}
        }
    }
}

/// The command that undoes `event`, or why there is none.
pub fn inverse(event: &Event, prior: &Prior) -> Result<Command, String> {
    let on = event.at.date();
    // A merge is undone as a whole, from its own changes; its undo is
    // redone by merging again.
    if let Some(j) = event.changes.iter().find_map(|c| match c {
        Change::Merge(j) => Some(j),
        _ => None,
    }) {
        return Ok(if j.undone {
            Command::MergeClients {
                into: j.into,
                from: j.from,
                expected: None,
                on,
            }
        } else {
            Command::Unmerge {
                changes: event.changes.clone(),
            }
        });
    }
    let mut commands = Vec::new();
    for (i, change) in event.changes.iter().enumerate().rev() {
        let earlier = event.changes.get(..i).unwrap_or_default();
        let cmd = match change {
            Change::OfferWas { .. } => None,
            Change::Offer(n) => Some(put_back(earlier, n.client, n.product, n.version)?),
            Change::OfferRemoved(o) => Some(put_back(earlier, o.client, o.product, 0)?),
            other => undo_change(other, prior, on)?,
        };
        commands.extend(cmd);
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

/// The command that puts back the offer of `client` and `product` as the
/// change before it in the same event says it was (`version`: the one the
/// event left, 0 for none).
fn put_back(earlier: &[Change], client: ClientId, product: ProductId, version: u64) -> Result<Command, String> {
    earlier
        .iter()
        .rev()
        .find_map(|c| match c {
            Change::OfferWas {
                client: c,
                product: p,
                offer,
            } if (*c, *p) == (client, product) => Some(offer.clone()),
            _ => None,
        })
        .map(|offer| Command::RestoreOffer {
            client,
            product,
            expected_version: Some(version),
            offer,
        })
        .ok_or_else(|| "an offer's move from before schema 5 (which keeps what it replaced) cannot be undone".into())
}

/// The command that undoes one change; `None` when undoing another change
/// of the same event already undoes it (a deleted task's queue mark).
fn undo_change(change: &Change, prior: &Prior, on: chrono::NaiveDate) -> Result<Option<Command>, String> {
    Ok(Some(match change {
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
            // A new client goes to the trash (nothing is deleted for good
            // by an undo; redo restores it).
            None => Command::Archive {
                key: Archivable::Client(c.id),
                expected_seq: Some(c.seq),
                on,
            },
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
            None => Command::Archive {
                key: Archivable::Person(n.client, n.id),
                expected_seq: Some(n.seq),
                on,
            },
        },
        Change::Archive { key, archival: Some(_) } => Command::Restore { key: *key },
        Change::Archive { key, archival: None } => Command::Archive {
            key: *key,
            expected_seq: None,
            on,
        },
        Change::Contact(c) => Command::DeleteContact {
            client: c.client,
            id: c.id,
            expected_seq: Some(c.seq),
        },
        Change::ContactRewritten { old, new: Some(n), .. } => Command::EditContact {
            client: old.client,
            id: old.id,
            expected_seq: Some(n.seq),
            person: old.person,
            at: old.at,
            channel: old.channel,
            summary: old.summary.clone(),
            outcome: old.outcome.clone(),
        },
        Change::ContactRewritten { old, new: None, .. } => Command::LogContact {
            client: old.client,
            person: old.person,
            at: old.at,
            channel: old.channel,
            summary: old.summary.clone(),
            outcome: old.outcome.clone(),
            next_contact: old.next_contact,
        },
        Change::Task(t) => match prior.tasks.iter().find(|p| p.id == t.id) {
            Some(p) => Command::EditTask {
                task: t.id,
                expected_seq: Some(t.seq),
                due: p.due,
                text: p.text.clone(),
                done: p.done,
            },
            None => Command::DeleteTask {
                task: t.id,
                expected_seq: Some(t.seq),
            },
        },
        Change::TaskRemoved(t) if t.done.is_some() => {
            return Err("a deleted task that was done cannot be put back".into());
        }
        Change::TaskRemoved(t) => Command::AddTask {
            client: t.client,
            due: t.due,
            text: t.text.clone(),
        },
        Change::Survey(s) => match prior.surveys.iter().find(|p| p.id == s.id) {
            Some(p) => Command::EditSurvey {
                survey: s.id,
                expected_seq: Some(s.seq),
                date: p.date,
                scores: p.scores.clone(),
            },
            None => Command::DeleteSurvey {
                survey: s.id,
                expected_seq: Some(s.seq),
            },
        },
        Change::SurveyRemoved(s) if s.ticket.is_some() => {
            return Err("a deleted survey that opened a ticket cannot be put back (the ticket is still there)".into());
        }
        Change::SurveyRemoved(s) => Command::RecordSurvey {
            client: s.client,
            product: s.product,
            date: s.date,
            scores: s.scores.clone(),
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
                // A logged contact's next date goes with the contact; a
                // deleted task's mark with the task.
                // A next contact date follows the latest logged contact
                // (undoing the contact puts it back); a deleted task's mark
                // goes with the task.
                _ if key.starts_with("next-") => return Ok(None),
                (Some(_), None) if key.starts_with("task-") => return Ok(None),
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
        Change::Sales {
            key: SalesKey::Acquisition(client),
            ..
        } => {
            // By the client's id; a client made by the same command was
            // not in the model before it: its entry has none.
            let found = prior
                .sources
                .iter()
                .find(|(c, ..)| *c == Some(*client))
                .or_else(|| prior.sources.iter().find(|(c, ..)| c.is_none()));
            match found {
                Some((_, reference, before)) => Command::SetSource {
                    reference: reference.clone(),
                    source: before.clone(),
                },
                None => return Err("the source's change cannot be undone".into()),
            }
        }
        other => return Err(format!("{} cannot be undone", what(other))),
    }))
}

/// A change's kind, as a reason names it.
fn what(change: &Change) -> &'static str {
    match change {
        Change::Settings(_) => "a change of the settings",
        Change::Manager(_) | Change::Segment(_) | Change::Product(_) | Change::Questionnaire(_) => {
            "a change of the reference data"
        }
        Change::Offer(_) => "an offer's move",
        Change::Ticket(_) => "a ticket's change",
        Change::Purge { .. } => "a purge of the trash",
        Change::Sales { key, .. } => match key {
            SalesKey::Document(_) => "a document (its number is never given again)",
            SalesKey::Terms(..) => "a change of an offer's terms",
            SalesKey::Acquisition(_) => "a change of the source",
            SalesKey::Setup => "a change of the sales lists",
            SalesKey::View(_) => "a change of the shared views",
        },
        _ => "this",
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

    /// An offer's move is undone by putting the offer back as it was (or
    /// taking a new one away), and redone by putting the move back; several
    /// moves in one batch go back in one undo.
    #[test]
    fn offer_moves_go_back_and_forth() {
        let mut p = Planner::with_client();
        let mv = |stage, date: &str| {
            let mut m = crate::write::OfferMove::new(ClientId(1), ProductId(1), stage, d(date));
            m.next_step = Some(d("2026-03-20"));
            Command::MoveOffer(m)
        };
        let none = p.model.clone();
        let event = p.event(mv(OfferStage::Presentation, "2026-03-01"));
        let first = p.model.offers[&(ClientId(1), ProductId(1))].clone();
        let event2 = p.event(mv(OfferStage::Proposal, "2026-03-05"));
        let undo = inverse(&event2, &Prior::default()).unwrap();
        let undone = p.event(undo);
        let back = &p.model.offers[&(ClientId(1), ProductId(1))];
        assert_eq!(
            (back.stage, &back.history, back.next_step),
            (first.stage, &first.history, first.next_step)
        );
        assert_eq!(back.version, 3, "a put-back offer is a new version");
        // Redo moves it again; the first undo, now stale, is refused.
        p.run(inverse(&undone, &Prior::default()).unwrap());
        assert_eq!(p.model.offers[&(ClientId(1), ProductId(1))].stage, OfferStage::Proposal);
        let stale = inverse(&event, &Prior::default()).unwrap();
        assert!(matches!(p.refused(stale), CommandError::Stale { .. }));
        // A batch of moves (the matrix's marked offers) goes back in one.
        let batch = Command::Batch {
            label: "move 2 offers".into(),
            commands: vec![
                mv(OfferStage::Agreement, "2026-03-10"),
                Command::MoveOffer({
                    let mut m = crate::write::OfferMove::new(
                        ClientId(1),
                        ProductId(2),
                        OfferStage::Presentation,
                        d("2026-03-10"),
                    );
                    m.next_step = Some(d("2026-03-20"));
                    m
                }),
            ],
        };
        let before = p.model.offers.clone();
        let event = p.event(batch);
        p.run(inverse(&event, &Prior::default()).unwrap());
        let stages = |m: &std::collections::BTreeMap<(ClientId, ProductId), Offer>| -> Vec<(ProductId, OfferStage)> {
            m.values().map(|o| (o.product, o.stage)).collect()
        };
        assert_eq!(stages(&p.model.offers), stages(&before));
        drop(none);
    }

    #[test]
    fn what_cannot_be_undone_says_why() {
        let mut p = Planner::with_client();
        let mut m = crate::write::OfferMove::new(ClientId(1), ProductId(1), OfferStage::Presentation, d("2026-03-01"));
        m.next_step = Some(d("2026-03-02"));
        let mut event = p.event(Command::MoveOffer(m));
        // An event from before schema 5 has no record of the offer before.
        event.changes.retain(|c| !matches!(c, Change::OfferWas { .. }));
        let why = inverse(&event, &Prior::default()).unwrap_err();
        assert!(why.contains("cannot be undone"), "{why}");
    }
}

#[cfg(test)]
mod sales_tests {
    use super::*;
    use crate::testing::Planner;

    fn source(s: &str) -> Command {
        Command::SetSource {
            reference: "C1".into(),
            source: s.into(),
        }
    }

    /// Runs `cmd` and its undo; the client's source is `want` after each.
    fn run_and_undo(p: &mut Planner, cmd: Command) -> (String, String) {
        let prior = Prior::of(&p.model, &cmd);
        let event = p.event(cmd);
        let after = p.model.sales.source_of(ClientId(1)).to_string();
        p.run(inverse(&event, &prior).unwrap());
        (after, p.model.sales.source_of(ClientId(1)).to_string())
    }

    #[test]
    fn a_source_change_goes_back_but_a_document_does_not() {
        let mut p = Planner::with_client();
        assert_eq!(
            run_and_undo(&mut p, source("Referral")),
            ("Referral".into(), String::new())
        );
        p.run(source("Referral"));
        assert_eq!(
            run_and_undo(&mut p, source("Trade fair")),
            ("Trade fair".into(), "Referral".into())
        );
        assert_eq!(run_and_undo(&mut p, source("")), (String::new(), "Referral".into()));
        // A written document keeps its number: no undo.
        p.run(Command::MoveOffer(crate::write::OfferMove::new(
            ClientId(1),
            ProductId(1),
            OfferStage::Proposal,
            "2026-03-01".parse().unwrap(),
        )));
        let cmd = Command::WriteDocument {
            client: ClientId(1),
            product: ProductId(1),
            kind: crate::templates::DocKind::Offer,
            date: "2026-03-02".parse().unwrap(),
            dir: "/tmp/docs".into(),
        };
        let prior = Prior::of(&p.model, &cmd);
        let event = p.event(cmd);
        let why = inverse(&event, &prior).unwrap_err();
        assert!(why.contains("never given again"), "{why}");
    }
}
