//! Planning: archive, restore and purge.

use super::*;

/// Plans the trash commands (see `Command::plan`).
pub(super) fn plan(cmd: &Command, model: &Model, ctx: &Context) -> Result<Vec<Change>> {
    Ok(match cmd {
        Command::Archive { key, expected_seq, on } => {
            check_date("archive date", *on)?;
            let seq_now = match *key {
                Archivable::Client(c) => {
                    if model.trash.clients.contains_key(&c) {
                        return Err(invalid(format!("client {} is already archived", model.client_label(c))));
                    }
                    found(&model.clients, c, "client")?.seq
                }
                Archivable::Person(c, p) => {
                    live_client(model, c)?;
                    if model.trash.persons.contains_key(&(c, p)) {
                        return Err(invalid(format!("contact person #{p} is already archived")));
                    }
                    model
                        .persons
                        .get(&(c, p))
                        .ok_or_else(|| CommandError::NotFound(format!("contact person #{p} of this client")))?
                        .seq
                }
            };
            check_version(|| model.archived_label(*key), *expected_seq, seq_now)?;
            vec![Change::Archive {
                key: *key,
                archival: Some(Archival {
                    key: *key,
                    on: *on,
                    who: ctx.who.to_string(),
                    seq: ctx.seq,
                }),
            }]
        }
        Command::Restore { key } => {
            in_trash(model, *key)?;
            if let Archivable::Person(c, _) = key
                && !model.clients.contains_key(c)
            {
                return Err(invalid(format!(
                    "client {} is archived: restore the client first",
                    model.client_label(*c)
                )));
            }
            vec![Change::Archive {
                key: *key,
                archival: None,
            }]
        }
        Command::Purge {
            key,
            today,
            retention_days,
        } => {
            let archival = in_trash(model, *key)?;
            if let Some(m) = model.manager_by_login(ctx.who)
                && m.role != Role::Lead
            {
                return Err(invalid("only a team lead purges the trash"));
            }
            let from = archival
                .on
                .checked_add_days(chrono::Days::new(u64::from(*retention_days)))
                .unwrap_or(NaiveDate::MAX);
            if *today < from {
                return Err(invalid(format!(
                    "{} was archived on {}: it stays in the trash until {from} ({retention_days} days)",
                    model.archived_label(*key),
                    archival.on
                )));
            }
            let (tickets, marks) = model.trash.purge_list(*key);
            let mut changes = vec![Change::Purge {
                key: *key,
                tickets,
                marks,
            }];
            // A purged client's documents, terms and source go with it.
            if let Archivable::Client(c) = key {
                changes.extend(
                    model
                        .sales
                        .keys_of(*c)
                        .into_iter()
                        .map(|key| Change::Sales { key, record: None }),
                );
            }
            changes
        }
        other => return Err(not_here(other)),
    })
}

/// A live client, or why not.
pub(super) fn live_client(model: &Model, c: ClientId) -> Result<&Client> {
    if model.trash.clients.contains_key(&c) {
        return Err(invalid(format!(
            "client {} is archived: restore it from the trash first",
            model.client_label(c)
        )));
    }
    found(&model.clients, c, "client")
}

fn in_trash(model: &Model, key: Archivable) -> Result<&Archival> {
    model
        .trash
        .archival(key)
        .ok_or_else(|| CommandError::NotFound(format!("{} in the trash", model.archived_label(key))))
}

#[cfg(test)]
mod tests {
    use crate::domain::*;
    use crate::testing::Planner;
    use crate::write::{Command, CommandError};

    fn d(s: &str) -> chrono::NaiveDate {
        s.parse().unwrap()
    }

    fn archive(key: Archivable) -> Command {
        Command::Archive {
            key,
            expected_seq: None,
            on: d("2026-03-01"),
        }
    }

