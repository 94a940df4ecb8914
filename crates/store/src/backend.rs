//! The sled store as a `Backend`: what the front ends see of it. Its own
//! error type stays here; above, a sled failure is a message that says
//! what to do.

use std::io::Write;

use chrono::{NaiveDate, NaiveDateTime};
use rapport_core::backend::{Backend, BackendError, BackupSummary, HistoryEntry, VerifyReport};
use rapport_core::kpi::{self, GroupBy, Period, Table};

use super::{ChangeLog, Store, StoreError, T};
use crate::backup::BackupError;
use crate::domain::{ClientId, ContactEntry, Settlement};
use crate::model::{Change, Model};
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

    /// The day's automatic backup in the database's backup folder, if
    /// there is none yet (the oldest past `DAILY_BACKUPS_KEPT` go).
    pub fn keep_daily_backup(&self, today: NaiveDate) -> Result<(), BackupError> {
        if let Some(dir) = crate::paths::backup_dir(self.path()) {
            self.daily_backup(&dir, today, DAILY_BACKUPS_KEPT)?;
        }
        Ok(())
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
            if !visit(self.model(), s?) {
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
