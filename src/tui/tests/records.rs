//! Keeping client records in the interface: a new client, its contact
//! persons (a bad email refused on the form), editing both, and the card
//! showing what was kept.

use super::*;
use crate::tui::app::FormKind;

/// An app on 40 demo clients whose backend plays another session: the
/// commands pushed on the list arrive as its events.
fn with_others(dir: &std::path::Path) -> (App, std::sync::Arc<std::sync::Mutex<Vec<rapport::write::Command>>>) {
    let fake = super::fake::Fake::new(demo_store(dir, 40));
    let others = fake.others.clone();
    let today: NaiveDate = TODAY.parse().unwrap();
    let (keymap, _) = Keymap::load("default", None);
    let (theme, _) = Theme::load("dark", None, Depth::Mono);
    (App::new(Box::new(fake), "t".into(), today, keymap, theme), others)
}

fn clear(app: &mut App) {
    for _ in 0..60 {
        app.key(key(KeyCode::Backspace));
    }
}

fn next(app: &mut App) {
    app.key(key(KeyCode::Tab));
}

fn submit(app: &mut App) {
    app.key(key(KeyCode::Enter));
}

#[test]
fn a_new_client_its_persons_and_edits_from_the_keyboard() {
    let mut f = fixture();
    let app = &mut f.app;
    let count = app.model().clients.len();
    press(app, "N");
    assert!(matches!(app.overlay, Overlay::Form(FormKind::NewClient, _)));
    let taken = app.model().clients.values().next().unwrap().reference.clone();
    press(app, &taken);
    assert!(screen(app, 80, 24).contains("is already"), "{}", screen(app, 80, 24));
    submit(app);
    assert_eq!(app.model().clients.len(), count, "a taken ref is refused");
    clear(app);
    press(app, "NEW-1");
    next(app);
    press(app, "Atelier Neuf");
    for _ in 0..3 {
        next(app);
    }
    next(app);
    press(app, "VIP, calls before 10");
    next(app);
    press(app, "vip export");
    submit(app);
    assert_eq!(app.overlay, Overlay::None, "{:?}", app.status);
    let c = app.model().client_by_ref("NEW-1").unwrap().clone();
    assert_eq!(
        (c.name.as_str(), c.notes.as_str(), c.tags.clone()),
        (
            "Atelier Neuf",
            "VIP, calls before 10",
            vec!["vip".to_string(), "export".into()]
        )
    );

    // Select it, then add a person: a bad email stays on the form.
    press(app, "/atelier neuf");
    submit(app);
    assert_eq!(app.selected_client().map(|c| c.id), Some(c.id));
    press(app, "p");
    press(app, "Anne Martin");
    next(app);
    press(app, "buyer");
    next(app);
    press(app, "+33 6 12 34 56 78, +33 1 40 00 00 00");
    next(app);
    press(app, "anne@");
    submit(app);
    let text = screen(app, 80, 24);
    assert!(text.contains("not an email address"), "{text}");
    assert_eq!(app.model().persons_of(c.id).count(), 0);
    press(app, "dupont.fr");
    submit(app);
    assert_eq!(app.overlay, Overlay::None);
    let anne = app.model().persons_of(c.id).next().unwrap().clone();
    assert_eq!(anne.email, "anne@dupont.fr");

    // One person: `P` opens her form at once.
    press(app, "P");
    assert!(matches!(app.overlay, Overlay::Form(FormKind::EditPerson { .. }, _)));
    next(app);
    clear(app);
    press(app, "head buyer");
    submit(app);
    assert_eq!(app.model().persons_of(c.id).next().unwrap().role, "head buyer");

    // Two: `P` asks which.
    press(app, "p");
    press(app, "Bob Durand");
    submit(app);
    press(app, "P");
    assert!(matches!(app.overlay, Overlay::Form(FormKind::PickPerson(_), _)));
    clear(app);
    press(app, "bob durand");
    submit(app);
    let Overlay::Form(FormKind::EditPerson { person, .. }, form) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert_eq!(form.value("Name"), "Bob Durand");
    let bob = *person;
    next(app);
    press(app, "assistant");
    submit(app);
    assert_eq!(app.model().persons[&(c.id, bob)].role, "assistant");

    // Edit the client: every field but its ref.
    press(app, "E");
    clear(app);
    press(app, "Atelier Neuf SA");
    submit(app);
    let edited = app.model().clients[&c.id].clone();
    assert_eq!((edited.name.as_str(), edited.version), ("Atelier Neuf SA", 2));
    assert_eq!(edited.notes, c.notes, "untouched notes stay");

    // `H`: the client's history, oldest first, then Esc.
    press(app, "H");
    let Overlay::Text { lines, .. } = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert!(
        lines[0].starts_with("History of NEW-1 Atelier Neuf SA: 6 changes"),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("contact person Bob Durand (assistant)")),
        "{lines:?}"
    );
    assert!(screen(app, 80, 24).contains("client NEW-1 created: Atelier Neuf"));
    app.key(key(KeyCode::Esc));
    assert_eq!(app.overlay, Overlay::None);

    // The card shows what was kept.
    app.set_card(true);
    let text = screen(app, 120, 40);
    for shown in [
        "anne@dupont.fr",
        "vip export",
        "VIP, calls before 10",
        "head buyer",
        "Bob Durand",
    ] {
        assert!(text.contains(shown), "{shown} not on the card:\n{text}");
    }
    // At 80×24 the card scrolls to what does not fit.
    let small = screen(app, 80, 24);
    assert!(!small.contains("Contact log"), "{small}");
    for _ in 0..10 {
        press(app, "J");
        screen(app, 80, 24);
    }
    let scrolled = screen(app, 80, 24);
    assert!(scrolled.contains("Contact log"), "{scrolled}");
    assert!(scrolled.contains("lines"), "the card says it is scrolled: {scrolled}");
    press(app, "K");
    assert!(app.views.clients.card_scroll > 0);
    app.key(key(KeyCode::Down));
    assert_eq!(
        app.views.clients.card_scroll, 0,
        "another client's card starts at the top"
    );
}

