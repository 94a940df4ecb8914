//! The reports tab (SPEC §7, §4.5): the manager table for the period, and
//! under it the funnel as bars with the refusals, the loyalty, activity and
//! complaint figures of the selected row, and the class history with the
//! selected client's transitions.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

use crate::tui::app::App;
use crate::tui::views::money;
use crate::tui::views::portfolio::history_chart;
use rapport::domain::RefusalReason;
use rapport::kpi::{self, Tally};

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let rows = app.views.reports.table.as_ref().map_or(0, |t| t.rows.len());
    // Borders, header, the rows and the total.
    let table_height = (rows as u16 + 4).min(area.height / 2).max(6);
    let [top, bottom] = Layout::vertical([Constraint::Length(table_height), Constraint::Min(0)]).areas(area);
    table(frame, app, top);
    if app.views.reports.marketing {
        return super::marketing::draw(frame, app, bottom);
    }
    let [funnel_area, figures_area, history_area] = Layout::horizontal([
        Constraint::Percentage(34),
        Constraint::Percentage(33),
        Constraint::Percentage(33),
    ])
    .areas(bottom);
    funnel(frame, app, funnel_area);
    figures(frame, app, figures_area);
    history(frame, app, history_area);
}

pub(super) fn block<'a>(app: &App, title: String) -> Block<'a> {
    let t = &app.theme;
    Block::default()
        .borders(Borders::ALL)
        .border_style(t.style("border"))
        .title(Span::styled(title, t.style("header")))
}

/// A sales figure: its count and sum, or its count alone.
fn sales(t: Tally, sums: bool) -> String {
    if sums { tally(t) } else { t.count.to_string() }
}

pub(super) fn tally(t: Tally) -> String {
    if t.count == 0 {
        "0".into()
    } else {
        format!("{} / {}", t.count, money(t.sum))
    }
}

fn count(n: Option<u32>) -> String {
    n.map_or_else(|| "–".into(), |n| n.to_string())
}

fn table(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let r = &app.views.reports;
    let Some(table) = &r.table else {
        let b = block(app, " Results ".into());
        frame.render_widget(
            Paragraph::new(Span::styled("No figures", t.style("muted"))).block(b),
            area,
        );
        return;
    };
    let title = format!(" Results by {} · {} ", table.by.name(), r.period_label());
    let hint = " p period · P dates · g group · M sources · Enter clients ";
    let b = block(app, title).title_bottom(Line::from(Span::styled(hint, t.style("muted"))).right_aligned());
    // Every column, in the order shown, with its rank: the most wanted
    // ones fill the width first; sales show their sums when the first
    // ranks fit with them, else their counts.
    type Figure = fn(&kpi::Row, bool) -> String;
    let columns: [(&str, u8, Figure); 13] = [
        (table.by.name(), 0, |r, _| r.group.clone()),
        ("new", 1, |r, _| count(r.new_clients)),
        ("primary", 2, |r, s| sales(r.primary, s)),
        ("repeat", 3, |r, s| sales(r.repeat, s)),
        ("new line", 8, |r, s| sales(r.new_line, s)),
        ("refunds", 11, |r, s| sales(r.refunds, s)),
        ("turnover", 4, |r, _| money(r.turnover)),
        ("lost", 6, |r, _| count(r.lost)),
        ("restored", 7, |r, _| count(r.restored)),
        ("conversion", 5, |r, _| {
            r.conversion.map_or_else(
                || "–".to_string(),
                |c| match c.percent() {
                    Some(p) => format!("{}/{} {p:.0} %", c.converted, c.potential),
                    None => format!("{}/{}", c.converted, c.potential),
                },
            )
        }),
        ("contacts", 9, |r, _| count(r.contacts)),
        ("tasks", 12, |r, _| count(r.tasks_done)),
        ("complaints", 10, |r, _| r.complaints.to_string()),
    ];
    let all: Vec<&kpi::Row> = table.rows.iter().chain([&table.total]).collect();
    let width_of = |i: usize, sums: bool| -> usize {
        let (head, _, cell) = columns[i];
        all.iter()
            .map(|r| cell(r, sums).chars().count())
            .chain([head.chars().count()])
            .max()
            .unwrap_or(4)
    };
    let room = area.width.saturating_sub(2) as usize;
    let pick = |sums: bool| -> Vec<usize> {
        let mut by_rank: Vec<usize> = (0..columns.len()).collect();
        by_rank.sort_by_key(|i| columns[*i].1);
        let mut used = 0;
        let mut shown = Vec::new();
        for i in by_rank {
            let w = width_of(i, sums) + if shown.is_empty() { 0 } else { 2 };
            if used + w > room {
                continue;
            }
            used += w;
            shown.push(i);
        }
        shown.sort_unstable();
        shown
    };
    let with_sums = pick(true);
    let sums = with_sums.len() >= 6;
    let shown = if sums { with_sums } else { pick(false) };
    let header: Vec<&str> = shown.iter().map(|i| columns[*i].0).collect();
    let body: Vec<Vec<String>> = all
        .iter()
        .map(|r| shown.iter().map(|i| (columns[*i].2)(r, sums)).collect())
        .collect();
    let widths: Vec<Constraint> = shown
        .iter()
        .map(|i| Constraint::Length(width_of(*i, sums) as u16))
        .collect();
    let total_row = table.rows.len();
    let rows = body.into_iter().enumerate().map(|(i, cells)| {
        let style = if i == total_row {
            t.style("header")
        } else {
            t.style("text")
        };
        let row = Row::new(
            cells
                .into_iter()
                .enumerate()
                .map(|(j, s)| {
                    let text = if j == 0 {
                        Line::from(s)
                    } else {
                        Line::from(s).right_aligned()
                    };
                    Cell::from(text)
                })
                .collect::<Vec<_>>(),
        )
        .style(style);
        if i == r.cursor.selected {
            row.style(t.selection())
        } else {
            row
        }
    });
    let header = Row::new(
        header
            .into_iter()
            .enumerate()
            .map(|(j, h)| {
                let line = Line::from(Span::styled(h, t.style("accent")));
                Cell::from(if j == 0 { line } else { line.right_aligned() })
            })
            .collect::<Vec<_>>(),
    );
    frame.render_widget(Table::new(rows, widths).header(header).column_spacing(2).block(b), area);
}

