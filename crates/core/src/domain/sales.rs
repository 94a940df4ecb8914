//! The records of SPEC §9 kept beside the offers: the documents written
//! from the company templates, an offer's terms (amendment date, invoice
//! amount and instalments, the competitor of a refusal), a client's
//! acquisition source, and the lead's lists and setting for the sales
//! process. They are records of their own (one `sales` tree, one `Change`
//! variant) so that the offer and client records keep their shape.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::entities::Channel;
use super::ids::*;
use super::money::Money;
use super::offer::OfferStage;
use crate::templates::DocKind;

/// How many days after a presentation its minutes must have been sent
/// (SPEC §9), unless the lead set otherwise.
pub const MINUTES_DAYS: u32 = 2;

/// A document's number: per kind and year, gap-free (`OFF-2026-0042`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DocNumber {
    pub kind: DocKind,
    pub year: i32,
    pub number: u32,
}

impl DocKind {
    /// The prefix of the kind's document numbers.
    pub fn prefix(self) -> &'static str {
        match self {
            DocKind::Minutes => "MIN",
            DocKind::Offer => "OFF",
            DocKind::Contract => "CON",
            DocKind::Invoice => "INV",
            DocKind::Questionnaire => "QST",
        }
    }
}

impl fmt::Display for DocNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{}-{}-{:04}", self.kind.prefix(), self.year, self.number);
        f.pad(&text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a document number (numbers look like OFF-2026-0042)")]
pub struct BadNumber(pub String);

impl FromStr for DocNumber {
    type Err = BadNumber;
    fn from_str(s: &str) -> Result<DocNumber, BadNumber> {
        let bad = || BadNumber(s.to_string());
        let mut parts = s.trim().split('-');
        let (Some(prefix), Some(year), Some(number), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let digits = |p: &str| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(year) || !digits(number) {
            return Err(bad());
        }
        let kind = DocKind::ALL
            .into_iter()
            .find(|k| k.prefix().eq_ignore_ascii_case(prefix))
            .ok_or_else(bad)?;
        Ok(DocNumber {
            kind,
            year: year.parse().map_err(|_| bad())?,
            number: number.parse().map_err(|_| bad())?,
        })
    }
}

/// When and how a document went to the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    #[serde(with = "crate::domain::compact::date")]
    pub date: NaiveDate,
    pub channel: Channel,
}

/// A document written from its template for one offer at its stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub number: DocNumber,
    pub client: ClientId,
    pub product: ProductId,
    /// The offer's stage when it was written (the kind's stage).
    pub stage: OfferStage,
    #[serde(with = "crate::domain::compact::date")]
    pub date: NaiveDate,
    /// The file it was written to, on the machine of who wrote it.
    pub file: String,
    /// The text as written, so that the file can always be written again.
    pub text: String,
    pub sent: Option<Sent>,
    pub who: String,
    pub seq: u64,
}

/// One part of an invoice, due on its date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instalment {
    pub amount: Money,
    #[serde(with = "crate::domain::compact::date")]
    pub due: NaiveDate,
}

/// A settlement of the client for the offer's product, as the instalments
/// count it (kept current by every settlement command).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub settlement: SettlementId,
    #[serde(with = "crate::domain::compact::date")]
    pub date: NaiveDate,
    pub amount: Money,
}

/// What an offer carries besides its stage and dates (SPEC §9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferTerms {
    pub client: ClientId,
    pub product: ProductId,
    /// The date by which a change to a proposal or agreement must be settled.
    #[serde(with = "crate::domain::compact::opt_date")]
    pub amend_by: Option<NaiveDate>,
    /// The invoice's amount (the instalments sum to it).
    pub invoice: Option<Money>,
    /// Sorted by due date.
    pub schedule: Vec<Instalment>,
    /// Every settlement of the client for the product, by date then id.
    pub payments: Vec<Payment>,
    /// The competitor named at the offer's refusal for reason `competitor`.
    pub competitor: String,
    pub seq: u64,
}

impl OfferTerms {
    pub fn new(client: ClientId, product: ProductId) -> OfferTerms {
        OfferTerms {
            client,
            product,
            amend_by: None,
            invoice: None,
            schedule: Vec::new(),
            payments: Vec::new(),
            competitor: String::new(),
            seq: 0,
        }
    }
}

impl Instalment {
    /// `500.00@2026-12-01` (the amount as `Money::parse` reads it).
    pub fn parse(text: &str) -> Result<Instalment, String> {
        let (amount, due) = text
            .trim()
            .split_once('@')
            .ok_or_else(|| format!("'{text}' is not AMOUNT@YYYY-MM-DD"))?;
        Ok(Instalment {
            amount: Money::parse(amount).map_err(|e| e.to_string())?,
            due: super::dates::parse_date(due).map_err(|e| e.to_string())?,
        })
    }
}

