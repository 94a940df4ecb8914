//! Folding text and phone numbers to the form they are compared in:
//! names without case or accents (`Müller` = `muller`), phone numbers as
//! their national digits (`+33 6 12 34 56 78` = `06.12.34.56.78` =
//! `612345678`).

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Case- and accent-folds `s`; also returns, for each folded character,
/// the index of the original character it came from.
pub fn fold(s: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(s.len());
    let mut map = Vec::with_capacity(s.len());
    fold_each(s, |c, i| {
        out.push(c);
        map.push(i);
    });
    (out, map)
}

/// Appends `s` case- and accent-folded to `out` (as `fold`, without the
/// map: the interface folds every client's text when it starts).
pub fn fold_into(out: &mut String, s: &str) {
    out.reserve(s.len());
    fold_each(s, |c, _| out.push(c));
}

/// Hands each folded character of `s` to `push`, with the index of the
/// original character it came from.
fn fold_each(s: &str, mut push: impl FnMut(char, usize)) {
    for (i, c) in s.chars().enumerate() {
        let mut lower = |c: char| c.to_lowercase().for_each(|l| push(l, i));
        match c {
            c if c.is_ascii() => lower(c),
            'ß' => "ss".chars().for_each(&mut lower),
            'æ' | 'Æ' => "ae".chars().for_each(&mut lower),
            'œ' | 'Œ' => "oe".chars().for_each(&mut lower),
            'ø' | 'Ø' => lower('o'),
            'ł' | 'Ł' => lower('l'),
            'đ' | 'Đ' => lower('d'),
            c => decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    lower(d)
                }
            }),
        }
    }
}

/// Country calling codes taken off an international number (`+33`,
/// `0049`): the ones of the countries rapport's users call most; a number
/// of another country keeps its code, and still matches by its digits.
const COUNTRY_CODES: [&str; 24] = [
    "1", "7", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49", "351",
    "352", "353", "358", "420", "421",
];

/// The national digits of a phone number: separators dropped, then an
/// international prefix (`+CC`, `00CC`) or the national trunk `0` taken
/// off. `None` when it has letters or fewer than 3 digits.
pub fn phone_digits(s: &str) -> Option<String> {
    let s = s.trim();
    if !s
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '/' | '(' | ')' | '+' | '\u{a0}'))
    {
        return None;
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 3 {
        return None;
    }
    let international = if s.starts_with('+') {
        Some(digits.as_str())
    } else {
        digits.strip_prefix("00")
    };
    let national = match international {
        Some(rest) => COUNTRY_CODES
            .iter()
            .filter(|cc| rest.len() > cc.len() + 3)
            .find_map(|cc| rest.strip_prefix(*cc))
            // `+33 (0)6 …`: the trunk zero some write after the code.
            .map(|n| n.strip_prefix('0').unwrap_or(n))
            .unwrap_or(rest),
        None => digits.strip_prefix('0').unwrap_or(&digits),
    };
    Some(national.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_and_case_fold() {
        assert_eq!(fold("Müller & Söhne").0, "muller & sohne");
        assert_eq!(fold("Straße").0, "strasse");
        assert_eq!(fold("Œuvre Éloi").0, "oeuvre eloi");
    }

    #[test]
    fn folding_into_a_buffer_appends_the_same_text() {
        let mut out = String::from("x ");
        for s in ["Müller & Söhne", "Straße", "ŁÓDŹ Ærø", "", "İstanbul"] {
            fold_into(&mut out, s);
            out.push('|');
        }
        let expected: Vec<String> = ["Müller & Söhne", "Straße", "ŁÓDŹ Ærø", "", "İstanbul"]
            .iter()
            .map(|s| fold(s).0)
            .collect();
        assert_eq!(out, format!("x {}|", expected.join("|")));
        // A position map per folded character: `ß` gives two.
        assert_eq!(fold("aßb").1, vec![0, 1, 1, 2]);
    }

    #[test]
    fn phone_numbers_fold_to_their_national_digits() {
        let p = |s: &str| phone_digits(s);
        // French, German, English, Swiss and US ways of writing them.
        assert_eq!(p("+33 6 12 34 56 78").as_deref(), Some("612345678"));
        assert_eq!(p("06.12.34.56.78").as_deref(), Some("612345678"));
        assert_eq!(p("0033 6 12 34 56 78").as_deref(), Some("612345678"));
        assert_eq!(p("+33 (0)6 12 34 56 78").as_deref(), Some("612345678"));
        assert_eq!(p("+49 30 1234567").as_deref(), Some("301234567"));
        assert_eq!(p("030/1234567").as_deref(), Some("301234567"));
        assert_eq!(p("+44 20 7946 0958").as_deref(), Some("2079460958"));
        assert_eq!(p("020 7946 0958").as_deref(), Some("2079460958"));
        assert_eq!(p("+41 44 668 18 00").as_deref(), Some("446681800"));
        assert_eq!(p("+1 (212) 555-0100").as_deref(), Some("2125550100"));
        // A query: a part of a number.
        assert_eq!(p("0612").as_deref(), Some("612"));
        assert_eq!(p("77 27 77").as_deref(), Some("772777"));
        // Not a number.
        assert_eq!(p("call me"), None);
        assert_eq!(p("06 AB 12"), None);
        assert_eq!(p("12"), None);
        assert_eq!(p(""), None);
    }
}
