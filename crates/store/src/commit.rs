//! The write path: a command planned against the model (`write::stage`),
//! its records encoded for the disk, then written — its many new
//! settlements first (`staging`), everything else in one sled transaction
//! — and flushed before it is reported done.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use crate::domain::*;
use crate::model::Change;
use crate::write::{Command, CommandError, Context, Event};
use crate::{
    AuditEntry, Bytes, CHANGE_LOG_MAX, ChangeLog, META_COUNTERS, META_SETTINGS, PortraitEntry, Store, StoreError, T,
    TREE_NAMES, backup, codec, keys, scan_prefix, space, staging,
};

/// A command's records encoded for the disk, not yet written.
struct Encoded {
    /// One batch per tree.
    batches: Vec<sled::Batch>,
    /// Its new settlements, when there are many (`staging`).
    staged: staging::Staged,
    /// The keys written, when a backup in progress must see them as they
    /// were.
    touched: Option<Vec<(T, Vec<u8>)>>,
    bytes_written: u64,
}

impl Store {
    /// Applies `cmd` on behalf of `who`, stamped with the current UTC time.
    pub fn execute(&mut self, who: &str, cmd: Command) -> Result<Event, StoreError> {
        self.execute_at(who, chrono::Utc::now().naive_utc(), cmd)
    }

    /// Validates `cmd`, writes its records, aggregates, counters and audit
    /// line in one transaction, flushes, and only then updates the model
    /// for good and returns the event. On any error nothing is written and
    /// the model is as before.
    pub fn execute_at(&mut self, who: &str, at: NaiveDateTime, cmd: Command) -> Result<Event, StoreError> {
        self.execute_keeping(who, at, cmd, true)
    }

    /// `execute`, for a caller that does not read the event: the changes are
    /// let go once encoded for the disk (an import of two million rows held
    /// 320 MB of them while sled wrote).
    pub fn execute_unread(&mut self, who: &str, cmd: Command) -> Result<(), StoreError> {
        self.execute_keeping(who, chrono::Utc::now().naive_utc(), cmd, false)
            .map(drop)
    }

    /// `execute_at`; the event has no changes unless `keep`.
    fn execute_keeping(&mut self, who: &str, at: NaiveDateTime, cmd: Command, keep: bool) -> Result<Event, StoreError> {
        if self.handle.is_none() {
            self.reopen()?;
        }
        let seq = self.model.counters.seq + 1;
        let last_settlement = self.model.counters.settlement;
        let summary = cmd.describe(&self.model);
        // An import's batch makes about one change per command: its list is
        // sized once instead of doubling (which held the old list and the new,
        // twice as large, at once: 450 MB for two million settlements).
        let mut changes = Vec::with_capacity(match &cmd {
            Command::Batch { commands, .. } => commands.len(),
            _ => 1,
        });
        // Planned: an import's commands (hundreds of megabytes for millions
        // of rows) are let go as they are planned, before its changes are
        // written.
        if let Err(e) = self.stage(who, seq, cmd, &mut changes) {
            if !changes.is_empty() {
                self.reload()?;
            }
            return Err(e.into());
        }
        self.model.counters.seq = seq;
        let audit = AuditEntry {
            seq,
            who: who.to_string(),
            at,
            summary,
        };
        let written = self.encode(&changes, &audit, last_settlement).and_then(|encoded| {
            if !keep {
                changes = Vec::new();
            }
            self.write(encoded)
        });
        if let Err(e) = written {
            if matches!(e, StoreError::DiskFull { .. }) {
                // Refused before sled was touched: only the model changed.
                self.reload()?;
                return Err(e);
            }
            // sled failed while writing: what it holds in memory may
            // include this command. Only the disk is the truth: reopen.
            self.reopen()?;
            if self.model.counters.seq != seq {
                return Err(e);
            }
            // The whole command reached the disk after all (sled writes a
            // transaction whole or not at all).
        }
        Ok(Event::of(audit, changes))
    }

