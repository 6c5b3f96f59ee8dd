//! `cluster_network`: the cluster's own VNET and node subnet, sized from a
//! scaling plan, with its service, DNS-service, pod and bridge ranges.

use super::util;
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::net;
use crate::graph::schema::{Attribute, Attrs, Schema};
use crate::graph::sizing::{self, Plan, Plugin};
use crate::graph::value::{AttrPath, Type, Value};
use crate::graph::{Ctx, Kind, Resource};
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

pub fn schema() -> Schema {
    Schema {
        kind: Kind::ClusterNetwork,
        version: 0,
        description: "The cluster's own virtual network and node subnet, sized from its scaling plan, with the service, DNS-service, pod and bridge ranges checked against every declared network. Only a new name, resource group or location needs a new VNET; the node subnet is fixed once the cluster exists, and sizing changes that still fit it are made in place.",
        attrs: util::insert_settable(vec![
            Attribute::required("name", Type::String, "Name of the virtual network.").replace(),
            Attribute::required("resource_group_name", Type::String, "Resource group of the virtual network.").replace().was("resource_group"),
            Attribute::required("location", Type::String, "Azure region, e.g. `westeurope`.").replace(),
            Attribute::required("address_space", Type::list(Type::Cidr), "Address ranges of the cluster VNET (CIDR). Ranges can be added in place (peerings are then synced); a range that holds a subnet cannot be removed."),
            Attribute::optional("plugin", Type::String, "Network plugin: `azure_cni` (pods take VNET addresses), `kubenet` or `calico` (only nodes do).").default(Value::str("azure_cni")),
            Attribute::required("max_nodes", Type::Number, "Maximum node count of the autoscaler (AKS sizes for the maximum, not the current count)."),
            Attribute::optional("surge_nodes", Type::Number, "Extra nodes during upgrades.").default(Value::Number(1)),
            Attribute::optional_computed("max_pods", Type::Number, "Pods per node, 10 to 250. Defaults to 30 for `azure_cni`, 110 otherwise."),
            Attribute::optional("internal_lb_ips", Type::Number, "Addresses reserved in the node subnet for internal load-balancer frontends, one per internal `lb_service` (checked). In the DSL it defaults to the internal `lb_service`s declared on the cluster in the same file.").default(Value::Number(0)),
            Attribute::optional("node_subnet_name", Type::String, "Name of the node subnet, fixed once the cluster exists.").default(Value::str("nodes")),
            Attribute::optional_computed("node_subnet_cidr", Type::Cidr, "Node subnet prefix. Defaults to the smallest prefix that holds `required_ip_count`, at the start of the first address range. Fixed once the cluster exists: later sizing changes must fit it."),
            Attribute::optional_computed("pod_cidr", Type::Cidr, "Pod range for `kubenet`/`calico` (a /24 per node). Defaults to `10.244.0.0/16`; unused with `azure_cni`. AKS fixes it at cluster creation."),
            Attribute::optional("service_cidr", Type::Cidr, "Kubernetes service range: never routed, smaller than a /12, overlapping no network. AKS fixes it at cluster creation.").default(Value::str("10.0.0.0/16")),
            Attribute::optional_computed("dns_service_ip", Type::Ip, "Cluster DNS service IP inside `service_cidr` (not the first or broadcast address). Defaults to its .10. AKS fixes it at cluster creation."),
            Attribute::optional("docker_bridge_cidr", Type::String, "Docker bridge address and prefix on each node (interface form, e.g. `172.17.0.1/16`). AKS fixes it at cluster creation.").default(Value::str("172.17.0.1/16")),
            Attribute::optional("dns_servers", Type::list(Type::Ip), "Custom DNS servers of the VNET (DHCP options), in order. Nodes see a change only after a DHCP renew or reboot.").default(Value::List(vec![])),
            Attribute::optional("tags", Type::map(Type::String), "Azure tags of the virtual network, merged with the tags hybridk8s keeps on it (owner, role, subnets: names starting `hybridk8s-`, which are reserved). Changed in place; tags another tool sets are kept, and a tag removed here is removed from the network.").default(Value::Map(Default::default())).max_items(crate::graph::kinds::util::MAX_USER_TAGS),
            Attribute::optional("avoid", Type::list(Type::Cidr), "Further ranges this cluster must not overlap (on-premises, other environments).").default(Value::List(vec![])),
            Attribute::computed("id", Type::String, "Azure resource ID of the virtual network."),
            Attribute::computed("resource_guid", Type::String, "ARM's `resourceGuid` of the virtual network: new whenever the VNET is created again."),
            Attribute::computed("node_subnet_id", Type::String, "Azure resource ID of the node subnet."),
            Attribute::computed("required_ip_count", Type::Number, "Addresses the node subnet must hold for the scaling plan, the 5 Azure reserves included."),
            Attribute::computed("max_nodes_supported", Type::Number, "Nodes (surge excluded) the chosen subnet, pod range and route table can carry."),
        ], [super::cluster_private::attrs(), util::kubeconfig_attrs(false)].concat()),
        blocks: vec![super::hub::subnets_block(), super::timeouts::block()],
    }
}

