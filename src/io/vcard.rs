//! vCard in and out for the contact persons: vCard 4.0 written (FN, N, ORG
//! = the client's name, TITLE = the role, TEL with its type, EMAIL, BDAY,
//! NOTE and X-RAPPORT-REF = the client's ref), vCard 2.1, 3.0 and 4.0 read
//! (many cards per file, folded lines, escaped characters, bare `HOME`/
//! `CELL` types as abook writes them). Each card's client is found by
//! `X-RAPPORT-REF` (or the note `rapport client REF` rapport writes, which
//! programs that drop unknown properties keep), else by `ORG`; a bad card
//! is reported at its line and nothing is imported.

use std::io::Write;

use chrono::NaiveDate;

use super::import::{Plan, RowError};
use crate::domain::{ClientId, ContactPerson};
use crate::find::fold;
use crate::model::Model;
use crate::write::Command;

/// Lines are folded past this many octets (RFC 6350 §3.2).
const LINE: usize = 75;

/// A text value with `\`, `,`, `;` and line breaks escaped; other
/// control characters dropped (they are never written).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes `line` folded at `LINE` octets (never inside a character), CRLF.
fn folded(out: &mut dyn Write, line: &str) -> std::io::Result<()> {
    let mut width = 0;
    let mut start = 0;
    for (i, c) in line.char_indices() {
        let limit = if start == 0 { LINE } else { LINE - 1 };
        if width + c.len_utf8() > limit {
            out.write_all(line.get(start..i).unwrap_or("").as_bytes())?;
            out.write_all(b"\r\n ")?;
            start = i;
            width = 0;
        }
        width += c.len_utf8();
    }
    out.write_all(line.get(start..).unwrap_or("").as_bytes())?;
    out.write_all(b"\r\n")
}

/// `Émile Wagner` → (`Wagner`, `Émile`): the last word is the family name.
fn split_name(name: &str) -> (&str, &str) {
    match name.trim().rsplit_once(' ') {
        Some((given, family)) => (family, given.trim()),
        None => (name.trim(), ""),
    }
}

/// One contact person as a vCard 4.0.
pub fn card(model: &Model, p: &ContactPerson, out: &mut dyn Write) -> std::io::Result<()> {
    let client = model.clients.get(&p.client);
    let reference = client.map_or("", |c| c.reference.as_str());
    let (family, given) = split_name(&p.name);
    let mut lines = vec![
        "BEGIN:VCARD".to_string(),
        "VERSION:4.0".to_string(),
        // Stable, so that a program keeping cards by UID (khard) updates
        // rather than doubles them on the next export.
        format!("UID:rapport-{}-{}", escape(reference), p.id),
        format!("FN:{}", escape(&p.name)),
        format!("N:{};{};;;", escape(family), escape(given)),
    ];
    if let Some(c) = client {
        lines.push(format!("ORG:{}", escape(&c.name)));
    }
    if !p.role.is_empty() {
        lines.push(format!("TITLE:{}", escape(&p.role)));
    }
    for phone in p.phone.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        // A business contact's number: work (abook files it so too).
        lines.push(format!("TEL;TYPE=work,voice:{}", escape(phone)));
    }
    if !p.email.is_empty() {
        lines.push(format!("EMAIL:{}", escape(&p.email)));
    }
    if let Some(b) = p.birthday {
        lines.push(format!("BDAY:{}", b.format("%Y%m%d")));
    }
    lines.push(format!("NOTE:{}", escape(&format!("rapport client {reference}"))));
    lines.push(format!("X-RAPPORT-REF:{}", escape(reference)));
    lines.push("END:VCARD".to_string());
    for l in lines {
        folded(out, &l)?;
    }
    Ok(())
}

/// Every contact person of the clients there, as vCards.
pub fn write_all(model: &Model, out: &mut dyn Write) -> std::io::Result<()> {
    for p in model.persons.values() {
        card(model, p, out)?;
    }
    Ok(())
}

/// Whether `bytes` look like vCards (so `import contacts` reads them so).
pub fn looks_like(bytes: &[u8]) -> bool {
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let start = text.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(text.len());
    text.get(start..start + 11)
        .is_some_and(|s| s.eq_ignore_ascii_case(b"BEGIN:VCARD"))
}

/// One property line: its name (upper case, without a group such as
/// `item1.` and without parameters such as `;TYPE=cell` or 2.1's bare
/// `;HOME`), and its value (unescaped later).
struct Property {
    name: String,
    value: String,
}

