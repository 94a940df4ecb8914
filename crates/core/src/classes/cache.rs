//! The last classes computed, kept while the data does not change: a server
//! answers many queries between two writes, and computing the classes of a
//! large book is most of what a `today` or a `classes --summary` costs.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::NaiveDate;

use super::{Classes, compute};
use crate::domain::ManagerId;
use crate::model::Model;

/// Which data the classes were computed from: the audit sequence number
/// (every applied command moves it), the date, and whose share of the book
/// (`None`: all of it).
type Key = (u64, NaiveDate, Option<ManagerId>);

#[derive(Default)]
pub struct Cache {
    last: Mutex<Option<(Key, Arc<Classes>)>>,
}

impl Cache {
    /// The classes of `model` (the whole book, or `share`'s part of it) as
    /// of `as_of`, computed again only when the data moved on.
    pub fn get(&self, model: &Model, as_of: NaiveDate, share: Option<ManagerId>) -> Arc<Classes> {
        let key = (model.counters.seq, as_of, share);
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((k, classes)) = last.as_ref()
            && *k == key
        {
            return classes.clone();
        }
        let classes = Arc::new(compute(model, as_of));
        *last = Some((key, classes.clone()));
        classes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_or_another_date_computes_again() {
        let mut model = Model::default();
        let cache = Cache::default();
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default();
        let first = cache.get(&model, day, None);
        assert!(Arc::ptr_eq(&first, &cache.get(&model, day, None)));
        let next_day = day.succ_opt().unwrap_or_default();
        let other = cache.get(&model, next_day, None);
        assert!(!Arc::ptr_eq(&first, &other));
        assert_eq!(other.as_of, next_day);
        model.counters.seq += 1;
        assert!(!Arc::ptr_eq(&other, &cache.get(&model, next_day, None)));
        let share = cache.get(&model, next_day, Some(ManagerId(1)));
        assert!(!Arc::ptr_eq(&share, &cache.get(&model, next_day, None)));
    }
}
