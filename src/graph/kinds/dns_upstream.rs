//! `dns_upstream`: on-premises DNS as upstream for the cluster: kube-dns
//! ConfigMap, AKS `coredns-custom` server blocks, or a plain Corefile.

use super::util;
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::manifests;
use crate::graph::net;
use crate::graph::schema::{Attribute, Attrs, Schema};
use crate::graph::value::{AttrPath, Type, Value};
use crate::graph::{Ctx, Kind, Resource};

pub const FLAVORS: [&str; 3] = ["kube_dns", "coredns_aks", "corefile"];
pub const POLICIES: [&str; 3] = ["random", "round_robin", "sequential"];
const KUBE_DNS_MAX_UPSTREAMS: usize = 3;
const COREDNS_MAX_UPSTREAMS: usize = 15;

pub fn schema() -> Schema {
    Schema {
        kind: Kind::DnsUpstream,
        version: 0,
        description: "Upstream nameservers and stub domains of the cluster DNS. `kube_dns` writes the `kube-dns` ConfigMap (`stubDomains`, `upstreamNameservers`). `corefile` writes a whole `Corefile` (`kube-system/coredns`): the main `.:53` block forwards to `nameservers` (or `/etc/resolv.conf` without them), and each stub domain gets its own server block. `coredns_aks` writes the AKS `coredns-custom` ConfigMap: one `<domain>.server` key per stub domain, a server block whose `forward` names `policy` explicitly (`sequential` by default, so the on-premises servers are tried in order, not at random), and a `hybridk8s.override` key holding only a comment that records the upstream nameservers (AKS keeps its default `forward . /etc/resolv.conf`, which an `.override` cannot replace). The upstream `nameservers` instead become the cluster VNET's DNS servers, in order; CoreDNS reaches them through the nodes' resolver once the nodes renewed their DHCP lease or rebooted. Deleting the dns_upstream (or emptying `nameservers`) puts back the DNS servers the VNET had before; the cluster network never reads the dns_upstream's servers as its own `dns_servers`. With backend `azure` only these keys and the owner marks are applied to the cluster's ConfigMap (server-side apply; the `coredns` Corefile belongs to AKS's addon manager, so `corefile` needs `force_conflicts = true`, and the Corefile it replaced comes back on delete); deleting takes them off again, and after a CoreDNS change the `coredns` deployment is restarted as `kubectl rollout restart` does.",
        attrs: util::insert_settable(vec![
            Attribute::required("cluster_network_id", Type::String, "ID of the `hybridk8s_cluster_network` whose DNS this configures.").replace().was("cluster_id"),
            Attribute::optional("flavor", Type::String, "`kube_dns`, `coredns_aks` or `corefile`.").default(Value::str("coredns_aks")).replace(),
            Attribute::optional("nameservers", Type::list(Type::String), "Upstream nameservers for names outside the cluster, as `ip` or `ip:port`, in order (at most 3 for kube-dns, 15 for CoreDNS).").default(Value::List(vec![])),
            Attribute::optional("stub_domains", Type::map(Type::list(Type::String)), "Domain → nameservers (`ip` or `ip:port`) for private zones such as the on-premises domain.").default(Value::Map(Default::default())),
            Attribute::optional("cluster_domain", Type::String, "The cluster's own domain; never a stub domain.").default(Value::str("cluster.local")),
            Attribute::optional("forward_policy", Type::String, "CoreDNS `forward` policy: `random`, `round_robin` or `sequential` (order matters).").default(Value::str("sequential")),
            Attribute::computed("id", Type::String, "ID of the ConfigMap: the cluster ID, then `/namespaces/kube-system/configmaps/<name>`."),
            Attribute::computed("namespace", Type::String, "Namespace of the ConfigMap (`kube-system`)."),
            Attribute::computed("configmap_name", Type::String, "Name of the ConfigMap: `kube-dns`, `coredns-custom` or `coredns`."),
            Attribute::computed("vnet_dns_servers", Type::list(Type::Ip), "DNS servers this dns_upstream sets on the cluster VNET (`coredns_aks`: the nameservers, as the VNET holds them; otherwise empty)."),
            Attribute::computed("manifest", Type::String, "The ConfigMap as YAML."),
        ], util::kubeconfig_attrs(true)),
        blocks: vec![super::timeouts::block()],
    }
}

pub fn compute(attrs: &mut Attrs, _ctx: &Ctx) {
    util::set_computed(attrs, "namespace", &["flavor"], |a| {
        Value::str(manifests::dns_configmap(util::s(a, "flavor").unwrap_or("coredns_aks")).0)
    });
    util::set_computed(attrs, "configmap_name", &["flavor"], |a| {
        Value::str(manifests::dns_configmap(util::s(a, "flavor").unwrap_or("coredns_aks")).1)
    });
    util::set_computed(attrs, "id", &["cluster_network_id", "configmap_name"], |a| {
        match (util::s(a, "cluster_network_id"), util::s(a, "configmap_name")) {
            (Some(c), Some(n)) => Value::str(super::k8s_id(c, "kube-system", "configmaps", n)),
            _ => Value::Null,
        }
    });
    util::set_computed(attrs, "vnet_dns_servers", &["flavor", "nameservers"], |a| {
        if util::s(a, "flavor") == Some("coredns_aks") {
            a.get("nameservers").cloned().unwrap_or(Value::List(vec![]))
        } else {
            Value::List(vec![])
        }
    });
    let m =
        manifests::objects_of(Kind::DnsUpstream, attrs).map_or(Value::Unknown, |o| Value::str(manifests::to_yaml(&o)));
    attrs.insert("manifest".into(), m);
}

