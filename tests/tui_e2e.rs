//! End to end: the real binary in tmux. Keys go in with `send-keys`, the
//! screen comes back with `capture-pane`. Needs tmux (CI installs it).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

struct Tmux {
    socket: String,
}

impl Tmux {
    fn new(name: &str) -> Tmux {
        assert!(
            Command::new("tmux")
                .arg("-V")
                .output()
                .is_ok_and(|o| o.status.success()),
            "these tests need tmux (apt-get install tmux)"
        );
        Tmux {
            socket: format!("rapport-{name}-{}", std::process::id()),
        }
    }

    fn run(&self, args: &[&str]) -> String {
        let o = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn start(&self, home: &Path, command: &str) {
        let env = format!(
            "cd {} && export XDG_DATA_HOME={0}/data XDG_CONFIG_HOME={0}/config TERM=xterm-256color NO_COLOR=1; {command}",
            home.display()
        );
        self.run(&["new-session", "-d", "-x", "120", "-y", "40", "sh", "-c", &env]);
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Waits until the screen shows `text`.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Tmux {
    /// Waits until the screen no longer shows `text`.
    fn wait_gone(&self, text: &str) {
        let start = Instant::now();
        while self.screen().contains(text) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "still showing {text:?}:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

fn demo_db(home: &Path) -> PathBuf {
    let db = home.join("demo-db");
    let o = rapport(home, &["--db", db.to_str().unwrap(), "demo", "--today", "2026-11-22"]);
    assert!(o.status.success(), "{}", stderr(&o));
    db
}

/// The interface on `db` as of the demo's date, directly (no server);
/// the shell says how it ended, then waits so the screen can be read.
fn interface(db: &Path, extra: &str) -> String {
    format!(
        "{BIN} --db {} --server never{extra} --as-of 2026-11-22; echo EXITED $?; sleep 60",
        db.display()
    )
}

#[test]
fn list_filter_and_quit_restore_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let db = demo_db(home.path());
    let tmux = Tmux::new("filter");
    let stty = home.path().join("stty.txt");
    tmux.start(
        home.path(),
        &format!(
            "{BIN} --db {} --as-of 2026-11-22; stty -a > {}; echo EXITED $?; sleep 60",
            db.display(),
            stty.display()
        ),
    );
    let s = tmux.wait_for("Clients · 300");
    assert!(s.contains("Apotheke"), "{s}");
    assert!(s.contains("portfolio: 300 clients"), "{s}");
    tmux.keys(&["/"]);
    tmux.keys(&["-l", "muller"]);
    let s = tmux.wait_for("/muller");
    let first_row = s.lines().nth(3).unwrap_or_default().to_string();
    assert!(first_row.contains("Müller & Söhne"), "first row: {first_row}\n{s}");
    // Enter leaves the filter, Enter again opens the client's card.
    tmux.keys(&["Enter"]);
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("C000002 · Müller & Söhne");
    assert!(s.contains("Contact persons"), "{s}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("300 clients");
    tmux.keys(&["q"]);
    let s = tmux.wait_for("EXITED 0");
    assert!(!s.contains("Clients ·"), "the alternate screen was left:\n{s}");
    let modes = std::fs::read_to_string(&stty).unwrap();
    for mode in ["echo", "icanon", "isig"] {
        assert!(
            modes.split_whitespace().any(|w| w == mode),
            "{mode} not restored: {modes}"
        );
    }
    // The day's automatic backup was taken: by the server the session
    // handed the database to, which writes it while it serves and finishes
    // it before it exits.
    let backups = home.path().join("data/rapport/backups");
    let found = || {
        std::fs::read_dir(&backups).into_iter().flatten().flatten().any(|d| {
            std::fs::read_dir(d.path())
                .into_iter()
                .flatten()
                .flatten()
                .any(|f| f.path().extension().is_some_and(|e| e == "jsonl"))
        })
    };
    let waited = std::time::Instant::now();
    while !found() && waited.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(found(), "no automatic backup under {}", backups.display());
}

#[test]
fn sighup_ends_the_session_and_releases_the_database() {
    let home = tempfile::tempdir().unwrap();
    let db = demo_db(home.path());
    let tmux = Tmux::new("hup");
    let pidfile = home.path().join("pid");
    tmux.start(
        home.path(),
        &format!(
            "echo $$ > {}; exec {BIN} --server never --db {} --as-of 2026-11-22",
            pidfile.display(),
            db.display()
        ),
    );
    tmux.wait_for("Clients · 300");
    let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    // An interface session does without transparent huge pages (memory.rs).
    assert_eq!(huge_pages_allowed(pid), Some(false));
    // The whole process group of the pane, as a dropped SSH connection does.
    let pgid = nix::unistd::getpgid(Some(nix::unistd::Pid::from_raw(pid))).unwrap();
    nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGHUP).unwrap();
    let start = Instant::now();
    while Path::new(&format!("/proc/{pid}")).exists() && !is_zombie(pid) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "rapport still runs after SIGHUP"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let store = rapport::store::Store::open(&db);
    assert!(store.is_ok(), "the database is still locked: {:?}", store.err());
}

#[test]
fn a_panic_restores_the_terminal_and_releases_the_database() {
    let home = tempfile::tempdir().unwrap();
    let db = demo_db(home.path());
    let tmux = Tmux::new("panic");
    let stty = home.path().join("stty.txt");
    tmux.start(
        home.path(),
        &format!(
            "RAPPORT_PANIC_ON_KEY=1 {BIN} --server never --db {} --as-of 2026-11-22 2>{}/panic.txt; rc=$?; stty -a > {2}.part; mv {2}.part {2}; echo EXITED $rc; sleep 60",
            db.display(),
            home.path().display(),
            stty.display()
        ),
    );
    tmux.wait_for("Clients · 300");
    tmux.keys(&["j"]);
    // The modes are written whole (renamed into place) before EXITED shows.
    let s = tmux.wait_for("EXITED 101");
    assert!(!s.contains("Clients ·"), "the alternate screen was left:\n{s}");
    let modes = std::fs::read_to_string(&stty).unwrap();
    for mode in ["echo", "icanon"] {
        assert!(
            modes.split_whitespace().any(|w| w == mode),
            "{mode} not restored after a panic: {modes}"
        );
    }
    let panic = std::fs::read_to_string(home.path().join("panic.txt")).unwrap();
    assert!(panic.contains("panicking on purpose"), "{panic}");
    assert!(
        rapport::store::Store::open(&db).is_ok(),
        "the database is still locked after a panic"
    );
}

/// Two sessions on one database: the interface opened the database itself
/// (`--server auto`, no server yet) and, after its first frame, handed it
/// to a server it started, keeping its model; a command-line session goes
/// through that server, and what it records shows in the interface's list
/// and classes pane without a keypress. When the interface quits, the
/// server stops by itself.
#[test]
fn another_sessions_change_shows_live() {
    let home = tempfile::tempdir().unwrap();
    let db = demo_db(home.path());
    let socket = home.path().join("rapport.sock");
    let tmux = Tmux::new("live");
    tmux.start(
        home.path(),
        &format!(
            "{BIN} --db {} --socket {} --as-of 2026-11-22; echo EXITED $?; sleep 60",
            db.display(),
            socket.display()
        ),
    );
    tmux.wait_for("Clients · 300");
    let log = socket.with_extension("log");
    let start = Instant::now();
    while !std::fs::read_to_string(&log).is_ok_and(|l| l.contains("joined")) {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the interface did not hand the database to a server"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("joined, keeping the model it had"), "{text}");
    // The server it started asked for the system's huge pages again.
    let pgrep = Command::new("pgrep")
        .args(["-f", &format!("{} serve", socket.display())])
        .output()
        .unwrap();
    let server: i32 = String::from_utf8_lossy(&pgrep.stdout).trim().parse().unwrap();
    assert_eq!(huge_pages_allowed(server), Some(true));
    let csv = home.path().join("new.csv");
    std::fs::write(
        &csv,
        "client,date,amount,product,doc\nNEW-1,2026-11-20,250000.00,,INV-1\n",
    )
    .unwrap();
    let o = rapport(
        home.path(),
        &[
            "--db",
            db.to_str().unwrap(),
            "--socket",
            socket.to_str().unwrap(),
            "--server",
            "always",
            "import",
            "settlements",
            csv.to_str().unwrap(),
            "--create-missing",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let start = Instant::now();
    let s = tmux.wait_for("Clients · 301");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "the change took {:?}",
        start.elapsed()
    );
    assert!(
        s.contains("portfolio: 301 clients"),
        "the classes pane did not follow:\n{s}"
    );
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
    // The server leaves with the last session and releases the database.
    let start = Instant::now();
    while rapport::store::Store::open(&db).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the server still holds the database"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!socket.exists(), "the socket was left behind");
}

/// The kernel's `THP_enabled` for a process (the prctl setting).
fn huge_pages_allowed(pid: i32) -> Option<bool> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("THP_enabled:"))?;
    Some(line.split_whitespace().nth(1)? == "1")
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.split_whitespace().nth(2) == Some("Z"))
}

/// A paste of several lines holding `d`, `l` and line breaks, sent the way
/// a terminal sends it (bracketed, `paste-buffer -p`), in the queue and in a
/// form: nothing is done, and the form's field gets the text on one line.
#[test]
fn a_multi_line_paste_is_text_never_keys() {
    let home = tempfile::tempdir().unwrap();
    let db = demo_db(home.path());
    let seq = rapport::store::Store::open(&db).unwrap().model().counters.seq;
    let tmux = Tmux::new("paste");
    tmux.start(home.path(), &interface(&db, ""));
    tmux.wait_for("Clients · 300");
    let text = home.path().join("paste.txt");
    std::fs::write(&text, "d\nl\nd\nCalled about the renewal\nd\n").unwrap();
    tmux.run(&["load-buffer", text.to_str().unwrap()]);
    tmux.keys(&["4"]);
    tmux.wait_for("Overdue");
    tmux.run(&["paste-buffer", "-p"]);
    let s = tmux.wait_for("Paste ignored");
    assert!(!s.contains("Log a contact"), "the paste opened a form:\n{s}");
    // In the log-a-contact form, the text goes into the focused field.
    tmux.keys(&["l"]);
    tmux.wait_for("Log a contact");
    tmux.keys(&["C-u"]);
    tmux.run(&["paste-buffer", "-p"]);
    let s = tmux.wait_for("d l d Called about the renewal d");
    assert!(s.contains("Log a contact"), "the paste closed the form:\n{s}");
    // Esc on a changed form asks before it discards the text.
    tmux.keys(&["Escape"]);
    tmux.wait_for("Discard");
    tmux.keys(&["y"]);
    tmux.wait_gone("Log a contact");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
    let store = rapport::store::Store::open(&db).unwrap();
    assert_eq!(store.model().counters.seq, seq, "the paste changed the database");
}

/// A new client whose notes are written in `$VISUAL` (a script here): the
/// editor gets the terminal and the field's text, the interface comes
/// back with the lines in the field, and the client is stored with them;
/// then a contact person, and both are there after the session.
#[test]
fn a_new_client_with_notes_from_the_editor_and_a_person() {
    let home = tempfile::tempdir().unwrap();
    let db = demo_db(home.path());
    let editor = home.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\necho \"editing $(cat \"$1\")\"; sleep 0.3\nprintf 'Likes calls before 10\\nVIP\\n' > \"$1\"\n",
    )
    .unwrap();
    let mut perm = std::fs::metadata(&editor).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&editor, perm).unwrap();
    let tmux = Tmux::new("editor");
    tmux.start(
        home.path(),
        &format!(
            "VISUAL={} {BIN} --db {} --server never --as-of 2026-11-22; echo EXITED $?; sleep 60",
            editor.display(),
            db.display()
        ),
    );
    tmux.wait_for("Clients · 300");
    tmux.keys(&["N"]);
    tmux.wait_for("New client");
    tmux.keys(&[
        "NEW-9",
        "Tab",
        "Maison Neuve",
        "Tab",
        "Tab",
        "Tab",
        "Tab",
        "first draft",
    ]);
    tmux.wait_for("first draft");
    tmux.keys(&["C-e"]);
    let s = tmux.wait_for("Likes calls before 10 ⏎ VIP");
    assert!(s.contains("New client"), "the form is back:\n{s}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Done: add client NEW-9");
    tmux.keys(&["/", "maison neuve", "Enter"]);
    tmux.wait_for("of 301 clients");
    tmux.keys(&["p"]);
    tmux.wait_for("New contact person");
    tmux.keys(&["Anne Martin", "Tab", "buyer", "Enter"]);
    tmux.wait_gone("New contact person");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Anne Martin  buyer");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
    let store = rapport::store::Store::open(&db).unwrap();
    let m = store.model();
    let c = m.client_by_ref("NEW-9").expect("the client was stored");
    assert_eq!(
        (c.name.as_str(), c.notes.as_str()),
        ("Maison Neuve", "Likes calls before 10\nVIP")
    );
    assert_eq!(
        m.persons_of(c.id).map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Anne Martin"]
    );
}

/// Undo of a settlement in the real binary: the classes pane shows the
/// turnover it showed before, and redo brings the settlement back.
#[test]
fn undo_and_redo_a_settlement() {
    let home = tempfile::tempdir().unwrap();
    let db = demo_db(home.path());
    let tmux = Tmux::new("undo");
    tmux.start(home.path(), &interface(&db, ""));
    tmux.wait_for("Clients · 300");
    let turnover = |s: &str| {
        s.lines()
            .find_map(|l| l.split("│Turnover").nth(1))
            .and_then(|rest| rest.split('│').next())
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let before = turnover(&tmux.screen());
    assert!(!before.is_empty(), "{}", tmux.screen());
    tmux.keys(&["a"]);
    tmux.wait_for("New settlement");
    tmux.keys(&["Tab", "12345", "Enter"]);
    tmux.wait_for("Done: record settlement 12345.00");
    let added = turnover(&tmux.screen());
    assert_ne!(added, before);
    tmux.keys(&["u"]);
    let s = tmux.wait_for("Undone: record settlement 12345.00");
    assert_eq!(turnover(&s), before, "{s}");
    tmux.keys(&["C-r"]);
    let s = tmux.wait_for("Redone: record settlement 12345.00");
    assert_eq!(turnover(&s), added, "{s}");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
}

/// A client archived with `X` leaves the list (one client fewer), waits in
/// the trash view with who archived it, and `r` brings it back.
#[test]
fn archive_and_restore_a_client() {
    let home = tempfile::tempdir().unwrap();
    let db = demo_db(home.path());
    let tmux = Tmux::new("archive");
    tmux.start(home.path(), &interface(&db, ""));
    tmux.wait_for("Clients · 300");
    tmux.keys(&["X"]);
    let s = tmux.wait_for("Archive C");
    let reference = s
        .lines()
        .find_map(|l| l.split("Archive ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    assert!(reference.starts_with('C'), "{s}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Clients · 299");
    tmux.keys(&["7"]);
    let s = tmux.wait_for("Trash · 1 archived");
    assert!(s.contains(&reference), "{s}");
    tmux.keys(&["r"]);
    tmux.wait_for("Nothing archived");
    tmux.keys(&["1"]);
    tmux.wait_for("Clients · 300");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
}

/// One manager's morning on the demo, as `rapport --demo` opens it (as
/// amartin, on her queue): jump to Today, log a call, snooze an item,
/// advance an overdue complaint from the queue, quit — in under 30 keys.
#[test]
fn a_managers_morning_takes_under_thirty_keys() {
    let home = tempfile::tempdir().unwrap();
    let tmux = Tmux::new("morning");
    tmux.start(
        home.path(),
        &format!("{BIN} --demo --server never --as-of 2026-11-22; echo EXITED $?; sleep 60"),
    );
    tmux.wait_for("Due contacts · amartin");
    // Each name sent is one key (`Tab`, `Enter`, a letter).
    let mut pressed = 0;
    let mut keys = |ks: &[&str]| {
        pressed += ks.len();
        tmux.keys(ks);
    };
    keys(&["n"]);
    keys(&["l"]);
    tmux.wait_for("Log a contact");
    keys(&["Tab", "Tab", "o", "k", "Enter"]);
    tmux.wait_for("Done: log call with");
    keys(&["s"]);
    tmux.wait_for("+1 tomorrow");
    keys(&["Enter"]);
    tmux.wait_for("Done: snooze");
    // The late complaint at the top: its owner is set, Enter takes it on.
    keys(&["o", "d"]);
    tmux.wait_for("registered → investigating");
    keys(&["Enter"]);
    tmux.wait_for("Done: advance ticket");
    keys(&["q"]);
    tmux.wait_for("EXITED 0");
    assert!(pressed < 30, "{pressed} keys");
    // What the morning stored, as amartin.
    let db = home.path().join("data/rapport/demo");
    let db = db.to_str().unwrap();
    let log = stdout(&rapport(
        home.path(),
        &["--db", db, "--server", "never", "export", "log"],
    ));
    assert!(
        log.lines().any(|l| l.contains(",call,ok,") && l.ends_with(",amartin")),
        "{log}"
    );
}

/// SPEC §9 from the keyboard: the offer editor of a proposal writes the
/// commercial offer (ctrl-d) and marks it sent (ctrl-t); the file is there
/// and the document is registered as sent.
#[test]
fn a_commercial_offer_written_from_the_cell_editor_and_marked_sent() {
    let home = tempfile::tempdir().unwrap();
    let db = demo_db(home.path());
    let dbs = db.to_str().unwrap();
    let csv = stdout(&rapport(
        home.path(),
        &["--db", dbs, "offers", "--stage", "proposal", "--format", "csv"],
    ));
    let row: Vec<String> = csv.lines().nth(1).unwrap().split(',').map(String::from).collect();
    let (client, product) = (row[0].clone(), row[1].clone());
    let products = stdout(&rapport(home.path(), &["--db", dbs, "export", "products"]));
    let name = products
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{product},")))
        .and_then(|rest| rest.split(',').next())
        .unwrap()
        .to_string();
    let docs = home.path().join("docs");
    let tmux = Tmux::new("document");
    tmux.start(
        home.path(),
        &interface(&db, &format!(" --documents {}", docs.display())),
    );
    tmux.wait_for("Clients · 300");
    tmux.keys(&["2"]);
    tmux.wait_for("Matrix · 300 clients");
    tmux.keys(&["/"]);
    tmux.keys(&[&client, "Enter"]);
    tmux.wait_gone("Matrix · 300 clients");
    // To the product's cell: the editor's title names it.
    let mut found = false;
    for _ in 0..16 {
        tmux.keys(&["Enter"]);
        let s = tmux.wait_for("Stage");
        if s.contains(&format!("{name} · ")) {
            found = true;
            break;
        }
        tmux.keys(&["Escape"]);
        tmux.wait_gone("Next note");
        tmux.keys(&["Right"]);
    }
    assert!(found, "no editor for {name}:\n{}", tmux.screen());
    tmux.keys(&["C-d"]);
    tmux.wait_for("OFF-2026-0001 written to");
    tmux.wait_for("OFF-2026-0001 not sent");
    tmux.keys(&["C-t"]);
    tmux.wait_for("OFF-2026-0001 sent ─");
    tmux.keys(&["Enter"]);
    tmux.wait_for("OFF-2026-0001 sent 22/11");
    tmux.keys(&["Escape"]);
    tmux.wait_gone("Next note");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
    let text = std::fs::read_to_string(docs.join("OFF-2026-0001.txt")).unwrap();
    assert!(
        text.starts_with("COMMERCIAL OFFER OFF-2026-0001\nDate: 2026-11-22\n"),
        "{text}"
    );
    let list = stdout(&rapport(home.path(), &["--db", dbs, "docs", "--client", &client]));
    let line = list
        .lines()
        .find(|l| l.starts_with("OFF-2026-0001"))
        .unwrap_or_default()
        .to_string();
    assert!(line.contains("2026-11-22  email"), "{list}");
}

/// Issue 21 from the keyboard: three clients marked with space, handed to
/// another manager with `B` in one command, and `u` puts all three back.
#[test]
fn a_bulk_reassignment_and_its_undo() {
    let home = tempfile::tempdir().unwrap();
    let db = demo_db(home.path());
    let dbs = db.to_str().unwrap();
    let owners = |home: &Path| -> Vec<String> {
        let csv = stdout(&rapport(home, &["--db", dbs, "--server", "never", "export", "clients"]));
        csv.lines()
            .skip(1)
            .map(|l| l.split(',').nth(3).unwrap_or("").to_string())
            .collect()
    };
    let before = owners(home.path());
    let tmux = Tmux::new("bulk");
    tmux.start(home.path(), &interface(&db, ""));
    tmux.wait_for("Clients · 300");
    tmux.keys(&["Space", "Space", "Space"]);
    tmux.wait_for("· 3 marked");
    tmux.keys(&["B"]);
    tmux.wait_for("Change 3 marked clients");
    tmux.keys(&["hweber", "Enter"]);
    tmux.wait_for("Done: edit 3 clients");
    tmux.keys(&["u"]);
    tmux.wait_for("Undone: edit 3 clients");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
    assert_eq!(owners(home.path()), before, "the undo put every owner back");
    // And without the undo, three clients change hands.
    let tmux = Tmux::new("bulk2");
    tmux.start(home.path(), &interface(&db, ""));
    tmux.wait_for("Clients · 300");
    tmux.keys(&["Space", "Space", "Space", "B"]);
    tmux.wait_for("Change 3 marked clients");
    tmux.keys(&["hweber", "Enter"]);
    tmux.wait_for("Done: edit 3 clients");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
    let after = owners(home.path());
    let changed = before.iter().zip(&after).filter(|(a, b)| a != b).count();
    assert_eq!(changed, 3, "{after:?}");
    assert_eq!(after.iter().filter(|o| *o == "hweber").count(), 3);
}

/// A view saved with `"` comes back with `'` after a restart (issue 21).
#[test]
fn a_saved_view_is_recalled_after_a_restart() {
    let home = tempfile::tempdir().unwrap();
    let db = demo_db(home.path());
    let run = interface(&db, "");
    let tmux = Tmux::new("saved");
    tmux.start(home.path(), &run);
    tmux.wait_for("Clients · 300");
    tmux.keys(&["/", "brasserie", "Enter"]);
    tmux.wait_for("sorted by relevance");
    // The whole pattern typed and applied: the filter line is closed.
    std::thread::sleep(Duration::from_millis(500));
    let filtered = tmux.screen();
    let count = filtered
        .lines()
        .find_map(|l| l.split("Clients · ").nth(1))
        .and_then(|r| r.split(' ').next())
        .unwrap()
        .to_string();
    tmux.keys(&["\""]);
    tmux.wait_for("Save this view");
    tmux.keys(&["Brasseries", "Enter"]);
    tmux.wait_for("View 'Brasseries' saved");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
    drop(tmux);
    assert!(
        std::fs::read_to_string(home.path().join("config/rapport/views.toml"))
            .unwrap()
            .contains("brasserie")
    );

    let tmux = Tmux::new("saved2");
    tmux.start(home.path(), &run);
    tmux.wait_for("Clients · 300");
    tmux.keys(&["4"]);
    tmux.wait_for("Due contacts");
    tmux.keys(&["'"]);
    tmux.wait_for("Recall a view");
    tmux.keys(&["Enter"]);
    tmux.wait_for(&format!("Clients · {count} "));
    tmux.wait_for("View 'Brasseries'");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
}

/// Phones and emails in the card and the queue reach the terminal as OSC 8
/// links (`tel:`, `mailto:`); `links = false` in config.toml turns them off
/// (issue 21). The pane's raw output is read through `pipe-pane`.
#[test]
fn phones_and_emails_are_terminal_links_unless_turned_off() {
    let home = tempfile::tempdir().unwrap();
    let db = demo_db(home.path());
    let raw = |links: bool| -> String {
        let out = home.path().join(format!("pane-{links}.raw"));
        let config = home.path().join("config/rapport");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(config.join("config.toml"), format!("links = {links}\n")).unwrap();
        let tmux = Tmux::new(&format!("links-{links}"));
        tmux.start(home.path(), &interface(&db, ""));
        tmux.wait_for("Clients · 300");
        tmux.run(&["pipe-pane", "-O", &format!("cat > {}", out.display())]);
        tmux.keys(&["Enter"]);
        tmux.wait_for("Contact persons");
        tmux.keys(&["4"]);
        tmux.wait_for("Due contacts");
        tmux.keys(&["q"]);
        tmux.wait_for("EXITED 0");
        drop(tmux);
        String::from_utf8_lossy(&std::fs::read(&out).unwrap_or_default()).into_owned()
    };
    let on = raw(true);
    assert!(on.contains("\x1b]8;;tel:+"), "no tel: link in {} bytes", on.len());
    assert!(on.contains("\x1b]8;;mailto:"), "no mailto: link");
    assert!(on.contains("\x1b]8;;\x1b\\"), "links are closed");
    let off = raw(false);
    assert!(off.contains("Due contacts"), "the pane's output was read");
    assert!(!off.contains("\x1b]8;"), "links = false: no link");
}

/// An incoming call: the digits of a phone number typed in `/` (the
/// national form, no spaces) find the client, and the bottom line says
/// the phone matched and whose it is (issue 21).
#[test]
fn a_phone_search_finds_the_caller() {
    let home = tempfile::tempdir().unwrap();
    let db = demo_db(home.path());
    let dbs = db.to_str().unwrap();
    let csv = stdout(&rapport(
        home.path(),
        &["--db", dbs, "--server", "never", "export", "contacts"],
    ));
    let row = csv
        .lines()
        .find(|l| l.starts_with("C000002,"))
        .expect("a person of C000002");
    let fields: Vec<&str> = row.split(',').collect();
    let (person, phone) = (fields[1], fields[3].trim_start_matches('\''));
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let national = format!("0{}", digits.strip_prefix("33").unwrap_or(&digits));
    let tmux = Tmux::new("phone");
    tmux.start(home.path(), &interface(&db, ""));
    tmux.wait_for("Clients · 300");
    tmux.keys(&["/"]);
    tmux.keys(&["-l", &national]);
    let s = tmux.wait_for(&format!("/{national}"));
    let first_row = s.lines().nth(3).unwrap_or_default().to_string();
    assert!(
        first_row.contains("Müller & Söhne"),
        "{national}: first row: {first_row}\n{s}"
    );
    let s = tmux.wait_for("phone:");
    assert!(s.contains(phone) && s.contains(person), "{phone} {person}:\n{s}");
    // (Escape and q sent together would read as alt-q.)
    tmux.keys(&["Escape"]);
    tmux.wait_for("Clients · 300");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
}
