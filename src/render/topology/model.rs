//! The picture's model: what each box shows, read from the graph. Tables are
//! rows of label, address and note, so addresses line up in one column;
//! values known only after apply read `(known after apply)`.

use crate::graph::{net, value::UNKNOWN_MARKER, Address, Graph, Kind, Resource, Value};
use std::collections::{BTreeMap, HashMap};

/// One table row: what, its address or range, and a remark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub value: String,
    pub note: String,
}

fn row(label: impl Into<String>, value: impl Into<String>, note: impl Into<String>) -> Row {
    Row {
        label: label.into(),
        value: value.into(),
        note: note.into(),
    }
}

/// Rows `label | v` for each value, the label on the first only.
fn rows(label: &str, values: &[String], note: &str) -> Vec<Row> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            row(
                if i == 0 { label } else { "" },
                v.clone(),
                if i == 0 { note } else { "" },
            )
        })
        .collect()
}

/// An on-premises site.
#[derive(Debug, Clone)]
pub struct Site {
    pub address: Address,
    pub name: String,
    pub rows: Vec<Row>,
}

/// A hub VNET and its gateway.
#[derive(Debug, Clone)]
pub struct Hub {
    pub address: Address,
    pub name: String,
    pub looked_up: bool,
    /// `ExpressRoute` / `VPN` / unknown; `None` without a gateway.
    pub gateway: Option<String>,
    pub ranges: Vec<Row>,
    pub subnets: Vec<Row>,
    pub dns: Vec<Row>,
}

/// A cluster VNET and the Kubernetes cluster in it.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub address: Address,
    pub name: String,
    /// Address space, network plugin, VNET DNS servers.
    pub ranges: Vec<Row>,
    pub subnets: Vec<Row>,
    /// `AKS`, with `private API server` when private.
    pub kubernetes_title: String,
    /// Pod and service ranges, the DNS service IP.
    pub kubernetes: Vec<Row>,
    pub services: Vec<Row>,
    pub dns_title: String,
    pub dns: Vec<Row>,
}

/// The clusters of one environment (a top-level module instance), or of
/// the root program (`environment: None`).
#[derive(Debug, Clone)]
pub struct Group {
    pub environment: Option<String>,
    pub clusters: Vec<Cluster>,
}

/// A peering between a hub and a cluster VNET.
#[derive(Debug, Clone)]
pub struct Peering {
    pub address: Address,
    pub hub: Option<Address>,
    pub cluster: Option<Address>,
    /// The hub lets the cluster use its gateway and the cluster uses it.
    pub transit: bool,
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LinkKind {
    /// A site reaches a hub's gateway.
    Gateway,
    /// DNS queries are forwarded there.
    Dns,
    /// A Service's endpoints lie there.
    Endpoints,
}

/// An edge between two boxes (node IDs of [`super::dot`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    pub from: String,
    pub to: String,
    pub kind: LinkKind,
    pub labels: Vec<String>,
}

/// Everything the picture shows, each list sorted by address.
#[derive(Debug, Clone, Default)]
pub struct Picture {
    pub sites: Vec<Site>,
    pub hubs: Vec<Hub>,
    pub groups: Vec<Group>,
    pub peerings: Vec<Peering>,
    pub links: Vec<Link>,
}

/// The node ID of a resource's main box, and of its parts.
pub fn node(a: &Address) -> String {
    a.to_string()
}
pub fn gateway_node(a: &Address) -> String {
    format!("{a}/gateway")
}
pub fn kubernetes_node(a: &Address) -> String {
    format!("{a}/kubernetes")
}