/// Checks one `ip` or `ip:port` entry; returns whether it has a port.
fn server_entry(r: &Resource, path: AttrPath, s: &str, d: &mut Diagnostics) -> bool {
    let (ip, port) = match s.rsplit_once(':') {
        Some((ip, port)) => (ip, Some(port)),
        None => (s, None),
    };
    if net::parse_ip(ip).is_err() {
        d.push(
            Diagnostic::error(
                "invalid-nameserver",
                format!("nameserver `{s}` is not an IP address (host names are not allowed here)"),
            )
            .at(&r.address, path)
            .hint("write an IPv4 address, optionally with a port: 10.1.0.4 or 10.1.0.4:53"),
        );
        return false;
    }
    if let Some(p) = port {
        if !p.parse::<u16>().is_ok_and(|p| p > 0) {
            d.push(
                Diagnostic::error(
                    "invalid-nameserver",
                    format!("nameserver `{s}` has an invalid port `{p}`"),
                )
                .at(&r.address, path),
            );
        }
        return true;
    }
    false
}

pub fn rules(r: &Resource, d: &mut Diagnostics) {
    let flavor = util::one_of(r, "flavor", &FLAVORS, d);
    util::one_of(r, "forward_policy", &POLICIES, d);
    let max = if flavor.as_deref() == Some("kube_dns") {
        KUBE_DNS_MAX_UPSTREAMS
    } else {
        COREDNS_MAX_UPSTREAMS
    };
    let what = if flavor.as_deref() == Some("kube_dns") {
        "kube-dns upstreamNameservers"
    } else {
        "a CoreDNS forward"
    };
    let ns = r.get("nameservers").strings();
    if ns.len() > max {
        d.push(
            Diagnostic::error(
                "too-many-upstreams",
                format!("{} nameservers given; {what} takes at most {max}", ns.len()),
            )
            .at(&r.address, AttrPath::attr("nameservers"))
            .hint(format!("keep the first {max}")),
        );
    }
    for (i, s) in ns.iter().enumerate() {
        let has_port = server_entry(r, AttrPath::attr("nameservers").index(i), s, d);
        if has_port && flavor.as_deref() == Some("coredns_aks") {
            d.push(
                Diagnostic::error(
                    "port-not-allowed",
                    format!("nameserver `{s}` has a port; with coredns_aks upstream nameservers become VNET DNS servers, which take plain IPs"),
                )
                .at(&r.address, AttrPath::attr("nameservers").index(i)),
            );
        }
    }
    // What custom VNET DNS servers mean (`vnet-dns-change`) is said once per
    // VNET by the DNS rules across resources.
    let cluster_domain = r.str("cluster_domain").unwrap_or("cluster.local");
    for (dom, servers) in r.get("stub_domains").as_map().into_iter().flatten() {
        let path = AttrPath::attr("stub_domains").key(dom);
        if !util::is_dns1123_subdomain(dom) {
            d.push(
                Diagnostic::error(
                    "invalid-stub-domain",
                    format!("stub domain `{dom}` is not a DNS-1123 subdomain"),
                )
                .at(&r.address, path.clone())
                .hint("lowercase labels of a-z, 0-9 and -, separated by dots"),
            );
        }
        if dom == cluster_domain || dom.ends_with(&format!(".{cluster_domain}")) {
            d.push(
                Diagnostic::error(
                    "stub-is-cluster-domain",
                    format!("stub domain `{dom}` is inside the cluster domain `{cluster_domain}`"),
                )
                .at(&r.address, path.clone())
                .hint("the cluster domain is served by the cluster DNS itself"),
            );
        }
        let list = servers.strings();
        // Unknown until apply (e.g. a data source's list): nothing to judge yet.
        if list.is_empty() && !servers.is_unknown() {
            d.push(
                Diagnostic::error("empty-stub-domain", format!("stub domain `{dom}` has no nameservers"))
                    .at(&r.address, path.clone()),
            );
        }
        if list.len() > max {
            d.push(
                Diagnostic::error(
                    "too-many-upstreams",
                    format!(
                        "stub domain `{dom}` has {} nameservers; {what} takes at most {max}",
                        list.len()
                    ),
                )
                .at(&r.address, path.clone()),
            );
        }
        for (i, s) in list.iter().enumerate() {
            server_entry(r, path.clone().index(i), s, d);
        }
    }
}
