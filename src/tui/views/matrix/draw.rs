//! The product matrix (SPEC §3): a row of product cells per client, grouped
//! by segment, products grouped by line. Client columns and the header stay
//! in place while the cells scroll both ways. Or the portrait editor:
//! segments × products.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::tui::app::App;
use rapport::domain::OfferStage;
use rapport::matrix::cell;

const CELL: usize = 13;
const MAT: usize = 5;

/// Segment and client column widths: narrower on small terminals so that
/// more products fit.
fn fixed_widths(width: usize) -> (usize, usize) {
    if width >= 120 { (12, 22) } else { (8, 16) }
}
const SEG: usize = 12;

/// `s` cut or padded to `w` characters.
fn fit(s: &str, w: usize) -> String {
    let mut out: String = s.chars().take(w).collect();
    let n = out.chars().count();
    out.extend(std::iter::repeat_n(' ', w - n));
    out
}

/// Moves `offset` so that `index` shows in a window of `visible`.
fn scroll(offset: &std::cell::Cell<usize>, index: usize, visible: usize, len: usize) -> usize {
    let mut o = offset.get();
    if index < o {
        o = index;
    } else if visible > 0 && index >= o + visible {
        o = index + 1 - visible;
    }
    o = o.min(len.saturating_sub(visible.max(1)));
    offset.set(o);
    o
}

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    if app.views.matrix.portrait {
        portrait(frame, app, area);
        return;
    }
    let t = &app.theme;
    let model = app.model();
    let m = &app.views.matrix;
    let restriction = |label: &str, name: Option<String>| name.map_or(String::new(), |n| format!(" · {label} {n}"));
    let title = format!(
        " Matrix · {} clients{}{} ",
        m.rows.len(),
        restriction(
            "segment",
            m.segment.and_then(|s| model.segments.get(&s)).map(|s| s.name.clone())
        ),
        restriction(
            "manager",
            m.manager.and_then(|s| model.managers.get(&s)).map(|s| s.login.clone())
        ),
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style("border"))
        .title(Span::styled(title, t.style("header")));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let (seg_w, name_w) = fixed_widths(width);
    let fixed = seg_w + name_w + MAT + 3;
    let visible_cols = width.saturating_sub(fixed) / (CELL + 1);
    let col_offset = scroll(&m.col_offset, m.col, visible_cols, m.columns.len());
    let columns: Vec<_> = m.columns.iter().skip(col_offset).take(visible_cols).collect();
    let body = (inner.height as usize).saturating_sub(3); // two header lines, one footer
    m.height.set(body.max(1));
    let row_offset = scroll(&m.row_offset, m.row, body, m.rows.len());

    let mut lines = Vec::with_capacity(inner.height as usize);
    // Header: product lines, then product ids.
    let mut groups = vec![Span::raw(" ".repeat(fixed))];
    let mut last_line = "";
    for p in &columns {
        let line = model.products.get(p).map_or("", |p| p.line.as_str());
        let text = if line == last_line {
            String::new()
        } else {
            line.to_string()
        };
        last_line = line;
        groups.push(Span::styled(format!("{} ", fit(&text, CELL)), t.style("accent")));
    }
    lines.push(Line::from(groups));
    let mut head = vec![Span::styled(
        format!(
            "{} {} {} ",
            fit("Segment", seg_w),
            fit("Client", name_w),
            fit("Mat", MAT)
        ),
        t.style("header"),
    )];
    for (i, p) in columns.iter().enumerate() {
        let code = model.products.get(p).map_or("?", |p| p.code.as_str());
        let style = if col_offset + i == m.col {
            t.style("accent")
        } else {
            t.style("header")
        };
        head.push(Span::styled(format!("{} ", fit(code, CELL)), style));
    }
    lines.push(Line::from(head));

    let classes = app.classes();
    let mut previous_segment = None;
    if let Some(before) = row_offset.checked_sub(1).and_then(|i| m.rows.get(i)) {
        previous_segment = model.clients.get(before).map(|c| c.segment);
    }
    for (i, id) in m.rows.iter().enumerate().skip(row_offset).take(body) {
        let Some(c) = model.clients.get(id) else { continue };
        let seg = if previous_segment == Some(c.segment) {
            String::new()
        } else {
            c.segment
                .and_then(|s| model.segments.get(&s))
                .map_or("–".to_string(), |s| s.name.clone())
        };
        previous_segment = Some(c.segment);
        let selected_row = i == m.row;
        let maturity = classes
            .get(c.id)
            .and_then(|k| k.maturity)
            .map_or("–".to_string(), |(u, n)| format!("{u}/{n}"));
        let mut spans = vec![
            Span::styled(format!("{} ", fit(&seg, seg_w)), t.style("accent")),
            Span::styled(
                format!("{} ", fit(&c.name, name_w)),
                if selected_row {
                    t.style("header")
                } else {
                    t.style("text")
                },
            ),
            Span::styled(format!("{} ", fit(&maturity, MAT)), t.style("text")),
        ];
        for (j, p) in columns.iter().enumerate() {
            let cell = cell(model, c, **p, app.today);
            let mut style = match cell.stage {
                _ if cell.overdue => t.style("overdue"),
                OfferStage::NotOffered if cell.target => t.style("text"),
                OfferStage::NotOffered => t.style("muted"),
                OfferStage::Won => t.style("stage_won"),
                OfferStage::Refused => t.style("stage_refused"),
                OfferStage::Excluded => t.style("stage_excluded"),
                _ => t.style("stage_progress"),
            };
            if !cell.target && !cell.overdue {
                style = style
                    .patch(t.style("muted"))
                    .add_modifier(ratatui::style::Modifier::DIM);
            }
            if selected_row && col_offset + j == m.col {
                style = style.patch(t.selection());
            }
            let label = if m.marked.contains(&(c.id, **p)) {
                format!("●{}", cell.label)
            } else {
                cell.label.clone()
            };
            spans.push(Span::styled(fit(&label, CELL), style));
            spans.push(Span::raw(" "));
        }
        lines.push(Line::from(spans));
    }
    while lines.len() < inner.height.saturating_sub(1) as usize {
        lines.push(Line::from(""));
    }
    let w = &m.whitespace;
    let labels: [&str; 6] = if width >= 110 {
        [
            "Sales plan: ",
            " target cells",
            " · not offered ",
            " · in progress ",
            " · won ",
            " · refused ",
        ]
    } else {
        ["Plan ", "", ": to offer ", " · open ", " · won ", " · refused "]
    };
    lines.push(Line::from(vec![
        Span::styled(labels[0], t.style("muted")),
        Span::styled(format!("{}{}", w.targets, labels[1]), t.style("text")),
        Span::styled(labels[2], t.style("muted")),
        Span::styled(w.not_offered.to_string(), t.style("warning")),
        Span::styled(labels[3], t.style("muted")),
        Span::styled(w.in_progress.to_string(), t.style("stage_progress")),
        Span::styled(labels[4], t.style("muted")),
        Span::styled(w.won.to_string(), t.style("stage_won")),
        Span::styled(labels[5], t.style("muted")),
        Span::styled(w.refused.to_string(), t.style("stage_refused")),
        Span::styled(" · excluded ", t.style("muted")),
        Span::styled(w.excluded.to_string(), t.style("stage_excluded")),
    ]));
    frame.render_widget(Paragraph::new(lines).style(Style::default()), inner);
}

