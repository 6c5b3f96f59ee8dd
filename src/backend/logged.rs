//! [`Logged`]: any backend with one trace line per call on the [`Backend`]
//! trait (the call, the kind, the object ID, the outcome and its time).
//! The provider and the CLI wrap the backend they open in it; with trace
//! off a call costs one atomic load more.
//!
//! Lines name objects by ID only: attributes (which may hold a manifest's
//! data) never reach a line.

use super::{id_of, noun, Backend, BackendError, Observed, OpCtx, PeeringView};
use crate::graph::{Attrs, Kind};
use crate::log::{self, Field, Level, Module};
use async_trait::async_trait;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

/// A backend whose calls are logged at trace.
pub struct Logged(pub Arc<dyn Backend>);

/// `backend` wrapped in [`Logged`].
pub fn logged(backend: Arc<dyn Backend>) -> Arc<dyn Backend> {
    Arc::new(Logged(backend))
}

/// `backend` (the backend's name, `local` or `azure`) over the local file
/// at `state_path`, wrapped in [`Logged`]; opening it is a debug line.
pub fn opened(name: &str, state_path: &std::path::Path, backend: Arc<dyn Backend>) -> Arc<dyn Backend> {
    if log::enabled(Level::Debug) {
        let path = state_path.display().to_string();
        let fields = [("backend", Field::Str(name)), ("state_path", Field::Str(&path))];
        log::emit(
            Level::Debug,
            Module::Backend,
            &format!("opened the {name} backend"),
            &fields,
        );
    }
    logged(backend)
}

/// A call on the trait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Read,
    Create,
    Update,
    Delete,
    PeeringsOf,
    Claim,
    Release,
    Import,
}

impl Call {
    fn as_str(self) -> &'static str {
        match self {
            Call::Read => "read",
            Call::Create => "create",
            Call::Update => "update",
            Call::Delete => "delete",
            Call::PeeringsOf => "peerings_of",
            Call::Claim => "claim",
            Call::Release => "release",
            Call::Import => "import",
        }
    }
}

/// What a call's line says of its answer.
trait Outcome {
    fn outcome(&self) -> &'static str;
}

impl Outcome for Option<Observed> {
    fn outcome(&self) -> &'static str {
        match self {
            Some(_) => "found",
            None => "gone",
        }
    }
}

impl Outcome for Observed {
    fn outcome(&self) -> &'static str {
        "ok"
    }
}

impl Outcome for () {
    fn outcome(&self) -> &'static str {
        "ok"
    }
}

impl Outcome for Vec<PeeringView> {
    fn outcome(&self) -> &'static str {
        "ok"
    }
}

/// Runs `fut`, and when trace is on writes its line.
async fn traced<T: Outcome>(
    call: Call,
    what: &str,
    id: impl FnOnce() -> String,
    fut: impl Future<Output = Result<T, BackendError>>,
) -> Result<T, BackendError> {
    if !log::enabled(Level::Trace) {
        return fut.await;
    }
    let id = id();
    let started = Instant::now();
    let result = fut.await;
    let took = started.elapsed();
    let (outcome, error) = match &result {
        Ok(v) => (v.outcome(), None),
        Err(e) => ("error", Some(e.to_string())),
    };
    let message = format!("{} {what}: {outcome}", call.as_str());
    let mut fields = vec![
        ("backend_call", Field::Str(call.as_str())),
        ("object_id", Field::Str(&id)),
        ("duration_ms", Field::Ms(took)),
    ];
    if let Some(e) = &error {
        fields.push(("error", Field::Str(e)));
    }
    let rpc = log::request();
    if let Some(r) = &rpc {
        fields.push(("tf_rpc", Field::Str(r.rpc)));
        fields.push(("tf_req_id", Field::Num(r.id)));
    }
    log::emit(Level::Trace, Module::Backend, &message, &fields);
    result
}

#[async_trait]
impl Backend for Logged {
    async fn read(
        &self,
        cx: &OpCtx,
        kind: Kind,
        id: &str,
        prior: Option<&Attrs>,
    ) -> Result<Option<Observed>, BackendError> {
        let fut = self.0.read(cx, kind, id, prior);
        traced(Call::Read, noun(kind), || id.to_string(), fut).await
    }

    async fn create(&self, cx: &OpCtx, kind: Kind, attrs: &Attrs) -> Result<Observed, BackendError> {
        let fut = self.0.create(cx, kind, attrs);
        traced(Call::Create, noun(kind), || id_of(attrs), fut).await
    }

    async fn update(&self, cx: &OpCtx, kind: Kind, prior: &Attrs, attrs: &Attrs) -> Result<Observed, BackendError> {
        let fut = self.0.update(cx, kind, prior, attrs);
        traced(Call::Update, noun(kind), || id_of(prior), fut).await
    }

    async fn delete(&self, cx: &OpCtx, kind: Kind, prior: &Attrs) -> Result<(), BackendError> {
        let fut = self.0.delete(cx, kind, prior);
        traced(Call::Delete, noun(kind), || id_of(prior), fut).await
    }

    async fn peerings_of(&self, cx: &OpCtx, vnet_id: &str) -> Result<Vec<PeeringView>, BackendError> {
        let fut = self.0.peerings_of(cx, vnet_id);
        traced(Call::PeeringsOf, noun(Kind::Hub), || vnet_id.to_string(), fut).await
    }

    fn refuses(&self, kind: Kind) -> Option<String> {
        self.0.refuses(kind)
    }

    async fn claim(&self, cx: &OpCtx, kind: Kind, id: &str) -> Result<(), BackendError> {
        let fut = self.0.claim(cx, kind, id);
        traced(Call::Claim, noun(kind), || id.to_string(), fut).await
    }

    async fn release(&self, cx: &OpCtx, kind: Kind, id: &str) -> Result<(), BackendError> {
        let fut = self.0.release(cx, kind, id);
        traced(Call::Release, noun(kind), || id.to_string(), fut).await
    }

    async fn import(&self, cx: &OpCtx, kind: Kind, id: &str) -> Result<Observed, BackendError> {
        let fut = self.0.import(cx, kind, id);
        traced(Call::Import, noun(kind), || id.to_string(), fut).await
    }
}
