//! PostgreSQL as a `Backend`: what the front ends see of it.

use std::io::Write;

use chrono::{NaiveDate, NaiveDateTime};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::Json;

use rapport_core::backend::{Backend, BackendError, BackupSummary, HistoryEntry, VerifyReport, Waker};
use rapport_core::domain::*;
use rapport_core::model::Model;
use rapport_core::write::log::{self, UndoError};
use rapport_core::write::undo::Prior;
use rapport_core::write::{Command, Event};
use rapport_store::backup::{BackupError, Header, Line, Writer, reader};

use crate::log::EventLog;
use crate::{PgError, PgStore, catchup, load};

impl From<PgError> for BackendError {
    fn from(e: PgError) -> BackendError {
        match e {
            PgError::Command(c) => BackendError::Command(c),
            PgError::Denied(why) => BackendError::Denied(why),
            other => BackendError::Storage(other.to_string()),
        }
    }
}

fn backup_err(e: BackupError) -> BackendError {
    match e {
        BackupError::Backend(e) => e,
        BackupError::Io(_, e) => BackendError::Io(e),
        other => BackendError::Storage(other.to_string()),
    }
}

/// How often a session whose database went away tries it again.
const RETRY_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// How a table's `record` becomes a backup line.
type ToLine = fn(serde_json::Value) -> Result<Line, serde_json::Error>;

impl PgStore {
    /// Other processes' events since the last call, applied to the model.
    pub(crate) fn catch_up_now(&mut self) -> Result<(), PgError> {
        self.client()?;
        let Self {
            client,
            model,
            arrived: seen,
            stale,
            ..
        } = self;
        let client = client.as_mut().ok_or_else(crate::lost)?;
        let mut tx = client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let mut arrived = Vec::new();
        let result = catchup::catch_up(&mut tx, model, &mut arrived);
        seen.extend(arrived);
        let mut found = match result {
            Ok(found) => found,
            Err(e) => {
                *stale = true;
                return Err(e);
            }
        };
        if found.hidden && !self.sees_all {
            found.moved |= catchup::share_shrank(&mut tx, model)?;
        }
        tx.commit()?;
        self.caught_up(found);
        Ok(())
    }

    /// Every record as backup lines, from one snapshot of the database.
    pub fn write_backup(&mut self, out: &mut dyn Write, taken: NaiveDateTime) -> Result<BackupSummary, BackendError> {
        write_backup(self.client()?, out, taken)
    }

    /// A connection of its own for a long read (a server's backup, written
    /// while its commands go on through the main one).
    pub fn second_connection(&self) -> Result<BackupSource, PgError> {
        Ok(BackupSource(crate::connect(&self.config)?))
    }
}

/// A connection that writes a backup (`PgStore::second_connection`).
pub struct BackupSource(postgres::Client);

impl BackupSource {
    pub fn write(mut self, out: &mut dyn Write, taken: NaiveDateTime) -> Result<BackupSummary, BackendError> {
        write_backup(&mut self.0, out, taken)
    }
}

