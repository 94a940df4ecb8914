//! Which clients the model's latest changes were about, so that what is
//! derived from the model and kept between reads (a server's queue) brings
//! only those clients up to date instead of starting again.

use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::domain::ClientId;

/// Changes remembered; a reader further behind starts again.
const KEEP: usize = 8192;

/// Each model (and each copy of one) has its own history of changes: a
/// position in one says nothing about another.
static NEXT_LOG: AtomicU64 = AtomicU64::new(1);

fn next_log() -> u64 {
    NEXT_LOG.fetch_add(1, Ordering::Relaxed)
}

/// A point in a model's history of changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    log: u64,
    applied: u64,
}

/// The last changes' clients; `None` for a change to shared data (settings,
/// products, …), after which any client may read differently.
#[derive(Debug)]
pub struct Touches {
    log: u64,
    applied: u64,
    recent: VecDeque<Option<ClientId>>,
}

impl Default for Touches {
    fn default() -> Self {
        Touches {
            log: next_log(),
            applied: 0,
            recent: VecDeque::new(),
        }
    }
}

/// A copy of a model changes on its own from there.
impl Clone for Touches {
    fn clone(&self) -> Self {
        Touches::default()
    }
}

/// A record of what happened, not data: two models that hold the same
/// records are equal whatever their histories.
impl PartialEq for Touches {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Touches {
    pub(super) fn note(&mut self, client: Option<ClientId>) {
        if self.recent.len() == KEEP {
            self.recent.pop_front();
        }
        self.recent.push_back(client);
        self.applied += 1;
    }

    /// Where the history stands now.
    pub fn mark(&self) -> Mark {
        Mark {
            log: self.log,
            applied: self.applied,
        }
    }

    /// The clients changed since `mark`; `None` when shared data changed,
    /// `mark` is another model's, or it lies further back than is kept.
    pub fn since(&self, mark: Mark) -> Option<BTreeSet<ClientId>> {
        if mark.log != self.log || mark.applied > self.applied {
            return None;
        }
        let behind = usize::try_from(self.applied - mark.applied).ok()?;
        if behind > self.recent.len() {
            return None;
        }
        self.recent.iter().skip(self.recent.len() - behind).copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_learns_the_clients_since_its_mark() {
        let mut t = Touches::default();
        t.note(Some(ClientId(1)));
        let mark = t.mark();
        assert_eq!(t.since(mark), Some(BTreeSet::new()));
        t.note(Some(ClientId(3)));
        t.note(Some(ClientId(2)));
        t.note(Some(ClientId(3)));
        assert_eq!(t.since(mark), Some(BTreeSet::from([ClientId(2), ClientId(3)])));
        t.note(None);
        assert_eq!(t.since(mark), None, "shared data changed");
        let later = t.mark();
        t.note(Some(ClientId(9)));
        assert_eq!(t.since(later), Some(BTreeSet::from([ClientId(9)])));
    }

    #[test]
    fn a_copy_or_a_mark_too_far_back_starts_again() {
        let mut t = Touches::default();
        let mark = t.mark();
        assert_eq!(t.clone().since(mark), None, "a copy has its own history");
        for i in 0..KEEP {
            t.note(Some(ClientId(u32::try_from(i).unwrap_or(0))));
        }
        assert_eq!(t.since(mark).map(|s| s.len()), Some(KEEP));
        t.note(Some(ClientId(0)));
        assert_eq!(t.since(mark), None, "the oldest change is forgotten");
        assert_eq!(Touches::default().since(mark), None, "another model");
    }
}
