//! The syntax tree of a `.hk` file. Every node carries the byte range it was
//! parsed from, tagged with the file it belongs to (modules are other files).

/// Which loaded file a span points into (an index into the program's sources).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// A byte range of one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span { file, start, end }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// A name with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A whole file: its statements in order and every comment in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub items: Vec<Item>,
    pub comments: Vec<Comment>,
}

/// A `#` or `//` comment, text included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

/// One top-level statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Param(Param),
    Module(ModuleUse),
    Block(Block),
    /// `data KIND LABEL { … }`: an object that exists already, looked up
    /// (its span starts at `data`).
    Data(Block),
    /// `flow "NAME" { … }`: a reachability question (never realized).
    Flow(FlowBlock),
    /// `state { url = … }`: where the program's stack lives.
    State(StateBlock),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Param(p) => p.span,
            Item::Module(m) => m.span,
            Item::Block(b) | Item::Data(b) => b.span,
            Item::Flow(f) => f.span,
            Item::State(s) => s.span,
        }
    }
}

/// `param NAME: TYPE [= default]`: an input of the file (a module's argument).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
    pub span: Span,
}

/// A param type as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeKind {
    String,
    Number,
    Bool,
    Cidr,
    Ip,
    List(Box<TypeExpr>),
    Map(Box<TypeExpr>),
}

/// `module "PATH" as NAME { args }`: one instance of another file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleUse {
    pub path: String,
    pub path_span: Span,
    pub name: Ident,
    pub args: Vec<Attr>,
    pub span: Span,
}

/// `KIND LABEL { attrs }`: one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub kind: Ident,
    pub label: Ident,
    pub attrs: Vec<Attr>,
    pub span: Span,
}

/// `flow "NAME" { attrs }`: a declared flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowBlock {
    pub name: String,
    /// The quoted name.
    pub name_span: Span,
    pub attrs: Vec<Attr>,
    pub span: Span,
}

/// `state { url = "azblob://…" }`: where the stack of the program lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateBlock {
    /// The `state` keyword.
    pub keyword: Span,
    pub attrs: Vec<Attr>,
    pub span: Span,
}

/// `key = value` in a block, an object, module arguments or a var file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    pub key: Key,
    pub value: Expr,
    pub span: Span,
}

/// An attribute or object key: a name, or a quoted string (`"corp.local"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    pub quoted: bool,
    pub span: Span,
}

/// A value expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    Bool(bool),
    Number(i64),
    /// `10.40.0.0/16` as written (octets and prefix already range-checked).
    Cidr(String),
    /// `10.1.0.4` as written.
    Ip(String),
    Str(Vec<StrPart>),
    List(Vec<Expr>),
    Object(Vec<Attr>),
    /// `corp.dns_servers`, `aks`, `cluster_cidr`, `expressroute`.
    Ref(Vec<Ident>),
}

/// A piece of a string literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StrPart {
    Lit(String),
    Interp(Expr),
}

impl ExprKind {
    /// A plain string without interpolation.
    pub fn as_plain_str(&self) -> Option<String> {
        match self {
            ExprKind::Str(parts) => parts.iter().try_fold(String::new(), |mut acc, p| match p {
                StrPart::Lit(s) => {
                    acc.push_str(s);
                    Some(acc)
                }
                StrPart::Interp(_) => None,
            }),
            _ => None,
        }
    }
}

/// Resets every span, so that trees can be compared modulo positions.
pub trait ClearSpans {
    fn clear_spans(&mut self);
}

impl ClearSpans for File {
    fn clear_spans(&mut self) {
        self.items.iter_mut().for_each(ClearSpans::clear_spans);
        self.comments.iter_mut().for_each(|c| c.span = Span::default());
    }
}

impl ClearSpans for Item {
    fn clear_spans(&mut self) {
        match self {
            Item::Param(p) => {
                p.span = Span::default();
                p.name.span = Span::default();
                p.ty.clear_spans();
                p.default.iter_mut().for_each(ClearSpans::clear_spans);
            }
            Item::Module(m) => {
                m.span = Span::default();
                m.path_span = Span::default();
                m.name.span = Span::default();
                m.args.iter_mut().for_each(ClearSpans::clear_spans);
            }
            Item::Block(b) | Item::Data(b) => {
                b.span = Span::default();
                b.kind.span = Span::default();
                b.label.span = Span::default();
                b.attrs.iter_mut().for_each(ClearSpans::clear_spans);
            }
            Item::Flow(f) => {
                f.span = Span::default();
                f.name_span = Span::default();
                f.attrs.iter_mut().for_each(ClearSpans::clear_spans);
            }
            Item::State(s) => {
                s.span = Span::default();
                s.keyword = Span::default();
                s.attrs.iter_mut().for_each(ClearSpans::clear_spans);
            }
        }
    }
}

impl ClearSpans for TypeExpr {
    fn clear_spans(&mut self) {
        self.span = Span::default();
        if let TypeKind::List(t) | TypeKind::Map(t) = &mut self.kind {
            t.clear_spans();
        }
    }
}

impl ClearSpans for Attr {
    fn clear_spans(&mut self) {
        self.span = Span::default();
        self.key.span = Span::default();
        self.value.clear_spans();
    }
}

impl ClearSpans for Expr {
    fn clear_spans(&mut self) {
        self.span = Span::default();
        match &mut self.kind {
            ExprKind::Str(parts) => parts.iter_mut().for_each(|p| {
                if let StrPart::Interp(e) = p {
                    e.clear_spans();
                }
            }),
            ExprKind::List(items) => items.iter_mut().for_each(ClearSpans::clear_spans),
            ExprKind::Object(attrs) => attrs.iter_mut().for_each(ClearSpans::clear_spans),
            ExprKind::Ref(segs) => segs.iter_mut().for_each(|s| s.span = Span::default()),
            _ => {}
        }
    }
}
