//! Reading a backup as something to prove, not to trust: every line is
//! hashed, each kind must come in the order the writer writes it with keys
//! strictly ascending (a duplicated or moved line is caught where it
//! stands), and the trailer must be the last line, with the counts and the
//! SHA-256 of what came before. A file cut short, doubled or edited is
//! refused with the first problem and its line number.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{BackupError, FORMAT, FORMAT_VERSION, Header, Line, Trailer};
use crate::codec::SCHEMA_VERSION;
use crate::keys;

/// A writer that hashes what passes through it.
pub(crate) struct Hashing<'a> {
    out: &'a mut dyn Write,
    hasher: Sha256,
}

impl<'a> Hashing<'a> {
    pub(crate) fn new(out: &'a mut dyn Write) -> Self {
        Hashing {
            out,
            hasher: Sha256::new(),
        }
    }

    /// The writer back, and the hex digest of everything written.
    pub(crate) fn finish(self) -> (&'a mut dyn Write, String) {
        (self.out, hex(&self.hasher.finalize()))
    }
}

impl Write for Hashing<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.hasher.update(buf.get(..n).unwrap_or(buf));
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a line's kind stands in the file (the writer's order), and its
/// record's key: within a kind, keys strictly ascend.
pub fn position(line: &Line) -> (u8, Vec<u8>) {
    match line {
        Line::Settings(_) => (0, Vec::new()),
        Line::Counters(_) => (1, Vec::new()),
        Line::Manager(m) => (2, keys::id32(m.id.0).to_vec()),
        Line::Segment(s) => (3, keys::id32(s.id.0).to_vec()),
        Line::Product(p) => (4, keys::id32(p.id.0).to_vec()),
        Line::Portrait(e) => (5, keys::pair32(e.segment.0, e.product.0).to_vec()),
        Line::Client(c) => (6, keys::id32(c.id.0).to_vec()),
        Line::Person(p) => (7, keys::pair32_64(p.client.0, p.id.0).to_vec()),
        Line::Settlement(s) => (8, keys::pair32_64(s.client.0, s.id.0).to_vec()),
        Line::Offer(o) => (9, keys::pair32(o.client.0, o.product.0).to_vec()),
        Line::Contact(c) => (10, keys::pair32_64(c.client.0, c.id.0).to_vec()),
        Line::Task(t) => (11, keys::pair32_64(t.client.0, t.id.0).to_vec()),
        Line::Survey(s) => (12, keys::pair32_64(s.client.0, s.id.0).to_vec()),
        Line::Ticket(t) => (13, keys::id64(t.id.0).to_vec()),
        Line::Mark(m) => (14, m.key.as_bytes().to_vec()),
        Line::Questionnaire(q) => (15, keys::id32(q.product.0).to_vec()),
        Line::Archival(a) => (16, keys::archived(a.key)),
        Line::Template(t) => (17, vec![t.kind as u8]),
        Line::Sales(r) => (18, keys::sales(r.key())),
        Line::Audit(a) => (19, keys::id64(a.seq).to_vec()),
        Line::Trailer(_) => (20, Vec::new()),
    }
}

/// What a checked file held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub version: u32,
    pub records: u64,
    pub counts: BTreeMap<String, u64>,
    /// Whether a trailer proved the file whole (version 2 and later).
    pub proven: bool,
}

pub struct Reader<R: BufRead> {
    input: R,
    name: String,
    line: usize,
    hasher: Sha256,
    header: Header,
    last: Option<(u8, Vec<u8>)>,
    counts: BTreeMap<String, u64>,
    records: u64,
    trailer: Option<Trailer>,
    buf: Vec<u8>,
}

