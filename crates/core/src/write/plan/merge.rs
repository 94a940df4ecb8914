//! Planning: a merge of a duplicate client into the one that stays, and
//! its undo. The merge moves every record of the duplicate (each move is a
//! removal and an insertion, so that the store rewrites the keys under the
//! client) and archives it; the records it rewrites in place are kept, as
//! they were, in its first change, so that the undo needs nothing else.

use super::trash::live_client;
use super::*;
use crate::domain::merge::advancement;

/// Plans `MergeClients` (see `Command::plan`).
pub(super) fn plan(cmd: &Command, model: &Model, ctx: &Context) -> Result<Vec<Change>> {
    let Command::MergeClients {
        into,
        from,
        expected,
        on,
    } = cmd
    else {
        return Err(not_here(cmd));
    };
    let (into, from, on) = (*into, *from, *on);
    check_date("merge date", on)?;
    if into == from {
        return Err(invalid(format!(
            "client {} cannot be merged into itself",
            model.client_label(into)
        )));
    }
    let a = live_client(model, into)?;
    let b = live_client(model, from)?;
    if let Some((version_a, version_b)) = expected {
        check_version(|| format!("client {}", a.reference), Some(*version_a), a.version)?;
        check_version(|| format!("client {}", b.reference), Some(*version_b), b.version)?;
    }
    if a.manager != b.manager
        && let Some(me) = model.manager_by_login(ctx.who)
        && me.role != Role::Lead
    {
        return Err(invalid(format!(
            "{} ({}) and {} ({}) have different managers: only a lead merges them",
            a.reference,
            model.manager_login(a.manager),
            b.reference,
            model.manager_login(b.manager)
        )));
    }
    let read = |e: String| invalid(format!("reading the records of {}: {e}", b.reference));
    let mut journal = MergeJournal {
        clients: vec![a.clone(), b.clone()],
        ..MergeJournal::new(into, from, false)
    };
    let mut moves = Vec::new();

    for s in (ctx.settlements)(from).map_err(read)? {
        let moved = Settlement {
            client: into,
            seq: ctx.seq,
            ..s.clone()
        };
        moves.push(Change::Settlement {
            old: Some(s),
            new: Some(moved),
        });
    }
    for c in (ctx.contacts)(from).map_err(read)? {
        let moved = ContactEntry {
            client: into,
            seq: ctx.seq,
            ..c.clone()
        };
        moves.push(Change::ContactRewritten {
            old: Box::new(c),
            new: None,
            last_contact: None,
        });
        moves.push(Change::Contact(moved));
    }
    for p in model.persons_of(from) {
        moves.push(Change::PersonRemoved(p.clone()));
        moves.push(Change::Person(ContactPerson {
            client: into,
            seq: ctx.seq,
            ..p.clone()
        }));
    }
    for o in model.offers_of(from) {
        journal.offers.push(o.clone());
        let kept = match model.offers.get(&(into, o.product)) {
            None => Offer {
                client: into,
                version: o.version + 1,
                seq: ctx.seq,
                ..o.clone()
            },
            Some(theirs) => {
                journal.offers.push(theirs.clone());
                kept_offer(model, theirs, o, ctx.seq)
            }
        };
        moves.push(Change::OfferRemoved(o.clone()));
        moves.push(Change::Offer(kept));
    }
    for t in model.tasks.values().filter(|t| t.client == from) {
        moves.push(Change::TaskRemoved(t.clone()));
        moves.push(Change::Task(Task {
            client: into,
            seq: ctx.seq,
            ..t.clone()
        }));
    }
    for s in model.surveys.values().filter(|s| s.client == from) {
        moves.push(Change::SurveyRemoved(s.clone()));
        moves.push(Change::Survey(Survey {
            client: into,
            seq: ctx.seq,
            ..s.clone()
        }));
    }
    for t in model.tickets.values().filter(|t| t.client == from) {
        journal.tickets.push(t.clone());
        moves.push(Change::ticket(Ticket {
            client: into,
            version: t.version + 1,
            seq: ctx.seq,
            ..t.clone()
        }));
    }
    move_sales(model, &mut journal, &mut moves, ctx.seq);
    move_marks(model, &mut journal, &mut moves, ctx.seq);

    let mut tags = a.tags.clone();
    tags.extend(b.tags.iter().filter(|t| !a.tags.contains(t)).cloned());
    let mut notes = a.notes.clone();
    if !b.notes.trim().is_empty() {
        let joined = format!(
            "{}\n\nFrom {} ({}), merged on {on}:\n{}",
            a.notes.trim_end(),
            b.reference,
            b.name,
            b.notes
        );
        // Too long for one note: the duplicate's stays with it in the trash.
        if joined.len() <= 16 * 1024 {
            notes = joined.trim_start().to_string();
        }
    }
    let pointer = format!("Merged into {} ({}) on {on} by {}.", a.reference, a.name, ctx.who);
    let mut changes = vec![Change::Merge(Box::new(journal))];
    changes.extend(moves);
    changes.push(Change::Client(Client {
        tags,
        notes,
        version: a.version + 1,
        seq: ctx.seq,
        ..a.clone()
    }));
    changes.push(Change::Client(Client {
        notes: format!("{}\n{pointer}", b.notes.trim_end()).trim_start().to_string(),
        version: b.version + 1,
        seq: ctx.seq,
        ..b.clone()
    }));
    let key = Archivable::Client(from);
    changes.push(Change::Archive {
        key,
        archival: Some(Archival {
            key,
            on,
            who: ctx.who.to_string(),
            seq: ctx.seq,
        }),
    });
    Ok(changes)
}

