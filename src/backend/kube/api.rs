//! The Kubernetes resources the plane writes, typed by k8s-openapi: each
//! object kind's group, version and URL segment, and the paths of its
//! collection and of one object.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Endpoints, Namespace, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::Resource;

/// One resource type of the API server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiKind {
    pub api_version: &'static str,
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
}

const fn of<K: Resource>(namespaced: bool) -> ApiKind {
    ApiKind {
        api_version: K::API_VERSION,
        group: K::GROUP,
        version: K::VERSION,
        kind: K::KIND,
        plural: K::URL_PATH_SEGMENT,
        namespaced,
    }
}

pub const SERVICE: ApiKind = of::<Service>(true);
pub const ENDPOINT_SLICE: ApiKind = of::<EndpointSlice>(true);
pub const ENDPOINTS: ApiKind = of::<Endpoints>(true);
pub const CONFIG_MAP: ApiKind = of::<ConfigMap>(true);
pub const NAMESPACE: ApiKind = of::<Namespace>(false);
pub const DEPLOYMENT: ApiKind = of::<Deployment>(true);

/// Every kind the plane sends.
pub const KINDS: [ApiKind; 6] = [SERVICE, ENDPOINT_SLICE, ENDPOINTS, CONFIG_MAP, NAMESPACE, DEPLOYMENT];

impl ApiKind {
    /// The kind of a manifest object (`apiVersion` and `kind`).
    pub fn of_object(api_version: &str, kind: &str) -> Option<ApiKind> {
        KINDS
            .into_iter()
            .find(|k| k.api_version == api_version && k.kind == kind)
    }

    /// `/api/v1/namespaces/{ns}/services` and the like.
    pub fn collection(&self, namespace: &str) -> String {
        let mut p = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        if self.namespaced {
            p.push_str("/namespaces/");
            p.push_str(&segment(namespace));
        }
        p.push('/');
        p.push_str(self.plural);
        p
    }

    /// The path of one object.
    pub fn object(&self, namespace: &str, name: &str) -> String {
        format!("{}/{}", self.collection(namespace), segment(name))
    }
}

/// A path segment: object names are DNS labels, but a bad one must not
/// change the path.
fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_api_groups() {
        assert_eq!(
            SERVICE.object("default", "web"),
            "/api/v1/namespaces/default/services/web"
        );
        assert_eq!(
            ENDPOINT_SLICE.collection("apps"),
            "/apis/discovery.k8s.io/v1/namespaces/apps/endpointslices"
        );
        assert_eq!(NAMESPACE.object("", "apps"), "/api/v1/namespaces/apps");
        assert_eq!(
            DEPLOYMENT.object("kube-system", "coredns"),
            "/apis/apps/v1/namespaces/kube-system/deployments/coredns"
        );
        assert_eq!(
            ApiKind::of_object("discovery.k8s.io/v1", "EndpointSlice"),
            Some(ENDPOINT_SLICE)
        );
        assert_eq!(ApiKind::of_object("v1", "Pod"), None);
        assert_eq!(
            SERVICE.object("default", "a/b"),
            "/api/v1/namespaces/default/services/a%2Fb"
        );
    }
}
