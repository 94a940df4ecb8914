//! The portfolio view: totals and the class history, i.e. the counts per
//! ABC class at each of the last 12 month ends.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Paragraph};

use crate::tui::app::App;
use crate::tui::views::clients::grid;
use crate::tui::views::money;

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let [left, right] = Layout::horizontal([Constraint::Length(40), Constraint::Min(20)]).areas(area);
    let totals = &app.classes().totals;
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Clients  ", t.style("muted")),
            Span::styled(totals.clients.to_string(), t.style("text")),
        ]),
        Line::from(vec![
            Span::styled("Turnover ", t.style("muted")),
            Span::styled(money(totals.turnover), t.style("text")),
        ]),
        Line::from(""),
    ];
    lines.extend(grid(app, totals));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style("border"))
        .title(Span::styled(
            format!(" Portfolio · {} ", app.as_of()),
            t.style("header"),
        ));
    frame.render_widget(Paragraph::new(lines).block(block), left);

    history_chart(
        frame,
        app,
        right,
        " Clients per class A · B · C at the last 12 month ends ",
    );
}

/// The portfolio's counts per ABC class at each of the last 12 month ends
/// (SPEC §4.5), one group of three bars per month.
pub fn history_chart(frame: &mut Frame, app: &App, area: Rect, title: &str) {
    let t = &app.theme;
    let right = area;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style("border"))
        .title(Span::styled(title.to_string(), t.style("header")));
    let Some(history) = app.history() else {
        frame.render_widget(Paragraph::new("").block(block), right);
        return;
    };
    let inner = block.inner(right);
    frame.render_widget(block, right);
    let [plot, legend] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
    let inner_width = plot.width;
    // A month is three bars and a gap: as wide as the room allows.
    let bar_width = ((inner_width / history.len().max(1) as u16).saturating_sub(1) / 3).max(1);
    let group_width = 3 * bar_width + 1;
    // Too narrow for twelve months: the latest ones that fit.
    let fit = (inner_width / group_width).max(1) as usize;
    let history = &history[history.len().saturating_sub(fit)..];
    // `11/25` needs five columns; a narrow month is labelled `11`.
    let label = if group_width > 5 { "%m/%y" } else { "%m" };
    let groups: Vec<BarGroup> = history
        .iter()
        .map(|h| {
            let bars: Vec<Bar> = ["A", "B", "C"]
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    Bar::default()
                        .value(u64::from(h.totals.abc[i]))
                        .style(t.style(&format!("class_{}", name.to_lowercase())))
                        .value_style(t.style("text").add_modifier(ratatui::style::Modifier::REVERSED))
                })
                .collect();
            BarGroup::default()
                .label(Line::from(h.as_of.format(label).to_string()))
                .bars(&bars)
        })
        .collect();
    let mut chart = BarChart::default()
        .bar_width(bar_width)
        .bar_gap(0)
        .group_gap(1)
        .label_style(Style::default());
    for g in groups {
        chart = chart.data(g);
    }
    frame.render_widget(chart, plot);
    // The legend: each bar's class and the latest month's counts; on a
    // narrow chart the counts alone.
    if let Some(last) = history.last() {
        let wide = legend.width >= 60;
        let mut spans = Vec::new();
        if wide {
            spans.push(Span::styled(
                format!("{}: ", last.as_of.format("%d/%m/%y")),
                t.style("muted"),
            ));
        }
        for (i, name) in ["A", "B", "C"].iter().enumerate() {
            spans.push(Span::styled("█ ", t.style(&format!("class_{}", name.to_lowercase()))));
            spans.push(Span::styled(
                format!("{name} {}{}", last.totals.abc[i], if wide { "   " } else { " " }),
                t.style("text"),
            ));
        }
        if wide {
            spans.push(Span::styled("(bars left to right)", t.style("muted")));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), legend);
    }
}