/// Whose funnel and complaints the panes show.
pub(super) fn focus(app: &App) -> String {
    match app
        .views
        .reports
        .selected_manager()
        .and_then(|m| app.model().managers.get(&m))
    {
        Some(m) => m.login.clone(),
        None => "everyone".into(),
    }
}

/// A stage's name in 8 characters.
fn abbreviated(stage: rapport::domain::OfferStage) -> String {
    match stage {
        rapport::domain::OfferStage::Presentation => "present.".into(),
        rapport::domain::OfferStage::Agreement => "agreem.".into(),
        other => other.as_str().chars().take(8).collect(),
    }
}

fn funnel(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let f = &app.views.reports.funnel;
    let b = block(app, format!(" Funnel · {} ", focus(app)));
    let inner = area.width.saturating_sub(2) as usize;
    let max = f.reached.iter().map(|s| s.offers).max().unwrap_or(0).max(1);
    // The bars take what the labels and numbers leave: short labels on a
    // narrow pane, so that 82 and 7 never look alike.
    let short = inner < 40;
    let label = if short { 9 } else { 13 };
    let digits = |n: u32| n.to_string().len();
    let refused_w = f
        .reached
        .iter()
        .map(|s| f.refused_at(s.stage))
        .filter(|n| *n > 0)
        .map(|n| 3 + digits(n))
        .max()
        .unwrap_or(0);
    let numbers = 1 + digits(max) + refused_w;
    let bar_room = inner.saturating_sub(label + numbers).max(1);
    let mut lines: Vec<Line> = f
        .reached
        .iter()
        .map(|s| {
            let len = (s.offers as usize * bar_room).div_ceil(max as usize);
            let refused = f.refused_at(s.stage);
            let style = if s.stage == rapport::domain::OfferStage::Won {
                t.style("stage_won")
            } else {
                t.style("stage_progress")
            };
            let mut spans = vec![
                Span::styled(
                    if short {
                        format!("{:<8} ", abbreviated(s.stage))
                    } else {
                        format!("{:<12} ", s.stage.as_str())
                    },
                    t.style("text"),
                ),
                Span::styled("█".repeat(len), style),
                Span::styled(format!(" {}", s.offers), t.style("text")),
            ];
            if refused > 0 {
                spans.push(Span::styled(format!("  ✗{refused}"), t.style("stage_refused")));
            }
            Line::from(spans)
        })
        .collect();
    lines.push(Line::from(""));
    let reasons: Vec<String> = RefusalReason::ALL
        .iter()
        .map(|r| Some(*r))
        .chain([None])
        .filter_map(|reason| {
            let n: u32 = f.refusals.iter().filter(|x| x.reason == reason).map(|x| x.count).sum();
            (n > 0).then(|| format!("{} {n}", reason.map_or("not kept", RefusalReason::as_str)))
        })
        .collect();
    lines.push(Line::from(vec![
        Span::styled(format!("Refused {}", f.refused), t.style("stage_refused")),
        Span::styled(
            if reasons.is_empty() {
                String::new()
            } else {
                format!(": {}", reasons.join(" · "))
            },
            t.style("muted"),
        ),
    ]));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(b), area);
}