#[test]
fn notes_over_several_lines_survive_an_edit_of_another_field() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, others) = with_others(dir.path());
    let c = app.selected_client().unwrap().clone();
    // Another session writes notes over two lines.
    others.lock().unwrap().push(rapport::write::Command::EditClient {
        client: c.id,
        expected_version: Some(c.version),
        name: c.name.clone(),
        segment: c.segment,
        manager: c.manager,
        notes: "Likes calls before 10\nVIP".into(),
        tags: c.tags.clone(),
    });
    app.remote_events();
    press(&mut app, "E");
    let Overlay::Form(_, form) = &app.overlay else { panic!() };
    assert_eq!(form.value("Notes"), "Likes calls before 10\nVIP");
    assert_eq!(form.field("Notes").unwrap().shown(), "Likes calls before 10 ⏎ VIP");
    press(&mut app, " & Co");
    submit(&mut app);
    let edited = app.model().clients[&c.id].clone();
    assert_eq!(edited.name, format!("{} & Co", c.name));
    assert_eq!(
        edited.notes, "Likes calls before 10\nVIP",
        "untouched notes keep their lines"
    );
    // Typed over, they are what was typed.
    press(&mut app, "E");
    for _ in 0..3 {
        next(&mut app);
    }
    clear(&mut app);
    press(&mut app, "Calls after 14h");
    submit(&mut app);
    assert_eq!(app.model().clients[&c.id].notes, "Calls after 14h");
}

