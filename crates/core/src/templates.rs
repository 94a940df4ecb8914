//! Company templates for the documents of SPEC §9: one per document kind
//! (the minutes of a presentation, the commercial offer of a proposal, the
//! contract of an agreement, the act and invoice, the satisfaction
//! questionnaire of a won sale). A template is text with `{{placeholders}}`
//! for the client, its contact person, the offer, product, manager and
//! dates; an unknown or unclosed placeholder is an error at its line and
//! column. Until a lead stores one, each kind has a built-in default.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::OfferStage;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Minutes,
    Offer,
    Contract,
    Invoice,
    Questionnaire,
}

impl DocKind {
    pub const ALL: [DocKind; 5] = [
        DocKind::Minutes,
        DocKind::Offer,
        DocKind::Contract,
        DocKind::Invoice,
        DocKind::Questionnaire,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Minutes => "minutes",
            DocKind::Offer => "offer",
            DocKind::Contract => "contract",
            DocKind::Invoice => "invoice",
            DocKind::Questionnaire => "questionnaire",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        DocKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim().to_ascii_lowercase())
    }

    /// What a person calls it.
    pub fn title(self) -> &'static str {
        match self {
            DocKind::Minutes => "meeting minutes",
            DocKind::Offer => "commercial offer",
            DocKind::Contract => "contract",
            DocKind::Invoice => "act and invoice",
            DocKind::Questionnaire => "satisfaction questionnaire",
        }
    }

    /// The stage whose document it is (SPEC §9).
    pub fn stage(self) -> OfferStage {
        match self {
            DocKind::Minutes => OfferStage::Presentation,
            DocKind::Offer => OfferStage::Proposal,
            DocKind::Contract => OfferStage::Agreement,
            DocKind::Invoice => OfferStage::Invoiced,
            DocKind::Questionnaire => OfferStage::Won,
        }
    }

    /// The built-in template, used until a lead stores the company's.
    pub fn default_text(self) -> &'static str {
        match self {
            DocKind::Minutes => include_str!("../../../templates/minutes.txt"),
            DocKind::Offer => include_str!("../../../templates/offer.txt"),
            DocKind::Contract => include_str!("../../../templates/contract.txt"),
            DocKind::Invoice => include_str!("../../../templates/invoice.txt"),
            DocKind::Questionnaire => include_str!("../../../templates/questionnaire.txt"),
        }
    }
}

impl fmt::Display for DocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A company template, as a lead stored it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub kind: DocKind,
    pub text: String,
    /// The audit-trail entry of its last change (who and when).
    pub seq: u64,
}

/// Every placeholder a template may use, with what it stands for.
pub const PLACEHOLDERS: [(&str, &str); 17] = [
    ("client.name", "the client's name"),
    ("client.ref", "the client's ref"),
    ("person.name", "the contact person's name"),
    ("person.role", "the contact person's role"),
    ("person.email", "the contact person's email"),
    ("product.name", "the product's name"),
    ("product.code", "the product's code"),
    ("offer.stage", "the offer's stage"),
    ("offer.date", "the day the offer reached its stage"),
    ("offer.next_step", "the offer's next step date"),
    ("offer.expiry", "the proposal's expiry date"),
    ("manager.name", "the client's manager"),
    ("manager.login", "the manager's login"),
    ("doc.number", "the document's number (OFF-2026-0042)"),
    ("doc.date", "the document's date"),
    ("amount", "the amount of the offer's invoice"),
    ("instalments", "the invoice's instalments, one per line"),
];

/// A problem in a template, where it is (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// One piece of a template: text as it is, or a placeholder.
enum Piece<'t> {
    Text(&'t str),
    Field(&'t str),
}

/// Splits `text` into its pieces; every problem at once.
fn pieces(text: &str) -> Result<Vec<Piece<'_>>, Vec<TemplateError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    let at = |offset: usize| {
        let before = text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    };
    while let Some(open) = rest.find("{{") {
        out.push(Piece::Text(&rest[..open]));
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            let (line, column) = at(offset + open);
            errors.push(TemplateError {
                line,
                column,
                message: "`{{` is never closed with `}}`".into(),
            });
            rest = "";
            break;
        };
        let name = after[..close].trim();
        if !PLACEHOLDERS.iter().any(|(p, _)| *p == name) {
            let (line, column) = at(offset + open);
            let known: Vec<&str> = PLACEHOLDERS.iter().map(|(p, _)| *p).collect();
            errors.push(TemplateError {
                line,
                column,
                message: format!("unknown placeholder `{{{{{name}}}}}` (known: {})", known.join(", ")),
            });
        }
        out.push(Piece::Field(name));
        let used = open + 2 + close + 2;
        offset += used;
        rest = &rest[used..];
    }
    out.push(Piece::Text(rest));
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// Every problem of `text` as a template (none: it is fine).
pub fn check(text: &str) -> Vec<TemplateError> {
    pieces(text).err().unwrap_or_default()
}

