//! The sales process in the interface (SPEC §9): the offer editor writes
//! the stage's document and marks it sent without losing what was typed;
//! the card lists the client's documents; the terms form refuses
//! instalments that do not sum to the invoice.

use super::*;
use crate::tui::app::FormKind;
use rapport::domain::{Channel, ClientId, OfferStage, ProductId};

fn ctrl(app: &mut App, c: char) {
    app.key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
}

/// Puts the matrix cursor on the first offer at `stage`.
fn on_offer_at(app: &mut App, stage: OfferStage) -> (ClientId, ProductId) {
    press(app, "2");
    let model = app.model();
    for (r, id) in app.views.matrix.rows.iter().enumerate() {
        for (k, p) in app.views.matrix.columns.iter().enumerate() {
            if model.offers.get(&(*id, *p)).is_some_and(|o| o.stage == stage) {
                let found = (*id, *p);
                app.views.matrix.row = r;
                app.views.matrix.col = k;
                return found;
            }
        }
    }
    panic!("no offer at {stage} in the demo data");
}

fn form_info(app: &App) -> String {
    let Overlay::Form(_, form) = &app.overlay else {
        panic!("no form open")
    };
    form.info.join("\n")
}

#[test]
fn the_offer_editor_writes_the_document_marks_it_sent_and_the_card_lists_it() {
    let mut f = fixture();
    let docs = f._dir.path().join("documents");
    f.app.documents = docs.clone();
    let app = &mut f.app;
    // At a stage without a document: said, nothing written.
    let none = on_offer_at(app, OfferStage::Refused);
    app.key(key(KeyCode::Enter));
    ctrl(app, 'd');
    assert!(
        app.status.as_ref().is_some_and(|(s, _)| s.contains("no document")),
        "{:?}",
        app.status
    );
    assert!(app.model().sales.documents_of(none.0).is_empty());
    app.key(key(KeyCode::Esc));

    let (client, product) = on_offer_at(app, OfferStage::Proposal);
    app.key(key(KeyCode::Enter));
    // Something typed first: it stays through everything below.
    {
        let Overlay::Form(_, form) = &mut app.overlay else {
            panic!()
        };
        form.focus = form.fields.iter().position(|f| f.label == "Next note").unwrap();
    }
    press(app, " call Tuesday");
    ctrl(app, 'd');
    let (said, _) = app.status.clone().unwrap();
    assert!(
        said.starts_with("OFF-2026-0001 written to ") && said.ends_with("(commercial offer)"),
        "{said}"
    );
    let file = docs.join("OFF-2026-0001.txt");
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("COMMERCIAL OFFER OFF-2026-0001")
    );
    assert!(form_info(app).contains("OFF-2026-0001 not sent"), "{}", form_info(app));
    // Marked sent over the editor, which comes back as it was.
    ctrl(app, 't');
    assert!(matches!(app.overlay, Overlay::Form(FormKind::DocSent(_), _)));
    assert!(screen(app, 80, 24).contains("OFF-2026-0001 sent"));
    {
        let Overlay::Form(_, form) = &mut app.overlay else {
            panic!()
        };
        form.focus = 1;
    }
    for _ in 0..10 {
        app.key(key(KeyCode::Backspace));
    }
    press(app, "meeting");
    app.key(key(KeyCode::Enter));
    assert!(
        matches!(app.overlay, Overlay::Form(FormKind::Offer { .. }, _)),
        "the editor is back"
    );
    assert!(
        form_info(app).contains("OFF-2026-0001 sent 22/11"),
        "{}",
        form_info(app)
    );
    let Overlay::Form(_, form) = &app.overlay else { panic!() };
    assert!(form.value("Next note").ends_with(" call Tuesday"), "typed text kept");
    let doc = &app.model().sales.documents_of(client)[0];
    assert_eq!(
        (doc.product, doc.sent.map(|s| s.channel)),
        (product, Some(Channel::Meeting))
    );
    // Nothing left to send: said.
    ctrl(app, 't');
    assert!(
        app.status
            .as_ref()
            .is_some_and(|(s, _)| s.contains("no document waiting"))
    );
    // Read over the editor, which comes back when the reader closes.
    ctrl(app, 'o');
    assert!(screen(app, 80, 24).contains("COMMERCIAL OFFER OFF-2026-0001"));
    app.key(key(KeyCode::Esc));
    assert!(matches!(app.overlay, Overlay::Form(FormKind::Offer { .. }, _)));
    app.key(key(KeyCode::Esc));
    app.key(key(KeyCode::Char('y')));
    assert_eq!(app.overlay, Overlay::None);

    // The card lists it.
    press(app, "1");
    let row = app.views.clients.rows.iter().position(|c| *c == client).unwrap();
    app.views.clients.cursor.selected = row;
    app.key(key(KeyCode::Enter));
    let card = screen(app, 120, 40);
    assert!(card.contains("OFF-2026-0001"), "{card}");
    insta::assert_snapshot!("card_with_documents_120x40", card);
}

