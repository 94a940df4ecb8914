//! What a query run on the server reads: the server's store, read only,
//! as the asker may see it — the whole book, or a manager's share when
//! managers see their own clients only (then the model is that share and
//! every read outside it is refused or left out).

use std::io::Write;

use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::{ClientId, ContactEntry, ManagerId, Settlement};
use crate::kpi::{GroupBy, Period, Table};
use crate::model::Model;
use crate::write::{Command, Event};
use rapport_core::backend::{Backend, BackendError, BackupSummary, HistoryEntry, VerifyReport};

pub(crate) struct Reading<'a> {
    store: &'a mut dyn Backend,
    /// The asker's share of the book, when they see only that.
    share: Option<(ManagerId, Model)>,
}

impl<'a> Reading<'a> {
    pub(crate) fn new(store: &'a mut dyn Backend, sees: Option<ManagerId>) -> Reading<'a> {
        let share = sees.map(|m| (m, store.model().only_of(m)));
        Reading { store, share }
    }

    fn mine(&self, client: ClientId) -> bool {
        sees_client(self.store.model(), self.share.as_ref().map(|(m, _)| *m), client)
    }

    fn allowed(&self, client: ClientId) -> Result<(), BackendError> {
        if self.mine(client) {
            Ok(())
        } else {
            Err(BackendError::Server(
                "not allowed: you may read your own clients only".into(),
            ))
        }
    }
}

/// Whether a user who sees `sees`'s clients (`None`: every client) may
/// read `client`, archived ones included.
pub(crate) fn sees_client(model: &Model, sees: Option<ManagerId>, client: ClientId) -> bool {
    let Some(m) = sees else { return true };
    let client = model
        .clients
        .get(&client)
        .or_else(|| model.trash.clients.get(&client).map(|t| &t.client));
    client.is_some_and(|c| c.manager == Some(m))
}

fn read_only() -> BackendError {
    BackendError::Server("a query reads; it changes nothing".into())
}

impl Backend for Reading<'_> {
    fn model(&self) -> &Model {
        match &self.share {
            Some((_, share)) => share,
            None => self.store.model(),
        }
    }

    fn execute(&mut self, _who: &str, _cmd: Command) -> Result<Event, BackendError> {
        Err(read_only())
    }

    fn settlements_of(&mut self, client: ClientId) -> Result<Vec<Settlement>, BackendError> {
        self.allowed(client)?;
        Backend::settlements_of(self.store, client)
    }

    fn each_settlement(&mut self, visit: &mut dyn FnMut(&Model, Settlement) -> bool) -> Result<(), BackendError> {
        match &self.share {
            None => Backend::each_settlement(self.store, visit),
            Some((_, share)) => Backend::each_settlement(self.store, &mut |_, s| {
                !share.clients.contains_key(&s.client) || visit(share, s)
            }),
        }
    }

    fn contacts_of(&mut self, client: ClientId) -> Result<Vec<ContactEntry>, BackendError> {
        self.allowed(client)?;
        Backend::contacts_of(self.store, client)
    }

    fn contacts_between(&mut self, from: NaiveDate, to: NaiveDate) -> Result<Vec<ContactEntry>, BackendError> {
        let all = Backend::contacts_between(self.store, from, to)?;
        Ok(all.into_iter().filter(|c| self.mine(c.client)).collect())
    }

    fn history_of(&mut self, client: ClientId) -> Result<Vec<HistoryEntry>, BackendError> {
        self.allowed(client)?;
        Backend::history_of(self.store, client)
    }

    fn last_undoable(&mut self, _who: &str) -> Result<Option<(Event, rapport_core::write::undo::Prior)>, BackendError> {
        Err(read_only())
    }

    fn write_backup(&mut self, _out: &mut dyn Write, _taken: NaiveDateTime) -> Result<BackupSummary, BackendError> {
        Err(read_only())
    }

    fn verify(&mut self) -> Result<VerifyReport, BackendError> {
        Err(read_only())
    }

    /// The store reads the whole book's faster; a share is read as any
    /// backend's.
    fn kpi_table(&mut self, period: Period, by: GroupBy) -> Result<Table, BackendError> {
        match self.share {
            None => Backend::kpi_table(self.store, period, by),
            Some(_) => rapport_core::backend::kpi_table_by_reads(self, period, by),
        }
    }

    fn close(&mut self, _today: NaiveDate) -> Result<(), BackendError> {
        Ok(())
    }
}
