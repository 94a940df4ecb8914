//! The server's answers to reads: a client's settlements and contacts,
//! all settlements, a period's contacts, a client's history, a backup, a
//! verify, a query, the part of the model a one-shot command names. Each
//! is read under the lock (a consistent state) and sent after it, in
//! chunks where it is large — except a backup, begun under the lock and
//! written as it is sent while commands go on; a
//! session limited to its manager's clients reads only those.

use crate::Shared;
use crate::domain::{ClientId, ManagerId};
use crate::protocol::{Read, ToSession};

/// Settlements per frame when streaming all of them.
const SETTLEMENT_CHUNK: usize = 20_000;
/// Bytes of text per frame when streaming a backup.
const TEXT_CHUNK: usize = 4 * 1024 * 1024;

pub(crate) fn answer(
    shared: &Shared,
    user: &crate::auth::User,
    sees: Option<ManagerId>,
    id: u64,
    read: Read,
    reply: &dyn Fn(&ToSession) -> bool,
) -> bool {
    let Some(mut core) = shared.core() else { return false };
    let mine = |c: ClientId| crate::reading::sees_client(core.data.model(), sees, c);
    let denied = "not allowed: you may read your own clients only".to_string();
    match read {
        Read::SettlementsOf(c) if !mine(c) => {
            drop(core);
            reply(&ToSession::Settlements {
                id,
                result: Err(denied),
                more: false,
            })
        }
        Read::ContactsOf(c) if !mine(c) => {
            drop(core);
            reply(&ToSession::Contacts {
                id,
                result: Err(denied),
            })
        }
        Read::HistoryOf(c) if !mine(c) => {
            drop(core);
            reply(&ToSession::Text {
                id,
                result: Err(denied),
                more: false,
            })
        }
        Read::Query { args, colour } => {
            let Some(queries) = shared.config.queries.clone() else {
                drop(core);
                return reply(&ToSession::Text {
                    id,
                    result: Err("this server answers no queries".into()),
                    more: false,
                });
            };
            let asker = crate::Asker {
                login: user.login.clone(),
                manager: user.manager,
                role: user.role,
                colour,
                sees,
            };
            // A manager limited to their own clients asks their share.
            let result = queries(
                &mut crate::reading::Reading::new(core.data.backend(), sees),
                &asker,
                &args,
            );
            drop(core);
            match result {
                Ok(text) => TextFrames::new(id, reply, text.into_bytes()).finish(),
                Err(why) => reply(&ToSession::Text {
                    id,
                    result: Err(why),
                    more: false,
                }),
            }
        }
        Read::Named {
            reference,
            person,
            product,
        } => {
            let result = rapport_core::find::named::named(
                core.data.model(),
                &reference,
                person.as_deref(),
                product.as_deref(),
                sees,
            )
            .and_then(|n| serde_json::to_string(&n).map_err(|e| e.to_string()));
            drop(core);
            reply(&ToSession::Text {
                id,
                result,
                more: false,
            })
        }
        Read::DueItem { id: item, as_of } => {
            // A manager limited to their own clients knows no other's items.
            let reading = crate::reading::Reading::new(core.data.backend(), sees);
            let result = rapport_core::queue::due_item(rapport_core::backend::Backend::model(&reading), &item, as_of)
                .and_then(|due| serde_json::to_string(&due).map_err(|e| e.to_string()));
            drop(core);
            reply(&ToSession::Text {
                id,
                result,
                more: false,
            })
        }
        Read::Part(wanted) => {
            // Small (a command names a few clients): encoded under the lock,
            // so the events after it are exactly those after its sequence.
            let part = wanted.part_of(core.data.model(), sees);
            let result = core.data.encode_snapshot_of(&part);
            drop(core);
            let result = result.and_then(|bytes| match bytes.len() < crate::protocol::MAX_FRAME as usize / 2 {
                true => Ok(bytes),
                false => Err(format!(
                    "the records this command names take {} MB; name fewer clients at once",
                    bytes.len() >> 20
                )),
            });
            reply(&ToSession::Part { id, result })
        }
        Read::LastUndoable | Read::HistoryOf(_) => {
            let result = match read {
                Read::HistoryOf(c) => as_json(core.data.backend().history_of(c)),
                _ => as_json(core.data.last_undoable(&user.login)),
            };
            drop(core);
            reply(&ToSession::Text {
                id,
                result,
                more: false,
            })
        }
        Read::Verify if sees.is_some() => {
            drop(core);
            reply(&ToSession::Text {
                id,
                result: Err(denied),
                more: false,
            })
        }
        Read::Verify => {
            // Read under the lock: no command changes the records meanwhile.
            let result = as_json(core.data.backend().verify());
            drop(core);
            reply(&ToSession::Text {
                id,
                result,
                more: false,
            })
        }
        Read::Backup { .. } if sees.is_some() => {
            drop(core);
            reply(&ToSession::Text {
                id,
                result: Err(denied),
                more: false,
            })
        }
        Read::SettlementsOf(c) => {
            let result = core.data.backend().settlements_of(c).map_err(|e| e.to_string());
            drop(core);
            reply(&ToSession::Settlements {
                id,
                result,
                more: false,
            })
        }
        Read::ContactsOf(c) => {
            let result = core.data.backend().contacts_of(c).map_err(|e| e.to_string());
            drop(core);
            reply(&ToSession::Contacts { id, result })
        }
        Read::ContactsBetween(from, to) => {
            let result = core
                .data
                .backend()
                .contacts_between(from, to)
                .map(|all| {
                    all.into_iter()
                        .filter(|c| crate::reading::sees_client(core.data.model(), sees, c.client))
                        .collect()
                })
                .map_err(|e| e.to_string());
            drop(core);
            reply(&ToSession::Contacts { id, result })
        }
        Read::AllSettlements => {
            // Read under the lock (a consistent set), sent after it.
            let mut kept = Vec::new();
            let all = core
                .data
                .backend()
                .each_settlement(&mut |model, s| {
                    if crate::reading::sees_client(model, sees, s.client) && model.clients.contains_key(&s.client) {
                        kept.push(s);
                    }
                    true
                })
                .map(|()| kept);
            drop(core);
            match all {
                Ok(all) => {
                    let mut chunks = all.chunks(SETTLEMENT_CHUNK).peekable();
                    if chunks.peek().is_none() {
                        return reply(&ToSession::Settlements {
                            id,
                            result: Ok(Vec::new()),
                            more: false,
                        });
                    }
                    while let Some(chunk) = chunks.next() {
                        let more = chunks.peek().is_some();
                        if !reply(&ToSession::Settlements {
                            id,
                            result: Ok(chunk.to_vec()),
                            more,
                        }) {
                            return false;
                        }
                    }
                    true
                }
                Err(e) => reply(&ToSession::Settlements {
                    id,
                    result: Err(e.to_string()),
                    more: false,
                }),
            }
        }
        Read::Backup { taken } => {
            // Begun under the lock (a moment between two commands), written
            // and sent after it: commands go on meanwhile.
            let source = core.data.backup_source();
            drop(core);
            let mut out = TextFrames::new(id, reply, Vec::with_capacity(TEXT_CHUNK));
            let result = source.and_then(|v| v.write(&mut out, taken));
            match result {
                Ok(_) => out.finish(),
                Err(why) => reply(&ToSession::Text {
                    id,
                    result: Err(why),
                    more: false,
                }),
            }
        }
    }
}

