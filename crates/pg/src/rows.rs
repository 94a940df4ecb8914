//! Records as rows: each `Change` becomes the inserts, updates and deletes
//! of its table (the same records the sled store writes), in the command's
//! transaction: prepared once per connection and run one by one, copied
//! (a restore), or written into the command's script (`literal`).

use std::collections::{BTreeSet, HashMap};

use postgres::types::{Json, ToSql};
use postgres::{GenericClient, Statement, Transaction};
use serde::Serialize;

use crate::PgError;
use crate::literal::{Arg, Named, substitute};
use rapport_core::domain::*;
use rapport_core::model::{Change, Counters, Model};

type Param<'a> = &'a dyn Arg;

/// The statements a `Rows` prepared, by name (a copy or a restore runs
/// each many times; a command's script has `literal::Named` instead).
pub(crate) type Prepared = HashMap<&'static str, Statement>;

/// A transaction's writes, with its prepared statements.
pub(crate) struct Rows<'t, C: GenericClient> {
    pub(crate) tx: &'t mut C,
    prepared: Prepared,
    /// Bulk mode (a restore into empty tables): inserts are copied.
    bulk: Option<Pending>,
    bulk_mode: bool,
    /// Script mode (a command): the statements as text, sent at the end
    /// with the COMMIT (and on the way when it grows past `SCRIPT_SENT`),
    /// with the connection's statements prepared by name.
    script: Option<(String, &'t mut Named)>,
}

/// A script this long is sent before the command's end (an import's).
const SCRIPT_SENT: usize = 4 << 20;

