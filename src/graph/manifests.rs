//! The Kubernetes objects a resource stands for (kube-dns / CoreDNS
//! ConfigMaps, selectorless Service + Endpoints, ExternalName and
//! load-balanced Services), as plain JSON objects. `render` prints them.

use super::value::Value;
use super::{Kind, Resource};
use serde_json::{json, Map, Value as J};

pub const INTERNAL_LB_ANNOTATION: &str = "service.beta.kubernetes.io/azure-load-balancer-internal";
pub const INTERNAL_SUBNET_ANNOTATION: &str = "service.beta.kubernetes.io/azure-load-balancer-internal-subnet";
pub const LB_IPV4_ANNOTATION: &str = "service.beta.kubernetes.io/azure-load-balancer-ipv4";
/// The label that names the Service an EndpointSlice belongs to.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
/// The label that names the controller of an EndpointSlice.
pub const SLICE_MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
const MANAGED_BY: &str = "hybridk8s";

/// The objects of a resource; `None` when an input is unknown, empty for
/// kinds that are not Kubernetes objects.
pub fn objects(r: &Resource) -> Option<Vec<J>> {
    objects_of(r.kind(), &r.attrs)
}

pub fn objects_of(kind: Kind, a: &super::Attrs) -> Option<Vec<J>> {
    let inputs: &[&str] = match kind {
        Kind::DnsUpstream => &[
            "flavor",
            "nameservers",
            "stub_domains",
            "cluster_domain",
            "forward_policy",
        ],
        Kind::ExternalService => &[
            "name",
            "namespace",
            "ports",
            "endpoints",
            "external_name",
            "endpoints_api",
        ],
        Kind::LbService => &[
            "name",
            "namespace",
            "ports",
            "selector",
            "internal",
            "internal_subnet",
            "load_balancer_ip",
        ],
        _ => return Some(Vec::new()),
    };
    if inputs.iter().any(|k| a.get(*k).is_some_and(|v| !v.is_wholly_known())) {
        return None;
    }
    let s = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    Some(match kind {
        Kind::DnsUpstream => dns_objects(a),
        Kind::ExternalService => external_service_objects(a),
        Kind::LbService => {
            let (name, ns) = (s("name"), s("namespace"));
            let mut ann = Map::new();
            if a.get("internal").and_then(Value::as_bool) == Some(true) {
                ann.insert(INTERNAL_LB_ANNOTATION.into(), json!("true"));
                if let Some(sn) = a.get("internal_subnet").and_then(Value::as_str) {
                    ann.insert(INTERNAL_SUBNET_ANNOTATION.into(), json!(sn));
                }
            }
            // `spec.loadBalancerIP` is deprecated (Kubernetes 1.24); the
            // Azure cloud provider reads the frontend IP from this annotation.
            if let Some(ip) = a.get("load_balancer_ip").and_then(Value::as_str) {
                ann.insert(LB_IPV4_ANNOTATION.into(), json!(ip));
            }
            let selector: Map<String, J> = a
                .get("selector")
                .and_then(Value::as_map)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), json!(s))))
                        .collect()
                })
                .unwrap_or_default();
            let spec = json!({ "type": "LoadBalancer", "selector": selector,
                               "ports": ports(a.get("ports")).iter().map(service_port).collect::<Vec<_>>() });
            vec![
                json!({ "apiVersion": "v1", "kind": "Service", "metadata": meta(&name, &ns, Some(ann)), "spec": spec }),
            ]
        }
        _ => Vec::new(),
    })
}

