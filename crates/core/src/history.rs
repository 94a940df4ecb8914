//! A client's history as people read it: the command line prints these
//! lines and the interface shows them.

use crate::backend::HistoryEntry;
use crate::classes::{ClientClasses, Engine};
use crate::domain::ClientId;
use crate::domain::text::printable;
use crate::model::{Change, Model};

/// The history as text: a heading, then an entry per command with a line
/// per change (the interface shows the same lines). Where a command's
/// settlements moved the client's classes (as of `engine`'s date), a line
/// says from what to what.
pub fn lines(model: &Model, engine: &Engine, client: ClientId, entries: &[HistoryEntry]) -> Vec<String> {
    let moved = classes_moved(model, engine, client, entries);
    let heading = model
        .clients
        .get(&client)
        .map_or_else(|| format!("#{client}"), |c| format!("{} {}", c.reference, c.name));
    let mut lines = vec![
        printable(&format!(
            "History of {heading}: {} change{}",
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
    for (e, moved) in entries.iter().zip(moved) {
        lines.push(format!(
            "{}  {:<10} #{:<6} {}",
            e.at.format("%Y-%m-%d %H:%M"),
            printable(&e.who),
            e.seq,
            printable(&e.summary)
        ));
        for c in e.changes.iter().filter(|c| !c.for_undo_only()) {
            lines.push(format!("      {}", c.describe(model)));
        }
        if let Some((before, after)) = moved {
            lines.push(format!(
                "      classes as of {}: {} → {}",
                engine.as_of(),
                label(&before),
                label(&after)
            ));
        }
    }
    lines
}

/// Per entry, the client's classes before and after it where its
/// settlement changes moved them: the aggregate is walked back from today's
/// through each entry's settlement changes, newest first.
pub fn classes_moved(
    model: &Model,
    engine: &Engine,
    client: ClientId,
    entries: &[HistoryEntry],
) -> Vec<Option<(ClientClasses, ClientClasses)>> {
    let mut out = vec![None; entries.len()];
    let Some(mut agg) = model.aggregate(client).cloned() else {
        return out;
    };
    for (i, e) in entries.iter().enumerate().rev() {
        let mut before = agg.clone();
        let mut touched = false;
        for change in e.changes.iter().rev() {
            if let Change::Settlement { old, new } = change {
                if let Some(n) = new.as_ref().filter(|n| n.client == client) {
                    before.remove_settlement(n);
                    touched = true;
                }
                if let Some(o) = old.as_ref().filter(|o| o.client == client) {
                    before.add_settlement(o);
                    touched = true;
                }
            }
        }
        if touched
            && let (Some(b), Some(a)) = (
                engine.with_aggregate(model, client, &before),
                engine.with_aggregate(model, client, &agg),
            )
            && label(&b) != label(&a)
        {
            out[i] = Some((b, a));
        }
        agg = before;
    }
    out
}

/// `B·Y regular`.
pub fn label(c: &ClientClasses) -> String {
    format!(
        "{}·{} {}",
        c.abc.map_or("–", |a| a.as_str()),
        c.xyz.map_or("–", |x| x.as_str()),
        c.status.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Money, SettlementId};
    use crate::testing::Planner;
    use crate::write::Command;

    fn d(s: &str) -> chrono::NaiveDate {
        s.parse().unwrap()
    }

    fn entry(event: crate::write::Event) -> HistoryEntry {
        HistoryEntry {
            seq: event.seq,
            who: event.who,
            at: event.at,
            summary: event.summary,
            changes: event.changes,
        }
    }

    /// The first settlement makes a potential client new and A; a
    /// correction that leaves the classes as they were adds no line; the
    /// what-if of today's aggregate is the engine's own answer.
    #[test]
    fn a_settlement_that_moved_the_classes_says_from_what_to_what() {
        let mut p = Planner::with_client();
        let record = |p: &mut Planner, date: &str, cents: i64| {
            entry(p.event(Command::RecordSettlement {
                client: ClientId(1),
                date: d(date),
                amount: Money(cents),
                product: None,
                doc: String::new(),
            }))
        };
        let first = record(&mut p, "2026-10-01", 100_000);
        let edit = entry(p.event(Command::EditSettlement {
            client: ClientId(1),
            id: SettlementId(1),
            expected_seq: None,
            date: d("2026-10-01"),
            amount: Money(120_000),
            product: None,
            doc: String::new(),
        }));
        let engine = Engine::new(&p.model, d("2026-11-01"));
        let agg = p.model.aggregate(ClientId(1)).unwrap();
        let now = engine.with_aggregate(&p.model, ClientId(1), agg).unwrap();
        assert_eq!(Some(&now), engine.classes().get(ClientId(1)));
        let text = lines(&p.model, &engine, ClientId(1), &[first, edit]);
        let moved: Vec<&String> = text.iter().filter(|l| l.contains("classes as of")).collect();
        assert_eq!(moved.len(), 1, "{text:#?}");
        assert_eq!(
            moved[0].trim(),
            format!("classes as of 2026-11-01: –·– potential → {}", label(&now))
        );
        assert!(
            text[text.len() - 2].contains("edit settlement"),
            "the correction moved nothing"
        );
    }
}