/// A table written by upsert: its name, key columns and other columns,
/// in the order of the statement's parameters.
type Spec = (&'static str, &'static [&'static str], &'static [&'static str]);

/// The upserts, by statement name.
fn spec(name: &str) -> Option<Spec> {
    Some(match name {
        "meta" => ("rapport_meta", &["key"], &["record"]),
        "manager" => ("managers", &["id"], &["login", "name", "role", "record"]),
        "segment" => ("segments", &["id"], &["code", "name", "record"]),
        "product" => ("products", &["id"], &["code", "name", "line", "record"]),
        "portrait" => ("portrait", &["segment", "product"], &["record"]),
        "client" => (
            "clients",
            &["id"],
            &["reference", "name", "segment", "manager", "created", "record"],
        ),
        "person" => (
            "persons",
            &["client", "id"],
            &["name", "role", "phone", "email", "record"],
        ),
        "settlement" => (
            "settlements",
            &["client", "id"],
            &["date", "amount_cents", "product", "doc", "record"],
        ),
        "aggregate" => ("aggregates", &["client"], &["data"]),
        "offer" => (
            "offers",
            &["client", "product"],
            &["stage", "stage_date", "next_step", "record"],
        ),
        "contact" => (
            "contacts",
            &["client", "id"],
            &["at", "channel", "who", "summary", "next_contact", "record"],
        ),
        "task" => ("tasks", &["client", "id"], &["due", "done", "text", "record"]),
        "survey" => ("surveys", &["client", "id"], &["product", "date", "record"]),
        "ticket" => (
            "tickets",
            &["id"],
            &["client", "product", "opened", "stage", "owner", "record"],
        ),
        "mark" => ("queue_marks", &["key"], &["client", "due", "record"]),
        "questionnaire" => ("questionnaires", &["product"], &["record"]),
        "archive" => ("archive", &["key"], &["client", "archived_on", "record"]),
        "template" => ("templates", &["kind"], &["record"]),
        "sales" => ("sales", &["key"], &["kind", "client", "record"]),
        "event" => ("events", &["seq"], &["login", "at", "summary", "clients", "logged"]),
        _ => return None,
    })
}

/// The sql of an upsert into `table` keyed by `keys`.
fn upsert((table, keys, cols): Spec) -> String {
    let all: Vec<&str> = keys.iter().chain(cols).copied().collect();
    let params: Vec<String> = (1..=all.len()).map(|i| format!("${i}")).collect();
    let set: Vec<String> = cols.iter().map(|c| format!("{c} = EXCLUDED.{c}")).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}",
        all.join(", "),
        params.join(", "),
        keys.join(", "),
        set.join(", ")
    )
}

/// The sql of a plain insert into `table`.
fn insert((table, keys, cols): Spec) -> String {
    let all: Vec<&str> = keys.iter().chain(cols).copied().collect();
    let params: Vec<String> = (1..=all.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        all.join(", "),
        params.join(", ")
    )
}

/// One statement per table and operation, built once.
fn sql(name: &'static str) -> String {
    // The log is appended to, never rewritten (users may only insert).
    if let Some(spec @ ("events", _, _)) = spec(name) {
        return insert(spec);
    }
    if let Some(spec) = spec(name) {
        return upsert(spec);
    }
    match name {
        "portrait-" => "DELETE FROM portrait WHERE segment = $1 AND product = $2".into(),
        "person-" => "DELETE FROM persons WHERE client = $1 AND id = $2".into(),
        "settlement-" => "DELETE FROM settlements WHERE client = $1 AND id = $2".into(),
        "offer-" => "DELETE FROM offers WHERE client = $1 AND product = $2".into(),
        "contact-" => "DELETE FROM contacts WHERE client = $1 AND id = $2".into(),
        "task-" => "DELETE FROM tasks WHERE client = $1 AND id = $2".into(),
        "survey-" => "DELETE FROM surveys WHERE client = $1 AND id = $2".into(),
        "ticket-" => "DELETE FROM tickets WHERE id = $1".into(),
        "mark-" => "DELETE FROM queue_marks WHERE key = $1".into(),
        "archive-" => "DELETE FROM archive WHERE key = $1".into(),
        "sales-" => "DELETE FROM sales WHERE key = $1".into(),
        // A command's end in one round trip: the counters, its event, its
        // changes and the notification (sent at commit). The event_changes
        // key on events is deferred, so the order of the parts is free.
        "command_end" => "WITH counters AS (INSERT INTO rapport_meta (key, record) VALUES ('counters', $7) \
                                           ON CONFLICT (key) DO UPDATE SET record = EXCLUDED.record), \
                               event AS (INSERT INTO events (seq, login, at, summary, clients, logged) \
                                         VALUES ($1, $2, $3, $4, $5, $6)), \
                               changes AS (INSERT INTO event_changes (seq, n, client, change) \
                                           SELECT $1, n, client, change \
                                           FROM unnest($8::integer[], $9::integer[], $10::jsonb[]) \
                                           AS u(n, client, change)) \
                          SELECT pg_notify($11, $12)"
            .into(),
        other => format!("-- unknown statement {other}"),
    }
}

/// Rows waiting to be copied into one table (a restore's bulk mode): each
/// parameter already in PostgreSQL's binary form.
struct Pending {
    name: &'static str,
    types: Vec<postgres::types::Type>,
    rows: Vec<Vec<Option<Vec<u8>>>>,
}

/// Rows copied per COPY: bounds a restore's memory.
const BULK_ROWS: usize = 10_000;

/// A value already encoded for its column (see `Pending`).
#[derive(Debug)]
struct Encoded<'a>(Option<&'a [u8]>);

impl ToSql for Encoded<'_> {
    fn to_sql(
        &self,
        _ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Some(bytes) => {
                out.extend_from_slice(bytes);
                Ok(postgres::types::IsNull::No)
            }
            None => Ok(postgres::types::IsNull::Yes),
        }
    }

    fn accepts(_ty: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// The tables that hold a client's records (by a `client` column), which
/// a purge empties (its tickets go by the ids the purge lists).
const CLIENT_TABLES: [&str; 7] = [
    "persons",
    "settlements",
    "aggregates",
    "offers",
    "contacts",
    "tasks",
    "surveys",
];

/// The parameters as the prepared path binds them.
fn values<'a>(params: &[Param<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    params.iter().map(|p| *p as &(dyn ToSql + Sync)).collect()
}

