//! The network mode of a `cluster_network` (plugin, pod IP allocation,
//! network policy, dataplane): its attributes, the defaults it derives, the
//! rules that keep a combination AKS accepts, the sizing of the pod subnet,
//! and what an existing cluster may change (domain rules §2, §8; the worked
//! examples are in `docs/sizing.md`).

use super::util;
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::net;
use crate::graph::schema::{Attribute, Attrs};
use crate::graph::sizing::{self, thousands, Dataplane, NetworkPolicy, Plan, Plugin, PodIpAllocation};
use crate::graph::value::{AttrPath, Type, Value};
use crate::graph::{Address, Resource};
use ipnet::Ipv4Net;

/// The settable mode attributes, in the order the docs list them.
pub fn attrs() -> Vec<Attribute> {
    vec![
        Attribute::optional_computed("plugin", Type::String, "Network plugin: `azure_cni_overlay` (the default: only nodes take node-subnet addresses, pods a /24 per node from `pod_cidr`), `azure_cni_pod_subnet` (pods take addresses of the pod subnet `pod_subnet_cidr`), `azure_cni` (node subnet, legacy: every node and pod slot takes a node-subnet address) or `kubenet` (nodes only; pods a /24 per node from `pod_cidr`, routed; end of support 2028-03-31). `calico` is the former name of kubenet with Calico network policy (deprecated). When not set, an existing cluster keeps the plugin it was created with."),
        Attribute::optional("pod_ip_allocation", Type::String, "How `azure_cni_pod_subnet` hands pod addresses to nodes: `dynamic` (batches of 16) or `static_block` (/28 blocks per node; `max_pods` is best `16·N − 1`). Ignored by the other plugins.").default(Value::str("dynamic")),
        Attribute::optional_computed("network_policy", Type::String, "Network policy engine: `none`, `azure` (Azure NPM; Windows support ended 2026-09-30, Linux ends 2028-09-30), `calico` or `cilium` (needs `dataplane = \"cilium\"`). Defaults to `none`, `calico` with plugin `calico`."),
        Attribute::optional("dataplane", Type::String, "Pod dataplane: `azure` or `cilium` (Azure CNI Powered by Cilium: an Azure CNI plugin, Linux nodes only).").default(Value::str("azure")),
        Attribute::optional("windows_nodes", Type::Bool, "Whether the cluster has (or will have) Windows node pools: kubenet and the Cilium dataplane refuse them, Azure NPM no longer supports them.").default(Value::Bool(false)),
        Attribute::optional("pod_subnet_name", Type::String, "Name of the pod subnet of `azure_cni_pod_subnet`.").default(Value::str("pods")),
        Attribute::optional_computed("pod_subnet_cidr", Type::Cidr, "Pod subnet prefix of `azure_cni_pod_subnet`, inside the address space and beside the node subnet. Defaults to the smallest prefix that holds `required_pod_ip_count`, at the first free place of the first address range. Fixed once the cluster exists; unused by the other plugins."),
    ]
}

/// The computed mode attributes.
pub fn computed() -> Vec<Attribute> {
    vec![Attribute::computed("required_pod_ip_count", Type::Number, "Addresses the pod subnet must hold (`azure_cni_pod_subnet`), the 5 Azure reserves included; null with the other plugins.")]
}

/// Derived attributes that follow the plugin (re-derived when an existing
/// cluster keeps its prior plugin).
const FOLLOW_PLUGIN: [&str; 3] = ["max_pods", "pod_cidr", "network_policy"];

/// The mode attributes newer than `plugin`, with their defaults.
const ADDED: [&str; 5] = [
    "pod_ip_allocation",
    "network_policy",
    "dataplane",
    "windows_nodes",
    "pod_subnet_name",
];

pub fn plugin_of(a: &Attrs) -> Option<Plugin> {
    util::s(a, "plugin").and_then(Plugin::parse)
}

