//! Typed identifiers. Internal ids are small integers so that store keys are
//! fixed-width big-endian bytes; the keys users type (a client's ref, a
//! product's id, a manager's login) live on the records themselves.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(ManagerId(u32));
id_type!(SegmentId(u32));
id_type!(ProductId(u32));
id_type!(ClientId(u32));
id_type!(PersonId(u64));
id_type!(SettlementId(u64));
id_type!(ContactId(u64));
id_type!(TaskId(u64));
id_type!(SurveyId(u64));
id_type!(TicketId(u64));
