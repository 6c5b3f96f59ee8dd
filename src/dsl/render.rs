//! Renders problems at their source with miette's graphical handler: the
//! source line, a label, the hint as `help`, and labels for related objects.

use super::ast::Span;
use super::error::{Problem, Sources};
use crate::graph::Severity;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};
use std::fmt;
use std::io::IsTerminal;
use std::sync::Arc;

/// Fixed width, so output does not depend on the terminal.
pub const WIDTH: usize = 100;

/// Colors only when stderr is a terminal and `NO_COLOR` is unset.
pub fn use_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Renders every problem, one report after another.
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
    for p in problems {
        let report = Report::of(p, sources);
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&p.message);
            out.push('\n');
        }
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
    source: Option<NamedSource<Arc<String>>>,
    labels: Vec<LabeledSpan>,
    /// Related objects in other files, rendered as advice below.
    related: Vec<Report>,
}

impl Report {
    fn of(p: &Problem, sources: &Sources) -> Report {
        let severity = match p.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        };
        let mut report = Report {
            message: p.message.clone(),
            code: p.code.clone(),
            severity,
            help: p.help.clone(),
            source: None,
            labels: Vec::new(),
            related: Vec::new(),
        };
        let primary = p.span.and_then(|s| valid(s, sources));
        if let Some(span) = primary {
            let file = sources.get(span.file).expect("validated");
            report.source = Some(NamedSource::new(file.name.clone(), file.text.clone()));
            report
                .labels
                .push(LabeledSpan::new_primary_with_span(p.label.clone(), to_miette(span)));
        }
        for (span, label) in &p.related {
            let Some(span) = valid(*span, sources) else { continue };
            if primary.is_some_and(|s| s.file == span.file) {
                report
                    .labels
                    .push(LabeledSpan::new_with_span(Some(label.clone()), to_miette(span)));
            } else {
                let file = sources.get(span.file).expect("validated");
                report.related.push(Report {
                    message: label.clone(),
                    code: String::new(),
                    severity: miette::Severity::Advice,
                    help: None,
                    source: Some(NamedSource::new(file.name.clone(), file.text.clone())),
                    labels: vec![LabeledSpan::new_with_span(Some(label.clone()), to_miette(span))],
                    related: Vec::new(),
                });
            }
        }
        report
    }
}

fn valid(span: Span, sources: &Sources) -> Option<Span> {
    let f = sources.get(span.file)?;
    (span.start <= span.end && span.end <= f.text.len() && f.text.is_char_boundary(span.start)).then_some(span)
}

fn to_miette(s: Span) -> miette::SourceSpan {
    (s.start, s.end - s.start).into()
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
