//! The client list: name (with the filter's matched characters
//! highlighted), segment, manager, ABC·XYZ badge, status, maturity,
//! turnover. Only the visible rows are built.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

use super::{ClientsView, Column};
use crate::tui::app::App;
use crate::tui::views::{money, scroll_to};

/// What the list's columns want: names as long as the longest (up to 36),
/// segments and managers as long as theirs.
pub struct Widths {
    pub name: u16,
    pub segment: u16,
    pub manager: u16,
    /// The "Offer" column (the next product's code); 0 when not shown.
    pub offer: u16,
}

impl Widths {
    pub fn of(app: &App, v: &ClientsView) -> Widths {
        let model = app.model();
        // Measured again only when the number of clients changes: a
        // hundred thousand names are not read at every frame.
        let (count, widest) = v.widest_name.get();
        let name = if count == model.clients.len() {
            widest
        } else {
            let w = model
                .clients
                .values()
                .map(|c| c.name.chars().count())
                .max()
                .unwrap_or(0);
            let w = w.clamp(14, 36) as u16;
            v.widest_name.set((model.clients.len(), w));
            w
        };
        let longest =
            |it: &mut dyn Iterator<Item = usize>, min: usize, max: usize| it.max().unwrap_or(0).clamp(min, max) as u16;
        Widths {
            name,
            segment: longest(&mut model.segments.values().map(|s| s.name.chars().count()), 7, 24),
            manager: longest(&mut model.managers.values().map(|m| m.login.chars().count()), 7, 12),
            offer: longest(&mut model.products.values().map(|p| p.code.chars().count()), 5, 16),
        }
    }

    /// The list's whole width (borders and spacing included), with the
    /// segment and manager columns or without.
    pub fn total(&self, wide: bool) -> u16 {
        // ABC, status, maturity, turnover, next; a space after each column.
        let fixed = 3 + 9 + 4 + 13 + 5 + 5;
        let filing = if wide { self.segment + self.manager + 2 } else { 0 };
        let offer = if self.offer > 0 { self.offer + 1 } else { 0 };
        2 + self.name + 1 + filing + offer + fixed
    }
}

