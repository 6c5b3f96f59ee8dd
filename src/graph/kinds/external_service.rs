//! `external_service`: an on-premises backend inside the cluster, as a
//! selectorless Service + Endpoints (same name) or an ExternalName Service.

use super::util;
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::manifests;
use crate::graph::net;
use crate::graph::schema::{Attribute, Attrs, Block, Schema};
use crate::graph::value::{AttrPath, Type, Value};
use crate::graph::{Ctx, Kind, Resource};
use ipnet::Ipv4Net;

pub const PROTOCOLS: [&str; 3] = ["TCP", "UDP", "SCTP"];
/// The values of `endpoints_api`.
pub const ENDPOINTS_APIS: [&str; 2] = ["discovery", "v1"];

pub fn schema() -> Schema {
    Schema {
        kind: Kind::ExternalService,
        version: 0,
        description: "A backend outside the cluster (usually on premises) published as a Service: selectorless Service + an EndpointSlice of the same name (`kubernetes.io/service-name`; v1 Endpoints with `endpoints_api = \"v1\"`) for IP endpoints, or an ExternalName Service for a DNS name. Endpoints are checked for reachability; they are not health-checked. With backend `azure` the objects are applied to the cluster the kubeconfig names: created without adopting an existing one, changed with server-side apply (field manager `hybridk8s`), the EndpointSlice owned by the Service.",
        attrs: util::insert_settable(vec![
            Attribute::required("cluster_network_id", Type::String, "ID of the `hybridk8s_cluster_network`.").replace().was("cluster_id"),
            Attribute::required("name", Type::String, "Service (and Endpoints) name, a DNS-1035 label.").replace(),
            Attribute::optional("namespace", Type::String, "Namespace of the Service.").default(Value::str("default")).replace(),
            Attribute::optional("endpoints", Type::list(Type::Ip), "Backend IPs, at most 1,000 (what one EndpointSlice holds). Each must be reachable: on premises (through the hub gateway), in a peered hub, or in the cluster VNET.").default(Value::List(vec![])).max_items(1000),
            Attribute::optional("external_name", Type::String, "DNS name for an ExternalName Service (no IP, no port). Exclusive with `endpoints`."),
            Attribute::computed("id", Type::String, "ID: the cluster ID, then `/namespaces/<namespace>/services/<name>`."),
            Attribute::computed("manifest", Type::String, "The Service (and Endpoints) as YAML."),
        ], { let mut v = util::kubeconfig_attrs(true); v.push(Attribute::optional("endpoints_api", Type::String, "Which API holds the endpoints of a selectorless Service: `discovery` (an EndpointSlice `discovery.k8s.io/v1` named like the Service, labelled `kubernetes.io/service-name`) or `v1` (the v1 `Endpoints` object, deprecated since Kubernetes 1.33). Changed in place: the Service stays.").default(Value::str("discovery"))); v }),
        blocks: vec![ports_block(0), super::timeouts::block()],
    }
}

/// The `ports` block shared by the Service kinds.
pub fn ports_block(min_items: usize) -> Block {
    Block {
        name: "ports",
        description: "Service ports, at most 100 (what one EndpointSlice holds).",
        attrs: vec![
            Attribute::optional(
                "name",
                Type::String,
                "Port name (required when there is more than one port).",
            ),
            Attribute::required("port", Type::Number, "Port the Service listens on."),
            Attribute::optional_computed("target_port", Type::Number, "Port on the backend. Defaults to `port`."),
            Attribute::optional("protocol", Type::String, "`TCP`, `UDP` or `SCTP`.").default(Value::str("TCP")),
        ],
        min_items,
        // What one EndpointSlice holds.
        max_items: 100,
        requires_replace: false,
    }
}

/// Fills `target_port` from `port` in every ports item.
pub fn complete_ports(attrs: &mut Attrs) {
    if let Some(Value::List(items)) = attrs.get_mut("ports") {
        for item in items {
            if let Value::Map(m) = item {
                if m.get("target_port").is_none_or(Value::is_null) {
                    let p = m.get("port").cloned().unwrap_or(Value::Null);
                    m.insert("target_port".into(), p);
                }
            }
        }
    }
}

pub fn compute(attrs: &mut Attrs, _ctx: &Ctx) {
    complete_ports(attrs);
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
    let m = manifests::objects_of(Kind::ExternalService, attrs)
        .map_or(Value::Unknown, |o| Value::str(manifests::to_yaml(&o)));
    attrs.insert("manifest".into(), m);
}

