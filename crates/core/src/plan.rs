//! The next product to offer (SPEC §9, "between sales"): a client with no
//! open offer is between sales, and its next contact has a product to
//! offer — the first target product of its segment's portrait, in the
//! portrait's product order, not yet offered, not excluded, and not refused
//! with a retry date still to come. The sales plan lists every client's.
//!
//! SPEC §9 leaves open whether a product refused with a past retry date
//! counts as "not yet offered": it is offered again once its retry date has
//! come (that is what the retry date is for), while a refusal without a
//! retry date keeps the product off the list.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::*;
use crate::model::Model;

/// Where a client stands in the sales cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "product")]
pub enum Standing {
    /// An offer is open (presentation to delivery).
    InSale(ProductId),
    /// Between sales, with the product to offer next.
    Next(ProductId),
    /// Between sales, nothing of its portrait left to offer.
    Nothing,
}

/// Where `client` stands as of `as_of`.
pub fn standing(model: &Model, client: &Client, as_of: NaiveDate) -> Standing {
    if let Some(open) = model.offers_of(client.id).find(|o| o.stage.is_open()) {
        return Standing::InSale(open.product);
    }
    match next_product(model, client, as_of) {
        Some(p) => Standing::Next(p),
        None => Standing::Nothing,
    }
}

/// The first target product of the client's portrait that may be offered.
pub fn next_product(model: &Model, client: &Client, as_of: NaiveDate) -> Option<ProductId> {
    let segment = client.segment?;
    model
        .targets(segment)
        .find(|p| match model.offers.get(&(client.id, *p)) {
            None => true,
            Some(o) => match o.stage {
                OfferStage::NotOffered => true,
                OfferStage::Refused => o.refusal.as_ref().and_then(|r| r.retry).is_some_and(|d| d <= as_of),
                _ => false,
            },
        })
}

/// The sales plan: each product to offer next and the clients it is next
/// for (of `manager`, or everyone's), in product order.
pub fn sales_plan(model: &Model, manager: Option<ManagerId>, as_of: NaiveDate) -> BTreeMap<ProductId, Vec<ClientId>> {
    let mut plan: BTreeMap<ProductId, Vec<ClientId>> = BTreeMap::new();
    for c in model
        .clients
        .values()
        .filter(|c| manager.is_none() || c.manager == manager)
    {
        if let Standing::Next(p) = standing(model, c, as_of) {
            plan.entry(p).or_default().push(c.id);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Planner;
    use crate::write::{Command, OfferMove};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Products p1…p4 all targets of segment s, in that order; client C1.
    fn book() -> Planner {
        let mut p = Planner::with_reference(&["amy"], &[("p1", "l"), ("p2", "l"), ("p3", "l"), ("p4", "l")]);
        for product in 1..=4 {
            p.run(Command::SetPortrait {
                segment: SegmentId(1),
                product: ProductId(product),
                target: true,
            });
        }
        p.run(Command::AddClient {
            reference: "C1".into(),
            name: "One".into(),
            segment: Some(SegmentId(1)),
            manager: Some(ManagerId(1)),
            created: d("2025-01-01"),
            notes: String::new(),
            tags: Vec::new(),
        });
        p
    }

    fn mv(p: &mut Planner, product: u32, to: OfferStage, f: impl Fn(&mut OfferMove)) {
        let mut m = OfferMove::new(ClientId(1), ProductId(product), to, d("2026-03-01"));
        f(&mut m);
        p.run(Command::MoveOffer(m));
    }

    fn next(p: &Planner, as_of: &str) -> Standing {
        standing(&p.model, &p.model.clients[&ClientId(1)], d(as_of))
    }

    #[test]
    fn the_first_portrait_product_not_offered_excluded_or_refused_until_later() {
        let mut p = book();
        assert_eq!(next(&p, "2026-04-01"), Standing::Next(ProductId(1)), "portrait order");
        mv(&mut p, 1, OfferStage::Excluded, |m| m.note = "not for them".into());
        assert_eq!(
            next(&p, "2026-04-01"),
            Standing::Next(ProductId(2)),
            "excluded is skipped"
        );
        mv(&mut p, 2, OfferStage::Presentation, |_| {});
        assert_eq!(
            next(&p, "2026-04-01"),
            Standing::InSale(ProductId(2)),
            "an open offer: in a sale"
        );
        mv(&mut p, 2, OfferStage::Refused, |m| {
            m.reason = Some(RefusalReason::Price);
            m.retry = Some(d("2026-06-01"));
        });
        assert_eq!(
            next(&p, "2026-04-01"),
            Standing::Next(ProductId(3)),
            "refused until June"
        );
        // The cadence call names it (SPEC §9: "call — offer …").
        let as_of = d("2026-04-01");
        let classes = crate::classes::compute(&p.model, as_of);
        let queue = crate::queue::due(&p.model, &classes, as_of, crate::queue::Scope::All);
        let call = queue.iter().find(|i| i.kind == crate::queue::Kind::Cadence).unwrap();
        assert!(call.reason.ends_with(" — offer P3"), "{}", call.reason);
        assert_eq!(
            next(&p, "2026-06-01"),
            Standing::Next(ProductId(2)),
            "its retry date has come"
        );
        mv(&mut p, 3, OfferStage::Presentation, |_| {});
        mv(&mut p, 3, OfferStage::Refused, |m| {
            m.reason = Some(RefusalReason::NoNeed)
        });
        mv(&mut p, 4, OfferStage::Won, |_| {});
        assert_eq!(next(&p, "2026-04-01"), Standing::Nothing, "refused without retry, won");
        let plan = sales_plan(&p.model, None, d("2026-06-01"));
        assert_eq!(plan.get(&ProductId(2)), Some(&vec![ClientId(1)]));
        assert!(sales_plan(&p.model, Some(ManagerId(2)), d("2026-06-01")).is_empty());
    }
}
