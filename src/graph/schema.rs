//! One declarative schema per resource kind: the single source for DSL
//! checking, defaults, and the Terraform schema the provider serves.

use super::address::{Address, Kind};
use super::diag::{Diagnostic, Diagnostics};
use super::value::{AttrPath, PathStep, Type, Value};
use std::collections::BTreeMap;

/// No list (or map) of any resource holds more items, whichever front end
/// reads it: the DSL refuses a longer one before parsing, the provider's
/// decoders before allocating. The schemas' own limits are lower.
pub const MAX_LIST_ITEMS: usize = 10_000;

/// The attributes of one resource, by name. Nested blocks are lists of maps.
pub type Attrs = BTreeMap<String, Value>;

/// Who sets an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    /// Set by hybridk8s only.
    Computed,
    /// Set by the user, or derived by hybridk8s when left out.
    OptionalComputed,
}

/// One attribute of a schema.
#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: Type,
    pub presence: Presence,
    /// Applied when the user leaves the attribute out.
    pub default: Option<Value>,
    pub sensitive: bool,
    /// Changing it means a new object (Terraform plans a replace).
    pub requires_replace: bool,
    /// Markdown, shown in docs and `terraform providers schema`.
    pub description: &'static str,
    /// The most items a list or map may hold (0 = unlimited): what the
    /// object it becomes can hold in Azure or Kubernetes.
    pub max_items: usize,
    /// The attribute's former name, still accepted (with a warning) for one
    /// release and kept equal to it in Terraform state.
    pub was: Option<&'static str>,
}

impl Attribute {
    fn new(name: &'static str, ty: Type, presence: Presence, description: &'static str) -> Self {
        Attribute {
            name,
            ty,
            presence,
            default: None,
            sensitive: false,
            requires_replace: false,
            description,
            max_items: 0,
            was: None,
        }
    }

    pub fn required(name: &'static str, ty: Type, description: &'static str) -> Self {
        Self::new(name, ty, Presence::Required, description)
    }

    pub fn optional(name: &'static str, ty: Type, description: &'static str) -> Self {
        Self::new(name, ty, Presence::Optional, description)
    }

    pub fn computed(name: &'static str, ty: Type, description: &'static str) -> Self {
        Self::new(name, ty, Presence::Computed, description)
    }

    pub fn optional_computed(name: &'static str, ty: Type, description: &'static str) -> Self {
        Self::new(name, ty, Presence::OptionalComputed, description)
    }

    /// A static default. The attribute becomes optional+computed so that
    /// Terraform accepts the filled-in value in a plan.
    pub fn default(mut self, v: Value) -> Self {
        self.default = Some(v);
        if self.presence == Presence::Optional {
            self.presence = Presence::OptionalComputed;
        }
        self
    }

    pub fn replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }

    /// A list or map of at most `n` items.
    pub fn max_items(mut self, n: usize) -> Self {
        self.max_items = n;
        self
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Renamed from `old`, which stays an accepted, deprecated alias.
    pub fn was(mut self, old: &'static str) -> Self {
        self.was = Some(old);
        self
    }

    pub fn is_computed(&self) -> bool {
        matches!(self.presence, Presence::Computed | Presence::OptionalComputed)
    }

    pub fn user_settable(&self) -> bool {
        self.presence != Presence::Computed
    }
}

/// A nested block (Terraform) written as a list of objects (DSL).
#[derive(Debug, Clone)]
pub struct Block {
    pub name: &'static str,
    pub description: &'static str,
    pub attrs: Vec<Attribute>,
    pub min_items: usize,
    /// 0 = unlimited.
    pub max_items: usize,
    pub requires_replace: bool,
}

impl Block {
    /// The object type of one item.
    pub fn item_type(&self) -> Type {
        Type::Object(self.attrs.iter().map(|a| (a.name, a.ty.clone())).collect())
    }
}

/// The schema of one kind.
#[derive(Debug, Clone)]
pub struct Schema {
    pub kind: Kind,
    /// Bumped when stored state needs an upgrade.
    pub version: i64,
    pub description: &'static str,
    pub attrs: Vec<Attribute>,
    pub blocks: Vec<Block>,
}

