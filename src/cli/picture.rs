//! `compile --to dot|svg|png`: the topology picture of the whole program or
//! of one environment (a top-level module instance), to stdout, to a file,
//! or with `-o DIR/` one file per environment beside `all`.

use super::Format;
use crate::graph::Graph;
use crate::render::topology::{self, graphviz};
use anyhow::{anyhow, bail, Context};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

/// The name of the whole program's picture in a directory.
const ALL: &str = "all";

pub fn write(graph: &Graph, to: Format, output: Option<&Path>, environment: Option<&str>) -> anyhow::Result<ExitCode> {
    let dir = output.filter(|p| p.is_dir() || p.as_os_str().to_string_lossy().ends_with('/'));
    if let Some(dir) = dir {
        let envs = topology::environments(graph);
        let pictures: Vec<Option<&str>> = match environment {
            Some(e) => vec![Some(e)],
            None => {
                if envs.iter().any(|e| e == ALL) {
                    bail!("a module instance is named `{ALL}`, the name of the whole program's picture in {}: pass --environment {ALL} to draw it alone, or rename the instance", dir.display());
                }
                std::iter::once(None)
                    .chain(envs.iter().map(|e| Some(e.as_str())))
                    .collect()
            }
        };
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for env in pictures {
            let bytes = image(graph, to, env)?;
            let file = dir.join(format!("{}.{}", env.unwrap_or(ALL), extension(to)));
            crate::atomic::write(&file, bytes).with_context(|| format!("writing {}", file.display()))?;
            eprintln!("wrote {}", file.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let bytes = image(graph, to, environment)?;
    match output {
        Some(p) => crate::atomic::write(p, bytes).with_context(|| format!("writing {}", p.display()))?,
        None => {
            let mut stdout = std::io::stdout();
            if to == Format::Png && stdout.is_terminal() {
                bail!("a PNG is binary: write it to a file with `-o FILE` (or redirect stdout)");
            }
            stdout.write_all(&bytes)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn extension(to: Format) -> &'static str {
    match to {
        Format::Svg => "svg",
        Format::Png => "png",
        _ => "dot",
    }
}

/// One picture in the format asked for.
fn image(graph: &Graph, to: Format, environment: Option<&str>) -> anyhow::Result<Vec<u8>> {
    let dot = topology::dot_of(graph, environment).map_err(|e| anyhow!(e))?;
    let image = match to {
        Format::Svg => graphviz::Image::Svg,
        Format::Png => graphviz::Image::Png,
        _ => return Ok(dot.into_bytes()),
    };
    Ok(graphviz::render(&dot, image)?)
}
