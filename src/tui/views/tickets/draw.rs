//! The tickets tab: the list (id, client, product, stage, age, stage due,
//! owner, source) with overdue stages standing out, and the selected
//! ticket's detail: the complaint, each stage's field, and its history.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

use super::TicketsView;
use crate::tui::app::App;
use crate::tui::views::scroll_to;
use rapport::domain::TicketStage;
use rapport::tickets::is_overdue;

pub fn draw(frame: &mut Frame, app: &App, s: &TicketsView, area: Rect) {
    // The list takes what its columns need; the detail the rest (34–72).
    let (client, product) = widths(app, s);
    let list = 4 + client + product + 13 + 5 + 8 + 8 + 9 + 8 + 2;
    let side = if area.width >= 110 {
        area.width.saturating_sub(list).clamp(34, 72)
    } else {
        34
    };
    let [list, detail_area] = Layout::horizontal([Constraint::Min(30), Constraint::Length(side)]).areas(area);
    draw_list(frame, app, s, list);
    detail(frame, app, s, detail_area);
}

/// The client and product columns' widths: their longest entries listed
/// (up to 32 and 14).
fn widths(app: &App, s: &TicketsView) -> (u16, u16) {
    let model = app.model();
    let tickets = s.ids.iter().filter_map(|id| model.tickets.get(id));
    let (mut client, mut product) = (12usize, 7usize);
    for k in tickets {
        if let Some(c) = model.clients.get(&k.client) {
            client = client.max(c.name.chars().count());
        }
        if let Some(p) = k.product.and_then(|p| model.products.get(&p)) {
            product = product.max(p.code.chars().count());
        }
    }
    (client.min(32) as u16, product.min(14) as u16)
}

fn draw_list(frame: &mut Frame, app: &App, s: &TicketsView, area: Rect) {
    let t = &app.theme;
    let model = app.model();
    let mut title = format!(" Tickets · {} · {}", s.show.title(), s.ids.len());
    if let Some(c) = s.client.and_then(|c| model.clients.get(&c)) {
        title.push_str(&format!(" · {}", c.reference));
    }
    if let Some(p) = s.product.and_then(|p| model.products.get(&p)) {
        title.push_str(&format!(" · {}", p.code));
    }
    title.push(' ');
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style("border"))
        .title(Span::styled(title, t.style("header")));
    let height = area.height.saturating_sub(3) as usize;
    s.cursor.height.set(height.max(1));
    let offset = scroll_to(s.cursor.selected, s.cursor.offset.get(), height, s.ids.len());
    s.cursor.offset.set(offset);
    // Every column when a 16-column client name still fits beside them.
    let (_, product_w) = widths(app, s);
    let wide = area.width >= 2 + 4 + 16 + product_w + 13 + 5 + 8 + 8 + 9 + 7;
    let header: Vec<&str> = if wide {
        vec!["#", "Client", "Product", "Stage", "Age", "Due", "Owner", "Source"]
    } else {
        vec!["#", "Client", "Stage", "Due"]
    };
    let rows = s
        .ids
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .filter_map(|(i, id)| {
            let k = model.tickets.get(id)?;
            let late = is_overdue(k, app.today);
            let client = model.clients.get(&k.client).map_or("?".to_string(), |c| c.name.clone());
            let due = k
                .stage_due
                .map_or("–".to_string(), |d| d.format("%d/%m/%y").to_string());
            let stage_style = match k.stage {
                TicketStage::Closed => t.style("muted"),
                _ if late => t.style("overdue"),
                _ => t.style("warning"),
            };
            let mut cells = vec![
                Cell::from(Span::styled(k.id.to_string(), t.style("muted"))),
                Cell::from(Span::styled(client, t.style("text"))),
            ];
            if wide {
                let product = k
                    .product
                    .and_then(|p| model.products.get(&p))
                    .map_or("–".to_string(), |p| p.code.clone());
                cells.push(Cell::from(Span::styled(product, t.style("muted"))));
            }
            cells.push(Cell::from(Span::styled(k.stage.as_str(), stage_style)));
            if wide {
                let age = (app.today - k.opened).num_days();
                cells.push(Cell::from(Span::styled(format!("{age}d"), t.style("muted"))));
            }
            cells.push(Cell::from(Span::styled(
                due,
                if late { t.style("overdue") } else { t.style("text") },
            )));
            if wide {
                let owner = k
                    .owner
                    .and_then(|m| model.managers.get(&m))
                    .map_or("–".to_string(), |m| m.login.clone());
                cells.push(Cell::from(Span::styled(owner, t.style("muted"))));
                cells.push(Cell::from(Span::styled(k.source.as_str(), t.style("muted"))));
            }
            let row = Row::new(cells);
            Some(if i == s.cursor.selected {
                row.style(t.selection())
            } else {
                row
            })
        });
    let (client_w, product_w) = widths(app, s);
    let widths: Vec<Constraint> = if wide {
        vec![
            Constraint::Length(4),
            Constraint::Min(client_w.min(16)),
            Constraint::Length(product_w),
            Constraint::Length(13),
            Constraint::Length(5),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(9),
        ]
    } else {
        vec![
            Constraint::Length(4),
            Constraint::Min(10),
            Constraint::Length(13),
            Constraint::Length(8),
        ]
    };
    let header = Row::new(
        header
            .into_iter()
            .map(|h| Cell::from(Span::styled(h, t.style("header")))),
    );
    frame.render_widget(
        Table::new(rows, widths).header(header).block(block).column_spacing(1),
        area,
    );
}