/// A task set weeks ahead is kept in sight: the queue lists it under
/// "Later", and the card lists it with the client's open tasks.
#[test]
fn a_task_weeks_ahead_shows_under_later() {
    let mut f = fixture();
    let app = &mut f.app;
    let client = app.selected_client().unwrap().name.clone();
    press(app, "4");
    let before = app.views.queue.counts[3];
    press(app, "1");
    press(app, "T");
    clear(app);
    press(app, "+40");
    next(app);
    press(app, "Renewal talk");
    submit(app);
    assert_eq!(app.overlay, Overlay::None, "{:?}", app.status);
    app.set_card(true);
    assert!(screen(app, 120, 40).contains("Renewal talk"));
    press(app, "4");
    let q = &app.views.queue;
    let later: Vec<_> = q
        .items
        .iter()
        .filter(|i| i.group(app.as_of()) == rapport::queue::Group::Later)
        .collect();
    assert_eq!(later.len(), before + 1);
    assert_eq!(q.counts[3], before + 1);
    assert!(later.iter().any(|i| i.reason == "task: Renewal talk"));
    app.key(key(KeyCode::End));
    let text = screen(app, 120, 40);
    assert!(text.contains(&format!("· {} later", before + 1)), "{text}");
    let row = text.lines().find(|l| l.contains("Renewal talk")).unwrap_or_default();
    assert!(row.contains("in 40d"), "{text}");
    let _ = client;
}