pub(crate) fn i32_of(id: u32) -> Result<i32, PgError> {
    i32::try_from(id).map_err(|_| PgError::Schema(format!("id {id} is too large for an integer column")))
}

pub(crate) fn i64_of(id: u64) -> Result<i64, PgError> {
    i64::try_from(id).map_err(|_| PgError::Schema(format!("id {id} is too large for a bigint column")))
}

fn json<T: Serialize>(value: &T) -> Result<serde_json::Value, PgError> {
    serde_json::to_value(value).map_err(|e| PgError::Schema(format!("cannot write a record as JSON: {e}")))
}

impl<'t, C: GenericClient> Rows<'t, C> {
    pub(crate) fn new(tx: &'t mut C) -> Self {
        Rows {
            tx,
            prepared: HashMap::new(),
            bulk: None,
            bulk_mode: false,
            script: None,
        }
    }

    /// For a restore into empty tables: rows are sent with COPY, in
    /// batches (call `flush` before the transaction commits).
    pub(crate) fn bulk(tx: &'t mut C) -> Self {
        let mut rows = Rows::new(tx);
        rows.bulk_mode = true;
        rows
    }

    /// For a command, in a transaction `tx` began: the statements are
    /// written as text, to be sent with what ends it (`into_script`).
    pub(crate) fn script(tx: &'t mut C, named: &'t mut Named) -> Self {
        let mut rows = Rows::new(tx);
        rows.script = Some((String::new(), named));
        rows
    }

    /// The statements not yet sent (script mode).
    pub(crate) fn into_script(self) -> String {
        self.script.map(|(text, _)| text).unwrap_or_default()
    }

    fn statement(&mut self, name: &'static str) -> Result<Statement, PgError> {
        Ok(match self.prepared.get(name) {
            Some(s) => s.clone(),
            None => {
                let s = self.tx.prepare(&sql(name))?;
                self.prepared.insert(name, s.clone());
                s
            }
        })
    }

