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
}
