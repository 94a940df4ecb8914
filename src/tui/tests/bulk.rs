//! Changing many clients at once from the list: marks, a bulk change in
//! one command, one undo; archiving the marked ones.

use super::*;
use crate::tui::app::FormKind;

fn set(app: &mut App, label: &str, value: &str) {
    let Overlay::Form(_, form) = &mut app.overlay else {
        panic!("no form")
    };
    form.fields.iter_mut().find(|f| f.label == label).unwrap().value = value.into();
}

#[test]
fn marked_clients_are_reassigned_in_one_command_and_one_undo() {
    let mut f = fixture();
    let app = &mut f.app;
    press(app, "B");
    assert!(
        app.status
            .as_ref()
            .is_some_and(|(s, _)| s.contains("Mark clients first"))
    );
    for _ in 0..3 {
        app.key(key(KeyCode::Char(' ')));
    }
    let marked = app.views.clients.marked_rows();
    assert_eq!(marked.len(), 3);
    assert!(screen(app, 120, 40).contains("· 3 marked"));
    let before: Vec<_> = marked.iter().map(|c| app.model().clients[c].clone()).collect();
    let seq = app.model().counters.seq;
    press(app, "B");
    assert!(matches!(app.overlay, Overlay::Form(FormKind::BulkEdit, _)));
    set(app, "Manager", "jschmidt");
    set(app, "Tags", "+vip");
    app.key(key(KeyCode::Enter));
    assert_eq!(app.overlay, Overlay::None);
    assert_eq!(app.model().counters.seq, seq + 1, "one command");
    let jschmidt = app.model().manager_by_login("jschmidt").unwrap().id;
    for c in &marked {
        let c = &app.model().clients[c];
        assert_eq!(c.manager, Some(jschmidt));
        assert!(c.tags.contains(&"vip".to_string()));
    }
    assert!(app.views.clients.marked.is_empty(), "applied: the marks go");
    press(app, "u");
    for b in &before {
        let c = &app.model().clients[&b.id];
        assert_eq!((c.manager, &c.tags), (b.manager, &b.tags), "one undo puts all back");
    }
}

#[test]
fn every_row_of_the_filter_is_marked_and_archived_at_once() {
    let mut f = fixture();
    let app = &mut f.app;
    press(app, "/brasserie");
    app.key(key(KeyCode::Enter));
    let shown = app.views.clients.rows.clone();
    assert!(shown.len() >= 2);
    press(app, "*");
    assert_eq!(app.views.clients.marked_rows(), shown);
    press(app, "X");
    assert!(matches!(app.overlay, Overlay::Form(FormKind::ArchiveMarked, _)));
    set(app, "Count", "1");
    app.key(key(KeyCode::Enter));
    assert!(matches!(app.overlay, Overlay::Form(..)), "a wrong count is refused");
    set(app, "Count", &shown.len().to_string());
    app.key(key(KeyCode::Enter));
    assert_eq!(app.overlay, Overlay::None);
    assert!(shown.iter().all(|c| !app.model().clients.contains_key(c)));
    assert_eq!(app.model().trash.clients.len(), shown.len());
}

#[test]
fn marked_offers_move_one_stage_at_once() {
    use rapport::domain::OfferStage;
    let mut f = fixture();
    let app = &mut f.app;
    press(app, "2");
    // Two offers at presentation, in two rows.
    let mut picked = Vec::new();
    for (r, id) in app.views.matrix.rows.clone().iter().enumerate() {
        for (k, p) in app.views.matrix.columns.clone().iter().enumerate() {
            let at_presentation = app
                .model()
                .offers
                .get(&(*id, *p))
                .is_some_and(|o| o.stage == OfferStage::Presentation);
            if at_presentation && picked.len() < 2 && picked.iter().all(|(c, _)| c != id) {
                app.views.matrix.row = r;
                app.views.matrix.col = k;
                app.key(key(KeyCode::Char(' ')));
                picked.push((*id, *p));
            }
        }
    }
    assert_eq!(picked.len(), 2);
    assert_eq!(app.views.matrix.marked.len(), 2);
    let seq = app.model().counters.seq;
    press(app, ">");
    assert_eq!(app.model().counters.seq, seq + 1, "one command");
    for k in &picked {
        assert_eq!(app.model().offers[k].stage, OfferStage::Proposal);
    }
    assert!(app.views.matrix.marked.is_empty());
    // One undo puts both back as they were.
    press(app, "u");
    assert!(
        app.status.as_ref().is_some_and(|(s, _)| s.starts_with("Undone")),
        "{:?}",
        app.status
    );
    for k in &picked {
        assert_eq!(app.model().offers[k].stage, OfferStage::Presentation);
    }
}

/// `m` merges the one marked client into the selected one: the form says
/// what moves, one command, `u` takes it back.
#[test]
fn the_marked_duplicate_is_merged_into_the_selected_client_and_undone() {
    let mut f = fixture();
    let app = &mut f.app;
    press(app, "m");
    assert!(
        app.status
            .as_ref()
            .is_some_and(|(s, _)| s.contains("Mark the duplicate")),
        "{:?}",
        app.status
    );
    app.key(key(KeyCode::Char(' ')));
    let dup = app.views.clients.marked_rows()[0];
    let keep = app.views.clients.selected_id().unwrap();
    assert_ne!(dup, keep);
    let clients = app.model().clients.len();
    let persons = app.model().persons.len();
    let seq = app.model().counters.seq;
    press(app, "m");
    assert!(matches!(app.overlay, Overlay::Form(FormKind::Merge, _)));
    let shown = screen(app, 80, 24);
    assert!(
        shown.contains("moves ") && shown.contains("undoes the merge"),
        "{shown}"
    );
    app.key(key(KeyCode::Enter));
    assert_eq!(app.overlay, Overlay::None, "{:?}", app.status);
    assert_eq!(app.model().counters.seq, seq + 1, "one command");
    assert!(!app.model().clients.contains_key(&dup));
    assert!(app.model().trash.clients.contains_key(&dup));
    assert_eq!(app.model().clients.len(), clients - 1);
    assert_eq!(app.model().persons.len(), persons, "the persons moved, none lost");
    assert!(app.views.clients.marked.is_empty());
    press(app, "u");
    assert!(app.model().clients.contains_key(&dup), "{:?}", app.status);
    assert_eq!(app.model().clients.len(), clients);
    assert!(app.model().trash.clients.is_empty());
}
