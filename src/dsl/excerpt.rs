//! What the renderer is shown of a source file. Lines longer than
//! [`MAX_LINE`] bytes are cut to windows around the labels on them: miette
//! pads with `{:width$}`, which stops at 65,535 (a problem further along a
//! line panicked), and a 70,000-character line helps nobody anyway. Line
//! numbers are unchanged; the `file:line:column` header gives the real
//! column, counted in characters as editors do.

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use std::sync::Arc;

/// Lines longer than this (bytes, newline excluded) are cut.
pub const MAX_LINE: usize = 240;
/// Characters kept on each side of a label's start and end.
const CONTEXT: usize = 32;
/// Stands for the characters cut out.
const ELISION: &str = "…";

/// True when some line of `text` would be cut.
pub fn has_long_lines(text: &str) -> bool {
    text.split('\n').any(|l| l.len() > MAX_LINE)
}

/// A source as the renderer sees it, and the way back to the original.
#[derive(Debug)]
pub struct Excerpt {
    name: String,
    original: Arc<String>,
    shown: Arc<String>,
    /// Kept pieces in order: (offset in `shown`, offset in `original`, length).
    pieces: Vec<(usize, usize, usize)>,
}

impl Excerpt {
    /// The whole text, uncut.
    pub fn whole(name: &str, text: Arc<String>) -> Excerpt {
        Excerpt {
            name: name.to_string(),
            pieces: vec![(0, 0, text.len())],
            shown: text.clone(),
            original: text,
        }
    }

    /// The text with its long lines cut around `spans` (byte ranges of the
    /// original that will be labelled).
    pub fn around(name: &str, text: Arc<String>, spans: &[(usize, usize)]) -> Excerpt {
        let src = text.as_str();
        let mut points: Vec<usize> = spans.iter().flat_map(|&(s, e)| [s, e]).map(|p| floor(src, p)).collect();
        points.sort_unstable();
        let mut shown = String::with_capacity(src.len().min(1 << 16));
        let mut pieces = Vec::new();
        let mut keep = |shown: &mut String, from: usize, to: usize| {
            if from < to {
                pieces.push((shown.len(), from, to - from));
                shown.push_str(&src[from..to]);
            }
        };
        let mut ls = 0;
        for line in src.split_inclusive('\n') {
            let le = ls + line.len();
            let content_end = if line.ends_with('\n') { le - 1 } else { le };
            if content_end - ls <= MAX_LINE {
                keep(&mut shown, ls, le);
                ls = le;
                continue;
            }
            let first = points.partition_point(|&p| p < ls);
            let mut windows: Vec<(usize, usize)> = points[first..]
                .iter()
                .take_while(|&&p| p <= content_end)
                .map(|&p| (back(src, p, CONTEXT, ls), forward(src, p, CONTEXT, content_end)))
                .collect();
            if windows.is_empty() {
                windows.push((ls, forward(src, ls, 2 * CONTEXT, content_end)));
            }
            let mut at = ls;
            for (a, b) in merge(windows) {
                if a > at {
                    shown.push_str(ELISION);
                }
                keep(&mut shown, a, b);
                at = b;
            }
            if at < content_end {
                shown.push_str(ELISION);
            }
            keep(&mut shown, content_end, le);
            ls = le;
        }
        Excerpt {
            name: name.to_string(),
            original: text.clone(),
            shown: Arc::new(shown),
            pieces,
        }
    }

    /// A span of the original in the shown text.
    pub fn span(&self, start: usize, end: usize) -> SourceSpan {
        let src = self.original.as_str();
        let s = self.to_shown(floor(src, start.min(src.len())));
        let e = self.to_shown(ceil(src, end.min(src.len()))).max(s);
        (s, e - s).into()
    }

    fn to_shown(&self, o: usize) -> usize {
        let i = self.pieces.partition_point(|p| p.1 <= o);
        match i.checked_sub(1).map(|i| self.pieces[i]) {
            Some((t, from, len)) => t + (o - from).min(len),
            None => 0,
        }
    }

    fn to_original(&self, t: usize) -> usize {
        let i = self.pieces.partition_point(|p| p.0 <= t);
        match i.checked_sub(1).map(|i| self.pieces[i]) {
            Some((at, from, len)) => from + (t - at).min(len),
            None => 0,
        }
    }

    /// The column (0-based, in characters) of a shown offset in the original.
    fn column(&self, t: usize) -> usize {
        let src = self.original.as_str();
        let o = floor(src, self.to_original(t).min(src.len()));
        let line_start = src[..o].rfind('\n').map_or(0, |i| i + 1);
        src[line_start..o].chars().count()
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let c = <str as SourceCode>::read_span(self.shown.as_str(), span, before, after)?;
        // miette reports a column only without context lines; so do we.
        let column = if before == 0 {
            self.column(span.offset())
        } else {
            c.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            c.data(),
            *c.span(),
            c.line(),
            column,
            c.line_count(),
        )))
    }
}

/// The nearest char boundary at or before `p`.
fn floor(s: &str, mut p: usize) -> usize {
    p = p.min(s.len());
    while !s.is_char_boundary(p) {
        p -= 1;
    }
    p
}

/// The nearest char boundary at or after `p`.
fn ceil(s: &str, mut p: usize) -> usize {
    p = p.min(s.len());
    while !s.is_char_boundary(p) {
        p += 1;
    }
    p
}

/// `n` characters before `p`, not before `lo`.
fn back(s: &str, p: usize, n: usize, lo: usize) -> usize {
    s[lo..p].char_indices().rev().take(n).last().map_or(p, |(i, _)| lo + i)
}

/// `n` characters after `p`, not after `hi`.
fn forward(s: &str, p: usize, n: usize, hi: usize) -> usize {
    let p = p.min(hi);
    s[p..hi].char_indices().nth(n).map_or(hi, |(i, _)| p + i)
}

/// Sorted, overlapping or touching windows joined.
fn merge(mut w: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    w.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(w.len());
    for (a, b) in w {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_kept_whole() {
        let text = Arc::new("a = 1\nb = 2\n".to_string());
        let e = Excerpt::around("f", text.clone(), &[(6, 7)]);
        assert_eq!(e.shown.as_str(), text.as_str());
        assert_eq!(e.span(6, 7), SourceSpan::from((6, 1)));
    }

    #[test]
    fn long_lines_keep_windows_around_labels() {
        let line = format!("x = [{}]", "1, ".repeat(30_000));
        let text = Arc::new(format!("a = 1\n{line}\nb = 2\n"));
        let at = 6 + line.len() - 1; // the `]`
        let e = Excerpt::around("f", text.clone(), &[(at, at + 1)]);
        let shown = e.shown.as_str();
        assert!(shown.len() < 200, "{shown}");
        assert!(shown.starts_with("a = 1\n…"), "{shown}");
        assert!(shown.ends_with("1, ]\nb = 2\n"), "{shown}");
        let s = e.span(at, at + 1);
        assert_eq!(&shown[s.offset()..s.offset() + s.len()], "]");
        assert_eq!(e.to_original(s.offset()), at);
        assert_eq!(e.column(s.offset()), line.len() - 1);
    }

    #[test]
    fn spans_inside_characters_snap_to_their_boundaries() {
        let text = Arc::new(format!("{}日本", "x".repeat(300)));
        let e = Excerpt::around("f", text.clone(), &[(301, 302)]);
        let s = e.span(301, 302);
        assert_eq!(&e.shown[s.offset()..s.offset() + s.len()], "日");
        assert_eq!(e.column(s.offset()), 300);
    }
}
