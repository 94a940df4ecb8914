//! Why a command was refused. Travels to sessions over the socket.

use serde::{Deserialize, Serialize};

use crate::domain::offer::TransitionError;

#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum CommandError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("{0}")]
    Invalid(String),
    #[error(
        "{what} was changed by someone else (you edited version {expected}, it is now at {current}); reload and try again"
    )]
    Stale { what: String, expected: u64, current: u64 },
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("command {index} of the batch: {source}")]
    InBatch { index: usize, source: Box<CommandError> },
}