pub(super) fn plan_of(a: &Attrs) -> Option<Plan> {
    let plugin = Plugin::parse(util::s(a, "plugin")?)?;
    let n = |k: &str| util::i(a, k).and_then(|v| u64::try_from(v).ok());
    Some(Plan {
        plugin,
        max_nodes: n("max_nodes")?,
        surge_nodes: n("surge_nodes")?,
        max_pods: n("max_pods")?,
        internal_lb_ips: n("internal_lb_ips")?,
    })
}

pub fn compute(attrs: &mut Attrs, ctx: &Ctx) {
    util::set_computed(attrs, "id", &["name", "resource_group_name"], |a| {
        match (util::s(a, "name"), util::s(a, "resource_group_name")) {
            (Some(n), Some(rg)) => Value::str(super::vnet_id(ctx, rg, n)),
            _ => Value::Null,
        }
    });
    util::set_computed(attrs, "node_subnet_id", &["id", "node_subnet_name"], |a| {
        match (util::s(a, "id"), util::s(a, "node_subnet_name")) {
            (Some(id), Some(s)) => Value::str(format!("{id}/subnets/{s}")),
            _ => Value::Null,
        }
    });
    util::derive(attrs, "max_pods", &["plugin"], |a| {
        util::s(a, "plugin")
            .and_then(Plugin::parse)
            .map_or(Value::Null, |p| Value::Number(p.default_max_pods()))
    });
    util::derive(attrs, "pod_cidr", &["plugin"], |a| {
        match util::s(a, "plugin").and_then(Plugin::parse) {
            Some(p) if p.uses_pod_cidr() => Value::str(sizing::DEFAULT_POD_CIDR),
            _ => Value::Null,
        }
    });
    util::derive(attrs, "dns_service_ip", &["service_cidr"], |a| {
        util::s(a, "service_cidr")
            .and_then(|s| net::parse_cidr(s).ok())
            .and_then(|n| net::nth(&n, 10))
            .map_or(Value::Null, |ip| Value::str(ip.to_string()))
    });
    util::reported(attrs, "resource_guid");
    let mut inputs = PLAN.to_vec();
    inputs.push("address_space");
    util::derive(attrs, "node_subnet_cidr", &inputs, |a| {
        let first = a
            .get("address_space")
            .and_then(Value::as_list)
            .and_then(|l| l.first())
            .and_then(Value::as_str);
        let prefix = plan_of(a).and_then(|p| p.required_prefix());
        match (prefix, first.and_then(|s| net::parse_cidr(s).ok())) {
            (Some(p), Some(range)) if p >= range.prefix_len() => {
                Ipv4Net::new(range.network(), p).map_or(Value::Null, |n| Value::str(n.to_string()))
            }
            _ => Value::Null,
        }
    });
    sizing_attrs(attrs);
    super::cluster_private::compute(attrs);
}

/// The inputs of the sizing.
const PLAN: [&str; 5] = ["plugin", "max_nodes", "surge_nodes", "max_pods", "internal_lb_ips"];

