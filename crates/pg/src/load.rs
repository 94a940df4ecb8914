//! Reading the model from the tables at connect time (and again after a
//! command too large for the change log): the same records, in the same
//! order, as the sled store reads from its trees.

use postgres::GenericClient;
use postgres::types::Json;
use serde::de::DeserializeOwned;

use crate::PgError;
use crate::rows::Info;
use rapport_core::domain::*;
use rapport_core::model::{Change, ClientAggregate, Counters, Model};

/// Every `record` of `table` in `order`, decoded; a record that does not
/// decode is an error that names its table, never a panic.
pub(crate) fn records<R: DeserializeOwned>(
    c: &mut impl GenericClient,
    table: &str,
    order: &str,
) -> Result<Vec<R>, PgError> {
    let rows = c.query(&format!("SELECT record FROM {table} ORDER BY {order}"), &[])?;
    decoded(&rows, table)
}

/// The records of one client in `table`, by id.
pub(crate) fn of_client<R: DeserializeOwned>(
    c: &mut impl GenericClient,
    table: &str,
    client: ClientId,
) -> Result<Vec<R>, PgError> {
    let rows = c.query(
        &format!("SELECT record FROM {table} WHERE client = $1 ORDER BY id"),
        &[&crate::rows::i32_of(client.0)?],
    )?;
    decoded(&rows, table)
}

/// The `record` column (the first) of `rows` of `table`, decoded.
fn decoded<R: DeserializeOwned>(rows: &[postgres::Row], table: &str) -> Result<Vec<R>, PgError> {
    rows.iter()
        .map(|row| {
            row.try_get::<_, Json<R>>(0)
                .map(|Json(r)| r)
                .map_err(|e| PgError::Corrupt {
                    table: table.to_string(),
                    error: e.to_string(),
                })
        })
        .collect()
}

/// One record of `rapport_meta`.
pub(crate) fn meta<R: DeserializeOwned>(c: &mut impl GenericClient, key: &str) -> Result<R, PgError> {
    let row = c
        .query_typed_opt(
            "SELECT record FROM rapport_meta WHERE key = $1",
            &[(&key, postgres::types::Type::TEXT)],
        )?
        .ok_or_else(|| PgError::Corrupt {
            table: "rapport_meta".into(),
            error: format!("the '{key}' record is missing"),
        })?;
    row.try_get::<_, Json<R>>(0)
        .map(|Json(r)| r)
        .map_err(|e| PgError::Corrupt {
            table: "rapport_meta".into(),
            error: format!("'{key}': {e}"),
        })
}

/// The stored per-client aggregates.
pub(crate) fn aggregates(c: &mut impl GenericClient) -> Result<Vec<(ClientId, ClientAggregate)>, PgError> {
    let corrupt = |error: String| PgError::Corrupt {
        table: "aggregates".into(),
        error,
    };
    let mut out = Vec::new();
    for row in c.query("SELECT client, data FROM aggregates ORDER BY client", &[])? {
        let client: i32 = row.try_get(0).map_err(|e| corrupt(e.to_string()))?;
        let data: &[u8] = row.try_get(1).map_err(|e| corrupt(e.to_string()))?;
        let agg: ClientAggregate =
            rapport_store::codec::decode(data).map_err(|e| corrupt(format!("client {client}: {e}")))?;
        let id = u32::try_from(client).map_err(|_| corrupt(format!("client id {client} is negative")))?;
        out.push((ClientId(id), agg));
    }
    Ok(out)
}

pub(crate) fn counters(c: &mut impl GenericClient) -> Result<Counters, PgError> {
    meta(c, "counters")
}

pub(crate) fn created(c: &mut impl GenericClient) -> Result<chrono::NaiveDateTime, PgError> {
    Ok(meta::<Info>(c, "info")?.created)
}

/// The whole model. Call inside one transaction that sees one state.
pub(crate) fn model(c: &mut impl GenericClient) -> Result<Model, PgError> {
    let mut model = Model::default();
    model.apply_owned(Change::Settings(meta(c, "settings")?));
    for m in records::<Manager>(c, "managers", "id")? {
        model.apply_owned(Change::Manager(m));
    }
    for s in records::<Segment>(c, "segments", "id")? {
        model.apply_owned(Change::Segment(s));
    }
    for p in records::<Product>(c, "products", "id")? {
        model.apply_owned(Change::Product(p));
    }
    for e in records::<PortraitEntry>(c, "portrait", "segment, product")? {
        model.apply_owned(Change::Portrait {
            segment: e.segment,
            product: e.product,
            target: true,
        });
    }
    for client in records::<Client>(c, "clients", "id")? {
        model.apply_owned(Change::Client(client));
    }
    for p in records::<ContactPerson>(c, "persons", "client, id")? {
        model.apply_owned(Change::Person(p));
    }
    for (client, agg) in aggregates(c)? {
        model.insert_aggregate(client, agg);
    }
    for t in records::<Task>(c, "tasks", "client, id")? {
        model.apply_owned(Change::Task(t));
    }
    for s in records::<Survey>(c, "surveys", "client, id")? {
        model.apply_owned(Change::Survey(s));
    }
    for q in records::<Questionnaire>(c, "questionnaires", "product")? {
        model.apply_owned(Change::Questionnaire(q));
    }
    for t in records::<rapport_core::templates::Template>(c, "templates", "kind")? {
        model.apply_owned(Change::Template(t));
    }
    for r in records::<SalesRecord>(c, "sales", "key")? {
        model.apply_owned(Change::Sales {
            key: r.key(),
            record: Some(r),
        });
    }
    for m in records::<QueueMark>(c, "queue_marks", "key COLLATE \"C\"")? {
        model.apply_owned(Change::Mark {
            key: m.key.clone(),
            mark: Some(m),
        });
    }
    for o in records::<Offer>(c, "offers", "client, product")? {
        model.apply_owned(Change::Offer(o));
    }
    for t in records::<Ticket>(c, "tickets", "id")? {
        model.apply_owned(Change::ticket(t));
    }
    model.load_archivals(records::<Archival>(c, "archive", "client, key")?);
    // Counters last: applying records raised them to the highest id seen;
    // the stored value also remembers ids of records since deleted.
    model.counters = counters(c)?;
    Ok(model)
}