/// Every record as backup lines, from one snapshot of the database.
fn write_backup(
    client: &mut postgres::Client,
    out: &mut dyn Write,
    taken: NaiveDateTime,
) -> Result<BackupSummary, BackendError> {
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(PgError::from)?;
    let counters = load::counters(&mut tx)?;
    let header = Header::now(load::created(&mut tx)?, counters.seq, taken);
    let settings: Settings = load::meta(&mut tx, "settings")?;
    let mut writer = Writer::new(out, &header, &settings, &counters).map_err(backup_err)?;
    // Each kind in the reader's key order: numeric keys sort in SQL,
    // the few keyed by JSON are sorted here.
    let tables: [(&str, &str, ToLine); 17] = [
        ("managers", "id", |v| Ok(Line::Manager(serde_json::from_value(v)?))),
        ("segments", "id", |v| Ok(Line::Segment(serde_json::from_value(v)?))),
        ("products", "id", |v| Ok(Line::Product(serde_json::from_value(v)?))),
        ("portrait", "segment, product", |v| {
            Ok(Line::Portrait(serde_json::from_value(v)?))
        }),
        ("clients", "id", |v| Ok(Line::Client(serde_json::from_value(v)?))),
        ("persons", "client, id", |v| {
            Ok(Line::Person(serde_json::from_value(v)?))
        }),
        ("settlements", "client, id", |v| {
            Ok(Line::Settlement(serde_json::from_value(v)?))
        }),
        ("offers", "client, product", |v| {
            Ok(Line::Offer(serde_json::from_value(v)?))
        }),
        ("contacts", "client, id", |v| {
            Ok(Line::Contact(serde_json::from_value(v)?))
        }),
        ("tasks", "client, id", |v| Ok(Line::Task(serde_json::from_value(v)?))),
        ("surveys", "client, id", |v| {
            Ok(Line::Survey(serde_json::from_value(v)?))
        }),
        ("tickets", "id", |v| Ok(Line::Ticket(serde_json::from_value(v)?))),
        ("queue_marks", "key COLLATE \"C\"", |v| {
            Ok(Line::Mark(serde_json::from_value(v)?))
        }),
        ("questionnaires", "product", |v| {
            Ok(Line::Questionnaire(serde_json::from_value(v)?))
        }),
        ("archive", "", |v| Ok(Line::Archival(serde_json::from_value(v)?))),
        ("templates", "", |v| Ok(Line::Template(serde_json::from_value(v)?))),
        ("sales", "", |v| Ok(Line::Sales(serde_json::from_value(v)?))),
    ];
    for (table, order, decode) in tables {
        let corrupt = |error: String| PgError::Corrupt {
            table: table.into(),
            error,
        };
        let sql = match order {
            "" => format!("SELECT record FROM {table}"),
            order => format!("SELECT record FROM {table} ORDER BY {order}"),
        };
        let mut rows = tx.query_raw(&sql, std::iter::empty::<i32>()).map_err(PgError::from)?;
        let mut unsorted = Vec::new();
        while let Some(row) = rows.next().map_err(PgError::from)? {
            let value: serde_json::Value = row.try_get(0).map_err(|e| corrupt(e.to_string()))?;
            let line = decode(value).map_err(|e| corrupt(e.to_string()))?;
            match order {
                "" => unsorted.push(line),
                _ => writer.line(line).map_err(backup_err)?,
            }
        }
        unsorted.sort_by_key(reader::position);
        for line in unsorted {
            writer.line(line).map_err(backup_err)?;
        }
    }
    // The audit trail last, from the events.
    let corrupt = |error: String| PgError::Corrupt {
        table: "events".into(),
        error,
    };
    let mut rows = tx
        .query_raw(
            "SELECT seq, login, at, summary FROM events ORDER BY seq",
            std::iter::empty::<i32>(),
        )
        .map_err(PgError::from)?;
    while let Some(row) = rows.next().map_err(PgError::from)? {
        let seq: i64 = row.try_get(0).map_err(|e| corrupt(e.to_string()))?;
        let audit = AuditEntry {
            seq: u64::try_from(seq).map_err(|_| corrupt(format!("sequence {seq}")))?,
            who: row.try_get(1).map_err(|e| corrupt(e.to_string()))?,
            at: row.try_get(2).map_err(|e| corrupt(e.to_string()))?,
            summary: row.try_get(3).map_err(|e| corrupt(e.to_string()))?,
        };
        writer.line(Line::Audit(audit)).map_err(backup_err)?;
    }
    drop(rows);
    tx.commit().map_err(PgError::from)?;
    writer.finish().map_err(backup_err)
}

impl Backend for PgStore {
    fn model(&self) -> &Model {
        &self.model
    }

    /// Recorded as the connection's role, whatever `who` says: PostgreSQL
    /// authenticated it.
    fn execute(&mut self, _who: &str, cmd: Command) -> Result<Event, BackendError> {
        Ok(PgStore::execute(self, cmd)?)
    }

    fn settlements_of(&mut self, client: ClientId) -> Result<Vec<Settlement>, BackendError> {
        Ok(load::of_client(self.client()?, "settlements", client)?)
    }

    fn each_settlement(&mut self, visit: &mut dyn FnMut(&Model, Settlement) -> bool) -> Result<(), BackendError> {
        let Self { client, model, .. } = self;
        let client = client.as_mut().ok_or_else(crate::lost)?;
        let mut rows = client
            .query_raw(
                "SELECT record FROM settlements ORDER BY client, id",
                std::iter::empty::<i32>(),
            )
            .map_err(PgError::from)?;
        while let Some(row) = rows.next().map_err(PgError::from)? {
            let Json(s): Json<Settlement> = row.try_get(0).map_err(|e| PgError::Corrupt {
                table: "settlements".into(),
                error: e.to_string(),
            })?;
            if !visit(model, s) {
                break;
            }
        }
        Ok(())
    }

