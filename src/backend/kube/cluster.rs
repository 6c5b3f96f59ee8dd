//! Which cluster a resource lives in, and one client per cluster: the
//! kubeconfig (path and context) resolved from the resource, the plane's
//! defaults, `KUBECONFIG`, `~/.kube/config`, then the in-cluster service
//! account; clients cached per (path, context) so that every call to a
//! cluster shares one connection pool.

pub use super::KubeDefaults;
use crate::backend::{BackendError, Op};
use crate::graph::{Attrs, Value};
use kube::config::{Config, KubeConfigOptions, Kubeconfig};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;

/// A cluster as a resource names it: a kubeconfig file (none: `KUBECONFIG`,
/// `~/.kube/config` or in-cluster) and a context (none: the current one).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusterKey {
    pub path: Option<PathBuf>,
    pub context: Option<String>,
}

/// What the call that needs a client is doing (for its errors).
#[derive(Debug, Clone, Copy)]
pub struct At<'a> {
    pub op: Op,
    pub noun: &'static str,
    pub id: &'a str,
}

impl At<'_> {
    pub(super) fn remote(&self, cause: String) -> BackendError {
        BackendError::Remote {
            op: self.op,
            noun: self.noun,
            id: self.id.to_string(),
            cause,
        }
    }
}

/// A cluster's client and the API server it talks to (for errors).
#[derive(Clone)]
pub struct Conn {
    pub client: kube::Client,
    pub server: String,
}

type Cell = Arc<OnceCell<Conn>>;

/// The clients of a plane, one per cluster key.
pub(super) struct Clients {
    defaults: KubeDefaults,
    clients: Mutex<HashMap<ClusterKey, Cell>>,
}

fn attr<'a>(a: Option<&'a Attrs>, k: &str) -> Option<&'a str> {
    a.and_then(|a| a.get(k))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

impl Clients {
    pub(super) fn new(defaults: KubeDefaults) -> Self {
        Clients {
            defaults,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The cluster `attrs` names, else `prior`, else the defaults.
    pub(super) fn key(&self, attrs: Option<&Attrs>, prior: Option<&Attrs>) -> ClusterKey {
        let pick = |k: &str| attr(attrs, k).or_else(|| attr(prior, k)).map(str::to_string);
        ClusterKey {
            path: pick("kubeconfig_path")
                .map(PathBuf::from)
                .or_else(|| self.defaults.kubeconfig_path.clone()),
            context: pick("kubeconfig_context").or_else(|| self.defaults.kubeconfig_context.clone()),
        }
    }

    /// The client of `key`: built by the first caller (a failure is not
    /// remembered, so a fixed kubeconfig works on the next call).
    pub(super) async fn client(&self, at: &At<'_>, key: &ClusterKey) -> Result<Conn, BackendError> {
        let cell = {
            let mut m = self.clients.lock().unwrap_or_else(|p| p.into_inner());
            m.entry(key.clone()).or_default().clone()
        };
        cell.get_or_try_init(|| async {
            let mut config = config_of(at, key).await?;
            // Retries are the plane's own, within the operation's deadline.
            config.default_retry = false;
            config.connect_timeout = Some(Duration::from_secs(10));
            let server = config.cluster_url.to_string();
            let client = kube::Client::try_from(config)
                .map_err(|e| at.remote(format!("building the Kubernetes client: {e}")))?;
            Ok(Conn { client, server })
        })
        .await
        .cloned()
    }
}

/// The kubeconfig files `KUBECONFIG` names, else `~/.kube/config` when it exists.
fn default_paths() -> Vec<PathBuf> {
    if let Some(v) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        return std::env::split_paths(&v).collect();
    }
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".kube").join("config"))
        .filter(|p| p.exists())
        .into_iter()
        .collect()
}

