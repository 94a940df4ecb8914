//! What a server serves: the sled store it opened (only one process may),
//! or its connection to a PostgreSQL database that other servers and
//! direct sessions share. With PostgreSQL the server is its host's cache:
//! it holds the one model its sessions join from, applies their commands
//! through the database's one order, and relays the events other
//! processes commit.

use std::path::PathBuf;

use chrono::NaiveDateTime;

use crate::model::Model;
use crate::store::Store;
use crate::write::{Command, Event};
use rapport_core::backend::{Backend, BackendError};
use rapport_pg::PgStore;

/// Which database `rapport serve` serves.
#[derive(Clone, Debug)]
pub enum Database {
    Sled(PathBuf),
    /// A libpq URL or key=value string.
    Postgres(String),
}

impl Database {
    /// How the log names it (a PostgreSQL string without its password).
    pub fn describe(&self) -> String {
        match self {
            Database::Sled(path) => path.display().to_string(),
            Database::Postgres(url) => match rapport_pg::config(url) {
                Ok(c) => format!(
                    "PostgreSQL database {} as {}",
                    c.get_dbname().unwrap_or("(default)"),
                    c.get_user().unwrap_or("(login)")
                ),
                Err(_) => "a PostgreSQL database".into(),
            },
        }
    }
}

// One per server: the size of the sled variant does not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Data {
    Sled(Store),
    Postgres(Box<PgStore>),
}

impl Data {
    pub(crate) fn model(&self) -> &Model {
        match self {
            Data::Sled(s) => s.model(),
            Data::Postgres(p) => p.model(),
        }
    }

    pub(crate) fn backend(&mut self) -> &mut dyn Backend {
        match self {
            Data::Sled(s) => s,
            Data::Postgres(p) => p.as_mut(),
        }
    }

    pub(crate) fn created(&self) -> NaiveDateTime {
        match self {
            Data::Sled(s) => s.created(),
            Data::Postgres(p) => p.created(),
        }
    }

    /// Whether the model may be sent: a sled store closed after a failed
    /// write (until it reopens) may hold that write in its model.
    pub(crate) fn available(&self) -> Result<(), String> {
        match self {
            Data::Sled(s) => s.available().map_err(|e| e.to_string()),
            Data::Postgres(_) => Ok(()),
        }
    }

    /// `model` (this database's, or a manager's share) as snapshot bytes.
    pub(crate) fn encode_snapshot_of(&self, model: &Model) -> Result<Vec<u8>, String> {
        crate::store::codec::encode_snapshot(&crate::store::codec::SnapshotRef {
            created: self.created(),
            seq: model.counters.seq,
            model,
        })
        .map_err(|e| e.to_string())
    }

    /// Manager `m`'s share of this database's model as snapshot bytes.
    pub(crate) fn encode_share(&self, m: crate::domain::ManagerId) -> Result<Vec<u8>, String> {
        self.available()?;
        crate::store::codec::encode_share(self.created(), self.model(), m).map_err(|e| e.to_string())
    }

    /// Applies a session's command, recorded under its login.
    pub(crate) fn execute(&mut self, login: &str, command: Command) -> Result<Event, BackendError> {
        match self {
            Data::Sled(s) => s.execute(login, command).map_err(|e| match e {
                crate::store::StoreError::Command(c) => BackendError::Command(c),
                e => BackendError::Storage(e.to_string()),
            }),
            Data::Postgres(p) => p
                .execute_as(login, chrono::Utc::now().naive_utc(), command)
                .map_err(BackendError::from),
        }
    }

    /// On PostgreSQL: applies the commands `waiting` gives once the
    /// database's write lock is held (each recorded under its login), in
    /// order and in one transaction, one answer each. `None` on sled, which
    /// applies commands one by one (`waiting` is not asked).
    pub(crate) fn execute_group(
        &mut self,
        waiting: &mut dyn FnMut() -> Vec<(String, Command)>,
    ) -> Option<Vec<Result<Event, BackendError>>> {
        let Data::Postgres(p) = self else {
            return None;
        };
        Some(
            p.execute_group(waiting)
                .into_iter()
                .map(|r| r.map_err(BackendError::from))
                .collect(),
        )
    }

    /// The last command of `login`'s that may be undone.
    pub(crate) fn last_undoable(
        &mut self,
        login: &str,
    ) -> Result<Option<(Event, rapport_core::write::undo::Prior)>, BackendError> {
        match self {
            Data::Sled(s) => Backend::last_undoable(s, login),
            Data::Postgres(p) => p.last_undoable_of(login),
        }
    }

    /// A consistent read for a backup, begun now (between two commands)
    /// and written after the lock is let go: commands go on meanwhile.
    pub(crate) fn backup_source(&mut self) -> Result<BackupSource, String> {
        match self {
            Data::Sled(s) => s.begin_backup().map(BackupSource::Sled).map_err(|e| e.to_string()),
            Data::Postgres(p) => p
                .second_connection()
                .map(BackupSource::Postgres)
                .map_err(|e| e.to_string()),
        }
    }

    /// What other processes committed that this one has applied and not
    /// yet sent on (`look`: ask the database for more first), whether the
    /// model was read again meanwhile (its sessions must join again), and
    /// whether a client changed hands among them.
    pub(crate) fn arrived(&mut self, look: bool) -> (Vec<Event>, bool, bool) {
        match self {
            Data::Sled(_) => (Vec::new(), false, false),
            Data::Postgres(p) => {
                let events = if look {
                    Backend::poll_events(p.as_mut())
                } else {
                    p.take_arrived()
                };
                (events, Backend::poll_replaced(p.as_mut()), p.take_moved())
            }
        }
    }
}

pub(crate) enum BackupSource {
    Sled(crate::store::backup::BackupView),
    Postgres(rapport_pg::BackupSource),
}

impl BackupSource {
    pub(crate) fn write(self, out: &mut dyn std::io::Write, taken: NaiveDateTime) -> Result<(), String> {
        match self {
            BackupSource::Sled(v) => v.write(out, taken).map(|_| ()).map_err(|e| e.to_string()),
            BackupSource::Postgres(c) => c.write(out, taken).map(|_| ()).map_err(|e| e.to_string()),
        }
    }
}
