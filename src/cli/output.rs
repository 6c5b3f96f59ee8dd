//! `output PROGRAM [ADDRESS[.ATTR]] [--json]`: what the last apply
//! recorded in the program's stack (IDs, derived sizes and CIDRs, every
//! attribute), for people and for scripts.

use super::fabric::{FabricArgs, StackArgs};
use super::stacks::{open_read, stack_in};
use crate::engine::StackState;
use crate::graph::schema::closest;
use crate::graph::{kinds, Address, Attrs, Kind, Value};
use anyhow::bail;
use serde_json::Value as J;
use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

/// What to print: everything, one resource, or one attribute.
enum Selected<'a> {
    All,
    Resource(&'a Address, &'a Attrs),
    Attribute(&'a Address, &'a str, &'a Value),
}

pub fn output(
    file: &Path,
    selector: Option<&str>,
    json: bool,
    fabric: &FabricArgs,
    stack: &StackArgs,
) -> anyhow::Result<ExitCode> {
    let opened = open_read(fabric)?;
    let name = stack_in(opened.store.as_ref(), file, &opened.path, stack)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let state = rt.block_on(async {
        if !opened.store.stack_exists(&name).await? {
            bail!(
                "stack `{name}` has never been applied in {}: nothing to output; apply the program first",
                opened.store.describe()
            );
        }
        Ok(opened.store.stack_state(&name).await?)
    })?;
    let state = recorded(state);
    let selected = match selector {
        None => Selected::All,
        Some(s) => select(&state, s)?,
    };
    let text = if json {
        serde_json::to_string_pretty(&to_json(&state, &selected))? + "\n"
    } else {
        human(&state, &selected)
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// Each resource's attributes with its ID among them.
fn recorded(mut state: StackState) -> StackState {
    for e in state.resources.values_mut() {
        if let Some(id) = &e.id {
            e.attrs.entry("id".into()).or_insert_with(|| Value::str(id));
        }
    }
    state
}

/// `ADDRESS` or `ADDRESS.ATTR`: the longest leading part that is an address
/// of the stack, the rest an attribute of it.
fn select<'a>(state: &'a StackState, selector: &'a str) -> anyhow::Result<Selected<'a>> {
    let parts: Vec<&str> = selector.split('.').collect();
    for cut in (2..=parts.len()).rev() {
        let Ok(address) = parts[..cut].join(".").parse::<Address>() else {
            continue;
        };
        let Some((address, entry)) = state.resources.get_key_value(&address) else {
            continue;
        };
        if cut == parts.len() {
            return Ok(Selected::Resource(address, &entry.attrs));
        }
        let attr = &selector[parts[..cut].join(".").len() + 1..];
        let Some((k, v)) = entry.attrs.get_key_value(attr) else {
            let names: Vec<&str> = entry.attrs.keys().map(String::as_str).collect();
            let hint = closest(attr, &names)
                .map(|c| format!("; did you mean `{address}.{c}`?"))
                .unwrap_or_else(|| format!("; it has {}", names.join(", ")));
            bail!("{address} has no attribute `{attr}`{hint}");
        };
        return Ok(Selected::Attribute(address, k, v));
    }
    let names: Vec<String> = state.resources.keys().map(ToString::to_string).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let wanted = parts[..parts.len().min(2)].join(".");
    let hint = match closest(&wanted, &refs) {
        Some(c) => format!("; did you mean `{c}`?"),
        None if names.is_empty() => String::new(),
        None => "; `hybridk8s state list` shows its resources".to_string(),
    };
    bail!("stack `{}` has no resource `{wanted}`{hint}", state.name)
}

fn sensitive(kind: Kind, attr: &str) -> bool {
    kinds::schema(kind).attribute(attr).is_some_and(|a| a.sensitive)
}

fn shown_json(kind: Kind, k: &str, v: &Value) -> J {
    if sensitive(kind, k) {
        J::String("(sensitive)".into())
    } else {
        v.to_json()
    }
}

fn attrs_json(kind: Kind, attrs: &Attrs) -> J {
    J::Object(attrs.iter().map(|(k, v)| (k.clone(), shown_json(kind, k, v))).collect())
}

fn to_json(state: &StackState, selected: &Selected) -> J {
    match selected {
        Selected::All => J::Object(
            state
                .resources
                .iter()
                .map(|(a, e)| (a.to_string(), attrs_json(a.kind, &e.attrs)))
                .collect(),
        ),
        Selected::Resource(a, attrs) => attrs_json(a.kind, attrs),
        Selected::Attribute(a, k, v) => shown_json(a.kind, k, v),
    }
}

/// One attribute as a line value: manifests are named, not printed.
fn line_value(kind: Kind, k: &str, v: &Value) -> String {
    if sensitive(kind, k) {
        "(sensitive)".into()
    } else if k == "manifest" {
        format!("(manifest, {} lines)", v.as_str().unwrap_or_default().lines().count())
    } else {
        v.to_string()
    }
}

fn resource_text(out: &mut String, a: &Address, attrs: &Attrs) {
    let width = attrs.keys().map(String::len).max().unwrap_or(0);
    for (k, v) in attrs.iter().filter(|(_, v)| !v.is_null()) {
        let _ = writeln!(out, "  {k:width$} = {}", line_value(a.kind, k, v));
    }
}

fn human(state: &StackState, selected: &Selected) -> String {
    let mut out = String::new();
    match selected {
        Selected::All => {
            for (i, (a, e)) in state.resources.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                let _ = writeln!(out, "{a}:");
                resource_text(&mut out, a, &e.attrs);
            }
        }
        Selected::Resource(a, attrs) => {
            let _ = writeln!(out, "{a}:");
            resource_text(&mut out, a, attrs);
        }
        // One value, raw, for `$(hybridk8s output … cluster_network.aks.id)`.
        Selected::Attribute(a, k, v) => match v {
            Value::String(s) if !sensitive(a.kind, k) => {
                let _ = writeln!(out, "{s}");
            }
            _ => {
                let _ = writeln!(out, "{}", line_value(a.kind, k, v));
            }
        },
    }
    out
}
