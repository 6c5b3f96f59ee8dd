//! The `hybridk8s` command line.
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = hybridk8s::cli::Cli::parse_from(hybridk8s::cli::args());
    match hybridk8s::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
