//! `lb_service`: a public or internal Azure load-balanced Service.

use super::util;
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::manifests;
use crate::graph::schema::{Attribute, Attrs, Schema};
use crate::graph::value::{AttrPath, Type, Value};
use crate::graph::{Ctx, Kind, Resource};

pub fn schema() -> Schema {
    Schema {
        kind: Kind::LbService,
        version: 0,
        description: "A Service of type LoadBalancer: public, or internal (private Azure load balancer, frontend taken from a cluster subnet and counted in sizing). With backend `azure` it is applied to the cluster the kubeconfig names, as an `external_service` is.",
        attrs: util::insert_settable(vec![
            Attribute::required("cluster_network_id", Type::String, "ID of the `hybridk8s_cluster_network`.").replace().was("cluster_id"),
            Attribute::required("name", Type::String, "Service name, a DNS-1035 label.").replace(),
            Attribute::optional("namespace", Type::String, "Namespace of the Service.").default(Value::str("default")).replace(),
            Attribute::required("selector", Type::map(Type::String), "Pod labels the Service selects."),
            Attribute::optional("internal", Type::Bool, "Internal (private) load balancer instead of a public one.").default(Value::Bool(false)),
            Attribute::optional("internal_subnet", Type::String, "Subnet of the cluster VNET for the internal frontend (annotation `azure-load-balancer-internal-subnet`)."),
            Attribute::optional("load_balancer_ip", Type::Ip, "Fixed frontend IP; for an internal load balancer it lies in the cluster's node subnet or `internal_subnet`."),
            Attribute::computed("id", Type::String, "ID: the cluster ID, then `/namespaces/<namespace>/services/<name>`."),
            Attribute::computed("manifest", Type::String, "The Service as YAML."),
        ], util::kubeconfig_attrs(true)),
        blocks: vec![super::external_service::ports_block(1), super::timeouts::block()],
    }
}

pub fn compute(attrs: &mut Attrs, _ctx: &Ctx) {
    super::external_service::complete_ports(attrs);
    util::set_computed(attrs, "id", &["cluster_network_id", "namespace", "name"], |a| {
        match (
            util::s(a, "cluster_network_id"),
            util::s(a, "namespace"),
            util::s(a, "name"),
        ) {
            (Some(c), Some(ns), Some(n)) => Value::str(super::k8s_id(c, ns, "services", n)),
            _ => Value::Null,
        }
    });
    let m =
        manifests::objects_of(Kind::LbService, attrs).map_or(Value::Unknown, |o| Value::str(manifests::to_yaml(&o)));
    attrs.insert("manifest".into(), m);
}

pub fn rules(r: &Resource, d: &mut Diagnostics) {
    super::external_service::service_rules(r, d);
    util::ip(r, "load_balancer_ip", d);
    if r.bool("internal") == Some(false) && !r.get("internal_subnet").is_null() {
        d.push(
            Diagnostic::error(
                "internal-subnet-on-public",
                "`internal_subnet` is set on a public load balancer",
            )
            .at(&r.address, AttrPath::attr("internal_subnet"))
            .hint("set internal = true, or remove internal_subnet"),
        );
    }
    if r.get("selector").as_map().is_some_and(|m| m.is_empty()) {
        d.push(
            Diagnostic::error("empty-selector", "a load-balanced Service needs a selector")
                .at(&r.address, AttrPath::attr("selector")),
        );
    }
}
