//! The write path on PostgreSQL: one transaction per command that takes
//! the write lock, catches up with the events committed since this
//! process's model, plans the command against that model, writes its rows
//! and its event and notifies the listeners. A command that fails leaves
//! no row; the model is read again when it may hold a failed command.

use std::cell::RefCell;

use chrono::{NaiveDateTime, Timelike};
use postgres::types::{Json, Type};

use crate::catchup::{self, CaughtUp};
use crate::rows::{Rows, i32_of, i64_of};
use crate::{PgError, PgStore, load};
use rapport_core::domain::*;
use rapport_core::model::{Change, Model};
use rapport_core::write::auth::{self, User};
use rapport_core::write::{Command, CommandError, Context, Event};

/// Every writer takes it: one order of commands for every process.
pub(crate) const WRITE_LOCK: i64 = 0x7261_7070_7772_6974; // "rappwrit"

/// The channel the events are announced on (the payload: the sequence).
pub(crate) const CHANNEL: &str = "rapport_events";

/// Commands with more changes than this (imports, the demo) have no
/// changes in their event: a process that meets one reads the tables.
pub const CHANGE_LOG_MAX: usize = rapport_store::CHANGE_LOG_MAX;

impl PgStore {
    /// Applies `cmd` as this connection's role, stamped now.
    pub fn execute(&mut self, cmd: Command) -> Result<Event, PgError> {
        self.execute_at(chrono::Utc::now().naive_utc(), cmd)
    }

    pub fn execute_at(&mut self, at: NaiveDateTime, cmd: Command) -> Result<Event, PgError> {
        let who = self.login.clone();
        self.execute_as(&who, at, cmd)
    }

    /// Applies `cmd` recorded as `who`: for a process that authenticated
    /// its users itself (a server for its sessions) and for the demo.
    pub fn execute_as(&mut self, who: &str, at: NaiveDateTime, cmd: Command) -> Result<Event, PgError> {
        if self.replica {
            return Err(PgError::Schema(
                "this is a read replica of the database: reports, exports and the interface read it, \
                 but changes go to the primary (connect to it with --db)"
                    .into(),
            ));
        }
        // PostgreSQL keeps microseconds: the event says what is stored.
        let at = at.with_nanosecond(at.nanosecond() / 1_000 * 1_000).unwrap_or(at);
        // By reference: an import's batch is large, and is kept for a retry.
        match self.execute_once(who, at, &cmd) {
            // The connection was found broken before anything was sent to
            // be committed: connect again and run the command once more.
            Err(Retry::Reconnect(_)) => self.execute_once(who, at, &cmd).map_err(Retry::into_error),
            other => other.map_err(Retry::into_error),
        }
    }

    fn execute_once(&mut self, who: &str, at: NaiveDateTime, cmd: &Command) -> Result<Event, Retry> {
        self.client()?;
        let Some(mut client) = self.client.take() else {
            return Err(crate::lost().into());
        };
        let result = self.execute_on(&mut client, who, at, cmd);
        let closed = client.is_closed();
        self.client = Some(client);
        let outcome = match result {
            Ok(event) => Ok(event),
            Err(Failed::Before(e)) if closed || crate::connection_gone(&e) => {
                self.client = None;
                return Err(Retry::Reconnect(e));
            }
            // Nothing was written; the next try reads the share again.
            Err(Failed::Before(e @ PgError::ShareChanged)) => return Err(Retry::Reconnect(e)),
            Err(Failed::Before(e)) => Err(e),
            Err(Failed::Commit(failed)) => {
                let (e, audit, changes) = *failed;
                // The model holds the command: read it again either way.
                self.stale = true;
                if closed || crate::connection_gone(&e) {
                    return self.in_doubt(audit, changes).map_err(Retry::Failed);
                }
                Err(e)
            }
        };
        if outcome.is_err() && self.stale {
            // Forget the failed command now, not at the next call (when
            // that fails too, the next call tries again).
            self.client()?;
        }
        outcome.map_err(Retry::Failed)
    }

    /// Two round trips: BEGIN, the write lock, the counters and the events
    /// since, in one simple query; then the command's rows, its event and
    /// COMMIT in another (`literal`). The lock is held from the end of the
    /// first to the end of the second: one exchange, whatever the rows.
    fn execute_on(
        &mut self,
        client: &mut postgres::Client,
        who: &str,
        at: NaiveDateTime,
        cmd: &Command,
    ) -> Result<Event, Failed> {
        let mut open = self.begin_command(client)?;
        self.named.begin(open.client)?;
        let mut script = String::new();
        let (audit, changes) = match self.plan(open.client, who, at, cmd, &mut script) {
            Ok(planned) => planned,
            Err((e, dirty)) => {
                self.stale |= dirty;
                return Err(e.into());
            }
        };
        script.push_str("COMMIT");
        if let Err(e) = open.client.batch_execute(&script) {
            return Err(Failed::Commit(Box::new((e.into(), audit, changes))));
        }
        open.committed();
        self.named.sent();
        Ok(Event::of(audit, changes))
    }

