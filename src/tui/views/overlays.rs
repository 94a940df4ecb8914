//! What opens over a view: help, the command palette, forms, the discard
//! question, and configuration problems found at start.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::centered;
use crate::tui::app::App;
use crate::tui::form::Form;
use crate::tui::keymap::Mode;

fn boxed<'a>(app: &'a App, title: String) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.style("accent"))
        .title(Span::styled(title, app.theme.style("header")))
}

/// The bindings of the view under the help, generated from the live keymap.
pub fn help(frame: &mut Frame, app: &App, scroll: usize) {
    let t = &app.theme;
    let area = centered(frame.area(), 64, frame.area().height.saturating_sub(4));
    let view = app.view().mode();
    let mut lines = Vec::new();
    for mode in [view, Mode::Global, Mode::Filter, Mode::Form] {
        let bindings = app.keymap.bindings(mode);
        if bindings.is_empty() {
            continue;
        }
        lines.push(Line::from(Span::styled(mode.name().to_string(), t.style("accent"))));
        for b in bindings {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<14}", b.keys()), t.style("header")),
                Span::styled(b.desc.clone(), t.style("text")),
            ]));
        }
    }
    let visible = area.height.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(visible));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .block(boxed(app, " Keys (esc closes) ".into()))
            .scroll((scroll as u16, 0)),
        area,
    );
}

/// Lines to read, scrolled from `scroll` (a client's history).
pub fn text(frame: &mut Frame, app: &App, title: &str, lines: &[String], scroll: usize) {
    let t = &app.theme;
    let area = centered(frame.area(), 110, frame.area().height.saturating_sub(2));
    let shown: Vec<Line> = lines
        .iter()
        .map(|l| {
            let style = if l.starts_with("      ") {
                t.style("muted")
            } else {
                t.style("text")
            };
            Line::from(Span::styled(l.clone(), style))
        })
        .collect();
    let visible = area.height.saturating_sub(2) as usize;
    let scroll = scroll.min(shown.len().saturating_sub(visible.max(1)));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(shown)
            .block(boxed(app, format!(" {title} · ↑↓ scroll · esc closes ")))
            .wrap(Wrap { trim: false })
            .scroll((scroll as u16, 0)),
        area,
    );
}

pub fn palette(frame: &mut Frame, app: &App, query: &str, selected: usize) {
    let t = &app.theme;
    let area = centered(frame.area(), 70, 16);
    let items = app.palette_items(query);
    let mut lines = vec![Line::from(vec![
        Span::styled(": ", t.style("accent")),
        Span::styled(format!("{query}▏"), t.style("text")),
    ])];
    let visible = area.height.saturating_sub(3) as usize;
    let start = selected.saturating_sub(visible.saturating_sub(1));
    for (i, (action, key)) in items.iter().enumerate().skip(start).take(visible) {
        let line = Line::from(vec![
            Span::styled(format!("{:<20}", action.name()), t.style("text")),
            Span::styled(format!("{:<10}", key.clone().unwrap_or_default()), t.style("header")),
            Span::styled(action.describe(), t.style("muted")),
        ]);
        lines.push(if i == selected { line.style(t.selection()) } else { line });
    }
    if items.is_empty() {
        lines.push(Line::from(Span::styled("no action matches", t.style("muted"))));
    }
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(boxed(app, " Commands ".into())), area);
}

