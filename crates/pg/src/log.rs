//! The `events` table as the change log that history and undo read
//! (`rapport_core::write::log`).

use std::cell::RefCell;

use postgres::Row;
use postgres::types::Json;

use crate::PgError;
use crate::rows::i64_of;
use rapport_core::domain::AuditEntry;
use rapport_core::model::Change;
use rapport_core::write::log::{Iter, LogSource, Logged};

pub(crate) struct EventLog<'a> {
    client: RefCell<&'a mut postgres::Client>,
}

impl<'a> EventLog<'a> {
    pub(crate) fn new(client: &'a mut postgres::Client) -> Self {
        EventLog {
            client: RefCell::new(client),
        }
    }

    fn rows(&self, sql: &str, seq: Option<u64>) -> Result<Vec<Row>, PgError> {
        let mut client = self.client.borrow_mut();
        Ok(match seq {
            Some(seq) => client.query(sql, &[&i64_of(seq)?])?,
            None => client.query(sql, &[])?,
        })
    }

    fn logged_by(&self, sql: &str, seq: Option<u64>) -> Iter<'_, Logged, PgError> {
        match self.rows(sql, seq) {
            Ok(rows) => Box::new(rows.into_iter().map(|r| logged(&r))),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }
}

fn corrupt(e: postgres::Error) -> PgError {
    PgError::Corrupt {
        table: "events".into(),
        error: e.to_string(),
    }
}

fn seq_of(row: &Row) -> Result<u64, PgError> {
    let seq: i64 = row.try_get(0).map_err(corrupt)?;
    u64::try_from(seq).map_err(|_| PgError::Corrupt {
        table: "events".into(),
        error: format!("sequence {seq} is negative"),
    })
}

fn audit(row: &Row) -> Result<AuditEntry, PgError> {
    Ok(AuditEntry {
        seq: seq_of(row)?,
        who: row.try_get(1).map_err(corrupt)?,
        at: row.try_get(2).map_err(corrupt)?,
        summary: row.try_get(3).map_err(corrupt)?,
    })
}

fn logged(row: &Row) -> Result<Logged, PgError> {
    let Json(changes): Json<Vec<Change>> = row.try_get(1).map_err(corrupt)?;
    Ok(Logged {
        seq: seq_of(row)?,
        changes,
    })
}

impl LogSource for EventLog<'_> {
    type Error = PgError;

    fn audit_newest_first(&self) -> Iter<'_, AuditEntry, PgError> {
        match self.rows("SELECT seq, login, at, summary FROM events ORDER BY seq DESC", None) {
            Ok(rows) => Box::new(rows.into_iter().map(|r| audit(&r))),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    fn audit_entry(&self, seq: u64) -> Result<Option<AuditEntry>, PgError> {
        let rows = self.rows("SELECT seq, login, at, summary FROM events WHERE seq = $1", Some(seq))?;
        rows.first().map(audit).transpose()
    }

    fn logged(&self) -> Iter<'_, Logged, PgError> {
        self.logged_by(
            "SELECT seq, changes FROM events WHERE changes IS NOT NULL ORDER BY seq",
            None,
        )
    }

    fn logged_after(&self, seq: u64) -> Iter<'_, Logged, PgError> {
        self.logged_by(
            "SELECT seq, changes FROM events WHERE changes IS NOT NULL AND seq > $1 ORDER BY seq",
            Some(seq),
        )
    }

    fn logged_before(&self, seq: u64) -> Iter<'_, Logged, PgError> {
        self.logged_by(
            "SELECT seq, changes FROM events WHERE changes IS NOT NULL AND seq < $1 ORDER BY seq DESC",
            Some(seq),
        )
    }

    fn changes_of(&self, seq: u64) -> Result<Option<Vec<Change>>, PgError> {
        let rows = self.rows(
            "SELECT seq, changes FROM events WHERE seq = $1 AND changes IS NOT NULL",
            Some(seq),
        )?;
        Ok(rows.first().map(logged).transpose()?.map(|l| l.changes))
    }
}
