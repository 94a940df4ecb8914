//! What every front end works on: one database session, whatever holds the
//! data (the sled store opened in this process, a server's copy over the
//! socket, later PostgreSQL). A new read is one method here and one per
//! implementation.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::domain::{ClientId, ContactEntry, ManagerId, Settlement};
use crate::kpi::{self, GroupBy, Period, Table};
use crate::model::{Change, Model};
use crate::write::{Command, CommandError, Event};

/// Why a call on a backend failed. Nothing was changed by a failed
/// `execute`; the texts are written for the user.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The rules refused the command (bad input: exit code 2).
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The server refused it for this user.
    #[error("not allowed: {0}")]
    Denied(String),
    /// The server could not be reached or could not do it.
    #[error("{0}")]
    Server(String),
    /// The storage failed (disk full, damaged file): the message says
    /// what to do.
    #[error("{0}")]
    Storage(String),
    /// Writing what was read to its destination failed (a backup's file).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Called from another thread when something arrived for the session (the
/// interface wakes its loop with it).
pub type Waker = Box<dyn Fn() + Send>;

/// What a backup wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BackupSummary {
    pub records: u64,
    pub seq: u64,
}

/// One command in a client's history (the audit trail of SPEC §2): who
/// made it, when, what it was, and the client's records it changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub seq: u64,
    pub who: String,
    pub at: NaiveDateTime,
    pub summary: String,
    pub changes: Vec<Change>,
}

/// `rapport verify`: every record read back and checked.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// Records read, by tree.
    pub records: BTreeMap<String, u64>,
    /// What is wrong, in the order found.
    pub problems: Vec<String>,
}

/// Problems listed past this are only counted (a badly damaged file).
const MAX_PROBLEMS: usize = 200;

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// Adds a problem; past `MAX_PROBLEMS` they are only counted.
    pub fn problem(&mut self, p: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        } else if self.problems.len() == MAX_PROBLEMS {
            self.problems.push("… more problems not listed".into());
        }
    }
}

/// `Backend::kpi_table` from the backend's reads: the settlements of the
/// few clients it needs and the period's contacts.
pub fn kpi_table_by_reads<B: Backend + ?Sized>(
    data: &mut B,
    period: Period,
    by: GroupBy,
) -> Result<Table, BackendError> {
    let mut fetched = BTreeMap::new();
    for client in kpi::clients_to_fetch(data.model(), period) {
        fetched.insert(client, data.settlements_of(client)?);
    }
    let contacts = data.contacts_between(period.from, period.to)?;
    let sales = kpi::sales(data.model(), period, |c| {
        Ok::<_, BackendError>(fetched.remove(&c).unwrap_or_default())
    })?;
    Ok(kpi::table(data.model(), period, by, &sales, &contacts))
}

/// One session on a database. The model is what the front ends read; the
/// log-like records (settlements, contacts) that the model does not hold
/// are read on demand.
pub trait Backend {
    fn model(&self) -> &Model;

    /// Applies `cmd` in one transaction, flushed before it returns. `who`
    /// is recorded by a store opened here; a server records the login it
    /// authenticated instead.
    fn execute(&mut self, who: &str, cmd: Command) -> Result<Event, BackendError>;

    /// `execute`, for a caller that does not read the event (an import from
    /// the command line): a store may let the command's changes go once they
    /// are encoded for the disk, instead of holding them while they are
    /// written (320 MB for two million settlements).
    fn execute_unread(&mut self, who: &str, cmd: Command) -> Result<(), BackendError> {
        self.execute(who, cmd).map(drop)
    }

    fn settlements_of(&mut self, client: ClientId) -> Result<Vec<Settlement>, BackendError>;
    /// What a read-only command line (`args`, as typed) prints, computed
    /// where the data is and written to `out`: `None` when that is here
    /// (then the caller computes it on `model()`).
    fn query(&mut self, _args: &[String], _colour: bool, _out: &mut dyn Write) -> Option<Result<(), BackendError>> {
        None
    }

    /// The client a ref names and its person by name (`find::named`): from
    /// the model here, from the server's for a session that holds none.
    fn named(
        &mut self,
        reference: &str,
        person: Option<&str>,
        product: Option<&str>,
    ) -> Result<crate::find::named::Named, BackendError> {
        crate::find::named::named(self.model(), reference, person, product, None)
            .map_err(|e| CommandError::Invalid(e).into())
    }

