//! For tests: a new, empty database on the cluster `RAPPORT_TEST_PG` names
//! (`scripts/pg-cluster.sh` starts a private one; `.ci/run` does). Without
//! it the PostgreSQL tests are skipped and say why, except where
//! `RAPPORT_REQUIRE_PG` is set (CI), where that is a failure.

use std::io::Write as _;
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};

static SKIPPED: Once = Once::new();
static NEXT: AtomicU32 = AtomicU32::new(0);

/// The connection string of a new database (migrated when `migrated`), or
/// `None` when there is no test cluster.
pub fn fresh_database(migrated: bool) -> Option<String> {
    let Ok(admin) = std::env::var("RAPPORT_TEST_PG") else {
        if std::env::var_os("RAPPORT_REQUIRE_PG").is_some() {
            panic!("RAPPORT_REQUIRE_PG is set but RAPPORT_TEST_PG is not: the PostgreSQL tests must run here");
        }
        SKIPPED.call_once(|| {
            // Straight to the terminal: the test harness captures eprintln!.
            let _ = std::io::stderr().write_all(
                b"\nrapport: PostgreSQL tests skipped: RAPPORT_TEST_PG is not set (start a private cluster with \
                  `eval \"$(scripts/pg-cluster.sh start DIR)\"`, as .ci/run does)\n",
            );
        });
        return None;
    };
    let name = format!(
        "rapport_test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros()
    );
    let mut client = match postgres::Client::connect(&admin, postgres::NoTls) {
        Ok(c) => c,
        Err(e) => panic!("RAPPORT_TEST_PG={admin}: cannot connect: {}", crate::message(&e)),
    };
    // The database belongs to a role named as the Unix login, as with
    // peer authentication: commands are recorded as that login, as on sled.
    let login = crate::config("host=/nonexistent")
        .ok()
        .and_then(|c| c.get_user().map(str::to_string))
        .unwrap_or_else(|| "rapport".into());
    let role = quote(&login);
    // Tests run in parallel: another may have made the roles just now.
    let _ = client.batch_execute(&format!("CREATE ROLE {role} LOGIN"));
    let _ = client.batch_execute("CREATE ROLE rapport_user NOLOGIN");
    if let Err(e) = client.batch_execute(&format!("CREATE DATABASE {name} OWNER {role}")) {
        panic!("cannot create the test database {name}: {}", crate::message(&e));
    }
    let url = with(&with(&admin, "dbname", &name), "user", &quote_value(&login));
    if migrated && let Err(e) = crate::migrate(&url, None) {
        panic!("cannot migrate the test database {name}: {e}");
    }
    Some(url)
}

/// The database of `url` on the test cluster's streaming replica
/// (`RAPPORT_TEST_PG_REPLICA`, which `scripts/pg-cluster.sh replica`
/// starts), as the same user; `None` (said once) without one.
pub fn replica_of(url: &str) -> Option<String> {
    let Ok(replica) = std::env::var("RAPPORT_TEST_PG_REPLICA") else {
        if std::env::var_os("RAPPORT_REQUIRE_PG").is_some() {
            panic!("RAPPORT_REQUIRE_PG is set but RAPPORT_TEST_PG_REPLICA is not: the replica tests must run here");
        }
        let _ = std::io::stderr()
            .write_all(b"\nrapport: PostgreSQL replica test skipped: RAPPORT_TEST_PG_REPLICA is not set\n");
        return None;
    };
    let field = |key: &str| {
        let prefix = format!("{key}=");
        url.split_whitespace()
            .find_map(|w| w.strip_prefix(prefix.as_str()).map(str::to_string))
    };
    let mut out = replica;
    for key in ["dbname", "user"] {
        if let Some(v) = field(key) {
            out = with(&out, key, &v);
        }
    }
    Some(out)
}

/// The TLS-only test cluster (`scripts/pg-cluster.sh tls`): its connection
/// string (`sslmode=require`, as its superuser) and its CA's certificate;
/// `None` (said once) without one.
pub fn tls_cluster() -> Option<(String, String)> {
    match (
        std::env::var("RAPPORT_TEST_PG_TLS"),
        std::env::var("RAPPORT_TEST_PG_TLS_CA"),
    ) {
        (Ok(url), Ok(ca)) => Some((url, ca)),
        _ if std::env::var_os("RAPPORT_REQUIRE_PG").is_some() => {
            panic!("RAPPORT_REQUIRE_PG is set but RAPPORT_TEST_PG_TLS is not: the TLS test must run here")
        }
        _ => {
            let _ = std::io::stderr()
                .write_all(b"\nrapport: PostgreSQL TLS test skipped: RAPPORT_TEST_PG_TLS is not set\n");
            None
        }
    }
}

/// `url` (a key=value string) with `key` set to `value`.
fn with(url: &str, key: &str, value: &str) -> String {
    let prefix = format!("{key}=");
    let kept: Vec<&str> = url.split_whitespace().filter(|w| !w.starts_with(&prefix)).collect();
    format!("{} {key}={value}", kept.join(" "))
}

/// An SQL identifier, quoted.
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// A connection-string value, quoted.
fn quote_value(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The test cluster's superuser connection to the database of `url`.
pub fn superuser_url(url: &str) -> Option<String> {
    let admin = std::env::var("RAPPORT_TEST_PG").ok()?;
    let db = url.split_whitespace().find_map(|w| w.strip_prefix("dbname="))?;
    Some(with(&admin, "dbname", db))
}

/// Runs `sql` on the test cluster as its superuser, in database `url`'s
/// database (roles, grants: what a DBA does).
pub fn as_superuser(url: &str, sql: &str) {
    let mut client = match postgres::Client::connect(url, postgres::NoTls) {
        Ok(c) => c,
        Err(e) => panic!("cannot connect to {url}: {}", crate::message(&e)),
    };
    if let Err(e) = client.batch_execute(sql) {
        panic!("{sql}: {}", crate::message(&e));
    }
}

/// Waits (up to 10 s) until `pg` has seen the commands up to `seq` by
/// listening, and returns the events that arrived meanwhile.
pub fn seen_up_to(pg: &mut crate::PgStore, seq: u64) -> Vec<rapport_core::write::Event> {
    use rapport_core::backend::Backend;
    let start = std::time::Instant::now();
    let mut events = Vec::new();
    while pg.model().counters.seq < seq {
        events.extend(Backend::poll_events(pg));
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "no notification arrived"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    events
}
