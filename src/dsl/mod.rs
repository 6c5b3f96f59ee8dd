//! The `*.hk` front end: parse (pest), lower to the resource graph, render
//! problems at the source (miette), format canonically.
//!
//! `load` reads a file with its modules, params, var files and `--var`s and
//! returns the graph plus everything needed to show graph diagnostics at
//! the line that caused them.

pub mod ast;
mod error;
mod excerpt;
pub mod flows;
pub mod fmt;
mod lower;
mod parser;
mod render;
pub mod spans;
pub mod terraform_json;

pub use error::{LoadError, Problem, SourceFile, Sources};
pub use spans::SpanMap;

use crate::graph::{Ctx, Diagnostics, Graph};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Inputs of a load besides the file: param values and where IDs live.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--var name=value`, in command-line order (later wins; wins over files).
    pub vars: Vec<(String, String)>,
    /// `--var-file PATH`, in order (later wins).
    pub var_files: Vec<PathBuf>,
    pub ctx: Ctx,
    /// `--root DIR`: the tree modules and var files must lie in (default:
    /// the directory of the top program).
    pub root: Option<PathBuf>,
}

/// The largest file a load reads (program, module or var file).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// A loaded program: the graph, and the sources and spans it came from.
#[derive(Debug, Clone)]
pub struct Program {
    pub graph: Graph,
    pub sources: Sources,
    pub spans: SpanMap,
    /// Warnings of the load itself (a former attribute name, say), reported
    /// with the graph's diagnostics by [`Program::problems`].
    pub warnings: Vec<Problem>,
    /// The `flow` declarations, answered by [`Program::answer_flows`].
    pub flows: Vec<flows::DeclaredFlow>,
}

/// Parses and lowers a program (modules included) into a graph. Its `data`
/// blocks are lookups not read yet (attributes unknown).
pub fn load(path: &Path, opts: &Options) -> Result<Program, LoadError> {
    lower::load(path, opts, &Files::Disk, &Lookups::new())
}

/// Like [`load`], reading the program, its modules and var files from `files`.
pub fn load_from(path: &Path, opts: &Options, files: &Files) -> Result<Program, LoadError> {
    lower::load(path, opts, files, &Lookups::new())
}

/// Like [`load_from`], with what the fabric observed of the program's
/// lookups (`engine::lookup::read`): every reference to a looked-up
/// object then reads the real values.
pub fn load_resolved(path: &Path, opts: &Options, files: &Files, lookups: &Lookups) -> Result<Program, LoadError> {
    lower::load(path, opts, files, lookups)
}

/// What the fabric observes of looked-up objects, by address.
pub type Lookups = BTreeMap<crate::graph::Address, crate::graph::Attrs>;

/// Where a load reads its files.
#[derive(Debug, Clone, Default)]
pub enum Files {
    /// The file system.
    #[default]
    Disk,
    /// An in-memory tree (fuzzing, tests): paths are compared after removing
    /// `.` and resolving `..` lexically; anything else is not found, so no
    /// input can make a load read the disk.
    Memory(Arc<BTreeMap<PathBuf, String>>),
}

impl Files {
    /// An in-memory tree of `(path, text)`.
    pub fn memory<P: Into<PathBuf>, S: Into<String>>(files: impl IntoIterator<Item = (P, S)>) -> Files {
        let tree = files.into_iter().map(|(p, s)| (lexical(&p.into()), s.into())).collect();
        Files::Memory(Arc::new(tree))
    }

    /// The text of a regular file of at most [`MAX_FILE_BYTES`]: a device,
    /// a FIFO or a directory is refused before anything is read.
    pub(crate) fn read(&self, path: &Path) -> std::io::Result<String> {
        match self {
            Files::Disk => {
                use std::io::Read;
                let bad = |why: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, why);
                let m = std::fs::metadata(path)?;
                if !m.is_file() {
                    return Err(bad("not a regular file (a device, FIFO or directory)".into()));
                }
                if m.len() > MAX_FILE_BYTES {
                    return Err(bad(format!(
                        "{} bytes, more than the {} MiB a program file may have",
                        m.len(),
                        MAX_FILE_BYTES >> 20
                    )));
                }
                let mut text = String::new();
                std::fs::File::open(path)?
                    .take(MAX_FILE_BYTES + 1)
                    .read_to_string(&mut text)?;
                if text.len() as u64 > MAX_FILE_BYTES {
                    return Err(bad(format!(
                        "more than the {} MiB a program file may have",
                        MAX_FILE_BYTES >> 20
                    )));
                }
                Ok(text)
            }
            Files::Memory(tree) => tree
                .get(&lexical(path))
                .cloned()
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound)),
        }
    }

    /// Where `path` really is (links resolved); a missing file is named
    /// under its resolved directory; `None` when that is missing too.
    pub(crate) fn resolved(&self, path: &Path) -> Option<PathBuf> {
        match self {
            Files::Disk => std::fs::canonicalize(path).ok().or_else(|| {
                let dir = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                Some(std::fs::canonicalize(dir).ok()?.join(path.file_name()?))
            }),
            Files::Memory(_) => Some(lexical(path)),
        }
    }

    /// The identity of a file (include cycles, loading each file once).
    pub(crate) fn canonical(&self, path: &Path) -> PathBuf {
        match self {
            Files::Disk => std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
            Files::Memory(_) => lexical(path),
        }
    }
}

/// `path` without `.` and with `..` applied to what precedes it.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

impl Program {
    /// Graph rule diagnostics at their source spans (colors only on a terminal).
    pub fn render(&self, diags: &Diagnostics) -> String {
        render::render(&self.problems(diags), &self.sources, render::use_color())
    }

    /// Problems that are not graph diagnostics (a flow's), at their source.
    pub fn render_problems(&self, problems: &[Problem]) -> String {
        render::render(problems, &self.sources, render::use_color())
    }

    /// Like [`render`](Self::render), never with colors.
    pub fn render_plain(&self, diags: &Diagnostics) -> String {
        render::render(&self.problems(diags), &self.sources, false)
    }

    /// The load's warnings, then graph diagnostics as problems with spans.
    pub fn problems(&self, diags: &Diagnostics) -> Vec<Problem> {
        let graph = diags.iter().map(|d| self.spans.problem(d));
        self.warnings.iter().cloned().chain(graph).collect()
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

/// The `url` of the `state { … }` block of the program at `path` (its root
/// file only, parsed, not evaluated): where its stack lives when neither
/// `--state` nor `HYBRIDK8S_STATE` says. `None` when it has none, or the
/// file cannot be read or parsed (the load then says why).
pub fn state_url(path: &Path) -> Option<String> {
    let text = Files::Disk.read(path).ok()?;
    let mut sources = error::Sources::default();
    let id = sources.add(path.display().to_string(), text.clone());
    let file = parser::parse_file(&text, id).ok()?;
    lower::state_url_of(&file.items)
}
