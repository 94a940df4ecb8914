//! The product matrix of SPEC §3: for each client a row of product cells
//! showing where each offer stands, which control date is next, and
//! whether the product is a target of the client's segment. Pure: it reads
//! the model only.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::{Client, ClientId, Offer, OfferStage, ProductId};
use crate::model::Model;

/// One cell as the matrix shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub stage: OfferStage,
    /// A product of the client's segment portrait (others are cross-selling).
    pub target: bool,
    /// The stage's control date (SPEC §3): next step, expiry, invoice due,
    /// delivery or retry.
    pub due: Option<NaiveDate>,
    /// The control date has passed (an expired proposal, a late next step).
    pub overdue: bool,
    /// Compact text: `prop 25/02`, `won 15/01`, `ref@2 price`, `—`, `×`.
    pub label: String,
}

/// The control date of an offer at its stage (SPEC §3's last column).
pub fn control_date(o: &Offer) -> Option<NaiveDate> {
    match o.stage {
        OfferStage::Proposal => o.expiry.or(o.next_step),
        OfferStage::Invoiced => o.invoice_due.or(o.next_step),
        OfferStage::Delivery => o.delivery.or(o.next_step),
        OfferStage::Refused => o.refusal.as_ref().and_then(|r| r.retry),
        OfferStage::NotOffered | OfferStage::Excluded => None,
        _ => o.next_step,
    }
}

pub fn cell(model: &Model, client: &Client, product: ProductId, today: NaiveDate) -> Cell {
    let target = client.segment.is_some_and(|s| model.portrait.contains(&(s, product)));
    let Some(o) = model.offers.get(&(client.id, product)) else {
        return Cell {
            stage: OfferStage::NotOffered,
            target,
            due: None,
            overdue: false,
            label: "—".into(),
        };
    };
    let due = control_date(o);
    // A won offer's follow-up is not a deadline; a refusal's retry date
    // is an opportunity, not a delay.
    let mut overdue = due.is_some_and(|d| d < today) && o.stage.is_open();
    let date = |d: NaiveDate| crate::domain::short_date(d, today);
    // SPEC §9: an invoice in instalments shows how many are paid.
    let terms = model.sales.terms.get(&(client.id, product));
    let instalments = match o.stage {
        OfferStage::Invoiced | OfferStage::Delivery | OfferStage::Won => terms
            .filter(|t| !t.schedule.is_empty())
            .map(|t| crate::model::sales::instalments(o, t)),
        _ => None,
    };
    if let Some(states) = &instalments {
        overdue |= states.iter().any(|s| !s.is_paid() && s.due < today);
    }
    let label = match o.stage {
        _ if instalments
            .as_ref()
            .is_some_and(|s| o.stage != OfferStage::Won || s.iter().any(|x| !x.is_paid())) =>
        {
            let states = instalments.as_deref().unwrap_or_default();
            let paid = states.iter().filter(|s| s.is_paid()).count();
            format!("{} {paid}/{} paid", o.stage.short(), states.len())
        }
        OfferStage::NotOffered => "—".to_string(),
        OfferStage::Excluded => "×".to_string(),
        OfferStage::Refused => match &o.refusal {
            Some(r) => format!("ref@{} {}", r.at_stage.rank().unwrap_or(0), reason_label(r.reason)),
            None => "ref".to_string(),
        },
        OfferStage::Won => format!("won {}", date(o.stage_date)),
        stage => format!("{} {}", stage.short(), date(due.unwrap_or(o.stage_date))),
    };
    Cell {
        stage: o.stage,
        target,
        due,
        overdue,
        label,
    }
}

/// A refusal reason in at most seven characters, for a cell.
fn reason_label(r: crate::domain::RefusalReason) -> &'static str {
    use crate::domain::RefusalReason::*;
    match r {
        Price => "price",
        Timing => "timing",
        Competitor => "rival",
        NoNeed => "no-need",
        NoBudget => "budget",
        Other => "other",
    }
}

/// The size of the sales plan over some clients: their target cells by
/// state (SPEC §1: the gap between portrait and reality).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Whitespace {
    pub targets: u32,
    pub not_offered: u32,
    pub in_progress: u32,
    pub won: u32,
    pub refused: u32,
    pub excluded: u32,
}