#[test]
fn the_terms_form_refuses_a_schedule_that_does_not_sum() {
    let mut f = fixture();
    let app = &mut f.app;
    let key_of = on_offer_at(app, OfferStage::Invoiced);
    press(app, "$");
    assert!(matches!(app.overlay, Overlay::Form(FormKind::Terms { .. }, _)));
    {
        let Overlay::Form(_, form) = &mut app.overlay else {
            panic!()
        };
        for field in &mut form.fields {
            match field.label {
                "Invoice" => field.value = "1000".into(),
                "Instalments" => field.value = "600@2026-12-01 300@2027-01-15".into(),
                _ => {}
            }
        }
    }
    app.key(key(KeyCode::Enter));
    let Overlay::Form(_, form) = &app.overlay else {
        panic!("the form closed")
    };
    assert_eq!(
        form.error.as_deref(),
        Some("the instalments sum to 900.00, the invoice is 1000.00")
    );
    {
        let Overlay::Form(_, form) = &mut app.overlay else {
            panic!()
        };
        let field = form.fields.iter_mut().find(|f| f.label == "Instalments").unwrap();
        field.value = "600@2026-11-01 400@2027-01-15".into();
    }
    app.key(key(KeyCode::Enter));
    assert_eq!(app.overlay, Overlay::None);
    let t = &app.model().sales.terms[&key_of];
    assert_eq!(t.schedule.len(), 2);
    // The matrix cell says how many are paid; the first is overdue.
    assert!(screen(app, 200, 60).contains("inv 0/2 paid"));
}

#[test]
fn the_reports_view_shows_sources_and_competitors_for_the_selected_manager() {
    let mut f = fixture();
    let app = &mut f.app;
    press(app, "6M");
    // On the first manager's row: their clients only, as the table counts them.
    let r = &app.views.reports;
    let row = r.table.as_ref().unwrap().rows[r.cursor.selected].clone();
    let sources = r.sources.as_ref().unwrap();
    assert_eq!(Some(sources.total.new_clients), row.new_clients);
    assert_eq!(sources.total.primary, row.primary);
    // On the total row: everyone's; the refusals are the funnel's.
    app.key(key(KeyCode::End));
    let r = &app.views.reports;
    let (sources, table) = (r.sources.as_ref().unwrap(), r.table.as_ref().unwrap());
    assert_eq!(Some(sources.total.new_clients), table.total.new_clients);
    assert_eq!(sources.total.primary, table.total.primary);
    assert_eq!(r.competitors.as_ref().unwrap().total.total, r.funnel.refused);
    insta::assert_snapshot!("reports_marketing_120x40", screen(app, 120, 40));
    // M again: back to the funnel.
    press(app, "M");
    assert!(screen(app, 120, 40).contains("Funnel"));
}
