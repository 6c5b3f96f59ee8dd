//! The `hybridk8s` command line: check, compile and format DSL programs.

mod compile;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Kubernetes in Azure beside an on-premises network, correct before anything is created.
#[derive(Debug, Parser)]
#[command(name = "hybridk8s", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Inputs shared by every command that reads a program.
#[derive(Debug, clap::Args)]
pub struct ProgramArgs {
    /// The `.hk` program.
    pub file: PathBuf,
    /// Set a parameter: `--var name=value` (repeatable; wins over var files).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read parameters from a file of `name = value` lines (repeatable; later files win).
    #[arg(long = "var-file", value_name = "PATH")]
    pub var_files: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a program: exit 0 when valid, 1 when not (warnings do not fail).
    Check {
        #[command(flatten)]
        program: ProgramArgs,
    },
    /// Compile a program to the resource graph, Kubernetes manifests or a DOT picture.
    Compile {
        #[command(flatten)]
        program: ProgramArgs,
        /// Output format.
        #[arg(long = "to", value_enum, default_value = "graph-json")]
        to: Format,
        /// Write to this file instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "PATH")]
        output: Option<PathBuf>,
    },
    /// Format a program in place (or check that it is formatted).
    Fmt {
        file: PathBuf,
        /// Exit 1 and print nothing to the file if it is not formatted.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Every resource with all attributes, stable key order.
    GraphJson,
    /// Kubernetes manifests (YAML).
    K8s,
    /// Graphviz DOT.
    Dot,
}

/// Runs the command line; the exit code says valid (0) or not (1).
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check { program } => compile::check(&program),
        Command::Compile { program, to, output } => compile::compile(&program, to, output.as_deref()),
        Command::Fmt { file, check } => compile::fmt(&file, check),
    }
}
