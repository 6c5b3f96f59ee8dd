//! `cluster_network`: the cluster's own VNET and node subnet, sized from a
//! scaling plan, with its service, DNS-service, pod and bridge ranges.

use super::cluster_sizing::sizing_hint;
use super::util;
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::net;
use crate::graph::schema::{Attribute, Attrs, Schema};
use crate::graph::sizing::{self, thousands, Plan, Plugin, PodIpAllocation};
use crate::graph::value::{AttrPath, Type, Value};
use crate::graph::{Ctx, Kind, Resource};
use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

pub fn schema() -> Schema {
    Schema {
        kind: Kind::ClusterNetwork,
        version: 0,
        description: "The cluster's own virtual network and node subnet, sized from its scaling plan, with the service, DNS-service, pod and bridge ranges checked against every declared network. Only a new name, resource group or location needs a new VNET; the node subnet is fixed once the cluster exists, and sizing changes that still fit it are made in place.",
        attrs: util::insert_settable([vec![
            Attribute::required("name", Type::String, "Name of the virtual network.").replace(),
            Attribute::required("resource_group_name", Type::String, "Resource group of the virtual network.").replace().was("resource_group"),
            Attribute::required("location", Type::String, "Azure region, e.g. `westeurope`.").replace(),
            Attribute::required("address_space", Type::list(Type::Cidr), "Address ranges of the cluster VNET (CIDR). Ranges can be added in place (peerings are then synced); a range that holds a subnet cannot be removed."),
        ], super::cluster_modes::attrs(), vec![
            Attribute::required("max_nodes", Type::Number, "Maximum node count of the autoscaler (AKS sizes for the maximum, not the current count)."),
            Attribute::optional("surge_nodes", Type::Number, "Extra nodes during upgrades.").default(Value::Number(1)),
            Attribute::optional_computed("max_pods", Type::Number, "Pods per node, 10 to 250. Defaults per plugin: 250 for `azure_cni_overlay`, 110 for `azure_cni_pod_subnet` and `kubenet`, 30 for `azure_cni`."),
            Attribute::optional("internal_lb_ips", Type::Number, "Addresses reserved in the node subnet for internal load-balancer frontends, one per internal `lb_service` (checked). In the DSL it defaults to the internal `lb_service`s declared on the cluster in the same file.").default(Value::Number(0)),
            Attribute::optional("node_subnet_name", Type::String, "Name of the node subnet, fixed once the cluster exists.").default(Value::str("nodes")),
            Attribute::optional_computed("node_subnet_cidr", Type::Cidr, "Node subnet prefix. Defaults to the smallest prefix that holds `required_ip_count`, at the start of the first address range. Fixed once the cluster exists: later sizing changes must fit it."),
            Attribute::optional_computed("pod_cidr", Type::Cidr, "Pod range of `azure_cni_overlay` and `kubenet` (a /24 per node, so a /16 carries 256 nodes); it must not overlap the VNET, peered VNETs or on-premises, and may be shared by clusters. Defaults to `10.244.0.0/16`; unused by `azure_cni` and `azure_cni_pod_subnet`. AKS fixes it at cluster creation."),
            Attribute::optional("service_cidr", Type::Cidr, "Kubernetes service range: never routed, smaller than a /12, overlapping no network. AKS fixes it at cluster creation.").default(Value::str("10.0.0.0/16")),
            Attribute::optional_computed("dns_service_ip", Type::Ip, "Cluster DNS service IP inside `service_cidr` (not the first or broadcast address). Defaults to its .10. AKS fixes it at cluster creation."),
            Attribute::optional("docker_bridge_cidr", Type::String, "Docker bridge address and prefix on each node (interface form, e.g. `172.17.0.1/16`). AKS fixes it at cluster creation.").default(Value::str("172.17.0.1/16")),
            Attribute::optional("dns_servers", Type::list(Type::Ip), "Custom DNS servers of the VNET (DHCP options), in order. Nodes see a change only after a DHCP renew or reboot.").default(Value::List(vec![])),
            Attribute::optional("tags", Type::map(Type::String), "Azure tags of the virtual network, merged with the tags hybridk8s keeps on it (owner, role, subnets: names starting `hybridk8s-`, which are reserved). Changed in place; tags another tool sets are kept, and a tag removed here is removed from the network.").default(Value::Map(Default::default())).max_items(crate::graph::kinds::util::MAX_USER_TAGS),
            Attribute::optional("avoid", Type::list(Type::Cidr), "Further ranges this cluster must not overlap (on-premises, other environments).").default(Value::List(vec![])),
            Attribute::computed("id", Type::String, "Azure resource ID of the virtual network."),
            Attribute::computed("resource_guid", Type::String, "ARM's `resourceGuid` of the virtual network: new whenever the VNET is created again."),
            Attribute::computed("node_subnet_id", Type::String, "Azure resource ID of the node subnet."),
            Attribute::computed("required_ip_count", Type::Number, "Addresses the node subnet must hold for the scaling plan at the autoscaler maximum plus the surge nodes of an upgrade, the 5 Azure reserves included: `(max_nodes + surge_nodes) × (1 + max_pods)` with `azure_cni`, `max_nodes + surge_nodes` with the other plugins, plus `internal_lb_ips`."),
            Attribute::computed("max_nodes_supported", Type::Number, "Nodes (surge excluded) the node subnet, the pod range or pod subnet, and the plugin's node limit (kubenet 400, Azure CNI 5,000) can carry."),
        ], super::cluster_modes::computed()].concat(), [super::cluster_private::attrs(), util::kubeconfig_attrs(false)].concat()),
        blocks: vec![super::hub::subnets_block(), super::timeouts::block()],
    }
}

