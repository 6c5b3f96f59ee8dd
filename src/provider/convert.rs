//! The edge between generated types and graph values: dynamic values,
//! diagnostics and attribute paths.

use super::cty::{self, CtyError, CtyType};
use super::proto::tfplugin5 as pb;
use crate::graph::diag::{Diagnostic, Severity};
use crate::graph::value::{AttrPath, PathStep, Value};
use crate::graph::Kind;
use pb::attribute_path::step::Selector;

/// Decodes a DynamicValue: msgpack, else JSON, else (both empty) null.
pub fn decode(dv: Option<&pb::DynamicValue>, ty: &CtyType) -> Result<Value, CtyError> {
    match dv {
        Some(d) if !d.msgpack.is_empty() => cty::decode_msgpack(&d.msgpack, ty),
        Some(d) if !d.json.is_empty() => cty::decode_json(&d.json, ty),
        _ => Ok(Value::Null),
    }
}

/// Encodes a value as a msgpack DynamicValue.
pub fn encode(v: &Value, ty: &CtyType) -> Result<pb::DynamicValue, CtyError> {
    Ok(pb::DynamicValue {
        msgpack: cty::encode_msgpack(v, ty)?,
        json: vec![],
    })
}

/// A graph attribute path as tfplugin5 steps.
pub fn path(p: &AttrPath) -> pb::AttributePath {
    pb::AttributePath {
        steps: p
            .0
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attr(a) => Selector::AttributeName(a.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i as i64),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                }),
            })
            .collect(),
    }
}

/// A resource object Terraform sent (state or plan): a former attribute
/// name folded into the attribute it became.
pub fn folded(kind: Kind, v: Value) -> Value {
    match v {
        Value::Map(mut m) => {
            let schema = crate::graph::kinds::schema(kind);
            let _ = schema.fold_aliases(&crate::graph::Address::new(kind, "state"), &mut m);
            Value::Map(m)
        }
        other => other,
    }
}

/// A resource object for Terraform: each former name holds its attribute's value.
pub fn mirrored(kind: Kind, v: &Value) -> Value {
    match v {
        Value::Map(m) => {
            let mut m = m.clone();
            crate::graph::kinds::schema(kind).mirror_aliases(&mut m);
            Value::Map(m)
        }
        other => other.clone(),
    }
}

/// A graph diagnostic as a tfplugin5 diagnostic: the summary after the
/// rule's catalogue ID (`HK201: needs 1586 addresses…`; see
/// `docs/rules/HK201.md`), then the hint and related objects as detail, with
/// the attribute path.
pub fn diagnostic(d: &Diagnostic) -> pb::Diagnostic {
    let mut detail: Vec<String> = d
        .related
        .iter()
        .map(|r| format!("See {}: {}", r.address, r.label))
        .collect();
    let mut summary = d.summary.clone();
    match &d.hint {
        Some(h) => detail.insert(0, h.clone()),
        // A warning says what and why: the why as the detail Terraform
        // shows under the summary.
        None if d.severity == Severity::Warning => {
            if let Some((what, why)) = d.summary.split_once(": ").filter(|(_, w)| !w.is_empty()) {
                let mut why = why.to_string();
                if let Some(first) = why.get(..1) {
                    why.replace_range(..1, &first.to_uppercase());
                }
                detail.insert(0, why);
                summary = what.to_string();
            }
        }
        None => {}
    }
    let summary = match crate::graph::catalogue::by_code(d.code) {
        Some(r) => format!("{}: {}", r.id, terraform_names(&summary)),
        None => terraform_names(&summary),
    };
    let detail = terraform_names(&detail.join("\n"));
    pb::Diagnostic {
        severity: match d.severity {
            Severity::Error => pb::diagnostic::Severity::Error,
            Severity::Warning => pb::diagnostic::Severity::Warning,
        } as i32,
        summary: bounded(&summary),
        detail: bounded(&detail),
        attribute: (!d.path.is_root()).then(|| path(&d.path)),
    }
}