/// A selectorless Service and its endpoints object (an EndpointSlice, or
/// with `endpoints_api = "v1"` the v1 Endpoints), or an ExternalName Service.
fn external_service_objects(a: &super::Attrs) -> Vec<J> {
    let s = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let (name, ns) = (s("name"), s("namespace"));
    let ports = ports(a.get("ports"));
    let svc_ports: Vec<J> = ports.iter().map(service_port).collect();
    if let Some(host) = a.get("external_name").and_then(Value::as_str) {
        let mut spec = json!({ "type": "ExternalName", "externalName": host });
        if !ports.is_empty() {
            spec["ports"] = J::Array(svc_ports);
        }
        return vec![
            json!({ "apiVersion": "v1", "kind": "Service", "metadata": meta(&name, &ns, None), "spec": spec }),
        ];
    }
    let ips = a.get("endpoints").map(Value::strings).unwrap_or_default();
    let service = json!({ "apiVersion": "v1", "kind": "Service", "metadata": meta(&name, &ns, None),
                          "spec": { "type": "ClusterIP", "ports": svc_ports } });
    // The endpoints object's ports are the backend's (`target_port`), named
    // like the Service's so that kube-proxy pairs them.
    let ep_port = |p: &Port, unnamed: Option<&str>| {
        let mut o = json!({ "port": p.target_port, "protocol": p.protocol });
        if let Some(n) = p.name.as_deref().or(unnamed) {
            o["name"] = json!(n);
        }
        o
    };
    let endpoints = if a.get("endpoints_api").and_then(Value::as_str) == Some("v1") {
        let addrs: Vec<J> = ips.iter().map(|ip| json!({ "ip": ip })).collect();
        json!({ "apiVersion": "v1", "kind": "Endpoints", "metadata": meta(&name, &ns, None),
                "subsets": [{ "addresses": addrs, "ports": ports.iter().map(|p| ep_port(p, None)).collect::<Vec<_>>() }] })
    } else {
        let mut m = meta(&name, &ns, None);
        m["labels"][SERVICE_NAME_LABEL] = json!(name);
        m["labels"][SLICE_MANAGED_BY_LABEL] = json!(MANAGED_BY);
        let eps: Vec<J> = ips
            .iter()
            .map(|ip| json!({ "addresses": [ip], "conditions": { "ready": true } }))
            .collect();
        // An unnamed Service port is the slice port named "".
        json!({ "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": m,
                "addressType": "IPv4", "endpoints": eps,
                "ports": ports.iter().map(|p| ep_port(p, Some(""))).collect::<Vec<_>>() })
    };
    vec![service, endpoints]
}

/// The Namespace object of a namespace a cluster does not start with
/// (anything but `default` and `kube-system`), marked like every object.
pub fn namespace_object(ns: &str) -> Option<J> {
    (!matches!(ns, "default" | "kube-system")).then(|| {
        json!({ "apiVersion": "v1", "kind": "Namespace",
                "metadata": { "name": ns, "labels": { MANAGED_BY_LABEL: MANAGED_BY } } })
    })
}

fn meta(name: &str, ns: &str, annotations: Option<Map<String, J>>) -> J {
    let mut m = json!({ "name": name, "namespace": ns, "labels": { MANAGED_BY_LABEL: MANAGED_BY } });
    if let Some(a) = annotations.filter(|a| !a.is_empty()) {
        m["annotations"] = J::Object(a);
    }
    m
}

/// One item of a `ports` block, with defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    pub name: Option<String>,
    pub port: i64,
    pub target_port: i64,
    pub protocol: String,
}

/// The items of a `ports` block.
pub fn ports(v: Option<&Value>) -> Vec<Port> {
    v.and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(Value::as_map)
        .filter_map(|m| {
            let port = m.get("port")?.as_i64()?;
            Some(Port {
                name: m.get("name").and_then(Value::as_str).map(str::to_string),
                port,
                target_port: m.get("target_port").and_then(Value::as_i64).unwrap_or(port),
                protocol: m.get("protocol").and_then(Value::as_str).unwrap_or("TCP").to_string(),
            })
        })
        .collect()
}

fn service_port(p: &Port) -> J {
    let mut o = json!({ "port": p.port, "targetPort": p.target_port, "protocol": p.protocol });
    if let Some(n) = &p.name {
        o["name"] = json!(n);
    }
    o
}

/// The ConfigMap name and namespace each DNS flavor writes.
pub fn dns_configmap(flavor: &str) -> (&'static str, &'static str) {
    match flavor {
        "kube_dns" => ("kube-system", "kube-dns"),
        "corefile" => ("kube-system", "coredns"),
        _ => ("kube-system", "coredns-custom"),
    }
}

