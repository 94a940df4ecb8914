//! vCard in and out through the real binary, and round trips with two
//! programs people use: khard (vCard 4.0, one card per file, `tel:` URIs)
//! and abook (`--convert`, vCard 2.1 without a VERSION line). Needs khard
//! and abook (CI installs them).

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn have(program: &str) {
    assert!(
        Command::new(program).arg("--help").output().is_ok(),
        "these tests need {program} (apt-get install khard abook)"
    );
}

/// The book's contact persons: C1's Émile, C2's Anna.
fn book_with_persons() -> Book {
    let book = Book::new();
    book.ok(&[
        "person",
        "add",
        "C1",
        "--name",
        "Émile Wagner",
        "--role",
        "Achats; Einkauf",
        "--phone",
        "+33 6 12 34 56 78",
        "--email",
        "emile@muller.example",
        "--birthday",
        "1978-04-12",
    ]);
    book.ok(&[
        "person",
        "add",
        "C2",
        "--name",
        "Anna Berg",
        "--phone",
        "01 77 27 77 00",
    ]);
    book
}

fn contacts(book: &Book) -> String {
    book.ok(&["export", "contacts"])
}

#[test]
fn vcards_go_out_and_come_back_and_garbage_changes_nothing() {
    let book = book_with_persons();
    let vcf = book.ok(&["export", "contacts", "--format", "vcard"]);
    assert!(
        vcf.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:rapport-C1-1\r\nFN:Émile Wagner\r\nN:Wagner;Émile;;;\r\n"),
        "{vcf}"
    );
    assert!(
        vcf.contains("ORG:Müller & Söhne\r\n") && vcf.contains("TITLE:Achats\\; Einkauf\r\n"),
        "{vcf}"
    );
    assert!(
        vcf.contains("BDAY:19780412\r\nNOTE:rapport client C1\r\nX-RAPPORT-REF:C1\r\n"),
        "{vcf}"
    );
    assert_eq!(
        book.run(&["export", "clients", "--format", "vcard"]).status.code(),
        Some(2)
    );

    // Into a second book with the same clients: the same persons.
    let other = Book::new();
    let file = other.home.path().join("in.vcf");
    std::fs::write(&file, &vcf).unwrap();
    other.ok(&["import", "contacts", file.to_str().unwrap()]);
    assert_eq!(contacts(&other), contacts(&book));

    // A bad card: its line, and nothing imported.
    let bad = other.home.path().join("bad.vcf");
    std::fs::write(
        &bad,
        format!("{vcf}BEGIN:VCARD\nFN:X\nTEL:call me\nORG:Nobody\nEND:VCARD\n"),
    )
    .unwrap();
    let o = other.run(&["import", "contacts", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let lines = vcf.lines().count();
    let said = stderr(&o);
    assert!(
        said.contains(&format!(
            "{}:{}: 'call me' is not a phone number",
            bad.display(),
            lines + 3
        )),
        "{said}"
    );
    assert_eq!(contacts(&other), contacts(&book), "nothing changed");
}

#[test]
fn khard_reads_rapports_cards_and_rapport_reads_khards() {
    have("khard");
    let book = book_with_persons();
    let home = book.home.path();
    let dir = home.join("khard-book");
    std::fs::create_dir(&dir).unwrap();
    let conf = home.join("khard.conf");
    std::fs::write(
        &conf,
        format!(
            "[addressbooks]\n[[book]]\npath = {}\n[general]\neditor = /bin/true\nmerge_editor = /bin/true\n[vcard]\npreferred_version = 4.0\n",
            dir.display()
        ),
    )
    .unwrap();
    // rapport → khard: one card per file, as khard keeps them.
    let vcf = book.ok(&["export", "contacts", "--format", "vcard"]);
    for (i, card) in vcf.split_inclusive("END:VCARD\r\n").enumerate() {
        std::fs::write(dir.join(format!("{i}.vcf")), card).unwrap();
    }
    let khard = |args: &[&str], input: Option<&str>| {
        let mut c = Command::new("khard");
        c.arg("-c").arg(&conf).args(args).env("HOME", home);
        if let Some(text) = input {
            use std::io::Write;
            let mut child = c
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
            let o = child.wait_with_output().unwrap();
            assert!(o.status.success());
            return String::from_utf8_lossy(&o.stdout).into_owned();
        }
        let o = c.output().unwrap();
        assert!(
            o.status.success(),
            "khard {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let phones = khard(&["phone", "--parsable"], None);
    assert!(phones.contains("+33 6 12 34 56 78\tÉmile Wagner"), "{phones}");
    assert!(phones.contains("01 77 27 77 00\tAnna Berg"), "{phones}");
    let emails = khard(&["email", "--parsable"], None);
    assert!(emails.contains("emile@muller.example\tÉmile Wagner"), "{emails}");

    // khard → rapport: a contact written by khard, for C2 by its ORG.
    khard(
        &["new", "-a", "book"],
        Some(
            "First name : Zoé\nLast name : Clarke\nOrganisation : Société Générale\nTitle : Buyer\nPhone :\n    cell : +33 7 00 11 22 33\nEmail :\n    work : zoe@sg.example\nBirthday : 1990-01-31\n",
        ),
    );
    let written = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| std::fs::read_to_string(p).unwrap().contains("Zoé"))
        .unwrap();
    book.ok(&["import", "contacts", written.to_str().unwrap()]);
    let rows = contacts(&book);
    assert!(
        rows.contains("C2,Zoé Clarke,Buyer,'+33 7 00 11 22 33,zoe@sg.example,1990-01-31"),
        "{rows}"
    );
}

#[test]
fn abook_reads_rapports_cards_and_rapport_reads_abooks() {
    have("abook");
    let book = book_with_persons();
    let home = book.home.path();
    let vcf = home.join("out.vcf");
    std::fs::write(&vcf, book.ok(&["export", "contacts", "--format", "vcard"])).unwrap();
    let convert = |informat: &str, infile: &Path, outformat: &str, outfile: &Path| {
        let o = Command::new("abook")
            .args(["--convert", "--informat", informat, "--infile"])
            .arg(infile)
            .args(["--outformat", outformat, "--outfile"])
            .arg(outfile)
            .env("HOME", home)
            .output()
            .unwrap();
        assert!(o.status.success(), "abook: {}", String::from_utf8_lossy(&o.stderr));
    };
    let native = home.join("addressbook");
    convert("vcard", &vcf, "abook", &native);
    let text = std::fs::read_to_string(&native).unwrap();
    assert!(
        text.contains("name=Émile Wagner") && text.contains("email=emile@muller.example"),
        "{text}"
    );
    assert!(text.contains("workphone=+33 6 12 34 56 78"), "{text}");
    // abook → rapport: abook's own vCards (no VERSION, no ORG) come back
    // to their clients by the note rapport wrote.
    let back = home.join("back.vcf");
    convert("abook", &native, "vcard", &back);
    let other = Book::new();
    other.ok(&["import", "contacts", back.to_str().unwrap()]);
    let rows = contacts(&other);
    // (A CSV cell starting with `+` gets its `'`: no formula.)
    assert!(
        rows.contains("C1,Émile Wagner,,'+33 6 12 34 56 78,emile@muller.example,1978-04-12"),
        "{rows}"
    );
    assert!(rows.contains("C2,Anna Berg,,01 77 27 77 00,,"), "{rows}");
}
