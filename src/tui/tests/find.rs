//! Finding a client in the interface (the clients list's `/`): by the
//! digits of a phone number, an email, a tag; the list says which field
//! matched. A new client that looks like one already there is said once.

use super::*;
use crate::tui::app::FormKind;

#[test]
fn the_filter_finds_a_phone_by_its_digits_and_says_which_field_matched() {
    let mut f = fixture();
    let app = &mut f.app;
    // A number of the demo, typed the way people read it out.
    let (client, phone, person) = {
        let m = app.model();
        let p = m.persons.values().find(|p| !p.phone.is_empty()).unwrap();
        (
            p.client,
            p.phone.split(',').next().unwrap().trim().to_string(),
            p.name.clone(),
        )
    };
    let national = rapport::find::phone_digits(&phone).unwrap();
    let typed = format!("0{} {}", &national[..1], &national[1..5]);
    press(app, "/");
    press(app, &typed);
    assert!(
        app.views.clients.rows.contains(&client),
        "{typed} does not find {phone}"
    );
    assert!(
        app.views.clients.rows.len() < 10,
        "{typed} finds {} clients",
        app.views.clients.rows.len()
    );
    let row = app.views.clients.rows.iter().position(|c| *c == client).unwrap();
    app.views.clients.cursor.selected = row;
    let s = screen(app, 120, 40);
    assert!(s.contains(&format!("phone: {phone} ({person})")), "{s}");
    // Letters among digits are no phone number: the ref is still found.
    app.key(key(KeyCode::Esc));
    press(app, "/c000121");
    assert_eq!(app.views.clients.rows.len(), 1);
    // A tag.
    app.key(key(KeyCode::Esc));
    press(app, "/key-acc");
    let tagged = app
        .model()
        .clients
        .values()
        .filter(|c| c.tags.iter().any(|t| t == "key-account"))
        .count();
    assert!(app.views.clients.rows.len() >= tagged, "a tag is found");
}

#[test]
fn a_new_client_like_one_there_is_said_once_then_created() {
    let mut f = fixture();
    let app = &mut f.app;
    let count = app.model().clients.len();
    press(app, "N");
    {
        let Overlay::Form(_, form) = &mut app.overlay else {
            panic!()
        };
        for field in &mut form.fields {
            match field.label {
                "Ref" => field.value = "NEW1".into(),
                "Name" => field.value = "MÜLLER und Söhne GmbH".into(),
                _ => {}
            }
        }
    }
    app.key(key(KeyCode::Enter));
    let Overlay::Form(FormKind::NewClient, form) = &app.overlay else {
        panic!("the form closed")
    };
    let error = form.error.clone().unwrap_or_default();
    assert!(
        error.contains("looks like C000002 Müller & Söhne (same name"),
        "{error}"
    );
    assert_eq!(app.model().clients.len(), count, "nothing created yet");
    app.key(key(KeyCode::Enter));
    assert_eq!(app.overlay, Overlay::None);
    assert_eq!(app.model().clients.len(), count + 1);
}

#[test]
fn the_tickets_view_filters_by_client_number_and_text() {
    let mut f = fixture();
    let app = &mut f.app;
    press(app, "5");
    let all = app.views.tickets.ids.clone();
    assert!(all.len() > 2, "the demo has open tickets");
    let (id, client, words) = {
        let t = &app.model().tickets[&all[1]];
        (
            t.id,
            t.client,
            t.description.split_whitespace().take(2).collect::<Vec<_>>().join(" "),
        )
    };
    press(app, &format!("/#{id}"));
    assert_eq!(app.views.tickets.ids, vec![id], "by number");
    app.key(key(KeyCode::Esc));
    assert_eq!(app.views.tickets.ids, all, "Esc clears it");
    let reference = app.model().clients[&client].reference.clone();
    press(app, &format!("/{reference}"));
    assert!(app.views.tickets.ids.contains(&id));
    assert!(
        app.views
            .tickets
            .ids
            .iter()
            .all(|t| app.model().tickets[t].client == client),
        "only that client's"
    );
    app.key(key(KeyCode::Esc));
    press(app, &format!("/{words}"));
    assert!(app.views.tickets.ids.contains(&id), "by its text: {words}");
}

#[test]
fn the_duplicates_view_lists_pairs_with_their_reason() {
    let mut f = fixture();
    let app = &mut f.app;
    let pairs = rapport::find::duplicates::pairs(app.model());
    assert!(!pairs.is_empty(), "the demo's names repeat (… SA and … SAS)");
    press(app, "=");
    let Overlay::Text { title, lines, .. } = &app.overlay else {
        panic!("no list")
    };
    assert_eq!(title, &format!("Duplicates · {} pairs", pairs.len()));
    let p = &pairs[0];
    let first = format!("{} ", app.model().client_label(p.a));
    assert!(lines.iter().any(|l| l.starts_with(&first)), "{lines:?}");
    let (hint, pairs_said) = lines.split_last().unwrap();
    assert!(hint.contains("press m"), "{hint}");
    assert!(
        pairs_said
            .iter()
            .filter(|l| !l.is_empty())
            .all(|l| l.contains("same name")),
        "the demo's names repeat, not its addresses"
    );
    insta::assert_snapshot!("duplicates_80x24", screen(app, 80, 24));
}

