//! SPEC §7's funnel: the offers that reached each stage in the period, and
//! the refusals by the stage at which they happened and their reason.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Period;
use crate::domain::{Client, OfferStage, RefusalReason};
use crate::model::Model;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct StageCount {
    pub stage: OfferStage,
    pub offers: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RefusalCount {
    /// The stage the offer had reached when it was refused.
    pub stage: OfferStage,
    /// `None` for a refusal whose offer was later reopened: the offer keeps
    /// the reason of its current refusal only.
    pub reason: Option<RefusalReason>,
    pub count: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Funnel {
    /// Presentation to won, in stage order; an offer counts once per stage
    /// it entered in the period.
    pub reached: Vec<StageCount>,
    /// By stage order, then reason.
    pub refusals: Vec<RefusalCount>,
    pub refused: u32,
}

impl Funnel {
    /// The refusals at one stage.
    pub fn refused_at(&self, stage: OfferStage) -> u32 {
        self.refusals.iter().filter(|r| r.stage == stage).map(|r| r.count).sum()
    }
}

/// The funnel of the offers of the clients `keep` accepts.
pub fn funnel(model: &Model, period: Period, keep: impl Fn(&Client) -> bool) -> Funnel {
    let stages: Vec<OfferStage> = (1..=6).filter_map(OfferStage::from_rank).collect();
    let mut reached: BTreeMap<OfferStage, u32> = BTreeMap::new();
    let mut refusals: BTreeMap<(u8, Option<RefusalReason>), u32> = BTreeMap::new();
    let mut refused = 0;
    for offer in model.offers.values() {
        if !model.clients.get(&offer.client).is_some_and(&keep) {
            continue;
        }
        let mut entered: BTreeSet<OfferStage> = BTreeSet::new();
        let last_refusal = offer.history.iter().rposition(|t| t.to == OfferStage::Refused);
        for (i, t) in offer.history.iter().enumerate() {
            if !period.contains(t.date) {
                continue;
            }
            if stages.contains(&t.to) {
                entered.insert(t.to);
            }
            if t.to == OfferStage::Refused {
                let reason = offer
                    .refusal
                    .as_ref()
                    .filter(|_| offer.stage == OfferStage::Refused && last_refusal == Some(i))
                    .map(|r| r.reason);
                *refusals.entry((t.from.rank().unwrap_or(0), reason)).or_default() += 1;
                refused += 1;
            }
        }
        for s in entered {
            *reached.entry(s).or_default() += 1;
        }
    }
    Funnel {
        reached: stages
            .into_iter()
            .map(|stage| StageCount {
                stage,
                offers: reached.get(&stage).copied().unwrap_or(0),
            })
            .collect(),
        refusals: refusals
            .into_iter()
            .map(|((rank, reason), count)| RefusalCount {
                stage: OfferStage::from_rank(rank).unwrap_or(OfferStage::NotOffered),
                reason,
                count,
            })
            .collect(),
        refused,
    }
}