/// A text sent in frames of at most `TEXT_CHUNK` bytes, cut between
/// characters, as it is written; a session gone stops the writing.
struct TextFrames<'a> {
    id: u64,
    reply: &'a dyn Fn(&ToSession) -> bool,
    pending: Vec<u8>,
}

impl<'a> TextFrames<'a> {
    fn new(id: u64, reply: &'a dyn Fn(&ToSession) -> bool, pending: Vec<u8>) -> TextFrames<'a> {
        TextFrames { id, reply, pending }
    }

    /// Sends up to `TEXT_CHUNK` bytes of whole characters, with `more`.
    fn send(&mut self, more: bool) -> bool {
        let cut = self.pending.len().min(TEXT_CHUNK);
        let head = self.pending.get(..cut).unwrap_or_default();
        let whole = match std::str::from_utf8(head) {
            Ok(text) => text.len(),
            // A character cut at the end waits for the next frame.
            Err(e) if e.valid_up_to() > 0 => e.valid_up_to(),
            Err(_) => cut,
        };
        // The frame takes the bytes it sends; the rest (a cut character, or
        // what is beyond the chunk) stays pending.
        let rest = self.pending.split_off(whole.min(self.pending.len()));
        let head = std::mem::replace(&mut self.pending, rest);
        let text = String::from_utf8(head).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        (self.reply)(&ToSession::Text {
            id: self.id,
            result: Ok(text),
            more,
        })
    }

    /// What is pending, the last frame saying so.
    fn finish(mut self) -> bool {
        while self.pending.len() > TEXT_CHUNK {
            if !self.send(true) {
                return false;
            }
        }
        self.send(false)
    }
}

impl std::io::Write for TextFrames<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while self.pending.len() > TEXT_CHUNK {
            if !self.send(true) {
                return Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the session left"));
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A read's answer as the JSON text the session decodes.
fn as_json<T: serde::Serialize, E: std::fmt::Display>(read: Result<T, E>) -> Result<String, String> {
    read.map_err(|e| e.to_string())
        .and_then(|v| serde_json::to_string(&v).map_err(|e| e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::io::Write;

    /// Frames of at most `TEXT_CHUNK` bytes, never cutting a character,
    /// whether the text comes whole or written in pieces.
    #[test]
    fn text_frames_cut_between_characters() {
        let text = format!("{}é{}", "a".repeat(TEXT_CHUNK - 1), "b".repeat(TEXT_CHUNK + 5));
        for pieces in [1, 7] {
            let frames = RefCell::new(Vec::new());
            let reply = |f: &ToSession| {
                if let ToSession::Text {
                    result: Ok(t), more, ..
                } = f
                {
                    frames.borrow_mut().push((t.clone(), *more));
                }
                true
            };
            let mut out = TextFrames::new(1, &reply, Vec::new());
            for chunk in text.as_bytes().chunks(text.len() / pieces + 1) {
                out.write_all(chunk).unwrap();
            }
            assert!(out.finish());
            let frames = frames.into_inner();
            assert!(frames.iter().all(|(t, _)| t.len() <= TEXT_CHUNK));
            assert_eq!(frames.iter().map(|(t, _)| t.as_str()).collect::<String>(), text);
            let more: Vec<bool> = frames.iter().map(|(_, m)| *m).collect();
            assert_eq!(more.last(), Some(&false));
            assert!(more.iter().rev().skip(1).all(|m| *m));
        }
    }
}