#[test]
fn a_saved_view_comes_back_in_a_new_session() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = fixture();
    let (keymap, errors) = Keymap::load("default", None);
    assert!(errors.is_empty(), "{errors:?}");
    drop(keymap);
    let app = &mut f.app;
    app.config_dir = Some(dir.path().to_path_buf());
    press(app, "'");
    assert!(app.status.as_ref().is_some_and(|(s, _)| s.contains("No saved view")));
    press(app, "/brasserie");
    app.key(key(KeyCode::Enter));
    press(app, "S");
    press(app, "\"");
    assert!(matches!(app.overlay, Overlay::Form(FormKind::SaveView, _)));
    press(app, "Brasseries");
    app.key(key(KeyCode::Enter));
    assert_eq!(app.overlay, Overlay::None);
    let saved = crate::tui::app::saved::read(dir.path()).unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(
        (saved[0].filter.as_str(), saved[0].as_of.as_deref()),
        ("brasserie", Some("today"))
    );
    let rows = app.views.clients.rows.clone();
    let descending = app.views.clients.descending;

    // Another session: the view comes back by its name.
    let mut g = fixture();
    let app = &mut g.app;
    app.config_dir = Some(dir.path().to_path_buf());
    press(app, "4'");
    assert!(matches!(app.overlay, Overlay::Form(FormKind::RecallView, _)));
    app.dirty = false;
    app.key(key(KeyCode::Enter));
    assert!(app.dirty, "the recalled view is drawn");
    assert_eq!(app.tab, crate::tui::app::Tab::Clients);
    assert_eq!(app.filter.pattern, "brasserie");
    assert_eq!(app.views.clients.descending, descending);
    assert_eq!(app.views.clients.rows, rows);
    // A name that is not there: said on the form, nothing changed.
    press(app, "'");
    {
        let Overlay::Form(_, form) = &mut app.overlay else {
            panic!()
        };
        form.fields[0].value = "nope".into();
    }
    app.key(key(KeyCode::Enter));
    let Overlay::Form(_, form) = &app.overlay else {
        panic!("the form closed")
    };
    assert_eq!(form.error.as_deref(), Some("no view named 'nope'"));
}

/// With links on, the card's phones and emails are placed where they are
/// drawn, for the backend to link; with links off, none are.
#[test]
fn the_cards_phones_and_emails_are_placed_as_links() {
    let mut f = fixture();
    let app = &mut f.app;
    app.key(key(KeyCode::Enter));
    app.links = crate::tui::links::Links::new(true);
    let shown = screen(app, 120, 40);
    let placed = app.links.placed().lock().unwrap().clone();
    assert!(placed.iter().any(|r| r.url.starts_with("tel:")), "{placed:?}");
    assert!(placed.iter().any(|r| r.url.starts_with("mailto:")), "{placed:?}");
    let rows: Vec<&str> = shown.lines().collect();
    for r in &placed {
        let row: String = rows[r.y as usize]
            .chars()
            .skip(r.x as usize)
            .take(r.width as usize)
            .collect();
        assert!(!row.trim().is_empty(), "{r:?}");
    }
    app.links = crate::tui::links::Links::new(false);
    screen(app, 120, 40);
    assert!(app.links.placed().lock().unwrap().is_empty());
}

/// A lead shares a view with the team (in the database); anyone recalls
/// it by name; a manager who is not a lead is told why they cannot share.
#[test]
fn a_view_shared_with_the_team_is_recalled_from_the_database() {
    let share = |app: &mut App, name: &str| {
        press(app, "\"");
        let Overlay::Form(_, form) = &mut app.overlay else {
            panic!("no form")
        };
        form.fields[0].value = name.into();
        form.fields[1].value = "team".into();
        app.key(key(KeyCode::Enter));
    };
    let mut m = fixture_as("default", rapport::demo::DEMO_LOGIN);
    share(&mut m.app, "Mine");
    let Overlay::Form(_, form) = &m.app.overlay else {
        panic!("the form closed")
    };
    assert!(
        form.error.as_deref().is_some_and(|e| e.contains("lead")),
        "{:?}",
        form.error
    );
    assert!(m.app.model().sales.views.is_empty());

    let mut f = fixture();
    let app = &mut f.app;
    press(app, "/brasserie");
    app.key(key(KeyCode::Enter));
    share(app, "Brasseries");
    assert_eq!(app.overlay, Overlay::None, "{:?}", app.status);
    let views: Vec<&str> = app.model().sales.views.values().map(|v| v.filter.as_str()).collect();
    assert_eq!(views, ["brasserie"]);
    app.key(key(KeyCode::Esc));
    assert_eq!(app.filter.pattern, "");
    press(app, "'");
    {
        let Overlay::Form(_, form) = &mut app.overlay else {
            panic!("no recall form")
        };
        assert!(
            form.info.iter().any(|l| l == "the team's: Brasseries"),
            "{:?}",
            form.info
        );
        form.fields[0].value = "brasseries".into();
    }
    app.key(key(KeyCode::Enter));
    assert_eq!(app.filter.pattern, "brasserie");
}