    /// Begins a command's transaction: takes the write lock and catches up
    /// with what was committed before it, in one round trip.
    pub(crate) fn begin_command<'c>(&mut self, client: &'c mut postgres::Client) -> Result<Open<'c>, Failed> {
        // The prepared statements' plans are kept (generic: a custom plan
        // of the catch-up is made again on every call, costing more than
        // running it) and not compiled (a generic plan's estimates would
        // pass the JIT's threshold). Settings and lock in one statement.
        self.named.begin(client)?;
        let mut begin = format!(
            "BEGIN; SELECT set_config('plan_cache_mode', 'force_generic_plan', true), \
             set_config('jit', 'off', true), pg_advisory_xact_lock({WRITE_LOCK});\n"
        );
        let after = i64_of(self.model.counters.seq)?;
        let prepared = self.named.call(
            "counters and events",
            || catchup::COUNTERS_AND_EVENTS.into(),
            &[&after],
            &mut begin,
        )?;
        let open = Open::new(client);
        let messages = open.client.simple_query(&begin)?;
        self.named.sent();
        let (found, stored) = catchup::read_events(&messages, 2 + usize::from(prepared))?;
        let mut arrived = Vec::new();
        let caught_up = catchup::apply(open.client, &mut self.model, &mut arrived, stored, found);
        self.arrived.extend(arrived);
        match caught_up {
            // A share that lacks a client handed to this manager cannot
            // plan (the client's aggregates would be written from nothing).
            Ok(found) if found.moved && !self.sees_all => {
                self.caught_up(found);
                Err(PgError::ShareChanged.into())
            }
            Ok(found) if found.hidden && !self.sees_all && catchup::share_shrank(open.client, &self.model)? => {
                self.caught_up(CaughtUp { moved: true, ..found });
                Err(PgError::ShareChanged.into())
            }
            Ok(found) => {
                self.caught_up(found);
                Ok(open)
            }
            Err(e) => {
                self.stale = true;
                Err(e.into())
            }
        }
    }

    /// Plans `cmd` as `who` on the model (which then holds it) and appends
    /// its rows and event to `script`. A refusal says whether the model
    /// holds part of the command (then it must be read again).
    pub(crate) fn plan(
        &mut self,
        client: &mut postgres::Client,
        who: &str,
        at: NaiveDateTime,
        cmd: &Command,
        script: &mut String,
    ) -> Result<(AuditEntry, Vec<Change>), (PgError, bool)> {
        // The rules of who may change what, on the current model: the
        // same as a sled server's (row-level security guards the rest).
        let user = match self.model.manager_by_login(who) {
            Some(m) => User {
                login: who.to_string(),
                manager: Some(m.id),
                role: m.role,
            },
            None if self.owner => User {
                login: who.to_string(),
                manager: None,
                role: Role::Lead,
            },
            None => {
                return Err((
                    PgError::Denied(format!(
                        "user '{who}' is not a manager of this database; a lead adds them with \
                         `rapport import managers` (login,name,role)"
                    )),
                    false,
                ));
            }
        };
        auth::authorize(&self.model, &user, cmd).map_err(|why| (PgError::Denied(why), false))?;
        let seq = self.model.counters.seq + 1;
        let summary = cmd.describe(&self.model);
        let mut changes = Vec::new();
        let staged = {
            let c = RefCell::new(&mut *client);
            stage(&c, who, seq, cmd, &mut self.model, &mut changes)
        };
        if let Err(e) = staged {
            let dirty = !changes.is_empty();
            return Err((e, dirty));
        }
        self.model.counters.seq = seq;
        let audit = AuditEntry {
            seq,
            who: who.to_string(),
            at,
            summary,
        };
        let rows = write_rows(client, &mut self.named, &changes, &audit, &self.model).map_err(|e| (e, true))?;
        script.push_str(&rows);
        Ok((audit, changes))
    }

    /// The connection broke during the commit: whether the command is in
    /// the database can be told only by asking again. Done if its event
    /// is there (same sequence, role and time), else unknown.
    fn in_doubt(&mut self, audit: AuditEntry, changes: Vec<Change>) -> Result<Event, PgError> {
        match self.was_committed(&audit) {
            Some(true) => Ok(Event::of(audit, changes)),
            Some(false) => Err(PgError::Command(CommandError::Invalid(format!(
                "the connection to PostgreSQL was lost while command #{} ({}) was being committed, and it was not \
                 applied: do it again",
                audit.seq, audit.summary
            )))),
            None => Err(PgError::Unknown {
                seq: audit.seq,
                summary: audit.summary,
            }),
        }
    }

    /// Whether the command of `audit` is in the database (its event is
    /// there: same sequence, role and time), on a new connection; `None`
    /// when that cannot be told.
    pub(crate) fn was_committed(&mut self, audit: &AuditEntry) -> Option<bool> {
        self.client = None;
        let client = self.client().ok()?;
        // Behind the write lock: a commit of it still under way in the old
        // connection's backend holds the lock until it is done.
        let row = (|| {
            let mut tx = client.transaction()?;
            tx.execute_typed("SELECT pg_advisory_xact_lock($1)", &[(&WRITE_LOCK, Type::INT8)])?;
            let row = tx.query_typed_opt(
                "SELECT login, at FROM events WHERE seq = $1",
                &[(&(audit.seq as i64), Type::INT8)],
            )?;
            tx.commit()?;
            Ok::<_, postgres::Error>(row)
        })()
        .ok()?;
        Some(row.is_some_and(|row| {
            row.try_get::<_, String>(0).ok().as_deref() == Some(audit.who.as_str())
                && row.try_get::<_, NaiveDateTime>(1).ok() == Some(audit.at)
        }))
    }
}

