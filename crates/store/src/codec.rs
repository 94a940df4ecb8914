//! The one place that knows the on-disk byte format.
//!
//! Every value is an envelope: `b"RP"`, a record-kind byte, the schema
//! version (u16 BE), the bincode-2 (serde mode) payload, then a CRC-32 (BE)
//! of everything before it. Decoding checks each part and never panics:
//! truncated, corrupted, foreign or future bytes give a `CodecError`.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::*;
use crate::model::Counters;
use crate::model::aggregate::ClientAggregate;

pub const MAGIC: [u8; 2] = *b"RP";
/// Bump on any change to a record's shape; the fixed byte samples in the
/// tests below fail until it is bumped and the samples are renewed.
pub const SCHEMA_VERSION: u16 = 5;
/// The oldest schema this rapport reads. Schema 2 added the `archive` tree
/// (`Archival` records), schema 3 the `templates` tree (`Template`), schema
/// 4 the `sales` tree (`SalesRecord`), schema 5 merges (`Change` variants
/// only), each with `Change` variants appended, so every record of an older schema
/// decodes as it is; an older model snapshot is a cache and is read from the
/// records instead (its model lacks the new parts).
pub const OLDEST_SCHEMA: u16 = 1;
const HEADER: usize = 5;
const TRAILER: usize = 4;
/// No single record is anywhere near this; it bounds what a corrupted length
/// prefix inside a payload can make the decoder allocate.
const PAYLOAD_LIMIT: usize = 64 * 1024 * 1024;

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<PAYLOAD_LIMIT>()
}

/// A model snapshot holds every kept record at once.
const SNAPSHOT_LIMIT: usize = 8 * 1024 * 1024 * 1024;

fn snapshot_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<SNAPSHOT_LIMIT>()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RecordKind {
    DbInfo = 1,
    Counters = 2,
    Settings = 3,
    Manager = 4,
    Segment = 5,
    Product = 6,
    Portrait = 7,
    Client = 8,
    Person = 9,
    Settlement = 10,
    Aggregate = 11,
    Offer = 12,
    Contact = 13,
    Task = 14,
    Survey = 15,
    Ticket = 16,
    Audit = 17,
    /// The model snapshot in two halves (`encode_snapshot`). Kind 18 was
    /// the single-payload snapshot of earlier versions: a file of that kind
    /// is ignored (the records are read instead), never misread.
    Snapshot = 21,
    Mark = 19,
    Questionnaire = 20,
    ChangeLog = 22,
    /// A frame a session sends to the server (rapport-server's `protocol`).
    ToServer = 23,
    /// A frame the server sends to a session.
    ToSession = 24,
    Archival = 25,
    Template = 26,
    Sales = 27,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("record is truncated ({0} bytes)")]
    Truncated(usize),
    #[error("record does not start with the rapport magic bytes")]
    BadMagic,
    #[error("record checksum mismatch (stored {stored:08x}, computed {computed:08x})")]
    Checksum { stored: u32, computed: u32 },
    #[error("record is a {found:?} where a {expected:?} was expected")]
    WrongKind { expected: RecordKind, found: u8 },
    #[error("record has schema version {0}, this rapport reads version {SCHEMA_VERSION}; use a newer rapport")]
    UnknownVersion(u16),
    #[error("record payload does not decode: {0}")]
    Payload(String),
    #[error("record payload has {0} trailing bytes")]
    TrailingBytes(usize),
    #[error("record does not encode: {0}")]
    Encode(String),
}

/// A value that is stored under a record kind.
pub trait Record: Serialize + DeserializeOwned {
    const KIND: RecordKind;
}

/// What the `meta` tree says about the database itself.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DbInfo {
    pub app: String,
    #[serde(with = "crate::domain::compact::datetime")]
    pub created: chrono::NaiveDateTime,
}

macro_rules! record {
    ($($t:ty => $k:ident),* $(,)?) => {
        $(impl Record for $t { const KIND: RecordKind = RecordKind::$k; })*
    };
}

record! {
    DbInfo => DbInfo,
    Counters => Counters,
    Settings => Settings,
    Manager => Manager,
    Segment => Segment,
    Product => Product,
    PortraitEntry => Portrait,
    Client => Client,
    ContactPerson => Person,
    Settlement => Settlement,
    ClientAggregate => Aggregate,
    Offer => Offer,
    ContactEntry => Contact,
    Task => Task,
    Survey => Survey,
    Ticket => Ticket,
    AuditEntry => Audit,
    QueueMark => Mark,
    Questionnaire => Questionnaire,
    super::ChangeLog => ChangeLog,
    Archival => Archival,
    rapport_core::templates::Template => Template,
    SalesRecord => Sales,
}

