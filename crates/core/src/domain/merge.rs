//! A merge of two clients (a duplicate into the record that stays): what
//! it replaced, kept among its changes so that it can be undone from the
//! change log alone, and which of two offers of one product it keeps.

use serde::{Deserialize, Serialize};

use super::*;

/// The records a merge rewrote in place, as they were before it (the
/// records it moved carry their old version in their own changes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergeJournal {
    /// The client that stays.
    pub into: ClientId,
    /// The duplicate, archived by the merge.
    pub from: ClientId,
    /// False for a merge, true for its undo (which replaces nothing).
    pub undone: bool,
    pub clients: Vec<Client>,
    pub offers: Vec<Offer>,
    pub tickets: Vec<Ticket>,
    /// Queue marks by key (`None`: the key had none).
    pub marks: Vec<(String, Option<QueueMark>)>,
    /// Sales records by key (`None`: there was none).
    pub sales: Vec<(SalesKey, Option<SalesRecord>)>,
}

impl MergeJournal {
    /// A journal with nothing replaced yet.
    pub fn new(into: ClientId, from: ClientId, undone: bool) -> MergeJournal {
        MergeJournal {
            into,
            from,
            undone,
            clients: Vec::new(),
            offers: Vec::new(),
            tickets: Vec::new(),
            marks: Vec::new(),
            sales: Vec::new(),
        }
    }
}

/// How far an offer got, for a merge to keep the further one of two: the
/// sales path in order, a refusal or exclusion above "not offered" (it says
/// something happened), the later stage date on a tie.
pub fn advancement(offer: &Offer) -> (u8, chrono::NaiveDate) {
    let step = match offer.stage {
        OfferStage::NotOffered => 0,
        OfferStage::Excluded => 1,
        OfferStage::Refused => 2,
        stage => stage.rank().map_or(0, |r| r + 2),
    };
    (step, offer.stage_date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(stage: OfferStage, date: &str) -> Offer {
        Offer {
            client: ClientId(1),
            product: ProductId(1),
            stage,
            stage_date: date.parse().unwrap(),
            next_step: None,
            next_note: String::new(),
            expiry: None,
            invoice_due: None,
            delivery: None,
            refusal: None,
            history: Vec::new(),
            version: 1,
            seq: 1,
        }
    }

    #[test]
    fn the_further_offer_is_the_one_further_on_the_path() {
        let order = [
            OfferStage::NotOffered,
            OfferStage::Excluded,
            OfferStage::Refused,
            OfferStage::Presentation,
            OfferStage::Proposal,
            OfferStage::Agreement,
            OfferStage::Invoiced,
            OfferStage::Delivery,
            OfferStage::Won,
        ];
        for pair in order.windows(2) {
            assert!(
                advancement(&offer(pair[0], "2026-05-01")) < advancement(&offer(pair[1], "2026-01-01")),
                "{pair:?}"
            );
        }
        // The same stage: the later one.
        assert!(
            advancement(&offer(OfferStage::Proposal, "2026-01-01"))
                < advancement(&offer(OfferStage::Proposal, "2026-01-02"))
        );
    }
}
