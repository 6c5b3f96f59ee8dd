//! DSL expressions as Terraform JSON expressions: literals as JSON, names as
//! Terraform references inside `"${…}"` (so Terraform sees the dependency),
//! interpolated strings as templates, and the DSL's list flattening
//! (`[corp, 10.0.0.0/8]`, `[cluster_cidr, extra_cidrs]`) as `flatten([…])`.

use crate::dsl::ast::{Attr, Expr, ExprKind, Ident, StrPart};
use crate::graph::{kinds, Kind, Type};
use serde_json::{Map, Value as J};
use std::collections::HashMap;

/// What a name of one file stands for.
#[derive(Debug, Clone)]
pub(super) enum Name {
    /// A block; `data`: a Terraform data source (`onprem`, `data hub …`).
    Resource { kind: Kind, data: bool },
    /// A module instance of the file with this index.
    Module(usize),
    /// A param: `var.NAME`, or `local.NAME` when its default reads other params.
    Param { ty: Type, local: bool },
    /// An `address_plan` block: the data source `hybridk8s_address_plan`.
    Plan,
}

/// The Terraform type of the data source an `address_plan` block becomes.
pub(super) const ADDRESS_PLAN_TYPE: &str = "hybridk8s_address_plan";

/// The names of every file of the program, and which file is being written.
pub(super) struct Ctx<'a> {
    pub files: &'a [HashMap<String, Name>],
    pub file: usize,
}

/// A reference, resolved in the file that writes it.
pub(super) enum Resolved {
    /// A param, its traversal (`var.env`) and type.
    Param(String, Type),
    /// An undeclared single name where a string is expected: `expressroute`.
    Word(String),
    /// A block with no attribute: its traversal and kind.
    Block(String, Kind),
    /// An attribute of a block: the traversal and the attribute's type.
    Attr(String, Option<Type>),
}

/// The Terraform address of a block of `kind` labelled `label`.
pub(super) fn address(kind: Kind, data: bool, label: &str) -> String {
    if data || kind.is_declaration_only() {
        format!("data.{}.{label}", kind.terraform_type())
    } else {
        format!("{}.{label}", kind.terraform_type())
    }
}

/// Escapes template sequences in literal text of a JSON string.
pub(super) fn escape_template(s: &str) -> String {
    s.replace("${", "$${").replace("%{", "%%{")
}

/// Literal text inside a native HCL quoted string.
fn hcl_text(s: &str) -> String {
    let mut out = String::new();
    for c in escape_template(s).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out
}

/// A native HCL string literal.
fn hcl_string(s: &str) -> String {
    format!("\"{}\"", hcl_text(s))
}

fn scalar(t: Option<&Type>) -> bool {
    t.is_some_and(|t| !matches!(t, Type::List(_) | Type::Map(_) | Type::Object(_)))
}

fn field<'t>(ty: Option<&'t Type>, key: &str) -> Option<&'t Type> {
    match ty {
        Some(Type::Object(fields)) => fields.iter().find(|(n, _)| *n == key).map(|(_, t)| t),
        Some(Type::Map(t)) => Some(t),
        _ => None,
    }
}

/// The schema type of attribute (or block) `name` of `kind`.
pub(super) fn attr_type(kind: Kind, name: &str) -> Option<Type> {
    let schema = kinds::schema(kind);
    schema
        .attribute(name)
        .map(|a| a.ty.clone())
        .or_else(|| schema.block(name).map(|b| Type::list(b.item_type())))
}

