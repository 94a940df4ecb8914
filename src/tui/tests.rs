//! The TUI on a `TestBackend`: snapshots of each view on the demo data
//! (fixed seed and date), key sequences through the real `update` path,
//! and a sweep over terminal sizes.

use std::sync::mpsc;

use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use rapport::classes::compute;
use rapport::demo::{DemoOptions, generate};
use rapport::store::Store;

use super::app::{App, Overlay, Tab};
use super::keymap::Keymap;
use super::terminal::{Input, run_loop, sync_edges};
use super::theme::{Depth, Theme};
use super::views;

const TODAY: &str = "2026-11-22";

struct Fixture {
    _dir: tempfile::TempDir,
    app: App,
}

/// The demo data set (seed 42, fixed date) in a new store under `dir`.
mod bulk;
mod documents;
mod find;
mod records;
mod sizes;

/// The loop's editor in tests that never open one.
fn no_editor<B: ratatui::backend::Backend>(_: &mut Terminal<B>, _: &str) -> Result<Option<String>, String> {
    Err("no editor here".into())
}

pub(crate) fn demo_store(dir: &std::path::Path, clients: usize) -> Store {
    let mut store = Store::open(&dir.join("db")).unwrap();
    let today: NaiveDate = TODAY.parse().unwrap();
    generate(
        &mut store,
        &DemoOptions {
            clients,
            seed: 42,
            today,
        },
        &mut |_| {},
    )
    .unwrap();
    store
}

fn fixture_with(keymap: &str) -> Fixture {
    fixture_as(keymap, "tester")
}

/// The demo as `who` sees it (`rapport --demo` opens as the demo's manager).
fn fixture_as(keymap: &str, who: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path(), 300);
    let today: NaiveDate = TODAY.parse().unwrap();
    let (keymap, errors) = Keymap::load(keymap, None);
    assert!(errors.is_empty());
    let (theme, _) = Theme::load("dark", None, Depth::TrueColor);
    let mut app = App::new(Box::new(store), who.into(), today, keymap, theme);
    // What the event loop does after the first frame.
    app.finish_loading();
    Fixture { _dir: dir, app }
}

fn fixture() -> Fixture {
    fixture_with("default")
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        app.key(key(KeyCode::Char(c)));
    }
}

fn render(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| views::draw(f, app)).unwrap();
    t
}

fn screen(app: &App, w: u16, h: u16) -> String {
    render(app, w, h).backend().to_string()
}

#[test]
fn clients_view_snapshots() {
    let mut f = fixture();
    insta::assert_snapshot!("clients_80x24", screen(&f.app, 80, 24));
    insta::assert_snapshot!("clients_120x40", screen(&f.app, 120, 40));
    // Enter opens the client card beside the list; it follows the
    // selection; Esc closes it.
    f.app.key(key(KeyCode::Enter));
    assert!(f.app.views.clients.card_open);
    insta::assert_snapshot!("clients_card_120x40", screen(&f.app, 120, 40));
    insta::assert_snapshot!("clients_card_80x24", screen(&f.app, 80, 24));
    let first = f.app.selected_client().unwrap().name.clone();
    assert!(screen(&f.app, 120, 40).contains(&format!("· {first}")));
    f.app.key(key(KeyCode::Down));
    let second = f.app.selected_client().unwrap().name.clone();
    assert!(screen(&f.app, 120, 40).contains(&format!("· {second}")));
    f.app.key(key(KeyCode::Esc));
    assert!(!f.app.views.clients.card_open);
    assert!(f.app.views.clients.contacts.is_empty(), "a closed card reads nothing");
    assert!(!screen(&f.app, 120, 40).contains("Contact persons"));
}

#[test]
fn filter_muller_finds_mueller_with_accents_ignored() {
    let mut f = fixture();
    press(&mut f.app, "/mulle");
    f.app.dirty = false;
    press(&mut f.app, "r");
    assert!(f.app.dirty, "typing into the filter must redraw");
    let top = f.app.selected_client().unwrap();
    assert_eq!(top.name, "Müller & Söhne");
    assert!(f.app.views.clients.rows.len() < 300);
    // The matched characters of the name are highlighted: M-ü-l-l-e-r.
    assert_eq!(f.app.filter.highlight(top.id, &top.name), vec![0, 1, 2, 3, 4, 5]);
    insta::assert_snapshot!("filter_muller_120x40", screen(&f.app, 120, 40));
    // `societe` finds Société Générale Équipements; narrowing reuses hits.
    f.app.key(key(KeyCode::Esc));
    press(&mut f.app, "/societe");
    assert_eq!(f.app.selected_client().unwrap().name, "Société Générale Équipements");
    f.app.key(key(KeyCode::Enter));
    assert!(!f.app.filter.open);
    assert_eq!(f.app.filter.pattern, "societe");
    f.app.key(key(KeyCode::Esc));
    assert!(f.app.filter.pattern.is_empty());
    assert_eq!(f.app.views.clients.rows.len(), 300);
}

#[test]
fn adding_a_settlement_updates_list_and_classes_in_the_same_frame() {
    let mut f = fixture();
    press(&mut f.app, "/muller");
    f.app.key(key(KeyCode::Enter));
    let id = f.app.selected_client().unwrap().id;
    let before = f.app.classes().get(id).unwrap().clone();
    press(&mut f.app, "a");
    assert!(matches!(f.app.overlay, Overlay::Form(..)));
    f.app.key(key(KeyCode::Tab));
    press(&mut f.app, "999999,99");
    f.app.key(key(KeyCode::Tab));
    press(&mut f.app, "crm-basic");
    insta::assert_snapshot!("settlement_form_80x24", screen(&f.app, 80, 24));
    f.app.key(key(KeyCode::Enter));
    assert_eq!(f.app.overlay, Overlay::None);
    let after = f.app.classes().get(id).unwrap();
    assert_eq!(after.turnover, before.turnover + 99_999_999);
    assert_eq!(after.abc, Some(rapport::classes::Abc::A));
    assert_ne!(before.abc, after.abc);
    // Live means exact: the incremental result equals a fresh computation.
    assert_eq!(f.app.classes(), &compute(f.app.model(), TODAY.parse().unwrap()));
    assert!(f.app.status.as_ref().unwrap().0.contains("record settlement 999999.99"));
    insta::assert_snapshot!("after_settlement_120x40", screen(&f.app, 120, 40));
}

/// The list's next-due column after an edit equals a full recomputation,
/// for every client (an edit can move other clients' ABC, and so their
/// cadence), and the column sorts.
#[test]
fn the_next_due_column_is_kept_exact_and_sorts() {
    let mut f = fixture();
    let today: NaiveDate = TODAY.parse().unwrap();
    let check = |app: &App| {
        let full = rapport::queue::next_due_by_client(app.model(), app.classes(), today);
        for id in app.model().clients.keys() {
            assert_eq!(
                app.views.clients.next_due(*id),
                Ok(full.get(id).copied()),
                "client {id}"
            );
        }
    };
    check(&f.app);
    press(&mut f.app, "/muller");
    f.app.key(key(KeyCode::Enter));
    let id = f.app.selected_client().unwrap().id;
    press(&mut f.app, "a");
    f.app.key(key(KeyCode::Tab));
    press(&mut f.app, "999999,99");
    f.app.key(key(KeyCode::Enter));
    assert_eq!(
        f.app.classes().get(id).and_then(|c| c.abc),
        Some(rapport::classes::Abc::A)
    );
    check(&f.app);
    // Logging a contact moves the client's cadence date.
    press(&mut f.app, "l");
    f.app.key(key(KeyCode::Tab));
    f.app.key(key(KeyCode::Tab));
    press(&mut f.app, "Called about the order");
    f.app.key(key(KeyCode::Enter));
    assert_eq!(f.app.overlay, Overlay::None, "{:?}", f.app.status);
    check(&f.app);
    f.app.key(key(KeyCode::Esc));
    while f.app.views.clients.sort != crate::tui::views::clients::Column::NextDue {
        press(&mut f.app, "s");
    }
    let dates: Vec<NaiveDate> = f
        .app
        .views
        .clients
        .rows
        .iter()
        .map(|id| {
            f.app
                .views
                .clients
                .next_due(*id)
                .ok()
                .flatten()
                .unwrap_or(NaiveDate::MAX)
        })
        .collect();
    assert!(dates.is_sorted(), "sorted by next due");
    assert!(screen(&f.app, 120, 40).contains("Next↑"));
}

