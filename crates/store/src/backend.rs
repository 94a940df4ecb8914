//! The sled store as a `Backend`: what the front ends see of it. Its own
//! error type stays here; above, a sled failure is a message that says
//! what to do.

use std::io::Write;

use chrono::{NaiveDate, NaiveDateTime};
use rapport_core::backend::{Backend, BackendError, BackupSummary, HistoryEntry, VerifyReport};
use rapport_core::kpi::{self, GroupBy, Period, Table};

use super::{ChangeLog, Store, StoreError, T};
use crate::backup::BackupError;
use crate::domain::{AuditEntry, ClientId, ContactEntry, Settlement};
use crate::model::{Change, Model};
use crate::write::undo::Prior;
use crate::write::{Command, Event};

/// Daily automatic backups kept beside each database.
pub const DAILY_BACKUPS_KEPT: usize = 7;

impl From<StoreError> for BackendError {
    fn from(e: StoreError) -> BackendError {
        match e {
            StoreError::Command(c) => BackendError::Command(c),
            StoreError::Denied(why) => BackendError::Denied(why),
            StoreError::Server(why) => BackendError::Server(why),
            other => BackendError::Storage(other.to_string()),
        }
    }
}

impl From<BackupError> for BackendError {
    fn from(e: BackupError) -> BackendError {
        match e {
            BackupError::Store(e) => e.into(),
            BackupError::Backend(e) => e,
            BackupError::Io(_, e) => BackendError::Io(e),
            other => BackendError::Storage(other.to_string()),
        }
    }
}

impl Store {
    /// Every logged command that changed `client`'s records, oldest first,
    /// with its audit line: one scan of the change log.
    pub fn history_of(&self, client: ClientId) -> Result<Vec<HistoryEntry>, StoreError> {
        let model = self.model();
        let concerns = |c: &Change| {
            model.client_of(c) == Some(client)
                || matches!(c, Change::Settlement { old: Some(old), .. } if old.client == client)
        };
        let mut entries = Vec::new();
        for log in self.scan::<ChangeLog>(T::Changes) {
            let log = log?;
            let changes: Vec<Change> = log.changes.into_iter().filter(|c| concerns(c)).collect();
            if changes.is_empty() {
                continue;
            }
            let (who, at, summary) = match self.audit_entry(log.seq)? {
                Some(a) => (a.who, a.at, a.summary),
                None => (String::new(), NaiveDateTime::default(), String::new()),
            };
            entries.push(HistoryEntry {
                seq: log.seq,
                who,
                at,
                summary,
                changes,
            });
        }
        Ok(entries)
    }

