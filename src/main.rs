//! The `rapport` binary: the command line (`cli`) and, in later work, the
//! terminal interface.

mod cli;
mod memory;
mod tui;

// Loading the model allocates millions of small records; mimalloc does
// that markedly faster than the system allocator. Without the feature
// (`--no-default-features`) heap profilers that hook malloc see them.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::run()
}
