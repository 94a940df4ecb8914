//! Text from the data as a terminal may show it: records stored before
//! one-line fields refused control characters, and multi-line notes, must
//! never move the cursor, clear the screen or forge a line of output.

use std::borrow::Cow;

/// `s` with every control character replaced: line breaks and tabs by a
/// space, anything else (escape sequences' ESC included) by U+FFFD.
pub fn printable(s: &str) -> Cow<'_, str> {
    // Control characters are U+0000–U+001F, U+007F and U+0080–U+009F (in
    // UTF-8, 0xC2 then 0x80–0x9F): text without those bytes is looked at
    // no further, as most text is.
    if !has_suspect_byte(s.as_bytes()) || !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\n' | '\r' | '\t' => ' ',
                c if c.is_control() => '\u{fffd}',
                c => c,
            })
            .collect(),
    )
}

/// Whether `bytes` hold a byte that may begin a control character. Looked
/// at 16 bytes at a time without stopping early inside them, so that the
/// compiler checks each 16 at once (a list of names is megabytes).
fn has_suspect_byte(bytes: &[u8]) -> bool {
    let suspect = |b: u8| (b < 0x20) | (b == 0x7f) | (b == 0xc2);
    let mut chunks = bytes.chunks_exact(16);
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |any, &b| any | suspect(b)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| suspect(b))
}

/// Whether `email` has the shape of an address (RFC 5322's, as the
/// `email_address` crate checks it); an empty one is no address at all
/// and passes.
pub fn email_shape(email: &str) -> Result<(), String> {
    if email.is_empty() {
        return Ok(());
    }
    email
        .parse::<email_address::EmailAddress>()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// `5 4 3` (or `5,4,3`) → survey scores, one per question, each 1 to 5.
pub fn scores(text: &str) -> Option<Vec<u8>> {
    let v: Option<Vec<u8>> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u8>().ok().filter(|n| (1..=5).contains(n)))
        .collect();
    v.filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::{email_shape, printable};

    #[test]
    fn an_email_needs_its_shape() {
        assert!(email_shape("").is_ok());
        assert!(email_shape("anne@example.com").is_ok());
        assert!(email_shape("anne.martin+crm@dupont-fils.fr").is_ok());
        for bad in ["anne", "anne@", "@example.com", "anne @example.com", "a@b@c"] {
            assert!(email_shape(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn control_characters_never_pass() {
        assert_eq!(printable("Dupont SA"), "Dupont SA");
        assert_eq!(printable("Two\nBEGIN:VEVENT"), "Two BEGIN:VEVENT");
        assert_eq!(printable("\u{1b}[2Jwiped"), "\u{fffd}[2Jwiped");
        assert_eq!(printable("a\u{7f}b\u{9b}c"), "a\u{fffd}b\u{fffd}c");
        // 0xC2 starts U+0080–U+00BF: only U+0080–U+009F are controls.
        assert!(matches!(
            printable("¡Köhler! ½"),
            std::borrow::Cow::Borrowed("¡Köhler! ½")
        ));
        // Bytes are looked at 16 at a time: an escape anywhere in a long
        // text, in a whole chunk or in what is left after the last one.
        for at in [0, 1, 15, 16, 17, 31, 32, 47, 48, 50] {
            let mut text = "x".repeat(51);
            text.replace_range(at..=at, "\u{1b}");
            assert_eq!(printable(&text).chars().nth(at), Some('\u{fffd}'), "escape at {at}");
        }
    }
}

/// Tags after `edits`: `+vip` adds, `-old` removes, plain tags replace
/// them all (the two kinds do not mix).
pub fn edit_tags(current: &[String], edits: &[String]) -> Result<Vec<String>, String> {
    if edits.is_empty() {
        return Ok(current.to_vec());
    }
    let signed = edits.iter().filter(|e| e.starts_with(['+', '-'])).count();
    if signed == 0 {
        return Ok(edits.to_vec());
    }
    if signed != edits.len() {
        return Err("tags are either all +added/-removed or all plain (they replace the old ones)".into());
    }
    let mut tags = current.to_vec();
    for e in edits {
        let (sign, tag) = e.split_at(1);
        if tag.is_empty() {
            return Err(format!("'{e}' names no tag"));
        }
        if sign == "+" {
            if !tags.iter().any(|t| t == tag) {
                tags.push(tag.to_string());
            }
        } else {
            tags.retain(|t| t != tag);
        }
    }
    Ok(tags)
}

#[cfg(test)]
mod tag_tests {
    use super::edit_tags;

    #[test]
    fn tags_are_added_removed_or_replaced() {
        let now = vec!["old".to_string(), "north".to_string()];
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            edit_tags(&now, &v(&["+vip", "-old", "+north"])).unwrap(),
            v(&["north", "vip"])
        );
        assert_eq!(edit_tags(&now, &v(&["vip"])).unwrap(), v(&["vip"]));
        assert!(edit_tags(&now, &v(&["+vip", "plain"])).is_err());
        assert!(edit_tags(&now, &v(&["+"])).is_err());
        assert_eq!(edit_tags(&now, &[]).unwrap(), now, "no edit keeps them");
    }
}
