//! Each resource's box contents, read from its attributes.

use super::model::{row, rows, Cluster, Hub, Peering, Row, Site};
use crate::graph::{value::UNKNOWN_MARKER, Address, Kind, Resource, Value};

/// A value as text: `None` when null.
pub(super) fn text(v: &Value) -> Option<String> {
    match v {
        Value::Unknown => Some(UNKNOWN_MARKER.to_string()),
        Value::Null => None,
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::List(items) => Some(items.iter().filter_map(text).collect::<Vec<_>>().join(", ")),
        Value::Map(m) => Some(
            m.iter()
                .map(|(k, v)| format!("{k}={}", text(v).unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    }
}

/// The items of a list value as text (an unknown list: one unknown item).
pub(super) fn texts(v: &Value) -> Vec<String> {
    match v {
        Value::List(items) => items.iter().filter_map(text).collect(),
        Value::Null => Vec::new(),
        other => text(other).into_iter().collect(),
    }
}

pub(super) fn attr(r: &Resource, name: &str) -> Option<String> {
    text(r.get(name))
}

/// `zone → targets` forwarding rules of a `dns_forwarders` block.
pub(super) fn forwarders(r: &Resource) -> Vec<(String, Vec<String>)> {
    match r.get("dns_forwarders") {
        Value::List(items) => items
            .iter()
            .filter_map(|i| {
                let m = i.as_map()?;
                let zone = m.get("zone").and_then(text)?;
                Some((zone, m.get("targets").map(texts).unwrap_or_default()))
            })
            .collect(),
        Value::Unknown => vec![(UNKNOWN_MARKER.to_string(), Vec::new())],
        _ => Vec::new(),
    }
}

pub(super) fn forward_rows(fw: &[(String, Vec<String>)]) -> Vec<Row> {
    fw.iter()
        .flat_map(|(zone, targets)| rows(&format!("forwards {zone}"), targets, ""))
        .collect()
}

/// The `subnets` block items as rows.
pub(super) fn extra_subnets(r: &Resource) -> Vec<Row> {
    match r.get("subnets") {
        Value::List(items) => items
            .iter()
            .filter_map(Value::as_map)
            .map(|m| {
                row(
                    m.get("name").and_then(text).unwrap_or_default(),
                    m.get("cidr").and_then(text).unwrap_or_default(),
                    "",
                )
            })
            .collect(),
        Value::Unknown => vec![row("subnets", UNKNOWN_MARKER, "")],
        _ => Vec::new(),
    }
}

pub(super) fn site(r: &Resource) -> Site {
    let mut v = rows("address space", &texts(r.get("address_space")), "");
    v.extend(rows("DNS servers", &texts(r.get("dns_servers")), ""));
    v.extend(rows("domains", &texts(r.get("domains")), ""));
    v.extend(forward_rows(&forwarders(r)));
    Site {
        address: r.address.clone(),
        name: attr(r, "name").unwrap_or_else(|| r.address.name.clone()),
        rows: v,
    }
}

pub(super) fn hub(r: &Resource, looked_up: bool) -> Hub {
    let gateway = match r.get("gateway") {
        Value::String(g) if g == "none" => None,
        Value::String(g) if g == "expressroute" => Some("ExpressRoute".to_string()),
        Value::String(g) if g == "vpn" => Some("VPN".to_string()),
        v => text(v),
    };
    let mut subnets = Vec::new();
    if let Some(g) = &gateway {
        if let Some(cidr) = attr(r, "gateway_subnet_cidr") {
            subnets.push(row("GatewaySubnet", cidr, format!("{g} gateway")));
        }
    }
    subnets.extend(extra_subnets(r));
    let mut dns = rows("DNS servers", &texts(r.get("dns_servers")), "");
    dns.extend(rows(
        "DNS resolver",
        &texts(r.get("dns_resolver_ips")),
        "inbound endpoint",
    ));
    dns.extend(forward_rows(&forwarders(r)));
    let zones: Vec<String> = texts(r.get("private_dns_zone_ids"))
        .into_iter()
        .map(|id| id.rsplit('/').next().unwrap_or_default().to_string())
        .collect();
    dns.extend(rows("private DNS zones", &zones, "linked"));
    Hub {
        address: r.address.clone(),
        name: attr(r, "name").unwrap_or_else(|| r.address.name.clone()),
        looked_up,
        gateway,
        ranges: rows("address space", &texts(r.get("address_space")), ""),
        subnets,
        dns,
    }
}

fn plugin_name(p: &str) -> &str {
    match p {
        "azure_cni" => "Azure CNI",
        "azure_cni_overlay" => "Azure CNI Overlay",
        "azure_cni_pod_subnet" => "Azure CNI, pod subnet",
        "kubenet" => "kubenet",
        "calico" => "Calico",
        other => other,
    }
}

pub(super) fn cluster(r: &Resource, mut notes: impl FnMut(&str) -> Vec<String>) -> Cluster {
    let mut ranges = rows("address space", &texts(r.get("address_space")), "");
    let plugin = attr(r, "plugin").unwrap_or_default();
    let mut network = plugin_name(&plugin).to_string();
    for (a, what) in [("dataplane", "dataplane"), ("network_policy", "policy")] {
        if let Some(v) = attr(r, a).filter(|v| v != "none" && v != "azure") {
            network.push_str(&format!(", {what} {v}"));
        }
    }
    ranges.push(row("network", "", network));
    ranges.extend(rows("DNS servers", &texts(r.get("dns_servers")), "VNET"));

    let mut subnets = Vec::new();
    for (name, cidr, what) in [
        ("node_subnet_name", "node_subnet_cidr", "nodes"),
        ("pod_subnet_name", "pod_subnet_cidr", "pods"),
        ("api_server_subnet_name", "api_server_subnet_cidr", "API server"),
    ] {
        let Some(cidr) = attr(r, cidr) else { continue };
        let name = attr(r, name).unwrap_or_else(|| what.to_string());
        let mut note = vec![what.to_string()];
        note.extend(notes(&name));
        subnets.push(row(name, cidr, note.join("; ")));
    }
    for mut s in extra_subnets(r) {
        s.note = notes(&s.label).join("; ");
        subnets.push(s);
    }
    // Attachments to a subnet the VNET does not list (unknown names).
    let unknown = notes(UNKNOWN_MARKER);
    if !unknown.is_empty() {
        subnets.push(row(UNKNOWN_MARKER, "", unknown.join("; ")));
    }

    let mut kubernetes = Vec::new();
    match attr(r, "pod_cidr") {
        Some(p) => kubernetes.push(row("pod CIDR", p, "overlay, never routed")),
        None => {
            let from = if attr(r, "pod_subnet_cidr").is_some() {
                "pod"
            } else {
                "node"
            };
            kubernetes.push(row("pod IPs", "", format!("from the {from} subnet")));
        }
    }
    if let Some(s) = attr(r, "service_cidr") {
        kubernetes.push(row("service CIDR", s, "never routed"));
    }
    if let Some(ip) = attr(r, "dns_service_ip") {
        kubernetes.push(row("DNS service IP", ip, "kube-dns"));
    }
    if let (Some(n), Some(p)) = (attr(r, "max_nodes"), attr(r, "max_pods")) {
        kubernetes.push(row("scale", "", format!("up to {n} nodes × {p} pods")));
    }
    let kubernetes_title = if r.bool("private_cluster") == Some(true) {
        "AKS, private API server"
    } else {
        "AKS"
    };
    Cluster {
        address: r.address.clone(),
        name: attr(r, "name").unwrap_or_else(|| r.address.name.clone()),
        ranges,
        subnets,
        kubernetes_title: kubernetes_title.to_string(),
        kubernetes,
        services: Vec::new(),
        dns_title: String::new(),
        dns: Vec::new(),
    }
}

/// `port→target` of each item of `ports`.
fn ports(r: &Resource) -> String {
    r.get("ports")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .filter_map(Value::as_map)
        .map(|m| {
            let port = m.get("port").and_then(text).unwrap_or_default();
            match m.get("target_port").and_then(text) {
                Some(t) if t != port => format!("{port}→{t}"),
                _ => port,
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn service(r: &Resource) -> Row {
    let mut name = attr(r, "name").unwrap_or_else(|| r.address.name.clone());
    if let Some(ns) = attr(r, "namespace").filter(|ns| ns != "default") {
        name = format!("{ns}/{name}");
    }
    let ports = ports(r);
    let with_ports = |what: &str| {
        if ports.is_empty() {
            what.to_string()
        } else {
            format!("{what} · {ports}")
        }
    };
    if r.kind() == Kind::LbService {
        let what = if r.bool("internal") == Some(true) {
            match attr(r, "internal_subnet") {
                Some(s) => format!("internal LB in {s}"),
                None => "internal LB".to_string(),
            }
        } else {
            "public LB".to_string()
        };
        return row(name, attr(r, "load_balancer_ip").unwrap_or_default(), with_ports(&what));
    }
    match attr(r, "external_name") {
        Some(n) => row(name, n, "ExternalName"),
        None => row(name, texts(r.get("endpoints")).join(", "), with_ports("Endpoints")),
    }
}

pub(super) fn peering(r: &Resource, hub: Option<Address>, cluster: Option<Address>) -> Peering {
    let transit_allowed = r.bool("allow_gateway_transit") == Some(true);
    let remote = r.bool("use_remote_gateways") == Some(true);
    let mut lines = vec![format!(
        "peering {}",
        attr(r, "name").unwrap_or_else(|| r.address.name.clone())
    )];
    lines.push(match (transit_allowed, remote) {
        (true, true) => "gateway transit: hub → cluster".to_string(),
        (true, false) => "hub allows gateway transit, unused".to_string(),
        (false, true) => "cluster asks for the hub's gateway".to_string(),
        (false, false) => "no gateway transit".to_string(),
    });
    lines.push(format!(
        "state {}",
        attr(r, "peering_state").unwrap_or_else(|| UNKNOWN_MARKER.into())
    ));
    Peering {
        address: r.address.clone(),
        hub,
        cluster,
        transit: transit_allowed && remote,
        lines,
    }
}
