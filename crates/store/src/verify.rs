//! `rapport verify`: reads every record of every tree, checks each
//! checksum (the codec's envelope), and that what is derived equals a
//! rebuild: the per-client aggregates from the settlements and contacts,
//! the counters from the audit trail, the model in memory (the snapshot)
//! from the records. Every problem is reported; none is skipped.

use std::collections::BTreeMap;

use super::codec::{self, DbInfo, Record};
use super::{ChangeLog, META_COUNTERS, META_INFO, META_SETTINGS, SNAPSHOT_FILE, Store, T, TREE_NAMES, decode_at, keys};
use crate::domain::*;
use crate::model::{Change, ClientAggregate, Counters, Model};

/// What `verify` found (a server sends it to the session that asked).
pub use rapport_core::backend::VerifyReport as Report;

impl Store {
    /// Checks the whole database; see the module comment.
    pub fn verify(&self) -> Report {
        let mut report = Report::default();
        let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.verify_into(&mut report)));
        if let Err(panic) = found {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown".into());
            report.problem(format!("reading the database crashed (damaged storage): {what}"));
        }
        report
    }

    fn verify_into(&self, report: &mut Report) {
        let handle = match self.handle() {
            Ok(h) => h,
            Err(e) => {
                report.problem(e.to_string());
                return;
            }
        };
        let trees = &handle.trees;
        // Every record of every tree, decoded; the model rebuilt from them.
        let mut rebuilt = Model::default();
        let mut stored_aggregates: BTreeMap<ClientId, ClientAggregate> = BTreeMap::new();
        let mut audit_seqs: Vec<u64> = Vec::new();
        let mut counters: Option<Counters> = None;
        let mut archivals: Vec<Archival> = Vec::new();
        for (i, tree) in trees.iter().enumerate() {
            let Some(t) = tree_of(i) else { continue };
            let name = TREE_NAMES[i];
            let mut n = 0u64;
            for item in tree.iter() {
                let (key, value) = match item {
                    Ok(kv) => kv,
                    Err(e) => {
                        report.problem(format!(
                            "tree '{name}': the storage cannot be read past record {n}: {e}"
                        ));
                        break;
                    }
                };
                n += 1;
                let mut bad = |e: super::StoreError| report.problem(e.to_string());
                match t {
                    T::Meta => match key.as_ref() {
                        META_INFO => check::<DbInfo>(t, &key, &value).map(drop).unwrap_or_else(&mut bad),
                        META_COUNTERS => match check::<Counters>(t, &key, &value) {
                            Ok(c) => counters = Some(c),
                            Err(e) => bad(e),
                        },
                        META_SETTINGS => match check::<Settings>(t, &key, &value) {
                            Ok(s) => rebuilt.apply_owned(Change::Settings(s)),
                            Err(e) => bad(e),
                        },
                        other => report.problem(format!("tree 'meta': unknown key {}", keys::hex(other))),
                    },
                    T::Managers => load::<Manager>(t, &key, &value, &mut rebuilt, Change::Manager, &mut bad),
                    T::Segments => load::<Segment>(t, &key, &value, &mut rebuilt, Change::Segment, &mut bad),
                    T::Products => load::<Product>(t, &key, &value, &mut rebuilt, Change::Product, &mut bad),
                    T::Portrait => load::<PortraitEntry>(
                        t,
                        &key,
                        &value,
                        &mut rebuilt,
                        |e| Change::Portrait {
                            segment: e.segment,
                            product: e.product,
                            target: true,
                        },
                        &mut bad,
                    ),
                    T::Clients => load::<Client>(t, &key, &value, &mut rebuilt, Change::Client, &mut bad),
                    T::Persons => load::<ContactPerson>(t, &key, &value, &mut rebuilt, Change::Person, &mut bad),
                    T::Settlements => load::<Settlement>(
                        t,
                        &key,
                        &value,
                        &mut rebuilt,
                        |s| Change::Settlement {
                            old: None,
                            new: Some(s),
                        },
                        &mut bad,
                    ),
                    T::Aggregates => match check::<ClientAggregate>(t, &key, &value) {
                        Ok(a) => match <[u8; 4]>::try_from(key.as_ref()) {
                            Ok(k) => {
                                stored_aggregates.insert(ClientId(u32::from_be_bytes(k)), a);
                            }
                            Err(_) => report.problem(format!("tree 'aggregates': bad key {}", keys::hex(&key))),
                        },
                        Err(e) => bad(e),
                    },
                    T::Offers => load::<Offer>(t, &key, &value, &mut rebuilt, Change::Offer, &mut bad),
                    T::Contacts => load::<ContactEntry>(t, &key, &value, &mut rebuilt, Change::Contact, &mut bad),
                    T::Tasks => load::<Task>(t, &key, &value, &mut rebuilt, Change::Task, &mut bad),
                    T::Surveys => load::<Survey>(t, &key, &value, &mut rebuilt, Change::Survey, &mut bad),
                    T::Tickets => load::<Ticket>(t, &key, &value, &mut rebuilt, Change::ticket, &mut bad),
                    T::Questionnaires => {
                        load::<Questionnaire>(t, &key, &value, &mut rebuilt, Change::Questionnaire, &mut bad)
                    }
                    T::Marks => load::<QueueMark>(
                        t,
                        &key,
                        &value,
                        &mut rebuilt,
                        |m| Change::Mark {
                            key: m.key.clone(),
                            mark: Some(m),
                        },
                        &mut bad,
                    ),
                    T::Audit => match check::<AuditEntry>(t, &key, &value) {
                        Ok(a) => audit_seqs.push(a.seq),
                        Err(e) => bad(e),
                    },
                    T::Changes => check::<ChangeLog>(t, &key, &value).map(drop).unwrap_or_else(&mut bad),
                    T::Templates => load::<rapport_core::templates::Template>(
                        t,
                        &key,
                        &value,
                        &mut rebuilt,
                        Change::Template,
                        &mut bad,
                    ),
                    T::Sales => load::<SalesRecord>(
                        t,
                        &key,
                        &value,
                        &mut rebuilt,
                        |r| Change::Sales {
                            key: r.key(),
                            record: Some(r),
                        },
                        &mut bad,
                    ),
                    T::Archive => match check::<Archival>(t, &key, &value) {
                        Ok(a) if key.as_ref() == keys::archived(a.key).as_slice() => archivals.push(a),
                        Ok(_) => {
                            report.problem(format!("tree 'archive': key {} names another record", keys::hex(&key)))
                        }
                        Err(e) => bad(e),
                    },
                }
            }
            report.records.insert(name.to_string(), n);
        }
        let Some(counters) = counters else {
            report.problem("tree 'meta': the counters record is missing".into());
            return;
        };
        // The audit trail: one entry per command, 1..=seq, none missing.
        if audit_seqs.len() as u64 != counters.seq || audit_seqs.iter().enumerate().any(|(i, s)| *s != i as u64 + 1) {
            let first_gap = (1..=counters.seq).find(|s| audit_seqs.binary_search(s).is_err());
            report.problem(match first_gap {
                Some(s) => format!(
                    "the audit trail has {} entries for {} commands; the first missing is {s}",
                    audit_seqs.len(),
                    counters.seq
                ),
                None => format!("the audit trail has entries beyond the last command ({})", counters.seq),
            });
        }
        // Counters: no record has an id beyond what was handed out.
        let seen = &rebuilt.counters;
        for (what, max, stored) in [
            ("manager", u64::from(seen.manager), u64::from(counters.manager)),
            ("segment", u64::from(seen.segment), u64::from(counters.segment)),
            ("product", u64::from(seen.product), u64::from(counters.product)),
            ("client", u64::from(seen.client), u64::from(counters.client)),
            ("person", seen.person, counters.person),
            ("settlement", seen.settlement, counters.settlement),
            ("contact", seen.contact, counters.contact),
            ("task", seen.task, counters.task),
            ("survey", seen.survey, counters.survey),
            ("ticket", seen.ticket, counters.ticket),
        ] {
            if max > stored {
                report.problem(format!("a {what} has id {max}, beyond the counter ({stored})"));
            }
        }
        // Aggregates: as stored, and as a rebuild from the records gives.
        for (client, agg) in &rebuilt.aggregates {
            if stored_aggregates.get(client) != Some(agg) {
                report.problem(format!(
                    "the stored aggregates of client {} differ from a rebuild from its settlements and contacts",
                    client.0
                ));
            }
        }
        for client in stored_aggregates.keys() {
            if !rebuilt.aggregates.contains_key(client) {
                report.problem(format!("aggregates stored for client {}, who has no records", client.0));
            }
        }
        // The model this process holds (from the snapshot file, brought up
        // to date by the change log) must be the records'.
        rebuilt.counters = counters.clone();
        rebuilt.aggregates = stored_aggregates;
        rebuilt.rebuild_index();
        rebuilt.load_archivals(archivals);
        if self.model != rebuilt {
            report.problem(
                "the model snapshot differs from the records (run `rapport verify` after a restart; \
                 if it persists, the records lost changes the snapshot has)"
                    .into(),
            );
        }
        if let Ok(bytes) = std::fs::read(self.path.join(SNAPSHOT_FILE)) {
            match codec::decode_snapshot(&bytes) {
                Ok(snap) if snap.created == self.created && snap.seq > counters.seq => report.problem(format!(
                    "the model snapshot holds commands up to {} but the records only up to {}: \
                     records were lost (restore the last backup)",
                    snap.seq, counters.seq
                )),
                Ok(_) => {}
                Err(e) => report.problem(format!(
                    "the model snapshot file is damaged ({e}); it is a cache and will be rewritten"
                )),
            }
        }
    }
}

fn tree_of(i: usize) -> Option<T> {
    const ALL: [T; 21] = [
        T::Meta,
        T::Managers,
        T::Segments,
        T::Products,
        T::Portrait,
        T::Clients,
        T::Persons,
        T::Settlements,
        T::Aggregates,
        T::Offers,
        T::Contacts,
        T::Tasks,
        T::Surveys,
        T::Tickets,
        T::Audit,
        T::Marks,
        T::Questionnaires,
        T::Changes,
        T::Archive,
        T::Templates,
        T::Sales,
    ];
    ALL.get(i).copied()
}

fn check<R: Record>(t: T, key: &[u8], value: &[u8]) -> Result<R, super::StoreError> {
    decode_at(t, key, value)
}

fn load<R: Record>(
    t: T,
    key: &[u8],
    value: &[u8],
    model: &mut Model,
    change: impl FnOnce(R) -> Change,
    bad: &mut dyn FnMut(super::StoreError),
) {
    match check::<R>(t, key, value) {
        Ok(r) => model.apply_owned(change(r)),
        Err(e) => bad(e),
    }
}