#[test]
fn forms_validate_inline_and_ask_before_discarding() {
    let mut f = fixture();
    press(&mut f.app, "a");
    f.app.key(key(KeyCode::Tab));
    press(&mut f.app, "12x");
    let text = screen(&f.app, 100, 30);
    assert!(text.contains("'12x' is not an amount"), "{text}");
    // Enter refuses an invalid form and keeps it open.
    f.app.key(key(KeyCode::Enter));
    assert!(matches!(f.app.overlay, Overlay::Form(..)));
    // Esc on a changed form asks; n goes back, y discards.
    f.app.key(key(KeyCode::Esc));
    assert!(matches!(f.app.overlay, Overlay::Confirm(..)));
    press(&mut f.app, "n");
    assert!(matches!(f.app.overlay, Overlay::Form(..)));
    f.app.key(key(KeyCode::Esc));
    press(&mut f.app, "y");
    assert_eq!(f.app.overlay, Overlay::None);
    // An unchanged form closes at once.
    press(&mut f.app, "a");
    f.app.key(key(KeyCode::Esc));
    assert_eq!(f.app.overlay, Overlay::None);
    // A bad date typed into the date field.
    press(&mut f.app, "a");
    for _ in 0..10 {
        f.app.key(key(KeyCode::Backspace));
    }
    press(&mut f.app, "31/02/2026");
    assert!(screen(&f.app, 100, 30).contains("'31/02/2026' is not a date"));
}

#[test]
fn changing_segment_goes_through_the_command_path() {
    let mut f = fixture();
    let id = f.app.selected_client().unwrap().id;
    let version = f.app.model().clients[&id].version;
    press(&mut f.app, "e");
    for _ in 0..20 {
        f.app.key(key(KeyCode::Backspace));
    }
    press(&mut f.app, "nowhere");
    f.app.key(key(KeyCode::Enter));
    assert!(matches!(f.app.overlay, Overlay::Form(..)), "unknown segment refused");
    for _ in 0..7 {
        f.app.key(key(KeyCode::Backspace));
    }
    press(&mut f.app, "health");
    f.app.key(key(KeyCode::Enter));
    assert_eq!(f.app.overlay, Overlay::None);
    let c = &f.app.model().clients[&id];
    assert_eq!(c.version, version + 1);
    assert_eq!(f.app.model().segments[&c.segment.unwrap()].code, "health");
    assert_eq!(f.app.classes(), &compute(f.app.model(), TODAY.parse().unwrap()));
}

