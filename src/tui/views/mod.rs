//! The views, one component each (`view.rs` says what that is): a file
//! with its state, keys, forms and reactions, and a folder with its
//! drawing. This file holds the registry and draws the frame around the
//! view on screen: the tab bar, the status line, the overlays. Drawing
//! reads `&App` and does no I/O.

pub mod clients;
pub mod matrix;
mod overlays;
pub mod portfolio;
pub mod queue;
pub mod reports;
pub mod tickets;
pub mod trash;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::app::{App, Overlay, Tab, Tone};
use super::keymap::Mode;
use super::view::View;

/// Every view, by the tab that shows it.
#[derive(Default)]
pub struct Views {
    pub clients: clients::ClientsView,
    pub matrix: matrix::MatrixView,
    pub portfolio: portfolio::PortfolioView,
    pub queue: queue::QueueView,
    pub tickets: tickets::TicketsView,
    pub reports: reports::ReportsView,
    pub trash: trash::TrashView,
}

impl Views {
    /// The views at start; the queue shows `scope`.
    pub fn new(scope: rapport::queue::Scope) -> Views {
        Views {
            queue: queue::QueueView::new(scope),
            ..Views::default()
        }
    }

    pub fn get(&self, tab: Tab) -> &dyn View {
        match tab {
            Tab::Clients => &self.clients,
            Tab::Matrix => &self.matrix,
            Tab::Portfolio => &self.portfolio,
            Tab::Queue => &self.queue,
            Tab::Tickets => &self.tickets,
            Tab::Reports => &self.reports,
            Tab::Trash => &self.trash,
        }
    }

    pub fn get_mut(&mut self, tab: Tab) -> &mut dyn View {
        match tab {
            Tab::Clients => &mut self.clients,
            Tab::Matrix => &mut self.matrix,
            Tab::Portfolio => &mut self.portfolio,
            Tab::Queue => &mut self.queue,
            Tab::Tickets => &mut self.tickets,
            Tab::Reports => &mut self.reports,
            Tab::Trash => &mut self.trash,
        }
    }
}

/// Below this the layout cannot show a usable list and pane.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area);
        return;
    }
    let [top, main, bottom] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)]).areas(area);
    tabs(frame, app, top);
    app.view().draw(frame, main, app);
    status_line(frame, app, bottom);
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => overlays::help(frame, app, *scroll),
        Overlay::Palette { query, selected } => overlays::palette(frame, app, query, *selected),
        Overlay::Form(_, form) => overlays::form(frame, app, form),
        Overlay::Confirm(_, form) => {
            overlays::form(frame, app, form);
            overlays::confirm(frame, app);
        }
        Overlay::Errors => overlays::errors(frame, app),
        Overlay::Text { title, lines, scroll } => overlays::text(frame, app, title, lines, *scroll),
    }
    app.links.place(frame.buffer_mut());
}

fn too_small(frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::from("Terminal too small"),
        Line::from(format!(
            "need {MIN_WIDTH}×{MIN_HEIGHT}, have {}×{}",
            area.width, area.height
        )),
    ];
    let y = area.height.saturating_sub(2) / 2;
    let rect = Rect::new(area.x, area.y + y, area.width, area.height.min(2));
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(text).centered(), rect);
}

