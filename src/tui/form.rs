//! Small forms that validate as you type: each field says what is wrong
//! with it inline; only a form with no problem can be submitted.

use chrono::NaiveDate;

use rapport::domain::{Channel, ClientId, Money, OfferStage, RefusalReason, parse_date};
use rapport::model::Model;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Date,
    Amount,
    /// A product id, or empty.
    Product,
    /// A segment id, or empty for none.
    Segment,
    /// An offer stage name.
    Stage,
    /// A refusal reason.
    Reason,
    /// A date, or `+N` days from the form's base date.
    DateOrDays,
    /// A contact channel (call, meeting, email, message, visit).
    Channel,
    /// One of this client's contact persons, by name, or empty.
    Person(ClientId),
    /// A client ref.
    Client,
    /// A manager's login.
    Manager,
    /// Survey scores, 1–5 each: `5 4 3`.
    Scores,
    /// A new client's ref: one word, not yet used.
    NewRef,
    /// An email address, or empty.
    Email,
    /// Tags: words separated by spaces or commas.
    Tags,
    /// One of a client's records as the correction picker names them
    /// (`s1`, `l2`, `t1`, `v3`).
    Record,
    /// An acquisition source: free text, the lead's list suggested.
    Source,
    /// A competitor: free text, the lead's list suggested.
    Competitor,
    /// Instalments: `500.00@2026-12-01 500.00@2027-01-15`.
    Instalments,
    /// Text over several lines (notes, a contact's summary): a paste keeps
    /// its line breaks, and `open_editor` writes it in the user's editor.
    Notes,
    Text,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub label: &'static str,
    pub kind: FieldKind,
    pub value: String,
    initial: String,
    pub required: bool,
}

impl Field {
    pub fn new(label: &'static str, kind: FieldKind, value: impl Into<String>, required: bool) -> Field {
        let value = value.into();
        Field {
            label,
            kind,
            initial: value.clone(),
            value,
            required,
        }
    }

    /// What is wrong with the value now, if anything.
    pub fn problem(&self, model: &Model) -> Option<String> {
        let v = self.value.trim();
        if v.is_empty() {
            return self
                .required
                .then(|| format!("{} is required", self.label.to_lowercase()));
        }
        match self.kind {
            FieldKind::Date => parse_date(v).err().map(|e| e.to_string()),
            FieldKind::Amount => Money::parse(v).err().map(|e| e.to_string()),
            FieldKind::Product => model.product_by_code(v).is_none().then(|| {
                format!(
                    "no product '{v}' ({})",
                    codes(model.products.values().map(|p| p.code.as_str()))
                )
            }),
            FieldKind::Segment => model.segment_by_code(v).is_none().then(|| {
                format!(
                    "no segment '{v}' ({})",
                    codes(model.segments.values().map(|s| s.code.as_str()))
                )
            }),
            FieldKind::Stage => OfferStage::parse(v)
                .is_none()
                .then(|| format!("no stage '{v}' ({})", OfferStage::ALL.map(|s| s.as_str()).join(", "))),
            FieldKind::Reason => RefusalReason::parse(v).is_none().then(|| {
                format!(
                    "no reason '{v}' ({})",
                    RefusalReason::ALL.map(|r| r.as_str()).join(", ")
                )
            }),
            FieldKind::DateOrDays => rapport::domain::DateOrDays::parse(v).err(),
            FieldKind::Channel => Channel::parse(v)
                .is_none()
                .then(|| format!("no channel '{v}' ({})", Channel::ALL.map(|c| c.as_str()).join(", "))),
            FieldKind::Person(client) => {
                let mut names = model.persons_of(client).map(|p| p.name.as_str());
                (!names.any(|n| n.eq_ignore_ascii_case(v))).then(|| {
                    format!(
                        "no contact person '{v}' ({})",
                        codes(model.persons_of(client).map(|p| p.name.as_str()))
                    )
                })
            }
            FieldKind::Client => model.client_by_ref(v).is_none().then(|| format!("no client '{v}'")),
            FieldKind::Manager => model.manager_by_login(v).is_none().then(|| {
                format!(
                    "no manager '{v}' ({})",
                    codes(model.managers.values().map(|m| m.login.as_str()))
                )
            }),
            FieldKind::Scores => scores(v).is_none().then(|| "scores are 1 to 5, like 5 4 3".to_string()),
            FieldKind::NewRef if v.chars().any(char::is_whitespace) => Some("a ref is one word".into()),
            FieldKind::NewRef => model
                .client_by_ref(v)
                .map(|c| format!("{v} is already {}", c.name))
                .or_else(|| {
                    model
                        .trash
                        .client_by_ref(v)
                        .map(|t| format!("{v} is {} in the trash (7 to restore it)", t.client.name))
                }),
            FieldKind::Email => rapport::domain::text::email_shape(v)
                .err()
                .map(|e| format!("not an email address: {e}")),
            FieldKind::Record => {
                let mut chars = v.trim().chars();
                let kind_ok = chars.next().is_some_and(|c| "sltvSLTV".contains(c));
                let n = chars.as_str().parse::<usize>().unwrap_or(0);
                (!kind_ok || n == 0).then(|| "a record as listed: s1, l1, t1, v1…".to_string())
            }
            FieldKind::Instalments => rapport::domain::parse_schedule(v).err(),
            FieldKind::Tags | FieldKind::Notes | FieldKind::Text | FieldKind::Source | FieldKind::Competitor => None,
        }
    }

