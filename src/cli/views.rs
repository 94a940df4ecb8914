//! `rapport views`: the views of the interface a lead shares with the team
//! (saved with "for: team" in the interface), listed, and unshared.

use std::io::Write;

use clap::{Args, Subcommand};

use super::records::{Said, apply};
use super::sheet::{Output, Sheet, col, listing};
use super::{CliResult, Target, finish_read, io_err, open_holding};
use rapport::backend::Backend;
use rapport::write::Command;

#[derive(Args, Debug)]
pub struct ViewsArgs {
    #[command(subcommand)]
    action: Option<ViewsAction>,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    format: Output,
}

#[derive(Subcommand, Debug)]
enum ViewsAction {
    /// Stop sharing a view with the team (a lead's).
    Unshare {
        name: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Said,
    },
}

pub fn views_cmd(args: ViewsArgs, db: Target) -> CliResult {
    let mut store = open_holding(db, rapport::find::named::Wanted::none())?;
    if let Some(ViewsAction::Unshare { name, format }) = args.action {
        return apply(&mut store, Command::UnshareView { name }, format);
    }
    let views: Vec<_> = store.model().sales.views.values().cloned().collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let sheet = || {
        Sheet::listing(
            vec![
                col("Name", &["name"]),
                col("Filter", &["filter"]),
                col("Manager", &["manager"]),
                col("Sort", &["sort"]),
                col("As of", &["as_of"]),
                col("By", &["who"]),
            ],
            views.iter().map(|v| {
                let sort = v.sort.clone().map(|s| if v.descending { format!("{s} ↓") } else { s });
                vec![
                    v.name.clone(),
                    v.filter.clone(),
                    v.manager.clone().unwrap_or_default(),
                    sort.unwrap_or_default(),
                    v.as_of.clone().unwrap_or_default(),
                    v.who.clone(),
                ]
            }),
        )
    };
    listing(args.format, &mut out, || views.clone(), sheet)?;
    out.flush().map_err(io_err)?;
    drop(out);
    finish_read(store)
}