fn dns_objects(a: &super::Attrs) -> Vec<J> {
    let flavor = a.get("flavor").and_then(Value::as_str).unwrap_or("coredns_aks");
    let upstream = a.get("nameservers").map(Value::strings).unwrap_or_default();
    let stubs: Vec<(&String, Vec<&str>)> = a
        .get("stub_domains")
        .and_then(Value::as_map)
        .map(|m| m.iter().map(|(k, v)| (k, v.strings())).collect())
        .unwrap_or_default();
    let policy = a.get("forward_policy").and_then(Value::as_str).unwrap_or("sequential");
    let cluster_domain = a
        .get("cluster_domain")
        .and_then(Value::as_str)
        .unwrap_or("cluster.local");
    let (ns, name) = dns_configmap(flavor);
    let mut data = Map::new();
    match flavor {
        "kube_dns" => {
            if !stubs.is_empty() {
                let m: Map<String, J> = stubs.iter().map(|(k, v)| ((*k).clone(), json!(v))).collect();
                data.insert("stubDomains".into(), json!(J::Object(m).to_string()));
            }
            if !upstream.is_empty() {
                data.insert("upstreamNameservers".into(), json!(json!(upstream).to_string()));
            }
        }
        "corefile" => {
            let mut text = main_server_block(cluster_domain, &upstream, policy);
            for (dom, servers) in &stubs {
                text.push_str(&server_block(dom, servers, policy));
            }
            data.insert("Corefile".into(), json!(text));
        }
        _ => {
            for (dom, servers) in &stubs {
                data.insert(format!("{dom}.server"), json!(server_block(dom, servers, policy)));
            }
            if !upstream.is_empty() {
                data.insert(UPSTREAM_NOTE_KEY.into(), json!(upstream_note(&upstream)));
            }
        }
    }
    vec![json!({ "apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": { "name": name, "namespace": ns, "labels": { MANAGED_BY_LABEL: MANAGED_BY } },
                 "data": data })]
}

/// The `coredns-custom` key that records the upstream nameservers of a
/// `coredns_aks` dns_upstream. AKS imports `*.override` keys inside its
/// `.:53` block; this one holds only comments (valid CoreDNS, no
/// directive), since the default `forward .` cannot be replaced there.
pub const UPSTREAM_NOTE_KEY: &str = "hybridk8s.override";

/// The comment block of [`UPSTREAM_NOTE_KEY`]: which servers hybridk8s
/// made the cluster's upstream, and how CoreDNS reaches them.
pub fn upstream_note(upstream: &[&str]) -> String {
    format!(
        "# hybridk8s: upstream nameservers {}\n\
         # They are the cluster VNET's DNS servers, in this order. CoreDNS reaches them\n\
         # through AKS's default `forward . /etc/resolv.conf` (its default policy; it\n\
         # cannot be replaced here) once the nodes have renewed their DHCP lease or\n\
         # rebooted. Stub domains have their own `.server` keys.\n",
        upstream.join(" ")
    )
}

fn forward_line(servers: &[&str], policy: &str) -> String {
    let mut s = format!("    forward . {}", servers.join(" "));
    if policy != "random" {
        s.push_str(&format!(" {{\n        policy {policy}\n    }}"));
    }
    s.push('\n');
    s
}

/// A CoreDNS server block forwarding one stub domain.
pub fn server_block(domain: &str, servers: &[&str], policy: &str) -> String {
    format!(
        "{domain}:53 {{\n    errors\n    cache 30\n{}}}\n",
        forward_line(servers, policy)
    )
}

fn main_server_block(cluster_domain: &str, upstream: &[&str], policy: &str) -> String {
    let fwd = if upstream.is_empty() {
        forward_line(&["/etc/resolv.conf"], "random")
    } else {
        forward_line(upstream, policy)
    };
    format!(
        ".:53 {{\n    errors\n    health\n    ready\n    kubernetes {cluster_domain} in-addr.arpa ip6.arpa {{\n        pods insecure\n        fallthrough in-addr.arpa ip6.arpa\n    }}\n    prometheus :9153\n{fwd}    cache 30\n    loop\n    reload\n    loadbalance\n}}\n"
    )
}

