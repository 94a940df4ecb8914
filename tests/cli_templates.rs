//! `rapport template list|show|edit|import` through the real binary: the
//! built-in templates until a lead stores the company's, a bad placeholder
//! or a non-UTF-8 file refused at its position with nothing stored.

mod common;

use common::*;

on_both! {
fn templates_are_listed_checked_imported_and_edited(kind) {
    let Some(book) = Book::on(kind) else { return };
    let (run, ok) = (|args: &[&str]| book.run(args), |args: &[&str]| book.ok(args));
    let (home, db) = (&book.home, book.db.as_str());
    let list = ok(&["template", "list"]);
    assert!(
        list.contains("offer") && list.contains("built in") && list.contains("{{client.name}}"),
        "{list}"
    );
    assert!(ok(&["template", "show", "offer"]).starts_with("COMMERCIAL OFFER {{doc.number}}"));

    let bad = home.path().join("bad.txt");
    std::fs::write(&bad, "Dear {{person.name}},\n{{price}} and {{client.name\n").unwrap();
    let o = run(&["template", "import", "offer", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let said = stderr(&o);
    assert!(
        said.contains(&format!("{}:2:1: unknown placeholder `{{{{price}}}}`", bad.display())),
        "{said}"
    );
    assert!(said.contains(":2:15: `{{` is never closed"), "{said}");
    let latin1 = home.path().join("latin1.txt");
    std::fs::write(&latin1, b"Cher client, voil\xe0").unwrap();
    let o = run(&["template", "import", "offer", latin1.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not UTF-8"), "{}", stderr(&o));
    assert!(
        ok(&["template", "list"]).lines().all(|l| !l.contains("company's")),
        "nothing stored"
    );
    let o = run(&["template", "show", "brochure"]);
    assert_eq!(o.status.code(), Some(2));

    let good = home.path().join("good.txt");
    std::fs::write(&good, "OFFER {{doc.number}} for {{client.name}}\n").unwrap();
    ok(&["template", "import", "offer", good.to_str().unwrap()]);
    assert_eq!(
        ok(&["template", "show", "offer"]),
        "OFFER {{doc.number}} for {{client.name}}\n"
    );
    assert!(ok(&["template", "list"]).contains("the company's"));

    // The editor: a script that appends a line; an idle one changes nothing.
    let script = home.path().join("editor.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf 'Valid until {{offer.expiry}}\\n' >> \"$1\"\n",
    )
    .unwrap();
    let mut perm = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&script, perm).unwrap();
    let edit = |editor: &str| {
        std::process::Command::new(BIN)
            .args(["--db", db, "--server", "never", "template", "edit", "offer"])
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("VISUAL", editor)
            .output()
            .unwrap()
    };
    let o = edit(script.to_str().unwrap());
    assert!(o.status.success(), "{}", stderr(&o));
    let shown = ok(&["template", "show", "offer"]);
    assert!(
        shown
            .trim_end()
            .ends_with("{{client.name}}\nValid until {{offer.expiry}}"),
        "{shown}"
    );
    let o = edit("true");
    assert!(stdout(&o).contains("unchanged"), "{}", stdout(&o));
    assert!(ok(&["verify"]).contains("agrees"));
}
}
