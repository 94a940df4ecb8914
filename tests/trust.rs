//! Who is on the other end of a socket, probed with real Unix users as the
//! README's team set-up has them: a service user owning the database, two
//! managers in the team's group, and an outsider. Creating users needs
//! root (as on this project's machines and CI); elsewhere the tests say
//! why they were skipped.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;

use common::*;

/// The users are shared by the tests of this file: one at a time.
static USERS: Mutex<()> = Mutex::new(());

const GROUP: &str = "rpt-team";

#[derive(Clone, Copy)]
struct User {
    uid: u32,
    gid: u32,
}

fn run(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Creates (once) the group and the users, or says why it cannot.
fn users() -> Option<[User; 4]> {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: creating Unix users needs root");
        return None;
    }
    if nix::unistd::Group::from_name(GROUP).ok().flatten().is_none() && !run("groupadd", &[GROUP]) {
        eprintln!("skipped: groupadd failed (no useradd/groupadd on this machine?)");
        return None;
    }
    let make = |name: &str, group: &str| -> Option<User> {
        if nix::unistd::User::from_name(name).ok().flatten().is_none() {
            run("useradd", &["--no-create-home", "-g", group, "-s", "/bin/sh", name]);
        }
        let u = nix::unistd::User::from_name(name).ok().flatten()?;
        Some(User {
            uid: u.uid.as_raw(),
            gid: u.gid.as_raw(),
        })
    };
    let svc = make("rpt-svc", GROUP)?;
    let amy = make("rpt-amy", GROUP)?;
    let ben = make("rpt-ben", GROUP)?;
    let out = make("rpt-out", "nogroup").or_else(|| make("rpt-out", "users"))?;
    Some([svc, amy, ben, out])
}

fn chown(path: &Path, u: User) {
    nix::unistd::chown(path, Some(u.uid.into()), Some(u.gid.into())).unwrap();
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A home of `u`'s own (its XDG directories), mode 0700.
fn home(root: &Path, name: &str, u: User) -> PathBuf {
    let h = root.join(name);
    std::fs::create_dir_all(&h).unwrap();
    chown(&h, u);
    chmod(&h, 0o700);
    h
}

/// The real binary as `u`, with that user's own XDG directories.
fn as_user(u: User, home: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.uid(u.uid)
        .gid(u.gid)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .env_remove("RAPPORT_DB")
        .env_remove("RAPPORT_SOCKET")
        .env_remove("RAPPORT_SERVER_USER")
        .env_remove("RAPPORT_SERVER");
    c
}

/// A server started by a test: stopped when dropped, so that a failing
/// test leaves no server running as another user.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let _ = self.0.wait();
    }
}

fn serve(mut c: Command, log: &Path) -> Served {
    Served(spawn_server(&mut c, log))
}

fn stop(served: Served) {
    drop(served);
}

fn ok(o: &Output) {
    assert!(o.status.success(), "failed: {}\n{}", stderr(o), stdout(o));
}

/// The team: a database owned by the service user, managers amy and ben
/// (by login), one client of each; a world-traversable root so that each
/// user reaches their own directory in it.
struct Team {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    run_dir: PathBuf,
    socket: PathBuf,
    db: PathBuf,
    svc: (User, PathBuf),
}

fn team(u: [User; 4]) -> Team {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    chmod(&root, 0o755);
    let [svc, ..] = u;
    let svc_home = home(&root, "svc", svc);
    let db = svc_home.join("db");
    let csv = root.join("managers.csv");
    std::fs::write(&csv, "login,name,role\nrpt-amy,Amy,manager\nrpt-ben,Ben,manager\n").unwrap();
    chmod(&csv, 0o644);
    ok(&as_user(svc, &svc_home)
        .args(["--server", "never", "--db", db.to_str().unwrap(), "import", "managers"])
        .arg(&csv)
        .output()
        .unwrap());
    let clients = root.join("clients.csv");
    std::fs::write(
        &clients,
        "ref,name,segment,manager,created\nA1,Amy's client,,rpt-amy,2025-01-01\nB1,Ben's client,,rpt-ben,2025-01-01\n",
    )
    .unwrap();
    chmod(&clients, 0o644);
    ok(&as_user(svc, &svc_home)
        .args(["--server", "never", "--db", db.to_str().unwrap(), "import", "clients"])
        .arg(&clients)
        .output()
        .unwrap());
    // The README's set-up: a sticky, setgid directory of the service user.
    let run_dir = root.join("team-run");
    std::fs::create_dir(&run_dir).unwrap();
    chown(&run_dir, svc);
    chmod(&run_dir, 0o3770);
    let socket = run_dir.join("team.sock");
    Team {
        _tmp: tmp,
        root,
        run_dir,
        socket,
        db,
        svc: (svc, svc_home),
    }
}