pub fn encode<R: Record>(record: &R) -> Result<Vec<u8>, CodecError> {
    let payload = bincode::serde::encode_to_vec(record, config()).map_err(|e| CodecError::Encode(e.to_string()))?;
    Ok(envelope(R::KIND, payload))
}

fn envelope(kind: RecordKind, payload: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len() + TRAILER);
    begin_envelope(&mut out, kind);
    out.extend_from_slice(&payload);
    end_envelope(&mut out);
    out
}

/// Magic, kind and schema version, into an empty `out`.
fn begin_envelope(out: &mut Vec<u8>, kind: RecordKind) {
    out.extend_from_slice(&MAGIC);
    out.push(kind as u8);
    out.extend_from_slice(&SCHEMA_VERSION.to_be_bytes());
}

/// The checksum of everything in `out`, after it.
fn end_envelope(out: &mut Vec<u8>) {
    let crc = crc32fast::hash(out);
    out.extend_from_slice(&crc.to_be_bytes());
}

pub fn decode<R: Record>(bytes: &[u8]) -> Result<R, CodecError> {
    let payload = open_envelope(bytes, R::KIND)?;
    let (value, used): (R, usize) =
        bincode::serde::decode_from_slice(payload, config()).map_err(|e| CodecError::Payload(e.to_string()))?;
    if used != payload.len() {
        return Err(CodecError::TrailingBytes(payload.len() - used));
    }
    Ok(value)
}

/// Checks magic, checksum, kind and version; returns the payload.
fn open_envelope(bytes: &[u8], kind: RecordKind) -> Result<&[u8], CodecError> {
    if bytes.len() < HEADER + TRAILER {
        return Err(CodecError::Truncated(bytes.len()));
    }
    let (body, crc_bytes) = bytes.split_at(bytes.len() - TRAILER);
    let (header, payload) = body.split_at(HEADER);
    if header[..2] != MAGIC {
        return Err(CodecError::BadMagic);
    }
    let stored = u32::from_be_bytes([crc_bytes[0], crc_bytes[1], crc_bytes[2], crc_bytes[3]]);
    let computed = crc32fast::hash(body);
    if stored != computed {
        return Err(CodecError::Checksum { stored, computed });
    }
    if header[2] != kind as u8 {
        return Err(CodecError::WrongKind {
            expected: kind,
            found: header[2],
        });
    }
    let version = u16::from_be_bytes([header[3], header[4]]);
    let readable = match kind {
        RecordKind::Snapshot => SCHEMA_VERSION..=SCHEMA_VERSION,
        _ => OLDEST_SCHEMA..=SCHEMA_VERSION,
    };
    if !readable.contains(&version) {
        return Err(CodecError::UnknownVersion(version));
    }
    Ok(payload)
}

/// The model as of one audit sequence number of one database: a cache
/// that spares reading every record at start-up.
#[derive(serde::Serialize)]
pub struct SnapshotRef<'a> {
    pub created: chrono::NaiveDateTime,
    pub seq: u64,
    pub model: &'a crate::model::Model,
}

pub struct Snapshot {
    pub created: chrono::NaiveDateTime,
    pub seq: u64,
    pub model: crate::model::Model,
}

/// Header (creation time, sequence number, length of the first half), then
/// the two halves of the model, each a bincode payload of its own.
pub fn encode_snapshot(s: &SnapshotRef) -> Result<Vec<u8>, CodecError> {
    encode_snapshot_halves(s.created, s.seq, s.model.halves())
}

/// A manager's share of `model` as snapshot bytes: the same bytes as the
/// snapshot of `model.only_of(m)`, read from `model` in place.
pub fn encode_share(
    created: chrono::NaiveDateTime,
    model: &crate::model::Model,
    m: crate::domain::ManagerId,
) -> Result<Vec<u8>, CodecError> {
    let share = model.share_of(m);
    encode_snapshot_halves(created, model.counters.seq, model.share_halves(&share))
}

fn encode_snapshot_halves(
    created: chrono::NaiveDateTime,
    seq: u64,
    (first, second): (crate::model::halves::FirstRef, crate::model::halves::SecondRef),
) -> Result<Vec<u8>, CodecError> {
    let first = encode_whole(&first)?;
    let second = encode_whole(&second)?;
    let header = encode_whole(&(created, seq, first.len() as u64))?;
    // The envelope is written around the parts in one buffer: the model's
    // bytes are held twice at most, not four times.
    let mut out = Vec::with_capacity(HEADER + header.len() + first.len() + second.len() + TRAILER);
    begin_envelope(&mut out, RecordKind::Snapshot);
    out.extend_from_slice(&header);
    out.extend_from_slice(&first);
    drop(first);
    out.extend_from_slice(&second);
    end_envelope(&mut out);
    Ok(out)
}

