//! The model snapshot in the database (schema 4): the whole model in the
//! store's binary form as of an event, so that a session that sees every
//! client starts by reading one row and the events since, instead of
//! every table. A cache: the tables and `events` stay the truth, and a
//! snapshot that does not decode, is of another database or is ahead of
//! the events is passed over.

use chrono::NaiveDateTime;
use postgres::GenericClient;
use postgres::types::Type;

use crate::{PgError, PgStore, load, rows::i64_of};
use rapport_core::model::Model;
use rapport_store::codec;

/// How many events a stored snapshot may be behind before a closing
/// session (or a stopping server) writes a new one: catching up that many
/// costs a start-up little, writing one costs a second at 100,000 clients.
pub const BEHIND: u64 = 200;

/// The stored snapshot as this role may use it: `None` when it may not
/// read it (it does not see every client), there is none, or it is not a
/// good start for this database as it is now.
pub(crate) fn load(c: &mut impl GenericClient, created: NaiveDateTime) -> Result<Option<Model>, PgError> {
    let Some(row) = c.query_opt("SELECT data FROM rapport_snapshot", &[])? else {
        return Ok(None);
    };
    let bytes: &[u8] = row.try_get(0)?;
    let Ok(snapshot) = codec::decode_snapshot(bytes) else {
        return Ok(None);
    };
    let now = load::counters(c)?.seq;
    let usable = snapshot.created == created && snapshot.seq == snapshot.model.counters.seq && snapshot.seq <= now;
    Ok(usable.then_some(snapshot.model))
}

impl PgStore {
    /// Writes this session's model as the database's snapshot when it may
    /// (a lead's role or the owner's: its model is whole), the model is
    /// current, and the stored one is `BEHIND` events behind or missing.
    /// Returns whether it wrote. A newer stored snapshot is never replaced.
    pub fn save_snapshot(&mut self) -> Result<bool, PgError> {
        if self.replica || self.stale {
            return Ok(false);
        }
        let seq = self.model.counters.seq;
        let row = self
            .client()?
            .query_one("SELECT rapport_is_lead(), (SELECT seq FROM rapport_snapshot)", &[])?;
        let lead: bool = row.try_get(0)?;
        let stored: Option<i64> = row.try_get(1)?;
        let recent = stored.is_some_and(|s| u64::try_from(s).unwrap_or(0).saturating_add(BEHIND) > seq);
        if !lead || recent {
            return Ok(false);
        }
        let bytes = codec::encode_snapshot(&codec::SnapshotRef {
            created: self.created,
            seq,
            model: &self.model,
        })
        .map_err(|e| PgError::Schema(format!("cannot encode the model snapshot: {e}")))?;
        let seq = i64_of(seq)?;
        self.client()?.execute_typed(
            "INSERT INTO rapport_snapshot (seq, data) VALUES ($1, $2) \
             ON CONFLICT (only_row) DO UPDATE SET seq = EXCLUDED.seq, data = EXCLUDED.data, written = now() \
             WHERE rapport_snapshot.seq < EXCLUDED.seq",
            &[(&seq, Type::INT8), (&bytes.as_slice(), Type::BYTEA)],
        )?;
        Ok(true)
    }
}