/// The tab bar and the as-of date, the date always shown: narrower
/// terminals drop the name, then the tabs' padding.
fn tabs(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let today = app.as_of() == app.today;
    // Whose morning it is, when the user is one of the managers.
    let me = app
        .model()
        .manager_by_login(&app.who)
        .map(|m| rapport::domain::text::printable(&m.name).into_owned());
    let as_of = |long: bool| match (today, long, &me) {
        (true, true, Some(me)) => format!("{me} · as of today {} ", app.as_of()),
        (false, true, Some(me)) => format!("{me} · as of {} ", app.as_of()),
        (true, true, None) => format!("as of today {} ", app.as_of()),
        _ => format!("as of {} ", app.as_of()),
    };
    // (the name shown, padded tabs, the long date, how many tabs are
    // titled): narrower, the trash is numbered only, then every tab but the
    // one shown.
    let all = Tab::ALL.len();
    let layouts = [
        (true, true, true, all),
        (false, true, true, all),
        (false, false, true, all),
        (false, false, false, all),
        (false, false, false, all - 1),
        (false, false, false, 0),
    ];
    let bar = |(brand, padded, long, titled): (bool, bool, bool, usize)| {
        let mut spans = Vec::new();
        if brand {
            spans.push(Span::styled(" rapport ", t.style("accent")));
        }
        for (i, tab) in Tab::ALL.iter().enumerate() {
            let style = if *tab == app.tab {
                t.style("tab_active").add_modifier(ratatui::style::Modifier::REVERSED)
            } else {
                t.style("tab")
            };
            let title = app.views.get(*tab).title();
            spans.push(Span::raw(" "));
            spans.push(Span::styled(
                if padded {
                    format!(" {} {title} ", i + 1)
                } else if i < titled || *tab == app.tab {
                    format!("{}:{title}", i + 1)
                } else {
                    format!("{}", i + 1)
                },
                style,
            ));
        }
        (spans, as_of(long))
    };
    let fits = |(spans, date): &(Vec<Span>, String)| {
        spans.iter().map(|s| s.width()).sum::<usize>() + date.chars().count() < area.width as usize
    };
    let all: Vec<_> = layouts.into_iter().map(bar).collect();
    let Some((mut spans, date)) = all.iter().find(|b| fits(b)).or(all.last()).cloned() else {
        return;
    };
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let pad = (area.width as usize).saturating_sub(used + date.chars().count());
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(
        date,
        if today { t.style("muted") } else { t.style("warning") },
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn status_line(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let filter = &app.filter;
    // A message (it lasts until the next key) shows over the pattern,
    // unless the pattern is being typed.
    let line = if filter.open || (!filter.pattern.is_empty() && app.status.is_none()) {
        let count = app.filter_hits().unwrap_or(app.views.clients.rows.len());
        let cursor = if filter.open { "▏" } else { "" };
        Line::from(vec![
            Span::styled("/", t.style("accent")),
            Span::styled(format!("{}{cursor}", filter.pattern), t.style("text")),
            Span::styled(
                format!("  {count} of {} clients", app.model().clients.len()),
                t.style("muted"),
            ),
        ])
    } else if let Some((text, tone)) = &app.status {
        let style = if *tone == Tone::Error {
            t.style("error")
        } else {
            t.style("ok")
        };
        Line::from(Span::styled(text.clone(), style))
    } else {
        Line::from(Span::styled(
            format!("{} clients", app.model().clients.len()),
            t.style("muted"),
        ))
    };
    let mode = app.mode();
    let hint_mode = if mode == Mode::Filter { Mode::Filter } else { mode };
    // Most useful first; what does not fit in about half the line is left
    // to `?`, so that messages keep their room.
    let room = area.width as usize * 55 / 100;
    let mut hints = String::new();
    for (action, label) in [
        (super::action::Action::Help, "help"),
        (super::action::Action::OpenFilter, "filter"),
        (super::action::Action::ToggleCard, "card"),
        (super::action::Action::AddSettlement, "settlement"),
        (super::action::Action::Palette, "commands"),
        (super::action::Action::Quit, "quit"),
    ] {
        let Some(key) = app.keymap.key_for(hint_mode, action) else {
            continue;
        };
        let hint = format!("{}{key} {label}", if hints.is_empty() { "" } else { "  " });
        if hints.chars().count() + hint.chars().count() > room {
            break;
        }
        hints.push_str(&hint);
    }
    let [left, right] = Layout::horizontal([
        Constraint::Min(10),
        Constraint::Length(hints.chars().count() as u16 + 1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(line), left);
    frame.render_widget(
        Paragraph::new(Span::styled(hints, t.style("status_bar"))).right_aligned(),
        right,
    );
}

/// The first row to show so that `selected` is in a window of `height`
/// rows over `len`, moving the window from `offset` as little as possible.
pub fn scroll_to(selected: usize, offset: usize, height: usize, len: usize) -> usize {
    let mut offset = offset;
    if selected < offset {
        offset = selected;
    } else if height > 0 && selected >= offset + height {
        offset = selected + 1 - height;
    }
    offset.min(len.saturating_sub(height.max(1)))
}

/// A centred rectangle of at most `w`×`h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h)
}

/// `12345678` cents → `123,456.78`: money with thousands separators.
pub fn money(cents: i64) -> String {
    let text = rapport::domain::Money(cents).to_string();
    let (sign, rest) = text.strip_prefix('-').map_or(("", text.as_str()), |r| ("-", r));
    let (whole, frac) = rest.split_once('.').unwrap_or((rest, "00"));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{frac}")
}