/// The pod subnet a cluster network's attributes describe (name, prefix):
/// only `azure_cni_pod_subnet` has one. For the backends, which create it
/// beside the node subnet and report it apart from `subnets`.
pub fn pod_subnet_of(a: &Attrs) -> Option<(String, String)> {
    if plugin_of(a) != Some(Plugin::AzureCniPodSubnet) {
        return None;
    }
    let cidr = util::s(a, "pod_subnet_cidr")?;
    Some((
        util::s(a, "pod_subnet_name").unwrap_or("pods").to_string(),
        cidr.to_string(),
    ))
}

/// The defaults that depend on the plugin (run before the sizing).
pub fn derive(attrs: &mut Attrs) {
    // A plugin known only at apply stays unknown (and so does what follows it).
    if attrs.get("plugin").is_none_or(Value::is_null) {
        attrs.insert("plugin".into(), Value::str(sizing::DEFAULT_PLUGIN.name()));
    }
    util::derive(attrs, "max_pods", &["plugin"], |a| {
        plugin_of(a).map_or(Value::Null, |p| Value::Number(p.default_max_pods()))
    });
    util::derive(attrs, "pod_cidr", &["plugin"], |a| match plugin_of(a) {
        Some(p) if p.uses_pod_cidr() => Value::str(sizing::DEFAULT_POD_CIDR),
        _ => Value::Null,
    });
    util::derive(attrs, "network_policy", &["plugin"], |a| match plugin_of(a) {
        Some(Plugin::Calico) => Value::str("calico"),
        Some(_) => Value::str("none"),
        None => Value::Null,
    });
}

/// The pod subnet's default (after the node subnet's).
pub fn derive_pod_subnet(attrs: &mut Attrs, plan_inputs: &[&str]) {
    let mut inputs = plan_inputs.to_vec();
    inputs.extend(["address_space", "node_subnet_cidr", "subnets"]);
    util::derive(attrs, "pod_subnet_cidr", &inputs, |a| {
        let Some(prefix) = super::cluster_network::plan_of(a).and_then(|p| p.required_pod_prefix()) else {
            return Value::Null;
        };
        let first = a
            .get("address_space")
            .and_then(Value::as_list)
            .and_then(|l| l.first())
            .and_then(Value::as_str)
            .and_then(|s| net::parse_cidr(s).ok());
        let mut taken: Vec<Ipv4Net> = util::s(a, "node_subnet_cidr")
            .and_then(|s| net::parse_cidr(s).ok())
            .into_iter()
            .collect();
        for item in a.get("subnets").and_then(Value::as_list).unwrap_or(&[]) {
            let cidr = item.as_map().and_then(|m| m.get("cidr")).and_then(Value::as_str);
            taken.extend(cidr.and_then(|s| net::parse_cidr(s).ok()));
        }
        first
            .and_then(|range| first_free(&range, prefix, &taken))
            .map_or(Value::Null, |n| Value::str(n.to_string()))
    });
}

/// `required_pod_ip_count` from the plan.
pub fn pod_ip_count(attrs: &mut Attrs, plan_inputs: &[&str]) {
    util::set_computed(attrs, "required_pod_ip_count", plan_inputs, |a| {
        super::cluster_network::plan_of(a)
            .and_then(|p| p.required_pod_ip_count())
            .and_then(|n| i64::try_from(n).ok())
            .map_or(Value::Null, Value::Number)
    });
}

/// The first block of `prefix` inside `range` that overlaps none of `taken`.
fn first_free(range: &Ipv4Net, prefix: u8, taken: &[Ipv4Net]) -> Option<Ipv4Net> {
    if prefix < range.prefix_len() {
        return None;
    }
    let step = 1u64 << (32 - prefix);
    let mut at = u64::from(net::start(range));
    let end = u64::from(net::end(range));
    while at + step - 1 <= end {
        let candidate = Ipv4Net::new(u32::try_from(at).ok()?.into(), prefix).ok()?;
        match taken
            .iter()
            .filter(|t| net::overlaps(t, &candidate))
            .map(|t| u64::from(net::end(t)))
            .max()
        {
            // Jump past what is in the way, to the next aligned block.
            Some(last) => at = (last + 1).div_ceil(step) * step,
            None => return Some(candidate),
        }
    }
    None
}

