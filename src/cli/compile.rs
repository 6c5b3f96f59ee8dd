//! `check`, `compile` and `fmt`.

use super::findings::{self, Findings};
use super::{Format, ProgramArgs};
use crate::dsl::{self, Program};
use crate::graph::{self, Ctx};
use crate::render;
use anyhow::{bail, Context};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// Parses `--var name=value` arguments.
pub fn parse_vars(vars: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    vars.iter()
        .map(|v| match v.split_once('=') {
            Some((k, val)) if !k.trim().is_empty() => Ok((k.trim().to_string(), val.to_string())),
            _ => bail!("--var `{v}`: expected NAME=VALUE"),
        })
        .collect()
}

/// The context IDs are built in: the subscription of `ARM_SUBSCRIPTION_ID`
/// when set (a GUID, checked), else the embedded fabric's, for either backend.
pub fn cli_ctx() -> anyhow::Result<Ctx> {
    let var = crate::backend::azure::config::SUBSCRIPTION_ID.env;
    let subscription_id = crate::backend::azure::config::subscription_or_local(std::env::var(var).ok().as_deref())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Ctx { subscription_id })
}

/// The load options of a program's arguments.
pub fn load_options(args: &ProgramArgs) -> anyhow::Result<dsl::Options> {
    Ok(dsl::Options {
        vars: parse_vars(&args.vars)?,
        var_files: args.var_files.clone(),
        ctx: cli_ctx()?,
        root: args.root.clone().or_else(|| working_root(&args.file)),
    })
}

/// The default tree of modules and var files: the project the program is
/// part of — the nearest directory above it holding `.hybridk8s/` (its
/// fabric) or `.git/`, or the working directory when the program lies inside
/// it, whichever is outermost (a checkout's `envs/dev/main.hk` may use
/// `../../modules/…`); else the program's own directory (the loader's default).
fn working_root(file: &std::path::Path) -> Option<std::path::PathBuf> {
    let program = std::fs::canonicalize(file).ok()?;
    let marked = program
        .ancestors()
        .skip(1)
        .find(|d| d.join(".hybridk8s").is_dir() || d.join(".git").exists())
        .map(std::path::Path::to_path_buf);
    let cwd = std::env::current_dir()
        .ok()
        .and_then(|c| c.canonicalize().ok())
        .filter(|c| program.starts_with(c));
    [marked, cwd]
        .into_iter()
        .flatten()
        .min_by_key(|p| p.components().count())
}

/// A program loaded and checked (its lookups unknown: nothing is read).
pub enum Loaded {
    /// No errors; the findings are warnings.
    Valid(Program, Findings),
    Invalid(Findings),
}

/// Loads and checks a program, printing nothing.
pub fn load(args: &ProgramArgs) -> anyhow::Result<Loaded> {
    let opts = load_options(args)?;
    let program = match dsl::load(&args.file, &opts) {
        Ok(p) => p,
        Err(e) => return Ok(Loaded::Invalid(Findings::of_load(&e))),
    };
    let diags = graph::check(&program.graph);
    let mut findings = Findings::of_graph(&program, &diags);
    findings.add_flows(&program, &program.answer_flows());
    Ok(if findings.errors() > 0 {
        Loaded::Invalid(findings)
    } else {
        Loaded::Valid(program, findings)
    })
}

/// Prints findings for people on stderr: each at its source, then the
/// closing `Error: …` line when there are errors.
pub fn print_human(findings: &Findings) {
    eprint!("{}", findings.rendered());
    if let Some(line) = findings.summary() {
        eprintln!("{line}");
    }
}

/// Loads and checks a program; problems go to stderr. `None` when it did
/// not load or has errors.
pub fn load_checked(args: &ProgramArgs) -> anyhow::Result<Option<(Program, Findings)>> {
    match load(args)? {
        Loaded::Valid(p, f) => {
            print_human(&f);
            Ok(Some((p, f)))
        }
        Loaded::Invalid(f) => {
            print_human(&f);
            Ok(None)
        }
    }
}

