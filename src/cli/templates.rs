//! `rapport template list|show|edit|import`: the company's document
//! templates (SPEC §9), kept in the database by a lead. A template with an
//! unknown placeholder is refused with its line and column.

use clap::{Args, Subcommand};
use std::io::Write;

use rapport::backend::Backend;
use rapport::domain::text::printable;
use rapport::templates::{DocKind, PLACEHOLDERS};
use rapport::write::Command;

use super::{CliResult, Failure, Target, current_login, io_err, open_holding};

#[derive(Args, Debug)]
pub struct TemplateArgs {
    #[command(subcommand)]
    action: TemplateAction,
}

#[derive(Subcommand, Debug)]
enum TemplateAction {
    /// Every document kind, whether the company's template or the built-in
    /// one is used, and the placeholders a template may use.
    List,
    /// Print a kind's template.
    Show {
        /// minutes, offer, contract, invoice or questionnaire.
        kind: String,
    },
    /// Write a kind's template in $VISUAL / $EDITOR and store it.
    Edit { kind: String },
    /// Store a kind's template from a UTF-8 text file.
    Import { kind: String, file: std::path::PathBuf },
}

fn kind_of(text: &str) -> Result<DocKind, Failure> {
    DocKind::parse(text).ok_or_else(|| {
        let kinds: Vec<&str> = DocKind::ALL.iter().map(|k| k.as_str()).collect();
        Failure::input(format!("unknown document kind '{text}' ({})", kinds.join(", ")))
    })
}

/// Every problem of `text`, at `origin:line:column`; nothing when it is fine.
fn problems(origin: &str, text: &str) -> Result<(), Failure> {
    let all = rapport::templates::check(text);
    if all.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = all.iter().map(|p| format!("{origin}:{p}")).collect();
    Err(Failure::input(lines.join("\n")))
}

pub fn template_cmd(args: TemplateArgs, db: Target) -> CliResult {
    let mut store = open_holding(db, rapport::find::named::Wanted::none())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.action {
        TemplateAction::List => {
            let model = store.model();
            for kind in DocKind::ALL {
                let whose = match model.templates.get(&kind) {
                    Some(t) => format!("the company's (change #{})", t.seq),
                    None => "built in".to_string(),
                };
                writeln!(out, "{:<14} {:<27} {whose}", kind.as_str(), kind.title()).map_err(io_err)?;
            }
            writeln!(out, "\nPlaceholders:").map_err(io_err)?;
            for (name, what) in PLACEHOLDERS {
                writeln!(out, "  {{{{{name}}}}}  {what}").map_err(io_err)?;
            }
        }
        TemplateAction::Show { kind } => {
            let kind = kind_of(&kind)?;
            // Line by line: no control character of a stored text reaches
            // the terminal, and its lines stay lines.
            for line in store.model().template_text(kind).lines() {
                writeln!(out, "{}", printable(line)).map_err(io_err)?;
            }
        }
        TemplateAction::Edit { kind } => {
            let kind = kind_of(&kind)?;
            let now = store.model().template_text(kind).to_string();
            let editor = crate::tui::editor::command();
            let edited = crate::tui::editor::edit_outside(&editor, &now, || {}, || {}).map_err(Failure::input)?;
            let Some(text) = edited else {
                writeln!(out, "The {} template is unchanged.", kind.title()).map_err(io_err)?;
                return out.flush().map_err(io_err);
            };
            problems(&format!("the {} template", kind.as_str()), &text)?;
            store.execute(&current_login(), Command::SetTemplate { kind, text })?;
            writeln!(out, "Stored the {} template.", kind.title()).map_err(io_err)?;
        }
        TemplateAction::Import { kind, file } => {
            let kind = kind_of(&kind)?;
            let origin = file.display().to_string();
            let bytes = std::fs::read(&file).map_err(|e| Failure::input(format!("{origin}: {e}")))?;
            let text = String::from_utf8(bytes).map_err(|e| {
                let at = e.utf8_error().valid_up_to();
                Failure::input(format!("{origin}: not UTF-8 text (byte {at} is not)"))
            })?;
            problems(&origin, &text)?;
            store.execute(&current_login(), Command::SetTemplate { kind, text })?;
            writeln!(out, "Stored the {} template from {origin}.", kind.title()).map_err(io_err)?;
        }
    }
    out.flush().map_err(io_err)?;
    drop(out);
    super::finish_read(store)
}