/// `ctrl-e` on a notes field hands its text to the editor (the terminal
/// loop runs it); what comes back fills the field with its line breaks; a
/// failed or idle editor changes nothing; a paste into notes keeps its
/// lines, and one-line fields refuse the editor.
#[test]
fn notes_come_from_the_editor_or_a_paste_with_their_lines() {
    let mut f = fixture();
    let app = &mut f.app;
    let ctrl_e = KeyEvent::new(KeyCode::Char('e'), crossterm::event::KeyModifiers::CONTROL);
    press(app, "N");
    app.key(ctrl_e);
    assert_eq!(app.editor, None, "the ref is one line");
    assert!(app.status.as_ref().is_some_and(|(s, _)| s.contains("Only notes")));
    for _ in 0..5 {
        next(app);
    }
    press(app, "VIP");
    app.key(ctrl_e);
    assert_eq!(app.editor.take().as_deref(), Some("VIP"));
    app.edited(Ok(Some("VIP\nLikes calls before 10\n".into())));
    let notes = |app: &App| match &app.overlay {
        Overlay::Form(_, form) => form.value("Notes").to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(notes(app), "VIP\nLikes calls before 10");
    app.edited(Err("the editor (false) failed (exit status: 1)".into()));
    assert_eq!(notes(app), "VIP\nLikes calls before 10");
    assert!(app.status.as_ref().is_some_and(|(s, _)| s.contains("as it was")));
    app.edited(Ok(None));
    assert_eq!(notes(app), "VIP\nLikes calls before 10");
    app.paste("\r\nNo calls on Fridays\r\n");
    assert_eq!(notes(app), "VIP\nLikes calls before 10\nNo calls on Fridays");
    assert!(screen(app, 80, 24).contains("VIP ⏎ Likes calls before 10 ⏎ No calls"));
    // A paste into a one-line field stays on one line (tags, source,
    // then round to the ref).
    for _ in 0..3 {
        next(app);
    }
    press(app, "R-7");
    next(app);
    app.paste("Maison\nBlanc");
    let Overlay::Form(_, form) = &app.overlay else { panic!() };
    assert_eq!(form.value("Name"), "Maison Blanc");
    submit(app);
    let c = app.model().client_by_ref("R-7").unwrap();
    assert_eq!(c.notes, "VIP\nLikes calls before 10\nNo calls on Fridays");
}

/// A mistyped settlement is corrected or deleted from the keyboard: the
/// card lists the last ones numbered, `C` asks which and opens it, `D`
/// deletes the one named; the classes pane follows in the same frame.
#[test]
fn a_settlement_is_corrected_then_deleted() {
    let mut f = fixture();
    let app = &mut f.app;
    // A client with settlements (the demo gives most of them some).
    while app
        .classes()
        .get(app.selected_client().unwrap().id)
        .map_or(0, |k| k.turnover)
        == 0
    {
        app.key(key(KeyCode::Down));
    }
    let id = app.selected_client().unwrap().id;
    app.set_card(true);
    let first = app.views.clients.settlements[0].clone();
    let count = app.views.clients.settlements.len();
    let turnover = app.classes().get(id).unwrap().turnover;
    press(app, "C");
    assert!(matches!(
        app.overlay,
        Overlay::Form(FormKind::PickRecord { delete: false, .. }, _)
    ));
    clear(app);
    press(app, "x1");
    assert!(screen(app, 80, 24).contains("a record as listed"));
    clear(app);
    press(app, "s99");
    submit(app);
    assert!(screen(app, 80, 24).contains("there is no s99"));
    clear(app);
    press(app, "s1");
    submit(app);
    let Overlay::Form(FormKind::EditSettlement { id: sid, .. }, form) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert_eq!(
        (*sid, form.value("Amount")),
        (first.id, first.amount.to_string().as_str())
    );
    next(app);
    clear(app);
    press(app, &(first.amount.0 / 100 + 1000).to_string());
    submit(app);
    assert_eq!(app.overlay, Overlay::None, "{:?}", app.status);
    let after = app.classes().get(id).unwrap().turnover;
    assert!(after > turnover, "the classes follow: {turnover} → {after}");
    assert_eq!(app.views.clients.settlements[0].id, first.id);
    assert_ne!(app.views.clients.settlements[0].amount, first.amount);

    press(app, "D");
    submit(app);
    assert_eq!(app.overlay, Overlay::None, "{:?}", app.status);
    assert!(app.views.clients.settlements.len() <= count);
    assert!(app.views.clients.settlements.iter().all(|s| s.id != first.id));
}

/// `u` takes back the session's last change and `ctrl-r` puts it again,
/// through the command path: the classes pane is back to what it was in
/// the same frame. Someone else's change in between refuses the undo.
#[test]
fn undo_and_redo_a_settlement_and_a_client_edit() {
    let mut f = fixture();
    let app = &mut f.app;
    press(app, "/muller");
    submit(app);
    let id = app.selected_client().unwrap().id;
    let before = app.classes().get(id).unwrap().clone();
    let pane = |app: &App| {
        screen(app, 120, 40)
            .lines()
            .filter(|l| l.contains("Turnover"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let shown_before = pane(app);
    press(app, "u");
    assert!(
        app.status
            .as_ref()
            .is_some_and(|(s, _)| s.contains("nothing of this session's to undo"))
    );
    press(app, "a");
    next(app);
    press(app, "999999,99");
    submit(app);
    assert_eq!(app.classes().get(id).unwrap().turnover, before.turnover + 99_999_999);
    press(app, "u");
    assert_eq!(app.classes().get(id).unwrap(), &before, "{:?}", app.status);
    assert_eq!(pane(app), shown_before, "the pane is back in the same frame");
    assert_eq!(app.classes(), &compute(app.model(), TODAY.parse().unwrap()));
    app.key(KeyEvent::new(
        KeyCode::Char('r'),
        crossterm::event::KeyModifiers::CONTROL,
    ));
    assert_eq!(app.classes().get(id).unwrap().turnover, before.turnover + 99_999_999);
    assert!(
        app.status
            .as_ref()
            .is_some_and(|(s, _)| s.starts_with("Redone: record settlement"))
    );
    press(app, "u");
    assert_eq!(app.classes().get(id).unwrap().turnover, before.turnover);

    // A client edit, undone: the name comes back.
    let name = app.selected_client().unwrap().name.clone();
    press(app, "E");
    press(app, " Ltd");
    submit(app);
    assert_eq!(app.selected_client().unwrap().name, format!("{name} Ltd"));
    press(app, "u");
    assert_eq!(app.selected_client().unwrap().name, name);

    // A new task is taken back; so is an offer's move (the offer as it was,
    // its history too: a mistake, not a move back).
    let tasks = app.model().tasks.len();
    press(app, "T");
    next(app);
    press(app, "Call back");
    submit(app);
    assert_eq!(app.model().tasks.len(), tasks + 1);
    press(app, "u");
    assert_eq!(app.model().tasks.len(), tasks);
    press(app, "2");
    let m = &app.views.matrix;
    let cell = (m.rows[m.row], m.columns[m.col]);
    let before = app.model().offers.get(&cell).cloned();
    press(app, ">");
    let moved = app.model().offers.get(&cell).cloned();
    assert_ne!(moved.as_ref().map(|o| o.stage), before.as_ref().map(|o| o.stage));
    press(app, "u");
    let after = app.model().offers.get(&cell).cloned();
    assert_eq!(
        after.as_ref().map(|o| (o.stage, &o.history)),
        before.as_ref().map(|o| (o.stage, &o.history))
    );
    let (text, _) = app.status.clone().unwrap();
    assert!(text.starts_with("Undone"), "{text}");
}

/// Another session's later change to the same record refuses the undo and
/// leaves theirs in place.
#[test]
fn an_undo_never_overwrites_another_sessions_change() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, others) = with_others(dir.path());
    let c = app.selected_client().unwrap().clone();
    press(&mut app, "E");
    press(&mut app, " (mine)");
    submit(&mut app);
    let mine = app.model().clients[&c.id].clone();
    others.lock().unwrap().push(rapport::write::Command::EditClient {
        client: c.id,
        expected_version: Some(mine.version),
        name: "Theirs".into(),
        segment: c.segment,
        manager: c.manager,
        notes: c.notes.clone(),
        tags: c.tags.clone(),
    });
    app.remote_events();
    press(&mut app, "u");
    let (text, _) = app.status.clone().unwrap();
    assert!(text.contains("changed by someone else"), "{text}");
    assert_eq!(app.model().clients[&c.id].name, "Theirs");
}

/// The morning review's small things: the as-of date stays in the header
/// at 80 columns; a message shows over the filter line until the next
/// key; `d` on a ticket opens its next stage's form; a manager with
/// nothing due is told what the team has.
#[test]
fn the_header_messages_tickets_and_an_empty_queue() {
    let mut f = fixture();
    let app = &mut f.app;
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let text = screen(app, w, h);
        let header = text.lines().next().unwrap_or_default();
        assert!(
            header.contains("as of") && header.contains("2026-11-22"),
            "{w}: {header}"
        );
    }
    press(app, "/muller");
    submit(app);
    press(app, "u");
    let text = screen(app, 120, 40);
    assert!(text.contains("nothing of this session's to undo"), "{text}");
    app.key(key(KeyCode::Down));
    let text = screen(app, 120, 40);
    assert!(
        !text.contains("nothing of this session's to undo") && text.contains("/muller"),
        "{text}"
    );

    press(app, "4");
    let i = app
        .views
        .queue
        .items
        .iter()
        .position(|i| i.kind == rapport::queue::Kind::Ticket)
        .expect("a ticket item in the demo's queue");
    app.views.queue.cursor.selected = i;
    press(app, "d");
    assert!(
        matches!(app.overlay, Overlay::Form(FormKind::AdvanceTicket { .. }, _)),
        "{:?}",
        app.overlay
    );
}

#[test]
fn a_manager_with_nothing_due_sees_the_teams_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path(), 120);
    store
        .execute(
            "lea",
            rapport::write::Command::AddManager {
                login: "zed".into(),
                name: "Zed".into(),
                role: rapport::domain::Role::Manager,
            },
        )
        .unwrap();
    let today: NaiveDate = TODAY.parse().unwrap();
    let (keymap, _) = Keymap::load("default", None);
    let (theme, _) = Theme::load("dark", None, Depth::Mono);
    let mut app = App::new(Box::new(store), "zed".into(), today, keymap, theme);
    press(&mut app, "4");
    let text = screen(&app, 120, 40);
    assert!(text.contains("Nothing due for you. The team has"), "{text}");
    assert!(text.contains("m shows them"), "{text}");
    press(&mut app, "m");
    assert!(!app.views.queue.items.is_empty());
}