/// The mode of a resource, each part checked against its names.
pub struct Mode {
    pub plugin: Option<Plugin>,
    pub policy: Option<NetworkPolicy>,
    pub dataplane: Option<Dataplane>,
    pub allocation: Option<PodIpAllocation>,
}

fn one_of<T>(r: &Resource, name: &str, names: &[&str], parse: fn(&str) -> Option<T>, d: &mut Diagnostics) -> Option<T> {
    util::one_of(r, name, names, d).and_then(|s| parse(&s))
}

/// Names, then the combinations AKS accepts and the deprecations.
pub fn rules(r: &Resource, d: &mut Diagnostics) -> Mode {
    let mode = Mode {
        plugin: one_of(r, "plugin", Plugin::NAMES, Plugin::parse, d),
        policy: one_of(r, "network_policy", NetworkPolicy::NAMES, NetworkPolicy::parse, d),
        dataplane: one_of(r, "dataplane", Dataplane::NAMES, Dataplane::parse, d),
        allocation: one_of(
            r,
            "pod_ip_allocation",
            PodIpAllocation::NAMES,
            PodIpAllocation::parse,
            d,
        ),
    };
    let at = |k: &str| AttrPath::attr(k);
    let push = |d: &mut Diagnostics, diag: Diagnostic, k: &str| d.push(diag.at(&r.address, at(k)));
    let windows = r.bool("windows_nodes") == Some(true);
    if let Some(p) = mode.plugin {
        match p {
            Plugin::Calico => push(d, Diagnostic::warning("calico-plugin-deprecated", "`plugin = \"calico\"` is the former name of kubenet with Calico network policy").hint("write `plugin = \"kubenet\"` and `network_policy = \"calico\"` (kubenet ends 2028-03-31: better `plugin = \"azure_cni_overlay\"` with `network_policy = \"calico\"`)"), "plugin"),
            Plugin::Kubenet => push(d, Diagnostic::warning("kubenet-retirement", "kubenet reaches its end of support on 2028-03-31 (Azure/AKS#4859)").hint("new clusters: `plugin = \"azure_cni_overlay\"` (pods keep a /24 per node from pod_cidr, as with kubenet); AKS migrates an existing kubenet cluster to overlay in place"), "plugin"),
            _ => {}
        }
        if p.is_kubenet() && windows {
            push(
                d,
                Diagnostic::error(
                    "windows-unsupported",
                    format!("{} uses kubenet, which has no Windows node pools", r.address),
                )
                .hint("Windows node pools need an Azure CNI plugin, e.g. `plugin = \"azure_cni_overlay\"`"),
                "windows_nodes",
            );
        }
        if p != Plugin::AzureCniPodSubnet {
            if mode.allocation == Some(PodIpAllocation::StaticBlock) {
                push(d, Diagnostic::warning("unused-pod-subnet", format!("`pod_ip_allocation` is ignored with {}: only azure_cni_pod_subnet allocates from a pod subnet", p.name())), "pod_ip_allocation");
            }
            if !r.get("pod_subnet_cidr").is_null() {
                push(
                    d,
                    Diagnostic::warning(
                        "unused-pod-subnet",
                        format!(
                            "`pod_subnet_cidr` is ignored with {}: only azure_cni_pod_subnet has a pod subnet",
                            p.name()
                        ),
                    )
                    .hint("remove it, or set `plugin = \"azure_cni_pod_subnet\"`"),
                    "pod_subnet_cidr",
                );
            }
        }
    }
    if let (Some(p), Some(pol)) = (mode.plugin, mode.policy) {
        if p == Plugin::Calico && pol != NetworkPolicy::Calico {
            push(
                d,
                Diagnostic::error(
                    "policy-plugin-mismatch",
                    format!(
                        "plugin `calico` means Calico network policy; network_policy is `{}`",
                        pol.name()
                    ),
                )
                .hint("write `plugin = \"kubenet\"` with the policy you want"),
                "network_policy",
            );
        } else if p.is_kubenet() && pol == NetworkPolicy::Azure {
            push(
                d,
                Diagnostic::error(
                    "policy-plugin-mismatch",
                    "Azure Network Policy Manager needs an Azure CNI plugin; kubenet supports only Calico",
                )
                .hint("use `network_policy = \"calico\"`, or an Azure CNI plugin"),
                "network_policy",
            );
        }
    }
    if let Some(pol) = mode.policy {
        if pol == NetworkPolicy::Cilium && mode.dataplane != Some(Dataplane::Cilium) && mode.dataplane.is_some() {
            push(
                d,
                Diagnostic::error(
                    "cilium-policy-needs-dataplane",
                    "`network_policy = \"cilium\"` is enforced by the Cilium dataplane; dataplane is `azure`",
                )
                .hint("set `dataplane = \"cilium\"` (Azure CNI Powered by Cilium)"),
                "network_policy",
            );
        }
        if pol == NetworkPolicy::Azure && windows {
            push(d, Diagnostic::warning("npm-windows-retired", "Azure Network Policy Manager support for Windows nodes ended on 2026-09-30 (Linux ends 2028-09-30)").hint("use Cilium network policy (`dataplane = \"cilium\"`, Linux pools) or Calico"), "network_policy");
        }
    }
    if mode.dataplane == Some(Dataplane::Cilium) {
        if let Some(p) = mode.plugin.filter(|p| p.is_kubenet()) {
            push(
                d,
                Diagnostic::error(
                    "cilium-needs-azure-cni",
                    format!(
                        "the Cilium dataplane (Azure CNI Powered by Cilium) runs on Azure CNI; plugin is `{}`",
                        p.name()
                    ),
                )
                .hint(
                    "use `plugin = \"azure_cni_overlay\"` or `\"azure_cni_pod_subnet\"` with `dataplane = \"cilium\"`",
                ),
                "dataplane",
            );
        }
        if let Some(pol) = mode
            .policy
            .filter(|p| matches!(p, NetworkPolicy::Azure | NetworkPolicy::Calico))
        {
            push(
                d,
                Diagnostic::error(
                    "policy-plugin-mismatch",
                    format!(
                        "the Cilium dataplane enforces network policy itself; network_policy `{}` cannot run beside it",
                        pol.name()
                    ),
                )
                .hint("use `network_policy = \"cilium\"` (or `none`)"),
                "network_policy",
            );
        }
        if windows {
            push(
                d,
                Diagnostic::error(
                    "windows-unsupported",
                    "Azure CNI Powered by Cilium runs on Linux nodes only; windows_nodes is true",
                )
                .hint("keep `dataplane = \"azure\"` for a cluster with Windows node pools"),
                "windows_nodes",
            );
        }
    }
    mode
}

