//! The pure planner: a command checked against the model and turned into
//! the changes it makes, with no database (a stored settlement is read
//! through `Context`). One file per area; the checks they share are here.

mod clients;
mod contacts;
mod corrections;
mod marks;
mod merge;
mod offers;
mod reference;
mod sales;
mod settlements;
mod tickets;
mod trash;
mod views;

pub use merge::moved as merge_moved;
pub use tickets::ticket_stage_due;

use chrono::{Datelike, NaiveDate};

use super::{Command, CommandError, MAX_AMOUNT_CENTS, OfferMove, TicketAdvance};
use crate::domain::offer::check_transition;
use crate::domain::*;
use crate::model::{Change, Model};
use crate::queue::{ItemKey, Kind};

type Result<T> = std::result::Result<T, CommandError>;

/// The record `id` of `map`, or "`what` #id not found".
fn found<'a, K: Ord + std::fmt::Display, V>(
    map: &'a std::collections::BTreeMap<K, V>,
    id: K,
    what: &str,
) -> Result<&'a V> {
    map.get(&id)
        .ok_or_else(|| CommandError::NotFound(format!("{what} #{id}")))
}

fn invalid(msg: impl Into<String>) -> CommandError {
    CommandError::Invalid(msg.into())
}

/// A name-like key users type: not empty, no spaces or control characters.
fn check_key(what: &str, key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(invalid(format!("{what} is empty")));
    }
    if key.chars().count() > 64 {
        return Err(invalid(format!("{what} '{key}' is longer than 64 characters")));
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(format!("{what} '{key}' contains spaces or control characters")));
    }
    Ok(())
}

fn check_text(what: &str, text: &str, required: bool) -> Result<()> {
    if required && text.trim().is_empty() {
        return Err(invalid(format!("{what} is empty")));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(invalid(format!("{what} contains control characters")));
    }
    if text.len() > 16 * 1024 {
        return Err(invalid(format!("{what} is longer than 16 KiB")));
    }
    Ok(())
}

/// A one-line field (a name, a phone, a reference): no control character
/// at all, not even a line break or tab, so that no list, export or
/// calendar line can be split or forged by what was typed or imported.
fn check_line(what: &str, text: &str, required: bool) -> Result<()> {
    check_text(what, text, required)?;
    if text.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{what} must be one line, without tabs or control characters"
        )));
    }
    Ok(())
}

/// Dates outside this range are typing mistakes, not business dates.
fn check_date(what: &str, date: NaiveDate) -> Result<()> {
    if !(1900..=2200).contains(&date.year()) {
        return Err(invalid(format!("{what} {date} is outside the years 1900–2200")));
    }
    Ok(())
}

fn check_version(what: impl Fn() -> String, expected: Option<u64>, current: u64) -> Result<()> {
    match expected {
        Some(expected) if expected != current => Err(CommandError::Stale {
            what: what(),
            expected,
            current,
        }),
        _ => Ok(()),
    }
}

/// Everything a command needs besides the model: who, the audit sequence
/// number it will get, and how to read a stored settlement (they are not
/// kept in memory).
pub struct Context<'a> {
    pub who: &'a str,
    pub seq: u64,
    pub settlement: &'a dyn Fn(ClientId, SettlementId) -> std::result::Result<Option<Settlement>, String>,
    /// A client's contact log (read only to correct an entry).
    pub contacts: &'a dyn Fn(ClientId) -> std::result::Result<Vec<ContactEntry>, String>,
    /// A client's settlements (read only to set an offer's instalments).
    pub settlements: &'a dyn Fn(ClientId) -> std::result::Result<Vec<Settlement>, String>,
}

/// Plans `cmd` against `model` — each command of a batch in turn — and
/// applies each one's changes to `model` at once, so that the next command
/// of the batch sees them; the changes are added to `changes`. What every
/// store does before it writes. On an error, `model` holds the changes of
/// the batch's earlier commands (those in `changes`): the caller reads it
/// again.
pub fn stage(cmd: &Command, model: &mut Model, ctx: &Context, changes: &mut Vec<Change>) -> Result<()> {
    if let Command::Batch { commands, .. } = cmd {
        for (index, c) in commands.iter().enumerate() {
            stage(c, model, ctx, changes).map_err(|e| CommandError::InBatch {
                index,
                source: Box::new(e),
            })?;
        }
        return Ok(());
    }
    let planned = cmd.plan(model, ctx)?;
    for change in &planned {
        model.apply(change);
    }
    changes.extend(planned);
    Ok(())
}

/// `stage`, for a store that owns the command: a batch's commands are let
/// go as they are planned. An import of two million settlements held its
/// commands (350 MB) beside their changes (320 MB) until the last one.
pub fn stage_owned(cmd: Command, model: &mut Model, ctx: &Context, changes: &mut Vec<Change>) -> Result<()> {
    let Command::Batch { mut commands, .. } = cmd else {
        return stage(&cmd, model, ctx, changes);
    };
    // Taken from the end; the list is given back in halves as it empties.
    commands.reverse();
    let mut index = 0;
    while let Some(c) = commands.pop() {
        stage(&c, model, ctx, changes).map_err(|e| CommandError::InBatch {
            index,
            source: Box::new(e),
        })?;
        index += 1;
        if commands.len() < commands.capacity() / 2 && commands.capacity() > SHRINK_FROM {
            commands.shrink_to_fit();
        }
    }
    Ok(())
}

