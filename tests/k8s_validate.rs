//! Rendered manifests pass a real Kubernetes schema validator
//! (PyPI `kubernetes-validate`, installed by the test command).

mod common;

use hybridk8s::graph::{kinds, Address, Ctx, Kind, Value};
use hybridk8s::render;

use common::kubernetes_validate as validate;

#[test]
fn seed_manifests_are_valid_kubernetes() {
    let yaml = render::k8s_yaml(&common::seed());
    // Selectorless Service + Endpoints, ExternalName, public and internal LB, DNS ConfigMap.
    assert_eq!(yaml.matches("kind: Service\n").count(), 4, "{yaml}");
    assert_eq!(yaml.matches("kind: EndpointSlice\n").count(), 1);
    assert_eq!(yaml.matches("kind: ConfigMap\n").count(), 1);
    let (ok, text) = validate(&yaml);
    assert!(ok, "kubernetes-validate rejected the manifests:\n{text}\n{yaml}");
}

#[test]
fn every_dns_flavor_renders_valid_configmaps() {
    for flavor in ["kube_dns", "coredns_aks", "corefile"] {
        let mut g = common::seed();
        let dns = g.get_mut(&Address::new(Kind::DnsUpstream, "dns")).unwrap();
        dns.attrs.insert("flavor".into(), Value::str(flavor));
        dns.attrs
            .insert("nameservers".into(), Value::list_of_str(["10.1.0.4", "10.1.0.5"]));
        for k in ["manifest", "namespace", "configmap_name", "id", "vnet_dns_servers"] {
            dns.attrs.insert(k.into(), Value::Null);
        }
        let (attrs, _) = kinds::complete(&dns.address.clone(), dns.attrs.clone(), &Ctx::default());
        dns.attrs = attrs;
        let yaml = render::k8s_yaml(&g);
        let (ok, text) = validate(&yaml);
        assert!(ok, "{flavor}: {text}\n{yaml}");
    }
}

#[test]
fn endpoint_apis_lb_addresses_and_namespaces_are_valid_kubernetes() {
    let mut g = common::seed();
    common::add(
        &mut g,
        Kind::ExternalService,
        "legacy",
        serde_json::json!({"name": "legacy", "namespace": "payments", "endpoints_api": "v1", "endpoints": ["10.1.8.5", "10.1.8.6"],
                           "ports": [{"name": "http", "port": 80, "target_port": 8080}, {"name": "dns", "port": 53, "protocol": "UDP"}]}),
    );
    common::add(
        &mut g,
        Kind::ExternalService,
        "sliced",
        serde_json::json!({"name": "sliced", "namespace": "payments", "endpoints": ["10.1.8.7"],
                           "ports": [{"name": "http", "port": 80, "target_port": 8080}, {"name": "https", "port": 443}]}),
    );
    common::add(
        &mut g,
        Kind::LbService,
        "fixed",
        serde_json::json!({"name": "fixed", "selector": {"app": "x"}, "ports": [{"port": 80}], "internal": true,
                           "internal_subnet": "nodes", "load_balancer_ip": "10.40.0.250"}),
    );
    let (_, yaml) = render::k8s_streams(&g).into_iter().next().unwrap();
    assert_eq!(yaml.matches("kind: Namespace\n").count(), 1, "{yaml}");
    assert_eq!(yaml.matches("kind: Endpoints\n").count(), 1, "{yaml}");
    assert_eq!(yaml.matches("kind: EndpointSlice\n").count(), 2, "{yaml}");
    assert!(yaml.contains("service.beta.kubernetes.io/azure-load-balancer-ipv4: 10.40.0.250"));
    let (ok, text) = validate(&yaml);
    assert!(ok, "kubernetes-validate rejected the manifests:\n{text}\n{yaml}");
}

#[test]
fn the_validator_really_rejects_bad_manifests() {
    let bad =
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  ports:\n  - port: not-a-number\n  bogus: 1\n";
    let (ok, _) = validate(bad);
    assert!(
        !ok,
        "a Service with a string port and an unknown field must fail validation"
    );
}