/// Instalments written one after the other, separated by spaces or `;`:
/// `500.00@2026-12-01 500,00@2027-01-15`.
pub fn parse_schedule(text: &str) -> Result<Vec<Instalment>, String> {
    text.split(|c: char| c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(Instalment::parse)
        .collect()
}

/// The schedule as `parse_schedule` reads it.
pub fn schedule_text(schedule: &[Instalment]) -> String {
    let parts: Vec<String> = schedule.iter().map(|i| format!("{}@{}", i.amount, i.due)).collect();
    parts.join(" ")
}

/// How a client was acquired (a campaign, an event, a referral…).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acquisition {
    pub client: ClientId,
    pub source: String,
    pub seq: u64,
}

/// The lead's lists for the sales process and its one setting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesSetup {
    /// Acquisition sources offered when a client's source is typed.
    pub sources: Vec<String>,
    /// Competitors offered when a refusal names one.
    pub competitors: Vec<String>,
    /// Days after a presentation by which its minutes must be sent.
    pub minutes_days: u32,
    pub seq: u64,
}

impl Default for SalesSetup {
    fn default() -> Self {
        SalesSetup {
            sources: Vec::new(),
            competitors: Vec::new(),
            minutes_days: MINUTES_DAYS,
            seq: 0,
        }
    }
}

/// A view of the interface a lead shares with the team (the tab, the
/// client filter, the manager, the sort and the as-of rule), kept in the
/// database; each user's own views stay in their config directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedView {
    /// Its slot, given when it is first shared.
    pub number: u32,
    pub name: String,
    /// The tab, by its position in the interface.
    pub tab: u8,
    pub filter: String,
    /// A manager's login: only their clients.
    pub manager: Option<String>,
    /// The clients list's sort column, by its title.
    pub sort: Option<String>,
    pub descending: bool,
    /// `today`, or the date the classes are computed as of.
    pub as_of: Option<String>,
    pub who: String,
    pub seq: u64,
}

/// A record of the `sales` tree (which also keeps what a lead shares with
/// the team: its views).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SalesRecord {
    Document(Document),
    Terms(OfferTerms),
    Acquisition(Acquisition),
    Setup(SalesSetup),
    /// Schema 5.
    View(Box<SharedView>),
}

/// Which record of the `sales` tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SalesKey {
    Document(DocNumber),
    Terms(ClientId, ProductId),
    Acquisition(ClientId),
    Setup,
    /// Schema 5: a shared view, by its number.
    View(u32),
}

impl SalesRecord {
    pub fn key(&self) -> SalesKey {
        match self {
            SalesRecord::Document(d) => SalesKey::Document(d.number),
            SalesRecord::Terms(t) => SalesKey::Terms(t.client, t.product),
            SalesRecord::Acquisition(a) => SalesKey::Acquisition(a.client),
            SalesRecord::Setup(_) => SalesKey::Setup,
            SalesRecord::View(v) => SalesKey::View(v.number),
        }
    }

    pub fn set_seq(&mut self, seq: u64) {
        match self {
            SalesRecord::Document(d) => d.seq = seq,
            SalesRecord::Terms(t) => t.seq = seq,
            SalesRecord::Acquisition(a) => a.seq = seq,
            SalesRecord::Setup(s) => s.seq = seq,
            SalesRecord::View(v) => v.seq = seq,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_and_print() {
        let s = parse_schedule(" 500.00@2026-12-01; 500,5@2027-01-15 ").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].amount, Money(50_050));
        assert_eq!(schedule_text(&s), "500.00@2026-12-01 500.50@2027-01-15");
        assert!(parse_schedule("500.00 2026-12-01").is_err());
        assert!(parse_schedule("abc@2026-12-01").is_err());
        assert!(parse_schedule("5@2026-13-01").is_err());
        assert_eq!(parse_schedule("").unwrap(), vec![]);
    }

    #[test]
    fn numbers_print_and_parse() {
        let n = DocNumber {
            kind: DocKind::Offer,
            year: 2026,
            number: 42,
        };
        assert_eq!(n.to_string(), "OFF-2026-0042");
        assert_eq!("OFF-2026-0042".parse::<DocNumber>(), Ok(n));
        assert_eq!("off-2026-42".parse::<DocNumber>(), Ok(n));
        let big = DocNumber { number: 12345, ..n };
        assert_eq!(big.to_string(), "OFF-2026-12345");
        for junk in [
            "",
            "OFF",
            "OFF-2026",
            "OFF-2026-",
            "XYZ-2026-1",
            "OFF-2026-1-2",
            "OFF-+2026-1",
            "OFF-2026-9999999999",
        ] {
            assert!(junk.parse::<DocNumber>().is_err(), "{junk}");
        }
    }
}