pub fn check(args: &ProgramArgs, format: findings::Format) -> anyhow::Result<ExitCode> {
    let (program, found) = match load(args)? {
        Loaded::Valid(p, f) => (Some(p), f),
        Loaded::Invalid(f) => (None, f),
    };
    if format != findings::Format::Human {
        let doc = match format {
            findings::Format::Sarif => found.to_sarif(),
            _ => serde_json::Value::Object(found.to_json()),
        };
        println!("{}", serde_json::to_string_pretty(&doc)?);
        // Left to process exit (see below).
        std::mem::forget(program);
        return Ok(if found.errors() > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    let valid = program.as_ref().map(|p| p.graph.len());
    eprint!("{}", human_report(&args.file.display().to_string(), valid, &found));
    // A one-shot command: leave the graph to process exit instead of freeing
    // it piece by piece (a tenth of the run time on large programs).
    std::mem::forget(program);
    Ok(if valid.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What `check` prints for people: the findings at their source, then the
/// closing `Error: …` line, or for a valid program (`resources`: its size)
/// `file: N resources, no errors`.
pub fn human_report(file: &str, resources: Option<usize>, found: &Findings) -> String {
    let mut out = found.rendered().to_string();
    if let Some(line) = found.summary() {
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(n) = resources {
        let warnings = found.warnings();
        out.push_str(&format!(
            "{file}: {n} resources, no errors{}\n",
            if warnings > 0 {
                format!(", {warnings} warning(s)")
            } else {
                String::new()
            }
        ));
    }
    out
}

pub fn compile(
    args: &ProgramArgs,
    to: Format,
    output: Option<&Path>,
    environment: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let picture = matches!(to, Format::Dot | Format::Svg | Format::Png);
    if environment.is_some() && !picture {
        bail!("--environment draws one environment's picture: it goes with --to dot, svg or png");
    }
    if to == Format::TerraformJson && output.is_none() {
        eprintln!("error: `--to terraform-json` writes a directory: pass `-o DIR` (e.g. `-o terraform/`)");
        return Ok(ExitCode::from(2));
    }
    let Some((program, _)) = load_checked(args)? else {
        return Ok(ExitCode::from(1));
    };
    let text = match to {
        Format::GraphJson => render::graph_json(&program.graph),
        Format::K8s => return k8s(&program.graph, output),
        Format::Dot | Format::Svg | Format::Png => {
            return super::picture::write(&program.graph, to, output, environment)
        }
        Format::TerraformJson => return terraform_json(args, output.unwrap_or(Path::new("terraform"))),
    };
    match output {
        Some(p) => crate::atomic::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `--to terraform-json -o DIR`: `DIR/main.tf.json` and one
/// `DIR/modules/<name>/main.tf.json` per module file (of a program that
/// checked).
fn terraform_json(args: &ProgramArgs, dir: &Path) -> anyhow::Result<ExitCode> {
    let files = match dsl::terraform_json::compile(&args.file, &load_options(args)?) {
        Ok(f) => f,
        Err(e) => {
            eprint!("{}", e.render());
            return Ok(ExitCode::from(1));
        }
    };
    for (rel, text) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        crate::atomic::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `--to k8s`: one stream per cluster. With `-o DIR` (an existing
/// directory, or a path ending in `/`) each cluster's objects go to
/// `DIR/<cluster>/manifests.yaml`; `-o FILE` and stdout take a program
/// with one cluster only, so two clusters' objects are never mixed.
fn k8s(graph: &crate::graph::Graph, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let streams = render::k8s_streams(graph);
    let dir = output.filter(|p| p.is_dir() || p.as_os_str().to_string_lossy().ends_with('/'));
    if let Some(dir) = dir {
        for (cluster, text) in &streams {
            let sub = dir.join(cluster);
            std::fs::create_dir_all(&sub).with_context(|| format!("creating {}", sub.display()))?;
            let file = sub.join("manifests.yaml");
            crate::atomic::write(&file, text).with_context(|| format!("writing {}", file.display()))?;
            eprintln!("wrote {}", file.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    if streams.len() > 1 {
        let names: Vec<&str> = streams.iter().map(|(c, _)| c.as_str()).collect();
        eprintln!(
            "error: the program has Kubernetes objects for {} clusters ({}); pass `-o DIR` to write one stream per cluster (DIR/<cluster>/manifests.yaml)",
            streams.len(),
            names.join(", ")
        );
        return Ok(ExitCode::from(1));
    }
    let text = streams.into_iter().next().map(|(_, t)| t).unwrap_or_default();
    match output {
        Some(p) => crate::atomic::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

pub fn fmt(file: &Path, check: bool) -> anyhow::Result<ExitCode> {
    let src = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let formatted = match dsl::format(&src) {
        Ok(f) => f,
        Err(e) => {
            eprint!("{}", e.render());
            return Ok(ExitCode::from(1));
        }
    };
    if formatted == src {
        return Ok(ExitCode::SUCCESS);
    }
    if check {
        eprintln!(
            "{} is not formatted; run `hybridk8s fmt {}`",
            file.display(),
            file.display()
        );
        return Ok(ExitCode::from(1));
    }
    crate::atomic::write(file, formatted).with_context(|| format!("writing {}", file.display()))?;
    Ok(ExitCode::SUCCESS)
}
