//! Group commit: the commands a server's sessions sent at once, applied in
//! one transaction. One turn at the write lock, one catch-up and one
//! COMMIT serve them all, so the turns of a team's servers at the one lock
//! do not grow with their sessions. Each command is still planned against
//! the model as the ones before it left it, refused alone when it must be,
//! and logged as its own event; they are committed together or not at all.
//! When anything but a refusal goes wrong, nothing is committed and each
//! command runs again alone, for its own answer.

use chrono::{NaiveDateTime, Timelike};

use crate::{PgError, PgStore};
use rapport_core::domain::AuditEntry;
use rapport_core::model::Change;
use rapport_core::write::auth;
use rapport_core::write::{Command, Event};

/// A group commit that did not end with every command's answer.
enum Undone {
    /// Nothing was committed: run each command alone.
    Alone,
    /// The connection broke during the COMMIT.
    Commit {
        error: PgError,
        answers: Vec<Result<(), PgError>>,
        planned: Vec<(AuditEntry, Vec<Change>)>,
    },
}

impl PgStore {
    /// Applies `commands` (each recorded as its login) in order, in one
    /// transaction, stamped now: one answer per command.
    pub fn execute_batch(&mut self, commands: &[(String, Command)]) -> Vec<Result<Event, PgError>> {
        let mut once = Some(commands.to_vec());
        self.execute_group(&mut || once.take().unwrap_or_default())
    }

    /// Group commit for a process that serves many sessions: takes the
    /// write lock, then asks `waiting` for the commands (each with its
    /// login) to apply in that turn, so that every command sent while the
    /// lock was awaited joins. One answer per command, in their order.
    pub fn execute_group(
        &mut self,
        waiting: &mut dyn FnMut() -> Vec<(String, Command)>,
    ) -> Vec<Result<Event, PgError>> {
        let now = chrono::Utc::now().naive_utc();
        // PostgreSQL keeps microseconds: the events say what is stored.
        let at = now.with_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now);
        if self.replica || self.client().is_err() {
            return self.alone(&waiting(), at);
        }
        let Some(mut client) = self.client.take() else {
            return self.alone(&waiting(), at);
        };
        let mut commands = Vec::new();
        let result = self.group_on(&mut client, waiting, &mut commands, at);
        let closed = client.is_closed();
        self.client = Some(client);
        match result {
            Ok(answers) => answers,
            Err(Undone::Alone) => self.alone(&commands, at),
            Err(Undone::Commit {
                error,
                answers,
                planned,
            }) => {
                // The model holds the commands: read it again either way.
                self.stale = true;
                if !(closed || crate::connection_gone(&error)) {
                    return self.alone(&commands, at);
                }
                // All or none: the first one's event tells.
                match planned.first().and_then(|(first, _)| self.was_committed(first)) {
                    Some(true) => answer(answers, planned, true),
                    Some(false) => self.alone(&commands, at),
                    None => answer(answers, planned, false),
                }
            }
        }
    }

    fn alone(&mut self, commands: &[(String, Command)], at: NaiveDateTime) -> Vec<Result<Event, PgError>> {
        commands
            .iter()
            .map(|(who, cmd)| self.execute_as(who, at, cmd.clone()))
            .collect()
    }

    /// `commands`: those taken from `waiting`, kept for running alone.
    fn group_on(
        &mut self,
        client: &mut postgres::Client,
        waiting: &mut dyn FnMut() -> Vec<(String, Command)>,
        commands: &mut Vec<(String, Command)>,
        at: NaiveDateTime,
    ) -> Result<Vec<Result<Event, PgError>>, Undone> {
        let begun = self.begin_command(client);
        *commands = waiting();
        let mut open = begun.map_err(|_| Undone::Alone)?;
        self.named.begin(open.client).map_err(|_| Undone::Alone)?;
        let mut script = String::new();
        let mut answers = Vec::with_capacity(commands.len());
        let mut planned = Vec::with_capacity(commands.len());
        let mut moves = false;
        for (who, cmd) in commands.iter() {
            let moving = auth::moves_clients(&self.model, cmd);
            match self.plan(open.client, who, at, cmd, &mut script) {
                Ok(p) => {
                    answers.push(Ok(()));
                    planned.push(p);
                    moves |= moving;
                }
                Err((e, false)) => answers.push(Err(e)),
                // Part of it is in the model: nothing of the group is kept.
                Err((_, true)) => {
                    self.stale = true;
                    return Err(Undone::Alone);
                }
            }
        }
        if !planned.is_empty() {
            script.push_str("COMMIT");
            if let Err(e) = open.client.batch_execute(&script) {
                return Err(Undone::Commit {
                    error: e.into(),
                    answers,
                    planned,
                });
            }
            open.committed();
            self.named.sent();
        }
        // A client changed hands: sessions that see one manager's clients
        // are told as for one another process committed (`take_moved`).
        self.moved |= moves;
        Ok(answer(answers, planned, true))
    }
}

/// Each command's answer: its event when the group was `committed`, else
/// that its outcome is unknown; a refusal as it was.
fn answer(
    answers: Vec<Result<(), PgError>>,
    planned: Vec<(AuditEntry, Vec<Change>)>,
    committed: bool,
) -> Vec<Result<Event, PgError>> {
    let mut planned = planned.into_iter();
    answers
        .into_iter()
        .map(|a| {
            a.and_then(|()| match planned.next() {
                Some((audit, changes)) if committed => Ok(Event::of(audit, changes)),
                Some((audit, _)) => Err(PgError::Unknown {
                    seq: audit.seq,
                    summary: audit.summary,
                }),
                None => Err(crate::lost()),
            })
        })
        .collect()
}
