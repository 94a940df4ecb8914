//! `rapport report`: the team lead's numbers (SPEC §7) — the manager table,
//! the funnel, loyalty, complaints — and the class history (SPEC §4.5),
//! as aligned text, CSV (`--excel` for French Excel) or JSON.

use std::io::Write;

use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::sheet::{Cell, Output, Sheet, col, json};
use super::{CliResult, Failure, Target, date_arg, finish_read, io_err, today};
use rapport::backend::Backend;
use rapport::classes::{self, Status};
use rapport::domain::RefusalReason;
use rapport::kpi::{self, GroupBy, Period, Preset, Row, Table};
use rapport::model::Model;

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand, Debug)]
enum What {
    /// Per manager (or segment, or product line) with a total: new clients,
    /// primary / repeat / new-line sales, refunds, lost, restored,
    /// conversion, contacts, tasks done, complaints.
    Managers(ManagersArgs),
    /// Offers that reached each stage in the period, refusals by stage and reason.
    Funnel(FunnelArgs),
    /// Clients that bought again, and the turnover from clients that were not new.
    Loyalty(ManagersArgs),
    /// Complaints opened and closed, by product and by cause.
    Complaints(FunnelArgs),
    /// New clients, primary sales and conversion by acquisition source (SPEC §9).
    Sources(FunnelArgs),
    /// Refusals by competitor and by the stage they happened at (SPEC §9).
    Competitors(FunnelArgs),
    /// Portfolio counts per class at each of the last 12 month ends, or one
    /// client's classes and transitions.
    History(HistoryArgs),
}

#[derive(Args, Debug)]
struct PeriodArgs {
    /// First day of the period.
    #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
    from: Option<NaiveDate>,
    /// Last day of the period (default: the --as-of date).
    #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
    to: Option<NaiveDate>,
    /// this-month, last-month, this-quarter, last-quarter or year-to-date
    /// (the default is this month).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    period: Option<String>,
    /// The day the presets count from (default: today).
    #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
}

impl PeriodArgs {
    fn period(&self) -> Result<Period, Failure> {
        let today = self.as_of.unwrap_or_else(today);
        match (self.from, self.to, &self.period) {
            (Some(from), to, _) => Period::new(from, to.unwrap_or(today)).map_err(Failure::input),
            (None, Some(_), _) => Err(Failure::input("--to needs --from")),
            (None, None, name) => {
                let preset = match name {
                    None => Preset::ThisMonth,
                    Some(n) => Preset::parse(n).ok_or_else(|| {
                        let names: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
                        Failure::input(format!("unknown period '{n}' (expected one of {})", names.join(", ")))
                    })?,
                };
                Ok(preset.period(today))
            }
        }
    }
}

#[derive(Args, Debug)]
struct OutputArgs {
    #[arg(long, value_enum, default_value_t = Output::Text)]
    format: Output,
    /// CSV for French Excel: `;` between fields, decimal commas, UTF-8 BOM
    /// (implies --format csv).
    #[arg(long)]
    excel: bool,
}

impl OutputArgs {
    fn output(&self) -> Result<Output, Failure> {
        match (self.excel, self.format) {
            (true, Output::Json) => Err(Failure::input("--excel writes CSV; it does not go with --format json")),
            (true, _) => Ok(Output::Csv),
            (false, f) => Ok(f),
        }
    }
}

#[derive(Args, Debug)]
struct ManagersArgs {
    #[command(flatten)]
    period: PeriodArgs,
    /// Group the rows by the client's manager, segment, or the product line.
    #[arg(long, default_value = "manager", value_parser = group_arg)]
    by: GroupBy,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args, Debug)]
struct FunnelArgs {
    #[command(flatten)]
    period: PeriodArgs,
    /// Only this manager's clients.
    #[arg(long, value_name = "LOGIN")]
    manager: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args, Debug)]
