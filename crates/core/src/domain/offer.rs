//! Offer stages of SPEC §3 and the rules for moving between them.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferStage {
    NotOffered,
    Presentation,
    Proposal,
    Agreement,
    Invoiced,
    Delivery,
    Won,
    Refused,
    Excluded,
}

impl OfferStage {
    pub const ALL: [OfferStage; 9] = [
        OfferStage::NotOffered,
        OfferStage::Presentation,
        OfferStage::Proposal,
        OfferStage::Agreement,
        OfferStage::Invoiced,
        OfferStage::Delivery,
        OfferStage::Won,
        OfferStage::Refused,
        OfferStage::Excluded,
    ];

    /// Position on the sales path (0..=6); refused and excluded are off it.
    pub fn rank(self) -> Option<u8> {
        match self {
            OfferStage::NotOffered => Some(0),
            OfferStage::Presentation => Some(1),
            OfferStage::Proposal => Some(2),
            OfferStage::Agreement => Some(3),
            OfferStage::Invoiced => Some(4),
            OfferStage::Delivery => Some(5),
            OfferStage::Won => Some(6),
            OfferStage::Refused | OfferStage::Excluded => None,
        }
    }

    pub fn from_rank(rank: u8) -> Option<OfferStage> {
        OfferStage::ALL.into_iter().find(|s| s.rank() == Some(rank))
    }

    /// The next stage forward on the path, if any.
    pub fn next(self) -> Option<OfferStage> {
        self.rank().and_then(|r| OfferStage::from_rank(r + 1))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OfferStage::NotOffered => "not_offered",
            OfferStage::Presentation => "presentation",
            OfferStage::Proposal => "proposal",
            OfferStage::Agreement => "agreement",
            OfferStage::Invoiced => "invoiced",
            OfferStage::Delivery => "delivery",
            OfferStage::Won => "won",
            OfferStage::Refused => "refused",
            OfferStage::Excluded => "excluded",
        }
    }

    /// Accepts the full name, a `-`/space variant, or the short cell label.
    pub fn parse(s: &str) -> Option<OfferStage> {
        let s = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        OfferStage::ALL
            .into_iter()
            .find(|st| st.as_str() == s || st.short() == s)
    }

    /// The compact label of a matrix cell.
    pub fn short(self) -> &'static str {
        match self {
            OfferStage::NotOffered => "none",
            OfferStage::Presentation => "pres",
            OfferStage::Proposal => "prop",
            OfferStage::Agreement => "agr",
            OfferStage::Invoiced => "inv",
            OfferStage::Delivery => "dlv",
            OfferStage::Won => "won",
            OfferStage::Refused => "ref",
            OfferStage::Excluded => "excl",
        }
    }

    /// Stages at which the product counts as used for maturity (SPEC §4.4).
    pub fn counts_as_used(self) -> bool {
        matches!(
            self,
            OfferStage::Agreement | OfferStage::Invoiced | OfferStage::Delivery | OfferStage::Won
        )
    }

    /// Work in progress: on the path, past "not offered", not yet won.
    pub fn is_open(self) -> bool {
        matches!(self.rank(), Some(1..=5))
    }
}

impl fmt::Display for OfferStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    Price,
    Timing,
    Competitor,
    NoNeed,
    NoBudget,
    Other,
}

