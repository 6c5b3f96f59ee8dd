//! The `hybridk8s_flow_check` data source: one flow, named by IDs, answered
//! over the plan's graph (the plan store, completed by the fabric) so that
//! it answers when the plan is made. A verdict other than `expect` is an
//! error at `expect`, with the blocker in the summary and the path in the
//! detail.

use crate::graph::diag::Diagnostic;
use crate::graph::flow::{self, Destination, Flow, FlowError, Network, Part, Ref, Side, Source, Verdict};
use crate::graph::packet::Protocol;
use crate::graph::schema::{Attribute, Attrs, Schema};
use crate::graph::value::{AttrPath, Type, Value};
use crate::graph::{net, Address, Graph, Kind};
use ipnet::Ipv4Net;

/// Type name of the flow check data source.
pub const FLOW_CHECK_DATA_SOURCE: &str = "hybridk8s_flow_check";

/// The data source's schema.
pub fn schema() -> Schema {
    Schema {
        // Not a resource kind; `kind` is unused for a data source of its own.
        kind: Kind::Onprem,
        version: 0,
        description: "Checks at plan time that traffic can (or cannot) pass: from a cluster's pods or nodes, an on-premises range or a hub, to an address or a Service, on a protocol and port. Answered over the resources of the plan (and what the backend holds) with a verdict, the path as hops, and the first blocker (peering not transitive, no gateway transit, hub without gateway, pod SNAT, overlapping ranges, missing route, NSG rule). A verdict other than `expect` fails the plan. Give exactly one of `from_cluster_network_id`, `from_address` and `from_hub_id`, and one of `to_address` and `to_service_id`.",
        attrs: vec![
            Attribute::optional("from_cluster_network_id", Type::String, "The flow starts at this cluster network's pods or nodes (`from_side`)."),
            Attribute::optional("from_side", Type::String, "With `from_cluster_network_id`: `pods` or `nodes`.").default(Value::str("pods")),
            Attribute::optional("from_address", Type::String, "The flow starts at this address or range (an on-premises range, say): an IP or a CIDR in a declared network."),
            Attribute::optional("from_hub_id", Type::String, "The flow starts in this hub network."),
            Attribute::optional("to_address", Type::String, "The flow goes to this IP (or the first usable address of this CIDR)."),
            Attribute::optional("to_service_id", Type::String, "The flow goes to this `hybridk8s_external_service` (its endpoints) or `hybridk8s_lb_service` (its frontend)."),
            Attribute::optional("port", Type::Number, "Destination port (TCP and UDP); a Service with one port gives its own."),
            Attribute::optional("protocol", Type::String, "`tcp`, `udp`, `icmp` or `any`.").default(Value::str("tcp")),
            Attribute::optional("expect", Type::String, "`reachable` or `blocked`: the plan fails when the verdict differs.").default(Value::str("reachable")),
            Attribute::computed("id", Type::String, "The flow, as `from -> to:port/protocol`."),
            Attribute::computed("verdict", Type::String, "`reachable` or `blocked`."),
            Attribute::computed("path", Type::list(Type::String), "The hops, in order, up to the destination or the blocker."),
            Attribute::computed("blocker", Type::String, "The kind of the first blocker (`peering-not-transitive`, `no-gateway-transit`, `hub-without-gateway`, `pod-snat`, `overlapping-ranges`, `missing-route`, `not-peered`, `nsg-rule`, `route-dropped`, `port-not-exposed`, `cluster-only-service`); null when reachable."),
            Attribute::computed("blocker_message", Type::String, "What blocks it and why; null when reachable."),
        ],
        blocks: vec![],
    }
}

fn err(part: &str, message: impl Into<String>, hint: impl Into<String>) -> Diagnostic {
    Diagnostic::error(flow::CODE_INVALID, message)
        .at(&Address::new(Kind::Onprem, "flow_check"), AttrPath::attr(part))
        .hint(hint)
}

fn range(s: &str) -> Option<Ipv4Net> {
    net::parse_cidr(s)
        .ok()
        .or_else(|| net::parse_ip(s).ok().and_then(|ip| Ipv4Net::new(ip, 32).ok()))
}

/// The choices of a configuration that can be checked before its values are
/// known: exactly one source and one destination are set (an unknown value
/// counts as set, as it will be).
pub fn shape(cfg: &Attrs) -> Result<(), Diagnostic> {
    let set = |k: &str| cfg.get(k).is_some_and(|v| !v.is_null());
    let count = |ks: &[&str]| ks.iter().filter(|k| set(k)).count();
    if count(&["from_cluster_network_id", "from_address", "from_hub_id"]) != 1 {
        return Err(err(
            "from_cluster_network_id",
            "give exactly one of from_cluster_network_id, from_address and from_hub_id",
            "a flow starts at a cluster's pods or nodes, an address or range, or a hub",
        ));
    }
    if count(&["to_address", "to_service_id"]) != 1 {
        return Err(err(
            "to_address",
            "give exactly one of to_address and to_service_id",
            "a flow goes to an address or a Service",
        ));
    }
    Ok(())
}