/// YAML documents separated by `---`.
pub fn to_yaml(objs: &[J]) -> String {
    let mut out = String::new();
    for (i, o) in objs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        yaml_block(&mut out, o, 0);
    }
    out.shrink_to_fit(); // kept in the graph for every Service: no growth slack
    out
}

/// Block-style YAML for a JSON value (maps and lists nest by indentation;
/// multi-line strings become literal blocks). A small emitter: serde_yaml
/// costs a quarter of `check` on large programs.
fn yaml_block(out: &mut String, v: &J, indent: usize) {
    match v {
        J::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                pad(out, indent);
                yaml_scalar_str(out, k, indent);
                out.push(':');
                yaml_child(out, x, indent);
            }
        }
        J::Array(items) if !items.is_empty() => {
            for x in items {
                pad(out, indent);
                out.push('-');
                match x {
                    J::Object(m) if !m.is_empty() => {
                        // First key on the dash line, the rest aligned under it.
                        let mut first = true;
                        for (k, y) in m {
                            if first {
                                out.push(' ');
                                first = false;
                            } else {
                                pad(out, indent + 2);
                            }
                            yaml_scalar_str(out, k, indent + 2);
                            out.push(':');
                            yaml_child(out, y, indent + 2);
                        }
                    }
                    _ => yaml_child(out, x, indent),
                }
            }
        }
        _ => {
            yaml_inline(out, v, indent);
            out.push('\n');
        }
    }
}

/// The value after `key:` or `-`: nested on the next lines, or inline.
fn yaml_child(out: &mut String, v: &J, indent: usize) {
    match v {
        J::Object(m) if !m.is_empty() => {
            out.push('\n');
            yaml_block(out, v, indent + 2);
        }
        J::Array(a) if !a.is_empty() => {
            out.push('\n');
            yaml_block(out, v, indent);
        }
        _ => {
            out.push(' ');
            yaml_inline(out, v, indent);
            out.push('\n');
        }
    }
}

fn yaml_inline(out: &mut String, v: &J, indent: usize) {
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Number(n) => out.push_str(&n.to_string()),
        J::String(s) => yaml_scalar_str(out, s, indent),
        J::Array(_) => out.push_str("[]"),
        J::Object(_) => out.push_str("{}"),
    }
}

/// `10.1.8.4`: digits with two or more dots never read as a number.
fn is_dotted_quad_like(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit() || b == b'.') && s.matches('.').count() >= 2 && !s.ends_with('.')
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// A string as a plain scalar when that reads back as the same string,
/// a literal block when it spans lines, double-quoted otherwise.
fn yaml_scalar_str(out: &mut String, s: &str, indent: usize) {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b'_' | b'-'))
        && (s.as_bytes()[0].is_ascii_alphabetic() || is_dotted_quad_like(s))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        out.push_str(s);
    } else if s.contains('\n') && !s.contains('\r') && !s.starts_with(' ') && !s.lines().any(|l| l.ends_with(' ')) {
        out.push_str(if s.ends_with('\n') { "|" } else { "|-" });
        for line in s.trim_end_matches('\n').split('\n') {
            out.push('\n');
            if !line.is_empty() {
                pad(out, indent + 2);
                out.push_str(line);
            }
        }
    } else {
        out.push_str(&J::String(s.to_string()).to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_reads_back_as_the_same_value() {
        let cases = [
            json!({"a": "true", "b": "10.1.0.4", "c": ["x", {"k": 1, "l": [1, 2]}, []], "d": {}, "e": null,
                   "f": "multi\nline\n", "g": "tail\nno newline", "h": "quote\"d: x", "i": "", "ip": "10.1.8.4", "v": "1.2.", "w": "1.5.0e3", "j": "-dash", "k": false,
                   "service.beta.kubernetes.io/azure-load-balancer-internal": "true", "m": "  lead", "n": "1.5"}),
            json!([{"a": {"b": [{"c": "d"}]}}, "x", 3]),
        ];
        for v in cases {
            let text = to_yaml(std::slice::from_ref(&v));
            let back: J = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert_eq!(back, v, "\n{text}");
        }
    }
}
