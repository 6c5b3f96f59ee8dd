//! Canonical layout of a `.hk` file: 2-space indent, one attribute per line,
//! `=` aligned within a block, one blank line between blocks, comments kept
//! (a comment inside a value moves above its attribute). Idempotent.

use super::ast::*;

/// Lines longer than this break lists and objects over several lines.
const WIDTH: usize = 100;

/// Formats a parsed file; `src` is the text it was parsed from (for comments
/// and blank lines).
pub fn format_file(file: &File, src: &str) -> String {
    let mut f = Fmt {
        src,
        comments: &file.comments,
        next: 0,
        out: String::new(),
    };
    let mut last: Option<usize> = None;
    let mut prev: Option<&Item> = None;
    for item in &file.items {
        let force = prev.is_some_and(|p| !(matches!(p, Item::Param(_)) && matches!(item, Item::Param(_))));
        f.leading(item.span().start, item.span().start, 0, last, force);
        match item {
            Item::Param(p) => {
                let mut line = format!("param {}: {}", p.name.name, type_str(&p.ty));
                if let Some(d) = &p.default {
                    line.push_str(" = ");
                    line.push_str(&f.expr(d, line.len(), 0));
                }
                f.out.push_str(&line);
            }
            Item::Module(m) => {
                let head = format!("module {} as {}", quote(&m.path), m.name.name);
                f.body(&head, &m.args, m.span.end);
            }
            Item::Block(b) => {
                let head = format!("{} {}", b.kind.name, b.label.name);
                f.body(&head, &b.attrs, b.span.end);
            }
            Item::Data(b) => {
                let head = format!("data {} {}", b.kind.name, b.label.name);
                f.body(&head, &b.attrs, b.span.end);
            }
            Item::Flow(fl) => {
                let head = format!("flow {}", quote(&fl.name));
                f.body(&head, &fl.attrs, fl.span.end);
            }
            Item::State(st) => f.body("state", &st.attrs, st.span.end),
        }
        last = Some(f.trailing(item.span().end));
        f.out.push('\n');
        prev = Some(item);
    }
    f.leading(usize::MAX, usize::MAX, 0, last, false);
    f.out
}

struct Fmt<'a> {
    src: &'a str,
    comments: &'a [Comment],
    next: usize,
    out: String,
}

impl Fmt<'_> {
    fn blank_between(&self, a: usize, b: usize) -> bool {
        self.src
            .get(a..b.min(self.src.len()))
            .is_some_and(|s| s.bytes().filter(|&c| c == b'\n').count() >= 2)
    }

    /// Emits the comments before `pos` on their own lines, keeping single
    /// blank lines; `force` puts a blank line before whatever comes first.
    /// `start` is where the next item begins: a blank line is kept only for
    /// a gap before it, never for line breaks inside it (an attribute whose
    /// value spans lines hoists its comments, `pos` being its end).
    /// Returns the source position of the last thing emitted at this level.
    fn leading(
        &mut self,
        pos: usize,
        start: usize,
        indent: usize,
        mut last: Option<usize>,
        force: bool,
    ) -> Option<usize> {
        let mut blank_done = false;
        if force {
            self.out.push('\n');
            blank_done = true;
        }
        while let Some(c) = self.comments.get(self.next).filter(|c| c.span.start < pos) {
            if last.is_some_and(|l| !blank_done && self.blank_between(l, c.span.start)) {
                self.out.push('\n');
            }
            blank_done = false;
            self.out.push_str(&" ".repeat(indent));
            self.out.push_str(&c.text);
            self.out.push('\n');
            last = Some(c.span.end);
            self.next += 1;
        }
        if pos != usize::MAX && last.is_some_and(|l| !blank_done && l <= start && self.blank_between(l, start)) {
            self.out.push('\n');
        }
        last
    }

    /// Appends a comment that follows `end` on the same source line.
    fn trailing(&mut self, end: usize) -> usize {
        if let Some(c) = self.comments.get(self.next) {
            let between = self.src.get(end..c.span.start).unwrap_or("\n");
            if c.span.start >= end && !between.contains('\n') {
                self.out.push(' ');
                self.out.push_str(&c.text);
                self.next += 1;
                return c.span.end;
            }
        }
        end
    }

    /// `head { attrs }` with aligned `=`; `end` is the end of the block.
    fn body(&mut self, head: &str, attrs: &[Attr], end: usize) {
        let has_comments = self.comments.get(self.next).is_some_and(|c| c.span.start < end);
        if attrs.is_empty() && !has_comments {
            self.out.push_str(head);
            self.out.push_str(" {}");
            return;
        }
        self.out.push_str(head);
        self.out.push_str(" {\n");
        let width = attrs.iter().map(|a| key_str(&a.key).len()).max().unwrap_or(0);
        let mut last = None;
        for a in attrs {
            self.leading(a.span.end, a.span.start, 2, last, false);
            let key = key_str(&a.key);
            let prefix = format!("  {key}{} = ", " ".repeat(width - key.len()));
            let value = self.expr(&a.value, prefix.len(), 2);
            self.out.push_str(&prefix);
            self.out.push_str(&value);
            last = Some(self.trailing(a.span.end));
            self.out.push('\n');
        }
        self.leading(end.saturating_sub(1), end.saturating_sub(1), 2, last, false);
        self.out.push('}');
    }

    /// A value, inline when it fits after `col` columns, else broken.
    /// `indent` is the indentation of the line the value starts on.
    fn expr(&self, e: &Expr, col: usize, indent: usize) -> String {
        let inline = inline(e);
        if col + inline.len() <= WIDTH {
            return inline;
        }
        broken(e, indent)
    }
}

