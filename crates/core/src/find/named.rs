//! A client named by its ref, one of its contact persons by name and a
//! product by its code, as a command line names them: the same answer and the same refusal whether
//! the model is here or on a server (which answers one-shot commands
//! without sending its model).

use serde::{Deserialize, Serialize};

use crate::domain::{ClientId, ManagerId, PersonId, ProductId};
use crate::model::Model;

/// What a ref (and a person's name) stand for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub client: ClientId,
    pub reference: String,
    pub person: Option<PersonId>,
    /// The product named, and its code as recorded.
    pub product: Option<(ProductId, String)>,
}

/// The client `reference` names, its person `person` (by name, case
/// aside) and the product `product` (by code), or why not, in words for the
/// user. `sees`: a session limited to one manager's clients knows no other.
pub fn named(
    model: &Model,
    reference: &str,
    person: Option<&str>,
    product: Option<&str>,
    sees: Option<ManagerId>,
) -> Result<Named, String> {
    let visible = |m: Option<ManagerId>| sees.is_none() || m == sees;
    let Some(client) = model.client_by_ref(reference).filter(|c| visible(c.manager)) else {
        return Err(match model.trash.client_by_ref(reference) {
            Some(t) if visible(t.client.manager) => format!(
                "client '{reference}' is archived (rapport trash); bring it back with: rapport client restore {reference}"
            ),
            _ => format!("unknown client '{reference}'"),
        });
    };
    let person = match person {
        None => None,
        Some(name) => {
            let wanted = name.trim().to_lowercase();
            let found = model.persons_of(client.id).find(|p| p.name.to_lowercase() == wanted);
            match found {
                Some(p) => Some(p.id),
                None => {
                    let names: Vec<&str> = model.persons_of(client.id).map(|p| p.name.as_str()).collect();
                    return Err(format!(
                        "{} has no contact person '{name}' ({})",
                        client.reference,
                        if names.is_empty() {
                            "none recorded".to_string()
                        } else {
                            names.join(", ")
                        }
                    ));
                }
            }
        }
    };
    let product = match product {
        None => None,
        Some(code) => {
            let p = model
                .product_by_code(code)
                .ok_or_else(|| format!("unknown product '{code}'"))?;
            Some((p.id, p.code.clone()))
        }
    };
    Ok(Named {
        client: client.id,
        reference: client.reference.clone(),
        person,
        product,
    })
}

/// The records a one-shot command reads, as its command line names them:
/// clients by ref (live or archived) and queue items or records by id
/// (`task-12`, `ticket-3`, a mark's key, a document's number). Through a server such a command
/// receives the part of the model that holds them (`Wanted::part_of`), not
/// the whole book.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wanted {
    pub refs: Vec<String>,
    pub items: Vec<String>,
    /// Clients by id (the ones a change to undo is about).
    pub clients: Vec<ClientId>,
    /// Everything in the trash, and the clients of persons archived alone.
    pub trash: bool,
    /// The clients a new one of this name looks like (`duplicates::likely`).
    pub like: Option<String>,
}

impl Wanted {
    pub fn refs(refs: impl IntoIterator<Item = impl Into<String>>) -> Wanted {
        Wanted {
            refs: refs.into_iter().map(Into::into).collect(),
            ..Wanted::default()
        }
    }

    pub fn items(items: impl IntoIterator<Item = impl Into<String>>) -> Wanted {
        Wanted {
            items: items.into_iter().map(Into::into).collect(),
            ..Wanted::default()
        }
    }

    /// Only the shared reference data (products, managers, settings…).
    pub fn none() -> Wanted {
        Wanted::default()
    }