/// `required_ip_count` and `max_nodes_supported` from the plan and the node subnet.
pub(super) fn sizing_attrs(attrs: &mut Attrs) {
    util::set_computed(attrs, "required_ip_count", &PLAN, |a| {
        plan_of(a)
            .and_then(|p| p.required_ip_count())
            .and_then(|n| i64::try_from(n).ok())
            .map_or(Value::Null, Value::Number)
    });
    let mut inputs = PLAN.to_vec();
    inputs.extend(["node_subnet_cidr", "pod_cidr"]);
    util::set_computed(attrs, "max_nodes_supported", &inputs, |a| {
        let subnet = util::s(a, "node_subnet_cidr").and_then(|s| net::parse_cidr(s).ok());
        let pods = util::s(a, "pod_cidr").and_then(|s| net::parse_cidr(s).ok());
        match (plan_of(a), subnet) {
            (Some(p), Some(sn)) => {
                Value::Number(i64::try_from(p.max_nodes_supported(&sn, pods.as_ref())).unwrap_or(i64::MAX))
            }
            _ => Value::Null,
        }
    });
}

/// Address-space checks shared by every VNET: present, parsable, not
/// self-overlapping, outside the ranges Azure and AKS refuse.
pub fn address_space_rules(r: &Resource, d: &mut Diagnostics) -> Vec<(usize, Ipv4Net)> {
    let space = util::cidr_list(r, "address_space", d);
    if r.get("address_space").as_list().is_some_and(<[Value]>::is_empty) {
        d.push(
            Diagnostic::error(
                "empty-address-space",
                format!("{} has an empty address space", r.address),
            )
            .at(&r.address, AttrPath::attr("address_space")),
        );
    }
    let tagged: Vec<_> = space.iter().map(|(i, n)| (*n, *i)).collect();
    for ((a, ia), (b, ib)) in net::find_overlaps(&tagged) {
        d.push(
            Diagnostic::error(
                "address-space-overlap",
                format!("address ranges {b} and {a} of {} overlap", r.address),
            )
            .at(&r.address, AttrPath::attr("address_space").index(ib))
            .related(&r.address, AttrPath::attr("address_space").index(ia), format!("{a}")),
        );
    }
    for (i, n) in &space {
        if let Some(f) = net::forbidden_overlap(n) {
            d.push(
                Diagnostic::error(
                    "reserved-range",
                    format!("address range {n} of {} overlaps {f}, which Azure reserves", r.address),
                )
                .at(&r.address, AttrPath::attr("address_space").index(*i))
                .hint("avoid 169.254.0.0/16, 172.30.0.0/16, 172.31.0.0/16 and 192.0.2.0/24"),
            );
        }
    }
    space
}