fn property(line: &str) -> Option<Property> {
    let (head, value) = line.split_once(':')?;
    let name = head.split(';').next()?;
    let name = name.rsplit('.').next().unwrap_or(name).trim().to_ascii_uppercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return None;
    }
    Some(Property {
        name,
        value: value.to_string(),
    })
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `19780412`, `1978-04-12`; a birthday without a year (`--0412`) is kept
/// as none.
fn birthday(s: &str) -> Option<Option<NaiveDate>> {
    let s = s.trim();
    if s.starts_with("--") {
        return Some(None);
    }
    let date = s
        .get(..10)
        .filter(|d| d.len() == 10 && d.as_bytes().get(4) == Some(&b'-'))
        .unwrap_or(s);
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s.get(..8).unwrap_or(s), "%Y%m%d"))
        .ok()
        .map(Some)
}

/// A card as read, with the line it begins on.
#[derive(Default)]
struct Card {
    line: u64,
    fn_: String,
    n: Option<String>,
    org: String,
    title: String,
    tels: Vec<String>,
    emails: Vec<String>,
    bday: Option<NaiveDate>,
    reference: String,
}

/// Reads every card of `bytes`; all problems at once, by line.
fn cards(file: &str, bytes: &[u8]) -> Result<Vec<Card>, Vec<RowError>> {
    let err = |line: u64, message: String| RowError {
        file: file.to_string(),
        line,
        message,
    };
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)).map_err(|e| {
        let line = bytes
            .get(..e.valid_up_to())
            .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count())
            + 1;
        vec![err(line as u64, "not UTF-8".into())]
    })?;
    // Unfolded lines, each with the line number it starts on.
    let mut lines: Vec<(u64, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match (raw.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some((_, last))) => last.push_str(rest),
            _ => lines.push((i as u64 + 1, raw.to_string())),
        }
    }
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut current: Option<Card> = None;
    for (n, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let Some(p) = property(&line) else {
            errors.push(err(
                n,
                format!("not a vCard line: '{}'", crate::domain::text::printable(&line)),
            ));
            continue;
        };
        let value = || unescape(&p.value);
        match (p.name.as_str(), &mut current) {
            ("BEGIN", None) if p.value.trim().eq_ignore_ascii_case("vcard") => {
                current = Some(Card {
                    line: n,
                    ..Card::default()
                })
            }
            ("BEGIN", _) => errors.push(err(n, "BEGIN inside a card (the one before has no END)".into())),
            ("END", Some(_)) => out.extend(current.take()),
            ("END", None) => errors.push(err(n, "END without BEGIN".into())),
            (_, None) => errors.push(err(n, "a property outside a card".into())),
            ("FN", Some(c)) => c.fn_ = value(),
            ("N", Some(c)) => c.n = Some(p.value.clone()),
            ("ORG", Some(c)) => c.org = unescape(p.value.split(';').next().unwrap_or("")),
            ("TITLE", Some(c)) => c.title = value(),
            ("TEL", Some(c)) => {
                let v = value();
                let v = v.strip_prefix("tel:").unwrap_or(&v).trim().to_string();
                if crate::find::phone_digits(&v).is_none() {
                    errors.push(err(
                        n,
                        format!("'{}' is not a phone number", crate::domain::text::printable(&v)),
                    ));
                } else if !v.is_empty() {
                    c.tels.push(v);
                }
            }
            ("EMAIL", Some(c)) => c.emails.push(value().trim().to_string()),
            ("BDAY", Some(c)) => match birthday(&value()) {
                Some(b) => c.bday = b,
                None => errors.push(err(
                    n,
                    format!("'{}' is not a birthday", crate::domain::text::printable(&value())),
                )),
            },
            ("X-RAPPORT-REF", Some(c)) => c.reference = value().trim().to_string(),
            // Programs that drop unknown properties keep the note.
            ("NOTE", Some(c)) if c.reference.is_empty() => {
                if let Some(r) = value().trim().strip_prefix("rapport client ") {
                    c.reference = r.trim().to_string();
                }
            }
            _ => {}
        }
    }
    if let Some(c) = current {
        errors.push(err(c.line, "a card that is never ended (no END:VCARD)".into()));
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// The name a card gives: FN, else N's given and family names.
fn name_of(c: &Card) -> String {
    if !c.fn_.trim().is_empty() {
        return c.fn_.trim().to_string();
    }
    let n = c.n.as_deref().unwrap_or("");
    let parts: Vec<String> = n.split(';').map(unescape).collect();
    let family = parts.first().map_or("", |s| s.trim());
    let given = parts.get(1).map_or("", |s| s.trim());
    format!("{given} {family}").trim().to_string()
}

/// The commands a vCard file stands for: one new contact person per card.
pub fn plan(model: &Model, file: &str, bytes: &[u8]) -> Result<Plan, Vec<RowError>> {
    let cards = cards(file, bytes)?;
    let by_name: std::collections::HashMap<String, Vec<ClientId>> =
        model.clients.values().fold(Default::default(), |mut m, c| {
            m.entry(fold(c.name.trim()).0).or_default().push(c.id);
            m
        });
    let mut errors = Vec::new();
    let mut commands = Vec::new();
    let mut lines = Vec::new();
    for c in &cards {
        let err = |message: String| RowError {
            file: file.to_string(),
            line: c.line,
            message,
        };
        let client = if !c.reference.is_empty() {
            model.client_by_ref(&c.reference).map(|x| x.id).ok_or_else(|| {
                err(format!(
                    "no client '{}' (X-RAPPORT-REF)",
                    crate::domain::text::printable(&c.reference)
                ))
            })
        } else {
            match by_name.get(&fold(c.org.trim()).0).map(Vec::as_slice) {
                Some([one]) => Ok(*one),
                Some(_) => Err(err(format!(
                    "several clients are named '{}': give the card an X-RAPPORT-REF",
                    crate::domain::text::printable(&c.org)
                ))),
                None if c.org.trim().is_empty() => {
                    Err(err("a card without ORG or X-RAPPORT-REF: whose contact is it?".into()))
                }
                None => Err(err(format!(
                    "no client named '{}' (ORG)",
                    crate::domain::text::printable(&c.org)
                ))),
            }
        };
        let name = name_of(c);
        match client {
            Err(e) => errors.push(e),
            Ok(_) if name.is_empty() => errors.push(err("a card without a name (FN or N)".into())),
            Ok(client) => {
                lines.push(c.line);
                commands.push(Command::AddPerson {
                    client,
                    name,
                    role: c.title.clone(),
                    phone: c.tels.join(", "),
                    email: c.emails.first().cloned().unwrap_or_default(),
                    birthday: c.bday,
                });
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Plan {
        rows: commands.len(),
        commands,
        lines,
        created_clients: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_and_never_inside_a_character() {
        let mut out = Vec::new();
        let line = format!("NOTE:{}", "é".repeat(60));
        folded(&mut out, &line).unwrap();
        let text = String::from_utf8(out).unwrap();
        for l in text.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= LINE, "{} octets", l.len());
        }
        let unfolded = text.replace("\r\n ", "");
        assert_eq!(unfolded.trim_end(), line);
    }

    #[test]
    fn cards_of_2_1_3_0_and_4_0_read_with_their_escapes_and_folds() {
        let file = "BEGIN:VCARD\r\nFN:Anna Berg\r\nN:Berg;Anna\r\nTEL;HOME:01 77 27 77 00\r\nTEL;CELL:+33 6 12 34 56 78\r\nEMAIL;PREF;INTERNET:anna@example.com\r\nEND:VCARD\r\n\
BEGIN:VCARD\nVERSION:3.0\nN:Dupont;Jean-Luc;;;\nORG:Dupont\\, Fils & Cie;Ventes\nitem1.TEL;TYPE=WORK,VOICE:+33 1 23\n 45 67 89\nNOTE:two\\nlines\nBDAY:1978-04-12\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:4.0\nFN:Zoé\nTEL;VALUE=uri;TYPE=cell:tel:+49-30-1234567\nBDAY:--0412\nEND:VCARD\n";
        let cards = cards("f.vcf", file.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(cards.len(), 3);
        assert_eq!(name_of(&cards[0]), "Anna Berg");
        assert_eq!(cards[0].tels, ["01 77 27 77 00", "+33 6 12 34 56 78"]);
        assert_eq!(cards[0].emails, ["anna@example.com"]);
        assert_eq!(name_of(&cards[1]), "Jean-Luc Dupont");
        assert_eq!(cards[1].org, "Dupont, Fils & Cie");
        assert_eq!(cards[1].tels, ["+33 1 2345 67 89"]);
        assert_eq!(cards[1].bday, "1978-04-12".parse().ok());
        assert_eq!(
            (cards[2].line, cards[2].tels[0].as_str(), cards[2].bday),
            (17, "+49-30-1234567", None)
        );
    }

    #[test]
    fn garbage_is_reported_at_its_line() {
        let bad = "BEGIN:VCARD\nFN:A\nTEL:call me\nthis is not a property\nBDAY:someday\nEND:VCARD\nEND:VCARD\nBEGIN:VCARD\nFN:B\n";
        let errors = cards("bad.vcf", bad.as_bytes()).err().unwrap();
        let got: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.message.as_str())).collect();
        assert_eq!(got.len(), 5, "{got:?}");
        assert!(got[0].0 == 3 && got[0].1.contains("not a phone number"));
        assert!(got[1].0 == 4 && got[1].1.contains("not a vCard line"));
        assert!(got[2].0 == 5 && got[2].1.contains("not a birthday"));
        assert!(got[3].0 == 7 && got[3].1.contains("END without BEGIN"));
        assert!(got[4].0 == 8 && got[4].1.contains("never ended"));
        assert!(cards("x.vcf", b"BEGIN:VCARD\nFN:\xff\nEND:VCARD\n").is_err());
    }
}
