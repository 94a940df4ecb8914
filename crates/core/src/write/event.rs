use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::domain::AuditEntry;
use crate::model::Change;

/// What one applied command changed: the audit sequence number, who and
/// when, and the changes, which any copy of the model can apply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub who: String,
    pub at: NaiveDateTime,
    pub summary: String,
    pub changes: Vec<Change>,
}

impl Event {
    /// The event of the command `audit` logs, which made `changes`.
    pub fn of(audit: AuditEntry, changes: Vec<Change>) -> Event {
        Event {
            seq: audit.seq,
            who: audit.who,
            at: audit.at,
            summary: audit.summary,
            changes,
        }
    }
}