fn figures(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let r = &app.views.reports;
    let row = r
        .table
        .as_ref()
        .and_then(|tb| tb.rows.get(r.cursor.selected).or(Some(&tb.total)));
    let b = block(
        app,
        format!(" Loyalty · activity · {} ", row.map_or("total", |r| r.group.as_str())),
    );
    let Some(row) = row else {
        frame.render_widget(Paragraph::new("").block(b), area);
        return;
    };
    let label = |s: &str| Span::styled(format!("{s:<16}"), t.style("muted"));
    let value = |s: String| Span::styled(s, t.style("text"));
    let pct = |p: Option<f64>| p.map_or_else(|| "–".to_string(), |p| format!("{p:.1} %"));
    let l = &row.loyalty;
    let mut lines = vec![
        Line::from(vec![
            label("Bought again"),
            value(format!(
                "{} of {} · {}",
                l.repeat_clients,
                l.active_clients,
                pct(l.repeat_percent())
            )),
        ]),
        Line::from(vec![label("Turnover"), value(money(l.turnover))]),
        Line::from(vec![
            label(" from not new"),
            value(format!("{} · {}", money(l.turnover_not_new), pct(l.not_new_percent()))),
        ]),
    ];
    if row.contacts.is_some() {
        lines.push(Line::from(vec![
            label("Activity"),
            value(format!(
                "{} contacts · {} tasks done",
                count(row.contacts),
                count(row.tasks_done)
            )),
        ]));
    }
    let c = &r.complaints;
    lines.push(Line::from(Span::styled(
        format!("Complaints · {}", focus(app)),
        t.style("accent"),
    )));
    lines.push(Line::from(vec![
        label(" opened"),
        value(format!(
            "{} · {} closed · {} from surveys",
            c.opened, c.closed, c.from_surveys
        )),
    ]));
    lines.push(Line::from(vec![
        label(" days to close"),
        value(
            c.median_days_to_close
                .map_or_else(|| "–".into(), |m| format!("median {m:.1}")),
        ),
    ]));
    let model = app.model();
    let products: Vec<String> = c
        .by_product
        .iter()
        .filter(|p| p.opened > 0)
        .map(|p| {
            let code = p
                .product
                .and_then(|id| model.products.get(&id))
                .map_or("other", |p| p.code.as_str());
            format!("{code} {}", p.opened)
        })
        .collect();
    if !products.is_empty() {
        lines.push(Line::from(vec![label(" by product"), value(products.join(" · "))]));
    }
    let causes: Vec<String> = c
        .by_cause
        .iter()
        .map(|(cause, n)| format!("{} {n}", if cause.is_empty() { "open" } else { cause }))
        .collect();
    if !causes.is_empty() {
        lines.push(Line::from(vec![label(" by cause"), value(causes.join(" · "))]));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(b), area);
}

fn history(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let client = app.selected_client();
    let changes: Vec<String> = match (client, app.history()) {
        (Some(c), Some(h)) => rapport::classes::client_history(h, c.id)
            .1
            .iter()
            .map(|x| x.to_string())
            .collect(),
        _ => Vec::new(),
    };
    let room = if area.height >= 14 && client.is_some() { 5 } else { 0 };
    let [chart, note] = Layout::vertical([Constraint::Min(0), Constraint::Length(room)]).areas(area);
    history_chart(frame, app, chart, " Clients per class A·B·C, 12 month ends ");
    let Some(c) = client.filter(|_| room > 0) else {
        return;
    };
    let text = if changes.is_empty() {
        Span::styled("no class change in 12 months", t.style("muted"))
    } else {
        Span::styled(changes.join(" · "), t.style("text"))
    };
    let b = block(app, format!(" {} · {} ", c.reference, c.name));
    frame.render_widget(
        Paragraph::new(Line::from(text)).wrap(Wrap { trim: true }).block(b),
        note,
    );
}