/// A command's failure, and whether running it again on a new connection
/// is safe (nothing of it reached the database).
enum Retry {
    Reconnect(PgError),
    Failed(PgError),
}

impl Retry {
    fn into_error(self) -> PgError {
        match self {
            Retry::Reconnect(e) | Retry::Failed(e) => e,
        }
    }
}

impl From<PgError> for Retry {
    fn from(e: PgError) -> Retry {
        Retry::Failed(e)
    }
}

/// How a command failed: before anything was sent to be committed, or
/// while its rows or its commit were (the model holds it then).
pub(crate) enum Failed {
    Before(PgError),
    Commit(Box<(PgError, AuditEntry, Vec<Change>)>),
}

impl<E: Into<PgError>> From<E> for Failed {
    fn from(e: E) -> Failed {
        Failed::Before(e.into())
    }
}

/// Plans the command against the model (`write::stage`), reading what the
/// planner asks for in the command's transaction.
fn stage(
    tx: &RefCell<&mut postgres::Client>,
    who: &str,
    seq: u64,
    cmd: &Command,
    model: &mut Model,
    changes: &mut Vec<Change>,
) -> Result<(), PgError> {
    let lookup = |client: ClientId, id: SettlementId| -> Result<Option<Settlement>, String> {
        let row = tx
            .borrow_mut()
            .query_opt(
                "SELECT record FROM settlements WHERE client = $1 AND id = $2",
                &[
                    &i32_of(client.0).map_err(|e| e.to_string())?,
                    &i64_of(id.0).map_err(|e| e.to_string())?,
                ],
            )
            .map_err(|e| crate::message(&e))?;
        row.map(|r| r.try_get::<_, Json<Settlement>>(0).map(|Json(s)| s))
            .transpose()
            .map_err(|e| e.to_string())
    };
    let contacts = |client: ClientId| -> Result<Vec<ContactEntry>, String> {
        load::of_client(&mut **tx.borrow_mut(), "contacts", client).map_err(|e| e.to_string())
    };
    let settled = |client: ClientId| -> Result<Vec<Settlement>, String> {
        load::of_client(&mut **tx.borrow_mut(), "settlements", client).map_err(|e| e.to_string())
    };
    let ctx = Context {
        who,
        seq,
        settlement: &lookup,
        contacts: &contacts,
        settlements: &settled,
    };
    Ok(rapport_core::write::stage(cmd, model, &ctx, changes)?)
}

/// The script of the command's rows, the counters, its event and the
/// notification (sent by PostgreSQL when the transaction commits). A
/// large command's first rows are sent on the way.
fn write_rows(
    client: &mut postgres::Client,
    named: &mut crate::literal::Named,
    changes: &[Change],
    audit: &AuditEntry,
    model: &Model,
) -> Result<String, PgError> {
    let mut rows = Rows::script(client, named);
    rows.changes(changes, audit.seq, model)?;
    let logged = (changes.len() <= CHANGE_LOG_MAX).then_some(changes);
    rows.command_end(audit, logged, model, CHANNEL)?;
    Ok(rows.into_script())
}

/// A transaction begun by a simple query: rolled back when dropped
/// before its COMMIT went through (an error, a refusal, a retry).
pub(crate) struct Open<'a> {
    pub(crate) client: &'a mut postgres::Client,
    done: bool,
}

impl<'a> Open<'a> {
    fn new(client: &'a mut postgres::Client) -> Self {
        Open { client, done: false }
    }

    pub(crate) fn committed(&mut self) {
        self.done = true;
    }
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        if !self.done && !self.client.is_closed() {
            // After a failed statement or COMMIT PostgreSQL may have ended
            // the transaction already; the warning then is harmless.
            let _ = self.client.batch_execute("ROLLBACK");
        }
    }
}
