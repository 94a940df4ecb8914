//! The sales records of SPEC §9 as the model holds them, and what is read
//! from them: a client's documents, the next free document number, how far
//! an offer's instalments are paid.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::*;
use crate::templates::DocKind;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sales {
    pub documents: BTreeMap<DocNumber, Document>,
    pub terms: BTreeMap<(ClientId, ProductId), OfferTerms>,
    pub sources: BTreeMap<ClientId, Acquisition>,
    pub setup: SalesSetup,
    /// The views a lead shares with the team, by number.
    pub views: BTreeMap<u32, SharedView>,
}

impl Sales {
    pub fn apply(&mut self, key: SalesKey, record: Option<SalesRecord>) {
        match record {
            Some(SalesRecord::Document(d)) => {
                self.documents.insert(d.number, d);
            }
            Some(SalesRecord::Terms(t)) => {
                self.terms.insert((t.client, t.product), t);
            }
            Some(SalesRecord::Acquisition(a)) => {
                self.sources.insert(a.client, a);
            }
            Some(SalesRecord::Setup(s)) => self.setup = s,
            Some(SalesRecord::View(v)) => {
                self.views.insert(v.number, *v);
            }
            None => match key {
                SalesKey::Document(n) => {
                    self.documents.remove(&n);
                }
                SalesKey::Terms(c, p) => {
                    self.terms.remove(&(c, p));
                }
                SalesKey::Acquisition(c) => {
                    self.sources.remove(&c);
                }
                SalesKey::Setup => self.setup = SalesSetup::default(),
                SalesKey::View(n) => {
                    self.views.remove(&n);
                }
            },
        }
    }

    /// The number the next document of `kind` dated in `year` gets: one
    /// more than the last one, so that numbers have no gap.
    pub fn next_number(&self, kind: DocKind, year: i32) -> DocNumber {
        let first = DocNumber { kind, year, number: 0 };
        let last = DocNumber {
            kind,
            year,
            number: u32::MAX,
        };
        let number = self
            .documents
            .range(first..=last)
            .next_back()
            .map_or(1, |(n, _)| n.number.saturating_add(1));
        DocNumber { kind, year, number }
    }

    /// A client's documents, newest first.
    pub fn documents_of(&self, client: ClientId) -> Vec<&Document> {
        let mut docs: Vec<&Document> = self.documents.values().filter(|d| d.client == client).collect();
        docs.sort_by(|a, b| b.date.cmp(&a.date).then(b.seq.cmp(&a.seq)));
        docs
    }

    /// The client's acquisition source, or "".
    pub fn source_of(&self, client: ClientId) -> &str {
        self.sources.get(&client).map_or("", |a| a.source.as_str())
    }

    /// Every record about `client` (a purge deletes them with it).
    pub fn keys_of(&self, client: ClientId) -> Vec<SalesKey> {
        let docs = self
            .documents
            .values()
            .filter(|d| d.client == client)
            .map(|d| SalesKey::Document(d.number));
        let terms = self
            .terms
            .keys()
            .filter(|(c, _)| *c == client)
            .map(|&(c, p)| SalesKey::Terms(c, p));
        let source = self
            .sources
            .contains_key(&client)
            .then_some(SalesKey::Acquisition(client));
        docs.chain(terms).chain(source).collect()
    }

    /// The part kept for the clients `keep` says yes to.
    pub fn only(&self, keep: impl Fn(ClientId) -> bool) -> Sales {
        Sales {
            documents: self
                .documents
                .iter()
                .filter(|(_, d)| keep(d.client))
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
            terms: self
                .terms
                .iter()
                .filter(|((c, _), _)| keep(*c))
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
            sources: self
                .sources
                .iter()
                .filter(|(c, _)| keep(**c))
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
            setup: self.setup.clone(),
            views: self.views.clone(),
        }
    }
}

/// The day the offer was (last) invoiced: settlements from then on pay its
/// instalments.
pub fn invoice_date(offer: &Offer) -> Option<NaiveDate> {
    offer
        .history
        .iter()
        .rev()
        .find(|t| t.to == OfferStage::Invoiced)
        .map(|t| t.date)
        .or((offer.stage == OfferStage::Invoiced).then_some(offer.stage_date))
}

/// One instalment and how much of it the settlements cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct InstalmentState {
    /// 1-based, in due-date order.
    pub index: usize,
    pub amount: Money,
    pub due: NaiveDate,
    pub paid: Money,
}

impl InstalmentState {
    pub fn is_paid(&self) -> bool {
        self.paid >= self.amount
    }
}

/// The instalments of an invoiced offer, the oldest paid first by the
/// settlements of the client for the product since the invoice (a refund,
/// negative, takes back what it refunds).
pub fn instalments(offer: &Offer, terms: &OfferTerms) -> Vec<InstalmentState> {
    let since = invoice_date(offer);
    let mut left: i64 = terms
        .payments
        .iter()
        .filter(|p| since.is_some_and(|d| p.date >= d))
        .map(|p| p.amount.0)
        .sum::<i64>()
        .max(0);
    terms
        .schedule
        .iter()
        .enumerate()
        .map(|(i, inst)| {
            let paid = left.min(inst.amount.0).max(0);
            left -= paid;
            InstalmentState {
                index: i + 1,
                amount: inst.amount,
                due: inst.due,
                paid: Money(paid),
            }
        })
        .collect()
}

