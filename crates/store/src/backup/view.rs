//! A backup taken while writes go on. `Store::begin_backup` marks a moment
//! between two commands; from then until the view is dropped, every commit
//! first keeps the value each key it touches had before (once per key). The
//! view walks the trees as they are and puts those kept values in place of
//! what changed since, in key order: the file is the database as it was at
//! that moment, and a write waits for one read per key it touches, not for
//! the backup.

use std::collections::BTreeMap;
use std::io::Write;
use std::ops::Bound;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use chrono::NaiveDateTime;
use serde::Serialize;

use super::{BackupError, Header, Line, Summary};
use crate::codec::Record;
use crate::domain::*;
use crate::model::Counters;
use crate::{Store, StoreError, T, decode_at};

/// The trees a backup holds, in the file's order, and how each record
/// becomes a line.
const DUMPED: [T; 18] = [
    T::Managers,
    T::Segments,
    T::Products,
    T::Portrait,
    T::Clients,
    T::Persons,
    T::Settlements,
    T::Offers,
    T::Contacts,
    T::Tasks,
    T::Surveys,
    T::Tickets,
    T::Marks,
    T::Questionnaires,
    T::Archive,
    T::Templates,
    T::Sales,
    T::Audit,
];

/// What keys held when a backup began (`None`: the key did not exist), by
/// tree and key, for the keys written since.
pub(crate) type Kept = BTreeMap<(u8, Vec<u8>), Option<sled::IVec>>;

/// The backups in progress, as the store sees them: each gone once its
/// view is dropped.
#[derive(Default)]
pub(crate) struct Watchers(Mutex<Vec<Weak<Mutex<Kept>>>>);

impl Watchers {
    fn add(&self, kept: &Arc<Mutex<Kept>>) {
        let mut all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        all.retain(|w| w.strong_count() > 0);
        all.push(Arc::downgrade(kept));
    }

    /// The backups that want the values a commit is about to replace.
    pub(crate) fn live(&self) -> Vec<Arc<Mutex<Kept>>> {
        let all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        all.iter().filter_map(Weak::upgrade).collect()
    }
}

/// Whether a backup holds the records of tree `t` (the others are derived
/// or internal: aggregates, the change log, meta).
pub(crate) fn dumped(t: T) -> bool {
    DUMPED.contains(&t)
}

impl Store {
    /// A backup of the database as it is now, to write while commands go on.
    pub fn begin_backup(&self) -> Result<BackupView, StoreError> {
        let handle = self.handle()?;
        let kept = Arc::new(Mutex::new(Kept::new()));
        self.watchers.add(&kept);
        Ok(BackupView {
            created: self.created,
            seq: self.model.counters.seq,
            settings: self.model.settings.clone(),
            counters: self.model.counters.clone(),
            trees: handle.trees.clone(),
            kept,
        })
    }

    /// Before a commit: keeps, for each backup in progress, what the keys
    /// about to be written hold now (the first time each is written).
    pub(crate) fn keep_before(&self, touched: &[(T, &[u8])]) -> Result<(), StoreError> {
        let live = self.watchers.live();
        if live.is_empty() {
            return Ok(());
        }
        let handle = self.handle()?;
        for kept in live {
            let mut kept = kept.lock().unwrap_or_else(PoisonError::into_inner);
            for (t, key) in touched {
                let at = (*t as u8, key.to_vec());
                if kept.contains_key(&at) {
                    continue;
                }
                let now = match handle.trees.get(*t as usize) {
                    Some(tree) => tree.get(key)?,
                    None => None,
                };
                kept.insert(at, now);
            }
        }
        Ok(())
    }
}

/// A moment of the database, written out later (`write`) from another
/// thread if need be.
pub struct BackupView {
    created: NaiveDateTime,
    seq: u64,
    settings: Settings,
    counters: Counters,
    trees: Vec<sled::Tree>,
    kept: Arc<Mutex<Kept>>,
}

