//! The wire format between sessions and the server.
//!
//! A frame is a big-endian u32 length, then that many bytes: one value in
//! the codec's envelope (magic, kind, schema version, bincode payload,
//! CRC), so a frame is checked like a record and decoding never panics.
//! The one exception is the model snapshot that follows `Welcome`: it is
//! already an envelope of its own (with its own checksum) and travels as
//! `snapshot_len` raw bytes, not copied into a frame.
//!
//! A session opens with `Hello` carrying `PROTOCOL_VERSION`; the server
//! answers `Welcome` (then the snapshot, then every event in order) or
//! `Refused` with a message for the user.

use std::io::{self, Read as _, Write};

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::domain::*;
use crate::store::codec::{self, CodecError, Record};
use crate::write::{Command, CommandError, Event};

/// Bump when a message changes shape or meaning (3: `EditPerson`,
/// `ClearMark`, the settlements' `expected_seq`, `Read::HistoryOf`; 4: the
/// trash and corrections commands, `Read::LastUndoable`; 5: the sales
/// process commands of SPEC §9, `OfferMove::competitor`; 8: `Read::Part`).
pub const PROTOCOL_VERSION: u32 = 8;

/// A model a session already holds: the database it was read from (its
/// creation time) and its sequence number. A session that opened the
/// database itself and then handed it to a server says so in its hello,
/// and keeps its model instead of receiving a copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub created: NaiveDateTime,
    pub seq: u64,
}

/// The largest frame either side accepts: a whole import fits (a
/// 100,000-row settlement file is a few MiB), a bogus length does not make
/// the reader allocate gigabytes.
pub const MAX_FRAME: u32 = 64 * 1024 * 1024;

/// The largest hello a server reads: a peer not yet authenticated cannot
/// make it allocate more.
pub const MAX_HELLO: u32 = 4 * 1024;

/// The largest model snapshot a session accepts after `Welcome`.
pub const MAX_SNAPSHOT: u64 = 8 * 1024 * 1024 * 1024;

/// What a session sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToServer {
    Hello {
        protocol: u32,
        /// The sender's program version, for the server's log.
        app: String,
        /// Honoured only by a server started with the hidden
        /// `--trust-claimed-logins` (tests run many "users" from one Unix
        /// account); otherwise the login comes from the socket's peer uid.
        claimed_login: Option<String>,
        /// The model the session holds, if any.
        have: Option<Held>,
        /// False for a one-shot command that needs no model (`rapport
        /// log`): nothing is sent but the welcome and the answers.
        model: bool,
    },
    Execute {
        id: u64,
        command: Command,
    },
    Read {
        id: u64,
        read: Read,
    },
}

/// Reads of what the model does not hold in memory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Read {
    SettlementsOf(ClientId),
    ContactsOf(ClientId),
    ContactsBetween(NaiveDate, NaiveDate),
    /// Every settlement, in chunks (`more: true` until the last).
    AllSettlements,
    /// The logical backup (JSON lines), in chunks.
    Backup {
        taken: NaiveDateTime,
    },
    /// `rapport verify` of the database the server holds: the report as
    /// JSON in one `Text` answer.
    Verify,
    /// A client's history: the entries as JSON in one `Text` answer.
    HistoryOf(ClientId),
    /// The authenticated user's last command not undone, and the records it
    /// replaced, as JSON in one `Text` answer.
    LastUndoable,
    /// A read-only command line (`today`, `classes`) run by the server on
    /// its model: what it prints, in `Text` chunks (`colour`: the asker's
    /// terminal takes colour).
    Query {
        args: Vec<String>,
        colour: bool,
    },
    /// The client a ref names, its person by name and a product by code
    /// (`find::named`), as JSON in one `Text` answer; the refusal in words.
    Named {
        reference: String,
        person: Option<String>,
        product: Option<String>,
    },
    /// The queue item an id names as of a date (`queue::due_item`), as
    /// JSON in one `Text` answer; the refusal in words.
    DueItem {
        id: String,
        as_of: NaiveDate,
    },
    /// The part of the model that holds what a one-shot command names
    /// (`Wanted::part_of`), encoded as a snapshot in one `Part` answer.
    Part(rapport_core::find::named::Wanted),
}

/// Why the server did not apply a command.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum Refusal {
    /// The command itself is wrong or stale: nothing was changed.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The authenticated user may not make this change.
    #[error("not allowed: {0}")]
    Denied(String),
    /// The server could not write it (disk full, I/O error…).
    #[error("the server could not apply it: {0}")]
    Failed(String),
}

/// What the server sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToSession {
    Welcome {
        protocol: u32,
        login: String,
        /// None for the database's owner who is not a manager.
        manager: Option<ManagerId>,
        role: Role,
        /// The raw snapshot bytes that follow this frame; the events after
        /// it bring it to `seq`, the server's sequence number now.
        snapshot_len: u64,
        seq: u64,
        /// The model the session holds is current and whole: no snapshot
        /// or events follow, the session keeps it.
        kept: bool,
    },
    Refused(String),
    /// An applied command, to every session, in sequence order.
    Event(Event),
    /// The answer to `Execute`: the sequence number of its event, which
    /// this session has already received.
    Done {
        id: u64,
        result: Result<u64, Refusal>,
    },
    Settlements {
        id: u64,
        result: Result<Vec<Settlement>, String>,
        more: bool,
    },
    Contacts {
        id: u64,
        result: Result<Vec<ContactEntry>, String>,
    },
    Text {
        id: u64,
        result: Result<String, String>,
        more: bool,
    },
    /// The server is stopping or dropped this session; the reason is for the user.
    Closing(String),
    /// The answer to `Read::Part`: a snapshot of that part of the model.
    Part {
        id: u64,
        result: Result<Vec<u8>, String>,
    },
}

