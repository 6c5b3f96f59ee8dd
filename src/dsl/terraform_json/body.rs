//! One block as the body of a Terraform `resource` or `data` block: what the
//! DSL's lowering adds on its own made explicit (`cluster = aks` as
//! `cluster_network_id`, `name` from the label, the internal load balancer
//! count, the cluster's kubeconfig and node subnet), former attribute names
//! renamed, nested blocks as JSON block lists (or `dynamic` blocks when the
//! DSL value is computed).

use super::expr::{escape_template, Ctx};
use crate::dsl::ast::{Block, Expr, ExprKind};
use crate::dsl::lower::sugar;
use crate::graph::schema::Presence;
use crate::graph::{kinds, lookup, Kind, Type};
use serde_json::{Map, Value as J};
use std::collections::HashMap;

impl Ctx<'_> {
    /// The body of block `b` of `kind` (`lookup`: a `data` block);
    /// `internal_lbs`: the file's internal `lb_service` count per cluster
    /// label.
    pub fn body(&self, b: &Block, kind: Kind, lookup: bool, internal_lbs: &HashMap<String, i64>) -> Map<String, J> {
        let schema = kinds::schema(kind);
        let mut out = Map::new();
        let mut dynamic = Map::new();
        let mut cluster: Option<&Expr> = None;
        for a in &b.attrs {
            let key = a.key.name.as_str();
            if let Some((target, want)) = sugar(kind, key) {
                if want == Kind::ClusterNetwork {
                    cluster = Some(&a.value);
                }
                out.insert(target.into(), self.id_of(&a.value));
                continue;
            }
            let key = schema.alias(key).map_or(key, |at| at.name);
            if lookup && !lookup::ATTRIBUTES.contains(&key) {
                continue; // refused by the loader
            }
            if let Some(at) = schema.attribute(key) {
                out.insert(key.into(), self.value(&a.value, Some(&at.ty)));
            } else if let Some(bl) = schema.block(key) {
                let item = bl.item_type();
                match &a.value.kind {
                    ExprKind::List(items) if items.iter().all(|i| matches!(i.kind, ExprKind::Object(_))) => {
                        let blocks = items
                            .iter()
                            .map(|i| match &i.kind {
                                ExprKind::Object(attrs) => J::Object(self.object(attrs, Some(&item))),
                                _ => unreachable!("checked: every item is an object"),
                            })
                            .collect();
                        out.insert(key.into(), J::Array(blocks));
                    }
                    _ => {
                        // A computed list of objects: one block per item.
                        let content: Map<String, J> = bl
                            .attrs
                            .iter()
                            .map(|f| {
                                let v = format!("${{lookup({key}.value, \"{0}\", null)}}", f.name);
                                (f.name.to_string(), J::String(v))
                            })
                            .collect();
                        let list = self.hcl(&a.value, Some(&Type::list(item)));
                        let mut d = Map::new();
                        d.insert("for_each".into(), J::String(format!("${{{list}}}")));
                        d.insert("content".into(), J::Object(content));
                        dynamic.insert(key.into(), J::Object(d));
                    }
                }
            }
        }
        let required_name = schema
            .attribute("name")
            .is_some_and(|a| a.presence == Presence::Required || lookup);
        if required_name && !out.contains_key("name") {
            out.insert("name".into(), J::String(escape_template(&b.label.name)));
        }
        if kind == Kind::ClusterNetwork && !out.contains_key("internal_lb_ips") {
            if let Some(&n) = internal_lbs.get(&b.label.name) {
                out.insert("internal_lb_ips".into(), J::from(n));
            }
        }
        if let Some((path, Kind::ClusterNetwork)) = cluster.and_then(|c| self.block_of(c)) {
            // The cluster's kubeconfig (null when it sets none).
            if matches!(kind, Kind::DnsUpstream | Kind::ExternalService | Kind::LbService) {
                for k in ["kubeconfig_path", "kubeconfig_context"] {
                    if !out.contains_key(k) {
                        out.insert(k.into(), J::String(format!("${{{path}.{k}}}")));
                    }
                }
            }
            if matches!(kind, Kind::NetworkSecurityGroup | Kind::RouteTable) && !out.contains_key("subnet_name") {
                out.insert("subnet_name".into(), J::String(format!("${{{path}.node_subnet_name}}")));
            }
        }
        if !dynamic.is_empty() {
            out.insert("dynamic".into(), J::Object(dynamic));
        }
        out
    }
}
