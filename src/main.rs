//! The `rapport` binary: the command line (`cli`) and, in later work, the
//! terminal interface.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
