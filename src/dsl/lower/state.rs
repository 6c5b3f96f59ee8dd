//! `state { url = "azblob://ACCOUNT/CONTAINER/KEY" }`: where the program's
//! stack lives, so that a team's program names its shared state once
//! instead of every command line (`--state` and `HYBRIDK8S_STATE` still
//! win). Only the root program may say it; the URL is a literal (like a
//! Terraform backend block, it is read before anything is evaluated).

use super::eval::unknown_name;
use super::scope::Scope;
use super::Loader;
use crate::backend::azblob::Location;
use crate::dsl::ast::{Attr, ExprKind, Item, StateBlock, StrPart};
use crate::dsl::error::Problem;

/// The attributes a `state` block takes.
const ATTRS: [&str; 1] = ["url"];

/// The literal text of a string without interpolation.
fn literal(a: &Attr) -> Option<String> {
    match &a.value.kind {
        ExprKind::Str(parts) => parts
            .iter()
            .map(|p| match p {
                StrPart::Lit(s) => Some(s.as_str()),
                StrPart::Interp(_) => None,
            })
            .collect(),
        _ => None,
    }
}

/// The `url` of the `state` block of a parsed root file, if it has one
/// (whether it is valid is the loader's to say).
pub fn url_of(items: &[Item]) -> Option<String> {
    items.iter().find_map(|i| match i {
        Item::State(st) => st.attrs.iter().find(|a| a.key.name == "url").and_then(literal),
        _ => None,
    })
}

impl Loader<'_> {
    /// Checks one `state` block: in the root program, once, with a literal
    /// `azblob://` URL.
    pub(super) fn lower_state(&mut self, scope: &Scope, st: &StateBlock) {
        if !scope.module.is_empty() {
            self.problems.push(
                Problem::error("dsl::state-in-module", "a module cannot say where the stack lives")
                    .at(st.keyword, "in a module")
                    .help(
                        "declare `state { url = … }` in the root program: the stack is the program's, modules included",
                    ),
            );
            return;
        }
        if let Some(prev) = self.state_block {
            self.problems.push(
                Problem::error("dsl::duplicate-state", "the program says twice where its stack lives")
                    .at(st.keyword, "declared again here")
                    .related(prev, "first declared here")
                    .help("keep one `state` block"),
            );
            return;
        }
        self.state_block = Some(st.keyword);
        let mut url = None;
        for a in &st.attrs {
            if !ATTRS.contains(&a.key.name.as_str()) {
                let msg = format!("state has no attribute `{}`", a.key.name);
                let p = unknown_name("dsl::unknown-attribute", msg, &a.key.name, a.key.span, &ATTRS);
                self.problems.push(p.help_opt(Some(
                    "a state block takes `url = \"azblob://ACCOUNT/CONTAINER/KEY\"`".to_string(),
                )));
                continue;
            }
            if url.replace(a).is_some() {
                self.problems.push(
                    Problem::error("dsl::duplicate-attribute", "`url` is set twice")
                        .at(a.key.span, "set again here")
                        .help("remove one of them"),
                );
            }
        }
        let Some(a) = url else {
            self.problems.push(
                Problem::error("dsl::missing-attribute", "the state block has no `url`")
                    .at(st.keyword, "`url` is required")
                    .help("add `url = \"azblob://ACCOUNT/CONTAINER/KEY\"`"),
            );
            return;
        };
        let Some(text) = literal(a) else {
            self.problems.push(
                Problem::error("dsl::state-url", "the state URL must be a literal string")
                    .at(a.value.span, "not a plain string")
                    .help("the stack's location is read before anything is evaluated: write it out, e.g. \"azblob://mycompanystate/tfstate/dev.hkstate\", or pass --state"),
            );
            return;
        };
        // The endpoint is the environment's; only the shape is checked here.
        if let Err(why) = Location::parse(&text, &|_| None) {
            let why = why
                .strip_prefix(&format!("--state {text}: "))
                .unwrap_or(&why)
                .to_string();
            self.problems.push(
                Problem::error("dsl::state-url", format!("`{text}` is not a blob location: {why}"))
                    .at(a.value.span, "not azblob://ACCOUNT/CONTAINER/KEY")
                    .help("a program keeps its stack in Azure Blob Storage with `url = \"azblob://ACCOUNT/CONTAINER/KEY\"`; a fabric file is named with --state PATH"),
            );
        }
    }
}