impl Ctx<'_> {
    fn names(&self) -> &HashMap<String, Name> {
        &self.files[self.file]
    }

    /// Resolves `segs` (already checked by the loader).
    pub fn resolve(&self, segs: &[Ident]) -> Resolved {
        let first = &segs[0].name;
        match self.names().get(first) {
            Some(Name::Param { ty, local }) => {
                let ns = if *local { "local" } else { "var" };
                Resolved::Param(format!("{ns}.{first}"), ty.clone())
            }
            Some(Name::Resource { kind, data }) => self.attr(address(*kind, *data, first), *kind, &segs[1..]),
            Some(Name::Module(f)) => {
                let mut path = format!("module.{first}");
                let mut names = &self.files[*f];
                for (i, s) in segs.iter().enumerate().skip(1) {
                    path.push('.');
                    path.push_str(&s.name);
                    match names.get(&s.name) {
                        Some(Name::Module(f)) => names = &self.files[*f],
                        Some(Name::Resource { kind, .. }) => return self.attr(path, *kind, &segs[i + 1..]),
                        _ => break,
                    }
                }
                Resolved::Attr(path, None)
            }
            // `ranges.prod.blue`: the allocation keyed `prod.blue`.
            Some(Name::Plan) => {
                let key: Vec<&str> = segs[1..].iter().map(|s| s.name.as_str()).collect();
                Resolved::Attr(
                    format!(
                        "data.{ADDRESS_PLAN_TYPE}.{first}.allocations[{}]",
                        hcl_string(&key.join("."))
                    ),
                    Some(Type::Cidr),
                )
            }
            None => Resolved::Word(first.clone()),
        }
    }

    fn attr(&self, mut path: String, kind: Kind, rest: &[Ident]) -> Resolved {
        let Some((attr, keys)) = rest.split_first() else {
            return Resolved::Block(path, kind);
        };
        // A former name reads the attribute it became.
        let schema = kinds::schema(kind);
        let name = schema.alias(&attr.name).map_or(attr.name.as_str(), |a| a.name);
        let mut ty = attr_type(kind, name);
        path.push('.');
        path.push_str(name);
        for k in keys {
            path.push('.');
            path.push_str(&k.name);
            ty = field(ty.as_ref(), &k.name).cloned();
        }
        Resolved::Attr(path, ty)
    }

    /// `e` where a Terraform JSON expression is expected (`ty`: the type the
    /// schema or param expects).
    pub fn value(&self, e: &Expr, ty: Option<&Type>) -> J {
        match &e.kind {
            ExprKind::Bool(b) => J::Bool(*b),
            ExprKind::Number(n) => J::from(*n),
            ExprKind::Cidr(s) | ExprKind::Ip(s) => J::String(s.clone()),
            ExprKind::Str(parts) => J::String(self.template(parts, escape_template)),
            ExprKind::List(items) => {
                let elem = match ty {
                    Some(Type::List(t)) => Some(t.as_ref()),
                    _ => None,
                };
                if scalar(elem) && items.iter().any(|i| self.spreads(i, elem)) {
                    return J::String(format!("${{{}}}", self.hcl(e, ty)));
                }
                J::Array(items.iter().map(|i| self.value(i, elem)).collect())
            }
            ExprKind::Object(attrs) => J::Object(self.object(attrs, ty)),
            ExprKind::Ref(segs) => match self.resolve(segs) {
                Resolved::Word(w) => J::String(escape_template(&w)),
                _ => J::String(format!("${{{}}}", self.hcl(e, ty))),
            },
        }
    }

    /// Object attributes as a JSON object (keys are templates too).
    pub fn object(&self, attrs: &[Attr], ty: Option<&Type>) -> Map<String, J> {
        attrs
            .iter()
            .map(|a| {
                (
                    escape_template(&a.key.name),
                    self.value(&a.value, field(ty, &a.key.name)),
                )
            })
            .collect()
    }

    /// Whether a list item stands for several items (the DSL flattens it).
    fn spreads(&self, item: &Expr, elem: Option<&Type>) -> bool {
        let ExprKind::Ref(segs) = &item.kind else {
            return false;
        };
        match self.resolve(segs) {
            Resolved::Param(_, t) | Resolved::Attr(_, Some(t)) => matches!(t, Type::List(_)),
            Resolved::Block(_, k) => elem == Some(&Type::Cidr) && matches!(k, Kind::Onprem | Kind::Hub),
            _ => false,
        }
    }

    /// The literal text (escaped by `text`) and `${…}` parts of a string
    /// as a template.
    fn template(&self, parts: &[StrPart], text: fn(&str) -> String) -> String {
        let mut out = String::new();
        for p in parts {
            match p {
                StrPart::Lit(s) => out.push_str(&text(s)),
                StrPart::Interp(x) => match &x.kind {
                    ExprKind::Ref(segs) if matches!(self.resolve(segs), Resolved::Word(_)) => {
                        out.push_str(&text(&segs[0].name))
                    }
                    _ => {
                        out.push_str("${");
                        out.push_str(&self.hcl(x, None));
                        out.push('}');
                    }
                },
            }
        }
        out
    }

    /// `e` as a native HCL expression (inside `${…}`).
    pub fn hcl(&self, e: &Expr, ty: Option<&Type>) -> String {
        match &e.kind {
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Number(n) => n.to_string(),
            ExprKind::Cidr(s) | ExprKind::Ip(s) => hcl_string(s),
            ExprKind::Str(parts) => format!("\"{}\"", self.template(parts, hcl_text)),
            ExprKind::List(items) => {
                let elem = match ty {
                    Some(Type::List(t)) => Some(t.as_ref()),
                    _ => None,
                };
                let parts: Vec<String> = items.iter().map(|i| self.item_hcl(i, elem)).collect();
                let list = format!("[{}]", parts.join(", "));
                if scalar(elem) && items.iter().any(|i| self.spreads(i, elem)) {
                    format!("flatten({list})")
                } else {
                    list
                }
            }
            ExprKind::Object(attrs) => {
                let parts: Vec<String> = attrs
                    .iter()
                    .map(|a| {
                        let v = self.hcl(&a.value, field(ty, &a.key.name));
                        format!("{} = {v}", hcl_string(&a.key.name))
                    })
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
            ExprKind::Ref(segs) => match self.resolve(segs) {
                Resolved::Param(p, _) => p,
                Resolved::Word(w) => hcl_string(&w),
                Resolved::Block(p, _) | Resolved::Attr(p, _) => p,
            },
        }
    }

    /// A list item: a bare `corp` among CIDRs is its address space.
    fn item_hcl(&self, item: &Expr, elem: Option<&Type>) -> String {
        if let ExprKind::Ref(segs) = &item.kind {
            if let Resolved::Block(p, Kind::Onprem | Kind::Hub) = self.resolve(segs) {
                if elem == Some(&Type::Cidr) {
                    return format!("{p}.address_space");
                }
            }
        }
        self.hcl(item, elem)
    }

    /// `cluster = aks` / `cluster = prod.aks`: the block's `id`; anything
    /// else (an ID string, a param) as a string.
    pub fn id_of(&self, e: &Expr) -> J {
        if let ExprKind::Ref(segs) = &e.kind {
            if let Resolved::Block(p, _) = self.resolve(segs) {
                return J::String(format!("${{{p}.id}}"));
            }
        }
        self.value(e, Some(&Type::String))
    }

    /// The traversal of the block `cluster = …` names directly, with its kind.
    pub fn block_of(&self, e: &Expr) -> Option<(String, Kind)> {
        match &e.kind {
            ExprKind::Ref(segs) => match self.resolve(segs) {
                Resolved::Block(p, k) => Some((p, k)),
                _ => None,
            },
            _ => None,
        }
    }
}