/// Of two offers of one product, the further one under the client that
/// stays, with the other's moves first in its history; the moves that
/// came from the duplicate say so.
fn kept_offer(model: &Model, theirs: &Offer, mine: &Offer, seq: u64) -> Offer {
    let (keep, other) = if advancement(mine) > advancement(theirs) {
        (mine, theirs)
    } else {
        (theirs, mine)
    };
    let from = model.client_label(mine.client);
    let noted = |offer: &Offer| -> Vec<Transition> {
        offer
            .history
            .iter()
            .map(|t| {
                if offer.client != mine.client {
                    return t.clone();
                }
                Transition {
                    note: format!("[{from}] {}", t.note).trim_end().into(),
                    ..t.clone()
                }
            })
            .collect()
    };
    let mut history = noted(other);
    history.extend(noted(keep));
    Offer {
        client: theirs.client,
        history,
        version: theirs.version.max(mine.version) + 1,
        seq,
        ..keep.clone()
    }
}

/// Documents move; terms and the acquisition source move unless the client
/// that stays has its own (then the duplicate's stay with it in the trash).
fn move_sales(model: &Model, journal: &mut MergeJournal, moves: &mut Vec<Change>, seq: u64) {
    let (into, from) = (journal.into, journal.from);
    for d in model.sales.documents.values().filter(|d| d.client == from) {
        let key = SalesKey::Document(d.number);
        journal.sales.push((key, Some(SalesRecord::Document(d.clone()))));
        moves.push(Change::Sales {
            key,
            record: Some(SalesRecord::Document(Document {
                client: into,
                seq,
                ..d.clone()
            })),
        });
    }
    for (&(_, product), t) in model.sales.terms.iter().filter(|((c, _), _)| *c == from) {
        if model.sales.terms.contains_key(&(into, product)) {
            continue;
        }
        let old = SalesKey::Terms(from, product);
        let new = SalesKey::Terms(into, product);
        journal.sales.push((old, Some(SalesRecord::Terms(t.clone()))));
        journal.sales.push((new, None));
        moves.push(Change::Sales { key: old, record: None });
        moves.push(Change::Sales {
            key: new,
            record: Some(SalesRecord::Terms(OfferTerms {
                client: into,
                seq,
                ..t.clone()
            })),
        });
    }
    if let Some(a) = model.sales.sources.get(&from)
        && !model.sales.sources.contains_key(&into)
    {
        let old = SalesKey::Acquisition(from);
        let new = SalesKey::Acquisition(into);
        journal.sales.push((old, Some(SalesRecord::Acquisition(a.clone()))));
        journal.sales.push((new, None));
        moves.push(Change::Sales { key: old, record: None });
        moves.push(Change::Sales {
            key: new,
            record: Some(SalesRecord::Acquisition(Acquisition {
                client: into,
                seq,
                ..a.clone()
            })),
        });
    }
}