impl Schema {
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attrs.iter().find(|a| a.name == name)
    }

    pub fn block(&self, name: &str) -> Option<&Block> {
        self.blocks.iter().find(|b| b.name == name)
    }

    /// The attributes that were renamed, as `(old, attribute)`.
    pub fn aliases(&self) -> impl Iterator<Item = (&'static str, &Attribute)> {
        self.attrs.iter().filter_map(|a| a.was.map(|old| (old, a)))
    }

    /// The attribute a former name now stands for.
    pub fn alias(&self, old: &str) -> Option<&Attribute> {
        self.aliases().find(|(o, _)| *o == old).map(|(_, a)| a)
    }

    /// Moves values written under a former name to the attribute's name:
    /// a warning for each (an error when both names are set and differ).
    /// Both front ends call it before anything else reads the configuration.
    pub fn fold_aliases(&self, address: &Address, attrs: &mut Attrs) -> Diagnostics {
        let mut diags = Diagnostics::default();
        for (old, a) in self.aliases() {
            let Some(v) = attrs.remove(old) else { continue };
            if v.is_null() {
                continue;
            }
            match attrs.get(a.name).filter(|c| !c.is_null()) {
                Some(c) if *c != v && v.is_wholly_known() && c.is_wholly_known() => {
                    diags.push(
                        Diagnostic::error(
                            "conflicting-alias",
                            format!(
                                "`{old}` and `{}` are the same attribute, set to different values",
                                a.name
                            ),
                        )
                        .at(address, AttrPath::attr(old))
                        .hint(format!("remove `{old}`: it is the former name of `{}`", a.name)),
                    );
                }
                Some(_) => {}
                None => {
                    attrs.insert(a.name.to_string(), v);
                }
            }
            diags.push(
                Diagnostic::warning("deprecated-attribute", format!("`{old}` is deprecated: it is now `{}`", a.name))
                    .at(address, AttrPath::attr(old))
                    .hint(format!(
                        "rename `{old}` to `{}`: the value and the object stay the same, nothing is replaced. `{old}` will be removed in the next release",
                        a.name
                    )),
            );
        }
        diags
    }

    /// Writes each renamed attribute's value under its former name too (for
    /// Terraform state, so that references to the old name keep working).
    pub fn mirror_aliases(&self, attrs: &mut Attrs) {
        for (old, a) in self.aliases() {
            let v = attrs.get(a.name).cloned().unwrap_or_default();
            attrs.insert(old.to_string(), v);
        }
    }

    /// Names a user may write, for "did you mean" suggestions.
    pub fn settable_names(&self) -> Vec<&'static str> {
        self.attrs
            .iter()
            .filter(|a| a.user_settable())
            .map(|a| a.name)
            .chain(self.blocks.iter().map(|b| b.name))
            .collect()
    }

    /// Checks names, presence and shapes of user-given attributes.
    pub fn validate_config(&self, address: &Address, attrs: &Attrs) -> Diagnostics {
        let mut diags = Diagnostics::default();
        for (name, value) in attrs {
            if let Some(attr) = self.attribute(name) {
                if !attr.user_settable() && !value.is_null() {
                    diags.push(
                        Diagnostic::error(
                            "computed-attribute",
                            format!("`{name}` is computed by hybridk8s and cannot be set"),
                        )
                        .at(address, AttrPath::attr(name))
                        .hint("remove it; read it from the resource instead"),
                    );
                    continue;
                }
                check_type(address, AttrPath::attr(name), &attr.ty, value, &mut diags);
                let n = value
                    .as_list()
                    .map(<[Value]>::len)
                    .or(value.as_map().map(BTreeMap::len));
                if let Some(n) = n.filter(|&n| attr.max_items > 0 && n > attr.max_items) {
                    diags.push(
                        Diagnostic::error(
                            "too-many-items",
                            format!("`{name}` takes at most {} item(s), has {n}", attr.max_items),
                        )
                        .at(address, AttrPath::attr(name))
                        .hint(first_sentence(attr.description)),
                    );
                }
            } else if let Some(block) = self.block(name) {
                self.validate_block(address, block, value, &mut diags);
            } else {
                let mut d = Diagnostic::error(
                    "unknown-attribute",
                    format!("{} has no attribute `{name}`", self.kind.keyword()),
                )
                .at(address, AttrPath::attr(name));
                if let Some(s) = closest(name, &self.settable_names()) {
                    d = d.hint(format!("did you mean `{s}`?"));
                }
                diags.push(d);
            }
        }
        for attr in &self.attrs {
            if attr.presence == Presence::Required && attrs.get(attr.name).is_none_or(Value::is_null) {
                diags.push(
                    Diagnostic::error(
                        "missing-attribute",
                        format!(
                            "{} `{}` requires attribute `{}`",
                            self.kind.keyword(),
                            address.name,
                            attr.name
                        ),
                    )
                    .at(address, AttrPath::root())
                    .hint(format!(
                        "add `{} = …` ({}: {})",
                        attr.name,
                        attr.ty.describe(),
                        first_sentence(attr.description)
                    )),
                );
            }
        }
        for block in &self.blocks {
            let n = attrs.get(block.name).and_then(Value::as_list).map_or(0, <[Value]>::len);
            if n < block.min_items {
                diags.push(
                    Diagnostic::error(
                        "missing-attribute",
                        format!(
                            "{} `{}` needs at least {} `{}` item(s), has {n}",
                            self.kind.keyword(),
                            address.name,
                            block.min_items,
                            block.name
                        ),
                    )
                    .at(address, AttrPath::root()),
                );
            }
            if block.max_items > 0 && n > block.max_items {
                diags.push(
                    Diagnostic::error(
                        "too-many-items",
                        format!("`{}` takes at most {} item(s), has {n}", block.name, block.max_items),
                    )
                    .at(address, AttrPath::attr(block.name)),
                );
            }
        }
        diags
    }

    fn validate_block(&self, address: &Address, block: &Block, value: &Value, diags: &mut Diagnostics) {
        let items = match value {
            Value::Null | Value::Unknown => return,
            Value::List(items) => items,
            _ => {
                diags.push(
                    Diagnostic::error("type-mismatch", format!("`{}` must be a list of objects", block.name))
                        .at(address, AttrPath::attr(block.name)),
                );
                return;
            }
        };
        for (i, item) in items.iter().enumerate() {
            let base = AttrPath::attr(block.name).index(i);
            let Some(map) = item.as_map() else {
                if !item.is_unknown() {
                    diags.push(
                        Diagnostic::error("type-mismatch", format!("`{}[{i}]` must be an object", block.name))
                            .at(address, base),
                    );
                }
                continue;
            };
            for (k, v) in map {
                match block.attrs.iter().find(|a| a.name == *k) {
                    Some(a) => check_type(address, base.clone().then(k), &a.ty, v, diags),
                    None => {
                        let names: Vec<&str> = block.attrs.iter().map(|a| a.name).collect();
                        let mut d = Diagnostic::error(
                            "unknown-attribute",
                            format!("`{}` items have no attribute `{k}`", block.name),
                        )
                        .at(address, base.clone().then(k));
                        if let Some(s) = closest(k, &names) {
                            d = d.hint(format!("did you mean `{s}`?"));
                        }
                        diags.push(d);
                    }
                }
            }
            for a in &block.attrs {
                if a.presence == Presence::Required && map.get(a.name).is_none_or(Value::is_null) {
                    diags.push(
                        Diagnostic::error(
                            "missing-attribute",
                            format!("`{}[{i}]` requires attribute `{}`", block.name, a.name),
                        )
                        .at(address, base.clone()),
                    );
                }
            }
        }
    }

    /// Fills static defaults and nulls for everything left out, so that every
    /// attribute and block key is present (Terraform needs all of them).
    pub fn apply_defaults(&self, attrs: &mut Attrs) {
        for a in &self.attrs {
            let slot = attrs.entry(a.name.to_string()).or_insert(Value::Null);
            if slot.is_null() {
                if let Some(d) = &a.default {
                    *slot = d.clone();
                }
            }
        }
        for b in &self.blocks {
            let slot = attrs
                .entry(b.name.to_string())
                .or_insert_with(|| Value::List(Vec::new()));
            if slot.is_null() {
                *slot = Value::List(Vec::new());
            }
            if let Value::List(items) = slot {
                for item in items.iter_mut() {
                    if let Value::Map(m) = item {
                        for a in &b.attrs {
                            let s = m.entry(a.name.to_string()).or_insert(Value::Null);
                            if s.is_null() {
                                if let Some(d) = &a.default {
                                    *s = d.clone();
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn check_type(address: &Address, path: AttrPath, ty: &Type, value: &Value, diags: &mut Diagnostics) {
    if let Err((suffix, want)) = ty.check(value) {
        let mut p = path;
        p.0.extend(suffix);
        let what = if want == "no such attribute" {
            "is not an attribute here".to_string()
        } else {
            format!("must be {want}")
        };
        diags.push(Diagnostic::error("type-mismatch", format!("`{p}` {what}")).at(address, p));
    }
}

fn first_sentence(s: &str) -> &str {
    s.split(". ").next().unwrap_or(s).trim_end_matches('.')
}

/// The closest candidate by edit distance, if it is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}

/// The step list of a path, for front ends that map paths to spans.
pub fn path_steps(p: &AttrPath) -> &[PathStep] {
    &p.0
}