/// The pod subnet of `azure_cni_pod_subnet`: present, large enough for the
/// plan, not larger than a /12 with static blocks. Returns it for the
/// subnet rules (inside the VNET, no overlap).
pub fn pod_subnet_rules(r: &Resource, p: &Plan, space: &[(usize, Ipv4Net)], d: &mut Diagnostics) -> Option<Ipv4Net> {
    let (need, prefix) = (p.required_pod_ip_count()?, p.required_pod_prefix()?);
    let hint = pod_subnet_hint(p, need, prefix);
    let Some(ps) = util::cidr(r, "pod_subnet_cidr", d) else {
        if r.get("pod_subnet_cidr").is_null() {
            if let Some((i, first)) = space.first() {
                d.push(
                    Diagnostic::error("pod-subnet-too-small", format!("{} needs a pod subnet of {} addresses (/{prefix}); its first range {first} has no free /{prefix} beside the node subnet", r.address, thousands(need)))
                        .at(&r.address, AttrPath::attr("address_space").index(*i))
                        .hint(format!("{hint}; add a range to address_space and set pod_subnet_cidr in it")),
                );
            }
        }
        return None;
    };
    if net::size(&ps) < need {
        d.push(
            Diagnostic::error(
                "pod-subnet-too-small",
                format!(
                    "the pod subnet needs {} addresses (/{prefix}); {ps} holds {}",
                    thousands(need),
                    thousands(net::usable(&ps))
                ),
            )
            .at(&r.address, AttrPath::attr("pod_subnet_cidr"))
            .hint(hint),
        );
    }
    if let Some((blocks, true)) = p.static_blocks() {
        let fill = blocks * sizing::POD_BATCH - 1;
        d.push(
            Diagnostic::warning("static-block-waste", format!("max_pods {} takes {blocks} /28 blocks per node, which hold {fill} pods: each node reserves {} addresses it never uses", p.max_pods, fill - p.max_pods))
                .at(&r.address, AttrPath::attr("max_pods"))
                .hint(format!("static blocks fit max_pods = 16·N − 1: use {fill} (or {})", fill.saturating_sub(16).max(15))),
        );
    }
    if p.allocation == PodIpAllocation::StaticBlock && ps.prefix_len() < sizing::STATIC_BLOCK_LARGEST_PREFIX {
        d.push(
            Diagnostic::error(
                "pod-subnet-too-large",
                format!(
                    "pod subnet {ps} is a /{}; static block allocation takes at most a /12",
                    ps.prefix_len()
                ),
            )
            .at(&r.address, AttrPath::attr("pod_subnet_cidr"))
            .hint(format!("use a /{prefix} (what the plan needs) up to a /12")),
        );
    }
    Some(ps)
}

