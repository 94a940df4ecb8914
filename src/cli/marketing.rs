//! The marketing reports of SPEC §9 as sheets: new clients, primary sales
//! and conversion by source; refusals by competitor and stage.

use rapport::domain::OfferStage;
use rapport::kpi::{Competitors, Period, Sources};

use super::sheet::{Cell, Column, Sheet, col};

fn title(what: &str, period: Period, manager: Option<&str>) -> String {
    let who = manager.map_or_else(|| "all managers".to_string(), |m| format!("manager {m}"));
    format!("{what} {} – {} ({who})", period.from, period.to)
}

pub fn sources_sheet(t: &Sources, manager: Option<&str>) -> Sheet {
    let row = |r: &rapport::kpi::marketing::SourceRow| {
        vec![
            Cell::Text(r.source.clone()),
            Cell::Count(Some(r.new_clients)),
            Cell::Tally(r.primary.count, r.primary.sum),
            Cell::Ratio(Some((r.conversion.converted, r.conversion.potential))),
        ]
    };
    Sheet {
        title: title("Sources", t.period, manager),
        columns: vec![
            col("source", &["source"]),
            col("new clients", &["new_clients"]),
            col("primary sales", &["primary_count", "primary_sum"]),
            col("conversion", &["converted", "potential", "conversion_percent"]),
        ],
        rows: t.rows.iter().map(row).collect(),
        footer: vec![row(&t.total)],
    }
}

/// The CSV header of each stage column.
fn stage_csv(stage: OfferStage) -> &'static [&'static str] {
    match stage {
        OfferStage::Presentation => &["presentation"],
        OfferStage::Proposal => &["proposal"],
        OfferStage::Agreement => &["agreement"],
        OfferStage::Invoiced => &["invoiced"],
        OfferStage::Delivery => &["delivery"],
        OfferStage::Won => &["won"],
        _ => &["other_stage"],
    }
}

pub fn competitors_sheet(t: &Competitors, manager: Option<&str>) -> Sheet {
    let mut columns: Vec<Column> = vec![col("competitor", &["competitor"])];
    columns.extend(t.stages.iter().map(|s| col(s.as_str(), stage_csv(*s))));
    columns.push(col("total", &["total"]));
    let row = |r: &rapport::kpi::marketing::CompetitorRow| {
        let mut cells = vec![Cell::Text(r.competitor.clone())];
        cells.extend(r.by_stage.iter().map(|n| Cell::Count(Some(*n))));
        cells.push(Cell::Count(Some(r.total)));
        cells
    };
    Sheet {
        title: title("Refusals by competitor", t.period, manager),
        columns,
        rows: t.rows.iter().map(row).collect(),
        footer: vec![row(&t.total)],
    }
}
