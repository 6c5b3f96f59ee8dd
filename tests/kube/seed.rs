//! The objects of a fresh AKS cluster, owned by the cluster's own managers.

use super::kinds::Kind;
use super::store::Store;
use serde_json::{json, Value};

const COREFILE: &str = ".:53 {\n    errors\n    ready\n    health {\n      lameduck 5s\n    }\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n      pods insecure\n      fallthrough in-addr.arpa ip6.arpa\n      ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf\n    cache 30\n    loop\n    reload\n    loadbalance\n    import custom/*.override\n}\nimport custom/*.server\n";

fn put(st: &mut Store, manager: &str, obj: Value) {
    let av = obj["apiVersion"].as_str().unwrap_or("").to_string();
    let kind = obj["kind"].as_str().unwrap_or("").to_string();
    let k = Kind::by_kind(&av, &kind).expect("seed kind");
    let ns = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
    st.apply(&k, &ns, &name, obj, manager, true).expect("seed object");
}

pub fn aks(st: &mut Store) {
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let k = Kind::by_kind("v1", "Namespace").expect("namespace");
        st.create(
            &k,
            "",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
            "kube-apiserver",
        )
        .expect("seed namespace");
    }
    let addon = json!({"addonmanager.kubernetes.io/mode": "Reconcile", "kubernetes.io/cluster-service": "true"});
    let svc_k = Kind::by_kind("v1", "Service").expect("service");
    st.create(&svc_k, "default", json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"clusterIP": "10.0.0.1", "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443}]}
    }), "kube-apiserver").expect("seed kubernetes");
    let mut labels = addon.clone();
    labels["k8s-app"] = json!("kube-dns");
    labels["kubernetes.io/name"] = json!("CoreDNS");
    put(
        st,
        "kube-addon-manager",
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kube-dns", "namespace": "kube-system", "labels": labels},
            "spec": {"clusterIP": "10.0.0.10", "selector": {"k8s-app": "kube-dns"}, "ports": [
                {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}]}
        }),
    );
    put(
        st,
        "kube-addon-manager",
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "coredns", "namespace": "kube-system", "labels": addon},
            "data": {"Corefile": COREFILE}
        }),
    );
    put(
        st,
        "kube-addon-manager",
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "coredns-custom", "namespace": "kube-system", "labels": {"addonmanager.kubernetes.io/mode": "EnsureExists", "k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true"}},
            "data": {}
        }),
    );
    put(
        st,
        "kube-addon-manager",
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "coredns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS", "addonmanager.kubernetes.io/mode": "Reconcile"}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"k8s-app": "kube-dns"}}, "template": {
                "metadata": {"labels": {"k8s-app": "kube-dns"}},
                "spec": {"containers": [{"name": "coredns", "image": "mcr.microsoft.com/oss/v2/kubernetes/coredns:v1.12.1", "args": ["-conf", "/etc/coredns/Corefile"],
                    "ports": [{"containerPort": 53, "name": "dns", "protocol": "UDP"}, {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"}]}]}}}
        }),
    );
    let slice_k = Kind::by_kind("discovery.k8s.io/v1", "EndpointSlice").expect("slice");
    st.create(&slice_k, "default", json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "kubernetes", "labels": {"kubernetes.io/service-name": "kubernetes", "endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io"}},
        "addressType": "IPv4", "endpoints": [{"addresses": ["20.50.10.4"], "conditions": {"ready": true}}],
        "ports": [{"name": "https", "port": 443, "protocol": "TCP"}]
    }), "kube-controller-manager").expect("seed slice");
}