/// Name, namespace and port rules shared by the Service kinds.
pub fn service_rules(r: &Resource, d: &mut Diagnostics) {
    if let Some(n) = r.str("name") {
        if !util::is_dns1035_label(n) {
            d.push(
                Diagnostic::error(
                    "invalid-service-name",
                    format!("service name `{n}` is not a DNS-1035 label"),
                )
                .at(&r.address, AttrPath::attr("name"))
                .hint("lowercase letters, digits and -, starting with a letter, at most 63 characters"),
            );
        }
    }
    if let Some(ns) = r.str("namespace") {
        if !util::is_dns1123_subdomain(ns) || ns.contains('.') {
            d.push(
                Diagnostic::error("invalid-namespace", format!("namespace `{ns}` is not a DNS-1123 label"))
                    .at(&r.address, AttrPath::attr("namespace")),
            );
        }
    }
    let items = r.get("ports").as_list().unwrap_or(&[]);
    for (i, item) in items.iter().enumerate() {
        let Some(m) = item.as_map() else { continue };
        let base = AttrPath::attr("ports").index(i);
        for k in ["port", "target_port"] {
            if k == "target_port" && m.get("target_port") == m.get("port") {
                continue; // defaulted from port: one message is enough
            }
            if let Some(p) = m.get(k).and_then(Value::as_i64) {
                if !(1..=65535).contains(&p) {
                    d.push(
                        Diagnostic::error("invalid-port", format!("{k} {p} is not between 1 and 65535"))
                            .at(&r.address, base.clone().then(k)),
                    );
                }
            }
        }
        if let Some(p) = m.get("protocol").and_then(Value::as_str) {
            if !PROTOCOLS.contains(&p) {
                d.push(
                    Diagnostic::error(
                        "invalid-protocol",
                        format!("protocol `{p}` is not one of TCP, UDP, SCTP"),
                    )
                    .at(&r.address, base.clone().then("protocol")),
                );
            }
        }
        if items.len() > 1 && m.get("name").is_none_or(Value::is_null) {
            d.push(
                Diagnostic::error(
                    "unnamed-port",
                    format!("ports[{i}] needs a name: a Service with several ports names each one"),
                )
                .at(&r.address, base.clone()),
            );
        }
    }
}

/// Addresses no Endpoints object may hold.
pub fn forbidden_endpoint(ip: std::net::Ipv4Addr) -> Option<&'static str> {
    let in_ = |s: &str| s.parse::<Ipv4Net>().is_ok_and(|n| n.contains(&ip));
    if in_("127.0.0.0/8") {
        Some("loopback (127.0.0.0/8)")
    } else if in_("169.254.0.0/16") {
        Some("link-local (169.254.0.0/16)")
    } else if in_("224.0.0.0/24") {
        Some("link-local multicast (224.0.0.0/24)")
    } else if ip.is_unspecified() || ip.is_broadcast() {
        Some("not a host address")
    } else {
        None
    }
}

pub fn rules(r: &Resource, d: &mut Diagnostics) {
    service_rules(r, d);
    if let Some(api) = r.str("endpoints_api").filter(|a| !ENDPOINTS_APIS.contains(a)) {
        d.push(
            Diagnostic::error(
                "invalid-endpoints-api",
                format!("`endpoints_api` is `{api}`; expected `discovery` or `v1`"),
            )
            .at(&r.address, AttrPath::attr("endpoints_api"))
            .hint("`discovery` (the default) writes an EndpointSlice; `v1` the deprecated v1 Endpoints object"),
        );
    }
    let endpoints = util::ip_list(r, "endpoints", d);
    let has_eps = r.get("endpoints").as_list().is_some_and(|l| !l.is_empty());
    let ext = r.str("external_name");
    if ext.is_some() && r.str("endpoints_api") == Some("v1") {
        d.push(
            Diagnostic::warning(
                "endpoints-api-unused",
                "`endpoints_api` has no effect on an ExternalName Service (it has no endpoints object)",
            )
            .at(&r.address, AttrPath::attr("endpoints_api"))
            .hint("remove `endpoints_api`, or list `endpoints` instead of `external_name` for a selectorless Service"),
        );
    }
    match (has_eps, ext) {
        (true, Some(_)) => d.push(
            Diagnostic::error(
                "endpoints-and-external-name",
                "set either `endpoints` (selectorless Service) or `external_name`, not both",
            )
            .at(&r.address, AttrPath::attr("external_name")),
        ),
        (false, None) if !r.get("endpoints").is_unknown() && !r.get("external_name").is_unknown() => d.push(
            Diagnostic::error(
                "no-backend",
                format!(
                    "external_service `{}` has neither `endpoints` nor `external_name`",
                    r.address.name
                ),
            )
            .at(&r.address, AttrPath::root())
            .hint("add endpoints = [<on-prem IP>] or external_name = \"host.domain\""),
        ),
        _ => {}
    }
    for (i, ip) in &endpoints {
        if let Some(why) = forbidden_endpoint(*ip) {
            d.push(
                Diagnostic::error(
                    "invalid-endpoint",
                    format!("endpoint {ip} is {why}; Endpoints may not hold it"),
                )
                .at(&r.address, AttrPath::attr("endpoints").index(*i)),
            );
        }
    }
    if has_eps && r.get("ports").as_list().is_some_and(<[Value]>::is_empty) {
        d.push(
            Diagnostic::error("no-ports", "a selectorless Service needs at least one port")
                .at(&r.address, AttrPath::attr("ports"))
                .hint("ports = [{ port = 80, target_port = 8080 }]"),
        );
    }
    if let Some(host) = ext {
        let path = AttrPath::attr("external_name");
        if net::parse_ip(host).is_ok() {
            d.push(
                Diagnostic::error(
                    "external-name-is-ip",
                    format!("external_name `{host}` is an IP address; ExternalName takes a DNS name"),
                )
                .at(&r.address, path)
                .hint("for an IP backend use endpoints = [...] instead"),
            );
        } else if host.contains(':') {
            d.push(
                Diagnostic::error(
                    "external-name-port",
                    format!("external_name `{host}` has a port; ExternalName takes a bare DNS name"),
                )
                .at(&r.address, path)
                .hint("put the port in `ports`"),
            );
        } else if !util::is_dns1123_subdomain(host.trim_end_matches('.')) {
            d.push(
                Diagnostic::error(
                    "invalid-external-name",
                    format!("external_name `{host}` is not a DNS name"),
                )
                .at(&r.address, path),
            );
        }
    }
}