struct HistoryArgs {
    /// The last month end on or before this date is the newest (default: today).
    #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    /// One client's classes and transitions.
    #[arg(long, value_name = "REF")]
    client: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

fn group_arg(s: &str) -> Result<GroupBy, String> {
    GroupBy::parse(s).ok_or_else(|| format!("'{s}' is not a grouping (expected manager, segment or line)"))
}

pub fn run(args: ReportArgs, db: Target) -> CliResult {
    // Check the arguments before the (slower) opening of the database.
    let output = output_of(&args)?;
    let mut store = super::open_for_command(db)?;
    if let Some(done) = super::answered_by_server(&mut store, false) {
        return done;
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    write(&mut store, &args, output, &mut out).and_then(|()| out.flush().map_err(io_err))?;
    drop(out);
    finish_read(store)
}

/// The report's output form, once its period and output are checked.
pub fn output_of(args: &ReportArgs) -> Result<Output, Failure> {
    Ok(match &args.what {
        What::Managers(a) | What::Loyalty(a) => {
            a.period.period()?;
            a.output.output()?
        }
        What::Funnel(a) | What::Complaints(a) | What::Sources(a) | What::Competitors(a) => {
            a.period.period()?;
            a.output.output()?
        }
        What::History(a) => a.output.output()?,
    })
}

/// What `rapport report` prints, from `store` (here, or the server's).
pub fn write(store: &mut dyn Backend, args: &ReportArgs, output: Output, out: &mut dyn Write) -> CliResult {
    let mut out = out;
    match &args.what {
        What::Managers(a) => {
            let table = store.kpi_table(a.period.period()?, a.by)?;
            if output == Output::Json {
                json(&table, &mut out)
            } else {
                managers_sheet(&table).write(output, a.output.excel, &mut out)
            }
        }
        What::Loyalty(a) => {
            let table = store.kpi_table(a.period.period()?, a.by)?;
            if output == Output::Json {
                let rows: Vec<_> = table
                    .rows
                    .iter()
                    .chain([&table.total])
                    .map(|r| {
                        serde_json::json!({ "group": r.group, "loyalty": r.loyalty,
                        "repeat_percent": r.loyalty.repeat_percent(),
                        "not_new_percent": r.loyalty.not_new_percent() })
                    })
                    .collect();
                json(
                    &serde_json::json!({ "period": table.period, "by": table.by, "rows": rows }),
                    &mut out,
                )
            } else {
                loyalty_sheet(&table).write(output, a.output.excel, &mut out)
            }
        }
        What::Funnel(a) => {
            let period = a.period.period()?;
            let model = store.model();
            let manager = manager_filter(model, a.manager.as_deref())?;
            let f = kpi::funnel(model, period, |c| manager.is_none_or(|m| c.manager == Some(m)));
            if output == Output::Json {
                json(
                    &serde_json::json!({ "period": period, "manager": a.manager, "funnel": f }),
                    &mut out,
                )
            } else {
                funnel_sheet(&f, period, a.manager.as_deref()).write(output, a.output.excel, &mut out)
            }
        }
        What::Complaints(a) => {
            let period = a.period.period()?;
            let model = store.model();
            let manager = manager_filter(model, a.manager.as_deref())?;
            let tickets = model
                .tickets
                .values()
                .filter(|t| manager.is_none_or(|m| model.clients.get(&t.client).is_some_and(|c| c.manager == Some(m))));
            let s = rapport::tickets::summary(tickets, period.from, period.to);
            if output == Output::Json {
                json(&serde_json::json!({ "period": period, "complaints": s }), &mut out)
            } else {
                complaints_sheet(model, &s, period).write(output, a.output.excel, &mut out)
            }
        }
        What::Sources(a) => {
            let period = a.period.period()?;
            let manager = manager_filter(store.model(), a.manager.as_deref())?;
            let t = store.sources_table(period, manager)?;
            if output == Output::Json {
                json(&serde_json::json!({ "manager": a.manager, "sources": t }), &mut out)
            } else {
                super::marketing::sources_sheet(&t, a.manager.as_deref()).write(output, a.output.excel, &mut out)
            }
        }
        What::Competitors(a) => {
            let period = a.period.period()?;
            let model = store.model();
            let manager = manager_filter(model, a.manager.as_deref())?;
            let t = kpi::competitors(model, period, |c| manager.is_none_or(|m| c.manager == Some(m)));
            if output == Output::Json {
                json(&serde_json::json!({ "manager": a.manager, "competitors": t }), &mut out)
            } else {
                super::marketing::competitors_sheet(&t, a.manager.as_deref()).write(output, a.output.excel, &mut out)
            }
        }
        What::History(a) => history(
            store.model(),
            a.as_of.unwrap_or_else(today),
            a.client.as_deref(),
            output,
            a.output.excel,
            &mut out,
        ),
    }
}

fn manager_filter(model: &Model, login: Option<&str>) -> Result<Option<rapport::domain::ManagerId>, Failure> {
    login
        .map(|l| {
            model
                .manager_by_login(l)
                .map(|m| m.id)
                .ok_or_else(|| Failure::input(format!("unknown manager '{l}'")))
        })
        .transpose()
}

fn title(what: &str, period: Period) -> String {
    format!("{what} · {} to {}", period.from, period.to)
}

fn managers_sheet(t: &Table) -> Sheet {
    let row = |r: &Row| {
        vec![
            Cell::Text(r.group.clone()),
            Cell::Count(r.new_clients),
            Cell::Tally(r.primary.count, r.primary.sum),
            Cell::Tally(r.repeat.count, r.repeat.sum),
            Cell::Tally(r.new_line.count, r.new_line.sum),
            Cell::Tally(r.refunds.count, r.refunds.sum),
            Cell::Money(r.turnover),
            Cell::Count(r.lost),
            Cell::Count(r.restored),
            Cell::Ratio(r.conversion.map(|c| (c.converted, c.potential))),
            Cell::Count(r.contacts),
            Cell::Count(r.tasks_done),
            Cell::Count(Some(r.complaints)),
        ]
    };
    Sheet {
        title: title(&format!("Results by {}", t.by.name()), t.period),
        columns: vec![
            col(t.by.name(), &["group"]),
            col("new", &["new_clients"]),
            col("primary", &["primary_count", "primary_sum"]),
            col("repeat", &["repeat_count", "repeat_sum"]),
            col("new line", &["new_line_count", "new_line_sum"]),
            col("refunds", &["refunds_count", "refunds_sum"]),
            col("turnover", &["turnover"]),
            col("lost", &["lost"]),
            col("restored", &["restored"]),
            col("conversion", &["converted", "potential", "conversion_percent"]),
            col("contacts", &["contacts"]),
            col("tasks", &["tasks_done"]),
            col("complaints", &["complaints"]),
        ],
        rows: t.rows.iter().map(row).collect(),
        footer: vec![row(&t.total)],
    }
}

fn loyalty_sheet(t: &Table) -> Sheet {
    let row = |r: &Row| {
        let l = &r.loyalty;
        vec![
            Cell::Text(r.group.clone()),
            Cell::Count(Some(l.active_clients)),
            Cell::Count(Some(l.repeat_clients)),
            Cell::Percent(l.repeat_percent()),
            Cell::Money(l.turnover),
            Cell::Money(l.turnover_not_new),
            Cell::Percent(l.not_new_percent()),
        ]
    };
    Sheet {
        title: title("Loyalty", t.period),
        columns: vec![
            col(t.by.name(), &["group"]),
            col("buying", &["clients_with_settlements"]),
            col("bought again", &["clients_with_repeat_sale"]),
            col("share", &["repeat_percent"]),
            col("turnover", &["turnover"]),
            col("from not new", &["turnover_not_new"]),
            col("share", &["not_new_percent"]),
        ],
        rows: t.rows.iter().map(row).collect(),
        footer: vec![row(&t.total)],
    }
}

fn funnel_sheet(f: &kpi::Funnel, period: Period, manager: Option<&str>) -> Sheet {
    let reasons: Vec<Option<RefusalReason>> = RefusalReason::ALL.iter().copied().map(Some).chain([None]).collect();
    let rows = f
        .reached
        .iter()
        .map(|s| {
            let mut cells = vec![
                Cell::Text(s.stage.as_str().to_string()),
                Cell::Count(Some(s.offers)),
                Cell::Count(Some(f.refused_at(s.stage))),
            ];
            cells.extend(reasons.iter().map(|reason| {
                let n = f
                    .refusals
                    .iter()
                    .filter(|r| r.stage == s.stage && r.reason == *reason)
                    .map(|r| r.count)
                    .sum();
                Cell::Count(Some(n))
            }));
            cells
        })
        .collect();
    let mut columns = vec![
        col("stage", &["stage"]),
        col("reached", &["reached"]),
        col("refused", &["refused"]),
    ];
    const REASONS: [&[&str]; 7] = [
        &["price"],
        &["timing"],
        &["competitor"],
        &["no_need"],
        &["no_budget"],
        &["other"],
        &["reason_not_kept"],
    ];
    for (reason, csv) in reasons.iter().zip(REASONS) {
        columns.push(col(reason.map_or("not kept", RefusalReason::as_str), csv));
    }
    let who = manager.map_or_else(|| "all managers".to_string(), |m| format!("manager {m}"));
    let mut footer = vec![
        Cell::Text("total".into()),
        Cell::Text(String::new()),
        Cell::Count(Some(f.refused)),
    ];
    footer.extend(reasons.iter().map(|reason| {
        Cell::Count(Some(
            f.refusals.iter().filter(|r| r.reason == *reason).map(|r| r.count).sum(),
        ))
    }));
    Sheet {
        title: format!("{} ({who})", title("Funnel", period)),
        columns,
        rows,
        footer: vec![footer],
    }
}

fn complaints_sheet(model: &Model, s: &rapport::tickets::Summary, period: Period) -> Sheet {
    let mut rows: Vec<Vec<Cell>> = vec![
        vec![
            Cell::Text("total".into()),
            Cell::Text(String::new()),
            Cell::Count(Some(s.opened)),
            Cell::Count(Some(s.closed)),
        ],
        vec![
            Cell::Text("source".into()),
            Cell::Text("survey".into()),
            Cell::Count(Some(s.from_surveys)),
            Cell::Count(None),
        ],
    ];
    for p in &s.by_product {
        let name = p
            .product
            .and_then(|id| model.products.get(&id))
            .map_or_else(|| "(no product)".to_string(), |p| p.code.clone());
        rows.push(vec![
            Cell::Text("product".into()),
            Cell::Text(name),
            Cell::Count(Some(p.opened)),
            Cell::Count(Some(p.closed)),
        ]);
    }
    for (cause, n) in &s.by_cause {
        let cause = if cause.is_empty() { "(not found yet)" } else { cause };
        rows.push(vec![
            Cell::Text("cause".into()),
            Cell::Text(cause.to_string()),
            Cell::Count(Some(*n)),
            Cell::Count(None),
        ]);
    }
    let median = s
        .median_days_to_close
        .map_or_else(|| "–".to_string(), |m| format!("{m:.1}"));
    Sheet {
        title: format!("{} · median days to close {median}", title("Complaints", period)),
        columns: vec![
            col("by", &["by"]),
            col("what", &["what"]),
            col("opened", &["opened"]),
            col("closed", &["closed"]),
        ],
        rows,
        footer: Vec::new(),
    }
}

/// SPEC §4.5's class history, for `report history` and `classes --history`.
pub fn history(
    model: &Model,
    as_of: NaiveDate,
    client: Option<&str>,
    output: Output,
    excel: bool,
    out: &mut dyn Write,
) -> CliResult {
    let points = classes::history(model, as_of, 12);
    let Some(reference) = client else {
        if output == Output::Json {
            let rows: Vec<_> = points
                .iter()
                .map(|c| serde_json::json!({ "date": c.as_of, "totals": c.totals }))
                .collect();
            return json(&rows, out);
        }
        let count = |n: u32| Cell::Count(Some(n));
        let rows = points
            .iter()
            .map(|c| {
                let t = &c.totals;
                let mut cells = vec![Cell::Text(c.as_of.to_string())];
                cells.extend(t.abc.iter().chain(&t.xyz).chain(&t.status).map(|n| count(*n)));
                cells.push(Cell::Money(t.turnover));
                cells
            })
            .collect();
        let mut columns = vec![
            col("month end", &["month_end"]),
            col("A", &["a"]),
            col("B", &["b"]),
            col("C", &["c"]),
            col("–", &["no_abc"]),
            col("X", &["x"]),
            col("Y", &["y"]),
            col("Z", &["z"]),
            col("–", &["no_xyz"]),
        ];
        const STATUS: [&[&str]; 5] = [&["potential"], &["new"], &["regular"], &["restored"], &["lost"]];
        for (s, csv) in Status::ALL.iter().zip(STATUS) {
            columns.push(col(s.as_str(), csv));
        }
        columns.push(col("turnover", &["turnover"]));
        let sheet = Sheet {
            title: "Classes at the last 12 month ends".into(),
            columns,
            rows,
            footer: Vec::new(),
        };
        return sheet.write(output, excel, out);
    };
    let c = super::client_by_ref(model, reference)?;
    let (points, transitions) = classes::client_history(&points, c.id);
    if output == Output::Json {
        let v = serde_json::json!({ "client": reference, "points": points, "transitions": transitions });
        return json(&v, out);
    }
    let rows = points
        .iter()
        .map(|p| {
            let changes: Vec<String> = transitions
                .iter()
                .filter(|t| t.date == p.date)
                .map(|t| format!("{} {}→{}", t.what, t.from, t.to))
                .collect();
            vec![
                Cell::Text(p.date.to_string()),
                Cell::Text(p.abc.map_or("–", |a| a.as_str()).to_string()),
                Cell::Text(p.xyz.map_or("–", |x| x.as_str()).to_string()),
                Cell::Text(p.status.as_str().to_string()),
                Cell::Money(p.turnover),
                Cell::Text(changes.join("; ")),
            ]
        })
        .collect();
    let sheet = Sheet {
        title: format!("{} — {}", c.reference, c.name),
        columns: vec![
            col("month end", &["month_end"]),
            col("ABC", &["abc"]),
            col("XYZ", &["xyz"]),
            col("status", &["status"]),
            col("turnover", &["turnover"]),
            col("change", &["change"]),
        ],
        rows,
        footer: Vec::new(),
    };
    sheet.write(output, excel, out)?;
    if output == Output::Text && !transitions.is_empty() {
        writeln!(out).map_err(io_err)?;
        for t in &transitions {
            writeln!(out, "{t}").map_err(io_err)?;
        }
    }
    Ok(())
}
