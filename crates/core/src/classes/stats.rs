//! What one client's classes need that does not depend on other clients:
//! window turnover and monthly buckets, XYZ, status, maturity.

use chrono::NaiveDate;

use super::{Status, Xyz};
use crate::domain::dates::{months_before, whole_months_between};
use crate::domain::{ProductId, Settings};
use crate::model::ClientAggregate;

/// The month boundaries for an as-of date: `bounds[i] = D − i months`
/// (computed from D each time, so end-of-month clamping never drifts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub as_of: NaiveDate,
    pub bounds: Vec<NaiveDate>,
    /// D − status window, D − 2 × status window.
    pub p0_start: NaiveDate,
    pub p1_start: NaiveDate,
    pub xyz_x_percent: u32,
    pub xyz_y_percent: u32,
}

impl Window {
    pub fn new(as_of: NaiveDate, settings: &Settings) -> Window {
        let months = settings.window_months;
        Window {
            as_of,
            bounds: (0..=months).map(|i| months_before(as_of, i)).collect(),
            p0_start: months_before(as_of, settings.status_window_months),
            p1_start: months_before(as_of, 2 * settings.status_window_months),
            xyz_x_percent: settings.xyz_x_percent,
            xyz_y_percent: settings.xyz_y_percent,
        }
    }

    pub fn months(&self) -> usize {
        self.bounds.len() - 1
    }

    /// W's open lower end: D − window months.
    pub fn start(&self) -> NaiveDate {
        self.bounds[self.months()]
    }
}

/// One client's figures that do not depend on the ranking.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientStats {
    pub turnover: i64,
    pub xyz: Option<Xyz>,
    pub cv: Option<f64>,
    pub status: Status,
    pub maturity: Option<(u32, u32)>,
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
    pub cooperation_months: Option<u32>,
}

/// The longest window the settings allow (`Settings::validate`).
const MAX_MONTHS: usize = 120;

/// Computes a client's stats from its aggregate, the portrait `targets` of
/// its segment, and `offer_used`: its products whose offer stage makes
/// them count as used.
pub fn client_stats(agg: &ClientAggregate, targets: &[ProductId], offer_used: &[ProductId], w: &Window) -> ClientStats {
    let d = w.as_of;
    // Monthly buckets: B_i = (D − (i+1) months, D − i months].
    let mut storage = [0i64; MAX_MONTHS];
    let buckets = &mut storage[..w.months().min(MAX_MONTHS)];
    let mut i = 0;
    for day in agg.days_in(w.start(), d).iter().rev() {
        while i + 1 < buckets.len() && day.date <= w.bounds[i + 1] {
            i += 1;
        }
        buckets[i] += day.amount;
    }
    let buckets = &*buckets;
    let turnover: i64 = buckets.iter().sum();

    let first = agg.first_settlement().filter(|f| *f <= d);
    let last = agg.last_settlement_until(d);
    let status = status(agg, first, d, w.p0_start, w.p1_start);
    let (xyz, cv) = if status == Status::New {
        (None, None)
    } else {
        xyz(buckets, w)
    };
    let maturity = (!targets.is_empty()).then(|| {
        let used = targets
            .iter()
            .filter(|p| offer_used.contains(p) || agg.product_settled_in(**p, w.start(), d))
            .count();
        (used as u32, targets.len() as u32)
    });
    ClientStats {
        turnover,
        xyz,
        cv,
        status,
        maturity,
        first,
        last,
        cooperation_months: first.map(|f| whole_months_between(f, d)),
    }
}

/// A client's lifecycle status as of `as_of` alone (the KPIs need it at
/// two dates for every client; the ranking is not needed for it).
pub fn status_on(agg: Option<&ClientAggregate>, as_of: NaiveDate, settings: &Settings) -> Status {
    let Some(agg) = agg else {
        return Status::Potential;
    };
    let first = agg.first_settlement().filter(|f| *f <= as_of);
    let p0_start = months_before(as_of, settings.status_window_months);
    let p1_start = months_before(as_of, 2 * settings.status_window_months);
    status(agg, first, as_of, p0_start, p1_start)
}

/// SPEC §4.3. Any settlement counts, whatever its amount.
fn status(
    agg: &ClientAggregate,
    first: Option<NaiveDate>,
    as_of: NaiveDate,
    p0_start: NaiveDate,
    p1_start: NaiveDate,
) -> Status {
    let Some(first) = first else {
        return Status::Potential;
    };
    if first > p0_start {
        return Status::New;
    }
    let in_p0 = !agg.days_in(p0_start, as_of).is_empty();
    let in_p1 = !agg.days_in(p1_start, p0_start).is_empty();
    match (in_p0, in_p1) {
        (true, true) => Status::Regular,
        // First settlement before P0 and none in P1: it lies on or before
        // D − 2 windows, so the client came back.
        (true, false) => Status::Restored,
        (false, _) => Status::Lost,
    }
}

/// SPEC §4.2, compared exactly in integers: with n months, S = Σm and
/// Q = Σm², CV = √(nQ − S²) / S, so CV ≤ p/100 ⇔ 10⁴·(nQ − S²) ≤ p²·S².
fn xyz(buckets: &[i64], w: &Window) -> (Option<Xyz>, Option<f64>) {
    let n = buckets.len() as i128;
    let s: i128 = buckets.iter().map(|m| *m as i128).sum();
    if s <= 0 || n == 0 {
        return (None, None);
    }
    let q: Option<i128> = buckets
        .iter()
        .try_fold(0i128, |acc, m| acc.checked_add((*m as i128).checked_mul(*m as i128)?));
    let spread = q.and_then(|q| n.checked_mul(q)).and_then(|nq| nq.checked_sub(s * s));
    let within = |p: u32| -> bool {
        let p = p as i128;
        match spread
            .and_then(|sp| sp.checked_mul(10_000))
            .zip(s.checked_mul(s).and_then(|s2| s2.checked_mul(p * p)))
        {
            Some((lhs, rhs)) => lhs <= rhs,
            // Beyond i128 (amounts no business has): fall back to floats.
            None => cv_float(buckets) <= p as f64 / 100.0,
        }
    };
    let class = if within(w.xyz_x_percent) {
        Xyz::X
    } else if within(w.xyz_y_percent) {
        Xyz::Y
    } else {
        Xyz::Z
    };
    let cv = match spread {
        Some(sp) => (sp.max(0) as f64).sqrt() / s as f64,
        None => cv_float(buckets),
    };
    (Some(class), Some(cv))
}

fn cv_float(buckets: &[i64]) -> f64 {
    let n = buckets.len() as f64;
    let mean = buckets.iter().map(|m| *m as f64).sum::<f64>() / n;
    let var = buckets.iter().map(|m| (*m as f64 - mean).powi(2)).sum::<f64>() / n;
    var.sqrt() / mean
}
