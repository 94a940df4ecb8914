//! Large commands (an import of years of settlements) without one huge
//! transaction: sled keeps every intermediate node of a transaction alive
//! until it commits, about 6 KB a row. The command's new settlements are
//! written first, in batches, under a marker that names the first new
//! settlement id; then everything else — aggregates, counters, the audit
//! line, any other record, and the marker's removal — in the one
//! transaction as always. New settlements are invisible until then: the
//! model knows none of them and their ids lie beyond the counter on disk.
//! Whoever finds the marker (opening, or the command's own failure) removes
//! every settlement from that id on, and the database is as before.

use sled::Batch;

use crate::{StoreError, T, keys};

/// The meta key of the marker: the first new settlement id (u64, big endian).
pub(crate) const MARKER: &[u8] = b"staging";

/// New settlements from which a command is staged.
const STAGE_FROM: usize = 20_000;
/// Settlements per batch: sled's memory grows with a batch's size (400,000
/// rows in batches of 50,000: 2.1 GB peak; of 5,000: 1.45 GB; of 1,000:
/// 0.59 GB, and faster).
const BATCH: usize = 1_000;

/// Tests set both small (`RAPPORT_TEST_STAGE_BATCH`) to kill a process
/// between batches.
fn for_tests() -> Option<usize> {
    std::env::var("RAPPORT_TEST_STAGE_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
}

/// How many new settlements make a command staged.
pub(crate) fn stage_from() -> usize {
    for_tests().unwrap_or(STAGE_FROM)
}

fn batch_size() -> usize {
    for_tests().unwrap_or(BATCH)
}

/// The settlement id of a settlements key (client u32, id u64).
pub(crate) fn id_of(key: &[u8]) -> Option<u64> {
    key.get(4..12)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes)
}

/// A command's new settlements, encoded, in the order of its changes, in
/// chunks of one write batch: each chunk is let go once written, so sled's
/// copies take the place of the records instead of coming on top of them
/// (130 MB for an import of two million rows).
#[derive(Default)]
pub(crate) struct Staged {
    full: Vec<Chunk>,
    /// The chunk being filled.
    last: Chunk,
}

/// Up to a batch of records: the keys in one vector and the records end to
/// end in another (an import of millions of rows would otherwise hold two
/// small allocations a row).
#[derive(Default)]
struct Chunk {
    keys: Vec<[u8; 12]>,
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Chunk {
    fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        self.keys
            .iter()
            .zip(starts.zip(self.ends.iter().copied()))
            .map(|(key, (start, end))| (key.as_slice(), self.bytes.get(start..end).unwrap_or_default()))
    }
}

impl Staged {
    pub(crate) fn push(&mut self, key: [u8; 12], record: &[u8]) {
        if self.last.keys.len() >= batch_size() {
            self.full.push(std::mem::take(&mut self.last));
        }
        let chunk = &mut self.last;
        chunk.keys.push(key);
        chunk.bytes.extend_from_slice(record);
        chunk.ends.push(chunk.bytes.len());
    }

    fn chunks(&self) -> impl Iterator<Item = &Chunk> {
        self.full.iter().chain(std::iter::once(&self.last))
    }

    /// The keys and records, in the order pushed.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.chunks().flat_map(Chunk::iter)
    }

    /// The keys' and the records' bytes together.
    pub(crate) fn size(&self) -> usize {
        self.chunks().map(|c| c.keys.len() * 12 + c.bytes.len()).sum()
    }

    /// The lowest settlement id staged.
    pub(crate) fn first_id(&self) -> Option<u64> {
        self.iter().filter_map(|(k, _)| id_of(k)).min()
    }
}

/// Writes `staged` (settlement keys and their encoded records, all of ids
/// from `from_id` on) before the command's transaction: the marker, flushed;
/// the records in batches, each chunk let go once written; a flush. On
/// failure, what was written is removed again if it can be (else opening
/// does it).
pub(crate) fn write(db: &sled::Db, trees: &[sled::Tree], from_id: u64, staged: Staged) -> Result<(), StoreError> {
    let (Some(meta), Some(settlements)) = (trees.get(T::Meta as usize), trees.get(T::Settlements as usize)) else {
        return Err(StoreError::Sled(sled::Error::Unsupported("a tree is missing".into())));
    };
    let written = (|| {
        meta.insert(MARKER, &keys::id64(from_id))?;
        db.flush()?;
        for chunk in staged.full.into_iter().chain(std::iter::once(staged.last)) {
            let mut batch = Batch::default();
            for (key, value) in chunk.iter() {
                batch.insert(key, value);
            }
            drop(chunk);
            settlements.apply_batch(batch)?;
        }
        db.flush()?;
        Ok::<(), sled::Error>(())
    })();
    if let Err(e) = written {
        let _ = roll_back(db, trees);
        return Err(e.into());
    }
    Ok(())
}

