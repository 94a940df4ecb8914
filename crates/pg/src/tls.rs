//! TLS for a connection string with `sslmode=require`: rustls, and the
//! server's certificate always verified, with its host name, against the
//! system's certificate authorities and the user's own root certificate
//! (`$PGSSLROOTCERT`, else `~/.postgresql/root.crt`, as libpq looks for it).
//! Stricter than libpq's `require`, which encrypts without checking who
//! answers: a team's database must prove it is the team's. Without
//! `sslmode=require` (and always on a Unix socket) there is no TLS.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::PgError;

/// The user's own root certificate file, where libpq looks for it.
fn root_cert_file() -> Option<PathBuf> {
    match std::env::var_os("PGSSLROOTCERT") {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".postgresql/root.crt")),
    }
}

/// A connector that verifies the server as described above.
pub(crate) fn connector() -> Result<MakeRustlsConnect, PgError> {
    let tls_err = |why: String| PgError::Schema(format!("TLS: {why}"));
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(file) = root_cert_file().filter(|f| f.exists()) {
        let certs = CertificateDer::pem_file_iter(&file)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| tls_err(format!("{}: {e}", file.display())))?;
        let (added, _) = roots.add_parsable_certificates(certs);
        if added == 0 {
            return Err(tls_err(format!("{}: no usable certificate", file.display())));
        }
    }
    if roots.is_empty() {
        return Err(tls_err(
            "no certificate authority to check the server against: install the system's \
             (ca-certificates) or put the server's in ~/.postgresql/root.crt"
                .into(),
        ));
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}