/// The flow a configuration describes, or what is wrong with it.
pub fn parse(cfg: &Attrs) -> Result<Flow, Diagnostic> {
    let s = |k: &str| cfg.get(k).and_then(Value::as_str);
    let from = match (s("from_cluster_network_id"), s("from_address"), s("from_hub_id")) {
        (Some(c), None, None) => {
            let side = s("from_side").unwrap_or("pods");
            let side = Side::parse(side).ok_or_else(|| {
                err(
                    "from_side",
                    format!("`{side}` is not a side of a cluster"),
                    "use `pods` or `nodes`",
                )
            })?;
            Source::Cluster {
                cluster: Ref::Id(c.to_string()),
                side,
            }
        }
        (None, Some(a), None) => Source::Address(range(a).ok_or_else(|| {
            err(
                "from_address",
                format!("`{a}` is neither an address nor a range"),
                "write an IP (10.1.2.3) or a CIDR (10.1.0.0/24)",
            )
        })?),
        (None, None, Some(h)) => Source::Hub(Ref::Id(h.to_string())),
        _ => {
            return Err(err(
                "from_cluster_network_id",
                "give exactly one of from_cluster_network_id, from_address and from_hub_id",
                "a flow starts at a cluster's pods or nodes, an address or range, or a hub",
            ))
        }
    };
    let to = match (s("to_address"), s("to_service_id")) {
        (Some(a), None) => Destination::Address(range(a).ok_or_else(|| {
            err(
                "to_address",
                format!("`{a}` is neither an address nor a range"),
                "write an IP (10.1.2.3) or a CIDR",
            )
        })?),
        (None, Some(id)) => Destination::Service(Ref::Id(id.to_string())),
        _ => {
            return Err(err(
                "to_address",
                "give exactly one of to_address and to_service_id",
                "a flow goes to an address or a Service",
            ))
        }
    };
    let protocol = s("protocol").unwrap_or("tcp");
    let protocol = Protocol::parse(protocol).ok_or_else(|| {
        err(
            "protocol",
            format!("`{protocol}` is not a protocol"),
            "use tcp, udp, icmp or any",
        )
    })?;
    let expect = s("expect").unwrap_or("reachable");
    let expect = Verdict::parse(expect).ok_or_else(|| {
        err(
            "expect",
            format!("`{expect}` is not a verdict"),
            "use reachable or blocked",
        )
    })?;
    let port = match cfg.get("port").and_then(Value::as_i64) {
        None => None,
        Some(p) => Some(
            u16::try_from(p)
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| err("port", format!("port {p} is out of range"), "a port is 1 to 65535"))?,
        ),
    };
    let name = format!(
        "{from} -> {to}{}/{protocol}",
        port.map_or(String::new(), |p| format!(":{p}"))
    );
    Ok(Flow {
        name,
        from,
        to,
        protocol,
        port,
        expect,
    })
}

/// The IDs a flow names, with their kinds (to read from the backend what
/// the plan lacks).
pub fn references(cfg: &Attrs) -> Vec<(Kind, String)> {
    let s = |k: &str| cfg.get(k).and_then(Value::as_str).map(str::to_string);
    let mut out = Vec::new();
    if let Some(c) = s("from_cluster_network_id") {
        out.push((Kind::ClusterNetwork, c));
    }
    if let Some(h) = s("from_hub_id") {
        out.push((Kind::Hub, h));
    }
    if let Some(id) = s("to_service_id") {
        // Both Service kinds have IDs of one shape: either may hold it.
        out.push((Kind::LbService, id.clone()));
        out.push((Kind::ExternalService, id));
    }
    out
}

/// Answers the configured flow over `graph`: the data source's state and
/// its diagnostics (a mismatch with `expect` is an error at `expect`).
pub fn answer(cfg: &Attrs, graph: &Graph) -> (Attrs, Vec<Diagnostic>) {
    let mut state = cfg.clone();
    let flow = match parse(cfg) {
        Ok(f) => f,
        Err(d) => return (state, vec![d]),
    };
    state.insert("id".into(), Value::str(&flow.name));
    let answer = match Network::new(graph).answer(&flow) {
        Ok(a) => a,
        Err(FlowError { part, message, hint }) => {
            let attr = match (part, &flow.from, &flow.to) {
                (Part::From, Source::Cluster { .. }, _) => "from_cluster_network_id",
                (Part::From, Source::Hub(_), _) => "from_hub_id",
                (Part::From, _, _) => "from_address",
                (Part::To, _, Destination::Service(_)) => "to_service_id",
                (Part::To, _, _) => "to_address",
                (Part::Port, _, _) => "port",
                (Part::Protocol, _, _) => "protocol",
            };
            return (state, vec![err(attr, message, hint)]);
        }
    };
    state.insert("verdict".into(), Value::str(answer.verdict.name()));
    state.insert(
        "path".into(),
        Value::list_of_str(answer.path.iter().map(String::as_str)),
    );
    let (kind, msg) = match &answer.blocker {
        Some(b) => (Value::str(b.kind()), Value::str(b.explain())),
        None => (Value::Null, Value::Null),
    };
    state.insert("blocker".into(), kind);
    state.insert("blocker_message".into(), msg);
    let diags = flow::mismatch(&flow, &answer)
        .map(|(code, message, hint)| {
            Diagnostic::error(code, message)
                .at(&Address::new(Kind::Onprem, "flow_check"), AttrPath::attr("expect"))
                .hint(hint)
        })
        .into_iter()
        .collect();
    (state, diags)
}
