//! Hooks through the real binary: the user's `contact-logged` hook gets
//! the event after the command was committed; a failing `client-created`
//! hook is said on standard error and logged, the command still done.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::*;

#[test]
fn hooks_run_after_the_command_and_a_failure_is_said() {
    let book = Book::new();
    let dir = book.home.path().join("config/rapport/hooks");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let got = book.home.path().join("event.json");
    let hook = |name: &str, body: &str| {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
    };
    hook("contact-logged", &format!("cat > {}", got.display()));
    hook("client-created", "echo nope >&2; exit 4");
    book.ok(&["log", "C1", "--channel", "call", "--summary", "Asked for a quote"]);
    let event: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&got).unwrap()).unwrap();
    assert_eq!(event["command"], "log_contact");
    assert!(event["summary"].as_str().unwrap().contains("C1"), "{event}");
    let o = book.run(&["client", "add", "--ref", "C9", "--name", "Nine"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("hook client-created: ended with exit status: 4"),
        "{}",
        stderr(&o)
    );
    assert!(
        book.ok(&["export", "clients"]).contains("C9,Nine"),
        "the command was done"
    );
    let log = std::fs::read_to_string(book.home.path().join("data/rapport/hooks.log")).unwrap();
    assert!(log.contains("hook client-created"), "{log}");
}