fn portrait(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let model = app.model();
    let m = &app.views.matrix;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style("border"))
        .title(Span::styled(
            " Portrait · the target products of each segment (space toggles) ",
            t.style("header"),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let visible_cols = (inner.width as usize).saturating_sub(SEG + 12) / (CELL + 1);
    let col_offset = scroll(&m.col_offset, m.portrait_col, visible_cols, m.columns.len());
    let columns: Vec<_> = m
        .columns
        .iter()
        .enumerate()
        .skip(col_offset)
        .take(visible_cols)
        .collect();
    let mut head = vec![Span::styled(
        format!("{} {} ", fit("Segment", SEG + 10), ""),
        t.style("header"),
    )];
    for (_, p) in &columns {
        let code = model.products.get(p).map_or("?", |p| p.code.as_str());
        head.push(Span::styled(format!("{} ", fit(code, CELL)), t.style("header")));
    }
    let mut lines = vec![Line::from(head)];
    for (r, s) in model.segments.values().enumerate() {
        let count = model.targets(s.id).count();
        let mut spans = vec![Span::styled(
            format!("{} ", fit(&format!("{} ({count})", s.name), SEG + 10)),
            t.style("accent"),
        )];
        for (c, p) in &columns {
            let on = model.portrait.contains(&(s.id, **p));
            let mut style = if on { t.style("stage_won") } else { t.style("muted") };
            if r == m.portrait_row && *c == m.portrait_col {
                style = style.patch(t.selection());
            }
            spans.push(Span::styled(fit(if on { "    ●" } else { "    ·" }, CELL), style));
            spans.push(Span::raw(" "));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Maturity and the classes pane follow every change at once.",
        t.style("muted"),
    )));
    frame.render_widget(Paragraph::new(lines), inner);
}