fn broken(e: &Expr, indent: usize) -> String {
    let pad = " ".repeat(indent + 2);
    match &e.kind {
        ExprKind::List(items) if !items.is_empty() => {
            let mut s = "[\n".to_string();
            for i in items {
                s.push_str(&pad);
                s.push_str(&broken_or_inline(i, indent + 2));
                s.push_str(",\n");
            }
            s.push_str(&" ".repeat(indent));
            s.push(']');
            s
        }
        ExprKind::Object(attrs) if !attrs.is_empty() => {
            let mut s = "{\n".to_string();
            for a in attrs {
                s.push_str(&pad);
                s.push_str(&key_str(&a.key));
                s.push_str(" = ");
                s.push_str(&broken_or_inline(&a.value, indent + 2));
                s.push('\n');
            }
            s.push_str(&" ".repeat(indent));
            s.push('}');
            s
        }
        _ => inline(e),
    }
}

fn broken_or_inline(e: &Expr, indent: usize) -> String {
    let s = inline(e);
    if indent + s.len() <= WIDTH {
        s
    } else {
        broken(e, indent)
    }
}

/// A value on one line.
pub fn inline(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Number(n) => n.to_string(),
        ExprKind::Cidr(s) | ExprKind::Ip(s) => s.clone(),
        ExprKind::Str(parts) => {
            let mut s = String::from("\"");
            for p in parts {
                match p {
                    StrPart::Lit(l) => s.push_str(&escape(l)),
                    StrPart::Interp(x) => {
                        s.push_str("${");
                        s.push_str(&inline(x));
                        s.push('}');
                    }
                }
            }
            s.push('"');
            s
        }
        ExprKind::List(items) => format!("[{}]", items.iter().map(inline).collect::<Vec<_>>().join(", ")),
        ExprKind::Object(attrs) if attrs.is_empty() => "{}".into(),
        ExprKind::Object(attrs) => format!(
            "{{ {} }}",
            attrs
                .iter()
                .map(|a| format!("{} = {}", key_str(&a.key), inline(&a.value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ExprKind::Ref(segs) => segs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join("."),
    }
}

fn key_str(k: &Key) -> String {
    if k.quoted {
        quote(&k.name)
    } else {
        k.name.clone()
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", escape(s))
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn type_str(t: &TypeExpr) -> String {
    match &t.kind {
        TypeKind::String => "string".into(),
        TypeKind::Number => "number".into(),
        TypeKind::Bool => "bool".into(),
        TypeKind::Cidr => "cidr".into(),
        TypeKind::Ip => "ip".into(),
        TypeKind::List(t) => format!("list({})", type_str(t)),
        TypeKind::Map(t) => format!("map({})", type_str(t)),
    }
}