// The frames travel in the store's envelope, under kinds of their own.
impl Record for ToServer {
    const KIND: codec::RecordKind = codec::RecordKind::ToServer;
}

impl Record for ToSession {
    const KIND: codec::RecordKind = codec::RecordKind::ToSession;
}

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("connection closed")]
    Closed,
    #[error("frame of {0} bytes is larger than the limit of {1} bytes")]
    Oversized(u64, u32),
    #[error("frame does not decode: {0}")]
    Codec(#[from] CodecError),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Encodes one value as a frame: length, then the envelope.
pub fn frame<R: Record>(value: &R) -> Result<Vec<u8>, FrameError> {
    let body = codec::encode(value)?;
    let len = u32::try_from(body.len())
        .ok()
        .filter(|n| *n <= MAX_FRAME)
        .ok_or(FrameError::Oversized(body.len() as u64, MAX_FRAME))?;
    let mut out = Vec::with_capacity(4 + body.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

pub fn write_frame<R: Record>(out: &mut impl Write, value: &R) -> Result<(), FrameError> {
    out.write_all(&frame(value)?)?;
    Ok(())
}

/// Reads one frame. The length is checked before anything is allocated;
/// a clean end of stream before a frame starts is `Closed`.
pub fn read_frame<R: Record>(input: &mut impl io::Read) -> Result<R, FrameError> {
    read_frame_max(input, MAX_FRAME)
}

/// `read_frame` with a lower limit: before a peer is authenticated it may
/// make the server allocate no more than `max` bytes.
pub fn read_frame_max<R: Record>(input: &mut impl io::Read, max: u32) -> Result<R, FrameError> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match input.read(&mut len[got..]) {
            Ok(0) if got == 0 => return Err(FrameError::Closed),
            Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let len = u32::from_be_bytes(len);
    if len > max {
        return Err(FrameError::Oversized(u64::from(len), max));
    }
    let mut body = Vec::new();
    input.take(u64::from(len)).read_to_end(&mut body)?;
    if body.len() != len as usize {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
    }
    Ok(codec::decode(&body)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello() -> ToServer {
        ToServer::Hello {
            protocol: PROTOCOL_VERSION,
            app: "test".into(),
            claimed_login: Some("anna".into()),
            model: true,
            have: Some(Held {
                created: NaiveDateTime::default(),
                seq: 7,
            }),
        }
    }

    #[test]
    fn a_frame_round_trips() {
        let bytes = frame(&hello()).unwrap();
        let back: ToServer = read_frame(&mut bytes.as_slice()).unwrap();
        assert_eq!(back, hello());
    }

    #[test]
    fn two_frames_in_a_row_are_read_one_at_a_time() {
        let mut bytes = frame(&hello()).unwrap();
        bytes.extend(
            frame(&ToServer::Read {
                id: 7,
                read: Read::AllSettlements,
            })
            .unwrap(),
        );
        let mut input = bytes.as_slice();
        assert_eq!(read_frame::<ToServer>(&mut input).unwrap(), hello());
        assert!(matches!(
            read_frame::<ToServer>(&mut input).unwrap(),
            ToServer::Read { id: 7, .. }
        ));
        assert!(matches!(read_frame::<ToServer>(&mut input), Err(FrameError::Closed)));
    }

    #[test]
    fn a_huge_length_is_refused_before_allocating() {
        let bytes = (1u32 << 30).to_be_bytes();
        assert!(matches!(
            read_frame::<ToServer>(&mut bytes.as_slice()),
            Err(FrameError::Oversized(n, _)) if n == 1 << 30
        ));
    }

    #[test]
    fn a_hello_over_its_cap_is_refused_before_allocating() {
        let mut bytes = (MAX_HELLO + 1).to_be_bytes().to_vec();
        bytes.extend(std::iter::repeat_n(0u8, 64));
        assert!(matches!(
            read_frame_max::<ToServer>(&mut bytes.as_slice(), MAX_HELLO),
            Err(FrameError::Oversized(n, MAX_HELLO)) if n == u64::from(MAX_HELLO) + 1
        ));
        let hello = frame(&hello()).unwrap();
        assert!(hello.len() < MAX_HELLO as usize, "a real hello fits its cap");
        assert_eq!(
            read_frame_max::<ToServer>(&mut hello.as_slice(), MAX_HELLO).unwrap(),
            self::tests::hello()
        );
    }

    #[test]
    fn truncated_and_damaged_frames_are_errors() {
        let bytes = frame(&hello()).unwrap();
        for cut in 1..bytes.len() {
            let r = read_frame::<ToServer>(&mut &bytes[..cut]);
            assert!(matches!(r, Err(FrameError::Io(_))), "cut at {cut}: {r:?}");
        }
        let mut damaged = bytes.clone();
        let last = damaged.len() - 6;
        damaged[last] ^= 0x40;
        assert!(matches!(
            read_frame::<ToServer>(&mut damaged.as_slice()),
            Err(FrameError::Codec(_))
        ));
        // A session's frame is not a server's.
        assert!(matches!(
            read_frame::<ToSession>(&mut bytes.as_slice()),
            Err(FrameError::Codec(_))
        ));
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for n in 0..2_000 {
            let mut bytes = Vec::new();
            for _ in 0..(n % 97) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                bytes.push(seed as u8);
            }
            let _ = read_frame::<ToServer>(&mut bytes.as_slice());
        }
    }
}
