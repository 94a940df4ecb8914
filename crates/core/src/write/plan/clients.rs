//! Planning: Clients and their contact persons.

use super::*;

/// Plans the clients commands (see `Command::plan`).
pub(super) fn plan(cmd: &Command, model: &Model, ctx: &Context) -> Result<Vec<Change>> {
    let seq = ctx.seq;
    let client = |id: ClientId| found(&model.clients, id, "client");
    let c = &model.counters;
    Ok(match cmd {
        Command::AddClient {
            reference,
            name,
            segment: seg,
            manager: mgr,
            created,
            notes,
            tags,
        } => {
            check_key("client ref", reference)?;
            check_line("name", name, true)?;
            check_text("notes", notes, false)?;
            check_date("created date", *created)?;
            if model.client_by_ref(reference).is_some() {
                return Err(CommandError::AlreadyExists(format!("client '{reference}'")));
            }
            if model.trash.client_by_ref(reference).is_some() {
                return Err(CommandError::AlreadyExists(format!(
                    "client '{reference}' (archived: restore it from the trash)"
                )));
            }
            check_filing(model, *seg, *mgr, tags)?;
            vec![Change::Client(Client {
                id: ClientId(c.client + 1),
                reference: reference.clone(),
                name: name.trim().to_string(),
                segment: *seg,
                manager: *mgr,
                created: *created,
                notes: notes.clone(),
                tags: tags.clone(),
                version: 1,
                seq,
            })]
        }
        Command::EditClient {
            client: id,
            expected_version,
            name,
            segment: seg,
            manager: mgr,
            notes,
            tags,
        } => {
            let old = client(*id)?;
            check_version(|| format!("client '{}'", old.reference), *expected_version, old.version)?;
            check_line("name", name, true)?;
            check_text("notes", notes, false)?;
            check_filing(model, *seg, *mgr, tags)?;
            vec![Change::Client(Client {
                name: name.trim().to_string(),
                segment: *seg,
                manager: *mgr,
                notes: notes.clone(),
                tags: tags.clone(),
                version: old.version + 1,
                seq,
                ..old.clone()
            })]
        }
        Command::AddPerson {
            client: id,
            name,
            role,
            phone,
            email,
            birthday,
        } => {
            client(*id)?;
            check_person(name, role, phone, email, *birthday)?;
            vec![Change::Person(ContactPerson {
                id: PersonId(c.person + 1),
                client: *id,
                name: name.trim().to_string(),
                role: role.clone(),
                phone: phone.clone(),
                email: email.clone(),
                birthday: *birthday,
                seq,
            })]
        }
        Command::EditPerson {
            client: owner,
            person,
            expected_seq,
            name,
            role,
            phone,
            email,
            birthday,
        } => {
            let old = model
                .persons
                .get(&(*owner, *person))
                .ok_or_else(|| CommandError::NotFound(format!("contact person {person} of client {owner}")))?;
            if let Some(expected) = expected_seq
                && *expected != old.seq
            {
                return Err(CommandError::Stale {
                    what: format!("contact person {}", old.name),
                    expected: *expected,
                    current: old.seq,
                });
            }
            check_person(name, role, phone, email, *birthday)?;
            vec![Change::Person(ContactPerson {
                name: name.trim().to_string(),
                role: role.clone(),
                phone: phone.clone(),
                email: email.clone(),
                birthday: *birthday,
                seq,
                ..old.clone()
            })]
        }
        other => return Err(not_here(other)),
    })
}

/// A contact person's fields: a one-line name, role, phones and email;
/// the email has the shape of one; the birthday is a real date.
fn check_person(name: &str, role: &str, phone: &str, email: &str, birthday: Option<NaiveDate>) -> Result<()> {
    check_line("name", name, true)?;
    check_line("role", role, false)?;
    check_line("phone", phone, false)?;
    check_line("email", email, false)?;
    if let Err(why) = crate::domain::text::email_shape(email) {
        return Err(invalid(format!("'{email}' is not an email address: {why}")));
    }
    if let Some(b) = birthday {
        check_date("birthday", b)?;
    }
    Ok(())
}

