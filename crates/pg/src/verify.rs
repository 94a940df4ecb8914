//! `rapport verify` on PostgreSQL: from one snapshot of the database,
//! every record decoded, the audit trail whole, no id beyond its counter,
//! the stored aggregates equal to a rebuild from the settlements and
//! contacts, and this session's model equal to the records'.

use std::collections::BTreeMap;

use postgres::Transaction;

use rapport_core::backend::VerifyReport;
use rapport_core::domain::*;
use rapport_core::model::{Change, ClientAggregate, Model};

use crate::{PgError, PgStore, load};

/// Every table and the id column its counter covers.
const TABLES: [(&str, Option<&str>); 22] = [
    ("rapport_meta", None),
    ("managers", Some("manager")),
    ("segments", Some("segment")),
    ("products", Some("product")),
    ("portrait", None),
    ("clients", Some("client")),
    ("persons", Some("person")),
    ("settlements", Some("settlement")),
    ("aggregates", None),
    ("offers", None),
    ("contacts", Some("contact")),
    ("tasks", Some("task")),
    ("surveys", Some("survey")),
    ("tickets", Some("ticket")),
    ("queue_marks", None),
    ("questionnaires", None),
    ("archive", None),
    ("templates", None),
    ("sales", None),
    ("events", None),
    ("rapport_schema", None),
    ("rapport_snapshot", None),
];

impl PgStore {
    pub(crate) fn verify_report(&mut self) -> VerifyReport {
        let mut report = VerifyReport::default();
        // What the model must equal: the database now, with what others
        // wrote since this session last looked.
        if let Err(e) = self.catch_up_now() {
            report.problem(e.to_string());
            return report;
        }
        // Every record decoded, by the backup's reader of the tables.
        if let Err(e) = self.write_backup(&mut std::io::sink(), chrono::Utc::now().naive_utc()) {
            report.problem(e.to_string());
        }
        let model = self.model.clone();
        let result = self.client().and_then(|client| {
            let mut tx = client
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            check(&mut tx, &model, &mut report)?;
            tx.commit()?;
            Ok(())
        });
        if let Err(e) = result {
            report.problem(e.to_string());
        }
        report
    }
}

fn count(tx: &mut Transaction<'_>, sql: &str) -> Result<i64, PgError> {
    let n: Option<i64> = tx.query_one(sql, &[])?.try_get(0)?;
    Ok(n.unwrap_or(0))
}

fn check(tx: &mut Transaction<'_>, model: &Model, report: &mut VerifyReport) -> Result<(), PgError> {
    let counters = load::counters(tx)?;
    let handed_out: BTreeMap<&str, u64> = [
        ("manager", u64::from(counters.manager)),
        ("segment", u64::from(counters.segment)),
        ("product", u64::from(counters.product)),
        ("client", u64::from(counters.client)),
        ("person", counters.person),
        ("settlement", counters.settlement),
        ("contact", counters.contact),
        ("task", counters.task),
        ("survey", counters.survey),
        ("ticket", counters.ticket),
    ]
    .into();
    for (table, counter) in TABLES {
        let n = count(tx, &format!("SELECT count(*) FROM {table}"))?;
        report
            .records
            .insert(table.to_string(), u64::try_from(n).unwrap_or_default());
        if let Some(counter) = counter {
            let max = count(tx, &format!("SELECT max(id)::bigint FROM {table}"))?;
            let stored = handed_out.get(counter).copied().unwrap_or_default();
            if u64::try_from(max).unwrap_or_default() > stored {
                report.problem(format!("a {counter} has id {max}, beyond the counter ({stored})"));
            }
        }
    }
    // The audit trail: one event per command, 1..=seq, none missing (a
    // role that sees some clients only sees some commands).
    let sees_all: bool = tx.query_one("SELECT rapport_sees_all()", &[])?.try_get(0)?;
    let events = count(tx, "SELECT count(*) FROM events")?;
    let last = count(tx, "SELECT max(seq) FROM events")?;
    let whole = u64::try_from(events).unwrap_or_default() == counters.seq
        && u64::try_from(last).unwrap_or_default() == counters.seq;
    if sees_all && !whole {
        report.problem(format!(
            "the events table has {events} events up to {last} for {} commands",
            counters.seq
        ));
    }
    // Aggregates: as stored, and as a rebuild from the records gives.
    let mut rebuilt = Model::default();
    for c in load::records::<Client>(tx, "clients", "id")? {
        rebuilt.apply_owned(Change::Client(c));
    }
    for s in load::records::<Settlement>(tx, "settlements", "client, id")? {
        rebuilt.apply_owned(Change::Settlement {
            old: None,
            new: Some(s),
        });
    }
    for c in load::records::<ContactEntry>(tx, "contacts", "client, id")? {
        rebuilt.apply_owned(Change::Contact(c));
    }
    let stored: BTreeMap<ClientId, ClientAggregate> = load::aggregates(tx)?.into_iter().collect();
    for (client, agg) in &rebuilt.aggregates {
        if stored.get(client) != Some(agg) {
            report.problem(format!(
                "the stored aggregates of client {} differ from a rebuild from its settlements and contacts",
                client.0
            ));
        }
    }
    for client in stored.keys() {
        if !rebuilt.aggregates.contains_key(client) {
            report.problem(format!("aggregates stored for client {}, who has no records", client.0));
        }
    }
    // This session's model must be the records'.
    let records = load::model(tx)?;
    if &records != model {
        report.problem(
            "this session's model differs from the records (run `rapport verify` again; if it persists, report it)"
                .into(),
        );
    }
    // The stored model snapshot (when this role reads it) and the events
    // since must give the records' model too; one that cannot be used is
    // passed over by every session, but said here.
    if count(tx, "SELECT count(*) FROM rapport_snapshot")? > 0 {
        let created = load::created(tx)?;
        match crate::snapshot::load(tx, created)? {
            Some(mut start) => {
                crate::catchup::catch_up(tx, &mut start, &mut Vec::new())?;
                if start != records {
                    report.problem(
                        "the stored model snapshot and the events since differ from the records: a lead deletes \
                         it (DELETE FROM rapport_snapshot) and the next session of a lead writes a new one"
                            .into(),
                    );
                }
            }
            None => report.problem(
                "the stored model snapshot cannot be used (damaged, of another database, or ahead of the events): \
                 sessions read every table instead until a lead's session replaces it"
                    .into(),
            ),
        }
    }
    Ok(())
}
