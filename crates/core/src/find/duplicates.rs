//! Likely duplicate clients: the same name once case, accents,
//! punctuation, legal forms (GmbH, SARL, Ltd…) and `&`/`und`/`et` are set
//! aside; the same phone; the same email; or the same email domain (not a
//! mailbox provider's) with a similar name.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::text::{fold, phone_digits};
use crate::domain::ClientId;
use crate::model::Model;

/// Words that say what kind of company it is, not which.
const LEGAL_FORMS: [&str; 34] = [
    "gmbh", "ag", "kg", "ohg", "ug", "gbr", "ev", "mbh", "co", "sarl", "sas", "sasu", "sa", "eurl", "sci", "snc",
    "cie", "ltd", "llp", "llc", "plc", "inc", "corp", "limited", "company", "bv", "nv", "srl", "spa", "ab", "as", "oy",
    "kk", "sl",
];

/// "and" in the languages of the seeds and the demo.
const AND: [&str; 4] = ["und", "et", "and", "e"];

/// Mailbox providers: sharing one says nothing of being one company.
const PROVIDERS: [&str; 16] = [
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.fr",
    "hotmail.com",
    "hotmail.fr",
    "outlook.com",
    "live.com",
    "icloud.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "t-online.de",
    "orange.fr",
    "free.fr",
    "laposte.net",
];

/// A name as duplicates are compared: folded, its words without
/// punctuation, legal forms and "and" (`Müller & Söhne GmbH` → `muller sohne`).
pub fn normalized_name(name: &str) -> String {
    // `S.A.S.` is `sas`: dots join the letters of an abbreviation.
    let folded = fold(name).0.replace('.', "");
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !LEGAL_FORMS.contains(w) && !AND.contains(w))
        .collect();
    words.join(" ")
}

fn words(normalized: &str) -> BTreeSet<&str> {
    normalized.split(' ').filter(|w| !w.is_empty()).collect()
}

/// Names alike: one's words within the other's, or most words shared.
fn similar(a: &str, b: &str) -> bool {
    let (wa, wb) = (words(a), words(b));
    if wa.is_empty() || wb.is_empty() {
        return false;
    }
    let shared = wa.intersection(&wb).count();
    shared == wa.len().min(wb.len()) || shared * 3 >= wa.len().max(wb.len()) * 2
}

/// Why two clients look like one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case", tag = "rule", content = "value")]
pub enum Reason {
    SameName(String),
    SamePhone(String),
    SameEmail(String),
    /// The same email domain, and names alike.
    SameDomain(String),
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::SameName(n) => write!(f, "same name ({n})"),
            Reason::SamePhone(p) => write!(f, "same phone ({p})"),
            Reason::SameEmail(e) => write!(f, "same email ({e})"),
            Reason::SameDomain(d) => write!(f, "same email domain ({d}) and a similar name"),
        }
    }
}

/// What is known of a client to compare it: its name, its persons'
/// phones and emails.
#[derive(Clone, Debug, Default)]
pub struct Card {
    pub name: String,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
}

impl Card {
    pub fn of(model: &Model, client: ClientId) -> Card {
        let mut card = Card {
            name: model.clients.get(&client).map(|c| c.name.clone()).unwrap_or_default(),
            ..Card::default()
        };
        for p in model.persons_of(client) {
            card.phones.extend(
                p.phone
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
            );
            if !p.email.is_empty() {
                card.emails.push(p.email.trim().to_lowercase());
            }
        }
        card
    }
}

/// The keys a card is filed under.
struct Keys {
    name: String,
    /// National digits, and the number as written.
    phones: Vec<(String, String)>,
    emails: Vec<String>,
    domains: Vec<String>,
}

fn keys(card: &Card) -> Keys {
    let name = normalized_name(&card.name);
    // Phones of 6 digits or more: shorter ones are extensions.
    let phones = card
        .phones
        .iter()
        .filter_map(|p| phone_digits(p).filter(|d| d.len() >= 6).map(|d| (d, p.clone())))
        .collect();
    let emails = card.emails.iter().map(|e| e.to_lowercase()).collect::<Vec<_>>();
    let domains = emails
        .iter()
        .filter_map(|e| e.rsplit_once('@').map(|(_, d)| d.to_string()))
        .filter(|d| !PROVIDERS.contains(&d.as_str()))
        .collect();
    Keys {
        name,
        phones,
        emails,
        domains,
    }
}

/// A pair of clients that look like one, with every reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pair {
    pub a: ClientId,
    pub b: ClientId,
    pub reasons: Vec<Reason>,
}

