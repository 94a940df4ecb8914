//! The selected client's detail: its filing (segment, manager, tags) and
//! notes, contact persons with their phones and email, open offers, open
//! tickets, open tasks of any date, the last settlements (numbered, as the
//! correction forms name them), surveys, and the contact log (newest
//! first, with who logged each).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::ClientsView;
use crate::tui::app::App;
use rapport::domain::{TicketStage, short_date};

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
    let segment = c
        .segment
        .and_then(|s| model.segments.get(&s))
        .map_or("no segment", |s| s.name.as_str());
    let manager = model.manager_login(c.manager);
    let mut filing = vec![Span::styled(format!("{segment} · {manager}"), t.style("muted"))];
    if !c.tags.is_empty() {
        filing.push(Span::styled(format!(" · {}", c.tags.join(" ")), t.style("accent")));
    }
    let source = model.sales.source_of(c.id);
    if !source.is_empty() {
        filing.push(Span::styled(format!(" · via {source}"), t.style("muted")));
    }
    let mut lines = vec![Line::from(filing)];
    // SPEC §9: in a sale, or between sales with the product to offer next.
    let product = |p: rapport::domain::ProductId| model.products.get(&p).map_or("?".to_string(), |p| p.name.clone());
    lines.push(match rapport::plan::standing(model, c, app.as_of()) {
        rapport::plan::Standing::InSale(p) => Line::from(vec![
            Span::styled("In a sale: ", t.style("muted")),
            Span::styled(product(p), t.style("text")),
        ]),
        rapport::plan::Standing::Next(p) => Line::from(vec![
            Span::styled("Next to offer: ", t.style("muted")),
            Span::styled(product(p), t.style("accent")),
        ]),
        rapport::plan::Standing::Nothing => Line::from(Span::styled(
            "Between sales: nothing of its portrait left to offer",
            t.style("muted"),
        )),
    });
    for note in c.notes.lines().filter(|l| !l.trim().is_empty()).take(4) {
        lines.push(Line::from(Span::styled(note.to_string(), t.style("text"))));
    }
    lines.push(heading("Contact persons"));
    let persons: Vec<_> = model.persons_of(c.id).collect();
    if persons.is_empty() {
        lines.push(Line::from(Span::styled("  none", t.style("muted"))));
    }
    for p in persons {
        lines.push(Line::from(vec![
            Span::styled(format!("  {}", p.name), t.style("text")),
            Span::styled(format!("  {}", p.role), t.style("muted")),
        ]));
        // A number per line, never split across two.
        for phone in p.phone.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            app.links.want(phone, crate::tui::links::tel(phone));
            lines.push(Line::from(Span::styled(format!("    {phone}"), t.style("text"))));
        }
        if !p.email.is_empty() {
            app.links.want(&p.email, crate::tui::links::mailto(&p.email));
            lines.push(Line::from(Span::styled(format!("    {}", p.email), t.style("muted"))));
        }
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
        let due_text = due.map_or(String::new(), |d| format!(" → {}", short_date(d, app.today)));
        lines.push(Line::from(vec![
            Span::styled(format!("  {product} "), t.style("text")),
            Span::styled(
                format!("{} {}", o.stage.short(), short_date(o.stage_date, app.today)),
                t.style("muted"),
            ),
            Span::styled(due_text, if overdue { t.style("overdue") } else { t.style("muted") }),
        ]));
    }
    lines.push(heading("Documents"));
    let docs = model.sales.documents_of(c.id);
    if docs.is_empty() {
        lines.push(Line::from(Span::styled("  none", t.style("muted"))));
    }
    for d in docs.iter().take(5) {
        let product = model.products.get(&d.product).map_or("?", |p| p.code.as_str());
        // Sent: when and how; else when it was written, waiting.
        let (state, style) = match d.sent {
            Some(s) => (
                format!("sent {} {}", short_date(s.date, app.today), s.channel.as_str()),
                t.style("muted"),
            ),
            None => (
                format!("{} not sent", short_date(d.date, app.today)),
                t.style("warning"),
            ),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {} ", d.number), t.style("text")),
            Span::styled(format!("{product} "), t.style("muted")),
            Span::styled(state, style),
        ]));
    }
    if docs.len() > 5 {
        lines.push(Line::from(Span::styled(
            format!("  … {} more (rapport docs --client {})", docs.len() - 5, c.reference),
            t.style("muted"),
        )));
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
    lines.push(heading("Open tasks"));
    let mut tasks: Vec<_> = model
        .tasks
        .values()
        .filter(|k| k.client == c.id && k.done.is_none())
        .collect();
    tasks.sort_by_key(|k| (k.due, k.id));
    if tasks.is_empty() {
        lines.push(Line::from(Span::styled("  none", t.style("muted"))));
    }
    for k in tasks {
        let late = k.due < app.today;
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {} ", k.due.format("%d/%m/%y")),
                if late { t.style("overdue") } else { t.style("muted") },
            ),
            Span::styled(k.text.clone(), t.style("text")),
        ]));
    }
    lines.push(heading("Last settlements"));
    if v.settlements.is_empty() {
        lines.push(Line::from(Span::styled("  none", t.style("muted"))));
    }
    // Numbered as the correction forms name them; the document when wide.
    for (i, s) in v.settlements.iter().enumerate() {
        let product = s
            .product
            .and_then(|p| model.products.get(&p))
            .map_or("", |p| p.code.as_str());
        let doc = if area.width >= 60 {
            format!(" {}", s.doc)
        } else {
            String::new()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {} {} ", i + 1, s.date.format("%d/%m/%y")), t.style("muted")),
            Span::styled(format!("{:>10}", crate::tui::views::money(s.amount.0)), t.style("text")),
            Span::styled(format!(" {product}{doc}"), t.style("muted")),
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
    // Scrolled as far as the last line at most (card_down stops there).
    let count = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    v.card_lines.set(count);
    let scroll = v.card_scroll.min(count.saturating_sub(1));
    let block = if scroll > 0 {
        block.title_bottom(Span::styled(format!(" ↑ {scroll} lines "), t.style("muted")))
    } else {
        block
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}
