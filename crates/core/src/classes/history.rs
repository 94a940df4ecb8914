//! Class history (SPEC §4.5): the classes at each of the last 12 month ends,
//! so that a change like `B→A` can be seen and explained.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::{Abc, Classes, ClientClasses, Status, Xyz, compute};
use crate::domain::ClientId;
use crate::domain::dates::{month_end, months_before};
use crate::model::Model;

/// The last `count` month ends on or before `as_of`, oldest first.
pub fn month_ends(as_of: NaiveDate, count: u32) -> Vec<NaiveDate> {
    let newest = if month_end(as_of) == as_of {
        as_of
    } else {
        as_of.with_day(1).and_then(|d| d.pred_opt()).unwrap_or(as_of)
    };
    (0..count).rev().map(|i| month_end(months_before(newest, i))).collect()
}

/// The portfolio's classes at each of the last `count` month ends.
pub fn history(model: &Model, as_of: NaiveDate, count: u32) -> Vec<Classes> {
    month_ends(as_of, count)
        .into_iter()
        .map(|d| compute(model, d))
        .collect()
}

/// One client at one month end.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassPoint {
    pub date: NaiveDate,
    pub abc: Option<Abc>,
    pub xyz: Option<Xyz>,
    pub status: Status,
    pub turnover: i64,
}

/// A change between two consecutive month ends, e.g. `B→A` in 2026-03.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Transition {
    pub date: NaiveDate,
    pub what: &'static str,
    pub from: String,
    pub to: String,
}

impl std::fmt::Display for Transition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}→{} in {}",
            self.what,
            self.from,
            self.to,
            self.date.format("%Y-%m")
        )
    }
}

fn label<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "–".to_string(), |v| v.to_string())
}

/// One client's points and transitions, read from a portfolio history.
pub fn client_history(history: &[Classes], client: ClientId) -> (Vec<ClassPoint>, Vec<Transition>) {
    let points: Vec<ClassPoint> = history
        .iter()
        .filter_map(|h| {
            h.get(client).map(|c: &ClientClasses| ClassPoint {
                date: h.as_of,
                abc: c.abc,
                xyz: c.xyz,
                status: c.status,
                turnover: c.turnover,
            })
        })
        .collect();
    let mut transitions = Vec::new();
    for pair in points.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.abc != b.abc {
            transitions.push(Transition {
                date: b.date,
                what: "ABC",
                from: label(a.abc),
                to: label(b.abc),
            });
        }
        if a.xyz != b.xyz {
            transitions.push(Transition {
                date: b.date,
                what: "XYZ",
                from: label(a.xyz),
                to: label(b.xyz),
            });
        }
        if a.status != b.status {
            transitions.push(Transition {
                date: b.date,
                what: "status",
                from: a.status.to_string(),
                to: b.status.to_string(),
            });
        }
    }
    (points, transitions)
}
