//! The write path, without storage or terminal: a `Command` comes in, the
//! pure planner (`plan`, one file per area) checks it against the model
//! and turns it into `Change`s, a backend applies those in one transaction,
//! and an `Event` goes out to every copy of the model. The store, the
//! server and both front ends use this module; it uses none of them.

pub mod auth;
pub mod bulk;
mod command;
mod done;
mod error;
mod event;
pub mod log;
mod plan;
pub mod undo;

pub use command::{Command, MAX_AMOUNT_CENTS, OfferMove, TRASH_RETENTION_DAYS, TicketAdvance};
pub use done::{Completion, completion};
pub use error::CommandError;
pub use event::Event;
pub use plan::{Context, merge_moved, stage, stage_owned, ticket_stage_due};
