//! `local`: an emulated Azure fabric in one SQLite file. It holds VNETs,
//! subnets, both sides of every peering, DNS configurations and Kubernetes
//! objects, and refuses what Azure refuses at apply time (overlapping
//! peerings, gateway transit in the wrong order, subnets outside their VNET,
//! deleting what is in use), so plan-time rules are tested against something
//! that really says no. The same file holds the stacks (standalone state of
//! DSL programs).
//!
//! Test knob: `HYBRIDK8S_FABRIC_DELAY_MS` makes every change (each peering
//! side counts) wait that long before its transaction, like a slow cloud.

mod attached;
mod busy;
mod cluster_network;
pub mod db;
mod dump;
mod gateway;
mod hub;
mod k8s;
mod nsg;
pub mod oob;
mod peering;
mod peering_side;
mod records;
mod route_table;
pub mod stack;
mod tags;
mod vnet;
mod vnet_row;

use super::{noun, Backend, BackendError, ErrorCode, Observed, Op, OpCtx, PeeringView};
use crate::graph::{Attrs, Kind};
use async_trait::async_trait;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use records::{attrs_from_json, attrs_to_json};
pub use stack::{host_name, StackError, StackLock};

/// Environment variable of the test knob that slows every change down.
pub const DELAY_ENV: &str = "HYBRIDK8S_FABRIC_DELAY_MS";

/// Why a fabric operation failed, before it is given its op and ID.
#[derive(Debug)]
pub(crate) enum Fail {
    Refused(ErrorCode, String),
    /// A fully formed error (about another object than the one operated on).
    Backend(BackendError),
    Missing(String),
    Sql(rusqlite::Error),
    Corrupt(String),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Sql(e)
    }
}

impl Fail {
    pub fn refused(code: ErrorCode, message: impl Into<String>) -> Self {
        Fail::Refused(code, message.into())
    }

    /// The object at `id` is a `found`, not the `kind` asked for.
    pub fn wrong_kind(kind: Kind, found: Kind, id: &str) -> Self {
        Fail::Backend(BackendError::WrongKind {
            op: Op::Retrieving,
            noun: noun(kind),
            id: id.to_string(),
            expected: format!("a {}", kind.terraform_type()),
            found: format!("a {}", found.terraform_type()),
        })
    }

    fn at(self, op: Op, noun: &'static str, id: &str) -> BackendError {
        let id = id.to_string();
        match self {
            Fail::Refused(code, message) => BackendError::Refused {
                op,
                noun,
                id,
                code,
                message,
            },
            Fail::Backend(e) => e,
            Fail::Missing(attribute) => BackendError::MissingAttribute {
                op,
                noun,
                id,
                attribute,
            },
            Fail::Sql(e) => BackendError::Storage {
                op,
                noun,
                id,
                cause: e.to_string(),
            },
            Fail::Corrupt(cause) => BackendError::Storage { op, noun, id, cause },
        }
    }
}

/// The `id` attribute of a resource, for error messages.
use crate::backend::id_of;

/// The embedded fabric. Cheap to clone; every clone shares one pool.
#[derive(Clone)]
pub struct LocalFabric {
    inner: Arc<Inner>,
    /// The wait before every change (the test knob, [`DELAY_ENV`]).
    delay: Duration,
    /// Kubernetes objects only: their cluster network lives elsewhere (ARM),
    /// so writes do not look for it in this file.
    objects_only: bool,
    /// Whether writes take the per-VNET lock (see [`busy`]).
    serialized: bool,
}

struct Inner {
    pool: db::Pool,
    /// Writes in progress per VNET, and the locks that serialize ours.
    busy: Arc<busy::Busy>,
}