/// The clients' cards filed by each key.
#[derive(Default)]
pub struct Index {
    names: HashMap<String, Vec<ClientId>>,
    phones: HashMap<String, Vec<(ClientId, String)>>,
    emails: HashMap<String, Vec<ClientId>>,
    domains: HashMap<String, Vec<ClientId>>,
    normalized: HashMap<ClientId, String>,
}

/// A domain shared by more clients than this is a big company's (or a
/// provider's not listed): its name rule would pair too much to be read.
const DOMAIN_BUCKET: usize = 40;

impl Index {
    pub fn build(model: &Model) -> Index {
        let mut ix = Index::default();
        for id in model.clients.keys() {
            ix.add(*id, &Card::of(model, *id));
        }
        ix
    }

    /// Files `card` as `id`'s.
    pub fn add(&mut self, id: ClientId, card: &Card) {
        let Keys {
            name,
            phones,
            emails,
            domains,
        } = keys(card);
        if !name.is_empty() {
            self.names.entry(name.clone()).or_default().push(id);
        }
        for (digits, written) in phones {
            self.phones.entry(digits).or_default().push((id, written));
        }
        for e in emails {
            self.emails.entry(e).or_default().push(id);
        }
        for d in domains {
            self.domains.entry(d).or_default().push(id);
        }
        self.normalized.insert(id, name);
    }

    /// The clients `card` looks like, with the reasons (`except`: itself).
    pub fn like(&self, card: &Card, except: Option<ClientId>) -> BTreeMap<ClientId, Vec<Reason>> {
        let mut out: BTreeMap<ClientId, Vec<Reason>> = BTreeMap::new();
        let Keys {
            name,
            phones,
            emails,
            domains,
        } = keys(card);
        let mut add = |id: ClientId, r: Reason| {
            if Some(id) != except {
                let reasons = out.entry(id).or_default();
                if !reasons.contains(&r) {
                    reasons.push(r);
                }
            }
        };
        if let Some(ids) = self.names.get(&name).filter(|_| !name.is_empty()) {
            ids.iter().for_each(|id| add(*id, Reason::SameName(name.clone())));
        }
        for (digits, written) in &phones {
            for (id, _) in self.phones.get(digits).into_iter().flatten() {
                add(*id, Reason::SamePhone(written.clone()));
            }
        }
        for e in &emails {
            for id in self.emails.get(e).into_iter().flatten() {
                add(*id, Reason::SameEmail(e.clone()));
            }
        }
        for d in &domains {
            let Some(ids) = self.domains.get(d).filter(|ids| ids.len() <= DOMAIN_BUCKET) else {
                continue;
            };
            for id in ids {
                if self.normalized.get(id).is_some_and(|n| similar(n, &name)) {
                    add(*id, Reason::SameDomain(d.clone()));
                }
            }
        }
        out
    }
}

/// `C000012 Müller & Söhne (same name (muller sohne))` for each client a
/// new one named `name` looks like.
pub fn likely(model: &Model, name: &str) -> Vec<String> {
    like_name(model, name)
        .into_iter()
        .map(|(id, reasons)| {
            let why: Vec<String> = reasons.iter().map(ToString::to_string).collect();
            format!(
                "{} {} ({})",
                model.client_label(id),
                model.clients.get(&id).map_or("", |c| c.name.as_str()),
                why.join(", ")
            )
        })
        .collect()
}

/// The clients a new one named `name` looks like, and why: what
/// `Index::like` finds for a card with a name alone (the same name once
/// normalized), without filing every client's persons first.
fn like_name(model: &Model, name: &str) -> BTreeMap<ClientId, Vec<Reason>> {
    let wanted = normalized_name(name);
    if wanted.is_empty() {
        return BTreeMap::new();
    }
    model
        .clients
        .values()
        .filter(|c| normalized_name(&c.name) == wanted)
        .map(|c| (c.id, vec![Reason::SameName(wanted.clone())]))
        .collect()
}

/// The ids of the clients `likely` names.
pub fn likely_ids(model: &Model, name: &str) -> Vec<ClientId> {
    like_name(model, name).into_keys().collect()
}