    fn run(&mut self, name: &'static str, params: &[Param<'_>]) -> Result<(), PgError> {
        // rapport_meta holds the migration's first records: upserted.
        if self.bulk_mode && name != "meta" && spec(name).is_some() {
            return self.buffer(name, params);
        }
        if let Some((text, named)) = self.script.as_mut() {
            named.call(name, || sql(name), params, text)?;
            return self.end_statement();
        }
        self.flush()?;
        let statement = self.statement(name)?;
        self.tx.execute(&statement, &values(params))?;
        Ok(())
    }

    /// A statement not worth preparing (a purge's), run or written now.
    fn run_text(&mut self, sql: &str, params: &[Param<'_>]) -> Result<(), PgError> {
        if let Some((text, _)) = self.script.as_mut() {
            substitute(sql, params, text)?;
            return self.end_statement();
        }
        self.flush()?;
        self.tx.execute(sql, &values(params))?;
        Ok(())
    }

    /// Script mode, after a statement: sends what a large command wrote
    /// so far, so that its text stays bounded.
    fn end_statement(&mut self) -> Result<(), PgError> {
        let Some((script, _)) = self.script.as_mut() else {
            return Ok(());
        };
        script.push_str(";\n");
        if script.len() >= SCRIPT_SENT {
            let text = std::mem::take(script);
            self.tx.batch_execute(&text)?;
        }
        Ok(())
    }

    /// Bulk mode: encodes the row now (with the types of the table's
    /// upsert statement), to copy it with the others of its table.
    fn buffer(&mut self, name: &'static str, params: &[Param<'_>]) -> Result<(), PgError> {
        if self
            .bulk
            .as_ref()
            .is_some_and(|p| p.name != name || p.rows.len() >= BULK_ROWS)
        {
            self.flush()?;
        }
        if self.bulk.is_none() {
            let types = self.statement(name)?.params().to_vec();
            self.bulk = Some(Pending {
                name,
                types,
                rows: Vec::new(),
            });
        }
        let Some(pending) = self.bulk.as_mut() else {
            return Ok(());
        };
        let mut row = Vec::with_capacity(params.len());
        for (param, ty) in params.iter().zip(&pending.types) {
            let mut bytes = postgres::types::private::BytesMut::new();
            let encoded = param
                .to_sql_checked(ty, &mut bytes)
                .map_err(|e| PgError::Schema(format!("cannot encode a {name} for copying: {e}")))?;
            row.push(match encoded {
                postgres::types::IsNull::Yes => None,
                postgres::types::IsNull::No => Some(bytes.to_vec()),
            });
        }
        pending.rows.push(row);
        Ok(())
    }

    /// Copies the rows waiting in bulk mode.
    pub(crate) fn flush(&mut self) -> Result<(), PgError> {
        let Some(pending) = self.bulk.take() else {
            return Ok(());
        };
        let Some((table, keys, cols)) = spec(pending.name) else {
            return Ok(());
        };
        let columns: Vec<&str> = keys.iter().chain(cols).copied().collect();
        let sink = self
            .tx
            .copy_in(&format!("COPY {table} ({}) FROM STDIN BINARY", columns.join(", ")))?;
        let mut writer = postgres::binary_copy::BinaryCopyInWriter::new(sink, &pending.types);
        for row in &pending.rows {
            let values: Vec<Encoded<'_>> = row.iter().map(|v| Encoded(v.as_deref())).collect();
            let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
            writer.write(&refs)?;
        }
        writer.finish()?;
        Ok(())
    }

    pub(crate) fn meta<T: Serialize + std::fmt::Debug + Sync>(&mut self, key: &str, record: &T) -> Result<(), PgError> {
        self.run("meta", &[&key, &Json(record)])
    }

    pub(crate) fn settlement(&mut self, s: &Settlement) -> Result<(), PgError> {
        let product = s.product.map(|p| i32_of(p.0)).transpose()?;
        self.run(
            "settlement",
            &[
                &i32_of(s.client.0)?,
                &i64_of(s.id.0)?,
                &s.date,
                &s.amount.0,
                &product,
                &s.doc,
                &Json(s),
            ],
        )
    }

    pub(crate) fn contact(&mut self, c: &ContactEntry) -> Result<(), PgError> {
        self.run(
            "contact",
            &[
                &i32_of(c.client.0)?,
                &i64_of(c.id.0)?,
                &c.at,
                &c.channel.as_str(),
                &c.who.as_str(),
                &c.summary,
                &c.next_contact,
                &Json(c),
            ],
        )
    }

    pub(crate) fn manager(&mut self, m: &Manager) -> Result<(), PgError> {
        self.run(
            "manager",
            &[&i32_of(m.id.0)?, &m.login, &m.name, &m.role.as_str(), &Json(m)],
        )
    }

    pub(crate) fn segment(&mut self, s: &Segment) -> Result<(), PgError> {
        self.run("segment", &[&i32_of(s.id.0)?, &s.code, &s.name, &Json(s)])
    }

    pub(crate) fn product(&mut self, p: &Product) -> Result<(), PgError> {
        self.run("product", &[&i32_of(p.id.0)?, &p.code, &p.name, &p.line, &Json(p)])
    }

    pub(crate) fn portrait(&mut self, e: &PortraitEntry) -> Result<(), PgError> {
        self.run("portrait", &[&i32_of(e.segment.0)?, &i32_of(e.product.0)?, &Json(e)])
    }

    pub(crate) fn client(&mut self, c: &Client) -> Result<(), PgError> {
        let segment = c.segment.map(|s| i32_of(s.0)).transpose()?;
        let manager = c.manager.map(|m| i32_of(m.0)).transpose()?;
        self.run(
            "client",
            &[
                &i32_of(c.id.0)?,
                &c.reference,
                &c.name,
                &segment,
                &manager,
                &c.created,
                &Json(c),
            ],
        )
    }

    pub(crate) fn person(&mut self, p: &ContactPerson) -> Result<(), PgError> {
        self.run(
            "person",
            &[
                &i32_of(p.client.0)?,
                &i64_of(p.id.0)?,
                &p.name,
                &p.role,
                &p.phone,
                &p.email,
                &Json(p),
            ],
        )
    }

    pub(crate) fn offer(&mut self, o: &Offer) -> Result<(), PgError> {
        self.run(
            "offer",
            &[
                &i32_of(o.client.0)?,
                &i32_of(o.product.0)?,
                &o.stage.as_str(),
                &o.stage_date,
                &o.next_step,
                &Json(o),
            ],
        )
    }

    pub(crate) fn task(&mut self, t: &Task) -> Result<(), PgError> {
        self.run(
            "task",
            &[
                &i32_of(t.client.0)?,
                &i64_of(t.id.0)?,
                &t.due,
                &t.done,
                &t.text,
                &Json(t),
            ],
        )
    }

    pub(crate) fn survey(&mut self, s: &Survey) -> Result<(), PgError> {
        self.run(
            "survey",
            &[
                &i32_of(s.client.0)?,
                &i64_of(s.id.0)?,
                &i32_of(s.product.0)?,
                &s.date,
                &Json(s),
            ],
        )
    }

    pub(crate) fn ticket(&mut self, t: &Ticket) -> Result<(), PgError> {
        let product = t.product.map(|p| i32_of(p.0)).transpose()?;
        let owner = t.owner.map(|m| i32_of(m.0)).transpose()?;
        self.run(
            "ticket",
            &[
                &i64_of(t.id.0)?,
                &i32_of(t.client.0)?,
                &product,
                &t.opened,
                &t.stage.as_str(),
                &owner,
                &Json(t),
            ],
        )
    }

    /// `client`: the one the marked item is about, if any.
    pub(crate) fn mark(&mut self, m: &QueueMark, client: Option<ClientId>) -> Result<(), PgError> {
        let client = client.map(|c| i32_of(c.0)).transpose()?;
        self.run("mark", &[&m.key, &client, &m.due, &Json(m)])
    }

    pub(crate) fn questionnaire(&mut self, q: &Questionnaire) -> Result<(), PgError> {
        self.run("questionnaire", &[&i32_of(q.product.0)?, &Json(q)])
    }

    pub(crate) fn archival(&mut self, a: &Archival) -> Result<(), PgError> {
        self.run(
            "archive",
            &[&json(&a.key)?, &i32_of(a.key.client().0)?, &a.on, &Json(a)],
        )
    }

    pub(crate) fn template(&mut self, t: &rapport_core::templates::Template) -> Result<(), PgError> {
        self.run("template", &[&t.kind.as_str(), &Json(t)])
    }

    /// `client`: the one the record is about (none for the setup, views).
    pub(crate) fn sales(&mut self, r: &SalesRecord, client: Option<ClientId>) -> Result<(), PgError> {
        let kind = match r {
            SalesRecord::Document(_) => "document",
            SalesRecord::Terms(_) => "terms",
            SalesRecord::Acquisition(_) => "acquisition",
            SalesRecord::Setup(_) => "setup",
            SalesRecord::View(_) => "view",
        };
        let client = client.map(|c| i32_of(c.0)).transpose()?;
        self.run("sales", &[&json(&r.key())?, &kind, &client, &Json(r)])
    }

    pub(crate) fn aggregate(
        &mut self,
        client: ClientId,
        a: &rapport_core::model::ClientAggregate,
    ) -> Result<(), PgError> {
        let data = rapport_store::codec::encode(a)
            .map_err(|e| PgError::Schema(format!("cannot encode client {}'s aggregates: {e}", client.0)))?;
        self.run("aggregate", &[&i32_of(client.0)?, &data])
    }

    /// The end of command `a`, in one statement: the counters, its event
    /// (as `event`) and the notification on `channel`.
    pub(crate) fn command_end(
        &mut self,
        a: &AuditEntry,
        changes: Option<&[Change]>,
        model: &Model,
        channel: &str,
    ) -> Result<(), PgError> {
        let (clients, of_change) = event_clients(changes, model)?;
        let seq = i64_of(a.seq)?;
        let logged = changes.unwrap_or_default();
        let n: Vec<i32> = (0..logged.len()).map(|i| i as i32).collect();
        let rows: Vec<Json<&Change>> = logged.iter().map(Json).collect();
        let notice = a.seq.to_string();
        self.run(
            "command_end",
            &[
                &seq,
                &a.who,
                &a.at,
                &a.summary,
                &clients,
                &changes.is_some(),
                &Json(&model.counters),
                &n,
                &of_change,
                &rows,
                &channel,
                &notice,
            ],
        )
    }

    /// An audit line restored from a backup: the command is not replayable.
    pub(crate) fn audit(&mut self, a: &AuditEntry) -> Result<(), PgError> {
        let none: Vec<i32> = Vec::new();
        self.run("event", &[&i64_of(a.seq)?, &a.who, &a.at, &a.summary, &none, &false])
    }

    /// Writes one command's changes, then the aggregates of the clients
    /// they touched (as `model`, which has applied them, holds them).
    pub(crate) fn changes(&mut self, changes: &[Change], seq: u64, model: &Model) -> Result<(), PgError> {
        let mut dirty = BTreeSet::new();
        for change in changes {
            self.change(change, seq, model, &mut dirty)?;
        }
        for client in dirty {
            // An archived client's aggregate waits with it in the trash.
            let trashed = || model.trash.clients.get(&client).map(|t| &t.aggregate);
            if let Some(agg) = model.aggregates.get(&client).or_else(trashed) {
                self.aggregate(client, agg)?;
            }
        }
        Ok(())
    }

    fn change(
        &mut self,
        change: &Change,
        seq: u64,
        model: &Model,
        dirty: &mut BTreeSet<ClientId>,
    ) -> Result<(), PgError> {
        match change {
            Change::Settings(s) => self.meta("settings", s)?,
            Change::Manager(m) => self.manager(m)?,
            Change::Segment(s) => self.segment(s)?,
            Change::Product(p) => self.product(p)?,
            Change::Portrait {
                segment,
                product,
                target,
            } => {
                if *target {
                    self.portrait(&PortraitEntry {
                        segment: *segment,
                        product: *product,
                        seq,
                    })?;
                } else {
                    self.run("portrait-", &[&i32_of(segment.0)?, &i32_of(product.0)?])?;
                }
            }
            Change::Client(c) => {
                self.client(c)?;
                dirty.insert(c.id);
            }
            Change::Person(p) => self.person(p)?,
            Change::Settlement { old, new } => {
                if let Some(old) = old {
                    self.run("settlement-", &[&i32_of(old.client.0)?, &i64_of(old.id.0)?])?;
                    dirty.insert(old.client);
                }
                if let Some(new) = new {
                    self.settlement(new)?;
                    dirty.insert(new.client);
                }
            }
            Change::Offer(o) => self.offer(o)?,
            Change::Contact(c) => {
                self.contact(c)?;
                dirty.insert(c.client);
            }
            Change::Task(t) => self.task(t)?,
            Change::Survey(s) => self.survey(s)?,
            Change::Ticket(t) => self.ticket(t)?,
            Change::Questionnaire(q) => self.questionnaire(q)?,
            Change::Mark { key, mark } => match mark {
                Some(m) => self.mark(m, model.client_of(change))?,
                None => self.run("mark-", &[key])?,
            },
            Change::Archive { key, archival } => match archival {
                Some(a) => self.archival(a)?,
                None => self.run("archive-", &[&json(key)?])?,
            },
            Change::Purge { key, tickets, marks } => match *key {
                Archivable::Client(c) => {
                    let id = i32_of(c.0)?;
                    for table in CLIENT_TABLES {
                        self.run_text(&format!("DELETE FROM {table} WHERE client = $1"), &[&id])?;
                    }
                    self.run_text("DELETE FROM archive WHERE client = $1", &[&id])?;
                    self.run_text("DELETE FROM clients WHERE id = $1", &[&id])?;
                    for t in tickets {
                        self.run("ticket-", &[&i64_of(t.0)?])?;
                    }
                    for m in marks {
                        self.run("mark-", &[m])?;
                    }
                }
                Archivable::Person(c, p) => {
                    self.run("person-", &[&i32_of(c.0)?, &i64_of(p.0)?])?;
                    self.run("archive-", &[&json(key)?])?;
                }
            },
            Change::ContactRewritten { old, new, .. } => {
                match new {
                    Some(n) => self.contact(n)?,
                    None => self.run("contact-", &[&i32_of(old.client.0)?, &i64_of(old.id.0)?])?,
                }
                dirty.insert(old.client);
            }
            Change::TaskRemoved(t) => self.run("task-", &[&i32_of(t.client.0)?, &i64_of(t.id.0)?])?,
            Change::SurveyRemoved(s) => self.run("survey-", &[&i32_of(s.client.0)?, &i64_of(s.id.0)?])?,
            Change::Template(t) => self.template(t)?,
            Change::Sales { key, record } => match record {
                Some(r) => self.sales(r, model.client_of(change))?,
                None => self.run("sales-", &[&json(key)?])?,
            },
            Change::PersonRemoved(p) => self.run("person-", &[&i32_of(p.client.0)?, &i64_of(p.id.0)?])?,
            Change::OfferRemoved(o) => self.run("offer-", &[&i32_of(o.client.0)?, &i32_of(o.product.0)?])?,
            // Kept in the change log only (for the merge's undo).
            Change::Merge(_) | Change::OfferWas { .. } => {}
        }
        Ok(())
    }
}

