//! Reading the change log, whatever keeps it (the sled store's trees, the
//! `events` table of PostgreSQL): a client's history, and the last command
//! a user may undo with the records it replaced. The backends give the
//! log; the rules are here, once.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;

use crate::backend::HistoryEntry;
use crate::domain::{AuditEntry, ClientId, SalesKey, SalesRecord};
use crate::model::{Change, Model};
use crate::write::Event;
use crate::write::undo::Prior;

/// One logged command's changes.
#[derive(Clone, Debug, PartialEq)]
pub struct Logged {
    pub seq: u64,
    pub changes: Vec<Change>,
}

/// A boxed iteration over a log.
pub type Iter<'a, T, E> = Box<dyn Iterator<Item = Result<T, E>> + 'a>;

/// What a backend gives of its change log.
pub trait LogSource {
    type Error;
    /// Every audit line, newest first.
    fn audit_newest_first(&self) -> Iter<'_, AuditEntry, Self::Error>;
    /// One audit line.
    fn audit_entry(&self, seq: u64) -> Result<Option<AuditEntry>, Self::Error>;
    /// Every logged command in order (commands too large to log are not).
    fn logged(&self) -> Iter<'_, Logged, Self::Error>;
    /// The logged commands after `seq`, oldest first.
    fn logged_after(&self, seq: u64) -> Iter<'_, Logged, Self::Error>;
    /// The logged commands before `seq`, newest first.
    fn logged_before(&self, seq: u64) -> Iter<'_, Logged, Self::Error>;
    /// The changes of command `seq`, if the log kept them.
    fn changes_of(&self, seq: u64) -> Result<Option<Vec<Change>>, Self::Error>;
}

/// Why the last command cannot be found or undone.
#[derive(Debug)]
pub enum UndoError<E> {
    Log(E),
    /// The command was too large for the change log (an import).
    NotLogged {
        seq: u64,
        summary: String,
    },
}

impl<E> From<E> for UndoError<E> {
    fn from(e: E) -> Self {
        UndoError::Log(e)
    }
}

/// Every logged command that changed `client`'s records, oldest first,
/// with its audit line: one pass over the log.
pub fn history_of<L: LogSource>(log: &L, model: &Model, client: ClientId) -> Result<Vec<HistoryEntry>, L::Error> {
    let concerns = |c: &Change| {
        model.client_of(c) == Some(client)
            || matches!(c, Change::Settlement { old: Some(old), .. } if old.client == client)
    };
    let mut entries = Vec::new();
    for logged in log.logged() {
        let logged = logged?;
        let changes: Vec<Change> = logged.changes.into_iter().filter(|c| concerns(c)).collect();
        if changes.is_empty() {
            continue;
        }
        let (who, at, summary) = match log.audit_entry(logged.seq)? {
            Some(a) => (a.who, a.at, a.summary),
            None => (String::new(), NaiveDateTime::default(), String::new()),
        };
        entries.push(HistoryEntry {
            seq: logged.seq,
            who,
            at,
            summary,
            changes,
        });
    }
    Ok(entries)
}

/// `who`'s last command not undone yet (by `rapport undo`, whose commands
/// are labelled `undo #N`), as the event it was and the records it
/// replaced, read back from the change log.
pub fn last_undoable<L: LogSource>(
    log: &L,
    model: &Model,
    who: &str,
) -> Result<Option<(Event, Prior)>, UndoError<L::Error>> {
    let mut undone = BTreeSet::new();
    // This user's later commands that cancel out: undone ones and their
    // undos. A record they last touched is as the target left it.
    let mut cancelled = BTreeSet::new();
    let mut target = None;
    for entry in log.audit_newest_first() {
        let entry = entry?;
        if entry.who != who {
            continue;
        }
        if let Some(seq) = undone_seq(&entry.summary) {
            undone.insert(seq);
            cancelled.insert(seq);
            cancelled.insert(entry.seq);
            continue;
        }
        if !undone.contains(&entry.seq) {
            target = Some(entry);
            break;
        }
    }
    let Some(audit) = target else { return Ok(None) };
    let Some(mut changes) = log.changes_of(audit.seq)? else {
        return Err(UndoError::NotLogged {
            seq: audit.seq,
            summary: audit.summary,
        });
    };
    let prior = prior_in_log(log, model, audit.seq, &changes)?;
    skip_cancelled(log, audit.seq, &cancelled, &mut changes)?;
    Ok(Some((Event::of(audit, changes), prior)))
}

