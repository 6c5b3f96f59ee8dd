//! The `hybridk8s` command line: check, compile and format DSL programs;
//! plan, apply and destroy them on the embedded fabric or in Azure.

mod backend;
mod compile;
pub mod explain;
mod fabric;
mod findings;
mod flows;
mod lookup;
mod output;
mod picture;
mod progress;
mod saved;
mod show;
mod stacks;

pub use backend::{BackendArgs, BackendKind};
pub use fabric::{ApplyArgs, FabricArgs, StackArgs};

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Kubernetes in Azure beside an on-premises network, correct before anything is created.
#[derive(Debug, Parser)]
#[command(name = "hybridk8s", version = crate::VERSION, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log lines on stderr from this level up: error, warn, info, debug,
    /// trace (every backend call). Wins over RUST_LOG; default: warn.
    #[arg(long = "log-level", global = true, value_enum, value_name = "LEVEL")]
    pub log_level: Option<crate::log::Level>,
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
    /// The tree modules and var files must lie in (default: the project of
    /// the program: the nearest directory above it with `.hybridk8s/` or
    /// `.git/`, or the working directory when the program is inside it).
    #[arg(long = "root", value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// The report formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Human,
    Json,
    Sarif,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a program: exit 0 when valid, 1 when not (warnings do not fail).
    #[command(
        after_help = "Examples:\n  hybridk8s check examples/hybrid.hk --var env=prod\n  hybridk8s check examples/existing-hub.hk --json"
    )]
    Check {
        #[command(flatten)]
        program: ProgramArgs,
        /// The findings as one JSON document on stdout, for machines
        /// (`valid`, `error_count`, `warning_count`, `diagnostics`); the
        /// same as `--format json`.
        #[arg(long, conflicts_with = "format")]
        json: bool,
        /// How to report: `human` (at the source, on stderr), `json`, or
        /// `sarif` (SARIF 2.1.0 on stdout, for code-review and CI tools).
        #[arg(long, value_enum)]
        format: Option<CheckFormat>,
    },
    /// Answer every `flow` of a program: verdict, path and blocker, as a table
    /// (exit 1 when a flow is not as its `expect` says).
    #[command(after_help = "Example:\n  hybridk8s flows examples/hybrid.hk")]
    Flows {
        #[command(flatten)]
        program: ProgramArgs,
    },
    /// Explain a rule: its page (why, a bad and a good example) from `docs/rules/`.
    #[command(after_help = "Examples:\n  hybridk8s explain HK201\n  hybridk8s explain subnet-too-small")]
    Explain {
        /// A rule ID (`HK201`) or a diagnostic code (`subnet-too-small`).
        rule: String,
    },
    /// Compile a program to the resource graph, Kubernetes manifests,
    /// Terraform JSON or a picture of the topology.
    #[command(
        after_help = "Pictures (--to dot|svg|png): on-premises ranges and DNS, the gateway, the hub VNET and its subnets, each peering (gateway-transit direction, state), each cluster VNET with its subnets, pod and service ranges, Services and DNS forwarding, as nested boxes. svg and png run Graphviz's `dot` (HYBRIDK8S_DOT, else `dot` on PATH). One picture holds the whole program; --environment NAME draws one top-level module instance with the shared networks (on-premises, hubs) beside it; -o DIR/ (an existing directory, or a path ending in a slash) writes all.EXT and NAME.EXT for each environment into DIR.\n\n`--to terraform-json -o DIR` writes DIR/main.tf.json and DIR/modules/<file>/main.tf.json per module file; references stay Terraform references, params become variables (defaulting to the --var values given here). Then: terraform -chdir=DIR init && terraform -chdir=DIR apply.\n\nExamples:\n  hybridk8s compile examples/hybrid.hk --to svg -o hybrid.svg\n  hybridk8s compile examples/environments.hk --to png -o pictures/\n  hybridk8s compile examples/environments.hk --to dot --environment prod\n  hybridk8s compile examples/environments.hk --to terraform-json -o terraform/\n  hybridk8s compile examples/hybrid.hk --to k8s"
    )]
    Compile {
        #[command(flatten)]
        program: ProgramArgs,
        /// Output format.
        #[arg(long = "to", value_enum, default_value = "graph-json")]
        to: Format,
        /// Write to this file instead of stdout (pictures and k8s: a directory, with `-o DIR/`;
        /// `--to terraform-json`: the directory to write, required).
        #[arg(short = 'o', long = "output", value_name = "PATH")]
        output: Option<PathBuf>,
        /// Pictures only: draw this environment (a top-level module instance).
        #[arg(long = "environment", value_name = "NAME")]
        environment: Option<String>,
    },
    /// Format a program in place (or check that it is formatted).
    #[command(after_help = "Example:\n  hybridk8s fmt --check examples/hybrid.hk")]
    Fmt {
        file: PathBuf,
        /// Exit 1 and print nothing to the file if it is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Show what an apply would change in the fabric.
    #[command(
        after_help = "Examples:\n  hybridk8s plan examples/hybrid.hk --detailed-exitcode\n  hybridk8s plan examples/hybrid.hk -out hybrid.hkplan   (then: hybridk8s apply hybrid.hkplan)"
    )]
    Plan {
        #[command(flatten)]
        program: ProgramArgs,
        #[command(flatten)]
        fabric: FabricArgs,
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        backend: BackendArgs,
        /// The plan as JSON, for machines.
        #[arg(long)]
        json: bool,
        /// Exit 2 when changes are pending (0: none, 1: error).
        #[arg(long = "detailed-exitcode")]
        detailed_exitcode: bool,
        /// Save the plan to this file (also `-out FILE`); `apply FILE`
        /// applies exactly it, or refuses when the stack or fabric moved.
        #[arg(long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Create, update and replace what the program declares; delete what it no longer does.
    #[command(
        after_help = "FILE is a program, or a plan saved by `plan --out`: that plan is applied as it is, without\nconfirmation, unless the stack or the fabric moved since it was made.\n\nExamples:\n  hybridk8s apply examples/hybrid.hk --auto-approve\n  hybridk8s apply hybrid.hkplan"
    )]
    Apply {
        #[command(flatten)]
        program: ProgramArgs,
        #[command(flatten)]
        fabric: FabricArgs,
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        backend: BackendArgs,
        #[command(flatten)]
        how: ApplyArgs,
    },
    /// Delete everything the program's stack owns.
    #[command(after_help = "Example:\n  hybridk8s destroy examples/hybrid.hk --auto-approve")]
    Destroy {
        /// The program whose stack to destroy (it is not parsed).
        file: PathBuf,
        #[command(flatten)]
        fabric: FabricArgs,
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        backend: BackendArgs,
        #[command(flatten)]
        how: ApplyArgs,
    },
    /// Inspect a stack's state.
    State {
        #[command(subcommand)]
        command: StateCommand,
        #[command(flatten)]
        fabric: FabricArgs,
    },
    /// Bring an existing fabric object under a stack: `import cluster_network.aks /subscriptions/…`.
    Import {
        /// Address in the program, e.g. `peering.aks_hub`.
        address: String,
        /// The object's ID (Azure format; Kubernetes objects: `<cluster id>/namespaces/NS/services/NAME`).
        id: String,
        #[command(flatten)]
        fabric: FabricArgs,
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Print what the last apply recorded for the program's resources (IDs,
    /// derived sizes and CIDRs): all of them, one resource, or one attribute.
    #[command(
        after_help = "Examples:\n  hybridk8s output examples/hybrid.hk\n  hybridk8s output examples/hybrid.hk cluster_network.aks.id\n  hybridk8s output examples/hybrid.hk peering.aks_hub --json"
    )]
    Output {
        /// The program whose stack to read (it is not parsed).
        file: PathBuf,
        /// `KIND.NAME` (one resource) or `KIND.NAME.ATTRIBUTE` (one value,
        /// strings printed raw for scripts).
        address: Option<String>,
        /// JSON output, for machines.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        fabric: FabricArgs,
        #[command(flatten)]
        stack: StackArgs,
    },
    /// Inspect the embedded fabric itself.
    Fabric {
        #[command(subcommand)]
        command: FabricCommand,
        #[command(flatten)]
        fabric: FabricArgs,
    },
    /// Print a shell completion script: `hybridk8s completions bash > /etc/bash_completion.d/hybridk8s`,
    /// `… zsh > "${fpath[1]}/_hybridk8s"`, `… fish > ~/.config/fish/completions/hybridk8s.fish`.
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Every address the stack owns.
    List {
        #[command(flatten)]
        stack: StackArgs,
    },
    /// Every attribute of one resource as last applied.
    Show {
        address: String,
        #[command(flatten)]
        stack: StackArgs,
    },
    /// Stop managing one resource: forget it and take the stack's owner mark
    /// off the object (it stays in the fabric; another stack may import it).
    Rm {
        address: String,
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Clear a stack's lock by its ID (the one a "locked" error names), when
    /// the apply that holds it is gone (like `terraform force-unlock`).
    Unlock {
        /// The lock ID.
        id: String,
        #[command(flatten)]
        stack: StackArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum FabricCommand {
    /// The whole fabric, sorted, as JSON. With `--backend azure`: every
    /// VNET of the subscription that carries hybridk8s' owner mark (all
    /// pages of ARM's list), with its stack, subnets and peering sides.
    Dump {
        /// JSON output (the only format; accepted for clarity in scripts).
        #[arg(long)]
        json: bool,
        /// With `--backend azure`: only the objects of this stack.
        #[arg(long = "stack", value_name = "NAME")]
        stack: Option<String>,
        #[command(flatten)]
        backend: BackendArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Every resource with all attributes, stable key order.
    GraphJson,
    /// Kubernetes manifests (YAML).
    K8s,
    /// The topology picture as Graphviz DOT.
    Dot,
    /// The topology picture as SVG (runs Graphviz).
    Svg,
    /// The topology picture as PNG (runs Graphviz).
    Png,
    /// Terraform JSON configuration for the hybridk8s provider, into the
    /// directory `-o DIR`: `main.tf.json` and `modules/<file>/main.tf.json`.
    TerraformJson,
}

/// The process arguments, Terraform's single-dash `-out FILE` / `-out=FILE`
/// read as `--out`.
pub fn args() -> impl Iterator<Item = std::ffi::OsString> {
    let mut rest = false;
    std::env::args_os().map(move |a| {
        rest |= a == "--";
        match a.to_str() {
            Some("-out") if !rest => "--out".into(),
            Some(s) if !rest && s.starts_with("-out=") => format!("-{s}").into(),
            _ => a,
        }
    })
}

/// Runs the command line; the exit code says valid (0) or not (1).
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    crate::log::init_cli(cli.log_level);
    match cli.command {
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "hybridk8s", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { program, json, format } => {
            let format = match format {
                Some(CheckFormat::Human) => findings::Format::Human,
                Some(CheckFormat::Json) => findings::Format::Json,
                Some(CheckFormat::Sarif) => findings::Format::Sarif,
                None => findings::Format::json(json),
            };
            compile::check(&program, format)
        }
        Command::Flows { program } => flows::run(&program),
        Command::Explain { rule } => explain::explain(&rule),
        Command::Compile {
            program,
            to,
            output,
            environment,
        } => compile::compile(&program, to, output.as_deref(), environment.as_deref()),
        Command::Fmt { file, check } => compile::fmt(&file, check),
        Command::Plan {
            program,
            fabric,
            stack,
            backend,
            json,
            detailed_exitcode,
            out,
        } => fabric::plan(
            &program,
            &fabric.for_program(&program.file),
            &stack,
            &backend,
            findings::Format::json(json),
            detailed_exitcode,
            out.as_deref(),
        ),
        Command::Apply {
            program,
            fabric,
            stack,
            backend,
            how,
        } => fabric::apply(&program, &fabric.for_program(&program.file), &stack, &backend, &how),
        Command::Destroy {
            file,
            fabric,
            stack,
            backend,
            how,
        } => fabric::destroy(&file, &fabric.for_program(&file), &stack, &backend, &how),
        Command::State {
            command: StateCommand::List { stack },
            fabric,
        } => fabric::state_list(&fabric, &stack),
        Command::State {
            command: StateCommand::Show { address, stack },
            fabric,
        } => fabric::state_show(&address, &fabric, &stack),
        Command::State {
            command: StateCommand::Unlock { id, stack },
            fabric,
        } => fabric::state_unlock(&id, &fabric, &stack),
        Command::State {
            command:
                StateCommand::Rm {
                    address,
                    stack,
                    backend,
                },
            fabric,
        } => fabric::state_rm(&address, &fabric, &stack, &backend),
        Command::Import {
            address,
            id,
            fabric,
            stack,
            backend,
        } => fabric::import(&address, &id, &fabric, &stack, &backend),
        Command::Output {
            file,
            address,
            json,
            fabric,
            stack,
        } => output::output(&file, address.as_deref(), json, &fabric.for_program(&file), &stack),
        Command::Fabric {
            command:
                FabricCommand::Dump {
                    json: _,
                    stack,
                    backend,
                },
            fabric,
        } => fabric::dump(&fabric, stack.as_deref(), &backend),
    }
}
