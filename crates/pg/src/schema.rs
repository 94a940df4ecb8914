//! The schema's versions: migrations that rapport applies in order (`rapport
//! migrate`, by the database's owner), and the check every process makes
//! at connect time: it refuses a database that needs migrating, and one
//! that a newer rapport migrated.

use postgres::GenericClient;

use crate::PgError;

/// The migrations in order; the schema's version is the last one applied.
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "tables", include_str!("../migrations/0001_tables.sql")),
    (2, "access", include_str!("../migrations/0002_access.sql")),
    (3, "audit logins", include_str!("../migrations/0003_audit_logins.sql")),
    (
        4,
        "model snapshot",
        include_str!("../migrations/0004_model_snapshot.sql"),
    ),
    (5, "fast policies", include_str!("../migrations/0005_fast_policies.sql")),
];

/// The schema version this rapport reads and writes.
pub const LATEST: i32 = 5;

/// What managers see: `rapport migrate --managers-see`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagersSee {
    All,
    Own,
}

impl ManagersSee {
    fn as_str(self) -> &'static str {
        match self {
            ManagersSee::All => "all",
            ManagersSee::Own => "own",
        }
    }
}

/// Taken by `migrate` so that two at once apply each step once.
const MIGRATE_LOCK: i64 = 0x7261_7070_6d69_6772; // "rappmigr"

/// What `migrate` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    pub from: i32,
    pub to: i32,
}

/// The version the database's schema is at (0: no rapport schema).
pub fn version(c: &mut impl GenericClient) -> Result<i32, PgError> {
    let exists: bool = c
        .query_one("SELECT to_regclass('rapport_schema') IS NOT NULL", &[])?
        .try_get(0)?;
    if !exists {
        return Ok(0);
    }
    let v: Option<i32> = c
        .query_one("SELECT max(version) FROM rapport_schema", &[])?
        .try_get(0)?;
    Ok(v.unwrap_or(0))
}

/// Brings the schema to `LATEST` in one transaction, and writes the
/// database's first records when it is new. Refuses a newer schema.
pub fn migrate(client: &mut postgres::Client, see: Option<ManagersSee>) -> Result<Migrated, PgError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])?;
    // The tables are created as the owner's; only the owner migrates.
    let owner: Option<bool> = tx
        .query_one(
            "SELECT tableowner = current_user FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'events'",
            &[],
        )
        .ok()
        .and_then(|r| r.try_get(0).ok());
    if owner == Some(false) {
        return Err(PgError::Schema(
            "only the owner of rapport's tables (who first ran `rapport migrate`) migrates them (nothing was changed)"
                .into(),
        ));
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS rapport_schema (
            version integer PRIMARY KEY,
            name text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(),
            applied_by text NOT NULL DEFAULT current_user
        )",
    )?;
    let from = version(&mut tx)?;
    refuse_newer(from)?;
    for (v, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > from) {
        tx.batch_execute(sql)
            .map_err(|e| PgError::Schema(format!("migration {v} ({name}) failed: {}", crate::message(&e))))?;
        tx.execute("INSERT INTO rapport_schema (version, name) VALUES ($1, $2)", &[v, name])?;
    }
    if from == 0 {
        crate::rows::initialise(&mut tx)?;
    }
    if let Some(see) = see {
        tx.execute("UPDATE rapport_access SET managers_see = $1", &[&see.as_str()])?;
    }
    tx.commit()?;
    Ok(Migrated { from, to: LATEST })
}

/// At connect time: the schema must be this rapport's.
pub fn check(c: &mut impl GenericClient) -> Result<(), PgError> {
    let v = version(c)?;
    refuse_newer(v)?;
    if v == 0 {
        return Err(PgError::Schema(
            "this PostgreSQL database has no rapport schema yet: its owner runs `rapport migrate --db URL` once \
             (nothing was changed)"
                .into(),
        ));
    }
    if v < LATEST {
        return Err(PgError::Schema(format!(
            "this PostgreSQL database has rapport schema {v} and this rapport needs {LATEST}: its owner runs \
             `rapport migrate --db URL` (nothing was changed)"
        )));
    }
    Ok(())
}

fn refuse_newer(v: i32) -> Result<(), PgError> {
    if v > LATEST {
        return Err(PgError::Schema(format!(
            "this PostgreSQL database has rapport schema {v}, newer than this rapport knows ({LATEST}): \
             upgrade rapport before using it (nothing was changed)"
        )));
    }
    Ok(())
}