fn detail(frame: &mut Frame, app: &App, s: &TicketsView, area: Rect) {
    let t = &app.theme;
    let block = Block::default().borders(Borders::ALL).border_style(t.style("border"));
    let Some(k) = s.selected(app.model()) else {
        let text = Paragraph::new(Span::styled("No ticket here", t.style("muted"))).block(block);
        frame.render_widget(text, area);
        return;
    };
    let model = app.model();
    let client = model.clients.get(&k.client);
    let block = block.title(Span::styled(
        format!(" #{} · {} ", k.id, client.map_or("?", |c| c.reference.as_str())),
        t.style("header"),
    ));
    let heading = |s: &str| Line::from(Span::styled(s.to_string(), t.style("accent")));
    let field = |label: &str, value: &str| {
        Line::from(vec![
            Span::styled(format!("  {label:<8}"), t.style("muted")),
            Span::styled(
                if value.is_empty() {
                    "–".to_string()
                } else {
                    value.to_string()
                },
                t.style("text"),
            ),
        ])
    };
    let owner = k
        .owner
        .and_then(|m| model.managers.get(&m))
        .map_or(String::new(), |m| m.name.clone());
    let late = is_overdue(k, app.today);
    let due = k
        .stage_due
        .map_or("–".to_string(), |d| d.format("%d/%m/%Y").to_string());
    let mut lines = vec![
        Line::from(Span::styled(
            client.map_or("?".into(), |c| c.name.clone()),
            t.style("text"),
        )),
        Line::from(vec![
            Span::styled(
                format!("{} ", k.stage),
                if late { t.style("overdue") } else { t.style("warning") },
            ),
            Span::styled(
                format!("· next stage due {due}{}", if late { " (late)" } else { "" }),
                if late { t.style("overdue") } else { t.style("muted") },
            ),
        ]),
        Line::from(Span::styled(
            format!("opened {} · from a {}", k.opened.format("%d/%m/%Y"), k.source.as_str()),
            t.style("muted"),
        )),
        heading("Complaint"),
        Line::from(Span::styled(format!("  {}", k.description), t.style("text"))),
        heading("Stages"),
        field("owner", &owner),
        field("cause", &k.cause),
        field("action", &k.action),
        field("fix", &k.fix),
        heading("History"),
    ];
    if k.history.is_empty() {
        lines.push(Line::from(Span::styled(
            "  registered, not moved yet",
            t.style("muted"),
        )));
    }
    for h in &k.history {
        lines.push(Line::from(vec![
            Span::styled(format!("  {} ", h.date.format("%d/%m/%y")), t.style("muted")),
            Span::styled(format!("{} → {} ", h.from, h.to), t.style("text")),
            Span::styled(h.who.to_string(), t.style("muted")),
        ]));
    }
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), area);
}