pub fn rules(r: &Resource, d: &mut Diagnostics) {
    util::tag_rules(r, d);
    let space = address_space_rules(r, d);
    let plugin = util::one_of(r, "plugin", &Plugin::NAMES, d).and_then(|p| Plugin::parse(&p));
    util::bounded(r, "max_nodes", 1, 5000, d);
    util::bounded(r, "surge_nodes", 0, 1000, d);
    util::bounded(r, "max_pods", sizing::MIN_MAX_PODS, sizing::MAX_MAX_PODS, d);
    util::bounded(r, "internal_lb_ips", 0, 65_536, d);
    let subnet = util::cidr(r, "node_subnet_cidr", d);
    let pod = util::cidr(r, "pod_cidr", d);
    let service = util::cidr(r, "service_cidr", d);
    let dns_ip = util::ip(r, "dns_service_ip", d);
    let bridge = r
        .str("docker_bridge_cidr")
        .and_then(|s| match net::parse_iface_cidr(s) {
            Ok(n) => Some(n.trunc()),
            Err(e) => {
                d.push(Diagnostic::error("invalid-cidr", e).at(&r.address, AttrPath::attr("docker_bridge_cidr")));
                None
            }
        });
    util::ip_list(r, "dns_servers", d);
    util::cidr_list(r, "avoid", d);
    let plan = plan_of(&r.attrs).filter(|_| !d.has_errors());

    // Sizing (within the bounds above, the counts always fit).
    let sized = plan.and_then(|p| Some((p, p.required_ip_count()?, p.required_prefix()?)));
    if let (Some((p, need, prefix)), None) = (sized, subnet) {
        if r.get("node_subnet_cidr").is_null() {
            if let Some((i, first)) = space.first() {
                d.push(
                    Diagnostic::error(
                        "subnet-too-small",
                        format!(
                            "{} needs {need} addresses (/{prefix}); its first range {first} holds {}",
                            r.address,
                            net::usable(first)
                        ),
                    )
                    .at(&r.address, AttrPath::attr("address_space").index(*i))
                    .hint(sizing_hint(&p, need, prefix)),
                );
            }
        }
    }
    if let (Some((p, need, prefix)), Some(sn)) = (sized, subnet) {
        if net::size(&sn) < need {
            d.push(
                Diagnostic::error(
                    "subnet-too-small",
                    format!("needs {need} addresses (/{prefix}); {sn} holds {}", net::usable(&sn)),
                )
                .at(&r.address, AttrPath::attr("node_subnet_cidr"))
                .hint(sizing_hint(&p, need, prefix)),
            );
        }
    }
    if let Some(sn) = subnet {
        let mut subnets = vec![(
            sn,
            (
                AttrPath::attr("node_subnet_cidr"),
                r.str("node_subnet_name").unwrap_or("nodes").to_string(),
            ),
        )];
        subnets.extend(super::hub::extra_subnets(r, d));
        subnets.extend(super::cluster_private::subnets(r));
        super::hub::subnet_rules(r, &space, &subnets, d);
    }
    super::cluster_private::rules(r, d);

    // Kubenet pod range and route table.
    match (plugin, plan) {
        (Some(pl), Some(p)) if pl.uses_pod_cidr() => {
            let nodes = p.max_nodes.saturating_add(p.surge_nodes);
            if nodes > sizing::KUBENET_MAX_NODES {
                d.push(
                    Diagnostic::error(
                        "kubenet-node-cap",
                        format!(
                            "{} nodes ({} + {} surge) exceed the 400-node route-table limit of {}",
                            nodes,
                            p.max_nodes,
                            p.surge_nodes,
                            r.get("plugin")
                        ),
                    )
                    .at(&r.address, AttrPath::attr("max_nodes"))
                    .hint("use azure_cni or split the cluster"),
                );
            }
            if let Some(pc) = pod {
                let slots = sizing::pod_slots(&pc);
                if nodes > slots {
                    d.push(
                        Diagnostic::error(
                            "pod-cidr-too-small",
                            format!("pod_cidr {pc} holds {slots} node ranges (/24 each); the plan needs {nodes} ({} + {} surge)", p.max_nodes, p.surge_nodes),
                        )
                        .at(&r.address, AttrPath::attr("pod_cidr")),
                    );
                }
            }
        }
        (Some(Plugin::AzureCni), _) if !r.get("pod_cidr").is_null() => {
            d.push(
                Diagnostic::warning(
                    "unused-pod-cidr",
                    "`pod_cidr` is ignored with azure_cni: pods take addresses from the node subnet",
                )
                .at(&r.address, AttrPath::attr("pod_cidr")),
            );
        }
        _ => {}
    }

    // Service, DNS-service, pod and bridge ranges among themselves.
    if let Some(sc) = service {
        if sc.prefix_len() <= 12 {
            d.push(
                Diagnostic::error(
                    "service-cidr-too-large",
                    format!(
                        "service_cidr {sc} is a /{}; it must be smaller than a /12",
                        sc.prefix_len()
                    ),
                )
                .at(&r.address, AttrPath::attr("service_cidr")),
            );
        }
        if let Some(ip) = dns_ip {
            dns_service_ip_rules(r, &sc, ip, d);
        } else if r.get("dns_service_ip").is_null() && net::nth(&sc, 10).is_none() {
            d.push(
                Diagnostic::error(
                    "service-cidr-too-small",
                    format!(
                        "service_cidr {sc} holds {} addresses: no .10 address for the cluster DNS service",
                        net::size(&sc)
                    ),
                )
                .at(&r.address, AttrPath::attr("service_cidr"))
                .hint("use a /28 or larger, or set dns_service_ip inside service_cidr"),
            );
        }
    }
    let mut own: Vec<(&str, Ipv4Net)> = Vec::new();
    own.extend(service.map(|n| ("service_cidr", n)));
    own.extend(
        pod.filter(|_| plugin.is_some_and(Plugin::uses_pod_cidr))
            .map(|n| ("pod_cidr", n)),
    );
    own.extend(bridge.map(|n| ("docker_bridge_cidr", n)));
    for (name, n) in &own {
        if let Some(f) = net::forbidden_overlap(n) {
            d.push(
                Diagnostic::error("reserved-range", format!("{name} {n} overlaps {f}, which AKS reserves"))
                    .at(&r.address, AttrPath::attr(name))
                    .hint("avoid 169.254.0.0/16, 172.30.0.0/16, 172.31.0.0/16 and 192.0.2.0/24"),
            );
        }
        for (i, v) in &space {
            if net::overlaps(n, v) {
                d.push(
                    Diagnostic::error(
                        "range-overlap",
                        format!("{name} {n} overlaps the cluster VNET range {v}"),
                    )
                    .at(&r.address, AttrPath::attr(name))
                    .related(&r.address, AttrPath::attr("address_space").index(*i), format!("{v}")),
                );
            }
        }
    }
    for (x, (na, a)) in own.iter().enumerate() {
        for (nb, b) in own.iter().skip(x + 1) {
            if net::overlaps(a, b) {
                d.push(
                    Diagnostic::error("range-overlap", format!("{nb} {b} overlaps {na} {a}"))
                        .at(&r.address, AttrPath::attr(nb))
                        .related(&r.address, AttrPath::attr(na), format!("{a}")),
                );
            }
        }
    }
}

