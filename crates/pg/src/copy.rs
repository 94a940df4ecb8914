//! Filling a new PostgreSQL database from a backup file (`rapport restore`
//! and `rapport copy` into PostgreSQL): the file is proven line by line as
//! it is read (`reader`), and everything is written in one transaction, so
//! a file that fails half-way, or a killed process, leaves the database as
//! it was.

use std::path::Path;

use rapport_core::backend::BackupSummary;
use rapport_core::model::{Change, Model};
use rapport_store::backup::{BackupError, Line, reader::Reader};

use crate::rows::Rows;
use crate::{PgError, load};

/// Why a restore into PostgreSQL failed (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(transparent)]
    Pg(#[from] PgError),
    #[error(transparent)]
    Backup(#[from] BackupError),
    #[error("{0}: the PostgreSQL database already holds data; restore or copy only into a new (migrated) one")]
    NotEmpty(String),
}

impl From<postgres::Error> for RestoreError {
    fn from(e: postgres::Error) -> Self {
        RestoreError::Pg(e.into())
    }
}

/// Restores `file` into the (migrated, empty) database at `url`, calling
/// `progress` with the lines read so far every few thousand lines.
pub fn restore(
    url: &str,
    file: &Path,
    allow_unproven: bool,
    progress: &mut dyn FnMut(u64),
) -> Result<BackupSummary, RestoreError> {
    let input = std::io::BufReader::new(std::fs::File::open(file).map_err(|e| BackupError::Io(file.to_path_buf(), e))?);
    let mut reader = Reader::new(input, &file.display().to_string(), allow_unproven)?;
    let header_seq = reader.header().seq;
    let created = reader.header().db_created;
    let mut client = crate::connect(&crate::config(url)?)?;
    crate::schema::check(&mut client)?;
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&crate::write::WRITE_LOCK])?;
    let counters = load::counters(&mut tx)?;
    let clients: i64 = tx.query_one("SELECT count(*) FROM clients", &[])?.try_get(0)?;
    if counters.seq > 0 || clients > 0 {
        return Err(RestoreError::NotEmpty(url_for_messages(url)));
    }
    // COPY does not go through row-level security: the owner lifts the
    // forcing on its own tables for this transaction (put back below,
    // undone with everything else if the restore fails).
    let owner: Option<bool> = tx
        .query_one(
            "SELECT tableowner = current_user FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'events'",
            &[],
        )?
        .try_get(0)?;
    if owner != Some(true) {
        return Err(RestoreError::Pg(PgError::Denied(
            "only the owner of rapport's tables (who ran `rapport migrate`) restores or copies into them".into(),
        )));
    }
    let forced: Vec<String> = tx
        .query(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relforcerowsecurity",
            &[],
        )?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    for table in &forced {
        tx.batch_execute(&format!("ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY"))?;
    }
    // Checking each copied row's foreign keys one by one costs more than
    // the copy: the keys are dropped and made again once the rows are in
    // (which checks them all at once), within the transaction.
    let keys: Vec<(String, String, String)> = tx
        .query(
            "SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE contype = 'f' AND connamespace = current_schema()::regnamespace",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<_, postgres::Error>>()?;
    for (table, name, _) in &keys {
        tx.batch_execute(&format!("ALTER TABLE {table} DROP CONSTRAINT {}", quoted(name)))?;
    }
    // The aggregates are derived: the model sums the settlements and
    // contacts as they pass, and they are written at the end.
    let mut model = Model::default();
    let mut stored_counters = None;
    let mut rows = Rows::bulk(&mut tx);
    rows.meta(
        "info",
        &crate::rows::Info {
            app: "rapport".into(),
            created,
        },
    )?;
    let mut read = 0u64;
    while let Some((_, line)) = reader.next_line()? {
        // The model learns every record as it passes: the aggregates are
        // its sums, and a mark's or a sales record's client is found in it.
        match line {
            Line::Settings(s) => rows.meta("settings", &s)?,
            Line::Counters(c) => stored_counters = Some(c),
            Line::Manager(m) => rows.manager(&m)?,
            Line::Segment(s) => rows.segment(&s)?,
            Line::Product(p) => rows.product(&p)?,
            Line::Portrait(e) => rows.portrait(&e)?,
            Line::Client(c) => {
                rows.client(&c)?;
                model.apply_owned(Change::Client(c));
            }
            Line::Person(p) => rows.person(&p)?,
            Line::Settlement(s) => {
                rows.settlement(&s)?;
                model.apply_owned(Change::Settlement {
                    old: None,
                    new: Some(s),
                });
            }
            Line::Offer(o) => {
                rows.offer(&o)?;
                model.apply_owned(Change::Offer(o));
            }
            Line::Contact(c) => {
                rows.contact(&c)?;
                model.apply_owned(Change::Contact(c));
            }
            Line::Task(t) => {
                rows.task(&t)?;
                model.apply_owned(Change::Task(t));
            }
            Line::Survey(s) => rows.survey(&s)?,
            Line::Ticket(t) => {
                rows.ticket(&t)?;
                model.apply_owned(Change::ticket(t));
            }
            Line::Audit(a) => rows.audit(&a)?,
            Line::Mark(m) => rows.mark(&m, model.client_of_mark(&m.key))?,
            Line::Questionnaire(q) => rows.questionnaire(&q)?,
            Line::Archival(a) => rows.archival(&a)?,
            Line::Template(t) => rows.template(&t)?,
            Line::Sales(r) => {
                let change = Change::Sales {
                    key: r.key(),
                    record: Some(r),
                };
                let client = model.client_of(&change);
                if let Change::Sales { record: Some(r), .. } = &change {
                    rows.sales(r, client)?;
                }
                model.apply_owned(change);
            }
            // The reader checks the trailer and never hands it out.
            Line::Trailer(_) => {}
        }
        read += 1;
        if read % 5_000 == 0 {
            progress(read);
        }
    }
    let counters = rapport_store::backup::restored_counters(file, stored_counters, header_seq)?;
    for (client, aggregate) in &model.aggregates {
        rows.aggregate(*client, aggregate)?;
    }
    rows.meta("counters", &counters)?;
    rows.flush()?;
    drop(rows);
    for (table, name, definition) in &keys {
        tx.batch_execute(&format!(
            "ALTER TABLE {table} ADD CONSTRAINT {} {definition}",
            quoted(name)
        ))?;
    }
    // Deferred checks still pending run now, before the tables change.
    tx.batch_execute("SET CONSTRAINTS ALL IMMEDIATE")?;
    for table in &forced {
        tx.batch_execute(&format!("ALTER TABLE {table} FORCE ROW LEVEL SECURITY"))?;
    }
    let seq = counters.seq.to_string();
    tx.execute("SELECT pg_notify($1, $2)", &[&crate::write::CHANNEL, &seq])?;
    tx.commit()?;
    // The first sessions start from a model snapshot, not from every table
    // (a cache: the restore is done either way).
    if let Ok(mut pg) = crate::PgStore::open(url) {
        let _ = pg.save_snapshot();
    }
    progress(read);
    Ok(BackupSummary {
        records: reader.checked().records,
        seq: header_seq,
    })
}

/// An SQL identifier, quoted.
fn quoted(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// The connection string without a password, for messages.
pub fn url_for_messages(url: &str) -> String {
    match url.split_once('@') {
        Some((before, after)) if before.contains("://") => {
            let scheme = before.split("://").next().unwrap_or("postgresql");
            let user = before
                .split("://")
                .nth(1)
                .and_then(|u| u.split(':').next())
                .unwrap_or("");
            format!("{scheme}://{user}@{after}")
        }
        _ => url
            .split_whitespace()
            .filter(|w| !w.starts_with("password="))
            .collect::<Vec<_>>()
            .join(" "),
    }
}