    #[test]
    fn an_archived_client_leaves_every_list_with_its_records_and_comes_back_whole() {
        let mut p = Planner::with_client();
        let c = ClientId(1);
        p.run(Command::AddPerson {
            client: c,
            name: "Anna".into(),
            role: String::new(),
            phone: String::new(),
            email: String::new(),
            birthday: None,
        });
        p.run(Command::AddTask {
            client: c,
            due: d("2026-03-09"),
            text: "Call back".into(),
        });
        p.run(Command::MarkItem {
            key: "task-1".into(),
            due: d("2026-03-09"),
            state: MarkState::Snoozed(d("2026-03-20")),
        });
        let before = p.model.clone();
        p.run(archive(Archivable::Client(c)));
        assert!(p.model.clients.is_empty() && p.model.persons.is_empty());
        assert!(p.model.tasks.is_empty() && p.model.marks.is_empty() && p.model.aggregates.is_empty());
        assert!(p.model.client_by_ref("C1").is_none());
        assert_eq!(p.model.trash.entries().len(), 1);
        // Nothing can be done to it but restore.
        let task = Command::AddTask {
            client: c,
            due: d("2026-03-09"),
            text: "x".into(),
        };
        assert!(matches!(p.refused(task), CommandError::NotFound(_)));
        assert!(matches!(p.refused(archive(Archivable::Client(c))), CommandError::Invalid(m) if m.contains("already")));
        let again = Command::AddClient {
            reference: "C1".into(),
            name: "Other".into(),
            segment: None,
            manager: None,
            created: d("2026-01-01"),
            notes: String::new(),
            tags: Vec::new(),
        };
        assert!(matches!(p.refused(again), CommandError::AlreadyExists(m) if m.contains("archived")));
        p.run(Command::Restore {
            key: Archivable::Client(c),
        });
        let mut restored = p.model.clone();
        restored.counters = before.counters.clone();
        assert_eq!(restored, before);
    }

    #[test]
    fn a_person_is_restored_only_with_its_client() {
        let mut p = Planner::with_client();
        let c = ClientId(1);
        p.run(Command::AddPerson {
            client: c,
            name: "Anna".into(),
            role: String::new(),
            phone: String::new(),
            email: String::new(),
            birthday: None,
        });
        let person = Archivable::Person(c, PersonId(1));
        let stale = Command::Archive {
            key: person,
            expected_seq: Some(1),
            on: d("2026-03-01"),
        };
        assert!(matches!(p.refused(stale), CommandError::Stale { .. }));
        p.run(archive(person));
        assert!(p.model.persons.is_empty());
        p.run(archive(Archivable::Client(c)));
        let restore = Command::Restore { key: person };
        assert!(matches!(p.refused(restore.clone()), CommandError::Invalid(m) if m.contains("client first")));
        p.run(Command::Restore {
            key: Archivable::Client(c),
        });
        p.run(restore);
        assert_eq!(p.model.persons.len(), 1);
    }

    #[test]
    fn a_purge_waits_the_retention_and_is_a_leads() {
        let mut p = Planner::with_client();
        let key = Archivable::Client(ClientId(1));
        p.run(archive(key));
        let purge = |today: &str| Command::Purge {
            key,
            today: d(today),
            retention_days: 90,
        };
        // 2026-03-01 + 90 days = 2026-05-30.
        assert!(matches!(p.refused(purge("2026-05-29")), CommandError::Invalid(m) if m.contains("until 2026-05-30")));
        p.run(Command::AddManager {
            login: "ann".into(),
            name: "Ann".into(),
            role: Role::Manager,
        });
        assert!(matches!(p.refused(purge("2026-05-30")), CommandError::Invalid(m) if m.contains("team lead")));
        let mut lead = Planner::with_client();
        lead.run(archive(key));
        lead.run(purge("2026-05-30"));
        assert!(lead.model.trash.is_empty() && lead.model.clients.is_empty());
        let restore = Command::Restore { key };
        assert!(matches!(lead.refused(restore), CommandError::NotFound(_)));
    }
}