impl BackupView {
    /// Every record as JSON lines to `out`: a header, the settings and
    /// counters, each tree in order, and the trailer with the counts and
    /// the hash.
    pub fn write(&self, out: &mut dyn Write, taken: NaiveDateTime) -> Result<Summary, BackupError> {
        let header = Header::now(self.created, self.seq, taken);
        let mut writer = super::Writer::new(out, &header, &self.settings, &self.counters)?;
        let mut line = |l: Line| writer.line(l);
        for t in DUMPED {
            match t {
                T::Managers => self.dump(t, Line::Manager, &mut line)?,
                T::Segments => self.dump(t, Line::Segment, &mut line)?,
                T::Products => self.dump(t, Line::Product, &mut line)?,
                T::Portrait => self.dump(t, Line::Portrait, &mut line)?,
                T::Clients => self.dump(t, Line::Client, &mut line)?,
                T::Persons => self.dump(t, Line::Person, &mut line)?,
                T::Settlements => self.dump(t, Line::Settlement, &mut line)?,
                T::Offers => self.dump(t, Line::Offer, &mut line)?,
                T::Contacts => self.dump(t, Line::Contact, &mut line)?,
                T::Tasks => self.dump(t, Line::Task, &mut line)?,
                T::Surveys => self.dump(t, Line::Survey, &mut line)?,
                T::Tickets => self.dump(t, Line::Ticket, &mut line)?,
                T::Marks => self.dump(t, Line::Mark, &mut line)?,
                T::Questionnaires => self.dump(t, Line::Questionnaire, &mut line)?,
                T::Archive => self.dump(t, Line::Archival, &mut line)?,
                T::Templates => self.dump(t, Line::Template, &mut line)?,
                T::Sales => self.dump(t, Line::Sales, &mut line)?,
                T::Audit => self.dump(t, Line::Audit, &mut line)?,
                T::Meta | T::Aggregates | T::Changes => {}
            }
        }
        writer.finish()
    }

    /// Tree `t` as it was at the view's moment, in key order: its records
    /// now, with those written since replaced by what they held (and those
    /// created since left out), and those deleted since put back where
    /// they stood.
    fn dump<R: Record + Serialize>(
        &self,
        t: T,
        wrap: fn(R) -> Line,
        line: &mut dyn FnMut(Line) -> Result<(), BackupError>,
    ) -> Result<(), BackupError> {
        let Some(tree) = self.trees.get(t as usize) else {
            return Ok(());
        };
        let tag = t as u8;
        let mut emit =
            |key: &[u8], bytes: &[u8]| -> Result<(), BackupError> { line(wrap(decode_at::<R>(t, key, bytes)?)) };
        let mut last: Option<Vec<u8>> = None;
        for item in tree.iter() {
            let (key, now) = item.map_err(StoreError::from)?;
            let (gone, then) = {
                let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
                let gone = deleted_between(&kept, tag, last.as_deref(), Some(&key));
                (gone, kept.get(&(tag, key.to_vec())).cloned())
            };
            for (k, v) in gone {
                emit(&k, &v)?;
            }
            match then {
                None => emit(&key, &now)?,
                Some(Some(before)) => emit(&key, &before)?,
                // Created after the moment.
                Some(None) => {}
            }
            last = Some(key.to_vec());
        }
        let gone = {
            let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
            deleted_between(&kept, tag, last.as_deref(), None)
        };
        for (k, v) in gone {
            emit(&k, &v)?;
        }
        Ok(())
    }
}

/// The records of tree `tag` that existed at the moment and are kept
/// because they were deleted since, with keys after `after` and before
/// `before` (both open; `None`: no bound). A key the walk met is never
/// among them: the walk met it before `after`.
fn deleted_between(kept: &Kept, tag: u8, after: Option<&[u8]>, before: Option<&[u8]>) -> Vec<(Vec<u8>, sled::IVec)> {
    if kept.is_empty() {
        return Vec::new();
    }
    let lower = match after {
        Some(k) => Bound::Excluded((tag, k.to_vec())),
        None => Bound::Included((tag, Vec::new())),
    };
    let upper = match (before, tag.checked_add(1)) {
        (Some(k), _) => Bound::Excluded((tag, k.to_vec())),
        (None, Some(next)) => Bound::Excluded((next, Vec::new())),
        (None, None) => Bound::Unbounded,
    };
    if let (Bound::Excluded(a) | Bound::Included(a), Bound::Excluded(b)) = (&lower, &upper)
        && a >= b
    {
        return Vec::new();
    }
    kept.range((lower, upper))
        .filter_map(|((_, k), v)| v.as_ref().map(|v| (k.clone(), v.clone())))
        .collect()
}
