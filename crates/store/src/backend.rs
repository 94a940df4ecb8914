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
use crate::write::log::{self, LogSource, Logged};
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

/// The sled store's change log: the `audit` and `changes` trees.
impl LogSource for Store {
    type Error = StoreError;

    fn audit_newest_first(&self) -> log::Iter<'_, AuditEntry, StoreError> {
        self.scan_rev::<AuditEntry>(T::Audit)
    }

    fn audit_entry(&self, seq: u64) -> Result<Option<AuditEntry>, StoreError> {
        Store::audit_entry(self, seq)
    }

    fn logged(&self) -> log::Iter<'_, Logged, StoreError> {
        Box::new(
            self.scan::<ChangeLog>(T::Changes)
                .map(|l| l.map(ChangeLog::into_logged)),
        )
    }

    fn logged_after(&self, seq: u64) -> log::Iter<'_, Logged, StoreError> {
        let tree = match self.tree(T::Changes) {
            Ok(tree) => tree,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        Box::new(tree.range(super::keys::id64(seq.saturating_add(1))..).map(|item| {
            let (key, bytes) = item?;
            let log: ChangeLog = super::decode_at(T::Changes, &key, &bytes)?;
            Ok(log.into_logged())
        }))
    }

    fn logged_before(&self, seq: u64) -> log::Iter<'_, Logged, StoreError> {
        Box::new(
            self.scan_rev_below::<ChangeLog>(T::Changes, seq)
                .map(|l| l.map(ChangeLog::into_logged)),
        )
    }

    fn changes_of(&self, seq: u64) -> Result<Option<Vec<Change>>, StoreError> {
        Ok(self.change_log(seq)?.map(|l| l.changes))
    }
}

impl ChangeLog {
    fn into_logged(self) -> Logged {
        Logged {
            seq: self.seq,
            changes: self.changes,
        }
    }
}

impl Store {
    /// Every logged command that changed `client`'s records, oldest first.
    pub fn history_of(&self, client: ClientId) -> Result<Vec<HistoryEntry>, StoreError> {
        log::history_of(self, self.model(), client)
    }

    /// `who`'s last command not undone yet, with the records it replaced.
    pub fn last_undoable(&self, who: &str) -> Result<Option<(Event, Prior)>, StoreError> {
        log::last_undoable(self, self.model(), who).map_err(|e| match e {
            log::UndoError::Log(e) => e,
            log::UndoError::NotLogged { seq, summary } => StoreError::Unavailable {
                path: self.path().to_path_buf(),
                why: format!("command #{seq} ({summary}) is too large for the change log and cannot be undone"),
            },
        })
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

    fn execute_unread(&mut self, who: &str, cmd: Command) -> Result<(), BackendError> {
        Ok(Store::execute_unread(self, who, cmd)?)
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