fn pod_subnet_hint(p: &Plan, need: u64, prefix: u8) -> String {
    let per = p.pod_ips_per_node().unwrap_or(0);
    let how = match p.allocation {
        PodIpAllocation::Dynamic => format!(
            "dynamic allocation hands out batches of 16: {} max_pods rounded up to {per}",
            p.max_pods
        ),
        PodIpAllocation::StaticBlock => format!(
            "static_block reserves /28 blocks: {} max_pods + 1 rounded up to {per}",
            p.max_pods
        ),
    };
    format!(
        "{how}; ({} + {} surge) x {per} + 5 reserved = {}; use a /{prefix}",
        p.max_nodes,
        p.surge_nodes,
        thousands(need)
    )
}

/// The arithmetic of a node-subnet size, per mode.
pub fn sizing_hint(p: &Plan, need: u64, prefix: u8) -> String {
    let need = thousands(need);
    match p.plugin {
        Plugin::AzureCni => format!(
            "azure_cni pre-allocates 1 + max_pods addresses per node: ({} + {} surge) x (1 + {}) + {} internal LB + 5 reserved = {need}; use a /{prefix}, lower max_nodes/max_pods, or `plugin = \"azure_cni_overlay\"` (only nodes on the subnet)",
            p.max_nodes, p.surge_nodes, p.max_pods, p.internal_lb_ips
        ),
        other => {
            let pods = match other {
                Plugin::AzureCniPodSubnet => "pods use the pod subnet",
                _ => "pods take a /24 each from pod_cidr",
            };
            format!(
                "{} puts only nodes on the node subnet ({pods}): ({} + {} surge) + {} internal LB + 5 reserved = {need}; use a /{prefix}",
                other.name(),
                p.max_nodes,
                p.surge_nodes,
                p.internal_lb_ips
            )
        }
    }
}

