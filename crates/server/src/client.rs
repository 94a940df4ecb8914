//! A session's end of the socket: a copy of the model kept current by the
//! server's events, and the store's calls (`execute`, the reads) as
//! requests. A reader thread decodes frames into an inbox; the owner of the
//! `Remote` applies them, so the model only changes on its own thread.

use std::io::{Read as _, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};

use super::protocol::{self, FrameError, Held, MAX_SNAPSHOT, PROTOCOL_VERSION, Read, Refusal, ToServer, ToSession};
use crate::domain::*;
use crate::model::Model;
use crate::store::codec;
use crate::write::{Command, Event};
use rapport_core::backend::{Backend, BackendError, BackupSummary, HistoryEntry, VerifyReport};
use rapport_core::find::named::{Named, Wanted};
use rapport_core::queue::Item;

pub use rapport_core::backend::Waker;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Nothing listens there (no socket, or a socket left by a dead server).
    #[error("no rapport server is listening on {0}")]
    NoServer(PathBuf),
    #[error("the server on {socket} refused the session: {reason}")]
    Refused { socket: PathBuf, reason: String },
    #[error("the server on {socket} failed during the hello: {reason}")]
    Failed { socket: PathBuf, reason: String },
    /// The socket is there but this user may not connect to it.
    #[error(
        "{0}: permission denied; a team's socket is open to the members of its group only \
         (ask your team lead to add you to it, then log in again)"
    )]
    Denied(PathBuf),
    /// The process answering is not the database's server.
    #[error("{0}")]
    Untrusted(String),
}

enum Incoming {
    Msg(ToSession),
    Closed(String),
}

pub struct Remote {
    socket: PathBuf,
    model: Model,
    stream: UnixStream,
    inbox: Receiver<Incoming>,
    waker: Arc<Mutex<Option<Waker>>>,
    next_id: u64,
    /// Events received while waiting for an answer, not yet handed out.
    pending: Vec<Event>,
    closed: Option<String>,
    /// The server let this session keep the model it holds: `adopt`
    /// hands it over before anything else is done with this `Remote`.
    kept: bool,
    /// The session offered a model and the server sent a newer one.
    replaced: bool,
    /// The model is the whole book (or the user's share), not empty or
    /// a part for one command (`hold`).
    whole: bool,
    pub login: String,
    pub manager: Option<ManagerId>,
    pub role: Role,
}

impl Remote {
    /// Connects, says hello, and receives the model. `claimed_login` is
    /// for servers started with `--trust-claimed-logins` (tests).
    pub fn connect(socket: &Path, claimed_login: Option<String>) -> Result<Remote, ConnectError> {
        Remote::connect_with(socket, claimed_login, None)
    }

    /// Connects for one command: no model is sent (its `model()` is empty;
    /// refs are resolved by the server, `named`).
    pub fn connect_for_command(socket: &Path, claimed_login: Option<String>) -> Result<Remote, ConnectError> {
        Remote::connect_as(socket, claimed_login, None, false)
    }

    /// `connect`, saying which model the session holds (`have`): when it
    /// is the server's, nothing is sent and `kept()` is true.
    pub fn connect_with(
        socket: &Path,
        claimed_login: Option<String>,
        have: Option<Held>,
    ) -> Result<Remote, ConnectError> {
        Remote::connect_as(socket, claimed_login, have, true)
    }

