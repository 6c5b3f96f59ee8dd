//! Diagnostics: what a rule says about a resource, with the attribute path it
//! concerns and the other object involved. Front ends turn the path into a
//! source span (DSL) or a Terraform attribute path.

use super::address::Address;
use super::value::AttrPath;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// Another object a diagnostic refers to ("overlaps hub.hub address_space[0]").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub address: Address,
    pub path: AttrPath,
    pub label: String,
}

/// One finding of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `subnet-too-small`.
    pub code: &'static str,
    /// One line naming the numbers and both objects.
    pub summary: String,
    /// The resource it concerns, if any.
    pub address: Option<Address>,
    /// The attribute it concerns (root = the whole resource).
    pub path: AttrPath,
    pub related: Vec<Related>,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, summary: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            summary: summary.into(),
            address: None,
            path: AttrPath::root(),
            related: Vec::new(),
            hint: None,
        }
    }

    pub fn warning(code: &'static str, summary: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, summary)
        }
    }

    pub fn at(mut self, address: &Address, path: AttrPath) -> Self {
        self.address = Some(address.clone());
        self.path = path;
        self
    }

    pub fn related(mut self, address: &Address, path: AttrPath, label: impl Into<String>) -> Self {
        self.related.push(Related {
            address: address.clone(),
            path,
            label: label.into(),
        });
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The stable catalogue ID of the code (`HK201`), `HK000` for a code the
    /// catalogue lacks (its test keeps that from happening).
    pub fn rule_id(&self) -> &'static str {
        super::catalogue::id_of(self.code)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}[{} {}]: {}", self.rule_id(), self.code, self.summary)?;
        if let Some(a) = &self.address {
            if self.path.is_root() {
                write!(f, " (at {a})")?;
            } else {
                write!(f, " (at {a}.{})", self.path)?;
            }
        }
        if let Some(h) = &self.hint {
            write!(f, "; hint: {h}")?;
        }
        Ok(())
    }
}

/// A collection of diagnostics with helpers used by every rule.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// Sorts by resource address, then path, then code, so output is stable.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            (a.address.as_ref().map(|x| x.to_string()), &a.path, a.code, &a.summary).cmp(&(
                b.address.as_ref().map(|x| x.to_string()),
                &b.path,
                b.code,
                &b.summary,
            ))
        });
    }
}

/// `text` cut to at most `max_chars` characters: the kept part and how
/// many bytes were cut (messages that quote a huge value stay readable).
pub fn cut(text: &str, max_chars: usize) -> (&str, usize) {
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => (&text[..i], text.len() - i),
        None => (text, 0),
    }
}
