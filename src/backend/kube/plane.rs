//! The plane itself: one session per operation, the namespaces it made.

use super::cluster::{self, At, ClusterKey, KubeDefaults};
use super::session::Session;
use super::{api, read, write};
use crate::backend::{id_of, noun, BackendError, KubernetesObjectId, Observed, Op, OpCtx};
use crate::graph::{manifests, Attrs, Kind};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// The Kubernetes plane. Cheap to clone (the client cache is shared).
#[derive(Clone)]
pub struct KubePlane {
    inner: Arc<cluster::Clients>,
    /// Namespaces known to exist, per cluster.
    namespaces: Arc<Mutex<HashSet<(ClusterKey, String)>>>,
}

impl KubePlane {
    /// A plane that connects, at first use, to the clusters the resources name.
    pub fn new(defaults: KubeDefaults) -> KubePlane {
        KubePlane {
            inner: Arc::new(cluster::Clients::new(defaults)),
            namespaces: Arc::default(),
        }
    }

    async fn session<'a>(
        &self,
        cx: &'a OpCtx,
        at: At<'a>,
        attrs: Option<&Attrs>,
        prior: Option<&Attrs>,
    ) -> Result<(Session<'a>, ClusterKey), BackendError> {
        cx.check(at.op, at.noun, at.id)?;
        let key = self.inner.key(attrs, prior);
        let conn = self.inner.client(&at, &key).await?;
        Ok((Session { conn, cx, at }, key))
    }

    /// Creates the namespace of a Service when the cluster lacks it (never
    /// deleted: other objects may live there by then).
    async fn ensure_namespace(&self, s: &Session<'_>, key: &ClusterKey, ns: &str) -> Result<(), BackendError> {
        let Some(mut body) = manifests::namespace_object(ns) else {
            return Ok(());
        };
        let k = (key.clone(), ns.to_string());
        if self.namespaces.lock().unwrap_or_else(|p| p.into_inner()).contains(&k) {
            return Ok(());
        }
        if s.get(api::NAMESPACE, "", ns).await?.is_none() {
            crate::backend::objects::mark(&mut body, s.cx.stack());
            // Made meanwhile by someone else: there it is, all the same.
            s.create(api::NAMESPACE, "", &body).await?;
        }
        self.namespaces.lock().unwrap_or_else(|p| p.into_inner()).insert(k);
        Ok(())
    }

    /// What the cluster holds of the resource with this ID.
    pub async fn read(
        &self,
        cx: &OpCtx,
        kind: Kind,
        id: &str,
        prior: Option<&Attrs>,
    ) -> Result<Option<Observed>, BackendError> {
        let kid: KubernetesObjectId = id.parse()?;
        let at = At {
            op: Op::Retrieving,
            noun: noun(kind),
            id,
        };
        let (s, _) = self.session(cx, at, None, prior).await?;
        read::read(&s, kind, &kid, prior).await
    }

    /// Creates the resource's objects with the stack's marks.
    pub async fn create(&self, cx: &OpCtx, kind: Kind, attrs: &Attrs) -> Result<Observed, BackendError> {
        self.write(cx, kind, None, attrs).await
    }

    /// Changes the resource's objects in place.
    pub async fn update(&self, cx: &OpCtx, kind: Kind, prior: &Attrs, attrs: &Attrs) -> Result<Observed, BackendError> {
        self.write(cx, kind, Some(prior), attrs).await
    }

    /// A create (no `prior`) or an update, observed from the server's answers.
    async fn write(
        &self,
        cx: &OpCtx,
        kind: Kind,
        prior: Option<&Attrs>,
        attrs: &Attrs,
    ) -> Result<Observed, BackendError> {
        let id = id_of(attrs);
        let kid: KubernetesObjectId = id.parse()?;
        let at = At {
            op: if prior.is_some() { Op::Updating } else { Op::Creating },
            noun: noun(kind),
            id: &id,
        };
        let objs = write::planned(&at, kind, attrs)?;
        let before = prior.map(|p| write::planned(&at, kind, p).unwrap_or_default());
        let (s, key) = self.session(cx, at, Some(attrs), prior).await?;
        let lives = match kind {
            Kind::DnsUpstream => vec![write::write_dns(&s, attrs, before.as_deref(), &objs).await?],
            _ => {
                if let Some(p) = objs.first() {
                    self.ensure_namespace(&s, &key, &p.ns).await?;
                }
                match &before {
                    None => write::create_service(&s, &objs).await?,
                    Some(b) => write::update_service(&s, b, &objs, write::force(attrs)).await?,
                }
            }
        };
        let owner = crate::backend::objects::owner_of(&lives[0]);
        Ok(read::observed(kind, &kid, Some(attrs), Some(&objs), &lives, owner))
    }

    /// Deletes what the resource put in the cluster; what is gone already is fine.
    pub async fn delete(&self, cx: &OpCtx, kind: Kind, prior: &Attrs) -> Result<(), BackendError> {
        let id = id_of(prior);
        let at = At {
            op: Op::Deleting,
            noun: noun(kind),
            id: &id,
        };
        let objs = match write::planned(&at, kind, prior) {
            Ok(o) => o,
            // Attributes that describe nothing (an import's): the primary
            // object the ID names.
            Err(_) => {
                let kid: KubernetesObjectId = id.parse()?;
                vec![write::Planned {
                    k: read::primary_kind(&kid),
                    ns: kid.namespace.clone(),
                    name: kid.name.clone(),
                    body: serde_json::Value::Null,
                }]
            }
        };
        let (s, _) = self.session(cx, at, None, Some(prior)).await?;
        match kind {
            Kind::DnsUpstream => write::delete_dns(&s, prior, &objs).await,
            _ => write::delete_service(&s, &objs).await,
        }
    }

    /// Puts the stack's marks on the objects of the resource with this ID
    /// (`claim`), or takes the stack annotation off.
    pub async fn claim(
        &self,
        cx: &OpCtx,
        kind: Kind,
        id: &str,
        attrs: Option<&Attrs>,
        claim: bool,
    ) -> Result<(), BackendError> {
        let kid: KubernetesObjectId = id.parse()?;
        let at = At {
            op: Op::Importing,
            noun: noun(kind),
            id,
        };
        let (s, _) = self.session(cx, at, attrs, None).await?;
        write::claim(&s, kind, &kid.namespace, &kid.name, claim).await
    }
}