pub(super) fn plan_of(a: &Attrs) -> Option<Plan> {
    let plugin = Plugin::parse(util::s(a, "plugin")?)?;
    let allocation = util::s(a, "pod_ip_allocation").map_or(Some(PodIpAllocation::Dynamic), PodIpAllocation::parse)?;
    let n = |k: &str| util::i(a, k).and_then(|v| u64::try_from(v).ok());
    Some(Plan {
        plugin,
        max_nodes: n("max_nodes")?,
        surge_nodes: n("surge_nodes")?,
        max_pods: n("max_pods")?,
        internal_lb_ips: n("internal_lb_ips")?,
        allocation,
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
    super::cluster_modes::derive(attrs);
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
    super::cluster_sizing::derive_pod_subnet(attrs, &PLAN);
    sizing_attrs(attrs);
    super::cluster_private::compute(attrs);
}

/// The inputs of the sizing.
const PLAN: [&str; 6] = [
    "plugin",
    "max_nodes",
    "surge_nodes",
    "max_pods",
    "internal_lb_ips",
    "pod_ip_allocation",
];

/// `required_ip_count`, `required_pod_ip_count` and `max_nodes_supported`
/// from the plan and the subnets.
pub(super) fn sizing_attrs(attrs: &mut Attrs) {
    super::cluster_sizing::pod_ip_count(attrs, &PLAN);
    util::set_computed(attrs, "required_ip_count", &PLAN, |a| {
        plan_of(a)
            .and_then(|p| p.required_ip_count())
            .and_then(|n| i64::try_from(n).ok())
            .map_or(Value::Null, Value::Number)
    });
    let mut inputs = PLAN.to_vec();
    inputs.extend(["node_subnet_cidr", "pod_cidr", "pod_subnet_cidr"]);
    util::set_computed(attrs, "max_nodes_supported", &inputs, |a| {
        let cidr = |k: &str| util::s(a, k).and_then(|s| net::parse_cidr(s).ok());
        let (pods, pod_subnet) = (cidr("pod_cidr"), cidr("pod_subnet_cidr"));
        match (plan_of(a), cidr("node_subnet_cidr")) {
            (Some(p), Some(sn)) => Value::Number(
                i64::try_from(p.max_nodes_supported(&sn, pods.as_ref(), pod_subnet.as_ref())).unwrap_or(i64::MAX),
            ),
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
    let plugin = super::cluster_modes::rules(r, d).plugin;
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
                            "{} needs {} addresses (/{prefix}); its first range {first} holds {}",
                            r.address,
                            thousands(need),
                            thousands(net::usable(first))
                        ),
                    )
                    .at(&r.address, AttrPath::attr("address_space").index(*i))
                    .hint(sizing_hint(&p, need, prefix)),
                );
            }
        }
    }
    if let (Some((p, need, prefix)), Some(sn)) = (sized, subnet) {
        if let Some(h) = super::cluster_sizing::headroom_diagnostic(&r.address, &p, need, prefix, &sn) {
            d.push(h);
        } else if net::size(&sn) < need {
            d.push(
                Diagnostic::error(
                    "subnet-too-small",
                    format!(
                        "needs {} addresses (/{prefix}); {sn} holds {}",
                        thousands(need),
                        thousands(net::usable(&sn))
                    ),
                )
                .at(&r.address, AttrPath::attr("node_subnet_cidr"))
                .hint(sizing_hint(&p, need, prefix)),
            );
        }
    }
    let pod_subnet = plan
        .filter(|p| p.plugin == Plugin::AzureCniPodSubnet)
        .and_then(|p| super::cluster_sizing::pod_subnet_rules(r, &p, &space, d));
    if let Some(sn) = subnet {
        let mut subnets = vec![(
            sn,
            (
                AttrPath::attr("node_subnet_cidr"),
                r.str("node_subnet_name").unwrap_or("nodes").to_string(),
            ),
        )];
        if let Some(ps) = pod_subnet {
            subnets.push((
                ps,
                (
                    AttrPath::attr("pod_subnet_cidr"),
                    r.str("pod_subnet_name").unwrap_or("pods").to_string(),
                ),
            ));
        }
        subnets.extend(super::hub::extra_subnets(r, d));
        subnets.extend(super::cluster_private::subnets(r));
        super::hub::subnet_rules(r, &space, &subnets, d);
    }
    super::cluster_private::rules(r, d);

    // Node limits, the pod range of overlay and kubenet, pod_cidr unused.
    super::cluster_sizing::node_rules(r, plugin, plan, pod, d);

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