    /// Plans the command against the model (`write::stage`), reading
    /// what the planner asks for from the trees.
    fn stage(&mut self, who: &str, seq: u64, cmd: Command, changes: &mut Vec<Change>) -> Result<(), CommandError> {
        let settlements = self
            .handle
            .as_ref()
            .and_then(|h| h.trees.get(T::Settlements as usize))
            .ok_or_else(|| CommandError::Invalid("the database is closed".into()))?;
        let lookup = |client: ClientId, id: SettlementId| -> Result<Option<Settlement>, String> {
            let key = keys::pair32_64(client.0, id.0);
            match settlements.get(key) {
                Ok(Some(bytes)) => codec::decode(&bytes).map(Some).map_err(|e| e.to_string()),
                Ok(None) => Ok(None),
                Err(e) => Err(format!("database error: {e}")),
            }
        };
        let contacts_tree = self
            .handle
            .as_ref()
            .and_then(|h| h.trees.get(T::Contacts as usize))
            .ok_or_else(|| CommandError::Invalid("the database is closed".into()))?;
        let contacts = |client: ClientId| -> Result<Vec<ContactEntry>, String> {
            scan_prefix::<ContactEntry>(contacts_tree, T::Contacts, &keys::id32(client.0))
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())
        };
        let settled = |client: ClientId| -> Result<Vec<Settlement>, String> {
            scan_prefix::<Settlement>(settlements, T::Settlements, &keys::id32(client.0))
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())
        };
        let ctx = Context {
            who,
            seq,
            settlement: &lookup,
            contacts: &contacts,
            settlements: &settled,
        };
        crate::write::stage_owned(cmd, &mut self.model, &ctx, changes)
    }

    /// Encodes a command's records for the disk (`write`);
    /// `last_settlement`: the settlement counter before the command (the
    /// ids beyond it are new).
    fn encode(&self, changes: &[Change], audit: &AuditEntry, last_settlement: u64) -> Result<Encoded, StoreError> {
        // One batch per tree, written in the order of the changes: a later
        // write to a key replaces an earlier one (sled batches keep the
        // last), so an edited settlement's remove-then-insert leaves the
        // insert, and a mark set then cleared in one import ends cleared —
        // as in the model, which applies the changes in the same order.
        let mut batches: Vec<sled::Batch> = TREE_NAMES.iter().map(|_| sled::Batch::default()).collect();
        let mut bytes_written = 0u64;
        // The keys a backup in progress must see as they were.
        let watched = !self.watchers.live().is_empty();
        let mut touched: Vec<(T, Vec<u8>)> = Vec::new();
        // A command with many new settlements writes them first (`staging`).
        let is_new =
            |c: &Change| matches!(c, Change::Settlement { old: None, new: Some(n) } if n.id.0 > last_settlement);
        let stage = changes.iter().filter(|c| is_new(c)).count() >= staging::stage_from();
        let mut staged = staging::Staged::default();
        let mut put = |t: T, key: &[u8], bytes: Option<Vec<u8>>| {
            bytes_written += (key.len() + bytes.as_ref().map_or(0, Vec::len)) as u64;
            if watched && backup::dumped(t) {
                touched.push((t, key.to_vec()));
            }
            match bytes {
                Some(b) => batches[t as usize].insert(key, b),
                None => batches[t as usize].remove(key),
            }
        };
        let mut dirty_aggregates = BTreeSet::new();
        for change in changes {
            match change {
                Change::Settings(s) => put(T::Meta, META_SETTINGS, Some(codec::encode(s)?)),
                Change::Manager(m) => put(T::Managers, &keys::id32(m.id.0), Some(codec::encode(m)?)),
                Change::Segment(s) => put(T::Segments, &keys::id32(s.id.0), Some(codec::encode(s)?)),
                Change::Product(p) => put(T::Products, &keys::id32(p.id.0), Some(codec::encode(p)?)),
                Change::Portrait {
                    segment,
                    product,
                    target,
                } => {
                    let key = keys::pair32(segment.0, product.0);
                    if *target {
                        let entry = PortraitEntry {
                            segment: *segment,
                            product: *product,
                            seq: audit.seq,
                        };
                        put(T::Portrait, &key, Some(codec::encode(&entry)?));
                    } else {
                        put(T::Portrait, &key, None);
                    }
                }
                Change::Client(c) => {
                    put(T::Clients, &keys::id32(c.id.0), Some(codec::encode(c)?));
                    dirty_aggregates.insert(c.id);
                }
                Change::Person(p) => put(
                    T::Persons,
                    &keys::pair32_64(p.client.0, p.id.0),
                    Some(codec::encode(p)?),
                ),
                Change::Settlement {
                    old: None,
                    new: Some(new),
                } if stage && new.id.0 > last_settlement => {
                    staged.push(keys::pair32_64(new.client.0, new.id.0), &codec::encode(new)?);
                    dirty_aggregates.insert(new.client);
                }
                Change::Settlement { old, new } => {
                    if let Some(old) = old {
                        put(T::Settlements, &keys::pair32_64(old.client.0, old.id.0), None);
                        dirty_aggregates.insert(old.client);
                    }
                    if let Some(new) = new {
                        put(
                            T::Settlements,
                            &keys::pair32_64(new.client.0, new.id.0),
                            Some(codec::encode(new)?),
                        );
                        dirty_aggregates.insert(new.client);
                    }
                }
                Change::Offer(o) => put(
                    T::Offers,
                    &keys::pair32(o.client.0, o.product.0),
                    Some(codec::encode(o)?),
                ),
                Change::Contact(c) => {
                    put(
                        T::Contacts,
                        &keys::pair32_64(c.client.0, c.id.0),
                        Some(codec::encode(c)?),
                    );
                    dirty_aggregates.insert(c.client);
                }
                Change::Task(t) => put(T::Tasks, &keys::pair32_64(t.client.0, t.id.0), Some(codec::encode(t)?)),
                Change::Survey(s) => put(
                    T::Surveys,
                    &keys::pair32_64(s.client.0, s.id.0),
                    Some(codec::encode(s)?),
                ),
                Change::Ticket(t) => put(T::Tickets, &keys::id64(t.id.0), Some(codec::encode(&**t)?)),
                Change::Questionnaire(q) => put(T::Questionnaires, &keys::id32(q.product.0), Some(codec::encode(q)?)),
                Change::Mark { key, mark } => match mark {
                    Some(m) => put(T::Marks, key.as_bytes(), Some(codec::encode(m)?)),
                    None => put(T::Marks, key.as_bytes(), None),
                },
                Change::Archive { key, archival } => match archival {
                    Some(a) => put(T::Archive, &keys::archived(*key), Some(codec::encode(a)?)),
                    None => put(T::Archive, &keys::archived(*key), None),
                },
                Change::Purge { key, tickets, marks } => match *key {
                    Archivable::Client(c) => {
                        let prefix = keys::id32(c.0);
                        for t in [
                            T::Clients,
                            T::Persons,
                            T::Settlements,
                            T::Aggregates,
                            T::Offers,
                            T::Contacts,
                            T::Tasks,
                            T::Surveys,
                            T::Archive,
                        ] {
                            for item in self.tree(t)?.scan_prefix(prefix) {
                                put(t, &item?.0, None);
                            }
                        }
                        for t in tickets {
                            put(T::Tickets, &keys::id64(t.0), None);
                        }
                        for m in marks {
                            put(T::Marks, m.as_bytes(), None);
                        }
                    }
                    Archivable::Person(c, p) => {
                        put(T::Persons, &keys::pair32_64(c.0, p.0), None);
                        put(T::Archive, &keys::archived(*key), None);
                    }
                },
                Change::ContactRewritten { old, new, .. } => {
                    let key = keys::pair32_64(old.client.0, old.id.0);
                    match new {
                        Some(n) => put(T::Contacts, &key, Some(codec::encode(&**n)?)),
                        None => put(T::Contacts, &key, None),
                    }
                    dirty_aggregates.insert(old.client);
                }
                Change::TaskRemoved(t) => put(T::Tasks, &keys::pair32_64(t.client.0, t.id.0), None),
                Change::Template(t) => put(T::Templates, &[t.kind as u8], Some(codec::encode(t)?)),
                Change::SurveyRemoved(s) => put(T::Surveys, &keys::pair32_64(s.client.0, s.id.0), None),
                Change::Sales { key, record } => match record {
                    Some(r) => put(T::Sales, &keys::sales(*key), Some(codec::encode(r)?)),
                    None => put(T::Sales, &keys::sales(*key), None),
                },
                Change::PersonRemoved(p) => put(T::Persons, &keys::pair32_64(p.client.0, p.id.0), None),
                Change::OfferRemoved(o) => put(T::Offers, &keys::pair32(o.client.0, o.product.0), None),
                // Kept in the change log only (for the merge's undo).
                Change::Merge(_) | Change::OfferWas { .. } => {}
            }
        }
        for client in dirty_aggregates {
            // An archived client's aggregate waits with it in the trash (a
            // merge empties the duplicate's, then archives it).
            let trashed = || self.model.trash.clients.get(&client).map(|t| &t.aggregate);
            if let Some(agg) = self.model.aggregates.get(&client).or_else(trashed) {
                put(T::Aggregates, &keys::id32(client.0), Some(codec::encode(agg)?));
            }
        }
        put(T::Meta, META_COUNTERS, Some(codec::encode(&self.model.counters)?));
        put(T::Audit, &keys::id64(audit.seq), Some(codec::encode(audit)?));
        if changes.len() <= CHANGE_LOG_MAX {
            let log = ChangeLog {
                seq: audit.seq,
                changes: changes.to_vec(),
            };
            put(T::Changes, &keys::id64(audit.seq), Some(codec::encode(&log)?));
        }
        Ok(Encoded {
            batches,
            staged,
            touched: watched.then_some(touched),
            bytes_written,
        })
    }

    /// Writes what `encode` made: the staged settlements, then every other
    /// record in one transaction; flushed.
    fn write(&self, encoded: Encoded) -> Result<(), StoreError> {
        let Encoded {
            mut batches,
            staged,
            touched,
            bytes_written,
        } = encoded;
        self.check_room(bytes_written + staged.size() as u64)?;
        if let Some(touched) = touched {
            let keys: Vec<(T, &[u8])> = touched
                .iter()
                .map(|(t, k)| (*t, k.as_slice()))
                .chain(staged.iter().map(|(k, _)| (T::Settlements, k)))
                .collect();
            self.keep_before(&keys)?;
        }
        let handle = self.handle()?;
        if let Some(from_id) = staged.first_id() {
            staging::write(&handle.db, &handle.trees, from_id, staged)?;
            batches[T::Meta as usize].remove(staging::MARKER);
        }
        let result: Result<(), TransactionError<()>> = handle.trees.as_slice().transaction(|tx| {
            for (i, batch) in batches.iter().enumerate() {
                tx[i].apply_batch(batch)?;
            }
            Ok::<(), ConflictableTransactionError<()>>(())
        });
        match result {
            Ok(()) => {}
            Err(TransactionError::Storage(e)) => return Err(e.into()),
            Err(TransactionError::Abort(())) => {
                return Err(StoreError::Sled(sled::Error::Unsupported("transaction aborted".into())));
            }
        }
        handle.db.flush()?;
        Ok(())
    }

    /// Refuses a write of `bytes` that the disk has no room for (twice the
    /// bytes and some slack), before sled is touched: sled does not survive
    /// running out of space in the middle of a write.
    fn check_room(&self, bytes: u64) -> Result<(), StoreError> {
        if std::env::var_os("RAPPORT_TEST_SKIP_SPACE_CHECK").is_some() {
            return Ok(());
        }
        let need = bytes.saturating_mul(2).saturating_add(space::SLACK);
        // Unknown free space (statvfs failed) does not block a write.
        let free = space::free_bytes(&self.path).unwrap_or(u64::MAX);
        if free < need {
            return Err(StoreError::DiskFull {
                path: self.path.clone(),
                free: Bytes(free),
                need: Bytes(need),
            });
        }
        Ok(())
    }
}