impl RefusalReason {
    pub const ALL: [RefusalReason; 6] = [
        RefusalReason::Price,
        RefusalReason::Timing,
        RefusalReason::Competitor,
        RefusalReason::NoNeed,
        RefusalReason::NoBudget,
        RefusalReason::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalReason::Price => "price",
            RefusalReason::Timing => "timing",
            RefusalReason::Competitor => "competitor",
            RefusalReason::NoNeed => "no_need",
            RefusalReason::NoBudget => "no_budget",
            RefusalReason::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<RefusalReason> {
        let s = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        RefusalReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum TransitionError {
    #[error("the offer is already at stage {0}")]
    SameStage(OfferStage),
    #[error("moving back from {from} to {to} needs a note saying why")]
    BackWithoutNote { from: OfferStage, to: OfferStage },
    #[error("a refusal needs a reason ({})", reasons())]
    RefusalWithoutReason,
    #[error("a reason only goes with a refusal")]
    ReasonWithoutRefusal,
    #[error("an offer that was never proposed cannot be refused")]
    RefuseUnoffered,
}

fn reasons() -> String {
    RefusalReason::ALL.map(|r| r.as_str()).join(", ")
}

/// Checks a move from `from` to `to` (SPEC §3): forward moves may skip
/// stages; a move back needs a note; a refusal needs a reason. Leaving
/// `refused` or `excluded` re-opens the offer and is judged against the stage
/// it was refused at.
pub fn check_transition(
    from: OfferStage,
    refused_at: Option<OfferStage>,
    to: OfferStage,
    note: &str,
    reason: Option<RefusalReason>,
) -> Result<(), TransitionError> {
    if from == to {
        return Err(TransitionError::SameStage(to));
    }
    match to {
        OfferStage::Refused => {
            if reason.is_none() {
                return Err(TransitionError::RefusalWithoutReason);
            }
            if from == OfferStage::NotOffered || from == OfferStage::Excluded {
                return Err(TransitionError::RefuseUnoffered);
            }
            return Ok(());
        }
        _ if reason.is_some() => return Err(TransitionError::ReasonWithoutRefusal),
        OfferStage::Excluded => return Ok(()),
        _ => {}
    }
    let effective_from = match from {
        OfferStage::Refused => refused_at.unwrap_or(OfferStage::NotOffered),
        OfferStage::Excluded => OfferStage::NotOffered,
        other => other,
    };
    let (Some(a), Some(b)) = (effective_from.rank(), to.rank()) else {
        return Ok(());
    };
    if b < a && note.trim().is_empty() {
        return Err(TransitionError::BackWithoutNote { from, to });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use OfferStage::*;

    #[test]
    fn forward_moves_may_skip() {
        assert_eq!(check_transition(NotOffered, None, Presentation, "", None), Ok(()));
        assert_eq!(check_transition(Presentation, None, Agreement, "", None), Ok(()));
        assert_eq!(check_transition(NotOffered, None, Won, "", None), Ok(()));
    }

    #[test]
    fn back_needs_note() {
        assert!(matches!(
            check_transition(Agreement, None, Proposal, " ", None),
            Err(TransitionError::BackWithoutNote { .. })
        ));
        assert_eq!(
            check_transition(Agreement, None, Proposal, "client asked for new terms", None),
            Ok(())
        );
        assert!(check_transition(Refused, Some(Proposal), Presentation, "", None).is_err());
        assert_eq!(check_transition(Refused, Some(Proposal), Agreement, "", None), Ok(()));
        assert_eq!(check_transition(Excluded, None, Presentation, "", None), Ok(()));
    }

    #[test]
    fn refusal_rules() {
        assert_eq!(
            check_transition(Proposal, None, Refused, "", None),
            Err(TransitionError::RefusalWithoutReason)
        );
        assert_eq!(
            check_transition(Proposal, None, Refused, "", Some(RefusalReason::Price)),
            Ok(())
        );
        assert_eq!(
            check_transition(NotOffered, None, Refused, "", Some(RefusalReason::Price)),
            Err(TransitionError::RefuseUnoffered)
        );
        assert_eq!(
            check_transition(Proposal, None, Won, "", Some(RefusalReason::Price)),
            Err(TransitionError::ReasonWithoutRefusal)
        );
        assert_eq!(
            check_transition(Won, None, Won, "", None),
            Err(TransitionError::SameStage(Won))
        );
    }

    #[test]
    fn names_parse() {
        for s in OfferStage::ALL {
            assert_eq!(OfferStage::parse(s.as_str()), Some(s));
            assert_eq!(OfferStage::parse(s.short()), Some(s));
        }
        assert_eq!(OfferStage::parse("Not Offered"), Some(NotOffered));
        assert_eq!(OfferStage::parse("nonsense"), None);
        assert_eq!(RefusalReason::parse("no-budget"), Some(RefusalReason::NoBudget));
        assert_eq!(Presentation.next(), Some(Proposal));
        assert_eq!(Won.next(), None);
        assert_eq!(Refused.next(), None);
    }
}