async fn config_of(at: &At<'_>, key: &ClusterKey) -> Result<Config, BackendError> {
    let paths = match &key.path {
        Some(p) => vec![p.clone()],
        None => default_paths(),
    };
    if paths.is_empty() {
        if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
            return Config::incluster().map_err(|e| at.remote(format!("in-cluster Kubernetes configuration: {e}")));
        }
        return Err(at.remote(
            "no kubeconfig: set `kubeconfig_path` (or the provider's), KUBECONFIG, or write ~/.kube/config".into(),
        ));
    }
    let shown = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    let mut merged: Option<Kubeconfig> = None;
    for p in &paths {
        let text =
            std::fs::read_to_string(p).map_err(|e| at.remote(format!("reading kubeconfig {}: {e}", p.display())))?;
        let kc = Kubeconfig::from_yaml(&text)
            .map_err(|e| at.remote(format!("kubeconfig {} does not parse: {e}", p.display())))?;
        merged = Some(match merged {
            None => kc,
            Some(m) => m
                .merge(kc)
                .map_err(|e| at.remote(format!("merging kubeconfig {}: {e}", p.display())))?,
        });
    }
    let kc = merged.unwrap_or_default();
    let context = key.context.clone().or_else(|| kc.current_context.clone());
    let names: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
    match &context {
        Some(c) if names.contains(&c.as_str()) => {}
        Some(c) => {
            return Err(at.remote(format!(
                "kubeconfig {shown} has no context {c:?}; its contexts: {}",
                if names.is_empty() {
                    "(none)".into()
                } else {
                    names.join(", ")
                }
            )))
        }
        None => {
            return Err(at.remote(format!(
                "kubeconfig {shown} names no current context; set `kubeconfig_context` to one of: {}",
                if names.is_empty() {
                    "(none)".into()
                } else {
                    names.join(", ")
                }
            )))
        }
    }
    let options = KubeConfigOptions {
        context,
        cluster: None,
        user: None,
    };
    Config::from_custom_kubeconfig(kc, &options)
        .await
        .map_err(|e| at.remote(format!("kubeconfig {shown}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Value;

    fn at() -> At<'static> {
        At {
            op: Op::Creating,
            noun: "Kubernetes Service",
            id: "/x",
        }
    }

    #[test]
    fn the_resource_wins_over_prior_and_defaults() {
        let c = Clients::new(KubeDefaults {
            kubeconfig_path: Some("/d".into()),
            kubeconfig_context: Some("dc".into()),
        });
        let a = Attrs::from([("kubeconfig_context".to_string(), Value::str("mine"))]);
        let p = Attrs::from([("kubeconfig_path".to_string(), Value::str("/p"))]);
        let k = c.key(Some(&a), Some(&p));
        assert_eq!((k.path, k.context), (Some("/p".into()), Some("mine".into())));
        let k = c.key(None, None);
        assert_eq!((k.path, k.context), (Some("/d".into()), Some("dc".into())));
    }

    #[tokio::test]
    async fn a_bad_kubeconfig_is_one_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = ClusterKey {
            path: Some(dir.path().join("nope")),
            context: None,
        };
        let e = config_of(&at(), &missing).await.unwrap_err().to_string();
        assert!(e.contains("reading kubeconfig") && e.contains("nope"), "{e}");

        let bad = dir.path().join("bad");
        std::fs::write(&bad, "clusters: [").unwrap();
        let key = ClusterKey {
            path: Some(bad),
            context: None,
        };
        let e = config_of(&at(), &key).await.unwrap_err().to_string();
        assert!(e.contains("does not parse"), "{e}");

        let one = dir.path().join("one");
        std::fs::write(
            &one,
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: aks-a\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n    token: secret-token\ncurrent-context: aks-a\n",
        )
        .unwrap();
        let key = ClusterKey {
            path: Some(one.clone()),
            context: Some("aks-b".into()),
        };
        let e = config_of(&at(), &key).await.unwrap_err().to_string();
        assert!(e.contains("no context \"aks-b\"") && e.contains("aks-a"), "{e}");
        assert!(!e.contains("secret-token"), "{e}");
        let key = ClusterKey {
            path: Some(one),
            context: None,
        };
        let cfg = config_of(&at(), &key).await.unwrap();
        assert_eq!(cfg.cluster_url.to_string(), "https://127.0.0.1:1/");
    }
}