    /// A date field's value; `+N` counts from `base`.
    pub fn date_from(&self, base: NaiveDate) -> Option<NaiveDate> {
        rapport::domain::DateOrDays::parse(&self.value).ok()?.from(base)
    }

    /// The candidates a product or segment field offers for what is typed.
    pub fn suggestions(&self, model: &Model) -> Vec<String> {
        let v = self.value.trim().to_lowercase();
        let all: Vec<String> = match self.kind {
            FieldKind::Product => model.products.values().map(|p| p.code.clone()).collect(),
            FieldKind::Segment => model.segments.values().map(|s| s.code.clone()).collect(),
            FieldKind::Stage => OfferStage::ALL.iter().map(|s| s.as_str().to_string()).collect(),
            FieldKind::Reason => RefusalReason::ALL.iter().map(|r| r.as_str().to_string()).collect(),
            FieldKind::Channel => Channel::ALL.iter().map(|c| c.as_str().to_string()).collect(),
            FieldKind::Manager => model.managers.values().map(|m| m.login.clone()).collect(),
            FieldKind::Person(client) => model.persons_of(client).map(|p| p.name.to_lowercase()).collect(),
            FieldKind::Source => return listed(&model.sales.setup.sources, &v),
            FieldKind::Competitor => return listed(&model.sales.setup.competitors, &v),
            _ => return Vec::new(),
        };
        all.into_iter().filter(|c| c.starts_with(&v)).collect()
    }

    pub fn date(&self) -> Option<NaiveDate> {
        parse_date(&self.value).ok()
    }

    /// The value as a form shows it: one line, `⏎` where a line breaks.
    pub fn shown(&self) -> std::borrow::Cow<'_, str> {
        if self.value.contains('\n') {
            std::borrow::Cow::Owned(self.value.trim_end_matches('\n').replace('\n', " ⏎ "))
        } else {
            std::borrow::Cow::Borrowed(&self.value)
        }
    }
}

/// The entries of a lead's list that start with what is typed (any case).
fn listed(list: &[String], typed: &str) -> Vec<String> {
    list.iter()
        .filter(|e| e.to_lowercase().starts_with(typed))
        .cloned()
        .collect()
}

/// `vip, export north` → the tags, one word each.
pub fn tags(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub use rapport::domain::text::scores;

fn codes<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = it.take(8).collect();
    v.join(", ")
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Form {
    pub title: String,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// The store's answer to the last submit, when it refused.
    pub error: Option<String>,
    /// Read-only lines under the fields (an offer's history).
    pub info: Vec<String>,
}

impl Form {
    pub fn new(title: impl Into<String>, fields: Vec<Field>) -> Form {
        Form {
            title: title.into(),
            fields,
            focus: 0,
            error: None,
            info: Vec::new(),
        }
    }

    pub fn changed(&self) -> bool {
        self.fields.iter().any(|f| f.value != f.initial)
    }

    pub fn focused(&mut self) -> Option<&mut Field> {
        self.fields.get_mut(self.focus)
    }

    pub fn next(&mut self) {
        if !self.fields.is_empty() {
            self.focus = (self.focus + 1) % self.fields.len();
        }
    }

    pub fn prev(&mut self) {
        if !self.fields.is_empty() {
            self.focus = (self.focus + self.fields.len() - 1) % self.fields.len();
        }
    }

    pub fn field(&self, label: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.label == label)
    }

    pub fn value(&self, label: &str) -> &str {
        self.fields
            .iter()
            .find(|f| f.label == label)
            .map_or("", |f| f.value.trim())
    }

    /// The first problem of any field, moving the focus to it.
    pub fn check(&mut self, model: &Model) -> Option<String> {
        let (i, p) = self
            .fields
            .iter()
            .enumerate()
            .find_map(|(i, f)| f.problem(model).map(|p| (i, p)))?;
        self.focus = i;
        Some(p)
    }
}