/// A record of `changes` that only cancelled-out commands touched after
/// command `seq` (an undo and what it undid) is as `seq` left it: its
/// version becomes the latest, so that undoing step after step is not
/// refused as stale. Anyone else's later change still refuses it.
fn skip_cancelled<L: LogSource>(
    log: &L,
    seq: u64,
    cancelled: &BTreeSet<u64>,
    changes: &mut [Change],
) -> Result<(), L::Error> {
    let keys: Vec<Option<String>> = changes.iter().map(record_key).collect();
    // Per record: the last cancelled command's seq and client version.
    let mut latest: BTreeMap<String, Option<(u64, u64)>> = BTreeMap::new();
    for logged in log.logged_after(seq) {
        let logged = logged?;
        for change in &logged.changes {
            let Some(k) = record_key(change) else { continue };
            if !keys.contains(&Some(k.clone())) {
                continue;
            }
            let version = match change {
                Change::Client(c) => c.version,
                Change::Offer(o) => o.version,
                _ => 0,
            };
            let entry = latest.entry(k).or_insert(Some((logged.seq, version)));
            *entry = match entry {
                Some(_) if cancelled.contains(&logged.seq) => Some((logged.seq, version)),
                _ => None,
            };
        }
    }
    for (change, key) in changes.iter_mut().zip(keys) {
        if let Some(Some((seq, version))) = key.and_then(|k| latest.get(&k).copied()) {
            set_seq(change, seq);
            match change {
                Change::Client(c) => c.version = version,
                Change::Offer(o) => o.version = version,
                _ => {}
            }
        }
    }
    Ok(())
}

/// The records `changes` (of command `seq`) replaced: each one's latest
/// version before `seq` in the change log.
fn prior_in_log<L: LogSource>(log: &L, model: &Model, seq: u64, changes: &[Change]) -> Result<Prior, L::Error> {
    let mut prior = Prior::default();
    for change in changes {
        // Only the records an inverse rewrites from their older version.
        let wanted = matches!(
            change,
            Change::Client(_)
                | Change::Person(_)
                | Change::Task(_)
                | Change::Survey(_)
                | Change::Mark { .. }
                | Change::Sales {
                    key: SalesKey::Acquisition(_),
                    ..
                }
        );
        let Some(key) = record_key(change).filter(|_| wanted) else {
            continue;
        };
        let before = find_before(log.logged_before(seq), |x| {
            (record_key(x).as_ref() == Some(&key)).then(|| x.clone())
        })?;
        match (change, before) {
            (Change::Client(_), Some(Change::Client(p))) => prior.clients.push(p),
            (Change::Person(_), Some(Change::Person(p))) => prior.persons.push(p),
            (Change::Task(_), Some(Change::Task(p))) => prior.tasks.push(p),
            (Change::Survey(_), Some(Change::Survey(p))) => prior.surveys.push(p),
            (
                Change::Sales {
                    key: SalesKey::Acquisition(c),
                    ..
                },
                before,
            ) => {
                let source = match before {
                    Some(Change::Sales {
                        record: Some(SalesRecord::Acquisition(a)),
                        ..
                    }) => a.source,
                    _ => String::new(),
                };
                prior.sources.push((Some(*c), model.client_label(*c), source));
            }
            (Change::Mark { key, .. }, before) => {
                let mark = match before {
                    Some(Change::Mark { mark, .. }) => mark,
                    _ => None,
                };
                prior.marks.push((key.clone(), mark));
            }
            _ => {}
        }
    }
    Ok(prior)
}

/// `N` of an `undo #N` command's summary.
fn undone_seq(summary: &str) -> Option<u64> {
    let rest = summary.strip_prefix("undo #")?;
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// The first of `logs` (newest first) with a change `pick` takes.
fn find_before<T, E>(
    logs: impl Iterator<Item = Result<Logged, E>>,
    pick: impl Fn(&Change) -> Option<T>,
) -> Result<Option<T>, E> {
    for logged in logs {
        if let Some(found) = logged?.changes.iter().rev().find_map(&pick) {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The record a change writes, as a key (`None`: not one an undo checks).
fn record_key(change: &Change) -> Option<String> {
    Some(match change {
        Change::Client(c) => format!("client {}", c.id),
        Change::Person(p) => format!("person {} {}", p.client, p.id),
        Change::Task(t) => format!("task {}", t.id),
        Change::Survey(s) => format!("survey {}", s.id),
        Change::Mark { key, .. } => format!("mark {key}"),
        Change::Settlement { old, new } => format!("settlement {}", new.as_ref().or(old.as_ref())?.id),
        Change::Contact(c) => format!("contact {}", c.id),
        Change::ContactRewritten { old, .. } => format!("contact {}", old.id),
        Change::Sales { key, .. } => format!("sales {key:?}"),
        Change::Offer(o) | Change::OfferRemoved(o) => format!("offer {} {}", o.client, o.product),
        _ => return None,
    })
}

/// Sets the version (`seq`) a change's record carries.
fn set_seq(change: &mut Change, seq: u64) {
    match change {
        Change::Client(c) => c.seq = seq,
        Change::Person(p) => p.seq = seq,
        Change::Task(t) => t.seq = seq,
        Change::Survey(s) => s.seq = seq,
        Change::Mark { mark: Some(m), .. } => m.seq = seq,
        Change::Settlement { new: Some(n), .. } => n.seq = seq,
        Change::Contact(c) => c.seq = seq,
        Change::ContactRewritten { new: Some(n), .. } => n.seq = seq,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undo_summaries_name_their_command() {
        assert_eq!(undone_seq("undo #12: log call"), Some(12));
        assert_eq!(undone_seq("undo #7"), Some(7));
        assert_eq!(undone_seq("log call"), None);
        assert_eq!(undone_seq("undo #x"), None);
    }
}