/// Where a client is filed: its segment and manager exist, its tags are
/// keys (for a new client and an edited one alike).
fn check_filing(model: &Model, seg: Option<SegmentId>, mgr: Option<ManagerId>, tags: &[String]) -> Result<()> {
    if let Some(s) = seg {
        found(&model.segments, s, "segment")?;
    }
    if let Some(m) = mgr {
        found(&model.managers, m, "manager")?;
    }
    for t in tags {
        check_key("tag", t)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::domain::*;
    use crate::testing::Planner;
    use crate::write::{Command, CommandError};

    fn add(reference: &str, name: &str) -> Command {
        Command::AddClient {
            reference: reference.into(),
            name: name.into(),
            segment: None,
            manager: Some(ManagerId(1)),
            created: "2026-01-01".parse().unwrap(),
            notes: "Likes calls\nbefore 10".into(),
            tags: vec!["vip".into()],
        }
    }

    #[test]
    fn a_client_ref_is_unique_and_a_name_one_line() {
        let mut p = Planner::with_client();
        assert!(matches!(p.refused(add("C1", "Other")), CommandError::AlreadyExists(w) if w == "client 'C1'"));
        assert!(matches!(p.refused(add("C2", "Two\nlines")), CommandError::Invalid(_)));
        assert!(matches!(p.refused(add("C 2", "Spaced")), CommandError::Invalid(_)));
        p.run(add("C2", "  Martin  "));
        let c = p.model.client_by_ref("C2").unwrap();
        assert_eq!(
            (c.name.as_str(), c.notes.as_str(), c.version),
            ("Martin", "Likes calls\nbefore 10", 1)
        );
    }

    #[test]
    fn a_stale_edit_is_refused_with_the_current_version() {
        let mut p = Planner::with_client();
        let edit = |v: u64, name: &str| Command::EditClient {
            client: ClientId(1),
            expected_version: Some(v),
            name: name.into(),
            segment: None,
            manager: Some(ManagerId(1)),
            notes: String::new(),
            tags: vec![],
        };
        p.run(edit(1, "Dupont & Fils"));
        assert_eq!(p.model.clients[&ClientId(1)].version, 2);
        let stale = p.refused(edit(1, "Lost update"));
        assert!(
            matches!(
                stale,
                CommandError::Stale {
                    expected: 1,
                    current: 2,
                    ..
                }
            ),
            "{stale:?}"
        );
    }

    #[test]
    fn a_person_belongs_to_an_existing_client() {
        let mut p = Planner::with_client();
        let person = |client: u32| Command::AddPerson {
            client: ClientId(client),
            name: "Anne".into(),
            role: "buyer".into(),
            phone: "+33 6 12 34 56 78".into(),
            email: "anne@example.com".into(),
            birthday: None,
        };
        assert!(matches!(p.refused(person(9)), CommandError::NotFound(_)));
        p.run(person(1));
        assert_eq!(p.model.persons_of(ClientId(1)).count(), 1);
    }

    #[test]
    fn a_person_edit_checks_the_email_and_refuses_a_stale_one() {
        let mut p = Planner::with_client();
        p.run(Command::AddPerson {
            client: ClientId(1),
            name: "Anne".into(),
            role: "buyer".into(),
            phone: "+33 6 12 34 56 78".into(),
            email: String::new(),
            birthday: None,
        });
        let anne = p.model.persons_of(ClientId(1)).next().unwrap().clone();
        let edit = |seq: u64, email: &str| Command::EditPerson {
            client: ClientId(1),
            person: anne.id,
            expected_seq: Some(seq),
            name: " Anne Martin ".into(),
            role: "head buyer".into(),
            phone: "+33 6 12 34 56 78, +33 1 40 00 00 00".into(),
            email: email.into(),
            birthday: "1980-02-29".parse().ok(),
        };
        assert!(matches!(p.refused(edit(anne.seq, "anne@")), CommandError::Invalid(w) if w.contains("not an email")));
        p.run(edit(anne.seq, "anne@dupont.fr"));
        let edited = p.model.persons[&(ClientId(1), anne.id)].clone();
        assert_eq!(
            (
                edited.name.as_str(),
                edited.role.as_str(),
                edited.email.as_str(),
                edited.client
            ),
            ("Anne Martin", "head buyer", "anne@dupont.fr", ClientId(1))
        );
        assert!(edited.phone.contains("+33 1 40"));
        assert!(matches!(
            p.refused(edit(anne.seq, "anne@dupont.fr")),
            CommandError::Stale { current, .. } if current == edited.seq
        ));
        assert!(matches!(
            p.refused(Command::EditPerson {
                client: ClientId(1),
                person: PersonId(99),
                expected_seq: None,
                name: "X".into(),
                role: String::new(),
                phone: String::new(),
                email: String::new(),
                birthday: None,
            }),
            CommandError::NotFound(_)
        ));
    }
}
