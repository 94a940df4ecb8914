//! The data model of SPEC §2 with no storage or terminal code.

pub mod compact;
pub mod dates;
pub mod entities;
pub mod ids;
pub mod login;
pub mod merge;
pub mod money;
pub mod offer;
pub mod sales;
pub mod settings;
pub mod text;
pub mod ticket;

pub use dates::{DateError, DateOrDays, date_or_days, parse_date, short_date};
pub use entities::*;
pub use ids::*;
pub use login::Login;
pub use merge::MergeJournal;
pub use money::{Money, MoneyError};
pub use offer::{OfferStage, RefusalReason};
pub use sales::*;
pub use settings::Settings;
pub use ticket::{TicketSource, TicketStage};
