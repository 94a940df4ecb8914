//! Record commands through a server (issue 22, goal 1: "commands are one
//! frame"): a command line that changes or lists records reads only the
//! part of the server's model it names, or has the server answer it, and
//! prints and changes exactly what it does run directly.

mod common;

use common::server::Server;
use common::*;
use rapport::write::Command as Cmd;

/// The Unix login: what a command run directly is recorded as.
fn me() -> String {
    let uid = nix::unistd::getuid();
    nix::unistd::User::from_uid(uid).unwrap().unwrap().name
}

/// A team's book with a task, a contact and a settlement to correct, and
/// the Unix login as a lead: the same user directly and through a server.
fn seeded(kind: Kind) -> Option<Book> {
    let book = Book::on(kind)?;
    let mut cmds = team_commands();
    cmds.extend([
        Cmd::AddManager {
            login: me(),
            name: "Me".into(),
            role: rapport::domain::Role::Lead,
        },
        Cmd::AddTask {
            client: rapport::domain::ClientId(2),
            due: d("2026-12-01"),
            text: "Send the brochure".into(),
        },
        Cmd::LogContact {
            client: rapport::domain::ClientId(3),
            person: None,
            at: d("2026-06-02").and_hms_opt(10, 0, 0).unwrap(),
            channel: rapport::domain::Channel::Call,
            summary: "Called about the renewal".into(),
            outcome: String::new(),
            next_contact: None,
        },
        Cmd::RecordSettlement {
            client: rapport::domain::ClientId(1),
            date: d("2026-06-01"),
            amount: rapport::domain::Money(12_345),
            product: Some(rapport::domain::ProductId(1)),
            doc: "F-1".into(),
        },
    ]);
    book.as_user("lea", cmds);
    Some(book)
}

/// Each command in order, as the Unix login; `undo`'s line names the minute it was
/// made, so it is compared without it.
const SCRIPT: [&[&str]; 30] = [
    &[
        "client",
        "add",
        "--ref",
        "C7",
        "--name",
        "Boulangerie Paul",
        "--manager",
        "ben",
        "--created",
        "2026-11-02",
    ],
    &[
        "client",
        "add",
        "--ref",
        "C8",
        "--name",
        "Muller und Sohne",
        "--allow-duplicate",
        "--created",
        "2026-11-02",
    ],
    &["client", "edit", "C1", "--notes", "Key account"],
    &["client", "edit", "C1", "C2", "--tag", "+vip"],
    &["person", "add", "C1", "--name", "Anna Berg", "--role", "buyer"],
    &["person", "edit", "C1", "Anna Berg", "--role", "CFO"],
    &["task", "edit", "task-1", "--text", "Send the new brochure"],
    &["snooze", "task-1", "2026-12-09", "--as-of", "2026-12-02"],
    &["unmark", "task-1"],
    &["ticket", "new", "C3", "--text", "Late delivery", "--date", "2026-11-20"],
    &[
        "ticket",
        "advance",
        "1",
        "--owner",
        "ben",
        "--cause",
        "Carrier",
        "--date",
        "2026-11-21",
    ],
    &[
        "contact",
        "edit",
        "C3",
        "2026-06-02 10:00",
        "--summary",
        "Renewal agreed",
    ],
    &["settlement", "edit", "C1", "2026-06-01", "123.45", "--doc", "F-1b"],
    &["terms", "C3", "crm"],
    &["questionnaire", "crm", "How was the set-up?", "Would you recommend us?"],
    &["survey", "C1", "crm", "4", "2", "--date", "2026-11-25"],
    &["sales-setup"],
    &["template", "list"],
    &["views"],
    &["portrait"],
    &["offers"],
    &["offers", "--format", "json"],
    &["tickets", "--all"],
    &["docs"],
    &["plan", "--as-of", "2026-11-28"],
    &["client", "archive", "C2"],
    &["trash"],
    &["client", "restore", "C2"],
    &["merge", "C1", "C2", "--on", "2026-11-28"],
    &["undo"],
];

/// The records every command above may have changed, as exported.
const EXPORTS: [&str; 5] = ["clients", "persons", "offers", "settlements", "contacts"];

on_both! {
fn record_commands_read_only_what_they_name(kind) {
    let (Some(here), Some(there)) = (seeded(kind), seeded(kind)) else { return };
    let direct = |args: &[&str]| {
        let o = here.run(args);
        (o.status.code(), stdout(&o), stderr(&o))
    };
    let me = me();
    let server = Server::start(there.home.path(), &there.db, &["--trust-claimed-logins", "--managers-see", "own"]);
    let through = |login: &str, args: &[&str]| {
        let o = server
            .cli(&there.db)
            .args(["--server", "always", "--claim-login", login])
            .args(args)
            .env("XDG_DATA_HOME", there.home.path().join("data"))
            .output()
            .unwrap();
        (o.status.code(), stdout(&o), stderr(&o))
    };
    for args in SCRIPT {
        let (want, got) = (direct(args), through(&me, args));
        assert_eq!(want.0, Some(0), "{args:?} directly: {}", want.2);
        let minute = |s: &str| s.split(" (20").next().unwrap_or_default().to_string();
        match args[0] {
            "undo" => assert_eq!(minute(&got.1), minute(&want.1), "{args:?}"),
            _ => assert_eq!(got, want, "{args:?}"),
        }
    }
    for what in EXPORTS {
        let args = ["export", what];
        assert_eq!(through(&me, &args).1, direct(&args).1, "{what}");
    }
    // A new client that looks like others is refused, naming them all, as
    // the whole book says.
    let args = ["client", "add", "--ref", "C9", "--name", "Muller & Sohne"];
    let (want, got) = (direct(&args), through(&me, &args));
    assert_eq!(want.0, Some(2), "{}", want.2);
    assert!(want.2.contains("C1 Müller & Söhne") && want.2.contains("C8"), "{}", want.2);
    assert_eq!(got, want);
    // A manager limited to their own clients names another's as unknown,
    // and their own as theirs.
    let (code, _, err) = through("amy", &["client", "edit", "C3", "--notes", "Mine now"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("unknown client 'C3'"), "{err}");
    let (code, out, err) = through("amy", &["ticket", "advance", "1", "--date", "2026-11-22"]);
    assert_ne!(code, Some(0), "{out}");
    assert!(!out.contains("ticket #1 is now"), "{err}");
    assert_eq!(through("amy", &["client", "edit", "C1", "--notes", "Amy's"]).0, Some(0));
    // No command line received the whole model: each joined for one command.
    let log = server.log();
    let joined: Vec<&str> = log.lines().filter(|l| l.contains(" joined")).collect();
    assert!(joined.len() > SCRIPT.len(), "{log}");
    assert!(
        joined.iter().all(|l| l.contains("without a model (one command)")),
        "{log}"
    );
}
}