/// A value as text: `None` when null.
fn text(v: &Value) -> Option<String> {
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
fn texts(v: &Value) -> Vec<String> {
    match v {
        Value::List(items) => items.iter().filter_map(text).collect(),
        Value::Null => Vec::new(),
        other => text(other).into_iter().collect(),
    }
}

fn attr(r: &Resource, name: &str) -> Option<String> {
    text(r.get(name))
}

/// `zone → targets` forwarding rules of a `dns_forwarders` block.
fn forwarders(r: &Resource) -> Vec<(String, Vec<String>)> {
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

fn forward_rows(fw: &[(String, Vec<String>)]) -> Vec<Row> {
    fw.iter()
        .flat_map(|(zone, targets)| rows(&format!("forwards {zone}"), targets, ""))
        .collect()
}

/// The `subnets` block items as rows.
fn extra_subnets(r: &Resource) -> Vec<Row> {
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

/// Builds the picture of the resources `keep` accepts.
pub fn build(graph: &Graph, keep: impl Fn(&Address) -> bool) -> Picture {
    let resources: Vec<&Resource> = graph.sorted().into_iter().filter(|r| keep(&r.address)).collect();
    let by_id: HashMap<String, &Address> = resources
        .iter()
        .filter_map(|r| r.id().map(|id| (id.to_ascii_lowercase(), &r.address)))
        .collect();
    // The resource of `kind` an attribute names by ID, else the one of that
    // kind it depends on.
    let target = |r: &Resource, id_attr: &str, kind: Kind| -> Option<Address> {
        r.str(id_attr)
            .and_then(|id| by_id.get(&id.to_ascii_lowercase()))
            .filter(|a| a.kind == kind)
            .map(|a| (*a).clone())
            .or_else(|| r.depends_on.iter().find(|d| d.kind == kind && keep(d)).cloned())
    };
    let of = |kind: Kind| resources.iter().copied().filter(move |r| r.kind() == kind);

    let mut pic = Picture {
        sites: of(Kind::Onprem).map(site).collect(),
        hubs: of(Kind::Hub).map(|r| hub(r, graph.is_lookup(&r.address))).collect(),
        ..Picture::default()
    };

    // Cluster parts: attachments, Services and DNS per cluster address.
    let mut notes: HashMap<(Address, String), Vec<String>> = HashMap::new();
    let mut services: HashMap<Address, Vec<Row>> = HashMap::new();
    let mut dns: HashMap<Address, (String, Vec<Row>)> = HashMap::new();
    for r in &resources {
        let Some(c) = target(r, "cluster_network_id", Kind::ClusterNetwork) else {
            continue;
        };
        match r.kind() {
            Kind::NetworkSecurityGroup | Kind::RouteTable => {
                let (what, block) = if r.kind() == Kind::NetworkSecurityGroup {
                    ("NSG", "rule")
                } else {
                    ("route table", "route")
                };
                let n = r.get(block).as_list().map_or(0, <[Value]>::len);
                let plural = if n == 1 { "" } else { "s" };
                let mut note = format!("{what} {} ({n} {block}{plural})", attr(r, "name").unwrap_or_default());
                if r.bool("bgp_route_propagation_enabled") == Some(false) {
                    note.push_str(", gateway routes off");
                }
                let subnet = attr(r, "subnet_name").unwrap_or_else(|| UNKNOWN_MARKER.into());
                notes.entry((c, subnet)).or_default().push(note);
            }
            Kind::LbService | Kind::ExternalService => services.entry(c).or_default().push(service(r)),
            Kind::DnsUpstream => {
                let flavor = attr(r, "flavor").unwrap_or_default();
                let entry = dns.entry(c).or_insert_with(|| (String::new(), Vec::new()));
                entry.0 = format!("DNS forwarding ({flavor})");
                entry
                    .1
                    .extend(rows("everything else", &texts(r.get("nameservers")), ""));
                if let Some(m) = r.get("stub_domains").as_map() {
                    for (zone, servers) in m {
                        entry.1.extend(rows(zone, &texts(servers), "stub domain"));
                    }
                }
            }
            _ => {}
        }
    }

    let mut groups: BTreeMap<Option<String>, Vec<Cluster>> = BTreeMap::new();
    for r in of(Kind::ClusterNetwork) {
        let a = r.address.clone();
        let mut c = cluster(r, |subnet| {
            notes.remove(&(a.clone(), subnet.to_string())).unwrap_or_default()
        });
        c.services = services.remove(&a).unwrap_or_default();
        if let Some((title, rows)) = dns.remove(&a) {
            c.dns_title = title;
            c.dns = rows;
        }
        groups.entry(a.module.first().cloned()).or_default().push(c);
    }
    pic.groups = groups
        .into_iter()
        .map(|(environment, clusters)| Group { environment, clusters })
        .collect();

    for r in of(Kind::Peering) {
        pic.peerings.push(peering(
            r,
            target(r, "hub_id", Kind::Hub),
            target(r, "cluster_network_id", Kind::ClusterNetwork),
        ));
    }
    pic.links = links(&pic, &resources, &target);
    pic
}

fn site(r: &Resource) -> Site {
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

fn hub(r: &Resource, looked_up: bool) -> Hub {
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

fn cluster(r: &Resource, mut notes: impl FnMut(&str) -> Vec<String>) -> Cluster {
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

fn service(r: &Resource) -> Row {
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

fn peering(r: &Resource, hub: Option<Address>, cluster: Option<Address>) -> Peering {
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

/// Gateway links (each site to each hub gateway), DNS forwarding and
/// Service endpoints to the network holding the address.
fn links(
    pic: &Picture,
    resources: &[&Resource],
    target: &dyn Fn(&Resource, &str, Kind) -> Option<Address>,
) -> Vec<Link> {
    let mut found: BTreeMap<(String, String, LinkKind), Vec<String>> = BTreeMap::new();
    let mut add = |from: String, to: String, kind: LinkKind, label: String| {
        // Not to the box it is drawn in (a Service's endpoints in its own VNET).
        if from == to || from.starts_with(&format!("{to}/")) {
            return;
        }
        let labels = found.entry((from, to, kind)).or_default();
        if !labels.contains(&label) {
            labels.push(label);
        }
    };
    for h in &pic.hubs {
        if let Some(g) = &h.gateway {
            for s in &pic.sites {
                add(node(&s.address), gateway_node(&h.address), LinkKind::Gateway, g.clone());
            }
        }
    }
    // Where an address lies: the smallest network of the picture holding it.
    let mut ranges: Vec<(ipnet::Ipv4Net, String)> = Vec::new();
    for r in resources {
        if matches!(r.kind(), Kind::Onprem | Kind::Hub | Kind::ClusterNetwork) {
            for s in r.get("address_space").strings() {
                if let Ok(n) = net::parse_cidr(s) {
                    ranges.push((n, node(&r.address)));
                }
            }
        }
    }
    let holder = |ip: &str| -> Option<String> {
        let host = ip.split(':').next().unwrap_or(ip);
        let ip: std::net::Ipv4Addr = host.parse().ok()?;
        ranges
            .iter()
            .filter(|(n, _)| n.contains(&ip))
            .max_by_key(|(n, _)| n.prefix_len())
            .map(|(_, a)| a.clone())
    };
    for r in resources {
        let cluster = target(r, "cluster_network_id", Kind::ClusterNetwork).map(|a| kubernetes_node(&a));
        match (r.kind(), cluster) {
            (Kind::Onprem | Kind::Hub, _) => {
                for (zone, targets) in forwarders(r) {
                    for t in targets.iter().filter_map(|t| holder(t)) {
                        add(node(&r.address), t, LinkKind::Dns, zone.clone());
                    }
                }
            }
            (Kind::ClusterNetwork, _) => {
                for t in r.get("dns_servers").strings().into_iter().filter_map(holder) {
                    add(node(&r.address), t, LinkKind::Dns, "VNET DNS".into());
                }
            }
            (Kind::DnsUpstream, Some(from)) => {
                for t in r.get("nameservers").strings().into_iter().filter_map(holder) {
                    add(from.clone(), t, LinkKind::Dns, "upstream".into());
                }
                for (zone, servers) in r.get("stub_domains").as_map().into_iter().flatten() {
                    for t in servers.strings().into_iter().filter_map(holder) {
                        add(from.clone(), t, LinkKind::Dns, zone.clone());
                    }
                }
            }
            (Kind::ExternalService, Some(from)) => {
                let name = attr(r, "name").unwrap_or_default();
                for t in r.get("endpoints").strings().into_iter().filter_map(holder) {
                    add(from.clone(), t, LinkKind::Endpoints, name.clone());
                }
            }
            _ => {}
        }
    }
    found
        .into_iter()
        .map(|((from, to, kind), labels)| Link { from, to, kind, labels })
        .collect()
}
