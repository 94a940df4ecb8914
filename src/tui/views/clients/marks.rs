//! Marked rows of the clients list, changed at once: `space` marks the
//! selected client, `*` every row the filter leaves (again: none), `B`
//! reassigns the manager, changes the segment or adds and removes tags,
//! `X` archives them — each one command (all or nothing, one undo); `m`
//! merges the one marked client, a duplicate, into the selected one.

use rapport::domain::ClientId;
use rapport::write::bulk;

use super::ClientsView;
use crate::tui::app::{FormKind, Tone};
use crate::tui::form::{Field, FieldKind, Form};
use crate::tui::view::{Ctx, Submitted};

impl ClientsView {
    pub(super) fn toggle_mark(&mut self) {
        if let Some(id) = self.selected_id()
            && !self.marked.remove(&id)
        {
            self.marked.insert(id);
        }
        // On to the next row, to mark a run with repeated presses.
        self.cursor.selected = (self.cursor.selected + 1).min(self.rows.len().saturating_sub(1));
    }

    pub(super) fn mark_all(&mut self, cx: &mut Ctx) {
        if self.rows.iter().all(|r| self.marked.contains(r)) {
            self.marked.clear();
            cx.status("No client marked", Tone::Ok);
        } else {
            self.marked.extend(self.rows.iter().copied());
            cx.status(format!("{} clients marked", self.marked.len()), Tone::Ok);
        }
    }

    /// The marked clients still there, in list order.
    pub fn marked_rows(&self) -> Vec<ClientId> {
        self.rows.iter().copied().filter(|r| self.marked.contains(r)).collect()
    }

    pub(super) fn open_bulk_form(&mut self, cx: &mut Ctx) {
        let n = self.marked_rows().len();
        if n == 0 {
            return cx.status("Mark clients first (space, or * for every row)", Tone::Error);
        }
        let mut form = Form::new(
            format!("Change {n} marked clients"),
            vec![
                Field::new("Manager", FieldKind::Manager, "", false),
                Field::new("Segment", FieldKind::Segment, "", false),
                Field::new("Tags", FieldKind::Text, "", false),
            ],
        );
        form.info = vec![
            "an empty field keeps what each client has".into(),
            "tags: +vip adds one, -old removes one".into(),
        ];
        cx.open_form(FormKind::BulkEdit, form);
    }

    /// The pairs of clients that look like one (`rapport duplicates`),
    /// to read; the ones of the filtered list first when it is filtered.
    pub(super) fn show_duplicates(&mut self, cx: &mut Ctx) {
        let model = cx.model();
        let shown: std::collections::HashSet<ClientId> = self.rows.iter().copied().collect();
        let mut pairs = rapport::find::duplicates::pairs(model);
        pairs.sort_by_key(|p| !(shown.contains(&p.a) || shown.contains(&p.b)));
        let name = |c: ClientId| model.clients.get(&c).map_or(String::new(), |c| c.name.clone());
        let mut lines: Vec<String> = pairs
            .iter()
            .map(|p| {
                let why: Vec<String> = p.reasons.iter().map(ToString::to_string).collect();
                format!(
                    "{} {} ↔ {} {} — {}",
                    model.client_label(p.a),
                    name(p.a),
                    model.client_label(p.b),
                    name(p.b),
                    why.join("; ")
                )
            })
            .map(|l| rapport::domain::text::printable(&l).into_owned())
            .collect();
        if lines.is_empty() {
            lines.push("No two clients look like one.".into());
        } else {
            lines.push(String::new());
            lines.push("To merge two: mark the duplicate (space), select the other, press m.".into());
        }
        cx.ask(crate::tui::view::Effect::Text {
            title: format!("Duplicates · {} pairs", pairs.len()),
            lines,
        });
    }