/// The upgrade headroom: a subnet that holds the autoscaler maximum but not
/// its surge nodes breaks the next upgrade (AKS#1053).
pub fn headroom_diagnostic(address: &Address, p: &Plan, need: u64, prefix: u8, subnet: &Ipv4Net) -> Option<Diagnostic> {
    let without = p.required_ip_count_without_surge()?;
    (p.surge_nodes > 0 && net::size(subnet) >= without && net::size(subnet) < need).then(|| {
        Diagnostic::error(
            "no-upgrade-headroom",
            format!(
                "needs {} addresses (/{prefix}) to upgrade at {} nodes with {} surge; {subnet} holds {}: it fits the nodes but an upgrade runs out of addresses and leaves the cluster broken (AKS#1053)",
                thousands(need),
                p.max_nodes,
                p.surge_nodes,
                thousands(net::usable(subnet))
            ),
        )
        .at(address, AttrPath::attr("node_subnet_cidr"))
        .hint(sizing_hint(p, need, prefix))
    })
}

/// Planning against an existing cluster: a plugin not in the configuration
/// stays what the cluster has (a new default never changes a mode), and a
/// change says what AKS does in place and what needs a new cluster.
pub fn settle(address: &Address, prior: &Attrs, config: &Attrs, planned: &mut Attrs, d: &mut Diagnostics) {
    let set = |k: &str| config.get(k).is_some_and(|v| !v.is_null());
    if !set("plugin") {
        if let Some(old) = util::s(prior, "plugin").filter(|p| Plugin::parse(p).is_some()) {
            if util::s(planned, "plugin") != Some(old) {
                planned.insert("plugin".into(), Value::str(old));
                for k in FOLLOW_PLUGIN.iter().filter(|k| !set(k)) {
                    planned.remove(*k);
                }
                derive(planned);
            }
        }
    }
    // A state written before these attributes existed: they stay unset
    // (read as their defaults), so an upgrade of hybridk8s plans no change.
    for k in ADDED
        .iter()
        .filter(|k| !set(k) && prior.get(**k).is_none_or(Value::is_null))
    {
        planned.insert((*k).into(), Value::Null);
    }
    if !set("pod_subnet_cidr") && plugin_of(planned) == Some(Plugin::AzureCniPodSubnet) {
        if let Some(old) = prior
            .get("pod_subnet_cidr")
            .filter(|v| !v.is_null() && v.is_wholly_known())
        {
            planned.insert("pod_subnet_cidr".into(), old.clone());
        }
    }
    super::cluster_network::sizing_attrs(planned);
    let kept = util::s(prior, "pod_subnet_cidr").filter(|old| util::s(planned, "pod_subnet_cidr") == Some(*old));
    let plan = super::cluster_network::plan_of(planned);
    if let (Some(ps), Some(p)) = (kept.and_then(|s| net::parse_cidr(s).ok()), plan) {
        if let (Some(need), Some(prefix)) = (p.required_pod_ip_count(), p.required_pod_prefix()) {
            if net::size(&ps) < need {
                d.push(
                    Diagnostic::error("pod-subnet-too-small", format!("{address} needs a pod subnet of {} addresses (/{prefix}); its pod subnet {ps}, fixed since the cluster was created, holds {}", thousands(need), thousands(net::usable(&ps))))
                        .at(address, AttrPath::attr("max_nodes"))
                        .hint(format!("{}; or add a node pool with its own pod subnet in a blue/green cluster", pod_subnet_hint(&p, need, prefix))),
                );
            }
        }
    }
    let change = |k: &str| match (util::s(prior, k), util::s(planned, k)) {
        (Some(a), Some(b)) if a != b => Some((a.to_string(), b.to_string())),
        _ => None,
    };
    if let Some((a, b)) = change("plugin") {
        let (pa, pb) = (Plugin::parse(&a), Plugin::parse(&b));
        let in_place = match (pa.map(Plugin::canonical), pb.map(Plugin::canonical)) {
            (Some(x), Some(y)) if x == y => Some("the same mode under its current name; nothing changes in AKS"),
            (Some(Plugin::Kubenet), Some(Plugin::AzureCniOverlay)) => Some("AKS migrates kubenet to Azure CNI Overlay in place (`az aks update --network-plugin azure --network-plugin-mode overlay`); pod_cidr stays"),
            (Some(Plugin::AzureCni), Some(Plugin::AzureCniOverlay)) => Some("AKS migrates Azure CNI (node subnet) to overlay in place (`az aks update --network-plugin-mode overlay --pod-cidr …`); the node subnet then holds only nodes"),
            _ => None,
        };
        d.push(match in_place {
            Some(how) => Diagnostic::warning("mode-change", format!("`plugin` of {address} changes from {a} to {b}: {how}")),
            None => Diagnostic::warning("mode-change", format!("`plugin` of {address} changes from {a} to {b}: AKS cannot change this on an existing cluster; the VNET is updated in place and {b} takes effect only in a new cluster"))
                .hint("build the next cluster (blue/green) in a new VNET; AKS migrates in place only kubenet or azure_cni to azure_cni_overlay"),
        }
        .at(address, AttrPath::attr("plugin")));
    }
    if let Some((a, b)) = change("dataplane") {
        let diag = if b == "cilium" {
            Diagnostic::warning("mode-change", format!("`dataplane` of {address} changes from {a} to {b}: AKS upgrades an Azure CNI cluster to the Cilium dataplane in place (`az aks update --network-dataplane cilium`); nodes are reimaged and Azure NPM or Calico policies must be replaced by Cilium policy first"))
        } else {
            Diagnostic::warning("mode-change", format!("`dataplane` of {address} changes from {a} to {b}: AKS cannot leave the Cilium dataplane on an existing cluster; {b} takes effect only in a new cluster")).hint("build the next cluster (blue/green) in a new VNET")
        };
        d.push(diag.at(address, AttrPath::attr("dataplane")));
    }
    if let Some((a, b)) = change("network_policy") {
        let how = match (a.as_str(), b.as_str()) {
            (_, "none") => "AKS uninstalls Azure NPM or Calico in place (`az aks update --network-policy none`); pods are unprotected from then on",
            (_, "cilium") => "Cilium policy comes with the Cilium dataplane upgrade (`az aks update --network-dataplane cilium`), in place",
            _ => "AKS changes the policy engine in place (`az aks update --network-policy`); policies are not enforced while it switches",
        };
        d.push(
            Diagnostic::warning(
                "mode-change",
                format!("`network_policy` of {address} changes from {a} to {b}: {how}"),
            )
            .at(address, AttrPath::attr("network_policy")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn pod_subnet_goes_to_the_first_free_aligned_block() {
        let range = n("10.40.0.0/16");
        assert_eq!(first_free(&range, 19, &[n("10.40.0.0/26")]), Some(n("10.40.32.0/19")));
        assert_eq!(first_free(&range, 19, &[]), Some(n("10.40.0.0/19")));
        assert_eq!(
            first_free(&range, 24, &[n("10.40.0.0/26"), n("10.40.1.0/24"), n("10.40.2.0/23")]),
            Some(n("10.40.4.0/24"))
        );
        // Nothing fits: the range is full or smaller than the block.
        assert_eq!(first_free(&n("10.40.0.0/24"), 24, &[n("10.40.0.0/26")]), None);
        assert_eq!(first_free(&n("10.40.0.0/24"), 20, &[]), None);
        assert_eq!(
            first_free(&n("255.255.255.0/24"), 25, &[n("255.255.255.0/25")]),
            Some(n("255.255.255.128/25"))
        );
        assert_eq!(first_free(&n("255.255.255.0/24"), 24, &[n("255.255.255.0/25")]), None);
    }
}