fn sizing_hint(p: &Plan, need: u64, prefix: u8) -> String {
    let nodes = p.max_nodes.saturating_add(p.surge_nodes);
    match p.plugin {
        Plugin::AzureCni => format!(
            "azure_cni pre-allocates 1 + max_pods addresses per node: ({} + {} surge) x (1 + {}) + {} internal LB + 5 reserved = {need}; use a /{prefix} or lower max_nodes/max_pods",
            p.max_nodes, p.surge_nodes, p.max_pods, p.internal_lb_ips
        ),
        _ => format!(
            "{nodes} nodes + {} internal LB + 5 reserved = {need}; use a /{prefix}",
            p.internal_lb_ips
        ),
    }
}

fn dns_service_ip_rules(r: &Resource, sc: &Ipv4Net, ip: Ipv4Addr, d: &mut Diagnostics) {
    let at = AttrPath::attr("dns_service_ip");
    let x = u32::from(ip);
    let msg = if !sc.contains(&ip) {
        Some(format!("dns_service_ip {ip} is not inside service_cidr {sc}"))
    } else if x == net::start(sc) {
        Some(format!(
            "dns_service_ip {ip} is the network address of service_cidr {sc}"
        ))
    } else if net::nth(sc, 1) == Some(ip) {
        Some(format!(
            "dns_service_ip {ip} is the first address of service_cidr {sc}, taken by the `kubernetes` service"
        ))
    } else if x == net::end(sc) {
        Some(format!(
            "dns_service_ip {ip} is the broadcast address of service_cidr {sc}"
        ))
    } else {
        None
    };
    if let Some(m) = msg {
        let hint = match net::nth(sc, 10) {
            Some(ip) => format!("the convention is the .10 address: {ip}"),
            None => format!("service_cidr {sc} has no .10 address; use a /28 or larger"),
        };
        d.push(
            Diagnostic::error("invalid-dns-service-ip", m)
                .at(&r.address, at)
                .related(&r.address, AttrPath::attr("service_cidr"), format!("{sc}"))
                .hint(hint),
        );
    }
}