impl LocalFabric {
    /// Opens (creating when missing) the fabric file at `path`, mode 0600,
    /// with its directory. The CLI maps `--state PATH` / `HYBRIDK8S_STATE` here.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, BackendError> {
        let path = path.into();
        let conn = db::create(&path).map_err(|e| BackendError::Storage {
            op: Op::Retrieving,
            noun: "fabric",
            id: path.display().to_string(),
            cause: e.to_string(),
        })?;
        let delay = std::env::var(DELAY_ENV)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Duration::from_millis)
            .unwrap_or_default();
        Ok(LocalFabric {
            inner: Arc::new(Inner {
                pool: db::Pool::new(path, conn),
                busy: Arc::default(),
            }),
            delay,
            objects_only: false,
            serialized: true,
        })
    }

    /// Opens the fabric at `path` when the file exists, `None` otherwise:
    /// for commands that only read and must create nothing.
    pub fn open_existing(path: impl Into<PathBuf>) -> Result<Option<Self>, BackendError> {
        let path = path.into();
        if !path.is_file() {
            return Ok(None);
        }
        Self::open(path).map(Some)
    }

    /// A new, empty fabric that lives in memory only: what a read-only
    /// command sees where no fabric file exists.
    pub fn empty_in_memory() -> Result<Self, BackendError> {
        let (uri, conn) = db::memory().map_err(|e| BackendError::Storage {
            op: Op::Retrieving,
            noun: "fabric",
            id: "(in memory)".into(),
            cause: e.to_string(),
        })?;
        Ok(LocalFabric {
            inner: Arc::new(Inner {
                pool: db::Pool::new(uri, conn),
                busy: Arc::default(),
            }),
            delay: Duration::ZERO,
            objects_only: false,
            serialized: true,
        })
    }

    /// Opens `.hybridk8s/fabric.db` under the working directory.
    pub fn open_default() -> Result<Self, BackendError> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        Self::open(db::default_path(&cwd))
    }

    /// Opens `path` when given, the default file otherwise.
    pub fn open_at(path: Option<PathBuf>) -> Result<Self, BackendError> {
        match path {
            Some(p) => Self::open(p),
            None => Self::open_default(),
        }
    }

    /// The same file, holding Kubernetes objects for a backend whose
    /// networks live elsewhere (the `azure` backend checks the cluster
    /// network in ARM): writes of objects skip the check of the cluster
    /// network in this file.
    pub fn objects_only(self) -> Self {
        LocalFabric {
            objects_only: true,
            ..self
        }
    }

    /// True for [`LocalFabric::objects_only`].
    pub fn is_objects_only(&self) -> bool {
        self.objects_only
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        self.inner.pool.path()
    }

    /// The delay before every change (the test knob).
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// This handle (sharing the pool) with another delay before every
    /// change: tests cut an operation off between its steps.
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Runs `f` on a pooled connection on the blocking thread pool.
    pub(crate) async fn with_conn<T, F>(&self, f: F) -> Result<T, Fail>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, Fail> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.pool.get()?;
            let out = f(&mut conn);
            // A connection left inside a transaction (a panic) is not reused.
            if conn.is_autocommit() {
                inner.pool.put(conn);
            }
            out
        })
        .await
        .map_err(|e| Fail::Corrupt(format!("fabric worker failed: {e}")))?
    }

    /// One change: waits the test delay, then runs `f` in one immediate
    /// (write) transaction, committed only when `f` succeeds. A cancelled
    /// context stops it before the transaction, never inside it.
    pub(crate) async fn write<T, F>(&self, cx: &OpCtx, op: Op, kind: Kind, id: &str, f: F) -> Result<T, BackendError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T, Fail> + Send + 'static,
    {
        self.write_as(cx, op, noun(kind), id, f).await
    }

    pub(crate) async fn write_as<T, F>(
        &self,
        cx: &OpCtx,
        op: Op,
        noun: &'static str,
        id: &str,
        f: F,
    ) -> Result<T, BackendError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T, Fail> + Send + 'static,
    {
        if !self.delay.is_zero() {
            cx.wait(self.delay, op, noun, id).await?;
        }
        cx.check(op, noun, id)?;
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
        .map_err(|e| e.at(op, noun, id))
    }

    /// A consistent read (one deferred transaction).
    pub(crate) async fn snapshot<T, F>(&self, cx: &OpCtx, op: Op, kind: Kind, id: &str, f: F) -> Result<T, BackendError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T, Fail> + Send + 'static,
    {
        cx.check(op, noun(kind), id)?;
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            f(&tx)
        })
        .await
        .map_err(|e| e.at(op, noun(kind), id))
    }

    /// The whole fabric as deterministic, sorted JSON: VNETs with subnets,
    /// DNS servers and gateway; peerings (each side) with state and sync
    /// level; DNS configurations; Kubernetes objects. No row ids or times.
    pub async fn dump(&self) -> Result<serde_json::Value, BackendError> {
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            dump::dump(&tx)
        })
        .await
        .map_err(|e| e.at(Op::Retrieving, "fabric", "dump"))
    }

    /// Runs SQLite's integrity check; `Ok(())` when the file is sound.
    pub async fn integrity_check(&self) -> Result<(), BackendError> {
        let report: String = self
            .with_conn(|conn| Ok(conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))
            .await
            .map_err(|e| e.at(Op::Retrieving, "fabric", "integrity"))?;
        if report == "ok" {
            Ok(())
        } else {
            Err(BackendError::Storage {
                op: Op::Retrieving,
                noun: "fabric",
                id: self.path().display().to_string(),
                cause: report,
            })
        }
    }
}

