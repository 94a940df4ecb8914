//! A session's command: applied under the store lock, its event pushed to
//! every session in sequence order. On PostgreSQL the commands sessions
//! send while one is being applied wait, and the next session to hold the
//! lock applies them all in one transaction (group commit): the host's
//! turns at the database's one write lock serve all its sessions at once.

use std::sync::mpsc;

use crate::domain::ManagerId;
use crate::protocol::Refusal;
use crate::write::Command;
use crate::{Core, Shared};
use rapport_core::backend::BackendError;
use rapport_core::write::auth::{self, User};

/// A command waiting for the lock, and where its answer goes.
pub(crate) struct Waiting {
    user: User,
    command: Command,
    answer: mpsc::Sender<Result<u64, Refusal>>,
}

/// Applies a session's command (with those waiting beside it) and answers
/// with its event's sequence.
pub(crate) fn execute(shared: &Shared, user: &User, command: Command) -> Result<u64, Refusal> {
    let (answer, answered) = mpsc::channel();
    let waiting = Waiting {
        user: user.clone(),
        command,
        answer,
    };
    lock(shared).push(waiting);
    {
        let mut core = shared
            .core()
            .ok_or_else(|| Refusal::Failed("the server is stopping".into()))?;
        // Empty when the session that held the lock before took ours:
        // then its answer is sent already.
        if !lock(shared).is_empty() && !apply_group(&mut core, shared) {
            for one in std::mem::take(&mut *lock(shared)) {
                let result = apply(&mut core, &one.user, one.command);
                let _ = one.answer.send(result);
            }
        }
    }
    answered
        .recv()
        .unwrap_or_else(|_| Err(Refusal::Failed("the server is stopping".into())))
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Vec<Waiting>> {
    // A list of answers to send: a panic elsewhere leaves it usable.
    shared.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Applies one command and pushes its event to every session, all under
/// the lock, so that every session sees the events in sequence order (on
/// PostgreSQL, other processes' commands that came before it go first).
fn apply(core: &mut Core, user: &User, command: Command) -> Result<u64, Refusal> {
    auth::authorize(core.data.model(), user, &command).map_err(Refusal::Denied)?;
    let moves = auth::moves_clients(core.data.model(), &command);
    let applied = core.data.execute(&user.login, command);
    core.relay(false);
    let event = applied.map_err(refusal)?;
    core.publish(&event);
    if moves {
        core.rejoin_restricted();
    }
    Ok(event.seq)
}

/// On PostgreSQL, applies what is waiting once the database's write lock
/// is held (what came meanwhile joins), in one transaction; PostgreSQL
/// plans each command against the model as the ones before it left it,
/// with the rules `apply` checks. Then pushes the other processes' events
/// that came before the group, then its own. False on sled (nothing taken).
fn apply_group(core: &mut Core, shared: &Shared) -> bool {
    let mut answers = Vec::new();
    let Some(results) = core.data.execute_group(&mut || {
        std::mem::take(&mut *lock(shared))
            .into_iter()
            .map(|one| {
                answers.push(one.answer);
                (one.user.login, one.command)
            })
            .collect()
    }) else {
        return false;
    };
    // A client that changed hands in the group makes restricted sessions
    // join again here, as one another process handed over does.
    core.relay(false);
    for (answer, result) in answers.into_iter().zip(results) {
        let result = result.map_err(refusal).map(|event| {
            core.publish(&event);
            event.seq
        });
        let _ = answer.send(result);
    }
    true
}

fn refusal(e: BackendError) -> Refusal {
    match e {
        BackendError::Command(c) => Refusal::Command(c),
        BackendError::Denied(why) => Refusal::Denied(why),
        e => Refusal::Failed(e.to_string()),
    }
}

/// A refusal as a session that sees only its manager's clients may read
/// it: nothing about another manager's clients (not whose they are, not
/// that a ref belongs to one). A ref is unique across the team, so that it
/// is taken cannot be hidden, but it is told like any unusable ref.
pub(crate) fn hide_for(sees: Option<ManagerId>, refusal: Refusal) -> Refusal {
    if sees.is_none() {
        return refusal;
    }
    fn taken_ref(e: &crate::write::CommandError) -> Option<String> {
        use crate::write::CommandError;
        match e {
            CommandError::AlreadyExists(what) => what.strip_prefix("client ").map(str::to_string),
            CommandError::InBatch { source, .. } => taken_ref(source),
            _ => None,
        }
    }
    match refusal {
        Refusal::Denied(_) => Refusal::Denied("that is not one of your clients".into()),
        Refusal::Command(c) => match taken_ref(&c) {
            Some(reference) => Refusal::Denied(format!(
                "the ref {reference} cannot be used (refs are unique across the team); choose another"
            )),
            None => Refusal::Command(c),
        },
        other => other,
    }
}
