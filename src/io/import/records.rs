//! Importing the records a client's day leaves: the contact log, tasks and
//! surveys (the files `rapport export log|tasks|surveys` writes). The
//! `who` column is not taken over: the import's user logs them.

use chrono::{NaiveDate, NaiveDateTime};

use super::Planner;
use crate::domain::text::scores;
use crate::domain::*;
use crate::write::Command;

impl Planner<'_> {
    /// The row's client, by ref, or an error for the line.
    fn client(&mut self, line: u64, reference: &str) -> Option<ClientId> {
        let found = self.model.client_by_ref(reference).map(|c| c.id);
        if found.is_none() {
            self.error(line, format!("unknown client '{reference}'"));
        }
        found
    }

    /// A required date.
    fn required_date(&mut self, line: u64, what: &str, value: &str) -> Option<NaiveDate> {
        if !self.required(line, what, value) {
            return None;
        }
        self.date(line, what, value).flatten()
    }

    pub(super) fn log(&mut self) {
        let t = self.table;
        for r in &t.rows {
            let line = r.line;
            let client = self.client(line, t.get(r, "client"));
            let at = when(t.get(r, "at"));
            if at.is_none() {
                let text = t.get(r, "at");
                self.error(line, format!("at: '{text}' is not a date and time (2026-11-03 14:30)"));
            }
            let channel = Channel::parse(t.get(r, "channel"));
            if channel.is_none() {
                let names: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
                let text = t.get(r, "channel");
                self.error(line, format!("channel: '{text}' is not one of {}", names.join(", ")));
            }
            let summary = t.get(r, "summary");
            let ok_summary = self.required(line, "summary", summary);
            let person_name = t.get(r, "person");
            let person = match (client, person_name.is_empty()) {
                (Some(c), false) => {
                    let found = self
                        .model
                        .persons_of(c)
                        .find(|p| p.name.eq_ignore_ascii_case(person_name))
                        .map(|p| p.id);
                    if found.is_none() {
                        self.error(line, format!("the client has no contact person '{person_name}'"));
                    }
                    found.map(Some)
                }
                _ => Some(None),
            };
            let next = self.date(line, "next_contact", t.get(r, "next_contact"));
            if let (Some(client), Some(at), Some(channel), true, Some(person), Some(next_contact)) =
                (client, at, channel, ok_summary, person, next)
            {
                self.push((
                    line,
                    Command::LogContact {
                        client,
                        person,
                        at,
                        channel,
                        summary: summary.into(),
                        outcome: t.get(r, "outcome").into(),
                        next_contact,
                    },
                ));
            }
        }
    }

    pub(super) fn tasks(&mut self) {
        let t = self.table;
        // Each new task takes the next id: a done one is completed by it.
        let mut next_id = self.model.counters.task;
        for r in &t.rows {
            let line = r.line;
            let client = self.client(line, t.get(r, "client"));
            let due = self.required_date(line, "due", t.get(r, "due"));
            let text = t.get(r, "text");
            let ok_text = self.required(line, "text", text);
            let done = self.date(line, "done", t.get(r, "done"));
            if let (Some(client), Some(due), true, Some(done)) = (client, due, ok_text, done) {
                next_id += 1;
                self.push((
                    line,
                    Command::AddTask {
                        client,
                        due,
                        text: text.into(),
                    },
                ));
                if let Some(date) = done {
                    self.push((
                        line,
                        Command::CompleteTask {
                            task: TaskId(next_id),
                            date,
                        },
                    ));
                }
            }
        }
    }

    pub(super) fn surveys(&mut self) {
        let t = self.table;
        for r in &t.rows {
            let line = r.line;
            let client = self.client(line, t.get(r, "client"));
            let code = t.get(r, "product");
            let product = self.model.product_by_code(code).map(|p| p.id);
            if product.is_none() {
                self.error(line, format!("unknown product '{code}'"));
            }
            let date = self.required_date(line, "date", t.get(r, "date"));
            let given = scores(t.get(r, "scores"));
            if given.is_none() {
                let text = t.get(r, "scores");
                self.error(line, format!("scores: '{text}' are not 1 to 5 each, like 5 4 3"));
            }
            if let (Some(client), Some(product), Some(date), Some(scores)) = (client, product, date, given) {
                self.push((
                    line,
                    Command::RecordSurvey {
                        client,
                        product,
                        date,
                        scores,
                    },
                ));
            }
        }
    }
}

/// `2026-11-03 14:30[:05]`, `2026-11-03T14:30:05`, or a date alone (noon).
fn when(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .or_else(|| parse_date(text).ok().and_then(|d| d.and_hms_opt(12, 0, 0)))
}