/// `1/2 paid` for an offer with instalments, `None` without.
pub fn paid_label(offer: &Offer, terms: Option<&OfferTerms>) -> Option<String> {
    let terms = terms.filter(|t| !t.schedule.is_empty())?;
    let states = instalments(offer, terms);
    let paid = states.iter().filter(|s| s.is_paid()).count();
    Some(format!("{paid}/{} paid", states.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn invoiced(on: &str) -> Offer {
        let mut o = Offer::new(ClientId(1), ProductId(1), OfferStage::Invoiced, d(on));
        o.history.push(Transition {
            from: OfferStage::Agreement,
            to: OfferStage::Invoiced,
            date: d(on),
            who: "amartin".into(),
            note: "".into(),
            seq: 1,
        });
        o
    }

    fn terms(schedule: &[(i64, &str)], payments: &[(i64, &str)]) -> OfferTerms {
        let mut t = OfferTerms::new(ClientId(1), ProductId(1));
        t.invoice = Some(Money(schedule.iter().map(|(a, _)| a).sum()));
        t.schedule = schedule
            .iter()
            .map(|&(a, due)| Instalment {
                amount: Money(a),
                due: d(due),
            })
            .collect();
        t.payments = payments
            .iter()
            .enumerate()
            .map(|(i, &(a, date))| Payment {
                settlement: SettlementId(i as u64 + 1),
                date: d(date),
                amount: Money(a),
            })
            .collect();
        t
    }

    fn paid(states: &[InstalmentState]) -> Vec<i64> {
        states.iter().map(|s| s.paid.0).collect()
    }

    #[test]
    fn a_prepayment_pays_the_first_instalment() {
        let o = invoiced("2026-03-01");
        // 50 % prepayment, 50 % after the event.
        let t = terms(
            &[(50_000, "2026-03-10"), (50_000, "2026-05-01")],
            &[(50_000, "2026-03-08")],
        );
        let s = instalments(&o, &t);
        assert_eq!(paid(&s), [50_000, 0]);
        assert!(s[0].is_paid() && !s[1].is_paid());
        assert_eq!(paid_label(&o, Some(&t)).as_deref(), Some("1/2 paid"));
    }

    #[test]
    fn partial_payments_fill_the_oldest_first() {
        let o = invoiced("2026-03-01");
        let t = terms(
            &[(30_000, "2026-03-10"), (30_000, "2026-04-10"), (40_000, "2026-05-10")],
            &[(20_000, "2026-03-05"), (25_000, "2026-03-20"), (20_000, "2026-04-15")],
        );
        // 65 000 paid: 30 000, 30 000, then 5 000 of the third.
        assert_eq!(paid(&instalments(&o, &t)), [30_000, 30_000, 5_000]);
        assert_eq!(paid_label(&o, Some(&t)).as_deref(), Some("2/3 paid"));
    }

    #[test]
    fn a_refund_takes_back_and_settlements_before_the_invoice_do_not_count() {
        let o = invoiced("2026-03-01");
        // A settlement before the invoice is an earlier sale of the product.
        let t = terms(
            &[(50_000, "2026-03-10"), (50_000, "2026-05-01")],
            &[(99_000, "2026-01-15"), (50_000, "2026-03-08"), (-50_000, "2026-03-20")],
        );
        assert_eq!(paid(&instalments(&o, &t)), [0, 0]);
        assert_eq!(paid_label(&o, Some(&t)).as_deref(), Some("0/2 paid"));
        // A refund larger than what was paid leaves nothing paid, never less.
        let t = terms(&[(10_000, "2026-03-10")], &[(-5_000, "2026-03-20")]);
        assert_eq!(paid(&instalments(&o, &t)), [0]);
        // Overpaid: every instalment is paid, the rest is not carried anywhere.
        let t = terms(
            &[(10_000, "2026-03-10"), (10_000, "2026-04-10")],
            &[(25_000, "2026-03-02")],
        );
        assert_eq!(paid(&instalments(&o, &t)), [10_000, 10_000]);
    }

    #[test]
    fn the_latest_invoice_counts_and_no_schedule_no_label() {
        let mut o = invoiced("2026-03-01");
        o.history.push(Transition {
            from: OfferStage::Invoiced,
            to: OfferStage::Agreement,
            date: d("2026-03-05"),
            who: "amartin".into(),
            note: "wrong amount".into(),
            seq: 2,
        });
        o.history.push(Transition {
            from: OfferStage::Agreement,
            to: OfferStage::Invoiced,
            date: d("2026-03-06"),
            who: "amartin".into(),
            note: "".into(),
            seq: 3,
        });
        assert_eq!(invoice_date(&o), Some(d("2026-03-06")));
        let t = terms(&[(10_000, "2026-03-10")], &[(10_000, "2026-03-05")]);
        assert_eq!(paid(&instalments(&o, &t)), [0]);
        assert_eq!(paid_label(&o, Some(&OfferTerms::new(ClientId(1), ProductId(1)))), None);
        assert_eq!(paid_label(&o, None), None);
    }

    #[test]
    fn numbers_follow_the_last_of_their_kind_and_year() {
        let mut s = Sales::default();
        let n = s.next_number(DocKind::Offer, 2026);
        assert_eq!(n.to_string(), "OFF-2026-0001");
        for number in 1..=3 {
            let number = DocNumber {
                kind: DocKind::Offer,
                year: 2026,
                number,
            };
            s.documents.insert(
                number,
                Document {
                    number,
                    client: ClientId(1),
                    product: ProductId(1),
                    stage: OfferStage::Proposal,
                    date: d("2026-03-01"),
                    file: String::new(),
                    text: String::new(),
                    sent: None,
                    who: String::new(),
                    seq: 0,
                },
            );
        }
        assert_eq!(s.next_number(DocKind::Offer, 2026).number, 4);
        assert_eq!(s.next_number(DocKind::Offer, 2027).number, 1);
        assert_eq!(s.next_number(DocKind::Contract, 2026).number, 1);
    }
}
