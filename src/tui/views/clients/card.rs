//! The selected client's detail: contact persons, open offers, open
//! tickets, and the contact log (newest first, with who logged each).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::ClientsView;
use crate::tui::app::App;
use rapport::domain::TicketStage;

pub fn draw(frame: &mut Frame, app: &App, v: &ClientsView, area: Rect) {
    let t = &app.theme;
    let block = Block::default().borders(Borders::ALL).border_style(t.style("border"));
    let Some(c) = v.selected_client(app.model()) else {
        frame.render_widget(
            Paragraph::new(Span::styled("No client selected", t.style("muted"))).block(block),
            area,
        );
        return;
    };
    let model = app.model();
    let block = block.title(Span::styled(
        format!(" {} · {} ", c.reference, c.name),
        t.style("header"),
    ));
    let heading = |s: &str| Line::from(Span::styled(s.to_string(), t.style("accent")));
    let mut lines = vec![heading("Contact persons")];
    let persons: Vec<_> = model.persons_of(c.id).collect();
    if persons.is_empty() {
        lines.push(Line::from(Span::styled("  none", t.style("muted"))));
    }
    let room = area.width >= 44;
    for p in persons {
        let extra = if room {
            format!("  {} {}", p.role, p.phone)
        } else {
            format!("  {}", p.role)
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {}", p.name), t.style("text")),
            Span::styled(extra, t.style("muted")),
        ]));
    }
    lines.push(heading("Open offers"));
    let open: Vec<_> = model.offers_of(c.id).filter(|o| o.stage.is_open()).collect();
    if open.is_empty() {
        lines.push(Line::from(Span::styled("  none", t.style("muted"))));
    }
    for o in open {
        let product = model.products.get(&o.product).map_or("?", |p| p.name.as_str());
        let due = o.next_step.or(o.expiry).or(o.invoice_due).or(o.delivery);
        let overdue = due.is_some_and(|d| d < app.today);
        let due_text = due.map_or(String::new(), |d| format!(" → {}", d.format("%d/%m")));
        lines.push(Line::from(vec![
            Span::styled(format!("  {product} "), t.style("text")),
            Span::styled(
                format!("{} {}", o.stage.short(), o.stage_date.format("%d/%m")),
                t.style("muted"),
            ),
            Span::styled(due_text, if overdue { t.style("overdue") } else { t.style("muted") }),
        ]));
    }
    lines.push(heading("Open tickets"));
    let tickets: Vec<_> = model
        .tickets
        .values()
        .filter(|k| k.client == c.id && k.stage != TicketStage::Closed)
        .collect();
    if tickets.is_empty() {
        lines.push(Line::from(Span::styled("  none", t.style("muted"))));
    }
    for k in tickets {
        let overdue = k.stage_due.is_some_and(|d| d < app.today);
        lines.push(Line::from(vec![
            Span::styled(
                format!("  #{} {} ", k.id, k.stage),
                if overdue {
                    t.style("overdue")
                } else {
                    t.style("warning")
                },
            ),
            Span::styled(k.description.clone(), t.style("text")),
        ]));
    }
    lines.push(heading("Surveys"));
    let mut surveys: Vec<_> = model.surveys.values().filter(|s| s.client == c.id).collect();
    surveys.sort_by_key(|s| std::cmp::Reverse((s.date, s.id)));
    if surveys.is_empty() {
        lines.push(Line::from(Span::styled("  none", t.style("muted"))));
    }
    for s in surveys.iter().take(3) {
        let product = model.products.get(&s.product).map_or("?", |p| p.code.as_str());
        let scores: Vec<String> = s.scores.iter().map(u8::to_string).collect();
        let low = s.scores.iter().any(|x| *x <= 3);
        lines.push(Line::from(vec![
            Span::styled(format!("  {} {product} ", s.date.format("%d/%m/%y")), t.style("muted")),
            Span::styled(scores.join(" "), if low { t.style("warning") } else { t.style("text") }),
            Span::styled(s.ticket.map_or(String::new(), |k| format!(" → #{k}")), t.style("muted")),
        ]));
    }
    // Last: the contact log, newest first, as much as fits.
    lines.push(heading("Contact log"));
    if v.contacts.is_empty() {
        lines.push(Line::from(Span::styled("  none logged", t.style("muted"))));
    }
    for e in &v.contacts {
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {} {:<7} {} ", e.at.format("%d/%m/%y"), e.channel.as_str(), e.who),
                t.style("muted"),
            ),
            Span::styled(e.summary.clone(), t.style("text")),
        ]));
    }
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), area);
}