    /// `who`'s last command not undone yet (by `rapport undo`, whose
    /// commands are labelled `undo #N`), as the event it was and the records
    /// it replaced, read back from the change log.
    pub fn last_undoable(&self, who: &str) -> Result<Option<(Event, Prior)>, StoreError> {
        let mut undone = std::collections::BTreeSet::new();
        // This user's later commands that cancel out: undone ones and their
        // undos. A record they last touched is as the target left it.
        let mut cancelled = std::collections::BTreeSet::new();
        let mut target = None;
        for entry in self.scan_rev::<AuditEntry>(T::Audit) {
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
        let Some(log) = self.change_log(audit.seq)? else {
            return Err(StoreError::Unavailable {
                path: self.path().to_path_buf(),
                why: format!(
                    "command #{} ({}) is too large for the change log and cannot be undone",
                    audit.seq, audit.summary
                ),
            });
        };
        let prior = self.prior_in_log(audit.seq, &log.changes)?;
        let mut changes = log.changes;
        self.skip_cancelled(audit.seq, &cancelled, &mut changes)?;
        Ok(Some((
            Event {
                seq: audit.seq,
                who: audit.who,
                at: audit.at,
                summary: audit.summary,
                changes,
            },
            prior,
        )))
    }

    /// A record of `changes` that only cancelled-out commands touched after
    /// command `seq` (an undo and what it undid) is as `seq` left it: its
    /// version becomes the latest, so that undoing step after step is not
    /// refused as stale. Anyone else's later change still refuses it.
    fn skip_cancelled(
        &self,
        seq: u64,
        cancelled: &std::collections::BTreeSet<u64>,
        changes: &mut [Change],
    ) -> Result<(), StoreError> {
        use std::collections::BTreeMap;
        let keys: Vec<Option<String>> = changes.iter().map(record_key).collect();
        // Per record: the last cancelled command's seq and client version.
        let mut latest: BTreeMap<String, Option<(u64, u64)>> = BTreeMap::new();
        for item in self.tree(T::Changes)?.range(super::keys::id64(seq + 1)..) {
            let (key, bytes) = item?;
            let log: ChangeLog = super::decode_at(T::Changes, &key, &bytes)?;
            for change in &log.changes {
                let Some(k) = record_key(change) else { continue };
                if !keys.contains(&Some(k.clone())) {
                    continue;
                }
                let version = match change {
                    Change::Client(c) => c.version,
                    Change::Offer(o) => o.version,
                    _ => 0,
                };
                let entry = latest.entry(k).or_insert(Some((log.seq, version)));
                *entry = match entry {
                    Some(_) if cancelled.contains(&log.seq) => Some((log.seq, version)),
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
    fn prior_in_log(&self, seq: u64, changes: &[Change]) -> Result<Prior, StoreError> {
        let mut prior = Prior::default();
        let earlier = || self.scan_rev_below::<ChangeLog>(T::Changes, seq);
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
                        key: crate::domain::SalesKey::Acquisition(_),
                        ..
                    }
            );
            let Some(key) = record_key(change).filter(|_| wanted) else {
                continue;
            };
            let before = find_before(earlier(), |x| (record_key(x).as_ref() == Some(&key)).then(|| x.clone()))?;
            match (change, before) {
                (Change::Client(_), Some(Change::Client(p))) => prior.clients.push(p),
                (Change::Person(_), Some(Change::Person(p))) => prior.persons.push(p),
                (Change::Task(_), Some(Change::Task(p))) => prior.tasks.push(p),
                (Change::Survey(_), Some(Change::Survey(p))) => prior.surveys.push(p),
                (
                    Change::Sales {
                        key: crate::domain::SalesKey::Acquisition(c),
                        ..
                    },
                    before,
                ) => {
                    let source = match before {
                        Some(Change::Sales {
                            record: Some(crate::domain::SalesRecord::Acquisition(a)),
                            ..
                        }) => a.source,
                        _ => String::new(),
                    };
                    prior.sources.push((Some(*c), self.model().client_label(*c), source));
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

    /// The day's automatic backup in the database's backup folder, if
    /// there is none yet (the oldest past `DAILY_BACKUPS_KEPT` go).
    pub fn keep_daily_backup(&self, today: NaiveDate) -> Result<(), BackupError> {
        if let Some(daily) = self.begin_keep_daily_backup(today)? {
            daily.take()?;
        }
        Ok(())
    }

    /// The same, as of now, to write with `DailyBackup::take` while
    /// commands go on (a server takes it on another thread as it serves).
    pub fn begin_keep_daily_backup(&self, today: NaiveDate) -> Result<Option<crate::backup::DailyBackup>, BackupError> {
        match crate::paths::backup_dir(self.path()) {
            Some(dir) => self.begin_daily_backup(&dir, today, DAILY_BACKUPS_KEPT),
            None => Ok(None),
        }
    }
}

impl Backend for Store {
    fn model(&self) -> &Model {
        Store::model(self)
    }

    fn execute(&mut self, who: &str, cmd: Command) -> Result<Event, BackendError> {
        Ok(Store::execute(self, who, cmd)?)
    }

    fn settlements_of(&mut self, client: ClientId) -> Result<Vec<Settlement>, BackendError> {
        Ok(Store::settlements_of(self, client)?)
    }

    fn each_settlement(&mut self, visit: &mut dyn FnMut(&Model, Settlement) -> bool) -> Result<(), BackendError> {
        for s in self.settlements() {
            let s = s?;
            // An archived client's settlements wait with it in the trash.
            if !self.model().clients.contains_key(&s.client) {
                continue;
            }
            if !visit(self.model(), s) {
                break;
            }
        }
        Ok(())
    }

    fn contacts_of(&mut self, client: ClientId) -> Result<Vec<ContactEntry>, BackendError> {
        Ok(Store::contacts_of(self, client)?)
    }

    fn contacts_between(&mut self, from: NaiveDate, to: NaiveDate) -> Result<Vec<ContactEntry>, BackendError> {
        Ok(Store::contacts_between(self, from, to)?)
    }

    fn history_of(&mut self, client: ClientId) -> Result<Vec<HistoryEntry>, BackendError> {
        Ok(Store::history_of(self, client)?)
    }

    fn last_undoable(&mut self, who: &str) -> Result<Option<(Event, Prior)>, BackendError> {
        Ok(Store::last_undoable(self, who)?)
    }

    fn write_backup(&mut self, out: &mut dyn Write, taken: NaiveDateTime) -> Result<BackupSummary, BackendError> {
        Ok(Store::write_backup(self, out, taken)?)
    }

    fn verify(&mut self) -> Result<VerifyReport, BackendError> {
        Ok(Store::verify(self))
    }

    /// The contact log and the settlements are read side by side.
    fn kpi_table(&mut self, period: Period, by: GroupBy) -> Result<Table, BackendError> {
        let store = &*self;
        let model = store.model();
        let (sales, contacts) = std::thread::scope(|s| {
            let contacts = s.spawn(|| store.contacts_between(period.from, period.to));
            let sales = kpi::sales(model, period, |client| store.settlements_of(client));
            let contacts = contacts.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            (sales, contacts)
        });
        Ok(kpi::table(model, period, by, &sales?, &contacts?))
    }

    fn close(&mut self, today: NaiveDate) -> Result<(), BackendError> {
        self.save_snapshot()?;
        self.keep_daily_backup(today)?;
        Ok(())
    }
}

/// `N` of an `undo #N` command's summary.
fn undone_seq(summary: &str) -> Option<u64> {
    let rest = summary.strip_prefix("undo #")?;
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// The first of `logs` (newest first) with a change `pick` takes.
fn find_before<T>(
    logs: impl Iterator<Item = Result<ChangeLog, StoreError>>,
    pick: impl Fn(&Change) -> Option<T>,
) -> Result<Option<T>, StoreError> {
    for log in logs {
        if let Some(found) = log?.changes.iter().rev().find_map(&pick) {
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