pub fn draw(frame: &mut Frame, app: &App, v: &ClientsView, area: Rect, cols: &Widths, wide: bool) {
    let t = &app.theme;
    let model = app.model();
    let classes = app.classes();
    // Narrow lists show turnover compactly (383.2k) to leave room for names.
    let compact = area.width < 60;
    let of_manager = app
        .filter
        .manager
        .and_then(|m| model.managers.get(&m))
        .map_or(String::new(), |m| format!(" of {}", m.login));
    let marked = match v.marked_rows().len() {
        0 => String::new(),
        n => format!(" · {n} marked"),
    };
    let title = format!(
        " Clients{of_manager} · {}{marked} · sorted by {}{} ",
        v.rows.len(),
        v.sort.title(),
        if v.descending { " ↓" } else { " ↑" }
    );
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style("border"))
        .title(Span::styled(title, t.style("header")));
    // Filtered: which field of the selected client matched, and how.
    let pattern = app.filter.pattern.trim();
    if !pattern.is_empty()
        && let Some(c) = v.selected_client(model)
        && let Some(hit) = rapport::find::matched(model, c, &rapport::find::Query::new(pattern))
        && hit.field != rapport::find::Field::Name
    {
        let person = hit
            .person
            .and_then(|p| model.persons.get(&(c.id, p)))
            .map_or(String::new(), |p| format!(" ({})", p.name));
        let said = format!(" {}: {}{person} ", hit.field.as_str(), hit.value);
        block = block.title_bottom(Span::styled(
            rapport::domain::text::printable(&said).into_owned(),
            t.style("accent"),
        ));
    }
    let inner_height = area.height.saturating_sub(3) as usize; // borders + header
    v.cursor.height.set(inner_height.max(1));
    // Keep the selection in view, moving the window as little as possible.
    let offset = scroll_to(v.cursor.selected, v.cursor.offset.get(), inner_height, v.rows.len());
    v.cursor.offset.set(offset);

    let sorted = |c: Column, name: &'static str| {
        if v.sort == c {
            Span::styled(
                format!("{name}{}", if v.descending { "↓" } else { "↑" }),
                t.style("accent"),
            )
        } else {
            Span::styled(name, t.style("header"))
        }
    };
    let mut header = vec![Cell::from(sorted(Column::Name, "Name"))];
    if wide {
        header.push(Cell::from(sorted(Column::Segment, "Segment")));
        header.push(Cell::from(sorted(Column::Manager, "Manager")));
    }
    header.extend([
        Cell::from(sorted(Column::Class, "ABC")),
        Cell::from(sorted(Column::Status, "Status")),
        Cell::from(sorted(Column::Maturity, "Mat")),
        Cell::from(Line::from(sorted(Column::Turnover, if compact { "Turnov." } else { "Turnover" })).right_aligned()),
    ]);
    if !compact {
        header.push(Cell::from(sorted(Column::NextDue, "Next")));
    }
    if cols.offer > 0 {
        header.push(Cell::from(Span::styled("Offer", t.style("header"))));
    }
    let rows = v
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(inner_height)
        .filter_map(|(i, id)| {
            let c = model.clients.get(id)?;
            let k = classes.get(*id);
            let marks = app.filter.highlight(*id, &c.name);
            // The selection covers the name cell only, in one style: a move
            // then rewrites two names, not two coloured rows.
            let selected = i == v.cursor.selected;
            let (plain, matched) = if selected {
                let s = t.selection();
                (s, s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED))
            } else {
                (t.style("text"), t.style("matched"))
            };
            let mut name: Line = if marks.is_empty() {
                Line::from(Span::styled(c.name.clone(), plain))
            } else {
                Line::from(
                    c.name
                        .chars()
                        .enumerate()
                        .map(|(j, ch)| Span::styled(ch.to_string(), if marks.contains(&j) { matched } else { plain }))
                        .collect::<Vec<_>>(),
                )
            };
            if v.marked.contains(&c.id) {
                name.spans.insert(0, Span::styled("● ", t.style("accent")));
            }
            // The padding takes the name's style: one colour run per name.
            let name = Cell::from(name).style(plain);
            let abc = k.and_then(|k| k.abc);
            let xyz = k.and_then(|k| k.xyz);
            let badge = Line::from(vec![
                Span::styled(
                    abc.map_or("–", |a| a.as_str()),
                    abc.map_or(t.style("muted"), |a| {
                        t.style(&format!("class_{}", a.as_str().to_lowercase()))
                    }),
                ),
                Span::styled("·", t.style("muted")),
                Span::styled(
                    xyz.map_or("–", |x| x.as_str()),
                    xyz.map_or(t.style("muted"), |x| {
                        t.style(&format!("class_{}", x.as_str().to_lowercase()))
                    }),
                ),
            ]);
            let status = k.map_or("", |k| k.status.as_str());
            let status_style = match status {
                "lost" => t.style("overdue"),
                "new" | "restored" => t.style("ok"),
                "potential" => t.style("muted"),
                _ => t.style("text"),
            };
            let maturity = k
                .and_then(|k| k.maturity)
                .map_or(String::from("–"), |(u, n)| format!("{u}/{n}"));
            let turnover = k.map_or(0, |k| k.turnover);
            let mut cells = vec![name];
            if wide {
                let seg = c
                    .segment
                    .and_then(|s| model.segments.get(&s))
                    .map_or("–", |s| s.name.as_str());
                let mgr = c
                    .manager
                    .and_then(|m| model.managers.get(&m))
                    .map_or("–", |m| m.login.as_str());
                cells.push(Cell::from(Span::styled(seg.to_string(), t.style("muted"))));
                cells.push(Cell::from(Span::styled(mgr.to_string(), t.style("muted"))));
            }
            cells.extend([
                Cell::from(badge),
                Cell::from(Span::styled(status.to_string(), status_style)),
                Cell::from(Span::styled(maturity, t.style("text"))),
                Cell::from(
                    Line::from(Span::styled(
                        if compact {
                            short_money(turnover)
                        } else {
                            money(turnover)
                        },
                        if turnover < 0 {
                            t.style("warning")
                        } else {
                            t.style("text")
                        },
                    ))
                    .right_aligned(),
                ),
            ]);
            if !compact {
                // The next queue item: overdue and today's stand out.
                let loaded = v.next_due(*id);
                let next = loaded.ok().flatten();
                let style = match next {
                    Some(d) if d < app.as_of() => t.style("overdue"),
                    Some(d) if d == app.as_of() => t.style("warning"),
                    _ => t.style("muted"),
                };
                // Late items say by how much: a date alone would hide the year.
                let text = match next {
                    None if loaded.is_err() => "…".to_string(),
                    None => "–".to_string(),
                    Some(d) if d < app.as_of() => format!("-{}d", (app.as_of() - d).num_days().min(999)),
                    Some(d) if d == app.as_of() => "today".to_string(),
                    Some(d) => d.format("%d/%m").to_string(),
                };
                cells.push(Cell::from(Span::styled(text, style)));
            }
            if cols.offer > 0 {
                // SPEC §9: the product to offer next; in a sale, the one
                // being sold (muted).
                let code =
                    |p: rapport::domain::ProductId| model.products.get(&p).map_or("?".to_string(), |p| p.code.clone());
                let cell = match rapport::plan::standing(model, c, app.as_of()) {
                    rapport::plan::Standing::Next(p) => Span::styled(code(p), t.style("accent")),
                    rapport::plan::Standing::InSale(p) => Span::styled(code(p), t.style("muted")),
                    rapport::plan::Standing::Nothing => Span::styled("–", t.style("muted")),
                };
                cells.push(Cell::from(cell));
            }
            Some(Row::new(cells))
        });
    let mut widths = vec![Constraint::Min(cols.name.min(14))];
    if wide {
        widths.push(Constraint::Length(cols.segment));
        widths.push(Constraint::Length(cols.manager));
    }
    widths.extend([
        Constraint::Length(3),
        Constraint::Length(9),
        Constraint::Length(4),
        Constraint::Length(if compact { 7 } else { 13 }),
    ]);
    if !compact {
        widths.push(Constraint::Length(5));
    }
    if cols.offer > 0 {
        widths.push(Constraint::Length(cols.offer));
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(Style::default()))
        .block(block)
        .column_spacing(1);
    frame.render_widget(table, area);
}

/// `38321146` cents → `383.2k`: turnover in seven characters.
fn short_money(cents: i64) -> String {
    let units = cents as f64 / 100.0;
    let abs = units.abs();
    if abs >= 1e9 {
        format!("{:.1}G", units / 1e9)
    } else if abs >= 1e6 {
        format!("{:.1}M", units / 1e6)
    } else if abs >= 1e4 {
        format!("{:.1}k", units / 1e3)
    } else {
        format!("{units:.0}")
    }
}
