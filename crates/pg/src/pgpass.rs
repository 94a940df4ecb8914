//! A password from `~/.pgpass` (or `$PGPASSFILE`) for a connection string
//! without one, as libpq finds it: the first line whose host, port,
//! database and user match (a socket connection matches `localhost`). A
//! file that others may read is ignored, as libpq ignores it, and the
//! reason is kept for the error if the login then fails.

use std::os::unix::fs::PermissionsExt;

use postgres::config::Host;
use postgres_secrets::PgPass;

/// The password for `config`, or why the file was not used (`Err`): not
/// private, or not readable as a password file. `Ok(None)`: no file, or no
/// line for this connection.
pub(crate) fn password_for(config: &postgres::Config) -> Result<Option<String>, String> {
    let Some(path) = PgPass::locate() else { return Ok(None) };
    let shown = path.display();
    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{shown}: {e}")),
    };
    let mode = meta.permissions().mode();
    if !meta.is_file() {
        return Err(format!("{shown} is not a file"));
    }
    if mode & 0o077 != 0 {
        return Err(format!(
            "{shown} was ignored: others may read it (mode {:o}); make it private with `chmod 600 {shown}`",
            mode & 0o777
        ));
    }
    let file = PgPass::open(&path).map_err(|e| format!("{shown}: {e}"))?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        Some(Host::Unix(_)) | None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or_default();
    let database = config.get_dbname().unwrap_or(user);
    let found = file
        .query()
        .hostname(&host)
        .and_then(|q| q.port(port))
        .and_then(|q| q.database(database))
        .and_then(|q| q.username(user))
        .map_err(|e| format!("{shown}: {e}"))?
        .find()
        .map_err(|e| format!("{shown}: {e}"))?;
    Ok(found.map(|c| c.password))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// One test: `PGPASSFILE` is the process's.
    #[test]
    fn the_first_matching_line_of_a_private_file_gives_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(
            &file,
            "# comment\n\
             db.example.com:5432:crm:amy:s3cr\\:et\n\
             *:*:*:amy:fallback\n\
             localhost:*:*:ben:on-socket\n",
        )
        .unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        // SAFETY: the only test of this binary that reads PGPASSFILE.
        unsafe { std::env::set_var("PGPASSFILE", &file) };
        let find = |url: &str| password_for(&postgres::Config::from_str(url).unwrap());
        assert_eq!(
            find("host=db.example.com dbname=crm user=amy").unwrap().as_deref(),
            Some("s3cr:et")
        );
        assert_eq!(
            find("host=other.example.com dbname=crm user=amy").unwrap().as_deref(),
            Some("fallback")
        );
        assert_eq!(
            find("host=/run/postgresql user=ben").unwrap().as_deref(),
            Some("on-socket")
        );
        assert_eq!(find("host=db.example.com user=zed").unwrap(), None);
        // Readable by others: ignored, and the reason says how to fix it.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let why = find("host=db.example.com dbname=crm user=amy").unwrap_err();
        assert!(why.contains("chmod 600"), "{why}");
        // A damaged file is said, not a panic.
        std::fs::write(&file, "a:b\\q:c:d:e\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(find("host=h user=amy").is_err());
        // No file: nothing.
        unsafe { std::env::set_var("PGPASSFILE", dir.path().join("missing")) };
        assert_eq!(find("host=h user=amy").unwrap(), None);
    }
}