    /// The queue item `id` names as of `as_of` and what to do instead when
    /// marking it done is not one command (`queue::due_item`): from the
    /// model here, from the server's for a session that holds none.
    fn due_item(&mut self, id: &str, as_of: NaiveDate) -> Result<(crate::queue::Item, Option<String>), BackendError> {
        crate::queue::due_item(self.model(), id, as_of).map_err(|e| CommandError::Invalid(e).into())
    }

    /// Makes the model hold the records `wanted` names: a session for one
    /// command on a server, which holds no model, receives that part of
    /// the server's (with the shared reference data) and reads it as the
    /// whole. Here the model is whole already.
    fn hold(&mut self, _wanted: &crate::find::named::Wanted) -> Result<(), BackendError> {
        Ok(())
    }

    /// Every settlement in key order, handed to `visit` one by one with
    /// the model (a store streams them; `visit` returns false to stop).
    fn each_settlement(&mut self, visit: &mut dyn FnMut(&Model, Settlement) -> bool) -> Result<(), BackendError>;

    fn contacts_of(&mut self, client: ClientId) -> Result<Vec<ContactEntry>, BackendError>;

    fn contacts_between(&mut self, from: NaiveDate, to: NaiveDate) -> Result<Vec<ContactEntry>, BackendError>;

    /// Every command that changed the client's records, oldest first.
    /// Commands too large for the change log (imports, the demo) are not
    /// in it.
    fn history_of(&mut self, client: ClientId) -> Result<Vec<HistoryEntry>, BackendError>;

    /// `who`'s last command that was not undone, and the records it
    /// replaced (for `rapport undo`). A server answers for the user it
    /// authenticated, whatever `who` says.
    fn last_undoable(
        &mut self,
        who: &str,
    ) -> Result<Option<(crate::write::Event, crate::write::undo::Prior)>, BackendError>;

    /// The logical backup of every record, as JSON lines.
    fn write_backup(&mut self, out: &mut dyn Write, taken: NaiveDateTime) -> Result<BackupSummary, BackendError>;

    /// Every record read back and checked, by whoever holds the database.
    fn verify(&mut self) -> Result<VerifyReport, BackendError>;

    /// The manager results of SPEC §7 for `period`, reading what the model
    /// does not hold: the contact log and the settlements of the few
    /// clients with several on one day.
    fn kpi_table(&mut self, period: Period, by: GroupBy) -> Result<Table, BackendError> {
        kpi_table_by_reads(self, period, by)
    }

    /// New clients, primary sales and conversion by acquisition source for
    /// `period` (SPEC §9), of one manager's clients or all.
    fn sources_table(&mut self, period: Period, manager: Option<ManagerId>) -> Result<kpi::Sources, BackendError> {
        let mut fetched = BTreeMap::new();
        for client in kpi::clients_to_fetch(self.model(), period) {
            fetched.insert(client, self.settlements_of(client)?);
        }
        let sales = kpi::sales(self.model(), period, |c| {
            Ok::<_, BackendError>(fetched.remove(&c).unwrap_or_default())
        })?;
        Ok(kpi::sources(self.model(), period, &sales, |c| {
            manager.is_none_or(|m| c.manager == Some(m))
        }))
    }

    /// Hooks that failed since last asked, each said once (a session runs
    /// the user's hooks; see `rapport_server::hooks`).
    fn hook_failures(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// Whether the data is held by a server (the session holds a copy).
    fn is_remote(&self) -> bool {
        false
    }

    /// Whether the session goes through a `rapport serve` (not to the
    /// database itself).
    fn through_server(&self) -> bool {
        false
    }

    /// Other sessions' events that arrived since the last call, already in
    /// the model, oldest first.
    fn poll_events(&mut self) -> Vec<Event> {
        Vec::new()
    }

    /// Why the connection to the data ended, once it has.
    fn connection_lost(&self) -> Option<String> {
        None
    }

    /// Lets the backend wake the caller's loop when events arrive.
    fn set_waker(&mut self, _waker: Waker) {}

    /// True once when the model was replaced by a newer one (everything
    /// derived from it is stale), e.g. after moving to a server.
    fn poll_replaced(&mut self) -> bool {
        false
    }

    /// Moves a session that opened the database itself to a server, when
    /// it was given the means to; false when there is nothing to do.
    fn hand_over(&mut self) -> Result<bool, BackendError> {
        Ok(false)
    }

    /// The session ends after changing data: keep what makes the next one
    /// start fast and take the day's automatic backup if there is none
    /// yet (a server does its own).
    fn close(&mut self, today: NaiveDate) -> Result<(), BackendError>;
}