/// Queue marks whose key names the duplicate move to the same item of the
/// client that stays, unless it has a mark there already (it wins).
fn move_marks(model: &Model, journal: &mut MergeJournal, moves: &mut Vec<Change>, seq: u64) {
    let (into, from) = (journal.into, journal.from);
    for (key, mark) in &model.marks {
        let Ok(item) = key.parse::<ItemKey>() else { continue };
        if item.client(model) != Some(from) {
            continue;
        }
        let Some(moved) = item.moved_to(into) else { continue };
        journal.marks.push((key.clone(), Some(mark.clone())));
        moves.push(Change::Mark {
            key: key.clone(),
            mark: None,
        });
        let moved = moved.to_string();
        if model.marks.contains_key(&moved) {
            continue;
        }
        journal.marks.push((moved.clone(), None));
        moves.push(Change::Mark {
            key: moved.clone(),
            mark: Some(QueueMark {
                key: moved,
                seq,
                ..mark.clone()
            }),
        });
    }
}

/// Plans `Unmerge`: every record the merge wrote must be as it left it
/// (anyone's later change refuses the undo); then each goes back.
pub(super) fn unmerge(merge: &[Change], model: &Model, ctx: &Context) -> Result<Vec<Change>> {
    let journal = merge
        .iter()
        .find_map(|c| match c {
            Change::Merge(j) if !j.undone => Some(j),
            _ => None,
        })
        .ok_or_else(|| invalid("these changes are not a merge's"))?;
    let (into, from) = (journal.into, journal.from);
    let b_now = model.trash.clients.get(&from).map(|t| &t.client).ok_or_else(|| {
        invalid(format!(
            "client {} is no longer in the trash: the merge cannot be undone",
            model.client_label(from)
        ))
    })?;
    let a_now = live_client(model, into)?;
    let stale = |what: String, expected: u64, current: u64| CommandError::Stale {
        what,
        expected,
        current,
    };
    let read = |e: String| invalid(format!("reading the records of {}: {e}", a_now.reference));

    let mut out = vec![
        Change::Merge(Box::new(MergeJournal::new(into, from, true))),
        Change::Archive {
            key: Archivable::Client(from),
            archival: None,
        },
    ];
    let mut added = Vec::new();
    let a_contacts = (ctx.contacts)(into).map_err(read)?;
    let moved_contacts: Vec<&ContactEntry> = merge
        .iter()
        .filter_map(|c| match c {
            Change::Contact(n) if n.client == into => Some(n),
            _ => None,
        })
        .collect();
    let last_contact = a_contacts
        .iter()
        .filter(|c| !moved_contacts.iter().any(|m| m.id == c.id))
        .map(|c| c.at)
        .max();
    for change in merge {
        match change {
            Change::Client(c) => {
                let now = if c.id == into { a_now } else { b_now };
                if now.version != c.version {
                    return Err(stale(format!("client {}", now.reference), c.version, now.version));
                }
                let before = journal
                    .clients
                    .iter()
                    .find(|x| x.id == c.id)
                    .ok_or_else(|| invalid("the merge's record of the clients is incomplete"))?;
                added.push(Change::Client(Client {
                    version: now.version + 1,
                    seq: ctx.seq,
                    ..before.clone()
                }));
            }
            Change::Settlement {
                old: Some(o),
                new: Some(n),
            } => {
                let now = (ctx.settlement)(n.client, n.id)
                    .map_err(read)?
                    .ok_or_else(|| CommandError::NotFound(format!("settlement #{} of {}", n.id, a_now.reference)))?;
                if now.seq != n.seq {
                    return Err(stale(format!("settlement #{}", n.id), n.seq, now.seq));
                }
                out.push(Change::Settlement {
                    old: Some(now),
                    new: Some(Settlement {
                        seq: ctx.seq,
                        ..o.clone()
                    }),
                });
            }
            Change::Contact(n) => {
                let now = a_contacts.iter().find(|c| c.id == n.id).ok_or_else(|| {
                    CommandError::NotFound(format!("logged contact #{} of {}", n.id, a_now.reference))
                })?;
                if now.seq != n.seq {
                    return Err(stale(format!("logged contact #{}", n.id), n.seq, now.seq));
                }
                out.push(Change::ContactRewritten {
                    old: Box::new(now.clone()),
                    new: None,
                    last_contact,
                });
            }
            Change::ContactRewritten { old, new: None, .. } => added.push(Change::Contact(ContactEntry {
                seq: ctx.seq,
                ..(**old).clone()
            })),
            Change::Person(n) => {
                let now = model.persons.get(&(into, n.id)).ok_or_else(|| {
                    invalid(format!(
                        "contact person {} of {} was archived or removed since the merge",
                        n.name, a_now.reference
                    ))
                })?;
                if now.seq != n.seq {
                    return Err(stale(format!("contact person {}", n.name), n.seq, now.seq));
                }
                out.push(Change::PersonRemoved(now.clone()));
            }
            Change::PersonRemoved(o) => added.push(Change::Person(ContactPerson {
                seq: ctx.seq,
                ..o.clone()
            })),
            Change::Offer(n) => {
                let label = || format!("offer {} of {}", model.product_label(n.product), a_now.reference);
                let now = model
                    .offers
                    .get(&(into, n.product))
                    .ok_or_else(|| CommandError::NotFound(label()))?;
                if now.version != n.version {
                    return Err(stale(label(), n.version, now.version));
                }
                match journal
                    .offers
                    .iter()
                    .find(|o| o.client == into && o.product == n.product)
                {
                    Some(before) => out.push(Change::Offer(Offer {
                        version: now.version + 1,
                        ..before.clone()
                    })),
                    None => out.push(Change::OfferRemoved(now.clone())),
                }
            }
            Change::OfferRemoved(o) => added.push(Change::Offer(o.clone())),
            Change::Task(n) => {
                let now = model
                    .tasks
                    .get(&n.id)
                    .filter(|t| t.client == into)
                    .ok_or_else(|| CommandError::NotFound(format!("task #{} of {}", n.id, a_now.reference)))?;
                if now.seq != n.seq {
                    return Err(stale(format!("task #{}", n.id), n.seq, now.seq));
                }
                out.push(Change::TaskRemoved(now.clone()));
            }
            Change::TaskRemoved(o) => added.push(Change::Task(Task {
                seq: ctx.seq,
                ..o.clone()
            })),
            Change::Survey(n) => {
                let now = model
                    .surveys
                    .get(&n.id)
                    .filter(|s| s.client == into)
                    .ok_or_else(|| CommandError::NotFound(format!("survey #{} of {}", n.id, a_now.reference)))?;
                if now.seq != n.seq {
                    return Err(stale(format!("survey #{}", n.id), n.seq, now.seq));
                }
                out.push(Change::SurveyRemoved(now.clone()));
            }
            Change::SurveyRemoved(o) => added.push(Change::Survey(Survey {
                seq: ctx.seq,
                ..o.clone()
            })),
            Change::Ticket(n) => {
                let now = found(&model.tickets, n.id, "ticket")?;
                if now.version != n.version {
                    return Err(stale(format!("ticket #{}", n.id), n.version, now.version));
                }
                let before = journal
                    .tickets
                    .iter()
                    .find(|t| t.id == n.id)
                    .ok_or_else(|| invalid("the merge's record of the tickets is incomplete"))?;
                added.push(Change::ticket(Ticket {
                    version: now.version + 1,
                    seq: ctx.seq,
                    ..before.clone()
                }));
            }
            Change::Sales { key, record } if sales_record(model, *key) != *record => {
                return Err(invalid(format!(
                    "{} changed since the merge: it cannot be undone",
                    sales_label(model, *key)
                )));
            }
            Change::Mark { key, mark } if model.marks.get(key).map(|m| m.seq) != mark.as_ref().map(|m| m.seq) => {
                return Err(invalid(format!(
                    "the queue item {key} was marked since the merge: it cannot be undone"
                )));
            }
            _ => {}
        }
    }
    out.extend(added);
    out.extend(journal.sales.iter().map(|(key, record)| Change::Sales {
        key: *key,
        record: record.clone(),
    }));
    out.extend(journal.marks.iter().map(|(key, mark)| Change::Mark {
        key: key.clone(),
        mark: mark.clone().map(|m| QueueMark { seq: ctx.seq, ..m }),
    }));
    Ok(out)
}

