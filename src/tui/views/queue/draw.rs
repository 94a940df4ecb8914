//! The queue tab: Overdue / Today / Next 7 days with counts, each row with
//! how late it is, what it is, the client and why; only visible rows are
//! built.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use super::{QueueView, when};
use crate::tui::app::App;
use rapport::queue::{Group, Scope};

pub fn draw(frame: &mut Frame, app: &App, q: &QueueView, area: Rect) {
    let t = &app.theme;
    let model = app.model();
    let as_of = app.as_of();
    let mut whose = match q.scope {
        Scope::All => "all managers".to_string(),
        Scope::Manager(m) => model.managers.get(&m).map_or("?".into(), |m| m.login.clone()),
    };
    if app.filter.narrows() {
        whose.push_str(" · filtered");
    }
    let [overdue, today, soon, later] = q.counts;
    let later = if later > 0 {
        format!("· {later} later ")
    } else {
        String::new()
    };
    // The longest title that fits the border.
    let title = [
        format!(" Due contacts · {whose} · {overdue} overdue · {today} today · {soon} next 7 days {later}"),
        format!(" Due · {whose} · {overdue} overdue · {today} today · {soon} in 7 days {later}"),
        format!(" {overdue} overdue · {today} today · {soon} in 7 days {later}"),
    ]
    .into_iter()
    .find(|t| t.chars().count() + 2 <= area.width as usize)
    .unwrap_or_else(|| format!(" {overdue} overdue · {today} today "));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style("border"))
        .title(Span::styled(title, t.style("header")));
    if q.items.is_empty() {
        let quiet = match q.team {
            Some((overdue, today)) if overdue + today > 0 => {
                let key = app
                    .keymap
                    .key_for(crate::tui::keymap::Mode::Queue, crate::tui::action::Action::ToggleScope)
                    .unwrap_or_else(|| "toggle_scope".into());
                format!("Nothing due for you. The team has {overdue} overdue and {today} due today: {key} shows them.")
            }
            _ => "Nothing due. Enjoy the quiet day.".to_string(),
        };
        let text = Paragraph::new(Span::styled(quiet, t.style("muted")))
            .wrap(ratatui::widgets::Wrap { trim: true })
            .block(block);
        frame.render_widget(text, area);
        return;
    }
    let height = area.height.saturating_sub(2) as usize;
    q.cursor.height.set(height.max(1));
    // Display rows: each group's heading, then its items.
    let total = q.items.len() + q.groups().count();
    let selected_row = q.display_row(q.cursor.selected);
    let mut offset = q.cursor.offset.get();
    if selected_row < offset + 1 {
        // Keep the heading above the first item of a group in view too.
        offset = selected_row.saturating_sub(1);
    } else if height > 0 && selected_row >= offset + height {
        offset = selected_row + 1 - height;
    }
    offset = offset.min(total.saturating_sub(height.max(1)));
    q.cursor.offset.set(offset);
    let wide = area.width >= 100;
    // The client's ref when there is room for it beside a whole name.
    let with_ref = area.width >= 78;
    // The names take what the longest shown needs (up to 40), the reason
    // the rest: two clients whose names start alike stay apart.
    let mut name_width = 12usize;
    let mut rows = Vec::with_capacity(height);
    let mut first_item = 0;
    let mut row = 0;
    for (group, count) in q.groups() {
        if row >= offset && row < offset + height {
            let style = if group == Group::Overdue && count > 0 {
                t.style("overdue")
            } else {
                t.style("accent")
            };
            rows.push(Row::new(vec![
                Cell::from(Span::styled(group.title(), style)),
                Cell::from(Span::styled(format!("({count})"), style)),
            ]));
        }
        row += 1;
        // Only the part of this group inside the window.
        let skip = offset.saturating_sub(row).min(count);
        let take = (offset + height).saturating_sub(row + skip).min(count - skip);
        for i in first_item + skip..first_item + skip + take {
            let Some(item) = q.items.get(i) else { break };
            let client = model.clients.get(&item.client);
            let late_style = match group {
                Group::Overdue => t.style("overdue"),
                Group::Today => t.style("warning"),
                Group::Soon | Group::Later => t.style("muted"),
            };
            let name = client.map_or("?".to_string(), |c| c.name.clone());
            name_width = name_width.max(name.chars().count());
            let mut cells = vec![
                Cell::from(Span::styled(
                    format!("  {}", item.due.format("%d/%m/%y")),
                    t.style("text"),
                )),
                Cell::from(Span::styled(when(item, as_of), late_style)),
                Cell::from(Span::styled(item.kind.as_str(), t.style("muted"))),
            ];
            if with_ref {
                let reference = client.map_or(String::new(), |c| c.reference.clone());
                cells.push(Cell::from(Span::styled(reference, t.style("muted"))));
            }
            cells.push(Cell::from(Span::styled(name, t.style("text"))));
            if wide {
                cells.push(Cell::from(Span::styled(item.reason.clone(), t.style("muted"))));
            }
            let r = Row::new(cells);
            rows.push(if i == q.cursor.selected {
                r.style(t.selection())
            } else {
                r
            });
        }
        row += count;
        first_item += count;
    }
    let mut widths = vec![Constraint::Length(12), Constraint::Length(10), Constraint::Length(8)];
    if with_ref {
        widths.push(Constraint::Length(8));
    }
    if wide {
        widths.push(Constraint::Length(name_width.min(40) as u16));
        widths.push(Constraint::Min(20));
    } else {
        widths.push(Constraint::Min(16));
    }
    let table = Table::new(rows, widths).block(block).column_spacing(1);
    frame.render_widget(table, area);
    if let Some(item) = q.selected_item() {
        // On the bottom border: whom to call for the selected item, and on
        // narrow screens its reason.
        let mut parts = Vec::new();
        if let Some(p) = contact(model, item) {
            let phone = p.phone.split(',').map(str::trim).find(|n| !n.is_empty()).unwrap_or("");
            app.links.want(phone, crate::tui::links::tel(phone));
            parts.push(format!("{} {phone}", p.name).trim().to_string());
            if wide && !p.email.is_empty() {
                app.links.want(&p.email, crate::tui::links::mailto(&p.email));
                parts.push(p.email.clone());
            }
        }
        if !wide {
            parts.push(item.reason.clone());
        }
        let y = area.y + area.height.saturating_sub(1);
        let w = area.width.saturating_sub(4);
        let text = rapport::domain::text::printable(&parts.join(" · ")).into_owned();
        let text: String = text.chars().take(w as usize).collect();
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(text, t.style("muted")))),
            Rect::new(area.x + 2, y, w, 1),
        );
    }
}

/// Whom to call about `item`: the person a birthday is of, else the
/// client's first contact person with a phone (or an email).
fn contact<'m>(
    model: &'m rapport::model::Model,
    item: &rapport::queue::Item,
) -> Option<&'m rapport::domain::ContactPerson> {
    if let rapport::queue::ItemKey::Birthday(c, p) = item.key {
        return model.persons.get(&(c, p));
    }
    let persons = || model.persons_of(item.client);
    persons()
        .find(|p| !p.phone.trim().is_empty())
        .or_else(|| persons().find(|p| !p.email.trim().is_empty()))
}
