//! Validation (422 Invalid with causes, in the API server's words) and the
//! defaults the API server fills before field ownership is recorded.

use super::kinds::Kind;
use super::status::{self, Cause, Status};
use serde_json::{json, Value};

pub fn name_of(obj: &Value) -> String {
    obj.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn name_causes(k: &Kind, name: &str) -> Vec<Cause> {
    let v = json!(name);
    if name.is_empty() {
        return vec![Cause {
            field: "metadata.name".into(),
            reason: "FieldValueRequired",
            message: "Required value: name or generateName is required".into(),
        }];
    }
    let ok = match k.kind {
        "Service" => is_label(name) && name.as_bytes()[0].is_ascii_lowercase(),
        "Namespace" => is_label(name),
        _ => name.len() <= 253 && name.split('.').all(is_label),
    };
    if ok {
        return Vec::new();
    }
    let why = match k.kind {
        "Service" => "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        "Namespace" => "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        _ => "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    };
    vec![Cause::invalid("metadata.name", &v, why)]
}

fn ip_causes(field: String, ip: &Value) -> Option<Cause> {
    let s = ip.as_str().unwrap_or("");
    let addr: std::net::IpAddr = match s.parse() {
        Ok(a) => a,
        Err(_) => {
            return Some(Cause::invalid(
                field,
                ip,
                "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
            ))
        }
    };
    if addr.is_loopback() {
        return Some(Cause::invalid(
            field,
            ip,
            "may not be in the loopback range (127.0.0.0/8, ::1/128)",
        ));
    }
    let link_local = match addr {
        std::net::IpAddr::V4(a) => a.is_link_local(),
        std::net::IpAddr::V6(a) => (a.segments()[0] & 0xffc0) == 0xfe80,
    };
    link_local.then(|| {
        Cause::invalid(
            field,
            ip,
            "may not be in the link-local range (169.254.0.0/16, fe80::/10)",
        )
    })
}

pub fn arr(v: &Value, p: &str) -> Vec<Value> {
    v.pointer(p).and_then(Value::as_array).cloned().unwrap_or_default()
}

pub fn validate(k: &Kind, obj: &Value) -> Result<(), Status> {
    let name = name_of(obj);
    let mut causes = name_causes(k, &name);
    match k.kind {
        "Service" => {
            let ty = obj.pointer("/spec/type").and_then(Value::as_str).unwrap_or("ClusterIP");
            if !["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"].contains(&ty) {
                causes.push(Cause::unsupported(
                    "spec.type",
                    &json!(ty),
                    &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
                ));
            }
            if ty == "ExternalName" {
                if obj
                    .pointer("/spec/externalName")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .is_empty()
                {
                    causes.push(Cause::required("spec.externalName"));
                }
            } else if arr(obj, "/spec/ports").is_empty() {
                causes.push(Cause::required("spec.ports"));
            }
            for (i, p) in arr(obj, "/spec/ports").iter().enumerate() {
                let port = p.get("port").cloned().unwrap_or(json!(0));
                if !(1..=65535).contains(&port.as_i64().unwrap_or(0)) {
                    causes.push(Cause::invalid(
                        format!("spec.ports[{i}].port"),
                        &port,
                        "must be between 1 and 65535, inclusive",
                    ));
                }
                let proto = p.get("protocol").cloned().unwrap_or(json!("TCP"));
                if !["TCP", "UDP", "SCTP"].contains(&proto.as_str().unwrap_or("")) {
                    causes.push(Cause::unsupported(
                        format!("spec.ports[{i}].protocol"),
                        &proto,
                        &["SCTP", "TCP", "UDP"],
                    ));
                }
            }
        }
        "Endpoints" => {
            for (i, s) in arr(obj, "/subsets").iter().enumerate() {
                for (j, a) in arr(s, "/addresses").iter().enumerate() {
                    causes.extend(ip_causes(format!("subsets[{i}].addresses[{j}].ip"), &a["ip"]));
                }
                for (j, p) in arr(s, "/ports").iter().enumerate() {
                    let port = p.get("port").cloned().unwrap_or(json!(0));
                    if !(1..=65535).contains(&port.as_i64().unwrap_or(0)) {
                        causes.push(Cause::invalid(
                            format!("subsets[{i}].ports[{j}].port"),
                            &port,
                            "must be between 1 and 65535, inclusive",
                        ));
                    }
                }
            }
        }
        "EndpointSlice" => {
            let at = obj.get("addressType").and_then(Value::as_str);
            match at {
                None => causes.push(Cause::required("addressType")),
                Some("IPv4" | "IPv6" | "FQDN") => {}
                Some(other) => causes.push(Cause::unsupported(
                    "addressType",
                    &json!(other),
                    &["FQDN", "IPv4", "IPv6"],
                )),
            }
            for (i, e) in arr(obj, "/endpoints").iter().enumerate() {
                let addrs = arr(e, "/addresses");
                if addrs.is_empty() {
                    causes.push(Cause::required(format!("endpoints[{i}].addresses")));
                }
                if at != Some("FQDN") {
                    for (j, a) in addrs.iter().enumerate() {
                        causes.extend(ip_causes(format!("endpoints[{i}].addresses[{j}]"), a));
                    }
                }
            }
        }
        "Deployment" => {
            if obj.pointer("/spec/selector").is_none() {
                causes.push(Cause::required("spec.selector"));
            }
            if arr(obj, "/spec/template/spec/containers").is_empty() {
                causes.push(Cause::required("spec.template.spec.containers"));
            }
        }
        _ => {}
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(status::invalid(k, &name, &causes))
    }
}

/// The defaults the API server fills before field ownership is recorded.
pub fn defaults(k: &Kind, obj: &mut Value) {
    if k.kind == "Service" {
        let spec = &mut obj["spec"];
        if spec.get("type").is_none() {
            spec["type"] = json!("ClusterIP");
        }
        let ty = spec["type"].as_str().unwrap_or("").to_string();
        if ty != "ExternalName" {
            if spec.get("sessionAffinity").is_none() {
                spec["sessionAffinity"] = json!("None");
            }
            if spec.get("internalTrafficPolicy").is_none() {
                spec["internalTrafficPolicy"] = json!("Cluster");
            }
        }
        if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
            for p in ports {
                if p.get("protocol").is_none() {
                    p["protocol"] = json!("TCP");
                }
                if p.get("targetPort").is_none() {
                    p["targetPort"] = p["port"].clone();
                }
            }
        }
    }
    if k.kind == "EndpointSlice" {
        if let Some(ports) = obj.get_mut("ports").and_then(Value::as_array_mut) {
            for p in ports {
                if p.get("protocol").is_none() {
                    p["protocol"] = json!("TCP");
                }
            }
        }
    }
    if k.kind == "Deployment" {
        let spec = &mut obj["spec"];
        if spec.get("replicas").is_none() {
            spec["replicas"] = json!(1);
        }
    }
    if k.kind == "Namespace" && obj.pointer("/spec/finalizers").is_none() {
        obj["spec"] = json!({"finalizers": ["kubernetes"]});
        obj["status"] = json!({"phase": "Active"});
    }
    let name = name_of(obj);
    if k.kind == "Namespace" {
        obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = json!(name);
    }
}

/// The fields an object may carry where the emulator knows the schema
/// (`None`: anything goes below).
fn known(kind: &str, names: &[&str]) -> Option<&'static [&'static str]> {
    const META: &[&str] = &[
        "name",
        "generateName",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
        "selfLink",
    ];
    Some(match (kind, names) {
        ("Service", []) | ("Namespace", []) | ("Deployment", []) => {
            &["apiVersion", "kind", "metadata", "spec", "status"]
        }
        ("ConfigMap", []) => &["apiVersion", "kind", "metadata", "data", "binaryData", "immutable"],
        ("Endpoints", []) => &["apiVersion", "kind", "metadata", "subsets"],
        ("EndpointSlice", []) => &["apiVersion", "kind", "metadata", "addressType", "endpoints", "ports"],
        (_, ["metadata"]) => META,
        ("Service", ["spec"]) => &[
            "ports",
            "selector",
            "clusterIP",
            "clusterIPs",
            "type",
            "externalIPs",
            "sessionAffinity",
            "loadBalancerIP",
            "loadBalancerSourceRanges",
            "externalName",
            "externalTrafficPolicy",
            "healthCheckNodePort",
            "publishNotReadyAddresses",
            "sessionAffinityConfig",
            "ipFamilies",
            "ipFamilyPolicy",
            "allocateLoadBalancerNodePorts",
            "loadBalancerClass",
            "internalTrafficPolicy",
            "trafficDistribution",
        ],
        ("Service", ["spec", "ports"]) => &["name", "protocol", "appProtocol", "port", "targetPort", "nodePort"],
        ("EndpointSlice", ["endpoints"]) => &[
            "addresses",
            "conditions",
            "hostname",
            "targetRef",
            "nodeName",
            "zone",
            "hints",
        ],
        ("EndpointSlice", ["ports"]) => &["name", "protocol", "port", "appProtocol"],
        _ => return None,
    })
}

/// The first field `obj` carries that its schema does not declare
/// (`.spec.foo`), for `fieldValidation=Strict`.
pub fn unknown_field(kind: &str, obj: &Value) -> Option<String> {
    fn go(kind: &str, v: &Value, names: &mut Vec<String>, path: &str) -> Option<String> {
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let allowed = known(kind, &refs)?;
        let items: Vec<(String, &Value)> = match v {
            Value::Array(a) => a.iter().enumerate().map(|(i, v)| (format!("{path}[{i}]"), v)).collect(),
            other => vec![(path.to_string(), other)],
        };
        for (at, item) in items {
            let Some(m) = item.as_object() else { continue };
            for (k, child) in m {
                let here = format!("{at}.{k}");
                if !allowed.contains(&k.as_str()) {
                    return Some(here);
                }
                names.push(k.clone());
                let found = go(kind, child, names, &here);
                names.pop();
                if found.is_some() {
                    return found;
                }
            }
        }
        None
    }
    go(kind, obj, &mut Vec::new(), "")
}