pub fn form(frame: &mut Frame, app: &App, form: &Form) {
    let t = &app.theme;
    let model = app.model();
    let width = 76.min(frame.area().width);
    let inner = width.saturating_sub(2) as usize;
    let mut fields = Vec::new();
    for (i, f) in form.fields.iter().enumerate() {
        let focused = i == form.focus;
        let marker = if focused { "›" } else { " " };
        let cursor = if focused { "▏" } else { "" };
        let value = format!("{}{cursor}", f.shown());
        let mut spans = vec![
            Span::styled(
                format!("{marker} {:<12} ", f.label),
                if focused { t.style("accent") } else { t.style("muted") },
            ),
            Span::styled(value.clone(), t.style("text")),
        ];
        // Validation as you type: the field's problem on its own line.
        let problem = f
            .problem(model)
            .filter(|_| !f.value.trim().is_empty() || form.error.is_some());
        match problem {
            Some(p) => spans.push(Span::styled(format!("  {p}"), t.style("error"))),
            None if focused => {
                let sugg = f.suggestions(model);
                if !sugg.is_empty() && !sugg.iter().any(|s| *s == f.value.trim()) {
                    // As many options as the line holds, then an ellipsis.
                    let room = inner.saturating_sub(15 + value.chars().count() + 2);
                    spans.push(Span::styled(format!("  {}", options(&sugg, room)), t.style("muted")));
                }
            }
            None => {}
        }
        fields.push(Line::from(spans));
    }
    let mut tail = vec![Line::from("")];
    if let Some(e) = &form.error {
        tail.push(Line::from(Span::styled(e.clone(), t.style("error"))));
    } else {
        let keys = |a| app.keymap.key_for(Mode::Form, a).unwrap_or_default();
        tail.push(Line::from(Span::styled(
            format!(
                "{} save · {} next field · {} cancel",
                keys(crate::tui::action::Action::Submit),
                keys(crate::tui::action::Action::NextField),
                keys(crate::tui::action::Action::Cancel)
            ),
            t.style("muted"),
        )));
    }
    let mut info: Vec<Line> = form
        .info
        .iter()
        .map(|i| Line::from(Span::styled(i.clone(), t.style("muted"))))
        .collect();
    // The height the wrapped lines take; the error and the fields always
    // show: the read-only lines give way when the screen is short.
    let rows = |lines: &[Line]| -> u16 {
        lines
            .iter()
            .map(|l| {
                // Word wrapping can take a row more than the characters do.
                let n = l.width().max(1).div_ceil(inner.max(1));
                (if n > 1 { n + 1 } else { n }) as u16
            })
            .sum()
    };
    let room = frame.area().height.saturating_sub(2);
    let fixed = rows(&fields) + rows(&tail);
    while !info.is_empty() && fixed + 1 + rows(&info) > room {
        info.pop();
        if let Some(last) = info.last_mut() {
            *last = Line::from(Span::styled("…", t.style("muted")));
        }
    }
    let mut lines = fields;
    if !info.is_empty() {
        lines.push(Line::from(""));
        lines.extend(info);
    }
    lines.extend(tail);
    let height = rows(&lines) + 2;
    let area = centered(frame.area(), width, height);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .block(boxed(app, format!(" {} ", form.title)))
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// `a b c …`: the options that fit in `room` columns.
fn options(all: &[String], room: usize) -> String {
    let mut out = String::new();
    for (i, o) in all.iter().enumerate() {
        let more = i + 1 < all.len();
        let need = o.chars().count() + usize::from(!out.is_empty()) + if more { 2 } else { 0 };
        if out.chars().count() + need > room {
            out.push_str(if out.is_empty() { "…" } else { " …" });
            return out;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(o);
    }
    out
}

pub fn confirm(frame: &mut Frame, app: &App) {
    let area = centered(frame.area(), 44, 3);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled("Discard your changes? (y/n)", app.theme.style("warning"))).centered())
            .block(boxed(app, String::new())),
        area,
    );
}

pub fn errors(frame: &mut Frame, app: &App) {
    let t = &app.theme;
    let area = centered(
        frame.area(),
        frame.area().width.saturating_sub(4),
        frame.area().height.saturating_sub(4),
    );
    let mut lines = vec![
        Line::from(Span::styled(
            "Your configuration has problems; rapport uses its built-in presets for what it could not read.",
            t.style("warning"),
        )),
        Line::from(""),
    ];
    for e in &app.config_errors {
        lines.push(Line::from(Span::styled(e.to_string(), t.style("error"))));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Press any key to continue.", t.style("muted"))));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .block(boxed(app, " Configuration ".into()))
            .wrap(Wrap { trim: false }),
        Rect { ..area },
    );
}
