//! `rapport classes` (filled in with the class engine).

use std::path::PathBuf;

use clap::Args;

use super::CliResult;

#[derive(Args, Debug)]
pub struct ClassesArgs {}

pub fn run(_args: ClassesArgs, _db: Option<PathBuf>) -> CliResult {
    Ok(())
}