    /// The clients this names in `model` and everything about them, with
    /// the shared reference data; a name that names nothing adds nothing
    /// (the command then says so as it would on the whole model). `sees`:
    /// a session limited to one manager's clients gets none of another's.
    pub fn part_of(&self, model: &Model, sees: Option<ManagerId>) -> Model {
        let mut ids = std::collections::BTreeSet::new();
        for r in &self.refs {
            ids.extend(model.client_by_ref(r).map(|c| c.id));
            ids.extend(model.trash.client_by_ref(r).map(|t| t.client.id));
        }
        for item in &self.items {
            let client = match item.parse::<crate::queue::ItemKey>() {
                Ok(key) => key.client(model),
                Err(_) => item
                    .parse::<crate::domain::DocNumber>()
                    .ok()
                    .and_then(|n| model.sales.documents.get(&n))
                    .map(|d| d.client),
            };
            ids.extend(client);
        }
        ids.extend(self.clients.iter().copied());
        if let Some(name) = &self.like {
            ids.extend(super::duplicates::likely_ids(model, name));
        }
        if self.trash {
            ids.extend(model.trash.clients.keys().copied());
            ids.extend(model.trash.persons.keys().map(|(c, _)| *c));
        }
        model.only(&|c| ids.contains(&c.id) && (sees.is_none() || c.manager == sees))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Archivable;
    use crate::testing::Planner;
    use crate::write::Command;

    #[test]
    fn a_ref_and_a_person_are_named_or_refused_in_words() {
        let mut p = Planner::with_client();
        p.run(Command::AddPerson {
            client: ClientId(1),
            name: "Anna Berg".into(),
            role: String::new(),
            phone: String::new(),
            email: String::new(),
            birthday: None,
        });
        let anna = p.model.persons_of(ClientId(1)).next().map(|x| x.id);
        let n = named(&p.model, "C1", Some(" anna BERG "), None, None).unwrap();
        assert_eq!((n.client, n.reference.as_str(), n.person), (ClientId(1), "C1", anna));
        assert_eq!(
            named(&p.model, "C1", Some("Eve"), None, None),
            Err("C1 has no contact person 'Eve' (Anna Berg)".into())
        );
        assert_eq!(
            named(&p.model, "C9", None, None, None),
            Err("unknown client 'C9'".into())
        );
        // Another manager's client, for a session that sees only its own.
        let other = Some(ManagerId(9));
        assert_eq!(
            named(&p.model, "C1", None, None, other),
            Err("unknown client 'C1'".into())
        );
        p.run(Command::Archive {
            key: Archivable::Client(ClientId(1)),
            expected_seq: None,
            on: "2026-11-20".parse().unwrap(),
        });
        assert!(
            named(&p.model, "C1", None, None, None)
                .unwrap_err()
                .contains("is archived")
        );
        assert_eq!(
            named(&p.model, "C1", None, None, other),
            Err("unknown client 'C1'".into())
        );
    }

    #[test]
    fn a_part_holds_the_named_clients_and_the_shared_data_only() {
        let mut p = Planner::with_client();
        for (reference, manager) in [("C2", 1), ("C3", 1)] {
            p.run(Command::AddClient {
                reference: reference.into(),
                name: format!("Client {reference}"),
                segment: None,
                manager: Some(ManagerId(manager)),
                created: "2025-01-01".parse().unwrap(),
                notes: String::new(),
                tags: Vec::new(),
            });
        }
        for client in [1, 2, 3] {
            p.run(Command::AddTask {
                client: ClientId(client),
                due: "2026-12-01".parse().unwrap(),
                text: format!("call {client}"),
            });
        }
        p.run(Command::Archive {
            key: Archivable::Client(ClientId(3)),
            expected_seq: None,
            on: "2026-11-20".parse().unwrap(),
        });
        let clients = |m: &Model| m.clients.keys().copied().collect::<Vec<_>>();
        let tasks = |m: &Model| m.tasks.keys().copied().collect::<Vec<_>>();

        // By ref, and by a task's id: that task's client.
        let part = Wanted::refs(["C2"]).part_of(&p.model, None);
        assert_eq!(
            (clients(&part), tasks(&part)),
            (vec![ClientId(2)], vec![crate::domain::TaskId(2)])
        );
        let part = Wanted::items(["task-1"]).part_of(&p.model, None);
        assert_eq!(clients(&part), vec![ClientId(1)]);
        // An archived client by its ref, in the part's trash.
        let part = Wanted::refs(["C3", "C9"]).part_of(&p.model, None);
        assert!(part.clients.is_empty());
        assert_eq!(
            part.trash.clients.keys().copied().collect::<Vec<_>>(),
            vec![ClientId(3)]
        );
        // By id, and the whole trash.
        let part = Wanted {
            clients: vec![ClientId(1)],
            trash: true,
            ..Wanted::default()
        }
        .part_of(&p.model, None);
        assert_eq!((clients(&part), part.trash.clients.len()), (vec![ClientId(1)], 1));
        // The clients a new name looks like, as the whole book says.
        let like = Wanted {
            like: Some("dupont s.a.".into()),
            ..Wanted::default()
        };
        let part = like.part_of(&p.model, None);
        assert_eq!(clients(&part), vec![ClientId(1)]);
        assert_eq!(
            crate::find::duplicates::likely(&part, "dupont s.a."),
            crate::find::duplicates::likely(&p.model, "dupont s.a.")
        );
        // The shared data and counters whole; nothing named, no client.
        let part = Wanted::none().part_of(&p.model, None);
        assert!(part.clients.is_empty() && part.tasks.is_empty());
        assert_eq!(
            (&part.products, &part.managers, &part.counters),
            (&p.model.products, &p.model.managers, &p.model.counters)
        );
        assert_eq!(
            part.product_by_code("crm").map(|x| x.id),
            p.model.product_by_code("crm").map(|x| x.id)
        );
        // Another manager's session gets none of these clients.
        let part = Wanted::refs(["C1", "C2"]).part_of(&p.model, Some(ManagerId(9)));
        assert!(part.clients.is_empty());
    }

    /// One client of many is read by key, not by a walk: the same records.
    #[test]
    fn a_part_of_a_large_book_is_what_a_walk_finds() {
        let mut p = Planner::with_reference(&["amy", "bob"], &[("crm", "software"), ("train", "training")]);
        for n in 1..=200u32 {
            p.run(Command::AddClient {
                reference: format!("C{n}"),
                name: format!("Client {n}"),
                segment: None,
                manager: Some(ManagerId(1 + n % 2)),
                created: "2025-01-01".parse().unwrap(),
                notes: String::new(),
                tags: Vec::new(),
            });
        }
        for n in (1..=200u32).step_by(3) {
            p.run(Command::AddPerson {
                client: ClientId(n),
                name: format!("Person {n}"),
                role: String::new(),
                phone: String::new(),
                email: String::new(),
                birthday: None,
            });
            p.run(Command::MoveOffer(crate::write::OfferMove::new(
                ClientId(n),
                crate::domain::ProductId(1 + n % 2),
                crate::domain::OfferStage::Presentation,
                "2026-01-01".parse().unwrap(),
            )));
        }
        for n in [1u32, 2, 100, 199, 200] {
            let c = ClientId(n);
            let part = Wanted::refs([format!("C{n}")]).part_of(&p.model, None);
            assert_eq!(part.clients.keys().copied().collect::<Vec<_>>(), vec![c]);
            let persons: Vec<_> = p.model.persons.iter().filter(|((x, _), _)| *x == c).collect();
            assert_eq!(part.persons.iter().collect::<Vec<_>>(), persons, "C{n}");
            let offers: Vec<_> = p.model.offers.iter().filter(|((x, _), _)| *x == c).collect();
            assert_eq!(part.offers.iter().collect::<Vec<_>>(), offers, "C{n}");
            assert!(part.aggregates.keys().all(|x| *x == c));
            assert_eq!(part.aggregates.get(&c), p.model.aggregates.get(&c));
        }
        // A manager's share is walked: half the book.
        let share = p.model.only_of(ManagerId(2));
        assert_eq!(share.clients.len(), 100);
        assert!(share.offers.keys().all(|(c, _)| share.clients.contains_key(c)));
        assert_eq!(
            share.persons.len(),
            p.model
                .persons
                .keys()
                .filter(|(c, _)| share.clients.contains_key(c))
                .count()
        );
    }
}