fn sales_record(model: &Model, key: SalesKey) -> Option<SalesRecord> {
    let sales = &model.sales;
    match key {
        SalesKey::Document(n) => sales.documents.get(&n).cloned().map(SalesRecord::Document),
        SalesKey::Terms(c, p) => sales.terms.get(&(c, p)).cloned().map(SalesRecord::Terms),
        SalesKey::Acquisition(c) => sales.sources.get(&c).cloned().map(SalesRecord::Acquisition),
        SalesKey::Setup => Some(SalesRecord::Setup(sales.setup.clone())),
        SalesKey::View(n) => sales.views.get(&n).map(|v| SalesRecord::View(Box::new(v.clone()))),
    }
}

fn sales_label(model: &Model, key: SalesKey) -> String {
    match key {
        SalesKey::Document(n) => format!("document {n}"),
        SalesKey::Terms(c, p) => format!("the terms of {} for {}", model.product_label(p), model.client_label(c)),
        SalesKey::Acquisition(c) => format!("the source of {}", model.client_label(c)),
        SalesKey::Setup => "the sales lists".into(),
        SalesKey::View(_) => "a shared view".into(),
    }
}

/// What a merge moved, for the one line that reports it ("3 settlements,
/// 1 logged contact, 2 offers"); empty when it moved nothing but the name.
pub fn moved(changes: &[Change]) -> String {
    let count = |f: fn(&Change) -> bool| changes.iter().filter(|c| f(c)).count();
    let parts = [
        (
            count(|c| matches!(c, Change::Settlement { .. })),
            "settlement",
            "settlements",
        ),
        (
            count(|c| matches!(c, Change::Contact(_))),
            "logged contact",
            "logged contacts",
        ),
        (
            count(|c| matches!(c, Change::Person(_))),
            "contact person",
            "contact persons",
        ),
        (count(|c| matches!(c, Change::OfferRemoved(_))), "offer", "offers"),
        (count(|c| matches!(c, Change::Task(_))), "task", "tasks"),
        (count(|c| matches!(c, Change::Survey(_))), "survey", "surveys"),
        (count(|c| matches!(c, Change::Ticket(_))), "ticket", "tickets"),
        (
            count(|c| matches!(c, Change::Sales { record: Some(_), .. })),
            "sales record",
            "sales records",
        ),
    ];
    let said: Vec<String> = parts
        .iter()
        .filter(|(n, ..)| *n > 0)
        .map(|&(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
        .collect();
    said.join(", ")
}
