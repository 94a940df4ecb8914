//! Per-client aggregates kept current by every settlement and contact, and
//! persisted, so that opening the store and computing classes never scan
//! the settlements.
//!
//! The class window rolls with the as-of date (SPEC §4 buckets are
//! `(D − (i+1) months, D − i months]`), so calendar-month sums cannot give
//! exact buckets for an arbitrary D; the aggregate keeps one entry per day
//! with settlements instead, which is exact for every D and still far smaller
//! than the settlements themselves (several settlements on one day fold).

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::domain::{ProductId, Settlement};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayTotal {
    #[serde(with = "crate::domain::compact::date")]
    pub date: NaiveDate,
    /// Sum of the day's amounts in cents.
    pub amount: i64,
    /// Number of settlements that day (zero-amount ones count for status).
    pub count: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProductDay {
    pub product: ProductId,
    #[serde(with = "crate::domain::compact::date")]
    pub date: NaiveDate,
    pub count: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientAggregate {
    /// Sorted by date, one entry per day with at least one settlement.
    pub days: Vec<DayTotal>,
    /// Sorted by (product, date): which products were settled when (maturity).
    pub product_days: Vec<ProductDay>,
    #[serde(with = "crate::domain::compact::opt_datetime")]
    pub last_contact: Option<NaiveDateTime>,
    pub contacts: u32,
}

impl ClientAggregate {
    pub fn add_settlement(&mut self, s: &Settlement) {
        match self.days.binary_search_by_key(&s.date, |d| d.date) {
            Ok(i) => {
                self.days[i].amount += s.amount.0;
                self.days[i].count += 1;
            }
            Err(i) => self.days.insert(
                i,
                DayTotal {
                    date: s.date,
                    amount: s.amount.0,
                    count: 1,
                },
            ),
        }
        if let Some(product) = s.product {
            match self
                .product_days
                .binary_search_by_key(&(product, s.date), |p| (p.product, p.date))
            {
                Ok(i) => self.product_days[i].count += 1,
                Err(i) => self.product_days.insert(
                    i,
                    ProductDay {
                        product,
                        date: s.date,
                        count: 1,
                    },
                ),
            }
        }
    }

    /// Takes back a settlement that `add_settlement` had counted.
    pub fn remove_settlement(&mut self, s: &Settlement) {
        if let Ok(i) = self.days.binary_search_by_key(&s.date, |d| d.date) {
            let day = &mut self.days[i];
            day.amount -= s.amount.0;
            day.count = day.count.saturating_sub(1);
            if day.count == 0 {
                self.days.remove(i);
            }
        }
        if let Some(product) = s.product
            && let Ok(i) = self
                .product_days
                .binary_search_by_key(&(product, s.date), |p| (p.product, p.date))
        {
            let pd = &mut self.product_days[i];
            pd.count = pd.count.saturating_sub(1);
            if pd.count == 0 {
                self.product_days.remove(i);
            }
        }
    }

    pub fn first_settlement(&self) -> Option<NaiveDate> {
        self.days.first().map(|d| d.date)
    }

    /// The last settlement on or before `as_of`.
    pub fn last_settlement_until(&self, as_of: NaiveDate) -> Option<NaiveDate> {
        let end = self.days.partition_point(|d| d.date <= as_of);
        end.checked_sub(1).map(|i| self.days[i].date)
    }

    /// The days with `from < date <= to`.
    pub fn days_in(&self, from: NaiveDate, to: NaiveDate) -> &[DayTotal] {
        let start = self.days.partition_point(|d| d.date <= from);
        let end = self.days.partition_point(|d| d.date <= to);
        self.days.get(start..end.max(start)).unwrap_or(&[])
    }

    /// Whether `product` has a settlement dated in `(from, to]`.
    pub fn product_settled_in(&self, product: ProductId, from: NaiveDate, to: NaiveDate) -> bool {
        let i = self
            .product_days
            .partition_point(|p| (p.product, p.date) <= (product, from));
        self.product_days
            .get(i)
            .is_some_and(|p| p.product == product && p.date <= to)
    }

    pub fn record_contact(&mut self, at: NaiveDateTime) {
        self.contacts += 1;
        if self.last_contact.is_none_or(|last| at > last) {
            self.last_contact = Some(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientId, Money, SettlementId};

    fn s(id: u64, date: &str, cents: i64, product: Option<u32>) -> Settlement {
        Settlement {
            id: SettlementId(id),
            client: ClientId(1),
            date: date.parse().unwrap(),
            amount: Money(cents),
            product: product.map(ProductId),
            doc: String::new(),
            seq: 0,
        }
    }

    #[test]
    fn add_and_remove_fold_by_day() {
        let mut a = ClientAggregate::default();
        let x = s(1, "2026-01-05", 1000, Some(1));
        let y = s(2, "2026-01-05", -300, Some(1));
        let z = s(3, "2025-12-01", 0, None);
        a.add_settlement(&x);
        a.add_settlement(&y);
        a.add_settlement(&z);
        assert_eq!(a.days.len(), 2);
        assert_eq!(a.days[1].amount, 700);
        assert_eq!(a.days[1].count, 2);
        assert_eq!(a.first_settlement(), Some("2025-12-01".parse().unwrap()));
        let d = |t: &str| t.parse::<NaiveDate>().unwrap();
        assert!(a.product_settled_in(ProductId(1), d("2026-01-04"), d("2026-01-05")));
        assert!(!a.product_settled_in(ProductId(1), d("2026-01-05"), d("2026-02-05")));
        assert_eq!(a.days_in(d("2025-12-01"), d("2026-01-31")).len(), 1);
        a.remove_settlement(&x);
        a.remove_settlement(&y);
        assert_eq!(a.days.len(), 1);
        assert!(a.product_days.is_empty());
        assert_eq!(a.last_settlement_until(d("2026-06-01")), Some(d("2025-12-01")));
        assert_eq!(a.last_settlement_until(d("2025-11-30")), None);
    }
}
