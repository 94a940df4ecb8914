//! Catching up with what other processes committed: the events after the
//! model's sequence and their changes, read in one query as text (so that
//! a command can read them in the same round trip as it takes the write
//! lock, in a simple query), then applied to the model in order.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use postgres::types::Type;
use postgres::{GenericClient, SimpleQueryMessage};

use crate::rows::{i32_of, i64_of};
use crate::{PgError, load};
use rapport_core::model::{Change, Counters, Model};
use rapport_core::write::Event;

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

/// The events read, by sequence, each with whether its changes were logged.
pub(crate) type Found = BTreeMap<u64, (Event, bool)>;

/// Applies the events committed after `model`'s sequence, oldest first,
/// and takes the stored counters (they remember ids of records deleted
/// since), read in one query. Only what this role may read arrives: a
/// command about clients it does not see comes with the changes it may see
/// (often none) and no summary. An event without changes (an import)
/// means reading the tables; a process that passes the model on must then
/// pass all of it (`CaughtUp::reread`).
pub(crate) fn catch_up(
    c: &mut impl GenericClient,
    model: &mut Model,
    arrived: &mut Vec<Event>,
) -> Result<CaughtUp, PgError> {
    let mut query = String::new();
    crate::literal::substitute(COUNTERS_AND_EVENTS, &[&i64_of(model.counters.seq)?], &mut query)?;
    let messages = c.simple_query(&query)?;
    let (found, stored) = read_events(&messages, 0)?;
    apply(c, model, arrived, stored, found)
}

/// The counters (sequence 0, part -1), then the events after `$1` and
/// their changes, as text: a command's row first, then its changes in
/// order. A role may see a change of a command whose row it does not see
/// (about clients of several managers): the command comes without its
/// summary.
pub(crate) const COUNTERS_AND_EVENTS: &str = "SELECT 0::bigint AS seq, -1 AS part, 0 AS n, NULL, NULL, NULL, NULL, \
        record::text \
     FROM rapport_meta WHERE key = 'counters' \
     UNION ALL \
     SELECT seq, 0, 0, login, to_char(at, 'YYYY-MM-DD HH24:MI:SS.US'), summary, logged, NULL \
     FROM events WHERE seq > $1 \
     UNION ALL \
     SELECT seq, 1, n, NULL, NULL, NULL, NULL, change::text FROM event_changes WHERE seq > $1 \
     ORDER BY seq, part, n";

/// The rows of the `statement`th statement (from 0) of a simple query.
fn rows_of(messages: &[SimpleQueryMessage], statement: usize) -> impl Iterator<Item = &postgres::SimpleQueryRow> {
    let mut done = 0;
    messages.iter().filter_map(move |m| match m {
        SimpleQueryMessage::CommandComplete(_) => {
            done += 1;
            None
        }
        SimpleQueryMessage::Row(row) if done == statement => Some(row),
        _ => None,
    })
}

/// What a `COUNTERS_AND_EVENTS` query, the `statement`th of `messages`,
/// read: the events and the counters.
pub(crate) fn read_events(messages: &[SimpleQueryMessage], statement: usize) -> Result<(Found, Counters), PgError> {
    let corrupt = |error: String| PgError::Corrupt {
        table: "events".into(),
        error,
    };
    let mut events = Found::new();
    let mut counters = None;
    for row in rows_of(messages, statement) {
        let column = |i: usize| row.try_get(i).map_err(|e| corrupt(e.to_string()));
        let seq: u64 = column(0)?
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| corrupt("an event without its sequence".into()))?;
        let part = column(1)?;
        if part == Some("-1") {
            let text = column(7)?.unwrap_or_default();
            counters = Some(serde_json::from_str(text).map_err(|e| PgError::Corrupt {
                table: "rapport_meta".into(),
                error: format!("counters: {e}"),
            })?);
        } else if part == Some("0") {
            let at = match column(4)? {
                Some(text) => NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                    .map_err(|e| corrupt(format!("event {seq}'s time {text:?}: {e}")))?,
                None => NaiveDateTime::default(),
            };
            let event = Event {
                seq,
                who: column(3)?.unwrap_or_default().to_string(),
                at,
                summary: column(5)?.unwrap_or_default().to_string(),
                changes: Vec::new(),
            };
            let logged = column(6)? != Some("f");
            events.insert(seq, (event, logged));
        } else if let Some(text) = column(7)? {
            let change: Change =
                serde_json::from_str(text).map_err(|e| corrupt(format!("a change of event {seq}: {e}")))?;
            let (event, _) = events.entry(seq).or_insert_with(|| (hidden(seq), true));
            event.changes.push(change);
        }
    }
    let counters = counters.ok_or_else(|| PgError::Corrupt {
        table: "rapport_meta".into(),
        error: "no counters".into(),
    })?;
    Ok((events, counters))
}

/// Applies `found` (the events after the model's sequence) up to `stored`.
pub(crate) fn apply(
    c: &mut impl GenericClient,
    model: &mut Model,
    arrived: &mut Vec<Event>,
    stored: Counters,
    mut found: Found,
) -> Result<CaughtUp, PgError> {
    if stored.seq <= model.counters.seq {
        return Ok(CaughtUp::default());
    }
    let known_clients = model.counters.client;
    let mut moved = false;
    let mut any_hidden = false;
    let mut reread = false;
    for seq in model.counters.seq + 1..=stored.seq {
        let (event, logged) = found.remove(&seq).unwrap_or_else(|| (hidden(seq), true));
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
