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

    /// The logged changes `sql` selects (seq, change; in seq and change
    /// order), one `Logged` per command.
    fn logged_by(&self, sql: &str, seq: Option<u64>, newest_first: bool) -> Iter<'_, Logged, PgError> {
        let rows = match self.rows(sql, seq) {
            Ok(rows) => rows,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        let mut logs: Vec<Logged> = Vec::new();
        for row in &rows {
            let (seq, change) = match (seq_of(row), row.try_get::<_, Json<Change>>(1).map_err(corrupt)) {
                (Ok(s), Ok(Json(c))) => (s, c),
                (Err(e), _) | (_, Err(e)) => return Box::new(std::iter::once(Err(e))),
            };
            match logs.last_mut() {
                Some(last) if last.seq == seq => last.changes.push(change),
                _ => logs.push(Logged {
                    seq,
                    changes: vec![change],
                }),
            }
        }
        if newest_first {
            logs.reverse();
        }
        Box::new(logs.into_iter().map(Ok))
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
        self.logged_by("SELECT seq, change FROM event_changes ORDER BY seq, n", None, false)
    }

    fn logged_after(&self, seq: u64) -> Iter<'_, Logged, PgError> {
        self.logged_by(
            "SELECT seq, change FROM event_changes WHERE seq > $1 ORDER BY seq, n",
            Some(seq),
            false,
        )
    }

    fn logged_before(&self, seq: u64) -> Iter<'_, Logged, PgError> {
        self.logged_by(
            "SELECT seq, change FROM event_changes WHERE seq < $1 ORDER BY seq, n",
            Some(seq),
            true,
        )
    }

    fn changes_of(&self, seq: u64) -> Result<Option<Vec<Change>>, PgError> {
        let logged = self.rows("SELECT logged FROM events WHERE seq = $1", Some(seq))?;
        if !logged.first().is_some_and(|r| r.try_get::<_, bool>(0).unwrap_or(false)) {
            return Ok(None);
        }
        let rows = self.rows("SELECT change FROM event_changes WHERE seq = $1 ORDER BY n", Some(seq))?;
        let changes = rows
            .iter()
            .map(|r| r.try_get::<_, Json<Change>>(0).map(|Json(c)| c).map_err(corrupt))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(changes))
    }
}
