//! A `rapport serve` child process for the tests that talk to one.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use rapport::server::client::Remote;

use super::{BIN, spawn_server};

pub struct Server {
    pub child: Child,
    pub socket: PathBuf,
    pub log: PathBuf,
}

impl Server {
    /// Starts `rapport serve` on `db` and waits until it is ready.
    pub fn start(dir: &Path, db: impl AsRef<OsStr>, extra: &[&str]) -> Server {
        let socket = dir.join("rapport.sock");
        let log = dir.join("serve.log");
        let child = spawn_server(
            Command::new(BIN)
                .arg("--db")
                .arg(db)
                .arg("--socket")
                .arg(&socket)
                .args(["serve", "--print-ready"])
                .args(extra)
                .env("XDG_DATA_HOME", dir.join("data")),
            &log,
        );
        Server { child, socket, log }
    }

    pub fn trusting(dir: &Path, db: impl AsRef<OsStr>) -> Server {
        Server::start(dir, db, &["--trust-claimed-logins"])
    }

    pub fn session(&self, login: &str) -> Remote {
        Remote::connect(&self.socket, Some(login.into())).unwrap()
    }

    /// The real binary as a session of this server's database.
    pub fn cli(&self, db: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--db").arg(db).arg("--socket").arg(&self.socket);
        c
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, and the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