/// Every pair of clients that look like one, by the first's ref.
pub fn pairs(model: &Model) -> Vec<Pair> {
    // Each client's card once: filed, then compared.
    let cards: Vec<(ClientId, Card)> = model.clients.keys().map(|id| (*id, Card::of(model, *id))).collect();
    let mut ix = Index::default();
    for (id, card) in &cards {
        ix.add(*id, card);
    }
    let mut out = Vec::new();
    for (id, card) in &cards {
        for (other, reasons) in ix.like(card, Some(*id)) {
            if other > *id {
                out.push(Pair {
                    a: *id,
                    b: other,
                    reasons,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_case_accents_punctuation_legal_forms_and_and() {
        assert_eq!(normalized_name("Müller & Söhne GmbH"), "muller sohne");
        assert_eq!(normalized_name("MUELLER und SOEHNE"), "mueller soehne");
        assert_eq!(normalized_name("Société Générale S.A."), "societe generale");
        assert_eq!(normalized_name("Dupont et Fils SARL"), "dupont fils");
        assert_eq!(normalized_name("Dupont & Fils, S.A.S."), "dupont fils");
        assert_eq!(normalized_name("Whitfield & Harrow Ltd."), "whitfield harrow");
        assert_eq!(normalized_name("Brandt KG"), "brandt");
        assert_eq!(normalized_name("GmbH"), "");
    }

    /// A new name alone is compared by the name rule only: the walk of
    /// the names finds what the whole index finds for it.
    #[test]
    fn a_new_name_is_like_what_the_index_says() {
        let mut p = crate::testing::Planner::with_reference(&["amy"], &[("crm", "software")]);
        let names = [
            "Dupont et Fils SARL",
            "Dupont & Fils, S.A.S.",
            "Brandt KG",
            "GmbH",
            "Müller & Söhne",
        ];
        for (n, name) in names.iter().enumerate() {
            p.run(crate::write::Command::AddClient {
                reference: format!("C{n}"),
                name: name.to_string(),
                segment: None,
                manager: None,
                created: "2025-01-01".parse().unwrap(),
                notes: String::new(),
                tags: Vec::new(),
            });
            // Persons with phones and emails: filed by the index, not asked.
            p.run(crate::write::Command::AddPerson {
                client: ClientId(n as u32 + 1),
                name: "Anna".into(),
                role: String::new(),
                phone: "+33 1 23 45 67 89".into(),
                email: "anna@dupont.fr".into(),
                birthday: None,
            });
        }
        let index = Index::build(&p.model);
        for name in [
            "dupont fils",
            "DUPONT & FILS",
            "Brandt",
            "GmbH",
            "",
            "Mueller Soehne",
            "Muller Sohne AG",
        ] {
            let alone = card(name, &[], &[]);
            assert_eq!(like_name(&p.model, name), index.like(&alone, None), "{name}");
        }
        assert_eq!(likely_ids(&p.model, "Dupont fils").len(), 2);
    }

    fn card(name: &str, phones: &[&str], emails: &[&str]) -> Card {
        Card {
            name: name.into(),
            phones: phones.iter().map(|s| s.to_string()).collect(),
            emails: emails.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_rules_pair_what_they_should_and_nothing_else() {
        let mut ix = Index::default();
        ix.add(
            ClientId(1),
            &card("Müller & Söhne GmbH", &["+49 30 1234567"], &["info@mueller.de"]),
        );
        ix.add(ClientId(2), &card("Dupont et Fils", &[], &["anna@gmail.com"]));
        ix.add(
            ClientId(3),
            &card("Brasserie du Port", &["01 77 27 77 00"], &["contact@port.fr"]),
        );
        let like = |c: Card| ix.like(&c, None);
        assert_eq!(
            like(card("MÜLLER und Söhne KG", &[], &[])),
            BTreeMap::from([(ClientId(1), vec![Reason::SameName("muller sohne".into())])])
        );
        assert_eq!(
            like(card("Other name", &["030 1234567"], &[])),
            BTreeMap::from([(ClientId(1), vec![Reason::SamePhone("030 1234567".into())])])
        );
        assert_eq!(
            like(card("Another", &[], &["INFO@mueller.de"])),
            BTreeMap::from([(ClientId(1), vec![Reason::SameEmail("info@mueller.de".into())])])
        );
        assert_eq!(
            like(card("Brasserie du Port Sud", &[], &["jean@port.fr"])),
            BTreeMap::from([(ClientId(3), vec![Reason::SameDomain("port.fr".into())])])
        );
        // The same domain and another name; the same provider: nothing.
        assert!(like(card("Garage Central", &[], &["jean@port.fr"])).is_empty());
        assert!(like(card("Martin Freres", &[], &["bob@gmail.com"])).is_empty());
        // A short number (an extension) pairs nothing.
        assert!(like(card("X", &["1234"], &[])).is_empty());
        assert!(like(card("Brandt", &[], &[])).is_empty());
    }
}
