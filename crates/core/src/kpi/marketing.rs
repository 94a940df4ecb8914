//! Marketing effectiveness (SPEC §9, completing §7): new clients, primary
//! sales and conversion by acquisition source; refusals by competitor and
//! by the stage they happened at.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Conversion, Period, Sale, SaleKind, Tally};
use crate::domain::{Client, ClientId, OfferStage, RefusalReason};
use crate::model::{ClientAggregate, Model};

/// The row of clients without a source.
pub const NO_SOURCE: &str = "(no source)";
/// The row of refusals for another reason than a competitor.
pub const OTHER_REASONS: &str = "(other reasons)";
/// The row of refusals of offers reopened since (their reason is not kept).
pub const REOPENED: &str = "(reopened since)";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SourceRow {
    pub source: String,
    /// Clients whose first settlement is in the period.
    pub new_clients: u32,
    pub primary: Tally,
    pub conversion: Conversion,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sources {
    pub period: Period,
    pub rows: Vec<SourceRow>,
    pub total: SourceRow,
}

/// The sources table: the lead's sources in the list's order (even with
/// nothing to show: a source that brings nobody is worth seeing), then
/// other sources typed, by name, then the clients without one. `sales` is
/// what [`super::sales`] returned for the period.
pub fn sources(model: &Model, period: Period, sales: &[Sale], keep: impl Fn(&Client) -> bool) -> Sources {
    let mut names: Vec<String> = model.sales.setup.sources.clone();
    let mut typed: Vec<&str> = model
        .clients
        .keys()
        .map(|c| model.sales.source_of(*c))
        .filter(|s| !s.is_empty() && !names.iter().any(|n| n == s))
        .collect();
    typed.sort_unstable();
    typed.dedup();
    names.extend(typed.into_iter().map(String::from));
    names.push(NO_SOURCE.into());
    let mut rows: Vec<SourceRow> = names
        .into_iter()
        .map(|source| SourceRow {
            source,
            ..SourceRow::default()
        })
        .collect();
    let index: BTreeMap<&str, usize> = rows.iter().enumerate().map(|(i, r)| (r.source.as_str(), i)).collect();
    let row_of = |c: ClientId| -> usize {
        let s = model.sales.source_of(c);
        let s = if s.is_empty() { NO_SOURCE } else { s };
        index.get(s).copied().unwrap_or(rows.len() - 1)
    };
    let row_of: BTreeMap<ClientId, usize> = model
        .clients
        .values()
        .filter(|c| keep(c))
        .map(|c| (c.id, row_of(c.id)))
        .collect();
    let mut total = SourceRow {
        source: "total".into(),
        ..SourceRow::default()
    };
    let empty = ClientAggregate::default();
    for client in model.clients.values() {
        let Some(&r) = row_of.get(&client.id) else { continue };
        let first = model.aggregates.get(&client.id).unwrap_or(&empty).first_settlement();
        let is_new = first.is_some_and(|f| period.contains(f));
        let potential = client.created <= period.from && first.is_none_or(|f| f > period.from);
        for row in [&mut rows[r], &mut total] {
            row.new_clients += u32::from(is_new);
            if potential {
                row.conversion.potential += 1;
                row.conversion.converted += u32::from(is_new);
            }
        }
    }
    for s in sales
        .iter()
        .filter(|s| period.contains(s.date) && s.kind == Some(SaleKind::Primary))
    {
        let Some(&r) = row_of.get(&s.client) else { continue };
        rows[r].primary.add(s.amount);
        total.primary.add(s.amount);
    }
    // The catch-all row only shows when someone is in it.
    if rows.last().is_some_and(|r| {
        r == &SourceRow {
            source: NO_SOURCE.into(),
            ..SourceRow::default()
        }
    }) && !row_of.values().any(|&r| r == rows.len() - 1)
    {
        rows.pop();
    }
    Sources { period, rows, total }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CompetitorRow {
    pub competitor: String,
    /// Refusals at each of `Competitors::stages`, in that order.
    pub by_stage: Vec<u32>,
    pub total: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Competitors {
    pub period: Period,
    /// The stages refusals happen at: presentation to won.
    pub stages: Vec<OfferStage>,
    /// The lead's competitors in the list's order, then others by name,
    /// then other reasons and reopened offers when there are any.
    pub rows: Vec<CompetitorRow>,
    pub total: CompetitorRow,
}

/// Refusals in the period by competitor and stage, for the clients `keep`
/// accepts. An offer keeps the reason and competitor of its current refusal
/// only: an earlier refusal of an offer reopened since counts as such.
pub fn competitors(model: &Model, period: Period, keep: impl Fn(&Client) -> bool) -> Competitors {
    let stages: Vec<OfferStage> = (1..=6).filter_map(OfferStage::from_rank).collect();
    let blank = |name: &str| CompetitorRow {
        competitor: name.to_string(),
        by_stage: vec![0; stages.len()],
        total: 0,
    };
    let mut counted: BTreeMap<String, CompetitorRow> = BTreeMap::new();
    let mut total = blank("total");
    for offer in model.offers.values() {
        if !model.clients.get(&offer.client).is_some_and(&keep) {
            continue;
        }
        let last_refusal = offer.history.iter().rposition(|t| t.to == OfferStage::Refused);
        for (i, t) in offer.history.iter().enumerate() {
            if t.to != OfferStage::Refused || !period.contains(t.date) {
                continue;
            }
            let current = offer
                .refusal
                .as_ref()
                .filter(|_| offer.stage == OfferStage::Refused && last_refusal == Some(i));
            let name = match current {
                Some(r) if r.reason == RefusalReason::Competitor => model
                    .sales
                    .terms
                    .get(&(offer.client, offer.product))
                    .map(|t| t.competitor.clone())
                    .filter(|c| !c.is_empty())
                    .unwrap_or_else(|| "(not named)".into()),
                Some(_) => OTHER_REASONS.into(),
                None => REOPENED.into(),
            };
            let column = stages.iter().position(|s| *s == t.from);
            let row = counted.entry(name.clone()).or_insert_with(|| blank(&name));
            for r in [row, &mut total] {
                if let Some(c) = column {
                    r.by_stage[c] += 1;
                }
                r.total += 1;
            }
        }
    }
    let mut rows: Vec<CompetitorRow> = model
        .sales
        .setup
        .competitors
        .iter()
        .map(|c| counted.remove(c).unwrap_or_else(|| blank(c)))
        .collect();
    let tail: Vec<CompetitorRow> = [OTHER_REASONS, REOPENED]
        .iter()
        .filter_map(|n| counted.remove(*n))
        .collect();
    rows.extend(counted.into_values());
    rows.extend(tail);
    Competitors {
        period,
        stages,
        rows,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;
    use crate::kpi::from_list;
    use crate::testing::Planner;
    use crate::write::{Command, OfferMove};
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// A small book: five clients, three sources, sales and refusals in
    /// and out of March 2026.
    fn book() -> Planner {
        let mut p = Planner::with_reference(&["amy"], &[("crm", "software"), ("train", "training")]);
        p.model.managers.values_mut().for_each(|m| m.role = Role::Lead);
        p.run(Command::SetSalesSetup {
            sources: vec!["Trade fair".into(), "Referral".into(), "Cold call".into()],
            competitors: vec!["Rival".into(), "Other Co".into()],
            minutes_days: 2,
        });
        for (n, (created, source)) in [
            ("2026-01-10", "Trade fair"),
            ("2026-01-20", "Trade fair"),
            ("2026-02-01", "Referral"),
            ("2026-02-15", "Webinar"),
            ("2026-03-10", ""),
        ]
        .into_iter()
        .enumerate()
        {
            p.run(Command::AddClient {
                reference: format!("C{}", n + 1),
                name: format!("Client {}", n + 1),
                segment: Some(SegmentId(1)),
                manager: Some(ManagerId(1)),
                created: d(created),
                notes: String::new(),
                tags: vec![],
            });
            p.run(Command::SetSource {
                reference: format!("C{}", n + 1),
                source: source.into(),
            });
        }
        let pay = |p: &mut Planner, c: u32, date: &str, cents: i64| {
            p.run(Command::RecordSettlement {
                client: ClientId(c),
                date: d(date),
                amount: Money(cents),
                product: Some(ProductId(1)),
                doc: String::new(),
            })
        };
        pay(&mut p, 1, "2026-02-20", 10_000); // first sale before March
        pay(&mut p, 1, "2026-03-05", 20_000); // a repeat sale
        pay(&mut p, 2, "2026-03-07", 30_000); // new in March
        pay(&mut p, 3, "2026-03-20", 40_000); // new in March
        pay(&mut p, 3, "2026-03-21", 5_000); // repeat
        pay(&mut p, 4, "2026-04-02", 50_000); // new after March
        p
    }

    fn march() -> Period {
        Period::new(d("2026-03-01"), d("2026-03-31")).unwrap()
    }

    fn sales_of(p: &Planner) -> Vec<Sale> {
        let all: Vec<Settlement> = p.settlements.values().cloned().collect();
        match crate::kpi::sales(&p.model, march(), from_list(&all)) {
            Ok(sales) => sales,
            Err(never) => match never {},
        }
    }

    #[test]
    fn sources_count_new_clients_primary_sales_and_conversion() {
        let p = book();
        let t = sources(&p.model, march(), &sales_of(&p), |_| true);
        let got: Vec<(&str, u32, u32, i64, u32, u32)> = t
            .rows
            .iter()
            .map(|r| {
                (
                    r.source.as_str(),
                    r.new_clients,
                    r.primary.count,
                    r.primary.sum,
                    r.conversion.potential,
                    r.conversion.converted,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                // C1 (first sale in Feb: not potential at 1 March), C2 new.
                ("Trade fair", 1, 1, 30_000, 1, 1),
                ("Referral", 1, 1, 40_000, 1, 1),
                ("Cold call", 0, 0, 0, 0, 0),
                // C4 buys in April: potential, not converted.
                ("Webinar", 0, 0, 0, 1, 0),
                // C5 created on 10 March: not potential at 1 March.
                (NO_SOURCE, 0, 0, 0, 0, 0),
            ]
        );
        assert_eq!((t.total.new_clients, t.total.primary.sum), (2, 70_000));
        assert_eq!((t.total.conversion.potential, t.total.conversion.converted), (3, 2));
    }

    #[test]
    fn refusals_by_competitor_and_stage() {
        let mut p = book();
        let refuse = |p: &mut Planner, c: u32, prod: u32, at: OfferStage, date: &str, reason, who: &str| {
            p.run(Command::MoveOffer(OfferMove::new(
                ClientId(c),
                ProductId(prod),
                at,
                d("2026-02-01"),
            )));
            let mut m = OfferMove::new(ClientId(c), ProductId(prod), OfferStage::Refused, d(date));
            m.reason = Some(reason);
            m.competitor = who.into();
            p.run(Command::MoveOffer(m));
        };
        use RefusalReason::*;
        refuse(&mut p, 1, 1, OfferStage::Proposal, "2026-03-03", Competitor, "rival");
        refuse(
            &mut p,
            2,
            1,
            OfferStage::Presentation,
            "2026-03-04",
            Competitor,
            "Rival",
        );
        refuse(&mut p, 3, 1, OfferStage::Proposal, "2026-03-05", Competitor, "Newcomer");
        refuse(&mut p, 4, 1, OfferStage::Agreement, "2026-03-06", Price, "");
        refuse(&mut p, 5, 1, OfferStage::Proposal, "2026-04-06", Competitor, "Rival"); // April
        // Refused in March, reopened since: its reason is not kept.
        refuse(&mut p, 1, 2, OfferStage::Proposal, "2026-03-10", Competitor, "Other Co");
        p.run(Command::MoveOffer(OfferMove::new(
            ClientId(1),
            ProductId(2),
            OfferStage::Agreement,
            d("2026-03-15"),
        )));
        let t = competitors(&p.model, march(), |_| true);
        let stage = |s: OfferStage| t.stages.iter().position(|x| *x == s).unwrap();
        let got: Vec<(&str, u32, u32, u32, u32)> = t
            .rows
            .iter()
            .map(|r| {
                (
                    r.competitor.as_str(),
                    r.by_stage[stage(OfferStage::Presentation)],
                    r.by_stage[stage(OfferStage::Proposal)],
                    r.by_stage[stage(OfferStage::Agreement)],
                    r.total,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("Rival", 1, 1, 0, 2),
                ("Other Co", 0, 0, 0, 0),
                ("Newcomer", 0, 1, 0, 1),
                (OTHER_REASONS, 0, 0, 1, 1),
                (REOPENED, 0, 1, 0, 1),
            ]
        );
        assert_eq!(t.total.total, 5);
        // Only one manager's clients (here: none of them).
        assert_eq!(competitors(&p.model, march(), |_| false).total.total, 0);
    }
}
