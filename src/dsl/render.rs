//! Renders problems at their source with miette's graphical handler: the
//! source line, a label, the hint as `help`, and labels for related objects.

use super::ast::{FileId, Span};
use super::error::{Problem, Sources};
use super::excerpt::{self, Excerpt};
use crate::graph::Severity;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};
use std::collections::HashMap;
use std::fmt;
use std::io::IsTerminal;

/// Fixed width, so output does not depend on the terminal.
pub const WIDTH: usize = 100;

/// Colors only when stderr is a terminal and `NO_COLOR` is unset.
pub fn use_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// At most this many problems are rendered; the rest are counted. (Each
/// report locates its lines in the file, so thousands of them — 100,000
/// duplicate attributes — would take minutes and say nothing more.)
pub const MAX_RENDERED: usize = 100;

/// Renders the problems, one report after another: the first
/// [`MAX_RENDERED`], then a count of the rest.
pub fn render(problems: &[Problem], sources: &Sources, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false);
    let mut out = String::new();
    let mut long_lines = HashMap::new();
    // Errors before warnings when not all are shown, each in source order.
    let mut shown: Vec<usize> = (0..problems.len()).collect();
    if shown.len() > MAX_RENDERED {
        shown.sort_by_key(|&i| (problems[i].severity != Severity::Error, i));
        shown.truncate(MAX_RENDERED);
        shown.sort_unstable();
    }
    for &i in &shown {
        let p = &problems[i];
        let report = Report::of(p, sources, &mut long_lines);
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&p.message);
            out.push('\n');
        }
    }
    let rest = problems.len() - shown.len();
    if rest > 0 {
        let errors = problems.iter().filter(|p| p.severity == Severity::Error).count();
        let errors_left = errors
            - shown
                .iter()
                .filter(|&&i| problems[i].severity == Severity::Error)
                .count();
        out.push_str(&format!(
            "\n… and {rest} more problems ({errors_left} errors) not shown: fix the ones above first\n"
        ));
    }
    out
}

/// One problem in miette's terms.
#[derive(Debug)]
struct Report {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Excerpt>,
    labels: Vec<LabeledSpan>,
    /// Related objects in other files, rendered as advice below.
    related: Vec<Report>,
}

impl Report {
    /// `long_lines` caches, per file, whether it has lines to cut.
    fn of(p: &Problem, sources: &Sources, long_lines: &mut HashMap<FileId, bool>) -> Report {
        let severity = match p.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        };
        let mut report = Report {
            message: p.message.clone(),
            // The catalogue ID with the code: `HK201 subnet-too-small`.
            code: crate::graph::catalogue::label(&p.code),
            severity,
            help: p.help.clone(),
            source: None,
            labels: Vec::new(),
            related: Vec::new(),
        };
        let primary = p.span.and_then(|s| valid(s, sources));
        if let Some(span) = primary {
            let same_file: Vec<Span> = p
                .related
                .iter()
                .filter_map(|(s, _)| valid(*s, sources))
                .filter(|s| s.file == span.file)
                .collect();
            let source = excerpt_of(sources, span, &same_file, long_lines);
            report.labels.push(LabeledSpan::new_primary_with_span(
                p.label.clone(),
                source.span(span.start, span.end),
            ));
            report.source = Some(source);
        }
        for (span, label) in &p.related {
            let Some(span) = valid(*span, sources) else { continue };
            if let Some(source) = report
                .source
                .as_ref()
                .filter(|_| primary.is_some_and(|s| s.file == span.file))
            {
                let at = source.span(span.start, span.end);
                report.labels.push(LabeledSpan::new_with_span(Some(label.clone()), at));
            } else {
                let source = excerpt_of(sources, span, &[], long_lines);
                let at = source.span(span.start, span.end);
                report.related.push(Report {
                    message: label.clone(),
                    code: String::new(),
                    severity: miette::Severity::Advice,
                    help: None,
                    source: Some(source),
                    labels: vec![LabeledSpan::new_with_span(Some(label.clone()), at)],
                    related: Vec::new(),
                });
            }
        }
        report
    }
}

/// A span of a loaded file that lies inside it (the excerpt snaps it to
/// character boundaries).
fn valid(span: Span, sources: &Sources) -> Option<Span> {
    let f = sources.get(span.file)?;
    (span.start <= span.end && span.end <= f.text.len()).then_some(span)
}

/// The file of `span` as shown, long lines cut around `span` and `more`
/// (spans of the same file).
fn excerpt_of(sources: &Sources, span: Span, more: &[Span], long_lines: &mut HashMap<FileId, bool>) -> Excerpt {
    let Some(file) = sources.get(span.file) else {
        return Excerpt::whole("", Default::default());
    };
    let long = *long_lines
        .entry(span.file)
        .or_insert_with(|| excerpt::has_long_lines(&file.text));
    if !long {
        return Excerpt::whole(&file.name, file.text.clone());
    }
    let spans: Vec<(usize, usize)> = [span].iter().chain(more).map(|s| (s.start, s.end)).collect();
    Excerpt::around(&file.name, file.text.clone(), &spans)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty()).then(|| Box::new(self.labels.iter().cloned()) as Box<dyn Iterator<Item = _>>)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        (!self.related.is_empty())
            .then(|| Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)) as Box<dyn Iterator<Item = _>>)
    }
}