impl Team {
    fn serve(&self) -> Served {
        let (svc, home) = &self.svc;
        let mut c = as_user(*svc, home);
        c.args([
            "--db",
            self.db.to_str().unwrap(),
            "--socket",
            self.socket.to_str().unwrap(),
        ])
        .args(["serve", "--socket-mode", "660", "--print-ready"]);
        serve(c, &self.root.join("svc.log"))
    }

    fn cli(&self, u: User, home: &Path) -> Command {
        let mut c = as_user(u, home);
        c.args(["--socket", self.socket.to_str().unwrap()]);
        c
    }
}

#[test]
fn a_team_member_cannot_impersonate_the_team_server() {
    let _one = USERS.lock().unwrap_or_else(|e| e.into_inner());
    let Some(u) = users() else { return };
    let [_, amy, ben, _] = u;
    let t = team(u);
    let amy_home = home(&t.root, "amy", amy);
    let ben_home = home(&t.root, "ben", ben);
    // The old README's 2770 (not sticky): the service user's own server
    // refuses to listen there, since any member could swap the socket.
    chmod(&t.run_dir, 0o2770);
    let (svc, svc_home) = &t.svc;
    let o = as_user(*svc, svc_home)
        .args(["--db", t.db.to_str().unwrap(), "--socket", t.socket.to_str().unwrap()])
        .args(["serve", "--socket-mode", "660"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not sticky"), "{}", stderr(&o));
    chmod(&t.run_dir, 0o3770);
    let server = t.serve();

    // The real server works for ben.
    let o = t
        .cli(ben, &ben_home)
        .args(["log", "B1", "--channel", "call", "--summary", "first call"])
        .output()
        .unwrap();
    ok(&o);

    // The sticky directory: amy cannot move the service user's socket away.
    let moved = Command::new("mv")
        .uid(amy.uid)
        .gid(amy.gid)
        .arg(&t.socket)
        .arg(t.run_dir.join(".hidden.sock"))
        .output()
        .unwrap();
    assert!(!moved.status.success(), "amy moved the team's socket");
    assert!(t.socket.exists());

    // Nor may a server listen in a directory that is not its user's.
    let fake_db = amy_home.join("fake");
    ok(&as_user(amy, &amy_home)
        .args(["--db", fake_db.to_str().unwrap(), "init"])
        .output()
        .unwrap());
    let o = as_user(amy, &amy_home)
        .args(["--db", fake_db.to_str().unwrap(), "--socket"])
        .arg(t.run_dir.join("evil.sock"))
        .args(["serve", "--socket-mode", "666"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("refusing to listen"), "{}", stderr(&o));

    // The team server is down; amy plants her own server behind the
    // team's socket name (a link to a socket in her own directory).
    stop(server);
    assert!(!t.socket.exists());
    let amy_run = amy_home.join("pub");
    std::fs::create_dir(&amy_run).unwrap();
    chown(&amy_run, amy);
    chmod(&amy_run, 0o711);
    chmod(&amy_home, 0o711);
    let amy_sock = amy_run.join("s.sock");
    let mut c = as_user(amy, &amy_home);
    c.args([
        "--db",
        fake_db.to_str().unwrap(),
        "--socket",
        amy_sock.to_str().unwrap(),
    ])
    .args(["serve", "--socket-mode", "666", "--print-ready"]);
    let fake = serve(c, &t.root.join("amy.log"));
    let link = Command::new("ln")
        .uid(amy.uid)
        .gid(amy.gid)
        .arg("-s")
        .arg(&amy_sock)
        .arg(&t.socket)
        .status()
        .unwrap();
    assert!(link.success(), "amy can create a name in the team directory");

    for args in [
        vec!["log", "B1", "--channel", "call", "--summary", "CONFIDENTIAL"],
        vec!["export", "clients"],
    ] {
        let o = t.cli(ben, &ben_home).args(&args).output().unwrap();
        assert_ne!(
            o.status.code(),
            Some(0),
            "{args:?} went to amy's server: {}",
            stdout(&o)
        );
        let err = stderr(&o);
        assert!(
            err.contains("runs as rpt-amy") && err.contains("must run as rpt-svc") && err.contains("refusing"),
            "{err}"
        );
    }
    // Naming the service user explicitly gives the same refusal.
    let o = t
        .cli(ben, &ben_home)
        .args(["--server-user", "rpt-svc", "export", "clients"])
        .output()
        .unwrap();
    assert!(stderr(&o).contains("refusing"), "{}", stderr(&o));
    // ben's words never reached her: her server saw no session.
    stop(fake);
    let log = std::fs::read_to_string(t.root.join("amy.log")).unwrap();
    assert!(!log.contains("joined"), "{log}");
}

#[test]
fn outsiders_are_told_permission_denied_and_a_down_team_server_is_no_private_database() {
    let _one = USERS.lock().unwrap_or_else(|e| e.into_inner());
    let Some(u) = users() else { return };
    let [_, amy, _, out] = u;
    let t = team(u);
    let out_home = home(&t.root, "out", out);
    let amy_home = home(&t.root, "amy", amy);
    let server = t.serve();
    let o = t.cli(out, &out_home).args(["export", "clients"]).output().unwrap();
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("permission denied"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("no rapport server"), "{}", stderr(&o));
    stop(server);

    // The team server is down: amy's command fails instead of quietly
    // writing into a new private database.
    let o = t
        .cli(amy, &amy_home)
        .args(["log", "A1", "--channel", "call", "--summary", "lost?"])
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("team's server is not running"), "{}", stderr(&o));
    assert!(
        !amy_home.join("data/rapport/db").exists(),
        "a private database was created"
    );
}

#[test]
fn the_runtime_directory_of_another_user_is_never_used() {
    let _one = USERS.lock().unwrap_or_else(|e| e.into_inner());
    let Some(u) = users() else { return };
    let [_, amy, _, out] = u;
    let tmp = tempfile::tempdir().unwrap();
    chmod(tmp.path(), 0o755);
    let amy_home = home(tmp.path(), "amy", amy);
    let dir = PathBuf::from(format!("/tmp/rapport-{}", amy.uid));
    let _ = std::fs::remove_dir_all(&dir);
    // Without XDG_RUNTIME_DIR amy's own directory is made 0700.
    for args in [["init"], ["classes"]] {
        let mut c = as_user(amy, &amy_home);
        c.env_remove("XDG_RUNTIME_DIR").args(args);
        ok(&c.output().unwrap());
    }
    let meta = std::fs::symlink_metadata(&dir).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o777), (amy.uid, 0o700));
    std::fs::remove_dir_all(&dir).unwrap();

    // The outsider takes the name first, open to all: amy refuses it.
    let made = Command::new("mkdir")
        .uid(out.uid)
        .gid(out.gid)
        .args(["-m", "777"])
        .arg(&dir)
        .status()
        .unwrap();
    assert!(made.success());
    let mut c = as_user(amy, &amy_home);
    c.env_remove("XDG_RUNTIME_DIR")
        .args(["log", "A1", "--channel", "call", "--summary", "secret note"]);
    let o = c.output().unwrap();
    assert_ne!(o.status.code(), Some(0));
    let err = stderr(&o);
    assert!(err.contains(&format!("{} belongs to rpt-out", dir.display())), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