    fn contacts_of(&mut self, client: ClientId) -> Result<Vec<ContactEntry>, BackendError> {
        Ok(load::of_client(self.client()?, "contacts", client)?)
    }

    fn contacts_between(&mut self, from: NaiveDate, to: NaiveDate) -> Result<Vec<ContactEntry>, BackendError> {
        let client = self.client()?;
        // Open-ended periods come as chrono's extreme dates, outside what a
        // PostgreSQL timestamp holds: years 1 to 9999 cover every record.
        let (first, last) = (
            NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(from),
            NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(to),
        );
        let start = from.clamp(first, last).and_hms_opt(0, 0, 0).unwrap_or_default();
        let to = to.clamp(first, last);
        let end = to.succ_opt().unwrap_or(to).and_hms_opt(0, 0, 0).unwrap_or_default();
        let rows = client
            .query(
                "SELECT record FROM contacts WHERE at >= $1 AND at < $2 ORDER BY client, id",
                &[&start, &end],
            )
            .map_err(PgError::from)?;
        let mut kept = Vec::new();
        for row in rows {
            let Json(c): Json<ContactEntry> = row.try_get(0).map_err(|e| PgError::Corrupt {
                table: "contacts".into(),
                error: e.to_string(),
            })?;
            if self.model.clients.contains_key(&c.client) {
                kept.push(c);
            }
        }
        Ok(kept)
    }

    fn history_of(&mut self, client: ClientId) -> Result<Vec<HistoryEntry>, BackendError> {
        self.client()?;
        let Self {
            client: conn, model, ..
        } = self;
        let conn = conn.as_mut().ok_or_else(crate::lost)?;
        Ok(log::history_of(&EventLog::new(conn), model, client)?)
    }

    /// This connection's role's last command: what it recorded them under.
    fn last_undoable(&mut self, _who: &str) -> Result<Option<(Event, Prior)>, BackendError> {
        let login = self.login.clone();
        self.last_undoable_of(&login)
    }

    fn write_backup(&mut self, out: &mut dyn Write, taken: NaiveDateTime) -> Result<BackupSummary, BackendError> {
        PgStore::write_backup(self, out, taken)
    }

    fn verify(&mut self) -> Result<VerifyReport, BackendError> {
        Ok(self.verify_report())
    }

    fn poll_events(&mut self) -> Vec<Event> {
        let seq = self.model.counters.seq;
        let arrived = self.listener.as_ref().is_some_and(|l| l.arrived_after(seq));
        // A model to read again (after a lost connection) is read at a
        // later poll, whether or not a notification came — at most once a
        // second, so that a database that is away does not hold up the
        // interface's loop.
        let retry = self.stale && self.last_retry.is_none_or(|t| t.elapsed() >= RETRY_EVERY);
        if arrived || retry {
            if self.stale {
                self.last_retry = Some(std::time::Instant::now());
            }
            if self.catch_up_now().is_err() {
                // Read again later; the events stay unseen meanwhile.
                self.stale = true;
            }
        }
        std::mem::take(&mut self.arrived)
    }

    fn set_waker(&mut self, waker: Waker) {
        if let Some(l) = &self.listener {
            l.set_waker(waker);
        }
    }

    fn poll_replaced(&mut self) -> bool {
        std::mem::take(&mut self.replaced)
    }

    /// PostgreSQL is backed up by its own tools; a lead's session leaves
    /// the model snapshot current so that the next start is fast (a cache:
    /// a failure to write it is no failure of the session).
    fn close(&mut self, _today: NaiveDate) -> Result<(), BackendError> {
        let _ = self.save_snapshot();
        Ok(())
    }
}

impl PgStore {
    /// The last command `who` may undo: for a server, which records its
    /// sessions' commands under their logins.
    pub fn last_undoable_of(&mut self, who: &str) -> Result<Option<(Event, Prior)>, BackendError> {
        self.client()?;
        let Self {
            client: conn, model, ..
        } = self;
        let conn = conn.as_mut().ok_or_else(crate::lost)?;
        log::last_undoable(&EventLog::new(conn), model, who).map_err(|e| match e {
            UndoError::Log(e) => e.into(),
            UndoError::NotLogged { seq, summary } => BackendError::Storage(format!(
                "command #{seq} ({summary}) is too large for the change log and cannot be undone"
            )),
        })
    }

    /// Why the listening connection is down, while it is (the interface
    /// says so; it reconnects by itself).
    pub fn listening_down(&self) -> Option<String> {
        self.listener.as_ref().and_then(crate::listen::Listener::down)
    }
}
