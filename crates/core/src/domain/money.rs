//! Money as integer minor units (cents). Never a float.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("empty amount")]
    Empty,
    #[error("'{0}' is not an amount (expected e.g. 1234.56 or 1234,56)")]
    Invalid(String),
    #[error("'{0}' has more than two decimals")]
    TooPrecise(String),
    #[error("'{0}' is too large")]
    Overflow(String),
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn cents(self) -> i64 {
        self.0
    }

    /// Parses `1234.56`, `1234,56`, `-12.5`, `+7`, `1234`. One decimal
    /// separator at most (dot or comma), at most two decimals.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let s = text.trim();
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        let invalid = || MoneyError::Invalid(s.to_string());
        let (negative, digits) = match s.as_bytes().first() {
            Some(b'-') => (true, s.get(1..).unwrap_or("")),
            Some(b'+') => (false, s.get(1..).unwrap_or("")),
            _ => (false, s),
        };
        let (whole, frac) = match digits.find(['.', ',']) {
            Some(pos) => (digits.get(..pos).unwrap_or(""), digits.get(pos + 1..).unwrap_or("")),
            None => (digits, ""),
        };
        let has_sep = digits.contains(['.', ',']);
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        if has_sep && (frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit())) {
            return Err(invalid());
        }
        if frac.len() > 2 {
            return Err(MoneyError::TooPrecise(s.to_string()));
        }
        let overflow = || MoneyError::Overflow(s.to_string());
        let mut cents: i64 = 0;
        for b in whole.bytes() {
            cents = cents
                .checked_mul(10)
                .and_then(|c| c.checked_add(i64::from(b - b'0')))
                .ok_or_else(overflow)?;
        }
        cents = cents.checked_mul(100).ok_or_else(overflow)?;
        let mut frac_cents = 0i64;
        for (i, b) in frac.bytes().enumerate() {
            let weight = if i == 0 { 10 } else { 1 };
            frac_cents += i64::from(b - b'0') * weight;
        }
        cents = cents.checked_add(frac_cents).ok_or_else(overflow)?;
        Ok(Money(if negative { -cents } else { cents }))
    }

    /// Formats with the given decimal separator, e.g. `1234,56`.
    pub fn format_with(self, separator: char) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}{separator}{:02}", abs / 100, abs % 100)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.format_with('.'))
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

impl Money {
    /// `parse` for a French Excel file (`;`-separated, decimal commas),
    /// which may group thousands with spaces: `1 200,00` is 1200.00.
    pub fn parse_grouped(text: &str) -> Result<Money, MoneyError> {
        let s = text.trim();
        let (sign, digits) = match s.strip_prefix(['-', '+']) {
            Some(rest) => (s.get(..1).unwrap_or(""), rest),
            None => ("", s),
        };
        let (whole, tail) = match digits.find(['.', ',']) {
            Some(pos) => (digits.get(..pos).unwrap_or(""), digits.get(pos..).unwrap_or("")),
            None => (digits, ""),
        };
        let whole = ungroup(whole).ok_or_else(|| MoneyError::Invalid(s.to_string()))?;
        Money::parse(&format!("{sign}{whole}{tail}")).map_err(|_| MoneyError::Invalid(s.to_string()))
    }
}

/// The whole part without its thousands separators: a space, no-break
/// space or narrow no-break space between groups of three digits (French
/// Excel writes `1 200,00`). Groups of another size are not an amount.
fn ungroup(whole: &str) -> Option<String> {
    const SPACES: [char; 3] = [' ', '\u{a0}', '\u{202f}'];
    if !whole.contains(SPACES) {
        return Some(whole.to_string());
    }
    let groups: Vec<&str> = whole.split(SPACES).collect();
    let first_ok = groups.first().is_some_and(|g| (1..=3).contains(&g.len()));
    let rest_ok = groups.iter().skip(1).all(|g| g.len() == 3);
    (first_ok && rest_ok).then(|| groups.concat())
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separated_by_spaces_in_french_excel_files() {
        use super::Money;
        let p = Money::parse_grouped;
        assert_eq!(p("1 200,00"), Ok(Money(120_000)));
        assert_eq!(p("1\u{a0}200,00"), Ok(Money(120_000)));
        assert_eq!(p("-12\u{202f}345\u{202f}678,9"), Ok(Money(-1_234_567_890)));
        assert_eq!(p(" 999 999 "), Ok(Money(99_999_900)));
        assert_eq!(p("1200,5"), Ok(Money(120_050)));
        for bad in ["1 20,00", "1  200", "1234 567", "200,5 5", "12 34", "", "-"] {
            assert!(p(bad).is_err(), "{bad:?}");
        }
        assert!(Money::parse("1 200,00").is_err(), "plain parsing stays strict");
    }

    use super::*;

    #[test]
    fn parses_both_separators() {
        assert_eq!(Money::parse("1234.56"), Ok(Money(123456)));
        assert_eq!(Money::parse("1234,56"), Ok(Money(123456)));
        assert_eq!(Money::parse("-12.5"), Ok(Money(-1250)));
        assert_eq!(Money::parse("+7"), Ok(Money(700)));
        assert_eq!(Money::parse(" 0,05 "), Ok(Money(5)));
        assert_eq!(Money::parse("0"), Ok(Money(0)));
    }

    #[test]
    fn rejects_bad_amounts() {
        for bad in [
            "", "-", "abc", "12.", ".5", "1.2.3", "1,234.56", "12.345", "1e5", "--1", "1 000",
        ] {
            assert!(Money::parse(bad).is_err(), "{bad} should be rejected");
        }
        assert!(matches!(
            Money::parse("99999999999999999999"),
            Err(MoneyError::Overflow(_))
        ));
    }

    #[test]
    fn prints_two_decimals() {
        assert_eq!(Money(123456).to_string(), "1234.56");
        assert_eq!(Money(-5).to_string(), "-0.05");
        assert_eq!(Money(-123456).format_with(','), "-1234,56");
        assert_eq!(Money(i64::MIN).to_string(), "-92233720368547758.08");
    }

    #[test]
    fn round_trips() {
        for cents in [0, 1, -1, 99, 100, 123456, -987654321, i64::MAX] {
            let m = Money(cents);
            assert_eq!(Money::parse(&m.to_string()), Ok(m));
            assert_eq!(Money::parse(&m.format_with(',')), Ok(m));
        }
    }
}
