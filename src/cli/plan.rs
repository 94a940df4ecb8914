//! `rapport plan`: the sales plan of SPEC §9 — every client between sales
//! with the product to offer next, grouped by product, with counts.

use chrono::NaiveDate;
use clap::Args;
use std::io::Write;

use rapport::domain::text::printable;
use rapport::model::Model;

use super::sheet::{Cell, Output, Sheet, col};
use super::{CliResult, Failure, Target, date_arg, io_err, today};

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// Only this manager's clients.
    #[arg(long, value_name = "LOGIN")]
    manager: Option<String>,
    /// The day retry dates are read as of (default: today).
    #[arg(long, value_parser = date_arg, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    format: Output,
    /// CSV as French Excel reads it (`;`, decimal commas, a BOM).
    #[arg(long)]
    excel: bool,
}

/// Through a server the server answers it (`Backend::query`).
pub fn plan_cmd(args: PlanArgs, db: Target) -> CliResult {
    super::read_here_or_there(db, |model, out| write_plan(model, &args, out))
}

/// What `rapport plan` prints, from `model`.
pub fn write_plan(model: &Model, args: &PlanArgs, out: &mut dyn Write) -> CliResult {
    let as_of = args.as_of.unwrap_or_else(today);
    let manager = match &args.manager {
        Some(login) => Some(
            model
                .manager_by_login(login)
                .ok_or_else(|| Failure::input(format!("unknown manager '{login}'")))?
                .id,
        ),
        None => None,
    };
    let plan = rapport::plan::sales_plan(model, manager, as_of);
    let product = |p| model.products.get(&p);
    let client_row = |c: &rapport::domain::ClientId| {
        let c = model.clients.get(c);
        let login = c
            .and_then(|c| c.manager)
            .and_then(|m| model.managers.get(&m))
            .map_or(String::new(), |m| m.login.clone());
        (
            c.map_or(String::new(), |c| c.reference.clone()),
            c.map_or(String::new(), |c| c.name.clone()),
            login,
        )
    };
    let total: usize = plan.values().map(Vec::len).sum();
    match args.format {
        Output::Json => {
            let doc: Vec<serde_json::Value> = plan
                .iter()
                .map(|(p, clients)| {
                    let rows: Vec<serde_json::Value> = clients
                        .iter()
                        .map(|c| {
                            let (reference, name, manager) = client_row(c);
                            serde_json::json!({"ref": reference, "name": name, "manager": manager})
                        })
                        .collect();
                    serde_json::json!({
                        "product": product(*p).map(|p| p.code.clone()),
                        "name": product(*p).map(|p| p.name.clone()),
                        "count": clients.len(),
                        "clients": rows,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &serde_json::json!({"as_of": as_of, "plan": doc}))
                .map_err(io_err)?;
            writeln!(out).map_err(io_err)?;
        }
        Output::Csv => {
            let rows = plan
                .iter()
                .flat_map(|(p, clients)| {
                    let code = product(*p).map_or(String::new(), |p| p.code.clone());
                    clients.iter().map(move |c| {
                        let (reference, name, manager) = client_row(c);
                        vec![
                            Cell::Text(code.clone()),
                            Cell::Text(reference),
                            Cell::Text(name),
                            Cell::Text(manager),
                        ]
                    })
                })
                .collect();
            let sheet = Sheet {
                title: String::new(),
                columns: vec![
                    col("Product", &["product"]),
                    col("Client", &["client"]),
                    col("Name", &["name"]),
                    col("Manager", &["manager"]),
                ],
                rows,
                footer: Vec::new(),
            };
            sheet.write(Output::Csv, args.excel, &mut *out)?;
        }
        Output::Text => {
            writeln!(
                out,
                "Sales plan as of {as_of}: {total} client{} between sales with a product to offer",
                if total == 1 { "" } else { "s" }
            )
            .map_err(io_err)?;
            for (p, clients) in &plan {
                let (code, name) =
                    product(*p).map_or((String::new(), String::new()), |p| (p.code.clone(), p.name.clone()));
                writeln!(out, "\n{} ({code}): {}", printable(&name), clients.len()).map_err(io_err)?;
                for c in clients {
                    let (reference, name, manager) = client_row(c);
                    writeln!(out, "  {reference:<9} {:<32} {manager}", printable(&name)).map_err(io_err)?;
                }
            }
        }
    }
    Ok(())
}
