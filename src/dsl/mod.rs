//! The `*.hk` front end: parse (pest), lower to the resource graph, render
//! problems at the source (miette), format canonically.
//!
//! `load` reads a file with its modules, params, var files and `--var`s and
//! returns the graph plus everything needed to show graph diagnostics at
//! the line that caused them.

pub mod ast;
mod error;
pub mod fmt;
mod lower;
mod parser;
mod render;
pub mod spans;

pub use error::{LoadError, Problem, SourceFile, Sources};
pub use spans::SpanMap;

use crate::graph::{Ctx, Diagnostics, Graph};
use std::path::{Path, PathBuf};

/// Inputs of a load besides the file: param values and where IDs live.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--var name=value`, in command-line order (later wins; wins over files).
    pub vars: Vec<(String, String)>,
    /// `--var-file PATH`, in order (later wins).
    pub var_files: Vec<PathBuf>,
    pub ctx: Ctx,
}

/// A loaded program: the graph, and the sources and spans it came from.
#[derive(Debug, Clone)]
pub struct Program {
    pub graph: Graph,
    pub sources: Sources,
    pub spans: SpanMap,
}

/// Parses and lowers a program (modules included) into a graph.
pub fn load(path: &Path, opts: &Options) -> Result<Program, LoadError> {
    lower::load(path, opts)
}

impl Program {
    /// Graph rule diagnostics at their source spans (colors only on a terminal).
    pub fn render(&self, diags: &Diagnostics) -> String {
        render::render(&self.problems(diags), &self.sources, render::use_color())
    }

    /// Like [`render`](Self::render), never with colors.
    pub fn render_plain(&self, diags: &Diagnostics) -> String {
        render::render(&self.problems(diags), &self.sources, false)
    }

    /// Graph diagnostics as problems with spans.
    pub fn problems(&self, diags: &Diagnostics) -> Vec<Problem> {
        diags.iter().map(|d| self.spans.problem(d)).collect()
    }
}

/// Formats a source text canonically (`hybridk8s fmt`).
pub fn format(src: &str) -> Result<String, LoadError> {
    let file = parse(src, "<input>")?;
    Ok(fmt::format_file(&file, src))
}

/// Parses a source text into a syntax tree (file id 0).
pub fn parse(src: &str, name: &str) -> Result<ast::File, LoadError> {
    let mut sources = Sources::default();
    let id = sources.add(name, src);
    parser::parse_file(src, id).map_err(|p| LoadError::new(vec![p], sources))
}