/// Below this many commands a batch's list is not worth shrinking.
const SHRINK_FROM: usize = 4096;

impl Command {
    /// Validates a (non-batch) command against `model` and returns the
    /// changes it makes. Nothing is changed here.
    pub fn plan(&self, model: &Model, ctx: &Context) -> Result<Vec<Change>> {
        match self {
            Command::UpdateSettings(_)
            | Command::AddManager { .. }
            | Command::AddSegment { .. }
            | Command::AddProduct { .. }
            | Command::SetPortrait { .. }
            | Command::SetQuestionnaire { .. }
            | Command::SetTemplate { .. } => reference::plan(self, model, ctx),
            Command::AddClient { .. }
            | Command::EditClient { .. }
            | Command::AddPerson { .. }
            | Command::EditPerson { .. } => clients::plan(self, model, ctx),
            Command::RecordSettlement { .. } | Command::EditSettlement { .. } | Command::DeleteSettlement { .. } => {
                settlements::plan(self, model, ctx)
            }
            Command::MoveOffer(_) | Command::RestoreOffer { .. } => offers::plan(self, model, ctx),
            Command::LogContact { .. } | Command::AddTask { .. } | Command::CompleteTask { .. } => {
                contacts::plan(self, model, ctx)
            }
            Command::RecordSurvey { .. }
            | Command::OpenTicket { .. }
            | Command::AdvanceTicket(_)
            | Command::SetTicketOwner { .. }
            | Command::EditTicket { .. } => tickets::plan(self, model, ctx),
            Command::MarkItem { .. } | Command::ClearMark { .. } => marks::plan(self, model, ctx),
            Command::Archive { .. } | Command::Restore { .. } | Command::Purge { .. } => trash::plan(self, model, ctx),
            Command::EditContact { .. }
            | Command::DeleteContact { .. }
            | Command::EditTask { .. }
            | Command::DeleteTask { .. }
            | Command::EditSurvey { .. }
            | Command::DeleteSurvey { .. } => corrections::plan(self, model, ctx),
            Command::WriteDocument { .. }
            | Command::MarkDocumentSent { .. }
            | Command::SetTerms { .. }
            | Command::SetSource { .. }
            | Command::SetSalesSetup { .. } => sales::plan(self, model, ctx),
            Command::MergeClients { .. } => merge::plan(self, model, ctx),
            Command::ShareView(_) | Command::UnshareView { .. } => views::plan(self, model, ctx),
            Command::Unmerge { changes } => merge::unmerge(changes, model, ctx),
            Command::Batch { .. } => Err(invalid("a batch is applied by the store, not planned as one command")),
        }
    }
}

/// An area's planner was handed another area's command (a bug in `plan`).
fn not_here(cmd: &Command) -> CommandError {
    invalid(format!("'{}' is not planned here", cmd.name()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Planner;

    fn sale(n: usize, cents: i64) -> Command {
        Command::RecordSettlement {
            client: ClientId(1),
            date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(n as u64 % 3_000),
            amount: Money(cents),
            product: None,
            doc: format!("D{n}"),
        }
    }

    /// A batch of sales, the one at `refused` (if any) too large.
    fn batch(refused: Option<usize>) -> Command {
        let commands = (0..SHRINK_FROM * 3)
            .map(|n| match refused == Some(n) {
                true => sale(n, MAX_AMOUNT_CENTS + 1),
                false => sale(n, 100 + n as i64),
            })
            .collect();
        Command::Batch {
            label: "sales".into(),
            commands,
        }
    }

    fn staged(cmd: Command, owned: bool) -> (Result<()>, Vec<Change>, Model) {
        let mut model = Planner::with_client().model;
        let settlement = |_: ClientId, _: SettlementId| Ok(None);
        let contacts = |_: ClientId| Ok(Vec::new());
        let settlements = |_: ClientId| Ok(Vec::new());
        let ctx = Context {
            who: "ann",
            seq: 9,
            settlement: &settlement,
            contacts: &contacts,
            settlements: &settlements,
        };
        let mut changes = Vec::new();
        let result = match owned {
            true => stage_owned(cmd, &mut model, &ctx, &mut changes),
            false => stage(&cmd, &mut model, &ctx, &mut changes),
        };
        (result, changes, model)
    }

    #[test]
    fn a_batch_staged_as_it_is_let_go_makes_the_same_changes_and_names_the_refused_command() {
        let (by_ref, changes, model) = staged(batch(None), false);
        let (owned, owned_changes, owned_model) = staged(batch(None), true);
        assert!(by_ref.is_ok() && owned.is_ok());
        assert_eq!(changes.len(), SHRINK_FROM * 3);
        assert_eq!(owned_changes, changes);
        assert_eq!(owned_model, model);
        // Refused after the list was given back in halves: still its index.
        let refused = SHRINK_FROM * 2 + 7;
        match staged(batch(Some(refused)), true).0 {
            Err(CommandError::InBatch { index, .. }) => assert_eq!(index, refused),
            other => panic!("{other:?}"),
        }
    }
}
