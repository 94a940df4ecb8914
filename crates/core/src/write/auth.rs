//! Who may change what (SPEC §2 roles). A lead may change everything; a
//! manager may change the records of their own clients only, and nothing of
//! the shared reference data (settings, managers, segments, products,
//! portrait, questionnaires). Checked against the model before the command
//! runs, so a refused command costs nothing.

use crate::domain::*;
use crate::model::Model;
use crate::queue::ItemKey;
use crate::write::Command;

/// The authenticated user of a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub login: String,
    /// None for the database's owner who is not a manager (a lead).
    pub manager: Option<ManagerId>,
    pub role: Role,
}

/// `Ok` when `user` may run `cmd`; otherwise the reason, for the user.
pub fn authorize(model: &Model, user: &User, cmd: &Command) -> Result<(), String> {
    if user.role == Role::Lead {
        return Ok(());
    }
    let me = user.manager;
    // A client not in the model yet is being created by an earlier command
    // of the same batch, which was checked itself (or the command fails as
    // not found).
    // An archived client is its manager's too (restore, purge).
    let mine = |client: ClientId| match model
        .clients
        .get(&client)
        .or_else(|| model.trash.clients.get(&client).map(|t| &t.client))
    {
        Some(c) if c.manager != me => Err(format!(
            "client {} belongs to {}; only its manager or a lead may change it",
            c.reference,
            owner_name(model, c.manager)
        )),
        _ => Ok(()),
    };
    let lead_only = |what: &str| Err(format!("{what} can be changed by a lead only"));
    match cmd {
        Command::UpdateSettings(_) => lead_only("the settings"),
        Command::AddManager { .. } => lead_only("the managers"),
        Command::AddSegment { .. } => lead_only("the segments"),
        Command::AddProduct { .. } => lead_only("the products"),
        Command::SetPortrait { .. } => lead_only("the portrait"),
        Command::SetQuestionnaire { .. } => lead_only("the survey questions"),
        Command::SetTemplate { .. } => lead_only("the company's templates"),
        Command::SetSalesSetup { .. } => lead_only("the sources, competitors and minutes delay"),
        Command::ShareView(_) | Command::UnshareView { .. } => lead_only("the team's shared views"),
        Command::AddClient { manager, reference, .. } => {
            if *manager == me {
                Ok(())
            } else {
                Err(format!(
                    "a new client ({reference}) must be assigned to yourself; a lead assigns clients to others"
                ))
            }
        }
        Command::EditClient { client, manager, .. } => {
            mine(*client)?;
            if *manager != me {
                return Err("a client can be handed to another manager by a lead only".into());
            }
            Ok(())
        }
        Command::AddPerson { client, .. }
        | Command::EditPerson { client, .. }
        | Command::RecordSettlement { client, .. }
        | Command::EditSettlement { client, .. }
        | Command::DeleteSettlement { client, .. }
        | Command::LogContact { client, .. }
        | Command::AddTask { client, .. }
        | Command::RecordSurvey { client, .. }
        | Command::OpenTicket { client, .. }
        | Command::EditContact { client, .. }
        | Command::DeleteContact { client, .. }
        | Command::WriteDocument { client, .. }
        | Command::SetTerms { client, .. } => mine(*client),
        Command::SetSource { reference, .. } => match model.client_by_ref(reference) {
            Some(c) => mine(c.id),
            None => Ok(()),
        },
        Command::MarkDocumentSent { number, .. } => match model.sales.documents.get(number) {
            Some(d) => mine(d.client),
            None => Ok(()),
        },
        Command::Archive { key, .. } | Command::Restore { key } => mine(key.client()),
        Command::Purge { .. } => Err("the trash is purged by a lead only".into()),
        Command::EditTask { task, .. } | Command::DeleteTask { task, .. } => match model.tasks.get(task) {
            Some(t) => mine(t.client),
            None => Ok(()),
        },
        Command::EditSurvey { survey, .. } | Command::DeleteSurvey { survey, .. } => match model.surveys.get(survey) {
            Some(s) => mine(s.client),
            None => Ok(()),
        },
        Command::MoveOffer(m) => mine(m.client),
        Command::RestoreOffer { client, .. } => mine(*client),

        Command::CompleteTask { task, .. } => match model.tasks.get(task) {
            Some(t) => mine(t.client),
            None => Ok(()),
        },
        Command::AdvanceTicket(a) => ticket(model, me, a.ticket, &mine),
        Command::SetTicketOwner { ticket: t, .. } | Command::EditTicket { ticket: t, .. } => {
            ticket(model, me, *t, &mine)
        }
        Command::MarkItem { key, .. } | Command::ClearMark { key, .. } => {
            match key.parse::<ItemKey>().ok().and_then(|k| k.client(model)) {
                Some(client) => mine(client),
                None => Ok(()),
            }
        }
        Command::MergeClients { into, from, .. } => {
            let manager = |c: &ClientId| model.clients.get(c).map(|c| c.manager);
            if manager(into) != manager(from) {
                return Err(format!(
                    "{} and {} have different managers: only a lead merges them",
                    model.client_label(*into),
                    model.client_label(*from)
                ));
            }
            mine(*into)?;
            mine(*from)
        }
        Command::Unmerge { changes } => changes.iter().try_for_each(|c| match c {
            crate::model::Change::Merge(j) => {
                mine(j.into)?;
                mine(j.from)?;
                // The clients an undo writes back stay with this manager.
                if j.clients.iter().any(|c| c.manager != me) {
                    return Err("a client can be handed to another manager by a lead only".into());
                }
                Ok(())
            }
            _ => Ok(()),
        }),
        Command::Batch { commands, .. } => commands.iter().try_for_each(|c| authorize(model, user, c)),
    }
}

