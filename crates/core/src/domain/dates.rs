//! Date parsing for user input and files: `YYYY-MM-DD` or `DD/MM/YYYY`, and
//! the calendar-month arithmetic SPEC §4 relies on.

use chrono::{Datelike, Months, NaiveDate};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)")]
pub struct DateError(pub String);

pub fn parse_date(text: &str) -> Result<NaiveDate, DateError> {
    let s = text.trim();
    let err = || DateError(s.to_string());
    let b = s.as_bytes();
    // Exact shapes only: chrono alone would accept `2024-1-5` or `+2024-01-05`.
    let shape_iso = b.len() == 10 && b[4] == b'-' && b[7] == b'-';
    let shape_fr = b.len() == 10 && b[2] == b'/' && b[5] == b'/';
    let digits_ok = b
        .iter()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || matches!((shape_iso, shape_fr, i), (true, _, 4 | 7) | (_, true, 2 | 5)));
    if !digits_ok {
        return Err(err());
    }
    let format = if shape_iso {
        "%Y-%m-%d"
    } else if shape_fr {
        "%d/%m/%Y"
    } else {
        return Err(err());
    };
    NaiveDate::parse_from_str(s, format).map_err(|_| err())
}

/// `date - n months` with end-of-month clamping (31 March − 1 month = 28/29 Feb).
pub fn months_before(date: NaiveDate, n: u32) -> NaiveDate {
    date.checked_sub_months(Months::new(n)).unwrap_or(NaiveDate::MIN)
}

/// `date + n months` with end-of-month clamping.
pub fn months_after(date: NaiveDate, n: u32) -> NaiveDate {
    date.checked_add_months(Months::new(n)).unwrap_or(NaiveDate::MAX)
}

/// Whole calendar months from `from` to `to` (0 if `to` is earlier): the
/// largest n with `from + n months <= to`.
pub fn whole_months_between(from: NaiveDate, to: NaiveDate) -> u32 {
    if to < from {
        return 0;
    }
    let mut n = (to.year() - from.year()) as i64 * 12 + to.month() as i64 - from.month() as i64;
    while n > 0 && months_after(from, n as u32) > to {
        n -= 1;
    }
    n.max(0) as u32
}

/// The last day of the month `date` falls in.
pub fn month_end(date: NaiveDate) -> NaiveDate {
    let first = date.with_day(1).unwrap_or(date);
    months_after(first, 1).pred_opt().unwrap_or(date)
}

/// What a date field or argument takes: a date, or `+N` days from a base
/// date the caller knows (today, the stage date…). One rule for the
/// command line and the interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateOrDays {
    Date(NaiveDate),
    Days(u16),
}

impl DateOrDays {
    pub fn parse(text: &str) -> Result<DateOrDays, String> {
        let s = text.trim();
        match s.strip_prefix('+') {
            Some(n) => n
                .parse::<u16>()
                .map(DateOrDays::Days)
                .map_err(|_| format!("'{s}' is not +DAYS (e.g. +7)")),
            None => parse_date(s)
                .map(DateOrDays::Date)
                .map_err(|e| format!("{e}, or +DAYS")),
        }
    }

    /// The date, counting days from `base`; `None` past the calendar's end.
    pub fn from(self, base: NaiveDate) -> Option<NaiveDate> {
        match self {
            DateOrDays::Date(d) => Some(d),
            DateOrDays::Days(n) => base.checked_add_days(chrono::Days::new(u64::from(n))),
        }
    }
}

/// A date, or `+N` days from `base`.
pub fn date_or_days(text: &str, base: NaiveDate) -> Result<NaiveDate, String> {
    DateOrDays::parse(text)?
        .from(base)
        .ok_or_else(|| format!("'{}' is past the end of the calendar", text.trim()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_date_or_days_from_a_base() {
        use super::{DateOrDays, date_or_days};
        let base: chrono::NaiveDate = "2026-11-27".parse().unwrap();
        assert_eq!(date_or_days("+7", base), Ok("2026-12-04".parse().unwrap()));
        assert_eq!(date_or_days(" 01/12/2026 ", base), Ok("2026-12-01".parse().unwrap()));
        assert_eq!(DateOrDays::parse("+0"), Ok(DateOrDays::Days(0)));
        assert!(date_or_days("+x", base).unwrap_err().contains("+DAYS"));
        assert!(date_or_days("+70000", base).unwrap_err().contains("+DAYS"));
        assert!(date_or_days("soon", base).unwrap_err().contains("or +DAYS"));
        assert!(date_or_days("+65535", chrono::NaiveDate::MAX).is_err());
    }

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn parses_both_forms() {
        assert_eq!(parse_date("2026-02-28"), Ok(d(2026, 2, 28)));
        assert_eq!(parse_date("28/02/2026"), Ok(d(2026, 2, 28)));
        assert_eq!(parse_date(" 29/02/2024 "), Ok(d(2024, 2, 29)));
    }

    #[test]
    fn rejects_non_dates() {
        for bad in [
            "",
            "2026-2-28",
            "2026-02-30",
            "29/02/2025",
            "2026/02/28",
            "02-28-2026",
            "+2026-02-8",
            "yesterday",
            "2026-02-28x",
            "é026-02-28",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn month_arithmetic_clamps() {
        assert_eq!(months_before(d(2026, 3, 31), 1), d(2026, 2, 28));
        assert_eq!(months_before(d(2024, 3, 31), 1), d(2024, 2, 29));
        assert_eq!(months_before(d(2024, 2, 29), 12), d(2023, 2, 28));
        assert_eq!(month_end(d(2024, 2, 3)), d(2024, 2, 29));
        assert_eq!(month_end(d(2026, 12, 31)), d(2026, 12, 31));
    }

    #[test]
    fn whole_months() {
        assert_eq!(whole_months_between(d(2026, 1, 31), d(2026, 2, 28)), 1);
        assert_eq!(whole_months_between(d(2026, 1, 15), d(2026, 2, 14)), 0);
        assert_eq!(whole_months_between(d(2026, 1, 15), d(2027, 1, 15)), 12);
        assert_eq!(whole_months_between(d(2026, 5, 1), d(2026, 1, 1)), 0);
    }
}

/// A date as a cell or a card shows it: `18/10` within six months of
/// `today`, `18/10/25` further away (an old win must not look recent).
pub fn short_date(date: NaiveDate, today: NaiveDate) -> String {
    if (date - today).num_days().abs() <= 183 {
        date.format("%d/%m").to_string()
    } else {
        date.format("%d/%m/%y").to_string()
    }
}

#[cfg(test)]
mod short_date_tests {
    use super::*;

    #[test]
    fn the_year_shows_past_six_months() {
        let today: NaiveDate = "2026-11-22".parse().unwrap();
        let d = |s: &str| short_date(s.parse().unwrap(), today);
        assert_eq!(d("2026-10-18"), "18/10");
        assert_eq!(d("2027-01-05"), "05/01");
        assert_eq!(d("2025-10-18"), "18/10/25");
        assert_eq!(d("2027-07-01"), "01/07/27");
    }
}
