//! What went wrong while loading a program: problems with a source span, a
//! label and a hint, and the sources they point into.

use super::ast::{FileId, Span};
use crate::graph::Severity;
use std::fmt;
use std::sync::Arc;

/// One loaded file: its display name and text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<String>,
}

/// Every file a program was loaded from (root, modules, var files, `--var`).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// Registers a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile {
            name: name.into(),
            text: Arc::new(text.into()),
        });
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The text a span covers (empty when out of range).
    pub fn text(&self, span: Span) -> &str {
        self.get(span.file)
            .and_then(|f| f.text.get(span.start..span.end))
            .unwrap_or("")
    }
}

/// One finding of the parser or the lowering (or a graph rule, placed at
/// its source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    /// Stable code, e.g. `dsl::unknown-reference` or a graph rule's code.
    pub code: String,
    pub message: String,
    pub span: Option<Span>,
    pub label: Option<String>,
    pub help: Option<String>,
    pub related: Vec<(Span, String)>,
}

impl Problem {
    pub fn error(code: &str, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Error,
            code: code.to_string(),
            message: message.into(),
            span: None,
            label: None,
            help: None,
            related: Vec::new(),
        }
    }

    pub fn warning(code: &str, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(code, message)
        }
    }

    pub fn at(mut self, span: Span, label: impl Into<String>) -> Self {
        self.span = Some(span);
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn help_opt(mut self, help: Option<String>) -> Self {
        self.help = help.or(self.help);
        self
    }

    pub fn related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

/// A program that could not be loaded: every problem found, not just the first.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoadError {
    pub problems: Vec<Problem>,
    pub sources: Sources,
}

impl LoadError {
    pub(crate) fn new(mut problems: Vec<Problem>, sources: Sources) -> Self {
        problems.sort_by_key(|p| p.span.map(|s| (s.file, s.start)));
        problems.dedup();
        LoadError { problems, sources }
    }

    /// Every problem rendered at its source (colors only on a terminal).
    pub fn render(&self) -> String {
        super::render::render(&self.problems, &self.sources, super::render::use_color())
    }

    /// Like [`render`](Self::render), never with colors (tests, logs).
    pub fn render_plain(&self) -> String {
        super::render::render(&self.problems, &self.sources, false)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.iter().filter(|p| p.is_error()).count();
        match self.problems.iter().find(|p| p.is_error()) {
            Some(p) if n > 1 => write!(f, "{} (and {} more errors)", p.message, n - 1),
            Some(p) => write!(f, "{}", p.message),
            None => write!(f, "no errors"),
        }
    }
}

impl std::error::Error for LoadError {}