pub fn whitespace<'a>(model: &Model, clients: impl IntoIterator<Item = &'a ClientId>) -> Whitespace {
    let mut w = Whitespace::default();
    for id in clients {
        let Some(segment) = model.clients.get(id).and_then(|c| c.segment) else {
            continue;
        };
        for product in model.targets(segment) {
            w.targets += 1;
            match model.offers.get(&(*id, product)).map(|o| o.stage) {
                None | Some(OfferStage::NotOffered) => w.not_offered += 1,
                Some(OfferStage::Won) => w.won += 1,
                Some(OfferStage::Refused) => w.refused += 1,
                Some(OfferStage::Excluded) => w.excluded += 1,
                Some(_) => w.in_progress += 1,
            }
        }
    }
    w
}

/// Products in matrix order: grouped by line, then by id.
pub fn columns(model: &Model) -> Vec<ProductId> {
    let mut products: Vec<_> = model.products.values().collect();
    products.sort_by(|a, b| a.line.cmp(&b.line).then(a.id.cmp(&b.id)));
    products.into_iter().map(|p| p.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;
    use crate::model::Change;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn model() -> Model {
        let mut m = Model::default();
        m.apply(&Change::Segment(Segment {
            id: SegmentId(1),
            code: "s".into(),
            name: "S".into(),
            description: String::new(),
            seq: 0,
        }));
        for (id, line) in [(1, "software"), (2, "support"), (3, "hardware")] {
            m.apply(&Change::Product(Product {
                id: ProductId(id),
                code: format!("p{id}"),
                name: format!("P{id}"),
                line: line.into(),
                seq: 0,
            }));
        }
        m.apply(&Change::Portrait {
            segment: SegmentId(1),
            product: ProductId(1),
            target: true,
        });
        m.apply(&Change::Portrait {
            segment: SegmentId(1),
            product: ProductId(2),
            target: true,
        });
        m.apply(&Change::Client(Client {
            id: ClientId(1),
            reference: "C1".into(),
            name: "c".into(),
            segment: Some(SegmentId(1)),
            manager: None,
            created: d("2026-01-01"),
            notes: String::new(),
            tags: vec![],
            version: 1,
            seq: 0,
        }));
        m
    }

    fn offer(product: u32, stage: OfferStage) -> Offer {
        Offer::new(ClientId(1), ProductId(product), stage, d("2026-02-25"))
    }

    #[test]
    fn cells_and_labels() {
        let mut m = model();
        let today = d("2026-03-10");
        let c = m.clients[&ClientId(1)].clone();
        let none = cell(&m, &c, ProductId(1), today);
        assert_eq!((none.label.as_str(), none.target), ("—", true));
        assert!(!cell(&m, &c, ProductId(3), today).target, "not in the portrait: muted");
        m.apply(&Change::Offer(Offer {
            expiry: Some(d("2026-03-01")),
            ..offer(1, OfferStage::Proposal)
        }));
        let prop = cell(&m, &c, ProductId(1), today);
        assert_eq!(prop.label, "prop 01/03");
        assert!(prop.overdue, "an expired proposal stands out");
        m.apply(&Change::Offer(Offer {
            refusal: Some(Refusal {
                reason: RefusalReason::Price,
                at_stage: OfferStage::Proposal,
                retry: Some(d("2026-01-01")),
            }),
            ..offer(2, OfferStage::Refused)
        }));
        let r = cell(&m, &c, ProductId(2), today);
        assert_eq!(r.label, "ref@2 price");
        assert!(!r.overdue);
        m.apply(&Change::Offer(offer(3, OfferStage::Won)));
        assert_eq!(cell(&m, &c, ProductId(3), today).label, "won 25/02");
        m.apply(&Change::Offer(offer(3, OfferStage::Excluded)));
        assert_eq!(cell(&m, &c, ProductId(3), today).label, "×");
        assert_eq!(columns(&m), vec![ProductId(3), ProductId(1), ProductId(2)]);
    }

    #[test]
    fn whitespace_counts_target_cells_only() {
        let mut m = model();
        m.apply(&Change::Offer(offer(1, OfferStage::Agreement)));
        m.apply(&Change::Offer(offer(3, OfferStage::Won))); // not a target
        let w = whitespace(&m, &[ClientId(1)]);
        assert_eq!(
            w,
            Whitespace {
                targets: 2,
                not_offered: 1,
                in_progress: 1,
                won: 0,
                refused: 0,
                excluded: 0
            }
        );
        m.apply(&Change::Offer(offer(2, OfferStage::Won)));
        assert_eq!(whitespace(&m, &[ClientId(1)]).won, 1);
    }
}
