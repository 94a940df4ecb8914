//! The fan-out: how an applied command, or one another process committed
//! (PostgreSQL), reaches every session in sequence order, each as it may
//! see it, and when sessions must join again instead.

use std::sync::Arc;
use std::sync::mpsc::TrySendError;

use crate::domain::ManagerId;
use crate::protocol::{self, ToSession};
use crate::{Core, Frame, SINCE_BYTES, SINCE_FRAMES, log};

impl Core {
    /// Sends `event` to every session (as each may see it), after the
    /// ones before it; keeps it for sessions joining from the snapshot.
    pub(crate) fn publish(&mut self, event: &crate::write::Event) {
        let seq = event.seq;
        let frame = match protocol::frame(&ToSession::Event(event.clone())) {
            Ok(f) => Arc::new(f),
            // Applied but too big to push (a huge import): the sessions
            // reconnect for a fresh snapshot.
            Err(e) => {
                log(&format!("event {seq} is too large to push ({e}); sessions reconnect"));
                self.rejoin_all();
                return;
            }
        };
        let Core { data, peers, snapshot } = self;
        if let Some(snap) = snapshot.as_mut() {
            snap.since_bytes += frame.len();
            snap.since.push(frame.clone());
            // Too long to replay to a joining session: the next join encodes
            // the model afresh, and the frames are not kept meanwhile.
            if snap.since.len() >= SINCE_FRAMES || snap.since_bytes >= SINCE_BYTES {
                *snapshot = None;
            }
        }
        // Sessions that see only their own clients get the event without the
        // rest (encoded once per manager).
        let mut own: Vec<(ManagerId, Frame)> = Vec::new();
        peers.retain(|p| {
            let f = match p.sees {
                None => frame.clone(),
                Some(m) => match own.iter().find(|(o, _)| *o == m) {
                    Some((_, f)) => f.clone(),
                    None => match protocol::frame(&ToSession::Event(only_of(data.model(), event, m))) {
                        Ok(f) => {
                            let f = Arc::new(f);
                            own.push((m, f.clone()));
                            f
                        }
                        // Never the whole event instead: the session joins
                        // again for its share.
                        Err(_) => {
                            let _ = p.stream.shutdown(std::net::Shutdown::Both);
                            return false;
                        }
                    },
                },
            };
            match p.queue.try_send(f) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    log(&format!(
                        "session {} ({}) is too far behind; disconnected",
                        p.id, p.login
                    ));
                    let _ = p.stream.shutdown(std::net::Shutdown::Both);
                    false
                }
                Err(TrySendError::Disconnected(_)) => false,
            }
        });
    }

    /// Every session joins again for a new snapshot (the model changed in
    /// a way no event describes); their interfaces reconnect by themselves.
    pub(crate) fn rejoin_all(&mut self) {
        self.snapshot = None;
        for p in self.peers.drain(..) {
            let _ = p.stream.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Sessions that read only their manager's clients join again (a
    /// client changed hands: their shares changed in ways no event tells).
    pub(crate) fn rejoin_restricted(&mut self) {
        self.peers.retain(|p| {
            if p.sees.is_some() {
                log(&format!(
                    "session {} ({}): a client changed hands; it joins again",
                    p.id, p.login
                ));
                let _ = p.stream.shutdown(std::net::Shutdown::Both);
            }
            p.sees.is_none()
        });
    }

    /// Sends on what other processes committed (PostgreSQL), in order;
    /// `look`: ask the database for more first.
    pub(crate) fn relay(&mut self, look: bool) {
        let (events, replaced, moved) = self.data.arrived(look);
        if replaced {
            log("the model was read again from the database; sessions join again");
            self.rejoin_all();
            return;
        }
        for event in &events {
            self.publish(event);
        }
        if moved {
            self.rejoin_restricted();
        }
    }
}

/// `event` as manager `m` may see it: the changes about their clients and
/// the shared reference data. The summary goes only when nothing was left out.
fn only_of(model: &crate::model::Model, event: &crate::write::Event, m: ManagerId) -> crate::write::Event {
    let visible = |c: &crate::model::Change| {
        model
            .client_of(c)
            .is_none_or(|client| model.clients.get(&client).is_some_and(|cl| cl.manager == Some(m)))
    };
    let changes: Vec<_> = event.changes.iter().filter(|c| visible(c)).cloned().collect();
    let summary = if changes.len() == event.changes.len() {
        event.summary.clone()
    } else {
        String::new()
    };
    crate::write::Event {
        seq: event.seq,
        who: event.who.clone(),
        at: event.at,
        summary,
        changes,
    }
}