/// A ticket may be worked by its client's manager and by its owner.
fn ticket(
    model: &Model,
    me: Option<ManagerId>,
    id: TicketId,
    mine: &dyn Fn(ClientId) -> Result<(), String>,
) -> Result<(), String> {
    match model.tickets.get(&id) {
        Some(t) if t.owner.is_some() && t.owner == me => Ok(()),
        Some(t) => mine(t.client),
        None => Ok(()),
    }
}

fn owner_name(model: &Model, manager: Option<ManagerId>) -> String {
    model.manager_login(manager).to_string()
}

/// Whether `cmd` hands an existing client to another manager (or to
/// none): then a session that reads only its manager's clients holds the
/// wrong share until it reads it again (the new manager lacks the
/// client's records; the old one still shows them). Judged on the model
/// before the command.
pub fn moves_clients(model: &Model, cmd: &Command) -> bool {
    match cmd {
        Command::EditClient { client, manager, .. } => model.clients.get(client).is_some_and(|c| c.manager != *manager),
        Command::Batch { commands, .. } => commands.iter().any(|c| moves_clients(model, c)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Planner;
    use crate::write::OfferMove;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Two managers with a client each, one unassigned client, one ticket.
    fn book() -> (Planner, User, User, User) {
        let mut p = Planner::with_reference(&["anna", "ben"], &[("P1", "L1")]);
        for (reference, manager) in [("C-A", Some("anna")), ("C-B", Some("ben")), ("C-X", None)] {
            let manager = manager.and_then(|m| p.model.manager_by_login(m)).map(|m| m.id);
            p.run(Command::AddClient {
                reference: reference.into(),
                name: reference.into(),
                segment: None,
                manager,
                created: d("2025-01-01"),
                notes: String::new(),
                tags: Vec::new(),
            });
        }
        let user = |p: &Planner, login: &str, role| User {
            login: login.into(),
            manager: p.model.manager_by_login(login).map(|m| m.id),
            role,
        };
        let anna = user(&p, "anna", Role::Manager);
        let ben = user(&p, "ben", Role::Manager);
        let lead = User {
            role: Role::Lead,
            ..ben.clone()
        };
        (p, anna, ben, lead)
    }

    fn settle(p: &Planner, reference: &str) -> Command {
        Command::RecordSettlement {
            client: p.model.client_by_ref(reference).unwrap().id,
            date: d("2026-01-01"),
            amount: Money(100),
            product: None,
            doc: String::new(),
        }
    }

    #[test]
    fn a_manager_changes_own_clients_only() {
        let (p, anna, ben, lead) = book();
        assert_eq!(authorize(&p.model, &anna, &settle(&p, "C-A")), Ok(()));
        let err = authorize(&p.model, &ben, &settle(&p, "C-A")).unwrap_err();
        assert!(err.contains("C-A belongs to anna"), "{err}");
        assert!(
            authorize(&p.model, &anna, &settle(&p, "C-X"))
                .unwrap_err()
                .contains("no manager")
        );
        for c in ["C-A", "C-B", "C-X"] {
            assert_eq!(authorize(&p.model, &lead, &settle(&p, c)), Ok(()));
        }
        let client = p.model.client_by_ref("C-B").unwrap().id;
        let product = p.model.product_by_code("P1").unwrap().id;
        let mv = Command::MoveOffer(OfferMove::new(
            client,
            product,
            OfferStage::Presentation,
            d("2026-01-02"),
        ));
        assert!(authorize(&p.model, &anna, &mv).is_err());
        assert_eq!(authorize(&p.model, &ben, &mv), Ok(()));
    }

    /// A manager merges two of their own clients; clients of two managers
    /// are a lead's to merge, and an undo cannot hand a client over.
    #[test]
    fn merging_clients_of_two_managers_is_for_leads() {
        let (mut p, anna, ben, lead) = book();
        let id = |p: &Planner, r: &str| p.model.client_by_ref(r).unwrap().id;
        let merge = |into, from| Command::MergeClients {
            into,
            from,
            expected: None,
            on: d("2026-11-20"),
        };
        let across = merge(id(&p, "C-A"), id(&p, "C-B"));
        let err = authorize(&p.model, &anna, &across).unwrap_err();
        assert!(
            err.contains("C-A and C-B have different managers: only a lead"),
            "{err}"
        );
        assert!(authorize(&p.model, &ben, &across).is_err());
        assert_eq!(authorize(&p.model, &lead, &across), Ok(()));
        p.run(Command::AddClient {
            reference: "C-A2".into(),
            name: "C-A2".into(),
            segment: None,
            manager: anna.manager,
            created: d("2025-01-01"),
            notes: String::new(),
            tags: Vec::new(),
        });
        let own = merge(id(&p, "C-A"), id(&p, "C-A2"));
        assert_eq!(authorize(&p.model, &anna, &own), Ok(()));
        assert!(authorize(&p.model, &ben, &own).unwrap_err().contains("belongs to anna"));
        // An undo whose record of the clients names another manager.
        let event = p.event(own);
        let mut changes = event.changes.clone();
        if let Some(crate::model::Change::Merge(j)) = changes.first_mut() {
            j.clients[0].manager = ben.manager;
        }
        let forged = Command::Unmerge { changes };
        assert!(
            authorize(&p.model, &anna, &forged)
                .unwrap_err()
                .contains("by a lead only")
        );
        let honest = Command::Unmerge { changes: event.changes };
        assert_eq!(authorize(&p.model, &anna, &honest), Ok(()));
    }

    #[test]
    fn one_foreign_command_refuses_the_whole_batch() {
        let (p, anna, _, _) = book();
        let batch = Command::Batch {
            label: "import".into(),
            commands: vec![settle(&p, "C-A"), settle(&p, "C-B")],
        };
        assert!(authorize(&p.model, &anna, &batch).is_err());
    }

    #[test]
    fn reference_data_and_handing_over_are_for_leads() {
        let (p, anna, _, lead) = book();
        let add = Command::AddProduct {
            code: "P2".into(),
            name: "Two".into(),
            line: "L1".into(),
        };
        assert!(authorize(&p.model, &anna, &add).unwrap_err().contains("lead only"));
        assert_eq!(authorize(&p.model, &lead, &add), Ok(()));
        let c = p.model.client_by_ref("C-A").unwrap();
        let hand_over = Command::EditClient {
            client: c.id,
            expected_version: None,
            name: c.name.clone(),
            segment: c.segment,
            manager: p.model.manager_by_login("ben").map(|m| m.id),
            notes: String::new(),
            tags: Vec::new(),
        };
        assert!(authorize(&p.model, &anna, &hand_over).is_err());
        let new_for_ben = Command::AddClient {
            reference: "C-N".into(),
            name: "New".into(),
            segment: None,
            manager: p.model.manager_by_login("ben").map(|m| m.id),
            created: d("2026-01-01"),
            notes: String::new(),
            tags: Vec::new(),
        };
        assert!(authorize(&p.model, &anna, &new_for_ben).is_err());
        let mut new_for_anna = new_for_ben;
        if let Command::AddClient { manager, .. } = &mut new_for_anna {
            *manager = anna.manager;
        }
        assert_eq!(authorize(&p.model, &anna, &new_for_anna), Ok(()));
    }

    /// A hand-over is a move; an edit that keeps the manager is not.
    #[test]
    fn moving_a_client_is_told_apart_from_editing_it() {
        let (p, ..) = book();
        let c = p.model.client_by_ref("C-A").unwrap().clone();
        let edit = |manager| Command::EditClient {
            client: c.id,
            expected_version: None,
            name: c.name.clone(),
            segment: c.segment,
            manager,
            notes: "new notes".into(),
            tags: c.tags.clone(),
        };
        let other = p.model.managers.keys().find(|m| Some(**m) != c.manager).copied();
        assert!(!moves_clients(&p.model, &edit(c.manager)));
        assert!(moves_clients(&p.model, &edit(other)));
        let batch = Command::Batch {
            label: "b".into(),
            commands: vec![edit(c.manager), edit(other)],
        };
        assert!(moves_clients(&p.model, &batch));
    }
}
