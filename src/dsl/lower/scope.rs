//! What names mean inside one file instance (the root or a module instance).

use crate::dsl::ast::{Expr, ExprKind, StrPart, TypeExpr, TypeKind};
use crate::graph::{Address, Type, Value};
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

/// A bound param: its value, declared type, and the resources its value
/// was computed from (a module argument such as `hub_id = hub.id`, or a
/// default that reads other params). A block depends on them only when it
/// reads the param.
#[derive(Debug, Clone)]
pub struct ParamVal {
    pub value: Value,
    pub ty: Type,
    pub deps: BTreeSet<Address>,
}

/// What a block label or module instance name stands for.
#[derive(Debug, Clone)]
pub enum Named {
    Resource(Address),
    /// A module instance: what its own names stand for, once it is lowered
    /// (`None` before, or when it could not be), so that `prod.aks.id`
    /// reads a block inside it.
    Module(Option<Rc<HashMap<String, Named>>>),
    /// An `address_plan` block (its allocation is in [`Scope::plans`]
    /// once lowered, unless it failed).
    Plan,
    /// A block that could not be lowered (already reported).
    Broken,
}

/// One file instance: its module path, params and names.
#[derive(Debug, Default)]
pub struct Scope {
    pub module: Vec<String>,
    pub params: HashMap<String, ParamVal>,
    pub names: HashMap<String, Named>,
    /// Internal `lb_service` blocks of this file per cluster label
    /// (`cluster = LABEL`, `internal = true`): the default of that
    /// cluster's `internal_lb_ips`.
    pub internal_lbs: HashMap<String, i64>,
    /// The allocated `address_plan` blocks of this file, by label.
    pub plans: HashMap<String, crate::graph::address_plan::Plan>,
}

/// The graph type of a param type.
pub fn param_type(t: &TypeExpr) -> Type {
    match &t.kind {
        TypeKind::String => Type::String,
        TypeKind::Number => Type::Number,
        TypeKind::Bool => Type::Bool,
        TypeKind::Cidr => Type::Cidr,
        TypeKind::Ip => Type::Ip,
        TypeKind::List(t) => Type::list(param_type(t)),
        TypeKind::Map(t) => Type::map(param_type(t)),
    }
}

/// Calls `f` with the first segment of every reference in `e`.
pub fn for_each_ref<'e>(e: &'e Expr, f: &mut impl FnMut(&'e crate::dsl::ast::Ident)) {
    match &e.kind {
        ExprKind::Ref(segs) => f(&segs[0]),
        ExprKind::List(items) => items.iter().for_each(|i| for_each_ref(i, f)),
        ExprKind::Object(attrs) => attrs.iter().for_each(|a| for_each_ref(&a.value, f)),
        ExprKind::Str(parts) => parts.iter().for_each(|p| {
            if let StrPart::Interp(x) = p {
                for_each_ref(x, f)
            }
        }),
        _ => {}
    }
}
