//! A client's history as people read it: the command line prints these
//! lines and the interface shows them.

use crate::backend::HistoryEntry;
use crate::domain::ClientId;
use crate::domain::text::printable;
use crate::model::Model;

/// The history as text: a heading, then an entry per command with a line
/// per change (the interface shows the same lines).
pub fn lines(model: &Model, client: ClientId, entries: &[HistoryEntry]) -> Vec<String> {
    let label = model
        .clients
        .get(&client)
        .map_or_else(|| format!("#{client}"), |c| format!("{} {}", c.reference, c.name));
    let mut lines = vec![
        printable(&format!(
            "History of {label}: {} change{}",
            entries.len(),
            if entries.len() == 1 { "" } else { "s" }
        ))
        .into_owned(),
    ];
    if entries.is_empty() {
        lines.push(
            "  nothing logged (records that came in by import or with the demo are not in the change log)".into(),
        );
    }
    for e in entries {
        lines.push(format!(
            "{}  {:<10} #{:<6} {}",
            e.at.format("%Y-%m-%d %H:%M"),
            printable(&e.who),
            e.seq,
            printable(&e.summary)
        ));
        for c in &e.changes {
            lines.push(format!("      {}", c.describe(model)));
        }
    }
    lines
}