/// The value of every placeholder for the document `number` of `offer`,
/// dated `date` (the client's first contact person is the addressee).
pub fn values(
    model: &crate::model::Model,
    offer: &crate::domain::Offer,
    number: crate::domain::DocNumber,
    date: chrono::NaiveDate,
) -> BTreeMap<&'static str, String> {
    let client = model.clients.get(&offer.client);
    let person = model.persons_of(offer.client).next();
    let product = model.products.get(&offer.product);
    let manager = client.and_then(|c| c.manager).and_then(|m| model.managers.get(&m));
    let terms = model.sales.terms.get(&(offer.client, offer.product));
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let schedule = terms.map_or_else(String::new, |t| {
        t.schedule
            .iter()
            .enumerate()
            .map(|(i, inst)| format!("{}. {} due {}", i + 1, inst.amount, inst.due))
            .collect::<Vec<_>>()
            .join("\n")
    });
    BTreeMap::from([
        ("client.name", client.map(|c| c.name.clone()).unwrap_or_default()),
        ("client.ref", client.map(|c| c.reference.clone()).unwrap_or_default()),
        ("person.name", person.map(|p| p.name.clone()).unwrap_or_default()),
        ("person.role", person.map(|p| p.role.clone()).unwrap_or_default()),
        ("person.email", person.map(|p| p.email.clone()).unwrap_or_default()),
        ("product.name", product.map(|p| p.name.clone()).unwrap_or_default()),
        ("product.code", product.map(|p| p.code.clone()).unwrap_or_default()),
        ("offer.stage", offer.stage.to_string()),
        ("offer.date", offer.stage_date.to_string()),
        ("offer.next_step", day(offer.next_step)),
        ("offer.expiry", day(offer.expiry)),
        ("manager.name", manager.map(|m| m.name.clone()).unwrap_or_default()),
        ("manager.login", manager.map(|m| m.login.clone()).unwrap_or_default()),
        ("doc.number", number.to_string()),
        ("doc.date", date.to_string()),
        (
            "amount",
            terms.and_then(|t| t.invoice).map(|a| a.to_string()).unwrap_or_default(),
        ),
        ("instalments", schedule),
    ])
}

/// `text` with each placeholder replaced by its value in `values` (an
/// empty string for one the document has no value for).
pub fn render(text: &str, values: &BTreeMap<&str, String>) -> Result<String, Vec<TemplateError>> {
    let mut out = String::with_capacity(text.len());
    for piece in pieces(text)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Field(name) => out.push_str(values.get(name).map_or("", String::as_str)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_template_is_valid() {
        for kind in DocKind::ALL {
            assert_eq!(check(kind.default_text()), vec![], "{kind}");
            assert_eq!(DocKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn an_unknown_or_unclosed_placeholder_is_reported_where_it_is() {
        let text = "Dear {{ person.name }},\nyour {{product.nmae}} offer\nends {{offer.expiry";
        let errors = check(text);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!((errors[0].line, errors[0].column), (2, 6));
        assert!(errors[0].message.starts_with("unknown placeholder `{{product.nmae}}`"));
        assert_eq!((errors[1].line, errors[1].column), (3, 6));
        assert!(errors[1].message.contains("never closed"));
    }

    #[test]
    fn placeholders_are_replaced_and_the_rest_kept() {
        let values: BTreeMap<&str, String> = [("client.name", "Müller & Söhne".to_string())].into();
        let out = render("To {{client.name}} — {{ doc.number }}: {not a field}", &values).unwrap();
        assert_eq!(out, "To Müller & Söhne — : {not a field}");
    }
}