impl<R: BufRead> Reader<R> {
    /// Reads and checks the header. A version 1 file (no trailer, so its
    /// completeness cannot be proven) is read only when `allow_unproven`.
    pub fn new(mut input: R, name: &str, allow_unproven: bool) -> Result<Self, BackupError> {
        let err = |message: String| BackupError::Line {
            file: name.to_string(),
            line: 1,
            message,
        };
        let mut buf = Vec::new();
        input
            .read_until(b'\n', &mut buf)
            .map_err(|e| BackupError::Io(name.into(), e))?;
        if buf.is_empty() {
            return Err(err("the file is empty".into()));
        }
        let header: Header =
            serde_json::from_slice(&buf).map_err(|e| err(format!("not a rapport backup header: {e}")))?;
        if header.format != FORMAT {
            return Err(err(format!("format '{}' is not {FORMAT}", header.format)));
        }
        if header.version > FORMAT_VERSION {
            return Err(err(format!(
                "backup format version {} is newer than this rapport reads ({FORMAT_VERSION}); use a newer rapport",
                header.version
            )));
        }
        if !(super::codec::OLDEST_SCHEMA..=SCHEMA_VERSION).contains(&header.schema) {
            return Err(err(format!(
                "schema {} cannot be restored by this rapport (schemas {}–{SCHEMA_VERSION})",
                header.schema,
                super::codec::OLDEST_SCHEMA,
            )));
        }
        if header.version < 2 && !allow_unproven {
            return Err(err(
                "this backup was written by an older rapport and has no trailer, so nothing proves it is \
                 complete; pass --allow-unproven to read it anyway"
                    .into(),
            ));
        }
        let mut hasher = Sha256::new();
        hasher.update(&buf);
        Ok(Reader {
            input,
            name: name.to_string(),
            line: 1,
            hasher,
            header,
            last: None,
            counts: BTreeMap::new(),
            records: 0,
            trailer: None,
            buf,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    fn err(&self, message: String) -> BackupError {
        BackupError::Line {
            file: self.name.clone(),
            line: self.line,
            message,
        }
    }

    /// The next record with its line number; `None` once the file has
    /// ended where and as its trailer says.
    pub fn next_line(&mut self) -> Result<Option<(usize, Line)>, BackupError> {
        loop {
            self.buf.clear();
            let n = self
                .input
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| BackupError::Io(self.name.clone().into(), e))?;
            if n == 0 {
                return self.at_end().map(|_| None);
            }
            self.line += 1;
            if self.trailer.is_some() {
                return Err(self.err("more lines after the trailer: the file was appended to".into()));
            }
            if self.header.version >= 2 && self.buf.last() != Some(&b'\n') {
                return Err(self.err("the last line is cut short: the file is incomplete".into()));
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                self.hasher.update(&self.buf);
                continue;
            }
            let line: Line =
                serde_json::from_slice(&self.buf).map_err(|e| self.err(format!("unreadable record: {e}")))?;
            if let Line::Trailer(t) = line {
                self.check_trailer(&t)?;
                self.trailer = Some(t);
                continue;
            }
            self.hasher.update(&self.buf);
            let (rank, key) = position(&line);
            if let Some((last_rank, last_key)) = &self.last {
                if rank < *last_rank {
                    return Err(self.err(format!(
                        "a {} record out of place (moved or duplicated lines)",
                        line.kind()
                    )));
                }
                if rank == *last_rank && key <= *last_key {
                    return Err(self.err(format!(
                        "a {} record whose key is not after the previous one's (a duplicated or moved line)",
                        line.kind()
                    )));
                }
            }
            self.last = Some((rank, key));
            *self.counts.entry(line.kind().to_string()).or_default() += 1;
            if !matches!(line, Line::Settings(_) | Line::Counters(_)) {
                self.records += 1;
            }
            return Ok(Some((self.line, line)));
        }
    }

    fn check_trailer(&mut self, t: &Trailer) -> Result<(), BackupError> {
        let digest = hex(&self.hasher.clone().finalize());
        if digest != t.sha256 {
            return Err(self.err(
                "the records do not match the trailer's checksum: the file was changed after it was written".into(),
            ));
        }
        if t.counts != self.counts || t.records != self.records {
            let kinds: std::collections::BTreeSet<&String> = t.counts.keys().chain(self.counts.keys()).collect();
            let first = kinds
                .into_iter()
                .find(|k| t.counts.get(*k) != self.counts.get(*k))
                .map(|k| {
                    format!(
                        "the trailer counts {} {k} records, the file holds {}",
                        t.counts.get(k).copied().unwrap_or(0),
                        self.counts.get(k).copied().unwrap_or(0)
                    )
                })
                .unwrap_or_else(|| {
                    format!(
                        "the trailer counts {} records, the file holds {}",
                        t.records, self.records
                    )
                });
            return Err(self.err(first));
        }
        Ok(())
    }

    fn at_end(&self) -> Result<(), BackupError> {
        if self.header.version >= 2 && self.trailer.is_none() {
            return Err(self.err(format!(
                "the file ends at line {} without its trailer: it was cut short",
                self.line
            )));
        }
        Ok(())
    }

    /// What the file held (after `next_line` returned `None`).
    pub fn checked(&self) -> Checked {
        Checked {
            version: self.header.version,
            records: self.records,
            counts: self.counts.clone(),
            proven: self.trailer.is_some(),
        }
    }
}

/// Reads and checks a whole backup file without restoring it.
pub fn check_file(file: &Path, allow_unproven: bool) -> Result<(Header, Checked), BackupError> {
    let f = std::fs::File::open(file).map_err(|e| BackupError::Io(file.to_path_buf(), e))?;
    let mut reader = Reader::new(std::io::BufReader::new(f), &file.display().to_string(), allow_unproven)?;
    while reader.next_line()?.is_some() {}
    let checked = reader.checked();
    let Reader { header, .. } = reader;
    Ok((header, checked))
}