    /// Asks before the marked client (a duplicate) is merged into the
    /// selected one, saying what moves; both refs can still be changed.
    pub(super) fn open_merge_form(&mut self, cx: &mut Ctx) {
        let model = cx.model();
        let marked = self.marked_rows();
        let (Some(keep), [dup]) = (self.selected_client(model), marked.as_slice()) else {
            return cx.status(
                "Mark the duplicate (space), then press m on the client that stays",
                Tone::Error,
            );
        };
        let Some(dup) = model.clients.get(dup).filter(|d| d.id != keep.id) else {
            return cx.status(
                "Mark the duplicate (space), then press m on the client that stays",
                Tone::Error,
            );
        };
        let agg = model.aggregate(dup.id).cloned().unwrap_or_default();
        let both = model
            .offers_of(dup.id)
            .filter(|o| model.offers.contains_key(&(keep.id, o.product)))
            .count();
        let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let mut form = Form::new(
            format!("Merge {} into {}", dup.reference, keep.reference),
            vec![
                Field::new("Keep", FieldKind::Text, &keep.reference, true),
                Field::new("Merge in", FieldKind::Text, &dup.reference, true),
            ],
        );
        form.info = vec![
            format!(
                "moves {}, {}, {}, {}",
                count(agg.days.iter().map(|d| d.count as usize).sum(), "settlement"),
                count(agg.contacts as usize, "logged contact"),
                count(model.persons_of(dup.id).count(), "person"),
                count(model.offers_of(dup.id).count(), "offer"),
            ),
            format!("{both} offer(s) of a product both have: the further stays"),
            "tasks, surveys, tickets follow; the duplicate is archived".into(),
            "with a note naming the other; u undoes the merge".into(),
        ];
        if keep.manager != dup.manager {
            form.info.push(format!(
                "managers {} and {}: only a lead merges them",
                model.manager_login(keep.manager),
                model.manager_login(dup.manager)
            ));
        }
        cx.open_form(FormKind::Merge, form);
    }

    pub(super) fn ask_archive_marked(&mut self, cx: &mut Ctx) {
        let n = self.marked_rows().len();
        let mut form = Form::new(
            format!("Archive {n} marked clients"),
            vec![Field::new("Count", FieldKind::Text, "", true)],
        );
        form.info = vec![
            format!("type {n} to move them, with everything about them,"),
            "to the trash (the Trash view brings them back)".into(),
        ];
        cx.open_form(FormKind::ArchiveMarked, form);
    }

    /// The command of a bulk form; the marks go once it is applied.
    pub(super) fn submit_marks(
        &mut self,
        kind: FormKind,
        form: &Form,
        cx: &mut Ctx,
    ) -> Option<Result<Submitted, String>> {
        let model = cx.model();
        let ids = self.marked_rows();
        let made = match kind {
            FormKind::BulkEdit => {
                let edit = bulk::Edit {
                    manager: Some(form.value("Manager").trim())
                        .filter(|l| !l.is_empty())
                        .map(|l| model.manager_by_login(l).map(|m| m.id)),
                    segment: Some(form.value("Segment").trim())
                        .filter(|s| !s.is_empty())
                        .map(|s| model.segment_by_code(s).map(|s| s.id)),
                    tags: crate::tui::form::tags(form.value("Tags")),
                    ..bulk::Edit::default()
                };
                bulk::edit(model, &ids, &edit)
            }
            FormKind::Merge => {
                let client = |field: &str| {
                    let r = form.value(field).trim();
                    model
                        .client_by_ref(r)
                        .ok_or_else(|| format!("{field}: no client {}", rapport::domain::text::printable(r)))
                };
                let (keep, dup) = match (client("Keep"), client("Merge in")) {
                    (Ok(k), Ok(d)) => (k, d),
                    (Err(e), _) | (_, Err(e)) => return Some(Err(e)),
                };
                Ok(rapport::write::Command::MergeClients {
                    into: keep.id,
                    from: dup.id,
                    expected: Some((keep.version, dup.version)),
                    on: cx.today,
                })
            }
            FormKind::ArchiveMarked => {
                if form.value("Count").trim() != ids.len().to_string() {
                    return Some(Err(format!("type {} to archive them, or press Esc", ids.len())));
                }
                bulk::archive(model, &ids, cx.today)
            }
            _ => return None,
        };
        Some(made.map(|cmd| {
            self.pending = Some(cmd.describe(model));
            Submitted::Run(cmd)
        }))
    }
}
