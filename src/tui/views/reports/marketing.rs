//! The reports tab's marketing panes (SPEC §9), shown instead of the
//! funnel and figures when switched on: new clients, primary sales and
//! conversion by acquisition source; refusals by competitor and stage.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::draw::{block, focus, tally};
use crate::tui::app::App;

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let [left, right] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    sources(frame, app, left);
    competitors(frame, app, right);
}

/// `text` cut or padded to `width` characters.
fn fit(text: &str, width: usize) -> String {
    let cut: String = text.chars().take(width).collect();
    format!("{cut:<width$}")
}

fn sources(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let b = block(app, format!(" Sources · {} ", focus(app)));
    let Some(s) = &app.views.reports.sources else {
        frame.render_widget(Paragraph::new("").block(b), area);
        return;
    };
    // The sums of the primary sales when there is room, their count else.
    let inner = (area.width as usize).saturating_sub(2);
    let sums = inner >= 56;
    let primary_w = if sums { 17 } else { 7 };
    let name = inner.saturating_sub(1 + 5 + 1 + primary_w + 1 + 10).clamp(6, 24);
    let head = format!(
        "{} {:>5} {:>primary_w$} {:>10}",
        fit("source", name),
        "new",
        "primary",
        "conversion"
    );
    let mut lines = vec![Line::from(Span::styled(head, t.style("header")))];
    let row = |r: &rapport::kpi::marketing::SourceRow, style| {
        let conv = match r.conversion.percent() {
            Some(p) => format!("{}/{} {p:.0}%", r.conversion.converted, r.conversion.potential),
            None => "–".into(),
        };
        let primary = if sums {
            tally(r.primary)
        } else {
            r.primary.count.to_string()
        };
        Line::from(Span::styled(
            format!(
                "{} {:>5} {primary:>primary_w$} {conv:>10}",
                fit(&r.source, name),
                r.new_clients
            ),
            style,
        ))
    };
    lines.extend(s.rows.iter().map(|r| row(r, t.style("text"))));
    lines.push(row(&s.total, t.style("accent")));
    frame.render_widget(Paragraph::new(lines).block(b), area);
}

fn competitors(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let b = block(app, format!(" Refusals by competitor · {} ", focus(app)));
    let Some(c) = &app.views.reports.competitors else {
        frame.render_widget(Paragraph::new("").block(b), area);
        return;
    };
    // Stages as columns while they fit, else the total alone.
    let inner = (area.width as usize).saturating_sub(2);
    let name = 16;
    let stages = inner.saturating_sub(name + 6) / 6 >= c.stages.len();
    let mut head = fit("competitor", name);
    if stages {
        for s in &c.stages {
            head.push_str(&format!(" {:>5}", s.short()));
        }
    }
    head.push_str(&format!(" {:>5}", "total"));
    let mut lines = vec![Line::from(Span::styled(head, t.style("header")))];
    let row = |r: &rapport::kpi::marketing::CompetitorRow, style| {
        let mut text = fit(&r.competitor, name);
        if stages {
            for n in &r.by_stage {
                text.push_str(&format!(" {n:>5}"));
            }
        }
        text.push_str(&format!(" {:>5}", r.total));
        Line::from(Span::styled(text, style))
    };
    lines.extend(c.rows.iter().map(|r| row(r, t.style("text"))));
    lines.push(row(&c.total, t.style("accent")));
    frame.render_widget(Paragraph::new(lines).block(b), area);
}