#[test]
fn sorting_and_navigation() {
    let mut f = fixture();
    let first = f.app.views.clients.rows[0];
    f.app.key(key(KeyCode::Down));
    f.app.key(key(KeyCode::Down));
    assert_eq!(f.app.views.clients.cursor.selected, 2);
    f.app.key(key(KeyCode::End));
    assert_eq!(f.app.views.clients.cursor.selected, 299);
    f.app.key(key(KeyCode::Home));
    assert_eq!(f.app.views.clients.rows[f.app.views.clients.cursor.selected], first);
    // Sort by turnover (descending): the biggest client comes first.
    for _ in 0..6 {
        press(&mut f.app, "s");
    }
    assert_eq!(f.app.views.clients.sort, crate::tui::views::clients::Column::Turnover);
    let turnovers = |app: &App| -> Vec<i64> {
        app.views
            .clients
            .rows
            .iter()
            .map(|id| app.classes().get(*id).unwrap().turnover)
            .collect()
    };
    assert!(turnovers(&f.app).windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(f.app.views.clients.cursor.selected, 0, "a new sort shows its top");
    press(&mut f.app, "S");
    assert!(turnovers(&f.app).windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(f.app.views.clients.cursor.selected, 0);
}

#[test]
fn vim_keymap_sequences() {
    let mut f = fixture_with("vim");
    press(&mut f.app, "jjj");
    assert_eq!(f.app.views.clients.cursor.selected, 3);
    press(&mut f.app, "G");
    assert_eq!(f.app.views.clients.cursor.selected, 299);
    press(&mut f.app, "gg");
    assert_eq!(f.app.views.clients.cursor.selected, 0);
    press(&mut f.app, "2");
    assert_eq!(f.app.tab, Tab::Matrix);
    press(&mut f.app, "hl");
    assert_eq!(f.app.views.matrix.col, 1);
    press(&mut f.app, "3");
    assert_eq!(f.app.tab, Tab::Portfolio);
}

#[test]
fn other_views_snapshots() {
    let mut f = fixture();
    press(&mut f.app, "?");
    insta::assert_snapshot!("help_80x24", screen(&f.app, 80, 24));
    f.app.key(key(KeyCode::Esc));
    press(&mut f.app, ":sort");
    insta::assert_snapshot!("palette_80x24", screen(&f.app, 80, 24));
    f.app.key(key(KeyCode::Enter)); // runs the best match: sort_next
    assert_eq!(f.app.views.clients.sort, crate::tui::views::clients::Column::Segment);
    press(&mut f.app, "3");
    insta::assert_snapshot!("portfolio_120x40", screen(&f.app, 120, 40));
    press(&mut f.app, "[");
    assert_eq!(f.app.as_of(), "2026-10-22".parse::<NaiveDate>().unwrap());
    insta::assert_snapshot!("too_small", screen(&f.app, 40, 10));
}

#[test]
fn every_size_renders_without_panicking() {
    let mut f = fixture();
    let heights = [0u16, 1, 2, 3, 14, 15, 16, 24, 40, 60];
    let setups: [&dyn Fn(&mut App); 11] = [
        &|_| {},
        &|a| a.set_card(true),
        &|a| press(a, "/mul"),
        &|a| press(a, "?"),
        &|a| press(a, "a"),
        &|a| press(a, "3"),
        &|a| press(a, "2"),
        &|a| press(a, "2p"),
        &|a| press(a, "4"),
        &|a| press(a, "5"),
        &|a| press(a, "6"),
    ];
    for setup in setups {
        let mut app = std::mem::replace(&mut f.app, fixture().app);
        setup(&mut app);
        let mut t = Terminal::new(TestBackend::new(1, 1)).unwrap();
        for w in 0..=200u16 {
            for h in heights {
                t.backend_mut().resize(w, h);
                t.autoresize().unwrap();
                t.draw(|fr| views::draw(fr, &app)).unwrap();
            }
        }
    }
}

#[test]
fn the_loop_draws_only_when_something_changed() {
    let f = fixture();
    let mut app = f.app;
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let (tx, rx) = mpsc::channel();
    let mut frames = 0;
    // A key that is bound to nothing, a move, a quit.
    tx.send(Input::Key(key(KeyCode::Char('§')))).unwrap();
    tx.send(Input::Key(key(KeyCode::Down))).unwrap();
    tx.send(Input::Key(key(KeyCode::Char('q')))).unwrap();
    run_loop(
        &mut terminal,
        &mut app,
        &rx,
        |_, begin| {
            frames += usize::from(begin);
            Ok(())
        },
        &mut no_editor,
    )
    .unwrap();
    // First frame, then one for the move; the unbound key and quit draw nothing.
    assert_eq!(frames, 2);
    assert!(app.quit);
    // A closed input ends the loop without a quit action.
    let mut app2 = fixture().app;
    let (tx, rx) = mpsc::channel();
    tx.send(Input::Closed).unwrap();
    run_loop(&mut terminal, &mut app2, &rx, |_, _| Ok(()), &mut no_editor).unwrap();
    assert!(!app2.quit);
    // A fresh session draws its first frame before the next-due column is
    // computed, then once more with it; then nothing until input.
    let dir = tempfile::tempdir().unwrap();
    let (keymap, _) = Keymap::load("default", None);
    let (theme, _) = Theme::load("dark", None, Depth::Mono);
    let mut fresh = App::new(
        Box::new(demo_store(dir.path(), 50)),
        "t".into(),
        TODAY.parse().unwrap(),
        keymap,
        theme,
    );
    let first = fresh.views.clients.rows[0];
    assert_eq!(fresh.views.clients.next_due(first), Err(()));
    assert!(screen(&fresh, 120, 30).contains("…"));
    let (tx, rx) = mpsc::channel();
    tx.send(Input::Closed).unwrap();
    let mut frames = 0;
    run_loop(
        &mut terminal,
        &mut fresh,
        &rx,
        |_, begin| {
            frames += usize::from(begin);
            Ok(())
        },
        &mut no_editor,
    )
    .unwrap();
    assert_eq!(frames, 2);
    assert!(fresh.views.clients.next_due(first).is_ok());
    assert!(!fresh.finish_loading(), "loaded once");
}

/// Without colour (the mono theme, as with `NO_COLOR`) the selection is
/// still visible: the selected client's name cell is in reverse video, and
/// only that row's.
#[test]
fn selection_shows_in_reverse_video_without_colour() {
    use ratatui::style::Modifier;

    let mut f = fixture();
    f.app.theme = Theme::load("mono", None, Depth::Mono).0;
    f.app.key(key(KeyCode::Down));
    let t = render(&f.app, 120, 40);
    let buf = t.backend().buffer();
    let reversed = |y: u16| (1..30).all(|x| buf[(x, y)].modifier.contains(Modifier::REVERSED));
    // Row 0 of the list is screen line 3 (tabs, border, header).
    assert!(!reversed(3));
    assert!(reversed(4), "the selected name is not in reverse video");
    assert!(!reversed(5));
}

/// The filter narrows the last hits as the pattern grows, scores on two
/// threads and reuses its buffers: it must still find exactly what a
/// fresh index finds, in the same order, for every prefix typed.
#[test]
fn narrowing_finds_what_a_fresh_search_finds() {
    use super::fuzzy::Search;

    let f = fixture();
    let model = f.app.model();
    for parallel_from in [usize::MAX, 0, 150] {
        let mut search = Search::build(model).parallel_from(parallel_from);
        let mut recycle = None;
        let typed = [
            "a", "ap", "apo", "apot", "apo", "apo b", "apo be", "", "s", "so", "soc", "socie", "z", "zo", "zoe",
            "zoe ", "zoe c", "m", "mu", "mül", "müll", "ü", "x", "xq", "e", "er",
        ];
        for pattern in typed {
            let hits = search.filter(pattern, recycle.take());
            let fresh = Search::build(model).filter(pattern, None);
            assert_eq!(hits.ranked, fresh.ranked, "{pattern:?} from {parallel_from}");
            let mut ids: Vec<_> = hits.ranked.iter().map(|(id, _)| *id).collect();
            ids.sort_unstable();
            assert_eq!(hits.ascending, ids, "{pattern:?}");
            recycle = Some(hits);
        }
    }
    // Something to find, and something that narrows it to nothing.
    let mut search = Search::build(model);
    assert!(search.filter("apo", None).ranked.len() > 1);
    assert!(search.filter("apoqqq", None).ranked.is_empty());
}

/// Budgets of issue 4 on the 100,000-client demo data (generated by
/// `scripts/bench.sh` or the class bench into target/bench-data):
/// `cargo test --release --bin rapport perf_100k -- --ignored --nocapture`.
#[test]
#[ignore]
fn perf_100k() {
    use std::io::Write;
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    use ratatui::backend::CrosstermBackend;
    use ratatui::layout::Rect;
    use ratatui::{TerminalOptions, Viewport};

    #[derive(Clone, Default)]
    struct Count(Arc<Mutex<usize>>);
    impl Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            *self.0.lock().unwrap() += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/demo-100k");
    assert!(
        path.join("conf").exists(),
        "run scripts/bench.sh first to generate {}",
        path.display()
    );
    let start = Instant::now();
    let store = Store::open(&path).unwrap();
    let opened = start.elapsed();
    let (keymap, _) = Keymap::load("default", None);
    let (theme, _) = Theme::load("dark", None, Depth::Ansi256);
    let mut app = App::new(Box::new(store), "bench".into(), TODAY.parse().unwrap(), keymap, theme);
    let count = Count::default();
    let backend = CrosstermBackend::new(std::io::BufWriter::new(count.clone()));
    let mut terminal = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 120, 40)),
        },
    )
    .unwrap();
    terminal.draw(|f| views::draw(f, &app)).unwrap();
    let first_frame = start.elapsed();
    println!("start-up: open {opened:?}, first frame {first_frame:?}");

    app.finish_loading();
    terminal.draw(|f| views::draw(f, &app)).unwrap();
    // Bytes for moving the selection one row, through the real loop (a
    // key in, one frame in synchronized output out), then for 5 s idling.
    let mut bytes_per_move = |app: &mut App, n: usize| -> Vec<f64> {
        (0..n)
            .map(|_| {
                app.dirty = false;
                let before = *count.0.lock().unwrap();
                let (tx, rx) = mpsc::channel();
                tx.send(Input::Key(key(KeyCode::Down))).unwrap();
                tx.send(Input::Closed).unwrap();
                run_loop(&mut terminal, app, &rx, sync_edges, &mut no_editor).unwrap();
                (*count.0.lock().unwrap() - before) as f64
            })
            .collect()
    };
    let moves = bytes_per_move(&mut app, 20);
    println!(
        "bytes per one-row move at 120x40: median {}, max {}",
        median(moves.clone()),
        moves.iter().copied().fold(0.0, f64::max)
    );
    // With the client card open, for comparison (it follows the selection).
    // (The first frame also opens the card: left out.)
    app.set_card(true);
    let card_moves = bytes_per_move(&mut app, 11).split_off(1);
    println!(
        "bytes per one-row move with the client card open: median {}",
        median(card_moves)
    );
    app.set_card(false);
    // Where they go: cells that change on a move, by region.
    let before_buf = render(&app, 120, 40).backend().buffer().clone();
    app.key(key(KeyCode::Down));
    let after_buf = render(&app, 120, 40).backend().buffer().clone();
    let (mut list, mut side) = (0, 0);
    for y in 0..40u16 {
        for x in 0..120u16 {
            if before_buf[(x, y)] != after_buf[(x, y)] {
                if x < 76 { list += 1 } else { side += 1 }
            }
        }
    }
    println!("cells changed by a move: list {list}, classes pane {side}");
    // Idle: nothing pending, no input for 5 s.
    app.dirty = false;
    let before = *count.0.lock().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(5));
        drop(tx);
    });
    run_loop(&mut terminal, &mut app, &rx, |_, _| Ok(()), &mut no_editor).unwrap();
    println!(
        "bytes written while idle for 5 s: {}",
        *count.0.lock().unwrap() - before
    );

    // Keystroke → frame for the filter, the first keystroke included.
    let mut per_key = Vec::new();
    let mut first = Vec::new();
    for pattern in ["muller", "societe", "brasserie", "zoe clarke", "apotheke"] {
        press(&mut app, "/");
        first.push(per_key.len());
        for c in pattern.chars() {
            let t = Instant::now();
            app.key(key(KeyCode::Char(c)));
            terminal.draw(|f| views::draw(f, &app)).unwrap();
            per_key.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        app.key(key(KeyCode::Esc));
    }
    // Phone numbers by their digits (issue 21: ≤ 8 ms median).
    let mut per_digit = Vec::new();
    for pattern in ["0612 34", "77 27 77", "+33 1 61 86"] {
        press(&mut app, "/");
        for c in pattern.chars() {
            let t = Instant::now();
            app.key(key(KeyCode::Char(c)));
            terminal.draw(|f| views::draw(f, &app)).unwrap();
            per_digit.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        app.key(key(KeyCode::Esc));
    }
    println!(
        "phone filter keystroke → frame: median {:.2} ms, max {:.2} ms",
        median(per_digit.clone()),
        per_digit.iter().copied().fold(0.0, f64::max)
    );
    // The matrix: opening the tab (rows for 100,000 clients), then cursor
    // moves and opening a cell, each with its frame.
    let t = Instant::now();
    press(&mut app, "2");
    terminal.draw(|f| views::draw(f, &app)).unwrap();
    println!("matrix tab open with first frame: {:?}", t.elapsed());
    let mut moves = Vec::new();
    for k in [
        KeyCode::Down,
        KeyCode::Right,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::PageDown,
        KeyCode::Right,
    ] {
        for _ in 0..5 {
            let t = Instant::now();
            app.key(key(k));
            terminal.draw(|f| views::draw(f, &app)).unwrap();
            moves.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let mut opens = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        app.key(key(KeyCode::Enter));
        terminal.draw(|f| views::draw(f, &app)).unwrap();
        opens.push(t.elapsed().as_secs_f64() * 1000.0);
        app.key(key(KeyCode::Esc));
        app.key(key(KeyCode::Down));
    }
    println!(
        "matrix cursor move → frame: median {:.2} ms; open a cell → frame: median {:.2} ms",
        median(moves),
        median(opens)
    );
    if std::env::var_os("RAPPORT_PERF_KEYS").is_some() {
        println!(
            "every filter keystroke: {:?}",
            per_key.iter().map(|v| format!("{v:.1}")).collect::<Vec<_>>()
        );
    }
    let first: Vec<f64> = first.iter().map(|i| per_key[*i]).collect();
    println!(
        "filter keystroke → frame: median {:.2} ms, max {:.2} ms, first keystrokes {:?}",
        median(per_key.clone()),
        per_key.iter().copied().fold(0.0, f64::max),
        first.iter().map(|v| format!("{v:.1}")).collect::<Vec<_>>()
    );
}

mod parsers_never_panic {
    use proptest::prelude::*;

    use crate::tui::keymap::Keymap;
    use crate::tui::settings;
    use crate::tui::theme::{Depth, Theme};

    /// Pieces of keymap, theme and config files, valid and broken, glued
    /// together at random.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("[clients]\n".to_string()),
            Just("[global]\nkeymap = [\n".to_string()),
            Just("[colors]\n".to_string()),
            Just("keymap = [ { on = \"q\", run = \"quit\" } ]\n".to_string()),
            Just("{ on = [\"g\", \"g\"], run = [\"top\", \"help\"], desc = \"é\" },\n".to_string()),
            Just("]\n".to_string()),
            Just("accent = \"#ff0000\"\n".to_string()),
            Just("text = 256\n".to_string()),
            Just("theme = \"light\"\nkeymap = \"vim\"\n".to_string()),
            Just("x = { y = [1, 2.5, true, 1979-05-27T07:32:00Z] }\n".to_string()),
            "[a-z_\\[\\]{}=\",#\\n -]{0,40}",
            any::<String>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn random_files(parts in proptest::collection::vec(fragment(), 0..12)) {
            let text = parts.concat();
            let (_, errors) = Keymap::load("vim", Some(("k.toml", &text)));
            for e in &errors {
                prop_assert!(e.line >= 1 && e.column >= 1);
            }
            let _ = Theme::load("dark", Some(("t.toml", &text)), Depth::TrueColor);
            let dir = tempfile::tempdir().unwrap();
            for name in ["config.toml", "keymap.toml", "theme.toml"] {
                std::fs::write(dir.path().join(name), &text).unwrap();
            }
            let loaded = settings::load(Some(dir.path()), Depth::Ansi256);
            // The presets survive whatever the user's files hold.
            prop_assert!(!loaded.keymap.bindings(crate::tui::keymap::Mode::Form).is_empty());
        }
    }
}

mod matrix_view {
    use super::*;
    use rapport::domain::{OfferStage, ProductId};

    /// Puts the matrix cursor on the first target cell never offered.
    fn on_unoffered_target(app: &mut App) -> (rapport::domain::ClientId, ProductId) {
        let model = app.model();
        for (r, id) in app.views.matrix.rows.iter().enumerate() {
            let c = &model.clients[id];
            for (k, p) in app.views.matrix.columns.iter().enumerate() {
                let target = c.segment.is_some_and(|s| model.portrait.contains(&(s, *p)));
                if target && !model.offers.contains_key(&(*id, *p)) {
                    let found = (*id, *p);
                    app.views.matrix.row = r;
                    app.views.matrix.col = k;
                    return found;
                }
            }
        }
        panic!("no free target cell in the demo data");
    }

    fn stage(app: &App, key: (rapport::domain::ClientId, ProductId)) -> OfferStage {
        app.model().offers.get(&key).map_or(OfferStage::NotOffered, |o| o.stage)
    }

    /// The form is still open and says `text`.
    fn assert_form_error(app: &App, text: &str) {
        let Overlay::Form(_, form) = &app.overlay else {
            panic!("the form closed")
        };
        let error = form.error.as_deref().unwrap_or("");
        assert!(error.contains(text), "form error {error:?} lacks {text:?}");
    }

    fn set_field(app: &mut App, label: &str, value: &str) {
        let Overlay::Form(_, form) = &mut app.overlay else {
            panic!("no form open")
        };
        let field = form.fields.iter_mut().find(|f| f.label == label).unwrap();
        field.value = value.to_string();
    }

    #[test]
    fn snapshots_with_horizontal_scroll() {
        let mut f = fixture();
        press(&mut f.app, "2");
        insta::assert_snapshot!("matrix_80x24", screen(&f.app, 80, 24));
        for _ in 0..9 {
            f.app.key(key(KeyCode::Right));
        }
        f.app.key(key(KeyCode::Down));
        insta::assert_snapshot!("matrix_160x48_scrolled", screen(&f.app, 160, 48));
    }

    #[test]
    fn every_transition_from_the_keyboard() {
        let mut f = fixture();
        press(&mut f.app, "2");
        let cell = on_unoffered_target(&mut f.app);
        // Enter: the form suggests the next stage; saving moves the offer.
        f.app.key(key(KeyCode::Enter));
        assert!(matches!(f.app.overlay, Overlay::Form(..)));
        f.app.key(key(KeyCode::Enter));
        assert_eq!(f.app.overlay, Overlay::None, "{:?}", f.app.status);
        assert_eq!(stage(&f.app, cell), OfferStage::Presentation);
        // Quick key: one stage forward, next step in 7 days.
        press(&mut f.app, ">");
        assert_eq!(stage(&f.app, cell), OfferStage::Proposal);
        let offer = &f.app.model().offers[&cell];
        assert_eq!(offer.next_step, Some("2026-11-29".parse().unwrap()));
        assert_eq!(offer.history.len(), 2);
        // Back without a note: refused inside the form, which stays open.
        f.app.key(key(KeyCode::Enter));
        set_field(&mut f.app, "Stage", "presentation");
        f.app.key(key(KeyCode::Enter));
        assert_form_error(&f.app, "needs a note");
        insta::assert_snapshot!("cell_form_refused_back_move", screen(&f.app, 100, 30));
        set_field(&mut f.app, "Note", "client wants another demo");
        f.app.key(key(KeyCode::Enter));
        assert_eq!(stage(&f.app, cell), OfferStage::Presentation);
        // A refusal needs its reason; with one, the cell shows it.
        f.app.key(key(KeyCode::Enter));
        set_field(&mut f.app, "Stage", "refused");
        f.app.key(key(KeyCode::Enter));
        assert!(matches!(f.app.overlay, Overlay::Form(..)));
        set_field(&mut f.app, "Reason", "price");
        set_field(&mut f.app, "Retry", "+90");
        f.app.key(key(KeyCode::Enter));
        assert_eq!(stage(&f.app, cell), OfferStage::Refused);
        let offer = &f.app.model().offers[&cell];
        assert_eq!(
            offer.refusal.as_ref().unwrap().retry,
            Some("2027-02-20".parse().unwrap())
        );
        let c = f.app.model().clients[&cell.0].clone();
        assert_eq!(
            rapport::matrix::cell(f.app.model(), &c, cell.1, f.app.today).label,
            "ref@1 price"
        );
        // Exclude, then re-open with the quick key.
        f.app.key(key(KeyCode::Enter));
        set_field(&mut f.app, "Stage", "excluded");
        f.app.key(key(KeyCode::Enter));
        assert_eq!(stage(&f.app, cell), OfferStage::Excluded);
        press(&mut f.app, "}");
        assert_eq!(stage(&f.app, cell), OfferStage::Presentation);
        assert_eq!(f.app.model().offers[&cell].history.len(), 6);
        // Maturity and classes stay exact throughout.
        assert_eq!(f.app.classes(), &compute(f.app.model(), TODAY.parse().unwrap()));
    }

    #[test]
    fn typed_next_step_date() {
        let mut f = fixture();
        press(&mut f.app, "2");
        let cell = on_unoffered_target(&mut f.app);
        press(&mut f.app, "+");
        press(&mut f.app, "15/12/2026");
        f.app.key(key(KeyCode::Enter));
        let offer = &f.app.model().offers[&cell];
        assert_eq!(offer.stage, OfferStage::Presentation);
        assert_eq!(offer.next_step, Some("2026-12-15".parse().unwrap()));
    }

    #[test]
    fn non_targets_are_muted_and_overdue_cells_stand_out() {
        use ratatui::style::Modifier;
        let mut f = fixture();
        press(&mut f.app, "2");
        let model = f.app.model();
        let today = f.app.today;
        // Find a visible non-target cell and a visible overdue cell.
        let (mut muted, mut overdue) = (None, None);
        for (r, id) in f.app.views.matrix.rows.iter().enumerate().take(30) {
            let c = &model.clients[id];
            for (k, p) in f.app.views.matrix.columns.iter().enumerate().take(6) {
                let cell = rapport::matrix::cell(model, c, *p, today);
                if !cell.target && muted.is_none() {
                    muted = Some((r, k));
                }
                if cell.overdue && overdue.is_none() {
                    overdue = Some((r, k, cell.label.clone()));
                }
            }
        }
        let t = render(&f.app, 160, 48);
        let buf = t.backend().buffer();
        // Rows start under the tab bar, border and two header lines; cells
        // after 12 + 22 + 5 + 3 fixed columns, 14 wide, inside the border.
        let at = |r: usize, k: usize| buf[((1 + 42 + 14 * k) as u16, (4 + r) as u16)].clone();
        let (r, k) = muted.expect("a non-target cell in view");
        assert!(at(r, k).modifier.contains(Modifier::DIM), "non-target cell not muted");
        let (r, k, label) = overdue.expect("an overdue cell in view");
        let cell = at(r, k);
        assert_eq!(cell.symbol(), &label[..1]);
        assert!(cell.modifier.contains(Modifier::BOLD), "overdue cell not emphasised");
        assert_eq!(cell.fg, f.app.theme.style("overdue").fg.unwrap());
    }

    #[test]
    fn scrolling_the_matrix_never_reads_the_store() {
        use std::sync::atomic::Ordering;
        let dir = tempfile::tempdir().unwrap();
        let store = super::demo_store(dir.path(), 120);
        let today: NaiveDate = TODAY.parse().unwrap();
        let (keymap, _) = Keymap::load("default", None);
        let (theme, _) = Theme::load("dark", None, Depth::Mono);
        let fake = super::fake::Fake::new(store);
        let reads = fake.reads.clone();
        let mut app = App::new(Box::new(fake), "t".into(), today, keymap, theme);
        press(&mut app, "2");
        let before = reads.load(Ordering::SeqCst);
        for code in [
            KeyCode::Down,
            KeyCode::Right,
            KeyCode::PageDown,
            KeyCode::End,
            KeyCode::Left,
            KeyCode::Home,
        ] {
            for _ in 0..5 {
                app.key(key(code));
                render(&app, 120, 40);
            }
        }
        assert_eq!(reads.load(Ordering::SeqCst), before);
    }

    #[test]
    fn a_stale_cell_edit_is_refused() {
        let mut f = fixture();
        press(&mut f.app, "2");
        let cell = on_unoffered_target(&mut f.app);
        f.app.key(key(KeyCode::Enter));
        let opened = f.app.overlay.clone();
        f.app.key(key(KeyCode::Esc));
        // Someone else moves the offer meanwhile.
        press(&mut f.app, ">");
        assert_eq!(stage(&f.app, cell), OfferStage::Presentation);
        f.app.overlay = opened;
        set_field(&mut f.app, "Stage", "agreement");
        f.app.key(key(KeyCode::Enter));
        assert_form_error(&f.app, "changed by someone else");
        assert_eq!(stage(&f.app, cell), OfferStage::Presentation);
    }

    #[test]
    fn portrait_editor_updates_maturity_and_the_plan() {
        let mut f = fixture();
        press(&mut f.app, "2p");
        insta::assert_snapshot!("portrait_editor_120x40", screen(&f.app, 120, 40));
        let before_targets = f.app.views.matrix.whitespace.targets;
        let before = f.app.model().portrait.len();
        press(&mut f.app, " ");
        let after = f.app.model().portrait.len();
        assert_eq!(before.abs_diff(after), 1);
        assert_ne!(f.app.views.matrix.whitespace.targets, before_targets);
        assert_eq!(f.app.classes(), &compute(f.app.model(), TODAY.parse().unwrap()));
        press(&mut f.app, " ");
        assert_eq!(f.app.model().portrait.len(), before);
        f.app.key(key(KeyCode::Esc));
        assert!(!f.app.views.matrix.portrait);
    }

    #[test]
    fn restrictions_and_filter() {
        let mut f = fixture();
        press(&mut f.app, "2");
        let all = f.app.views.matrix.rows.len();
        press(&mut f.app, "s");
        let seg = f.app.views.matrix.segment.unwrap();
        assert!(f.app.views.matrix.rows.len() < all);
        assert!(
            f.app
                .views
                .matrix
                .rows
                .iter()
                .all(|id| f.app.model().clients[id].segment == Some(seg))
        );
        press(&mut f.app, "m");
        assert!(f.app.views.matrix.manager.is_some());
        press(&mut f.app, "/muller");
        f.app.key(key(KeyCode::Enter));
        assert!(
            f.app
                .views
                .matrix
                .rows
                .iter()
                .all(|id| f.app.views.clients.rows.contains(id))
        );
    }
}

/// The queue tab (SPEC §5) driven by keys on the demo data.
mod queue_view {
    use super::*;
    use rapport::classes::Abc;
    use rapport::queue::{Group, ItemKey, Kind, Scope};

    fn select(app: &mut App, index: usize) {
        press(app, "4");
        app.key(key(KeyCode::Home));
        for _ in 0..index {
            app.key(key(KeyCode::Down));
        }
        assert_eq!(app.views.queue.cursor.selected, index);
    }

    fn typed(app: &mut App, text: &str) {
        // Clear the field first (ctrl-u), then type.
        app.key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        press(app, text);
    }

    fn keys(app: &App) -> Vec<ItemKey> {
        app.views.queue.items.iter().map(|i| i.key).collect()
    }

    #[test]
    fn snapshots_and_counts() {
        let mut f = fixture();
        press(&mut f.app, "4");
        assert_eq!(f.app.tab, Tab::Queue);
        assert_eq!(f.app.views.queue.scope, Scope::All, "tester is not a manager");
        let today: NaiveDate = TODAY.parse().unwrap();
        let q = &f.app.views.queue;
        let overdue = q.items.iter().filter(|i| i.group(today) == Group::Overdue).count();
        assert_eq!(q.counts[0], overdue);
        assert_eq!(q.counts.iter().sum::<usize>(), q.items.len());
        insta::assert_snapshot!("queue_120x40", screen(&f.app, 120, 40));
        insta::assert_snapshot!("queue_80x24", screen(&f.app, 80, 24));
        // The last item scrolls into view with its group heading kept.
        f.app.key(key(KeyCode::End));
        let text = screen(&f.app, 120, 40);
        let last = f.app.views.queue.items.last().unwrap();
        let name = &f.app.model().clients[&last.client].name;
        assert!(text.contains(name.as_str()), "{name} not on screen:\n{text}");
    }

    #[test]
    fn logging_a_call_moves_a_class_a_clients_cadence_out_of_today() {
        let mut f = fixture();
        press(&mut f.app, "4");
        let today: NaiveDate = TODAY.parse().unwrap();
        let index = f
            .app
            .views
            .queue
            .items
            .iter()
            .position(|i| {
                // The demo team called its clients lately: their calls
                // fall due within the week.
                i.kind == Kind::Cadence
                    && i.due <= today + chrono::Days::new(7)
                    && f.app.classes().get(i.client).and_then(|c| c.abc) == Some(Abc::A)
            })
            .expect("a class-A client due for a call in the demo data");
        let item = f.app.views.queue.items[index].clone();
        select(&mut f.app, index);
        press(&mut f.app, "l");
        let Overlay::Form(_, form) = &f.app.overlay else {
            panic!("no log form")
        };
        assert_eq!(form.value("Next contact"), "+14", "class A cadence");
        f.app.key(key(KeyCode::Enter));
        let Overlay::Form(_, form) = &f.app.overlay else {
            panic!("an empty summary must keep the form open")
        };
        assert_eq!(form.error.as_deref(), Some("summary is required"));
        assert_eq!(form.focus, 2, "the focus moved to the summary");
        press(&mut f.app, "Discussed the renewal");
        f.app.key(key(KeyCode::Enter));
        assert_eq!(f.app.overlay, Overlay::None, "{:?}", f.app.status);
        assert!(!keys(&f.app).contains(&item.key), "the cadence item left the queue");
        // Its next date is the agreed one, 14 days on.
        let classes = compute(f.app.model(), today);
        let next = rapport::queue::find(f.app.model(), &classes, today, item.key).unwrap();
        assert_eq!(next.due, today + chrono::Days::new(14));
        // The contact is in the client's log, with who logged it.
        press(&mut f.app, "1");
        f.app.update(super::super::action::Action::TabQueue);
        let idx = f.app.views.queue.items.iter().position(|i| i.client == item.client);
        if let Some(idx) = idx {
            select(&mut f.app, idx);
            f.app.key(key(KeyCode::Enter));
            assert_eq!(f.app.tab, Tab::Clients);
            assert_eq!(f.app.selected_client().map(|c| c.id), Some(item.client));
            assert_eq!(f.app.views.clients.contacts[0].summary, "Discussed the renewal");
            assert_eq!(f.app.views.clients.contacts[0].who, "tester");
        }
    }

    #[test]
    fn done_snooze_task_and_jump() {
        let mut f = fixture();
        press(&mut f.app, "4");
        let today: NaiveDate = TODAY.parse().unwrap();
        // Done: a next step leaves the queue and the mark is stored.
        let i = f
            .app
            .views
            .queue
            .items
            .iter()
            .position(|i| i.kind == Kind::NextStep)
            .unwrap();
        let step = f.app.views.queue.items[i].clone();
        select(&mut f.app, i);
        press(&mut f.app, "d");
        assert!(!keys(&f.app).contains(&step.key));
        assert!(f.app.model().marks.contains_key(&step.key.to_string()));

        // Snooze: +7 moves it a week on (past dates are refused in the form).
        let i = f
            .app
            .views
            .queue
            .items
            .iter()
            .position(|i| i.kind == Kind::Expiry)
            .unwrap();
        let expiry = f.app.views.queue.items[i].clone();
        select(&mut f.app, i);
        press(&mut f.app, "s");
        typed(&mut f.app, "2020-01-01");
        f.app.key(key(KeyCode::Enter));
        let Overlay::Form(_, form) = &f.app.overlay else {
            panic!("a past date must keep the form open")
        };
        assert_eq!(form.error.as_deref(), Some("2020-01-01 is in the past"));
        typed(&mut f.app, "+7");
        f.app.key(key(KeyCode::Enter));
        let moved = f.app.views.queue.items.iter().find(|i| i.key == expiry.key).unwrap();
        assert_eq!((moved.due, moved.snoozed), (today + chrono::Days::new(7), true));
        // The cursor stays on its row: the next item to work on is there.
        assert_eq!(f.app.views.queue.cursor.selected, i);
        assert_ne!(f.app.views.queue.selected_item().map(|x| x.key), Some(expiry.key));

        // A task for the selected item's client shows in the next 7 days.
        let client = f.app.views.queue.selected_item().unwrap().client;
        press(&mut f.app, "T");
        f.app.key(key(KeyCode::Tab));
        press(&mut f.app, "Send the brochure");
        f.app.key(key(KeyCode::Enter));
        let task = f
            .app
            .views
            .queue
            .items
            .iter()
            .find(|i| i.kind == Kind::Task && i.reason == "task: Send the brochure")
            .unwrap();
        assert_eq!((task.client, task.due), (client, today + chrono::Days::new(1)));
        // `d` on a task completes it.
        let i = f.app.views.queue.items.iter().position(|i| i.key == task.key).unwrap();
        let task_key = task.key;
        select(&mut f.app, i);
        press(&mut f.app, "d");
        assert!(!keys(&f.app).contains(&task_key));

        // `m` switches to one manager's clients only when the user is one.
        press(&mut f.app, "m");
        assert_eq!(f.app.views.queue.scope, Scope::All);
    }
}

/// Complaints and surveys (SPEC §6) from the keyboard.
mod tickets_view {
    use super::*;
    use rapport::domain::{TicketSource, TicketStage};
    use rapport::queue::{ItemKey, Kind};

    fn typed(app: &mut App, text: &str) {
        app.key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        press(app, text);
    }

    fn form_error(app: &App) -> Option<String> {
        match &app.overlay {
            Overlay::Form(_, form) => form.error.clone(),
            _ => None,
        }
    }

    #[test]
    fn snapshots_of_list_and_detail() {
        let mut f = fixture();
        press(&mut f.app, "5");
        assert_eq!(f.app.tab, Tab::Tickets);
        assert!(!f.app.views.tickets.ids.is_empty());
        insta::assert_snapshot!("tickets_120x40", screen(&f.app, 120, 40));
        insta::assert_snapshot!("tickets_80x24", screen(&f.app, 80, 24));
        // `f` cycles: open → overdue → all.
        press(&mut f.app, "ff");
        let all = f.app.views.tickets.ids.len();
        assert_eq!(all, f.app.model().tickets.len());
    }

    #[test]
    fn a_survey_scored_3_opens_a_ticket_seen_in_tickets_and_queue() {
        let mut f = fixture();
        let client = f.app.selected_client().unwrap().id;
        let before = f.app.model().tickets.len();
        press(&mut f.app, "v");
        typed(&mut f.app, "crm-basic");
        f.app.key(key(KeyCode::Tab));
        press(&mut f.app, "5 9 4");
        f.app.key(key(KeyCode::Enter));
        assert_eq!(form_error(&f.app).as_deref(), Some("scores are 1 to 5, like 5 4 3"));
        typed(&mut f.app, "5 3");
        f.app.key(key(KeyCode::Enter));
        assert!(form_error(&f.app).unwrap().contains("the survey has 3 questions"));
        typed(&mut f.app, "5 3 4");
        f.app.key(key(KeyCode::Enter));
        assert_eq!(f.app.overlay, Overlay::None);
        let ticket = f.app.model().tickets.values().last().unwrap().clone();
        assert_eq!(f.app.model().tickets.len(), before + 1);
        assert_eq!(ticket.client, client);
        assert!(matches!(ticket.source, TicketSource::Survey(_)));
        let (text, _) = f.app.status.clone().unwrap();
        assert_eq!(
            text,
            format!("Survey recorded: a score of 3 or less opened ticket #{}", ticket.id)
        );
        // In the tickets tab, newest first…
        press(&mut f.app, "5");
        assert_eq!(
            f.app.views.tickets.selected(f.app.model()).map(|t| t.id),
            Some(ticket.id)
        );
        // …and in the queue, due a day after opening.
        press(&mut f.app, "4");
        let item = f
            .app
            .views
            .queue
            .items
            .iter()
            .find(|i| i.key == ItemKey::Ticket(ticket.id))
            .unwrap();
        assert_eq!(item.kind, Kind::Ticket);
        assert_eq!(item.due, "2026-11-23".parse::<NaiveDate>().unwrap());
    }

    #[test]
    fn a_complaint_from_registration_to_closure() {
        let mut f = fixture();
        let client = f.app.selected_client().unwrap().clone();
        press(&mut f.app, "n");
        f.app.key(key(KeyCode::Tab));
        f.app.key(key(KeyCode::Tab));
        press(&mut f.app, "Delivery arrived broken");
        f.app.key(key(KeyCode::Enter));
        assert_eq!(f.app.overlay, Overlay::None, "{:?}", form_error(&f.app));
        press(&mut f.app, "5");
        let id = f.app.views.tickets.selected(f.app.model()).unwrap().id;
        assert_eq!(f.app.views.tickets.selected(f.app.model()).unwrap().client, client.id);
        let stage = |f: &Fixture| f.app.model().tickets[&id].stage;

        // Investigating: the form asks for an owner and refuses without one.
        press(&mut f.app, ">");
        f.app.key(key(KeyCode::Tab));
        typed(&mut f.app, "");
        f.app.key(key(KeyCode::Enter));
        assert_eq!(form_error(&f.app).as_deref(), Some("owner is required"));
        typed(&mut f.app, "nobody");
        f.app.key(key(KeyCode::Enter));
        assert!(form_error(&f.app).unwrap().starts_with("no manager 'nobody'"));
        let login = f.app.model().managers.values().next().unwrap().login.clone();
        typed(&mut f.app, &login);
        f.app.key(key(KeyCode::Enter));
        assert_eq!(stage(&f), TicketStage::Investigating);

        // Resolved: the cause and the action.
        press(&mut f.app, ">");
        f.app.key(key(KeyCode::Tab));
        press(&mut f.app, "Packaging too thin");
        f.app.key(key(KeyCode::Enter));
        assert_eq!(form_error(&f.app).as_deref(), Some("action taken is required"));
        press(&mut f.app, "Replacement sent");
        f.app.key(key(KeyCode::Enter));
        assert_eq!(stage(&f), TicketStage::Resolved);

        // Prevented: the process fix. Then closed.
        press(&mut f.app, ">");
        f.app.key(key(KeyCode::Tab));
        press(&mut f.app, "Double boxes for fragile goods");
        f.app.key(key(KeyCode::Enter));
        assert_eq!(stage(&f), TicketStage::Prevented);
        insta::assert_snapshot!("ticket_prevented_120x40", screen(&f.app, 120, 40));
        press(&mut f.app, ">");
        f.app.key(key(KeyCode::Enter));
        assert_eq!(stage(&f), TicketStage::Closed);
        let history: Vec<TicketStage> = f.app.model().tickets[&id].history.iter().map(|h| h.to).collect();
        assert_eq!(history, TicketStage::ALL[1..].to_vec());
        assert!(f.app.model().tickets[&id].history.iter().all(|h| h.who == "tester"));
        let k = &f.app.model().tickets[&id];
        assert_eq!(
            (k.cause.as_str(), k.action.as_str(), k.fix.as_str()),
            (
                "Packaging too thin",
                "Replacement sent",
                "Double boxes for fragile goods"
            )
        );
        // Closed tickets leave the open list.
        assert!(!f.app.views.tickets.ids.contains(&id));
    }
}

mod reports_view {
    use super::*;
    use rapport::kpi::GroupBy;

    fn table(app: &App) -> &rapport::kpi::Table {
        app.views
            .reports
            .table
            .as_ref()
            .expect("the reports tab computed its table")
    }

    #[test]
    fn snapshots_and_the_period_and_grouping_keys() {
        let mut f = fixture();
        press(&mut f.app, "6");
        assert_eq!(f.app.tab, Tab::Reports);
        assert_eq!(
            f.app.views.reports.period_label(),
            "this month · 2026-11-01 to 2026-11-22"
        );
        let t = table(&f.app);
        let logins: Vec<&str> = t.rows.iter().map(|r| r.group.as_str()).collect();
        assert_eq!(logins, ["amartin", "fdubois", "hweber", "jschmidt", "ocarter"]);
        // The total adds up the rows.
        let sum = |f: fn(&rapport::kpi::Row) -> u32| t.rows.iter().map(f).sum::<u32>();
        assert_eq!(sum(|r| r.repeat.count), t.total.repeat.count);
        assert_eq!(sum(|r| r.loyalty.active_clients), t.total.loyalty.active_clients);
        let month = t.total.repeat.count;
        insta::assert_snapshot!("reports_160x45", screen(&f.app, 160, 45));
        insta::assert_snapshot!("reports_80x24", screen(&f.app, 80, 24));

        press(&mut f.app, "p");
        assert_eq!(
            f.app.views.reports.period_label(),
            "last month · 2026-10-01 to 2026-10-31"
        );
        press(&mut f.app, "ppp");
        assert_eq!(
            f.app.views.reports.period_label(),
            "year to date · 2026-01-01 to 2026-11-22"
        );
        let year = table(&f.app).total.repeat.count;
        assert!(
            year > month,
            "a year holds more repeat sales ({year}) than a month ({month})"
        );

        press(&mut f.app, "g");
        assert_eq!(table(&f.app).by, GroupBy::Segment);
        assert_eq!(f.app.views.reports.selected_manager(), None);
        press(&mut f.app, "g");
        assert_eq!(table(&f.app).by, GroupBy::Line);
        assert_eq!(
            table(&f.app).rows[0].new_clients,
            None,
            "client figures are per client, not per line"
        );
        insta::assert_snapshot!("reports_by_line_120x40", screen(&f.app, 120, 40));
        press(&mut f.app, "g");
        assert_eq!(table(&f.app).by, GroupBy::Manager);
    }

    #[test]
    fn typed_dates_are_checked_in_the_form() {
        let mut f = fixture();
        press(&mut f.app, "6P");
        assert!(matches!(f.app.overlay, Overlay::Form(..)));
        let set = |app: &mut App, label: &str, value: &str| {
            let Overlay::Form(_, form) = &mut app.overlay else {
                panic!("no form")
            };
            form.fields.iter_mut().find(|x| x.label == label).unwrap().value = value.into();
        };
        set(&mut f.app, "From", "2026-07-01");
        set(&mut f.app, "To", "2026-06-01");
        f.app.key(key(KeyCode::Enter));
        let Overlay::Form(_, form) = &f.app.overlay else {
            panic!("a backwards period closed the form")
        };
        assert!(
            form.error.as_deref().unwrap_or("").contains("before it starts"),
            "{:?}",
            form.error
        );
        set(&mut f.app, "To", "2026-30-09");
        f.app.key(key(KeyCode::Enter));
        assert!(matches!(f.app.overlay, Overlay::Form(..)), "a bad date is refused");
        set(&mut f.app, "To", "2026-09-30");
        f.app.key(key(KeyCode::Enter));
        assert_eq!(f.app.overlay, Overlay::None);
        assert_eq!(f.app.views.reports.period_label(), "2026-07-01 to 2026-09-30");
        assert_eq!(table(&f.app).period.to, "2026-09-30".parse::<NaiveDate>().unwrap());
    }

    #[test]
    fn a_manager_row_lists_their_clients_and_drives_the_funnel() {
        let mut f = fixture();
        press(&mut f.app, "6");
        let everyone = {
            f.app.key(key(KeyCode::End));
            assert_eq!(
                f.app.views.reports.selected_manager(),
                None,
                "the last row is the total"
            );
            f.app.views.reports.funnel.reached.iter().map(|s| s.offers).sum::<u32>()
        };
        f.app.key(key(KeyCode::Home));
        let amartin = f.app.views.reports.selected_manager().expect("first row is a manager");
        let theirs = f.app.views.reports.funnel.reached.iter().map(|s| s.offers).sum::<u32>();
        assert!(theirs < everyone, "{theirs} of {everyone}");
        f.app.key(key(KeyCode::Enter));
        assert_eq!(f.app.tab, Tab::Clients);
        let expected = f
            .app
            .model()
            .clients
            .values()
            .filter(|c| c.manager == Some(amartin))
            .count();
        assert_eq!(f.app.views.clients.rows.len(), expected);
        assert!(
            f.app
                .views
                .clients
                .rows
                .iter()
                .all(|id| f.app.model().clients[id].manager == Some(amartin))
        );
        assert_eq!(f.app.filter_totals().map(|t| t.clients as usize), Some(expected));
        assert!(screen(&f.app, 120, 40).contains("Clients of amartin"));
        // A text filter narrows within the manager's clients.
        press(&mut f.app, "/gmbh");
        assert!(
            !f.app.views.clients.rows.is_empty() && f.app.views.clients.rows.len() < expected,
            "{}",
            f.app.views.clients.rows.len()
        );
        assert!(
            f.app
                .views
                .clients
                .rows
                .iter()
                .all(|id| f.app.model().clients[id].manager == Some(amartin))
        );
        f.app.key(key(KeyCode::Esc));
        assert_eq!(
            f.app.views.clients.rows.len(),
            expected,
            "Esc clears the text filter first"
        );
        f.app.key(key(KeyCode::Esc));
        assert_eq!(f.app.views.clients.rows.len(), 300);
        assert_eq!(f.app.filter_totals(), None);
    }

    #[test]
    fn a_settlement_entered_in_the_clients_view_shows_in_the_results() {
        let mut f = fixture();
        press(&mut f.app, "6");
        let before = table(&f.app).total.clone();
        press(&mut f.app, "1a");
        f.app.key(key(KeyCode::Tab));
        press(&mut f.app, "100");
        f.app.key(key(KeyCode::Tab));
        press(&mut f.app, "crm-basic");
        f.app.key(key(KeyCode::Enter));
        assert_eq!(f.app.overlay, Overlay::None);
        press(&mut f.app, "6");
        let after = &table(&f.app).total;
        assert_eq!(after.turnover, before.turnover + 10_000);
        let sales = |r: &rapport::kpi::Row| r.primary.count + r.repeat.count + r.new_line.count;
        assert_eq!(sales(after), sales(&before) + 1);
    }
}

/// A backend on a local store that counts its reads and plays a server
/// session: commands "from another session" are applied when the loop
/// polls, and the connection can be cut.
mod fake {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use chrono::{NaiveDate, NaiveDateTime};
    use rapport::backend::{Backend, BackendError, BackupSummary, VerifyReport};
    use rapport::domain::{ClientId, ContactEntry, Settlement};
    use rapport::kpi::{GroupBy, Period, Table};
    use rapport::model::Model;
    use rapport::store::Store;
    use rapport::write::{Command, Event};

    pub struct Fake {
        pub store: Store,
        /// Reads of what the model does not hold.
        pub reads: Arc<AtomicUsize>,
        pub others: Arc<Mutex<Vec<Command>>>,
        pub lost: Arc<Mutex<Option<String>>>,
    }

    impl Fake {
        pub fn new(store: Store) -> Fake {
            Fake {
                store,
                reads: Arc::default(),
                others: Arc::default(),
                lost: Arc::default(),
            }
        }

        fn read(&mut self) -> &mut Store {
            self.reads.fetch_add(1, Ordering::SeqCst);
            &mut self.store
        }
    }

    impl Backend for Fake {
        fn model(&self) -> &Model {
            self.store.model()
        }
        fn execute(&mut self, who: &str, cmd: Command) -> Result<Event, BackendError> {
            Backend::execute(&mut self.store, who, cmd)
        }
        fn settlements_of(&mut self, c: ClientId) -> Result<Vec<Settlement>, BackendError> {
            Backend::settlements_of(self.read(), c)
        }
        fn each_settlement(&mut self, visit: &mut dyn FnMut(&Model, Settlement) -> bool) -> Result<(), BackendError> {
            self.read().each_settlement(visit)
        }
        fn contacts_of(&mut self, c: ClientId) -> Result<Vec<ContactEntry>, BackendError> {
            Backend::contacts_of(self.read(), c)
        }
        fn contacts_between(&mut self, from: NaiveDate, to: NaiveDate) -> Result<Vec<ContactEntry>, BackendError> {
            Backend::contacts_between(self.read(), from, to)
        }
        fn write_backup(
            &mut self,
            out: &mut dyn std::io::Write,
            taken: NaiveDateTime,
        ) -> Result<BackupSummary, BackendError> {
            Backend::write_backup(self.read(), out, taken)
        }
        fn verify(&mut self) -> Result<VerifyReport, BackendError> {
            Backend::verify(self.read())
        }
        fn history_of(&mut self, c: ClientId) -> Result<Vec<rapport::backend::HistoryEntry>, BackendError> {
            Backend::history_of(self.read(), c)
        }
        fn last_undoable(
            &mut self,
            who: &str,
        ) -> Result<Option<(rapport::write::Event, rapport::write::undo::Prior)>, BackendError> {
            Backend::last_undoable(self.read(), who)
        }
        fn kpi_table(&mut self, period: Period, by: GroupBy) -> Result<Table, BackendError> {
            Backend::kpi_table(self.read(), period, by)
        }
        fn poll_events(&mut self) -> Vec<Event> {
            let cmds: Vec<Command> = self.others.lock().unwrap().drain(..).collect();
            cmds.into_iter()
                .map(|c| self.store.execute("someone-else", c).unwrap())
                .collect()
        }
        /// A server's copy, as far as the app can tell.
        fn through_server(&self) -> bool {
            true
        }
        fn connection_lost(&self) -> Option<String> {
            self.lost.lock().unwrap().clone()
        }
        fn close(&mut self, _today: NaiveDate) -> Result<(), BackendError> {
            Ok(())
        }
    }
}

mod pushed_events {
    use std::sync::{Arc, Mutex};

    use super::fake::Fake as Pushed;
    use super::*;
    use rapport::domain::Money;
    use rapport::write::Command;

    /// The filter searches contact persons too: one added by another
    /// session is found at once.
    #[test]
    fn another_sessions_new_contact_person_is_found_by_the_filter() {
        let dir = tempfile::tempdir().unwrap();
        let others = Arc::new(Mutex::new(Vec::new()));
        let data = Pushed {
            others: others.clone(),
            ..Pushed::new(demo_store(dir.path(), 120))
        };
        let today: NaiveDate = TODAY.parse().unwrap();
        let (keymap, _) = Keymap::load("default", None);
        let (theme, _) = Theme::load("dark", None, Depth::Mono);
        let mut app = App::new(Box::new(data), "t".into(), today, keymap, theme);
        let client = app.views.clients.rows[7];
        press(&mut app, "/qzyxwöl");
        assert!(app.views.clients.rows.is_empty());
        others.lock().unwrap().push(Command::AddPerson {
            client,
            name: "Grete Qzyxwol".into(),
            role: "buyer".into(),
            phone: String::new(),
            email: String::new(),
            birthday: None,
        });
        app.remote_events();
        assert_eq!(app.views.clients.rows, vec![client]);
        assert_eq!(app.filter_hits(), Some(1));
    }

    #[test]
    fn another_sessions_settlement_moves_the_list_and_classes() {
        let dir = tempfile::tempdir().unwrap();
        let others = Arc::new(Mutex::new(Vec::new()));
        let lost = Arc::new(Mutex::new(None));
        let data = Pushed {
            others: others.clone(),
            lost: lost.clone(),
            ..Pushed::new(demo_store(dir.path(), 120))
        };
        let today: NaiveDate = TODAY.parse().unwrap();
        let (keymap, _) = Keymap::load("default", None);
        let (theme, _) = Theme::load("dark", None, Depth::Mono);
        let mut app = App::new(Box::new(data), "t".into(), today, keymap, theme);
        app.finish_loading();
        // The client with the smallest turnover becomes the biggest.
        let small = app
            .classes()
            .clients
            .iter()
            .filter(|c| c.abc == Some(rapport::classes::Abc::C))
            .min_by_key(|c| c.turnover)
            .map(|c| c.client)
            .unwrap();
        app.dirty = false;
        others.lock().unwrap().push(Command::RecordSettlement {
            client: small,
            date: today,
            amount: Money(10_000_000_000),
            product: None,
            doc: "big".into(),
        });
        app.remote_events();
        assert!(app.dirty, "nothing to redraw after another session's change");
        let class = app.classes().clients.iter().find(|c| c.client == small).unwrap().abc;
        assert_eq!(class, Some(rapport::classes::Abc::A));
        // Nothing new: nothing to draw.
        app.dirty = false;
        app.remote_events();
        assert!(!app.dirty);
        // The connection drops: the app reconnects to a fresh copy (here
        // another database of 40 clients) and rebuilds from it.
        let dir2 = tempfile::tempdir().unwrap();
        let mut fresh = Some(Pushed::new(demo_store(dir2.path(), 40)));
        app.reconnect = Some(Box::new(move || {
            fresh
                .take()
                .map(|d| Box::new(d) as Box<dyn rapport::backend::Backend>)
                .ok_or_else(|| "no server".to_string())
        }));
        *lost.lock().unwrap() = Some("the server stopped".into());
        app.remote_events();
        assert_eq!(app.views.clients.rows.len(), 40);
        assert_eq!(app.classes().clients.len(), 40);
        assert!(
            app.status.as_ref().is_some_and(|(s, _)| s.contains("Reconnected")),
            "{:?}",
            app.status
        );
    }
}

/// A paste is text for the focused input, never keys: in the queue (no
/// input) it runs nothing, in a form it lands in the field on one line,
/// in the filter it filters.
#[test]
fn a_paste_is_text_never_keys() {
    let mut f = fixture();
    let seq = f.app.model().counters.seq;
    press(&mut f.app, "4");
    let pasted = "d\nl\nd\nCalled about the renewal\n";
    f.app.paste(pasted);
    assert_eq!(f.app.model().counters.seq, seq, "the paste ran a command");
    assert!(matches!(f.app.overlay, Overlay::None), "the paste opened something");
    assert!(f.app.status.as_ref().is_some_and(|(s, _)| s.contains("Paste ignored")));
    // In a form: the field gets the text, nothing is saved.
    press(&mut f.app, "1");
    press(&mut f.app, "a");
    let Overlay::Form(_, form) = &mut f.app.overlay else {
        panic!("no form")
    };
    form.focused().unwrap().value.clear();
    f.app.paste("d\r\nl\tx\u{1b}[2J\n");
    let Overlay::Form(_, form) = &mut f.app.overlay else {
        panic!("the paste closed the form")
    };
    assert_eq!(form.focused().unwrap().value, "d l x[2J");
    assert_eq!(f.app.model().counters.seq, seq);
    // Esc on a changed form asks; y discards.
    f.app.key(key(KeyCode::Esc));
    press(&mut f.app, "y");
    assert!(matches!(f.app.overlay, Overlay::None));
    // In the filter: it filters.
    press(&mut f.app, "/");
    assert!(f.app.filter.open, "status: {:?}", f.app.status);
    f.app.paste("Müller\n");
    assert_eq!(f.app.filter.pattern, "Müller", "status: {:?}", f.app.status);
    assert_eq!(f.app.selected_client().unwrap().name, "Müller & Söhne");
    assert_eq!(f.app.model().counters.seq, seq);
}