/// Graph addresses in a message (`hub.hub`, `cluster_network.k8s-dev-vnet`)
/// as a Terraform user knows the objects: by resource type and name
/// (`hybridk8s_hub_network "hub"`). Terraform does not tell a provider the
/// configuration's labels; it names the resource a diagnostic is about
/// itself. A resource without a name reads "this".
pub fn terraform_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while !rest.is_empty() {
        let at_word = out
            .chars()
            .last()
            .is_none_or(|c| !(c.is_alphanumeric() || "_.-/".contains(c)));
        if at_word {
            for kind in Kind::ALL {
                let Some(after) = rest.strip_prefix(kind.keyword()).and_then(|r| r.strip_prefix('.')) else {
                    continue;
                };
                // An object known by its Azure ID (from the backend, not
                // this plan) goes by the ID's last segment, its name.
                let by_id = after.starts_with('/');
                let len = after
                    .find(|c: char| {
                        !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || (by_id && (c == '/' || c == '.')))
                    })
                    .unwrap_or(after.len());
                // A sentence's full stop after an ID is not part of it.
                let len = after[..len].trim_end_matches('.').len();
                let name = after[..len].rsplit('/').next().unwrap_or_default();
                if name.is_empty() {
                    continue;
                }
                if name == "this" {
                    out.push_str(&format!("this {}", kind.terraform_type()));
                } else {
                    out.push_str(&format!("{} \"{name}\"", kind.terraform_type()));
                }
                rest = &after[len..];
                continue 'scan;
            }
        }
        let c = rest.chars().next().expect("not empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The longest message text sent: a message quoting a megabyte value says
/// no more than its first few thousand characters.
const MAX_MESSAGE_CHARS: usize = 4096;

fn bounded(text: &str) -> String {
    match crate::graph::diag::cut(text, MAX_MESSAGE_CHARS) {
        (kept, 0) => kept.to_string(),
        (kept, more) => format!("{kept}… ({more} more bytes)"),
    }
}

pub fn diagnostics<'a>(ds: impl IntoIterator<Item = &'a Diagnostic>) -> Vec<pb::Diagnostic> {
    ds.into_iter().map(diagnostic).collect()
}

/// A value that could not be read or written, as a diagnostic at its path.
pub fn cty_error(what: &str, e: &CtyError) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: pb::diagnostic::Severity::Error as i32,
        summary: format!("{what}: {}", e.message),
        detail: String::new(),
        attribute: (!e.path.is_root()).then(|| path(&e.path)),
    }
}

/// An error diagnostic without a path.
pub fn error(summary: impl Into<String>) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: pb::diagnostic::Severity::Error as i32,
        summary: summary.into(),
        detail: String::new(),
        attribute: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Address;

    #[test]
    fn messages_name_objects_as_terraform_does() {
        assert_eq!(
            terraform_names("overlaps hub.hub (see cluster_network.k8s-dev-vnet.node_subnet_cidr)"),
            "overlaps hybridk8s_hub_network \"hub\" (see hybridk8s_cluster_network \"k8s-dev-vnet\".node_subnet_cidr)"
        );
        assert_eq!(
            terraform_names("dns_upstream.this has two"),
            "this hybridk8s_dns_upstream has two"
        );
        // IDs and host names are left alone.
        let id = "/x/virtualNetworks/hub.hub and db.hub.local and myhub.hub";
        assert_eq!(terraform_names(id), id);
        // An object known by its ID goes by the ID's last segment.
        assert_eq!(
            terraform_names("dns_upstream./subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/namespaces/kube-system/configmaps/coredns-custom: nameserver"),
            "hybridk8s_dns_upstream \"coredns-custom\": nameserver"
        );
    }

    #[test]
    fn a_warning_has_a_summary_and_a_detail() {
        let a = Address::new(Kind::DnsUpstream, "this");
        let w = Diagnostic::warning(
            "vnet-dns-change",
            "the servers are the VNET's: nodes see them after a renew",
        )
        .at(&a, AttrPath::attr("nameservers"));
        let p = diagnostic(&w);
        let id = crate::graph::catalogue::id_of("vnet-dns-change");
        assert_eq!(p.summary, format!("{id}: the servers are the VNET's"));
        assert_eq!(p.detail, "Nodes see them after a renew");
        let hinted = Diagnostic::warning("x", "a: b").hint("do c");
        assert_eq!(
            (
                diagnostic(&hinted).summary.as_str(),
                diagnostic(&hinted).detail.as_str()
            ),
            ("a: b", "do c")
        );
    }

    /// A state written before the renames (only the former names, none of
    /// the new attributes) upgrades to one holding both names: no plan diff,
    /// no replacement.
    #[test]
    fn a_state_from_before_the_renames_upgrades_in_place() {
        let old = serde_json::json!({
            "id": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
            "name": "v", "resource_group": "rg", "location": "westeurope",
            "address_space": ["10.40.0.0/16"], "max_nodes": 10
        });
        let v = super::super::core::upgrade(Kind::ClusterNetwork, 0, old.to_string().as_bytes()).unwrap();
        let v = mirrored(Kind::ClusterNetwork, &folded(Kind::ClusterNetwork, v));
        let m = v.as_map().unwrap();
        assert_eq!(m.get("resource_group_name"), Some(&Value::str("rg")));
        assert_eq!(m.get("resource_group"), Some(&Value::str("rg")));
        assert_eq!(m.get("tags"), Some(&Value::Map(Default::default())));
        assert_eq!(m.get("timeouts"), Some(&Value::List(vec![])));
        let peering = serde_json::json!({"id": "/p", "cluster_id": "/c", "hub_id": "/h"});
        let v = super::super::core::upgrade(Kind::Peering, 0, peering.to_string().as_bytes()).unwrap();
        let v = mirrored(Kind::Peering, &folded(Kind::Peering, v));
        assert_eq!(v.as_map().unwrap().get("cluster_network_id"), Some(&Value::str("/c")));
    }
}