/// The bytes of `encode_snapshot`, written to `out` as they are encoded:
/// the second half of the model is never held whole, nor the two halves
/// copied into one buffer (saving the snapshot after an import of two
/// million settlements held the model's bytes twice, 150 MB, at its peak).
pub fn write_snapshot(s: &SnapshotRef, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let encoding = |e: CodecError| std::io::Error::other(e.to_string());
    let (first, second) = s.model.halves();
    let first = encode_whole(&first).map_err(encoding)?;
    let header = encode_whole(&(s.created, s.seq, first.len() as u64)).map_err(encoding)?;
    let mut out = Checksummed {
        out,
        crc: crc32fast::Hasher::new(),
    };
    let mut start = Vec::with_capacity(HEADER);
    begin_envelope(&mut start, RecordKind::Snapshot);
    for part in [&start, &header, &first] {
        std::io::Write::write_all(&mut out, part)?;
    }
    drop(first);
    match bincode::serde::encode_into_std_write(&second, &mut out, snapshot_config()) {
        Ok(_) => {}
        Err(bincode::error::EncodeError::Io { inner, .. }) => return Err(inner),
        Err(e) => return Err(encoding(CodecError::Encode(e.to_string()))),
    }
    let crc = out.crc.finalize();
    out.out.write_all(&crc.to_be_bytes())
}

/// A writer that keeps the checksum of what went through it.
struct Checksummed<'a> {
    out: &'a mut dyn std::io::Write,
    crc: crc32fast::Hasher,
}

impl std::io::Write for Checksummed<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.crc.update(buf.get(..n).unwrap_or(buf));
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

fn encode_whole<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    bincode::serde::encode_to_vec(value, snapshot_config()).map_err(|e| CodecError::Encode(e.to_string()))
}

/// Decodes `bytes` whole, with a size limit that grows with the input: a
/// damaged length prefix can claim no more than a few times the bytes
/// there are, never gigabytes (found by the `snapshot_decoder` fuzz target).
fn decode_whole<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let need = bytes.len().saturating_mul(4);
    let (value, used): (T, usize) = if need <= 1 << 22 {
        decode_limited::<T, { 1 << 22 }>(bytes)
    } else if need <= 1 << 26 {
        decode_limited::<T, { 1 << 26 }>(bytes)
    } else if need <= 1 << 30 {
        decode_limited::<T, { 1 << 30 }>(bytes)
    } else {
        decode_limited::<T, SNAPSHOT_LIMIT>(bytes)
    }?;
    if used != bytes.len() {
        return Err(CodecError::TrailingBytes(bytes.len() - used));
    }
    Ok(value)
}

fn decode_limited<T: serde::de::DeserializeOwned, const LIMIT: usize>(bytes: &[u8]) -> Result<(T, usize), CodecError> {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard().with_limit::<LIMIT>())
        .map_err(|e| CodecError::Payload(e.to_string()))
}

/// Decodes the two halves side by side (two cores halve the start-up).
pub fn decode_snapshot(bytes: &[u8]) -> Result<Snapshot, CodecError> {
    use crate::model::halves::{First, Second};
    let payload = open_envelope(bytes, RecordKind::Snapshot)?;
    // The header is a few dozen bytes: a small limit keeps a damaged one cheap.
    let ((created, seq, first_len), used): ((chrono::NaiveDateTime, u64, u64), usize) =
        decode_limited::<_, 4096>(payload)?;
    let halves = payload.get(used..).ok_or(CodecError::Truncated(payload.len()))?;
    let split = usize::try_from(first_len)
        .ok()
        .filter(|n| *n <= halves.len())
        .ok_or(CodecError::Truncated(payload.len()))?;
    let (first, second) = halves.split_at(split);
    let (first, second) = std::thread::scope(|s| {
        let first = s.spawn(|| decode_whole::<First>(first));
        let second = decode_whole::<Second>(second);
        let first = first
            .join()
            .unwrap_or_else(|_| Err(CodecError::Payload("the snapshot decoder failed".into())));
        (first, second)
    });
    Ok(Snapshot {
        created,
        seq,
        model: crate::model::Model::from_halves(first?, second?),
    })
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
