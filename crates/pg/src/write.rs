//! The write path on PostgreSQL: one transaction per command that takes
//! the write lock, catches up with the events committed since this
//! process's model, plans the command against that model, writes its rows
//! and its event and notifies the listeners. A command that fails leaves
//! no row; the model is read again when it may hold a failed command.

use std::cell::RefCell;

use chrono::{NaiveDateTime, Timelike};
use postgres::types::{Json, Type};
use postgres::{GenericClient, Transaction};

use crate::rows::{Rows, i32_of, i64_of};
use crate::{PgError, PgStore, load};
use rapport_core::domain::*;
use rapport_core::model::{Change, Counters, Model};
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

    fn execute_on(
        &mut self,
        client: &mut postgres::Client,
        who: &str,
        at: NaiveDateTime,
        cmd: &Command,
    ) -> Result<Event, Failed> {
        let mut tx = client.transaction()?;
        let stored = lock_and_counters(&mut tx)?;
        let mut arrived = Vec::new();
        let caught_up = catch_up_to(&mut tx, &mut self.model, &mut arrived, stored);
        self.arrived.extend(arrived);
        match caught_up {
            // A share that lacks a client handed to this manager cannot
            // plan (the client's aggregates would be written from nothing).
            Ok(found) if found.moved && !self.sees_all => {
                self.caught_up(found);
                return Err(PgError::ShareChanged.into());
            }
            Ok(found) if found.hidden && !self.sees_all && share_shrank(&mut tx, &self.model)? => {
                self.caught_up(CaughtUp { moved: true, ..found });
                return Err(PgError::ShareChanged.into());
            }
            Ok(found) => self.caught_up(found),
            Err(e) => {
                self.stale = true;
                return Err(e.into());
            }
        }
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
                return Err(PgError::Denied(format!(
                    "user '{who}' is not a manager of this database; a lead adds them with \
                     `rapport import managers` (login,name,role)"
                ))
                .into());
            }
        };
        auth::authorize(&self.model, &user, cmd).map_err(PgError::Denied)?;
        let seq = self.model.counters.seq + 1;
        let summary = cmd.describe(&self.model);
        let mut changes = Vec::new();
        let staged = {
            let tx = RefCell::new(&mut tx);
            stage(&tx, who, seq, cmd, &mut self.model, &mut changes)
        };
        if let Err(e) = staged {
            if !changes.is_empty() {
                self.stale = true;
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
        let committed =
            write_rows(&mut tx, &mut self.prepared, &changes, &audit, &self.model).and_then(|()| Ok(tx.commit()?));
        if let Err(e) = committed {
            return Err(Failed::Commit(Box::new((e, audit, changes))));
        }
        Ok(Event {
            seq,
            who: audit.who,
            at,
            summary: audit.summary,
            changes,
        })
    }

    /// The connection broke during the commit: whether the command is in
    /// the database can be told only by asking again. Done if its event
    /// is there (same sequence, role and time), else unknown.
    fn in_doubt(&mut self, audit: AuditEntry, changes: Vec<Change>) -> Result<Event, PgError> {
        let unknown = || PgError::Unknown {
            seq: audit.seq,
            summary: audit.summary.clone(),
        };
        self.client = None;
        let Ok(client) = self.client() else {
            return Err(unknown());
        };
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
        .map_err(|_| unknown())?;
        match row {
            Some(row)
                if row.try_get::<_, String>(0).ok() == Some(audit.who.clone())
                    && row.try_get::<_, NaiveDateTime>(1).ok() == Some(audit.at) =>
            {
                Ok(Event {
                    seq: audit.seq,
                    who: audit.who,
                    at: audit.at,
                    summary: audit.summary,
                    changes,
                })
            }
            Some(_) | None => Err(PgError::Command(CommandError::Invalid(format!(
                "the connection to PostgreSQL was lost while command #{} ({}) was being committed, and it was not \
                 applied: do it again",
                audit.seq, audit.summary
            )))),
        }
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
enum Failed {
    Before(PgError),
    Commit(Box<(PgError, AuditEntry, Vec<Change>)>),
}

impl<E: Into<PgError>> From<E> for Failed {
    fn from(e: E) -> Failed {
        Failed::Before(e.into())
    }
}

/// Applies the events committed after `model`'s sequence, oldest first,
/// and takes the stored counters (they remember ids of records deleted
/// since). Only what this role may read arrives: a command about clients
/// it does not see comes with the changes it may see (often none) and no
/// summary. An event without changes (an import) means reading the tables.
/// Returns whether the model was read again (an event too large to log
/// came): a process that passes the model on must pass all of it.
pub(crate) fn catch_up(
    c: &mut impl GenericClient,
    model: &mut Model,
    arrived: &mut Vec<Event>,
) -> Result<bool, PgError> {
    let stored = load::counters(c)?;
    Ok(catch_up_to(c, model, arrived, stored)?.reread)
}

/// What a catch-up found besides the events.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CaughtUp {
    /// The model was read again (an event too large to log came).
    pub(crate) reread: bool,
    /// A client this model knew changed hands, or one it did not know
    /// arrived (handed to this role's manager): a share is not current.
    pub(crate) moved: bool,
    /// A command arrived whose row this role may not read (about others'
    /// clients, or about one taken from this role's manager).
    pub(crate) hidden: bool,
}

/// Whether a client of this share is no longer this role's to see (taken
/// from its manager by a command it may not read): one query, for a role
/// that sees one manager's clients when such a command arrived.
pub(crate) fn share_shrank(c: &mut impl GenericClient, model: &Model) -> Result<bool, PgError> {
    let ids = model
        .clients
        .keys()
        .map(|id| i32_of(id.0))
        .collect::<Result<Vec<i32>, _>>()?;
    let seen: i64 = c
        .query_typed_one(
            "SELECT count(*) FROM clients WHERE id = ANY($1)",
            &[(&ids, Type::INT4_ARRAY)],
        )?
        .try_get(0)?;
    Ok(usize::try_from(seen).unwrap_or(0) < ids.len())
}

/// Takes the write lock and reads the counters as they are once it is
/// held, in one round trip: each statement of a simple query sees what was
/// committed before it began, so the second one sees the last holder's
/// commit.
fn lock_and_counters(tx: &mut Transaction<'_>) -> Result<Counters, PgError> {
    use postgres::SimpleQueryMessage;
    let messages = tx.simple_query(&format!(
        "SELECT pg_advisory_xact_lock({WRITE_LOCK}); SELECT record::text FROM rapport_meta WHERE key = 'counters'"
    ))?;
    let mut statement = 0;
    let mut text = None;
    for m in &messages {
        match m {
            SimpleQueryMessage::CommandComplete(_) => statement += 1,
            SimpleQueryMessage::Row(row) if statement == 1 => text = row.get(0).map(str::to_string),
            _ => {}
        }
    }
    let corrupt = |error: String| PgError::Corrupt {
        table: "rapport_meta".into(),
        error,
    };
    let text = text.ok_or_else(|| corrupt("no counters".into()))?;
    serde_json::from_str(&text).map_err(|e| corrupt(format!("counters: {e}")))
}

/// `catch_up` to the `stored` counters, read in this transaction.
pub(crate) fn catch_up_to(
    c: &mut impl GenericClient,
    model: &mut Model,
    arrived: &mut Vec<Event>,
    stored: Counters,
) -> Result<CaughtUp, PgError> {
    let after = crate::rows::i64_of(model.counters.seq)?;
    if stored.seq <= model.counters.seq {
        return Ok(CaughtUp::default());
    }
    let known_clients = model.counters.client;
    let mut moved = false;
    let mut any_hidden = false;
    let corrupt = |e: postgres::Error| PgError::Corrupt {
        table: "events".into(),
        error: e.to_string(),
    };
    // The events and their changes in one round trip: a command's row
    // first, then its changes in order. A role may see a change of a
    // command whose row it does not see (about clients of several
    // managers): the command comes without its summary.
    let mut events: std::collections::BTreeMap<u64, (Event, bool)> = std::collections::BTreeMap::new();
    for row in c.query_typed(
        "SELECT seq, 0 AS part, 0 AS n, login, at, summary, logged, NULL::jsonb AS change \
         FROM events WHERE seq > $1 \
         UNION ALL \
         SELECT seq, 1, n, NULL, NULL, NULL, NULL, change FROM event_changes WHERE seq > $1 \
         ORDER BY seq, part, n",
        &[(&after, Type::INT8)],
    )? {
        let seq: i64 = row.try_get(0).map_err(corrupt)?;
        let seq = u64::try_from(seq).unwrap_or_default();
        let part: i32 = row.try_get(1).map_err(corrupt)?;
        if part == 0 {
            let event = Event {
                seq,
                who: row
                    .try_get::<_, Option<String>>(3)
                    .map_err(corrupt)?
                    .unwrap_or_default(),
                at: row
                    .try_get::<_, Option<NaiveDateTime>>(4)
                    .map_err(corrupt)?
                    .unwrap_or_default(),
                summary: row
                    .try_get::<_, Option<String>>(5)
                    .map_err(corrupt)?
                    .unwrap_or_default(),
                changes: Vec::new(),
            };
            let logged = row.try_get::<_, Option<bool>>(6).map_err(corrupt)?.unwrap_or(true);
            events.insert(seq, (event, logged));
        } else if let Some(Json(change)) = row.try_get::<_, Option<Json<Change>>>(7).map_err(corrupt)? {
            let (event, _) = events.entry(seq).or_insert_with(|| (hidden(seq), true));
            event.changes.push(change);
        }
    }
    let mut reread = false;
    for seq in model.counters.seq + 1..=stored.seq {
        let (event, logged) = events.remove(&seq).unwrap_or_else(|| (hidden(seq), true));
        if !logged {
            reread = true;
        }
        if !reread {
            for change in &event.changes {
                if let Change::Client(c) = change {
                    moved |= match model.clients.get(&c.id) {
                        Some(old) => old.manager != c.manager,
                        None => c.id.0 <= known_clients && !model.trash.clients.contains_key(&c.id),
                    };
                }
                model.apply(change);
            }
        }
        any_hidden |= event.who.is_empty();
        arrived.push(event);
    }
    if reread {
        *model = load::model(c)?;
    }
    model.counters = stored;
    Ok(CaughtUp {
        reread,
        moved,
        hidden: any_hidden,
    })
}

/// A command about clients this role does not see: only that it happened.
fn hidden(seq: u64) -> Event {
    Event {
        seq,
        who: String::new(),
        at: NaiveDateTime::default(),
        summary: String::new(),
        changes: Vec::new(),
    }
}

/// Plans the command against the model (`write::stage`), reading what the
/// planner asks for in the command's transaction.
fn stage(
    tx: &RefCell<&mut Transaction<'_>>,
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

/// The command's rows, the counters, its event, and the notification
/// (sent by PostgreSQL when the transaction commits).
/// `prepared`: the connection's prepared statements, taken and given back.
fn write_rows(
    tx: &mut Transaction<'_>,
    prepared: &mut crate::rows::Prepared,
    changes: &[Change],
    audit: &AuditEntry,
    model: &Model,
) -> Result<(), PgError> {
    let mut rows = Rows::with_prepared(tx, std::mem::take(prepared));
    let written = (|| {
        rows.changes(changes, audit.seq, model)?;
        let logged = (changes.len() <= CHANGE_LOG_MAX).then_some(changes);
        rows.command_end(audit, logged, model, CHANNEL)
    })();
    *prepared = rows.into_prepared();
    written
}
