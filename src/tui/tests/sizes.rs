//! Every view at 80×24, 120×40 and 200×60, on the demo as its manager
//! opens it (`rapport --demo`), at the fixed as-of date: reviewed by eye
//! for what each view must show at each size.

use super::*;

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 60)];

#[test]
fn every_view_at_every_size() {
    let mut f = fixture_as("default", rapport::demo::DEMO_LOGIN);
    let app = &mut f.app;
    // The card is part of the clients view's morning.
    app.set_card(true);
    for (tab, name) in [
        ("1", "clients"),
        ("2", "matrix"),
        ("3", "portfolio"),
        ("4", "queue"),
        ("5", "tickets"),
        ("6", "reports"),
        ("7", "trash"),
    ] {
        press(app, tab);
        for (w, h) in SIZES {
            insta::assert_snapshot!(format!("{name}_at_{w}x{h}"), screen(app, w, h));
        }
    }
}

/// `o`, `n` and `w` in the queue go to the first item of their group, and
/// the queue opens on the demo manager's own items.
#[test]
fn the_queue_jumps_to_each_group() {
    let mut f = fixture_as("default", rapport::demo::DEMO_LOGIN);
    let app = &mut f.app;
    press(app, "4");
    assert!(matches!(app.views.queue.scope, rapport::queue::Scope::Manager(_)));
    let counts = app.views.queue.counts;
    assert!(counts[0] > 0 && counts[0] <= 15, "a handful overdue: {counts:?}");
    assert!(counts[1] > 0 && counts[2] > 10, "some today, a full week: {counts:?}");
    press(app, "w");
    assert_eq!(app.views.queue.cursor.selected, counts[0] + counts[1]);
    press(app, "n");
    assert_eq!(app.views.queue.cursor.selected, counts[0]);
    press(app, "o");
    assert_eq!(app.views.queue.cursor.selected, 0);
    assert!(screen(app, 120, 40).contains("Amélie Martin · as of"));
}

/// A survey with too few scores says why where it can be read, at 80×24
/// and at 200×60.
#[test]
fn a_forms_error_and_options_are_always_visible() {
    let mut f = fixture_as("default", rapport::demo::DEMO_LOGIN);
    let app = &mut f.app;
    press(app, "v");
    // Product, scores: two scores where three questions are asked.
    press(app, "crm-basic");
    app.key(key(KeyCode::Tab));
    press(app, "5 4");
    app.key(key(KeyCode::Enter));
    for (w, h) in [(80, 24), (200, 60)] {
        let s = screen(app, w, h);
        assert!(s.contains("the survey has 3 questions"), "{s}");
        assert!(s.contains("┘"), "the form's bottom border shows: {s}");
    }
    assert!(!screen(app, 80, 24).contains("…"));
}

/// A long option list ends with an ellipsis where the line ends: the
/// products of a survey at 80 columns.
#[test]
fn a_long_option_list_ends_with_an_ellipsis() {
    let mut f = fixture_as("default", rapport::demo::DEMO_LOGIN);
    let app = &mut f.app;
    press(app, "v");
    let s = screen(app, 80, 24);
    let line = s.lines().find(|l| l.contains("› Product")).unwrap_or_default();
    assert!(line.contains("crm-basic") && line.contains(" …"), "{s}");
}

/// The clients list's "Offer" column (the product to offer next) shows
/// where it fits and `o` hides it.
#[test]
fn the_offer_column_shows_where_it_fits_and_hides() {
    let mut f = fixture_as("default", rapport::demo::DEMO_LOGIN);
    let app = &mut f.app;
    let header = |app: &App, w, h| screen(app, w, h).lines().nth(2).unwrap_or_default().to_string();
    assert!(header(app, 200, 60).contains("Offer"));
    assert!(!header(app, 120, 40).contains("Offer"), "no room at 120 columns");
    press(app, "o");
    assert!(!header(app, 200, 60).contains("Offer"));
    press(app, "o");
    assert!(header(app, 200, 60).contains("Offer"));
}