/// The slip the paste issue was about: an item marked done by mistake in
/// the queue comes back with `u`, at once.
#[test]
fn an_item_marked_done_by_mistake_comes_back_with_undo() {
    let mut f = fixture();
    let app = &mut f.app;
    press(app, "4");
    let i = app
        .views
        .queue
        .items
        .iter()
        .position(|i| i.kind == rapport::queue::Kind::Birthday || i.kind == rapport::queue::Kind::NextStep)
        .expect("an item that can be marked done");
    let item = app.views.queue.items[i].clone();
    app.views.queue.cursor.selected = i;
    press(app, "d");
    assert!(app.views.queue.items.iter().all(|x| x.key != item.key));
    press(app, "u");
    assert!(
        app.views.queue.items.iter().any(|x| x.key == item.key),
        "{:?}",
        app.status
    );
    assert!(!app.model().marks.contains_key(&item.key.to_string()));
    assert!(app.status.as_ref().is_some_and(|(s, _)| s.starts_with("Undone: mark")));
}

/// `/` in the queue filters the queue (it used to jump to the clients);
/// Esc brings every item back.
#[test]
fn the_filter_narrows_the_queue_where_it_is_typed() {
    let mut f = fixture();
    let app = &mut f.app;
    press(app, "4");
    let all = app.views.queue.items.len();
    let name = app.model().clients[&app.views.queue.items[0].client].name.clone();
    let word = name.split_whitespace().next().unwrap().to_lowercase();
    press(app, "/");
    assert_eq!(app.tab, crate::tui::app::Tab::Queue);
    press(app, &word);
    submit(app);
    let q = &app.views.queue;
    assert!(!q.items.is_empty() && q.items.len() < all, "{} of {all}", q.items.len());
    // Exactly the clients the clients list shows for the same filter.
    let listed: std::collections::HashSet<_> = app.views.clients.rows.iter().copied().collect();
    assert!(q.items.iter().all(|i| listed.contains(&i.client)));
    assert!(screen(app, 120, 40).contains("· filtered"));
    app.key(key(KeyCode::Esc));
    assert_eq!(app.views.queue.items.len(), all);
}

