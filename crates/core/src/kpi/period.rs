//! The reporting period [F, T] (both days included) and the usual presets
//! a team lead picks from.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::domain::dates::{month_end, months_before};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// `from..=to`; refused when `to` comes before `from`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, String> {
        if to < from {
            return Err(format!("the period ends ({to}) before it starts ({from})"));
        }
        Ok(Period { from, to })
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }

    /// The day before F: the aggregates' half-open ranges start there.
    pub fn day_before(&self) -> NaiveDate {
        self.from.pred_opt().unwrap_or(NaiveDate::MIN)
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} – {}", self.from, self.to)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Preset {
    ThisMonth,
    LastMonth,
    ThisQuarter,
    LastQuarter,
    YearToDate,
}

impl Preset {
    pub const ALL: [Preset; 5] = [
        Preset::ThisMonth,
        Preset::LastMonth,
        Preset::ThisQuarter,
        Preset::LastQuarter,
        Preset::YearToDate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Preset::ThisMonth => "this-month",
            Preset::LastMonth => "last-month",
            Preset::ThisQuarter => "this-quarter",
            Preset::LastQuarter => "last-quarter",
            Preset::YearToDate => "year-to-date",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Preset::ThisMonth => "this month",
            Preset::LastMonth => "last month",
            Preset::ThisQuarter => "this quarter",
            Preset::LastQuarter => "last quarter",
            Preset::YearToDate => "year to date",
        }
    }

    pub fn parse(s: &str) -> Option<Preset> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s || (s == "ytd" && *p == Preset::YearToDate))
    }

    /// The period as seen on `today`: the current month, quarter or year
    /// run up to `today`; the last ones run to their end.
    pub fn period(self, today: NaiveDate) -> Period {
        let month_start = today.with_day(1).unwrap_or(today);
        let quarter_start = months_before(month_start, today.month0() % 3);
        let (from, to) = match self {
            Preset::ThisMonth => (month_start, today),
            Preset::LastMonth => {
                let from = months_before(month_start, 1);
                (from, month_end(from))
            }
            Preset::ThisQuarter => (quarter_start, today),
            Preset::LastQuarter => {
                let from = months_before(quarter_start, 3);
                (from, quarter_start.pred_opt().unwrap_or(from))
            }
            Preset::YearToDate => (today.with_ordinal(1).unwrap_or(today), today),
        };
        Period { from, to }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn presets_on_a_day_in_the_middle_of_a_quarter() {
        let today = d("2026-11-22");
        let p = |preset: Preset| {
            let p = preset.period(today);
            (p.from.to_string(), p.to.to_string())
        };
        assert_eq!(p(Preset::ThisMonth), ("2026-11-01".into(), "2026-11-22".into()));
        assert_eq!(p(Preset::LastMonth), ("2026-10-01".into(), "2026-10-31".into()));
        assert_eq!(p(Preset::ThisQuarter), ("2026-10-01".into(), "2026-11-22".into()));
        assert_eq!(p(Preset::LastQuarter), ("2026-07-01".into(), "2026-09-30".into()));
        assert_eq!(p(Preset::YearToDate), ("2026-01-01".into(), "2026-11-22".into()));
    }

    #[test]
    fn presets_at_the_turn_of_the_year_and_in_february() {
        let jan = d("2027-01-05");
        assert_eq!(
            Preset::LastMonth.period(jan),
            Period::new(d("2026-12-01"), d("2026-12-31")).unwrap()
        );
        assert_eq!(
            Preset::LastQuarter.period(jan),
            Period::new(d("2026-10-01"), d("2026-12-31")).unwrap()
        );
        let march = d("2028-03-31");
        assert_eq!(
            Preset::LastMonth.period(march),
            Period::new(d("2028-02-01"), d("2028-02-29")).unwrap()
        );
        assert_eq!(Preset::ThisQuarter.period(march).from, d("2028-01-01"));
    }

    #[test]
    fn names_parse_and_backwards_periods_are_refused() {
        for p in Preset::ALL {
            assert_eq!(Preset::parse(p.name()), Some(p));
        }
        assert_eq!(Preset::parse("YTD"), Some(Preset::YearToDate));
        assert_eq!(Preset::parse("next-month"), None);
        assert!(Period::new(d("2026-02-01"), d("2026-01-31")).is_err());
        assert!(Period::new(d("2026-02-01"), d("2026-02-01")).is_ok());
    }
}