/// When the database was created (the `info` record).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Info {
    pub app: String,
    pub created: chrono::NaiveDateTime,
}

/// A new database's first records: when it was made, the default
/// settings, the counters at zero.
pub(crate) fn initialise(tx: &mut Transaction<'_>) -> Result<(), PgError> {
    let mut rows = Rows::new(tx);
    rows.meta(
        "info",
        &Info {
            app: "rapport".into(),
            created: chrono::Utc::now().naive_utc(),
        },
    )?;
    rows.meta("settings", &Settings::default())?;
    rows.meta("counters", &Counters::default())?;
    Ok(())
}

/// The clients an event changed (sorted, once each) and each change's
/// client, as `model` names them: who may read them.
fn event_clients(changes: Option<&[Change]>, model: &Model) -> Result<(Vec<i32>, Vec<Option<i32>>), PgError> {
    let client_of = |c: &Change| match c {
        Change::Settlement { old: Some(old), .. } => Some(old.client),
        other => model.client_of(other),
    };
    let mut clients: Vec<i32> = Vec::new();
    let mut of_change: Vec<Option<i32>> = Vec::new();
    for c in changes.unwrap_or_default() {
        let client = client_of(c).map(|c| i32_of(c.0)).transpose()?;
        if let Some(id) = client
            && !clients.contains(&id)
        {
            clients.push(id);
        }
        of_change.push(client);
    }
    clients.sort_unstable();
    Ok((clients, of_change))
}