/// Removes a staged command's settlements when its marker is there (it
/// did not commit); true when there was one.
pub(crate) fn roll_back(db: &sled::Db, trees: &[sled::Tree]) -> Result<bool, StoreError> {
    let (Some(meta), Some(settlements)) = (trees.get(T::Meta as usize), trees.get(T::Settlements as usize)) else {
        return Ok(false);
    };
    let Some(marker) = meta.get(MARKER)? else {
        return Ok(false);
    };
    let from_id = match <[u8; 8]>::try_from(marker.as_ref()) {
        Ok(bytes) => u64::from_be_bytes(bytes),
        Err(_) => {
            return Err(StoreError::Corrupt {
                tree: "meta",
                key: keys::hex(MARKER),
                error: crate::codec::CodecError::Payload(format!(
                    "the marker of an unfinished import is {} bytes, not 8",
                    marker.len()
                )),
            });
        }
    };
    let mut batch = Batch::default();
    let mut in_batch = 0;
    for item in settlements.iter() {
        let (key, _) = item?;
        if id_of(&key).is_some_and(|id| id >= from_id) {
            batch.remove(key);
            in_batch += 1;
            if in_batch == batch_size() {
                settlements.apply_batch(std::mem::take(&mut batch))?;
                in_batch = 0;
            }
        }
    }
    settlements.apply_batch(batch)?;
    db.flush()?;
    meta.remove(MARKER)?;
    db.flush()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use rapport_core::domain::{ClientId, Money, Settlement, SettlementId};
    use rapport_core::write::Command;

    fn settlement(id: u64, doc: &str) -> Settlement {
        Settlement {
            id: SettlementId(id),
            client: ClientId(1),
            date: chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap_or_default(),
            amount: Money(1_000),
            product: None,
            doc: doc.into(),
            seq: 0,
        }
    }

    /// Client 1, `C1`.
    fn add_client(store: &mut Store) {
        let client = Command::AddClient {
            reference: "C1".into(),
            name: "One".into(),
            segment: None,
            manager: None,
            created: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            notes: String::new(),
            tags: vec![],
        };
        store.execute("amy", client).unwrap();
    }

    #[test]
    fn settlements_staged_by_a_command_that_did_not_commit_are_gone_on_opening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut store = Store::open(&path).unwrap();
        add_client(&mut store);
        let recorded = settlement(0, "kept");
        store
            .execute(
                "amy",
                Command::RecordSettlement {
                    client: recorded.client,
                    date: recorded.date,
                    amount: recorded.amount,
                    product: None,
                    doc: recorded.doc.clone(),
                },
            )
            .unwrap();
        let before: Vec<Settlement> = store.settlements().collect::<Result<_, _>>().unwrap();
        assert_eq!(before.len(), 1);
        let next = store.model().counters.settlement + 1;
        let mut staged = Staged::default();
        for id in next..next + 3 {
            staged.push(
                keys::pair32_64(1, id),
                &crate::codec::encode(&settlement(id, "staged")).unwrap(),
            );
        }
        {
            let handle = store.handle().unwrap();
            write(&handle.db, &handle.trees, next, staged).unwrap();
        }
        // As a process killed before its transaction leaves the database.
        assert_eq!(store.settlements().count(), 4);
        drop(store);
        let store = Store::open(&path).unwrap();
        let after: Vec<Settlement> = store.settlements().collect::<Result<_, _>>().unwrap();
        assert_eq!(after, before);
        let handle = store.handle().unwrap();
        assert_eq!(handle.trees[T::Meta as usize].get(MARKER).unwrap(), None);
        assert!(store.verify().problems.is_empty(), "{:?}", store.verify().problems);
    }

    /// An import run from the command line does not read its event: the
    /// store lets the changes go before writing, and writes the same.
    #[test]
    fn a_staged_command_whose_event_is_not_read_writes_the_same() {
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let mut stores: Vec<Store> = dirs
            .iter()
            .map(|d| Store::open(&d.path().join("db")).unwrap())
            .collect();
        let sales = || Command::Batch {
            label: "import".into(),
            commands: (0..stage_from() as u64 + 3)
                .map(|n| {
                    let s = settlement(n, &format!("D{n}"));
                    Command::RecordSettlement {
                        client: s.client,
                        date: s.date + chrono::Days::new(n % 700),
                        amount: Money(100 + n as i64),
                        product: None,
                        doc: s.doc,
                    }
                })
                .collect(),
        };
        stores.iter_mut().for_each(add_client);
        let event = stores[0].execute("amy", sales()).unwrap();
        assert_eq!(event.changes.len(), stage_from() + 3);
        stores[1].execute_unread("amy", sales()).unwrap();
        let written: Vec<Vec<Settlement>> = stores
            .iter()
            .map(|s| s.settlements().collect::<Result<_, _>>().unwrap())
            .collect();
        assert_eq!(written[0].len(), stage_from() + 3);
        assert_eq!(written[1], written[0]);
        assert_eq!(stores[1].model(), stores[0].model());
        let unread = stores.remove(1);
        drop(unread);
        let reopened = Store::open(&dirs[1].path().join("db")).unwrap();
        assert_eq!(reopened.model(), stores[0].model());
        assert!(
            reopened.verify().problems.is_empty(),
            "{:?}",
            reopened.verify().problems
        );
    }

    #[test]
    fn staged_records_come_back_as_pushed() {
        let mut staged = Staged::default();
        assert_eq!((staged.iter().count(), staged.size(), staged.first_id()), (0, 0, None));
        let mut rows = vec![(7u32, 30u64, &b"abc"[..]), (2, 12, b""), (9, 31, b"defgh")];
        // Across chunks.
        rows.extend((0..batch_size() as u64 + 5).map(|i| (3, 100 + i, &b"xy"[..])));
        for &(client, id, record) in &rows {
            staged.push(keys::pair32_64(client, id), record);
        }
        let back: Vec<(Vec<u8>, Vec<u8>)> = staged.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
        let want: Vec<(Vec<u8>, Vec<u8>)> = rows
            .iter()
            .map(|(c, i, r)| (keys::pair32_64(*c, *i).to_vec(), r.to_vec()))
            .collect();
        assert_eq!(back, want);
        assert_eq!(staged.chunks().count(), 2);
        assert_eq!(staged.size(), rows.len() * 12 + 8 + 2 * (batch_size() + 5));
        assert_eq!(staged.first_id(), Some(12));
    }
}
