//! The live classes pane (SPEC §4.5): the selected client's classes, then
//! the totals of the portfolio or of the current filter: counts per class,
//! the 3×3 ABC×XYZ grid, counts per status.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::tui::app::App;
use crate::tui::views::money;
use rapport::classes::{Abc, Status, Totals, Xyz};

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let classes = app.classes();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style("border"))
        .title(Span::styled(
            format!(" Classes · {} ", classes.as_of),
            t.style("header"),
        ));
    let mut lines = Vec::new();
    let label = |s: &str| Span::styled(s.to_string(), t.style("muted"));
    match app.selected_client().and_then(|c| classes.get(c.id)) {
        Some(k) => {
            let abc = k.abc.map_or(Span::styled("–", t.style("muted")), |a| {
                Span::styled(a.as_str(), t.style(&format!("class_{}", a.as_str().to_lowercase())))
            });
            let xyz = k.xyz.map_or(Span::styled("–", t.style("muted")), |x| {
                Span::styled(x.as_str(), t.style(&format!("class_{}", x.as_str().to_lowercase())))
            });
            lines.push(Line::from(vec![
                label("ABC "),
                abc,
                label("  XYZ "),
                xyz,
                label("  "),
                Span::styled(k.status.as_str(), t.style("text")),
            ]));
            // Values keep their columns from client to client: moving the
            // selection rewrites the characters that differ, nothing more.
            lines.push(Line::from(vec![
                label("Turnover "),
                Span::styled(format!("{:>13}", money(k.turnover)), t.style("text")),
            ]));
            let cv = format!("{:<7}", k.cv.map_or("–".to_string(), |cv| format!("{cv:.4}")));
            let coop = k.cooperation_months.map_or("–".to_string(), |m| format!("{m} mo"));
            lines.push(Line::from(vec![
                label("CV "),
                Span::styled(cv, t.style("text")),
                label(" Coop. "),
                Span::styled(coop, t.style("text")),
            ]));
            let maturity = match k.maturity {
                Some((u, n)) => {
                    let filled = if n == 0 { 0 } else { (u as usize * 10) / n as usize };
                    vec![
                        label("Maturity "),
                        Span::styled(format!("{u}/{n} "), t.style("text")),
                        Span::styled("█".repeat(filled), t.style("ok")),
                        Span::styled("░".repeat(10 - filled), t.style("muted")),
                    ]
                }
                None => vec![label("Maturity "), Span::styled("no portrait", t.style("muted"))],
            };
            lines.push(Line::from(maturity));
        }
        None => lines.push(Line::from(label("No client selected"))),
    }
    let (totals, scope) = match app.filter_totals() {
        Some(t) => (t, format!("filter: {} clients", t.clients)),
        None => (
            &classes.totals,
            format!("portfolio: {} clients", classes.totals.clients),
        ),
    };
    lines.push(Line::from(Span::styled(format!("── {scope} "), t.style("accent"))));
    lines.extend(grid(app, totals));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The ABC×XYZ grid with totals, then status counts.
pub fn grid<'a>(app: &'a App, totals: &Totals) -> Vec<Line<'a>> {
    let t = &app.theme;
    let mut lines = Vec::new();
    // Cells of 4 while every count has 3 digits at most; a larger book's
    // get 5, and counts from 10,000 on are shown in thousands, so that the
    // grid still fits the pane beside an 80-column list.
    let widest = totals
        .grid
        .iter()
        .flatten()
        .chain(&totals.abc)
        .max()
        .copied()
        .unwrap_or(0);
    let w = if widest < 1000 { 4 } else { 5 };
    let mut head = vec![Span::raw("    ")];
    for x in Xyz::ALL {
        head.push(Span::styled(
            format!("{:>w$}", x.as_str()),
            t.style(&format!("class_{}", x.as_str().to_lowercase())),
        ));
    }
    head.push(Span::styled(format!("{:>w$}{:>5}", "–", "all"), t.style("muted")));
    lines.push(Line::from(head));
    for (i, a) in Abc::ALL.iter().map(Some).chain([None]).enumerate() {
        let name = a.map_or("–", |a| a.as_str());
        let style = a.map_or(t.style("muted"), |a| {
            t.style(&format!("class_{}", a.as_str().to_lowercase()))
        });
        let mut row = vec![Span::styled(format!("  {name} "), style)];
        for x in 0..4 {
            let n = totals.grid[i][x];
            row.push(Span::styled(
                format!("{:>w$}", count(n)),
                if n == 0 { t.style("muted") } else { t.style("text") },
            ));
        }
        row.push(Span::styled(format!("{:>5}", count(totals.abc[i])), t.style("muted")));
        lines.push(Line::from(row));
    }
    // Statuses on two lines so that a narrow pane shows them all.
    let status = |range: std::ops::Range<usize>| -> Line<'a> {
        Line::from(
            range
                .flat_map(|i| {
                    [
                        Span::styled(format!("{} ", short(Status::ALL[i])), t.style("muted")),
                        Span::styled(format!("{}  ", totals.status[i]), t.style("text")),
                    ]
                })
                .collect::<Vec<_>>(),
        )
    };
    lines.push(status(0..3));
    lines.push(status(3..5));
    lines
}

/// A count in 4 characters (below ten million): as it is below 10,000,
/// then in thousands (`48k`), then in millions (`1.2M`).
fn count(n: u32) -> String {
    if n < 10_000 {
        n.to_string()
    } else if n < 999_500 {
        format!("{}k", (n + 500) / 1000)
    } else {
        format!("{:.1}M", f64::from(n) / 1e6)
    }
}

fn short(s: Status) -> &'static str {
    match s {
        Status::Potential => "pot",
        Status::New => "new",
        Status::Regular => "reg",
        Status::Restored => "rest",
        Status::Lost => "lost",
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn counts_fit_four_characters_below_ten_million() {
        let shown: Vec<String> = [0, 9_999, 10_000, 48_574, 999_499, 999_500, 1_250_000, u32::MAX]
            .into_iter()
            .map(count)
            .collect();
        assert_eq!(shown, ["0", "9999", "10k", "49k", "999k", "1.0M", "1.2M", "4295.0M"]);
    }
}