/// A logged contact is deleted from the card (`D`, `l1`), and undo puts it
/// back; a client archived with `X` leaves the list, waits in the trash
/// view and comes back with `r`.
#[test]
fn a_contact_is_deleted_and_a_client_archived_and_restored() {
    let mut f = fixture();
    let app = &mut f.app;
    let id = app.selected_client().unwrap().id;
    let reference = app.model().clients[&id].reference.clone();
    let contacts = app.model().aggregate(id).map_or(0, |a| a.contacts);
    assert!(contacts > 0, "the demo's first client has a contact log");
    press(app, "D");
    clear(app);
    press(app, "l1");
    submit(app);
    assert_eq!(app.overlay, Overlay::None, "{:?}", app.status);
    assert_eq!(app.model().aggregate(id).map_or(0, |a| a.contacts), contacts - 1);
    press(app, "u");
    assert_eq!(app.model().aggregate(id).map_or(0, |a| a.contacts), contacts);

    let shown = app.views.clients.rows.len();
    press(app, "X");
    assert!(screen(app, 80, 24).contains(&format!("Archive {reference}")));
    submit(app);
    assert_eq!(app.overlay, Overlay::None, "{:?}", app.status);
    assert!(!app.model().clients.contains_key(&id));
    assert_eq!(app.views.clients.rows.len(), shown - 1);
    assert!(app.classes().get(id).is_none(), "an archived client leaves the classes");
    press(app, "7");
    let trash = screen(app, 80, 24);
    assert!(
        trash.contains(&reference) && trash.contains("Trash · 1 archived"),
        "{trash}"
    );
    press(app, "r");
    assert!(app.model().clients.contains_key(&id));
    assert!(screen(app, 80, 24).contains("Nothing archived"));
}
