//! Complaint ticket stages of SPEC §6.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::ids::SurveyId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStage {
    Registered,
    Investigating,
    Resolved,
    Prevented,
    Closed,
}

impl TicketStage {
    pub const ALL: [TicketStage; 5] = [
        TicketStage::Registered,
        TicketStage::Investigating,
        TicketStage::Resolved,
        TicketStage::Prevented,
        TicketStage::Closed,
    ];
    pub fn next(self) -> Option<TicketStage> {
        match self {
            TicketStage::Registered => Some(TicketStage::Investigating),
            TicketStage::Investigating => Some(TicketStage::Resolved),
            TicketStage::Resolved => Some(TicketStage::Prevented),
            TicketStage::Prevented => Some(TicketStage::Closed),
            TicketStage::Closed => None,
        }
    }
    pub fn index(self) -> usize {
        self as usize
    }
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStage::Registered => "registered",
            TicketStage::Investigating => "investigating",
            TicketStage::Resolved => "resolved",
            TicketStage::Prevented => "prevented",
            TicketStage::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<TicketStage> {
        let s = s.trim().to_ascii_lowercase();
        TicketStage::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for TicketStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketSource {
    Complaint,
    Survey(SurveyId),
}

impl TicketSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketSource::Complaint => "complaint",
            TicketSource::Survey(_) => "survey",
        }
    }
}