impl LocalFabric {
    /// Puts (`claim`) or takes off the stack's owner mark.
    async fn mark(&self, cx: &OpCtx, kind: Kind, id: &str, claim: bool) -> Result<(), BackendError> {
        match kind {
            Kind::Onprem => Err(declaration_only(Op::Importing, kind)),
            Kind::Hub | Kind::ClusterNetwork => vnet::claim(self, cx, kind, id, claim).await,
            Kind::Peering => peering::claim(self, cx, id, claim).await,
            Kind::DnsUpstream | Kind::ExternalService | Kind::LbService => k8s::claim(self, cx, kind, id, claim).await,
            Kind::NetworkSecurityGroup | Kind::RouteTable => attached::claim(self, cx, kind, id, claim).await,
        }
    }
}

/// True when a dump holds no object at all.
pub fn dump_is_empty(dump: &serde_json::Value) -> bool {
    dump.as_object()
        .is_some_and(|o| o.values().all(|v| v.as_array().is_some_and(Vec::is_empty)))
}

fn declaration_only(op: Op, kind: Kind) -> BackendError {
    BackendError::DeclarationOnly { op, kind }
}

#[async_trait]
impl Backend for LocalFabric {
    async fn read(
        &self,
        cx: &OpCtx,
        kind: Kind,
        id: &str,
        prior: Option<&Attrs>,
    ) -> Result<Option<Observed>, BackendError> {
        match kind {
            Kind::Onprem => Err(declaration_only(Op::Retrieving, kind)),
            Kind::Hub | Kind::ClusterNetwork => vnet::read(self, cx, kind, id, prior).await,
            Kind::Peering => peering::read(self, cx, id, prior).await,
            Kind::DnsUpstream | Kind::ExternalService | Kind::LbService => k8s::read(self, cx, kind, id).await,
            Kind::NetworkSecurityGroup => nsg::read(self, cx, id, prior).await,
            Kind::RouteTable => route_table::read(self, cx, id, prior).await,
        }
    }

    async fn create(&self, cx: &OpCtx, kind: Kind, attrs: &Attrs) -> Result<Observed, BackendError> {
        let _w = self.begin(Op::Creating, kind, attrs).await?;
        match kind {
            Kind::Onprem => Ok(Observed {
                attrs: attrs.clone(),
                owner: super::Owner::Stack(cx.stack().to_string()),
            }),
            Kind::Hub | Kind::ClusterNetwork => vnet::create(self, cx, kind, attrs).await,
            Kind::Peering => peering::create(self, cx, attrs).await,
            Kind::DnsUpstream | Kind::ExternalService | Kind::LbService => k8s::create(self, cx, kind, attrs).await,
            Kind::NetworkSecurityGroup => nsg::create(self, cx, attrs).await,
            Kind::RouteTable => route_table::create(self, cx, attrs).await,
        }
    }

    async fn update(&self, cx: &OpCtx, kind: Kind, prior: &Attrs, attrs: &Attrs) -> Result<Observed, BackendError> {
        let _w = self.begin(Op::Updating, kind, attrs).await?;
        match kind {
            Kind::Onprem => Ok(Observed {
                attrs: attrs.clone(),
                owner: super::Owner::Stack(cx.stack().to_string()),
            }),
            Kind::Hub | Kind::ClusterNetwork => vnet::update(self, cx, kind, prior, attrs).await,
            Kind::Peering => peering::update(self, cx, prior, attrs).await,
            Kind::DnsUpstream | Kind::ExternalService | Kind::LbService => k8s::update(self, cx, kind, attrs).await,
            Kind::NetworkSecurityGroup => nsg::update(self, cx, prior, attrs).await,
            Kind::RouteTable => route_table::update(self, cx, prior, attrs).await,
        }
    }

    async fn peerings_of(&self, cx: &OpCtx, vnet_id: &str) -> Result<Vec<PeeringView>, BackendError> {
        peering::peerings_of(self, cx, vnet_id).await
    }

    async fn delete(&self, cx: &OpCtx, kind: Kind, prior: &Attrs) -> Result<(), BackendError> {
        let _w = self.begin(Op::Deleting, kind, prior).await?;
        match kind {
            Kind::Onprem => Ok(()),
            Kind::Hub | Kind::ClusterNetwork => vnet::delete(self, cx, kind, prior).await,
            Kind::Peering => peering::delete(self, cx, prior).await,
            Kind::DnsUpstream | Kind::ExternalService | Kind::LbService => k8s::delete(self, cx, kind, prior).await,
            Kind::NetworkSecurityGroup => nsg::delete(self, cx, prior).await,
            Kind::RouteTable => route_table::delete(self, cx, prior).await,
        }
    }

    async fn claim(&self, cx: &OpCtx, kind: Kind, id: &str) -> Result<(), BackendError> {
        self.mark(cx, kind, id, true).await
    }

    async fn release(&self, cx: &OpCtx, kind: Kind, id: &str) -> Result<(), BackendError> {
        self.mark(cx, kind, id, false).await
    }
}