    fn connect_as(
        socket: &Path,
        claimed_login: Option<String>,
        have: Option<Held>,
        wants_model: bool,
    ) -> Result<Remote, ConnectError> {
        let failed = |reason: String| ConnectError::Failed {
            socket: socket.to_path_buf(),
            reason,
        };
        let mut stream = UnixStream::connect(socket).map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => ConnectError::Denied(socket.to_path_buf()),
            _ => ConnectError::NoServer(socket.to_path_buf()),
        })?;
        // Nothing is sent (not even the login) to a process that is not
        // the database's server.
        super::trust::verify_server(&stream, socket).map_err(|u| ConnectError::Untrusted(u.0))?;
        protocol::write_frame(
            &mut stream,
            &ToServer::Hello {
                protocol: PROTOCOL_VERSION,
                app: format!("rapport {}", env!("CARGO_PKG_VERSION")),
                claimed_login,
                have,
                model: wants_model,
            },
        )
        .map_err(|e| failed(e.to_string()))?;
        let (login, manager, role, len, seq, kept) = match protocol::read_frame::<ToSession>(&mut stream) {
            Ok(ToSession::Welcome {
                protocol: _,
                login,
                manager,
                role,
                snapshot_len,
                seq,
                kept,
            }) => (login, manager, role, snapshot_len, seq, kept),
            Ok(ToSession::Refused(reason)) => {
                return Err(ConnectError::Refused {
                    socket: socket.to_path_buf(),
                    reason,
                });
            }
            Ok(other) => return Err(failed(format!("unexpected first answer {other:?}"))),
            // A server of another schema version cannot even frame its
            // refusal in our envelope.
            Err(FrameError::Codec(e)) => {
                return Err(failed(format!(
                    "its answer does not decode ({e}); is it another rapport version?"
                )));
            }
            Err(e) => return Err(failed(e.to_string())),
        };
        if kept && have.is_none_or(|h| h.seq != seq) {
            return Err(failed("it let the session keep a model it does not hold".into()));
        }
        let model = if kept || !wants_model {
            // A placeholder until `adopt`, or none at all.
            Model::default()
        } else {
            if len > MAX_SNAPSHOT {
                return Err(failed(format!("a snapshot of {len} bytes is beyond the limit")));
            }
            // Its size is known (and bounded above): one allocation, not a
            // doubling one that ends a third larger than the model's bytes.
            let mut bytes = Vec::new();
            bytes
                .try_reserve_exact(usize::try_from(len).unwrap_or(usize::MAX))
                .map_err(|e| failed(format!("no memory for a model of {len} bytes: {e}")))?;
            (&mut stream)
                .take(len)
                .read_to_end(&mut bytes)
                .map_err(|e| failed(format!("receiving the model: {e}")))?;
            if bytes.len() as u64 != len {
                return Err(failed("the connection closed while sending the model".into()));
            }
            codec::decode_snapshot(&bytes)
                .map_err(|e| failed(format!("the model does not decode: {e}")))?
                .model
        };
        let reader = stream.try_clone().map_err(|e| failed(e.to_string()))?;
        let (tx, inbox) = mpsc::channel();
        let waker: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let wake = waker.clone();
        std::thread::spawn(move || {
            let mut reader = reader;
            loop {
                let incoming = match protocol::read_frame::<ToSession>(&mut reader) {
                    Ok(msg) => Incoming::Msg(msg),
                    Err(FrameError::Closed) => Incoming::Closed("the server closed the connection".into()),
                    Err(e) => Incoming::Closed(format!("the connection to the server broke: {e}")),
                };
                let last = matches!(incoming, Incoming::Closed(_));
                if tx.send(incoming).is_err() {
                    return;
                }
                if let Ok(w) = wake.lock()
                    && let Some(w) = w.as_ref()
                {
                    w();
                }
                if last {
                    return;
                }
            }
        });
        let mut remote = Remote {
            socket: socket.to_path_buf(),
            model,
            stream,
            inbox,
            waker,
            next_id: 1,
            pending: Vec::new(),
            closed: None,
            kept,
            replaced: have.is_some() && !kept,
            whole: wants_model,
            login,
            manager,
            role,
        };
        // The events between the snapshot and now are history, not news:
        // apply them before handing out the model.
        while !kept && wants_model && remote.model.counters.seq < seq {
            match remote.inbox.recv() {
                Ok(Incoming::Msg(ToSession::Event(e))) => remote.apply(&e),
                Ok(Incoming::Msg(_)) => {}
                Ok(Incoming::Closed(reason)) => return Err(failed(reason)),
                Err(_) => return Err(failed("the connection closed while sending the model".into())),
            }
        }
        Ok(remote)
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Whether the server let this session keep the model it holds.
    pub fn kept(&self) -> bool {
        self.kept
    }

    /// Whether the session offered its model and got a newer one instead
    /// (once: what was derived from the old model must be rebuilt).
    pub fn take_replaced(&mut self) -> bool {
        std::mem::take(&mut self.replaced)
    }

    /// Takes the model the session held when it said hello (after `kept`).
    pub fn adopt(&mut self, model: Model) {
        self.model = model;
        self.kept = false;
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Why the connection ended, once it has.
    pub fn closed(&self) -> Option<&str> {
        self.closed.as_deref()
    }

    pub fn set_waker(&mut self, waker: Waker) {
        if let Ok(mut w) = self.waker.lock() {
            *w = Some(waker);
        }
    }

    fn apply(&mut self, event: &Event) {
        // Events come in sequence order; one already in the snapshot is skipped.
        if event.seq <= self.model.counters.seq {
            return;
        }
        for change in &event.changes {
            self.model.apply(change);
        }
        self.model.counters.seq = event.seq;
    }

    /// Applies what the server pushed since the last call and returns
    /// those events (other sessions' commands), oldest first.
    pub fn poll_events(&mut self) -> Vec<Event> {
        loop {
            match self.inbox.try_recv() {
                Ok(Incoming::Msg(ToSession::Event(e))) => {
                    self.apply(&e);
                    self.pending.push(e);
                }
                Ok(Incoming::Msg(ToSession::Closing(reason))) | Ok(Incoming::Closed(reason)) => {
                    self.closed.get_or_insert(reason);
                }
                Ok(Incoming::Msg(_)) => {}
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.closed
                        .get_or_insert_with(|| "the connection to the server ended".into());
                    break;
                }
            }
        }
        std::mem::take(&mut self.pending)
    }

    fn lost(&self) -> BackendError {
        BackendError::Server(format!(
            "lost the connection to the server ({}); reconnect and check whether the last change was saved",
            self.closed.as_deref().unwrap_or("no reason given")
        ))
    }

    fn send(&mut self, msg: &ToServer) -> Result<(), BackendError> {
        if self.closed.is_some() {
            return Err(self.lost());
        }
        let bytes = protocol::frame(msg).map_err(|e| BackendError::Server(format!("cannot send: {e}")))?;
        if let Err(e) = self.stream.write_all(&bytes) {
            self.closed.get_or_insert(e.to_string());
            return Err(self.lost());
        }
        Ok(())
    }

    /// Waits for the next message that is not an event (events are applied
    /// and kept for `poll_events`).
    fn next_answer(&mut self) -> Result<ToSession, BackendError> {
        loop {
            match self.inbox.recv() {
                Ok(Incoming::Msg(ToSession::Event(e))) => {
                    self.apply(&e);
                    self.pending.push(e);
                }
                Ok(Incoming::Msg(ToSession::Closing(reason))) | Ok(Incoming::Closed(reason)) => {
                    self.closed.get_or_insert(reason);
                    return Err(self.lost());
                }
                Ok(Incoming::Msg(msg)) => return Ok(msg),
                Err(_) => {
                    self.closed
                        .get_or_insert_with(|| "the connection to the server ended".into());
                    return Err(self.lost());
                }
            }
        }
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Sends `cmd` and waits until the server has applied and flushed it.
    /// The audit trail names the login the server authenticated, so there
    /// is no "who" to pass.
    pub fn execute(&mut self, cmd: Command) -> Result<Event, BackendError> {
        let id = self.id();
        self.send(&ToServer::Execute { id, command: cmd })?;
        loop {
            match self.next_answer()? {
                ToSession::Done { id: done, result } if done == id => {
                    return match result {
                        Ok(seq) => {
                            // Our event arrived before the answer, like any other.
                            match self.pending.iter().position(|e| e.seq == seq) {
                                Some(i) => Ok(self.pending.remove(i)),
                                None => Err(BackendError::Server(format!(
                                    "the server confirmed change {seq} but did not send it"
                                ))),
                            }
                        }
                        Err(Refusal::Command(c)) => Err(BackendError::Command(c)),
                        Err(Refusal::Denied(why)) => Err(BackendError::Denied(why)),
                        Err(Refusal::Failed(why)) => Err(BackendError::Server(why)),
                    };
                }
                _ => {}
            }
        }
    }

    fn read(&mut self, read: Read) -> Result<u64, BackendError> {
        let id = self.id();
        self.send(&ToServer::Read { id, read })?;
        Ok(id)
    }

    fn settlements(&mut self, read: Read) -> Result<Vec<Settlement>, BackendError> {
        let id = self.read(read)?;
        let mut all = Vec::new();
        loop {
            if let ToSession::Settlements { id: got, result, more } = self.next_answer()?
                && got == id
            {
                all.extend(result.map_err(BackendError::Server)?);
                if !more {
                    return Ok(all);
                }
            }
        }
    }

    fn contacts(&mut self, read: Read) -> Result<Vec<ContactEntry>, BackendError> {
        let id = self.read(read)?;
        loop {
            if let ToSession::Contacts { id: got, result } = self.next_answer()?
                && got == id
            {
                return result.map_err(BackendError::Server);
            }
        }
    }

    pub fn settlements_of(&mut self, client: ClientId) -> Result<Vec<Settlement>, BackendError> {
        self.settlements(Read::SettlementsOf(client))
    }

    pub fn all_settlements(&mut self) -> Result<Vec<Settlement>, BackendError> {
        self.settlements(Read::AllSettlements)
    }

    pub fn contacts_of(&mut self, client: ClientId) -> Result<Vec<ContactEntry>, BackendError> {
        self.contacts(Read::ContactsOf(client))
    }

    pub fn contacts_between(&mut self, from: NaiveDate, to: NaiveDate) -> Result<Vec<ContactEntry>, BackendError> {
        self.contacts(Read::ContactsBetween(from, to))
    }

    /// The server's logical backup, written to `out` as it arrives.
    pub fn backup(&mut self, out: &mut dyn Write, taken: NaiveDateTime) -> Result<(), BackendError> {
        let id = self.read(Read::Backup { taken })?;
        loop {
            if let ToSession::Text { id: got, result, more } = self.next_answer()?
                && got == id
            {
                out.write_all(result.map_err(BackendError::Server)?.as_bytes())?;
                if !more {
                    return Ok(());
                }
            }
        }
    }

    /// The server's `verify` of the database it holds.
    pub fn verify(&mut self) -> Result<VerifyReport, BackendError> {
        self.json_answer(Read::Verify, "the report", BackendError::Server)
    }

    /// A client's history, as the server reads it from its change log.
    pub fn history_of(&mut self, client: ClientId) -> Result<Vec<HistoryEntry>, BackendError> {
        self.json_answer(Read::HistoryOf(client), "the history", BackendError::Server)
    }

    /// The authenticated user's last command not undone.
    pub fn last_undoable(&mut self) -> Result<Option<(Event, rapport_core::write::undo::Prior)>, BackendError> {
        self.json_answer(Read::LastUndoable, "the last command", BackendError::Server)
    }

    /// The queue item `item` names as of `as_of`, as the server finds it;
    /// a refusal is the user's input error.
    pub fn due_item(&mut self, item: &str, as_of: NaiveDate) -> Result<(Item, Option<String>), BackendError> {
        let read = Read::DueItem {
            id: item.to_string(),
            as_of,
        };
        self.json_answer(read, "the queue item", input_refused)
    }

    /// The client a ref names, its person and a product, as the server
    /// resolves them; a refusal is the user's input error.
    pub fn named(
        &mut self,
        reference: &str,
        person: Option<&str>,
        product: Option<&str>,
    ) -> Result<Named, BackendError> {
        let read = Read::Named {
            reference: reference.to_string(),
            person: person.map(str::to_string),
            product: product.map(str::to_string),
        };
        self.json_answer(read, "the named client", input_refused)
    }

    /// What a read-only command line prints, as the server computes it
    /// from its data, written to `out` as it arrives; a refusal is the
    /// user's input error.
    pub fn query(&mut self, args: &[String], colour: bool, out: &mut dyn Write) -> Result<(), BackendError> {
        let id = self.read(Read::Query {
            args: args.to_vec(),
            colour,
        })?;
        loop {
            if let ToSession::Text { id: got, result, more } = self.next_answer()?
                && got == id
            {
                let chunk = result.map_err(input_refused)?;
                out.write_all(chunk.as_bytes())?;
                if !more {
                    return Ok(());
                }
            }
        }
    }

    /// For a session for one command (which holds no model): the part of
    /// the server's model that holds what `wanted` names and the shared
    /// reference data, to read as if it were the whole. A session that
    /// holds the whole model already holds it.
    pub fn hold(&mut self, wanted: &Wanted) -> Result<(), BackendError> {
        if self.whole {
            return Ok(());
        }
        let id = self.read(Read::Part(wanted.clone()))?;
        let bytes = loop {
            if let ToSession::Part { id: got, result } = self.next_answer()?
                && got == id
            {
                break result.map_err(input_refused)?;
            }
        };
        let part = codec::decode_snapshot(&bytes)
            .map_err(|e| BackendError::Server(format!("the records sent do not decode: {e}")))?
            .model;
        // Events the server pushed after reading the part may have come
        // before it: they belong on the part too.
        self.model = part;
        for event in std::mem::take(&mut self.pending) {
            self.apply(&event);
            self.pending.push(event);
        }
        Ok(())
    }

    /// A read answered with one JSON `Text`.
    fn json_answer<T: serde::de::DeserializeOwned>(
        &mut self,
        read: Read,
        what: &str,
        refused: fn(String) -> BackendError,
    ) -> Result<T, BackendError> {
        let id = self.read(read)?;
        loop {
            if let ToSession::Text { id: got, result, .. } = self.next_answer()?
                && got == id
            {
                let text = result.map_err(refused)?;
                return serde_json::from_str(&text)
                    .map_err(|e| BackendError::Server(format!("{what} does not decode: {e}")));
            }
        }
    }

    /// Waits up to `timeout` for the next pushed event (tests and scripts).
    pub fn wait_event(&mut self, timeout: Duration) -> Option<Event> {
        if let Some(e) = (!self.pending.is_empty()).then(|| self.pending.remove(0)) {
            return Some(e);
        }
        match self.inbox.recv_timeout(timeout) {
            Ok(Incoming::Msg(ToSession::Event(e))) => {
                self.apply(&e);
                Some(e)
            }
            Ok(Incoming::Msg(ToSession::Closing(reason)) | Incoming::Closed(reason)) => {
                self.closed.get_or_insert(reason);
                None
            }
            _ => None,
        }
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

/// A server session: the server records the login it authenticated, so
/// `who` is not sent.
impl Backend for Remote {
    fn model(&self) -> &Model {
        &self.model
    }

    fn execute(&mut self, _who: &str, cmd: Command) -> Result<Event, BackendError> {
        Remote::execute(self, cmd)
    }

    fn settlements_of(&mut self, client: ClientId) -> Result<Vec<Settlement>, BackendError> {
        Remote::settlements_of(self, client)
    }

    /// The server sends them all first.
    fn each_settlement(&mut self, visit: &mut dyn FnMut(&Model, Settlement) -> bool) -> Result<(), BackendError> {
        for s in self.all_settlements()? {
            if !visit(&self.model, s) {
                break;
            }
        }
        Ok(())
    }

    fn contacts_of(&mut self, client: ClientId) -> Result<Vec<ContactEntry>, BackendError> {
        Remote::contacts_of(self, client)
    }

    fn contacts_between(&mut self, from: NaiveDate, to: NaiveDate) -> Result<Vec<ContactEntry>, BackendError> {
        Remote::contacts_between(self, from, to)
    }

    fn write_backup(&mut self, out: &mut dyn Write, taken: NaiveDateTime) -> Result<BackupSummary, BackendError> {
        let mut counted = LineCounter {
            out,
            lines: 0,
            first: Vec::new(),
        };
        self.backup(&mut counted, taken)?;
        let header: crate::store::backup::Header = serde_json::from_slice(&counted.first)
            .map_err(|e| BackendError::Server(format!("the server's backup has no readable header: {e}")))?;
        // The header, the settings, the counters and the trailer are not
        // records.
        Ok(BackupSummary {
            records: counted.lines.saturating_sub(4),
            seq: header.seq,
        })
    }

    fn verify(&mut self) -> Result<VerifyReport, BackendError> {
        Remote::verify(self)
    }

    fn history_of(&mut self, client: ClientId) -> Result<Vec<HistoryEntry>, BackendError> {
        Remote::history_of(self, client)
    }

    fn named(&mut self, reference: &str, person: Option<&str>, product: Option<&str>) -> Result<Named, BackendError> {
        Remote::named(self, reference, person, product)
    }

    fn due_item(&mut self, item: &str, as_of: NaiveDate) -> Result<(Item, Option<String>), BackendError> {
        Remote::due_item(self, item, as_of)
    }

    fn hold(&mut self, wanted: &Wanted) -> Result<(), BackendError> {
        Remote::hold(self, wanted)
    }

    fn query(&mut self, args: &[String], colour: bool, out: &mut dyn Write) -> Option<Result<(), BackendError>> {
        Some(Remote::query(self, args, colour, out))
    }

    fn last_undoable(&mut self, _who: &str) -> Result<Option<(Event, rapport_core::write::undo::Prior)>, BackendError> {
        Remote::last_undoable(self)
    }

    fn is_remote(&self) -> bool {
        true
    }

    fn through_server(&self) -> bool {
        true
    }

    fn poll_events(&mut self) -> Vec<Event> {
        Remote::poll_events(self)
    }

    fn connection_lost(&self) -> Option<String> {
        self.closed.clone()
    }

    fn set_waker(&mut self, waker: Waker) {
        Remote::set_waker(self, waker);
    }

    fn poll_replaced(&mut self) -> bool {
        self.take_replaced()
    }

    /// The server keeps its own snapshot and backups.
    fn close(&mut self, _today: NaiveDate) -> Result<(), BackendError> {
        Ok(())
    }
}

/// Counts the lines written through it and keeps the first (the header).
struct LineCounter<'a> {
    out: &'a mut dyn Write,
    lines: u64,
    first: Vec<u8>,
}

impl Write for LineCounter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        let written = buf.get(..n).unwrap_or(buf);
        if self.lines == 0 {
            let end = written.iter().position(|b| *b == b'\n').unwrap_or(written.len());
            self.first.extend_from_slice(written.get(..end).unwrap_or(written));
        }
        self.lines += written.iter().filter(|b| **b == b'\n').count() as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// A server's refusal of what the user typed (an unknown ref, an item not
/// due): their input error, as a store here would say it.
fn input_refused(why: String) -> BackendError {
    BackendError::Command(rapport_core::write::CommandError::Invalid(why))
}
