//! Finding a client by anything known about it (a name, its ref, a contact
//! person, a phone number by its digits alone, an email, a tag, a word of
//! the notes), saying which field matched; and the likely duplicates among
//! clients. Shared by `rapport find`, `rapport duplicates`, the client
//! forms and imports.

pub mod duplicates;
pub mod named;
pub mod text;

use serde::Serialize;

use crate::domain::{Client, ClientId, PersonId};
use crate::model::Model;
pub use text::{fold, fold_into, phone_digits};

/// Which field of a client a query matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Ref,
    Phone,
    Email,
    Name,
    Person,
    Tag,
    Notes,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Ref => "ref",
            Field::Phone => "phone",
            Field::Email => "email",
            Field::Name => "name",
            Field::Person => "person",
            Field::Tag => "tag",
            Field::Notes => "notes",
        }
    }
}

/// One client found, by its best field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub client: ClientId,
    pub field: Field,
    /// The value that matched, as it is written (a phone, an email…).
    pub value: String,
    /// The contact person whose phone, email or name matched.
    pub person: Option<PersonId>,
    /// Higher is better.
    pub score: u32,
}

/// A query, folded once.
pub struct Query {
    text: String,
    phone: Option<String>,
}

impl Query {
    pub fn new(query: &str) -> Query {
        Query {
            text: fold(query.trim()).0,
            phone: phone_digits(query),
        }
    }

    /// The national digits when the query is a phone number or a part of one.
    pub fn phone(&self) -> Option<&str> {
        self.phone.as_deref()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// How well folded `hay` holds folded `needle`: at its start, at a word's
/// start, anywhere.
fn contains(hay: &str, needle: &str, base: u32) -> Option<u32> {
    let pos = hay.find(needle)?;
    let word_start = hay
        .get(..pos)
        .is_none_or(|before| !before.ends_with(|c: char| c.is_alphanumeric()));
    Some(match (pos, word_start) {
        (0, _) => base + 30,
        (_, true) => base + 20,
        _ => base,
    })
}

/// The best field of `client` for `q`, if any.
pub fn matched(model: &Model, client: &Client, q: &Query) -> Option<Hit> {
    if q.is_empty() {
        return None;
    }
    let mut best: Option<Hit> = None;
    let mut offer = |field: Field, value: &str, person: Option<PersonId>, score: Option<u32>| {
        if let Some(score) = score
            && best.as_ref().is_none_or(|b| score > b.score)
        {
            best = Some(Hit {
                client: client.id,
                field,
                value: value.to_string(),
                person,
                score,
            });
        }
    };
    let t = q.text.as_str();
    if fold(&client.reference).0 == t {
        offer(Field::Ref, &client.reference, None, Some(1000));
    }
    if let Some(digits) = q.phone() {
        for p in model.persons_of(client.id) {
            for phone in p.phone.split(',') {
                let national = phone_digits(phone);
                let found = national.as_deref().is_some_and(|d| d.contains(digits));
                let exact = national.as_deref() == Some(digits);
                offer(
                    Field::Phone,
                    phone.trim(),
                    Some(p.id),
                    found.then_some(if exact { 950 } else { 900 }),
                );
            }
        }
    }
    offer(
        Field::Ref,
        &client.reference,
        None,
        contains(&fold(&client.reference).0, t, 850),
    );
    offer(Field::Name, &client.name, None, contains(&fold(&client.name).0, t, 800));
    for p in model.persons_of(client.id) {
        offer(Field::Person, &p.name, Some(p.id), contains(&fold(&p.name).0, t, 700));
        if !p.email.is_empty() {
            offer(
                Field::Email,
                &p.email,
                Some(p.id),
                contains(&p.email.to_lowercase(), t, 600),
            );
        }
    }
    for tag in &client.tags {
        offer(Field::Tag, tag, None, contains(&fold(tag).0, t, 500));
    }
    for word in client.notes.split_whitespace() {
        let folded = fold(word).0;
        offer(Field::Notes, word, None, folded.starts_with(t).then_some(300));
    }
    best
}

/// Every client `query` finds, best first (then by ref).
pub fn find(model: &Model, query: &str) -> Vec<Hit> {
    let q = Query::new(query);
    let mut hits: Vec<Hit> = model.clients.values().filter_map(|c| matched(model, c, &q)).collect();
    hits.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| model.client_label(a.client).cmp(&model.client_label(b.client)))
    });
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Planner;
    use crate::write::Command;

    fn book() -> Planner {
        let mut p = Planner::with_client();
        p.run(Command::AddPerson {
            client: ClientId(1),
            name: "Émile Wagner".into(),
            role: "buyer".into(),
            phone: "+33 6 12 34 56 78, 01 77 27 77 00".into(),
            email: "emile.wagner@muller-sohne.fr".into(),
            birthday: None,
        });
        p.run(Command::AddClient {
            reference: "C2".into(),
            name: "Müller & Söhne GmbH".into(),
            segment: None,
            manager: None,
            created: "2026-01-01".parse().unwrap(),
            notes: "Prefers calls before ten".into(),
            tags: vec!["vip".into()],
        });
        p
    }

    fn found(p: &Planner, q: &str) -> Vec<(u32, Field, String)> {
        find(&p.model, q)
            .into_iter()
            .map(|h| (h.client.0, h.field, h.value))
            .collect()
    }

    #[test]
    fn a_phone_is_found_by_its_digits_alone() {
        let p = book();
        let want = vec![(1, Field::Phone, "+33 6 12 34 56 78".to_string())];
        assert_eq!(found(&p, "0612"), want);
        assert_eq!(found(&p, "06 12 34 56 78"), want);
        assert_eq!(found(&p, "+33612345678"), want);
        assert_eq!(
            found(&p, "77 27 77"),
            vec![(1, Field::Phone, "01 77 27 77 00".to_string())]
        );
        assert_eq!(found(&p, "0699"), vec![]);
    }

    #[test]
    fn names_emails_tags_and_notes_say_which_field_matched() {
        let p = book();
        assert_eq!(
            found(&p, "muller"),
            vec![
                (2, Field::Name, "Müller & Söhne GmbH".to_string()),
                (1, Field::Email, "emile.wagner@muller-sohne.fr".to_string())
            ]
        );
        assert_eq!(
            found(&p, "wagner"),
            vec![(1, Field::Person, "Émile Wagner".to_string())]
        );
        assert_eq!(
            found(&p, "muller-sohne.fr"),
            vec![(1, Field::Email, "emile.wagner@muller-sohne.fr".to_string())]
        );
        assert_eq!(found(&p, "VIP"), vec![(2, Field::Tag, "vip".to_string())]);
        assert_eq!(found(&p, "calls"), vec![(2, Field::Notes, "calls".to_string())]);
        // The ref, exactly, comes first.
        assert_eq!(found(&p, "c2")[0], (2, Field::Ref, "C2".to_string()));
        assert_eq!(found(&p, ""), vec![]);
    }
}
