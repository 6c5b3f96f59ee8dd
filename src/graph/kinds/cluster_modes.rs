//! The network mode of a `cluster_network` (plugin, pod IP allocation,
//! network policy, dataplane): its attributes, the defaults it derives, the
//! rules that keep a combination AKS accepts, the sizing of the pod subnet,
//! and what an existing cluster may change (domain rules §2, §8; the worked
//! examples are in `docs/sizing.md`).

use super::util;
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::net;
use crate::graph::schema::{Attribute, Attrs};
use crate::graph::sizing::{self, thousands, Dataplane, NetworkPolicy, Plugin, PodIpAllocation};
use crate::graph::value::{AttrPath, Type, Value};
use crate::graph::{Address, Resource};

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
                        .hint(format!("{}; or add a node pool with its own pod subnet in a blue/green cluster", super::cluster_sizing::pod_subnet_hint(&p, need, prefix))),
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
