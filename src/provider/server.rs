//! The tfplugin5 `Provider` service: one function per RPC, each decoding
//! its request, calling the protocol-free core (`core`, `lifecycle`) and
//! encoding the answer. Problems are diagnostics; gRPC errors are kept for
//! requests no Terraform would send.

use super::config::{self, BackendFactory, ProviderConfig};
use super::convert::{cty_error, decode, diagnostics, encode, error, folded, mirrored};
use super::cty::CtyType;
use super::plan_store::PlanStore;
use super::proto::tfplugin5 as pb;
use super::schema::{self as sch, data_source_schema, resource_kind, resource_type};
use super::{core, cross, lifecycle};
use crate::backend::{Backend, OpCtx};
use crate::graph::{Ctx, Kind};
use std::sync::{Arc, RwLock};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

type Reply<T> = Result<Response<T>, Status>;

/// What Configure established.
#[derive(Clone)]
struct Configured {
    config: ProviderConfig,
    backend: Arc<dyn Backend>,
    /// The stack's context, cancelled by StopProvider.
    cx: OpCtx,
    /// `cx` with one read scope for the reads of a walk (refresh, plan
    /// checks, data sources): one GET per VNET and gateway for all the
    /// resources Terraform reads. Every write starts a new scope, so what
    /// is read after it is fresh.
    reads: OpCtx,
}

/// The provider service. Cheap to share: RPCs arrive concurrently.
pub struct ProviderService {
    factory: BackendFactory,
    configured: RwLock<Option<Configured>>,
    /// Cancelled by StopProvider: no new backend step starts after it.
    stop: CancellationToken,
    /// The objects planned (and data sources read) by this process: one
    /// Terraform graph walk.
    plans: PlanStore,
}

impl ProviderService {
    /// A provider whose Configure builds its backend with `factory`.
    pub fn new(factory: BackendFactory) -> Self {
        ProviderService {
            factory,
            configured: RwLock::new(None),
            stop: CancellationToken::new(),
            plans: PlanStore::new(),
        }
    }

    /// A new read scope: reads after a write see the fabric again.
    fn fresh_reads(&self) {
        if let Some(c) = self.configured.write().unwrap_or_else(|e| e.into_inner()).as_mut() {
            c.reads = c.cx.clone().with_read_scope();
        }
    }

    fn configured(&self) -> Option<Configured> {
        self.configured.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The context IDs are built in: the configured one, or the default
    /// (validation may run before Configure).
    fn ctx(&self) -> Ctx {
        self.configured().map_or_else(Ctx::default, |c| c.config.ctx())
    }
}

fn kind_of(type_name: &str) -> Result<Kind, Status> {
    resource_kind(type_name).ok_or_else(|| Status::invalid_argument(format!("no resource type `{type_name}`")))
}

fn provider_type() -> CtyType {
    CtyType::of_schema(sch::provider_schema())
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Reply<pb::get_provider_schema::Response> {
        Ok(Response::new(sch::get_schema()))
    }

    async fn prepare_provider_config(
        &self,
        req: Request<pb::prepare_provider_config::Request>,
    ) -> Reply<pb::prepare_provider_config::Response> {
        let req = req.into_inner();
        let _trim = Trim::after(&req);
        let ty = provider_type();
        let mut out = pb::prepare_provider_config::Response::default();
        match decode(req.config.as_ref(), &ty) {
            Ok(v) => {
                out.diagnostics = diagnostics(&config::validate(&core::attrs_of(&v)));
                out.prepared_config = encode(&v, &ty).ok();
            }
            Err(e) => out
                .diagnostics
                .push(cty_error("reading the provider configuration", &e)),
        }
        Ok(Response::new(out))
    }

    async fn validate_resource_type_config(
        &self,
        req: Request<pb::validate_resource_type_config::Request>,
    ) -> Reply<pb::validate_resource_type_config::Response> {
        let req = req.into_inner();
        let _trim = Trim::after(&req);
        let kind = kind_of(&req.type_name)?;
        let diags = match decode(req.config.as_ref(), resource_type(kind)) {
            Ok(v) => diagnostics(&core::validate(kind, &v, &self.ctx())),
            Err(e) => vec![cty_error("reading the configuration", &e)],
        };
        Ok(Response::new(pb::validate_resource_type_config::Response {
            diagnostics: diags,
        }))
    }

    async fn validate_data_source_config(
        &self,
        req: Request<pb::validate_data_source_config::Request>,
    ) -> Reply<pb::validate_data_source_config::Response> {
        let req = req.into_inner();
        let _trim = Trim::after(&req);
        let schema = data_source_schema(&req.type_name)
            .ok_or_else(|| Status::invalid_argument(format!("no data source `{}`", req.type_name)))?;
        let diags = match decode(req.config.as_ref(), &CtyType::of_schema(schema)) {
            Ok(v) if req.type_name == sch::ONPREM_DATA_SOURCE => {
                diagnostics(&core::validate(Kind::Onprem, &v, &self.ctx()))
            }
            Ok(v) if req.type_name == super::address_plan::ADDRESS_PLAN_DATA_SOURCE => {
                diagnostics(&super::address_plan::validate(&core::attrs_of(&v)))
            }
            Ok(v) if req.type_name == super::flow_check::FLOW_CHECK_DATA_SOURCE => {
                // Unknown inputs are answered when known (at apply).
                let cfg = core::attrs_of(&v);
                match cfg.values().all(crate::graph::Value::is_wholly_known) {
                    true => diagnostics(super::flow_check::parse(&cfg).err().iter()),
                    false => diagnostics(super::flow_check::shape(&cfg).err().iter()),
                }
            }
            Ok(v) => diagnostics(&core::validate_shape(Kind::Hub, schema, &v)),
            Err(e) => vec![cty_error("reading the configuration", &e)],
        };
        Ok(Response::new(pb::validate_data_source_config::Response {
            diagnostics: diags,
        }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Reply<pb::upgrade_resource_state::Response> {
        let req = req.into_inner();
        let _trim = Trim::after(&req);
        let kind = kind_of(&req.type_name)?;
        let mut out = pb::upgrade_resource_state::Response::default();
        let raw = req.raw_state.unwrap_or_default();
        if raw.json.is_empty() {
            if !raw.flatmap.is_empty() {
                out.diagnostics
                    .push(error("flatmap state (Terraform 0.11) cannot be upgraded"));
            }
            return Ok(Response::new(out));
        }
        match core::upgrade(kind, req.version, &raw.json) {
            Ok(v) => match encode(&mirrored(kind, &folded(kind, v)), resource_type(kind)) {
                Ok(dv) => out.upgraded_state = Some(dv),
                Err(e) => out.diagnostics.push(cty_error("writing the upgraded state", &e)),
            },
            Err(d) => out.diagnostics = diagnostics([d.as_ref()]),
        }
        Ok(Response::new(out))
    }

    async fn configure(&self, req: Request<pb::configure::Request>) -> Reply<pb::configure::Response> {
        let req = req.into_inner();
        let _trim = Trim::after(&req);
        let v = match decode(req.config.as_ref(), &provider_type()) {
            Ok(v) => v,
            Err(e) => {
                let d = cty_error("reading the provider configuration", &e);
                return Ok(Response::new(pb::configure::Response { diagnostics: vec![d] }));
            }
        };
        let attrs = core::attrs_of(&v);
        let mut diags = diagnostics(&config::validate(&attrs));
        let resolved = match diags.is_empty().then(|| ProviderConfig::from_env(&attrs)) {
            Some(Ok(c)) => Some(c),
            Some(Err(d)) => {
                diags.extend(diagnostics(&d));
                None
            }
            None => None,
        };
        if let (true, Some(config)) = (diags.is_empty(), resolved) {
            // Opening a fabric is file I/O (and may wait for another process's lock).
            let (factory, c) = (self.factory.clone(), config.clone());
            let built = tokio::task::spawn_blocking(move || factory(&c))
                .await
                .unwrap_or_else(|e| Err(format!("opening the backend failed: {e}")));
            match built {
                Ok(backend) => {
                    let cx = OpCtx::new(config.stack.clone()).with_cancel(self.stop.clone());
                    let reads = cx.clone().with_read_scope();
                    *self.configured.write().unwrap_or_else(|e| e.into_inner()) = Some(Configured {
                        config,
                        backend,
                        cx,
                        reads,
                    });
                }
                Err(e) => diags.push(error(format!("configuring the {} backend: {e}", config.backend))),
            }
        }
        Ok(Response::new(pb::configure::Response { diagnostics: diags }))
    }

    async fn read_resource(&self, req: Request<pb::read_resource::Request>) -> Reply<pb::read_resource::Response> {
        let req = req.into_inner();
        let _trim = Trim::after(&req);
        let kind = kind_of(&req.type_name)?;
        let ty = resource_type(kind);
        let mut out = pb::read_resource::Response {
            private: req.private,
            ..Default::default()
        };
        let current = match decode(req.current_state.as_ref(), ty) {
            Ok(v) => folded(kind, v),
            Err(e) => {
                out.diagnostics.push(cty_error("reading the current state", &e));
                return Ok(Response::new(out));
            }
        };
        let Some(c) = self.configured() else {
            out.new_state = req.current_state;
            out.diagnostics = diagnostics([&lifecycle::not_configured()]);
            return Ok(Response::new(out));
        };
        let (state, diags) = lifecycle::read(kind, &current, c.backend.as_ref(), &c.reads).await;
        finish(
            &mut out.new_state,
            &mut out.diagnostics,
            &mirrored(kind, &state),
            ty,
            &diags,
        );
        Ok(Response::new(out))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Reply<pb::plan_resource_change::Response> {
        let req = req.into_inner();
        let _trim = Trim::after(&req);
        let kind = kind_of(&req.type_name)?;
        let ty = resource_type(kind);
        let mut out = pb::plan_resource_change::Response {
            planned_private: req.prior_private,
            ..Default::default()
        };
        let decoded = decode(req.prior_state.as_ref(), ty)
            .map(|v| folded(kind, v))
            .map_err(|e| cty_error("reading the prior state", &e));
        let decoded = decoded.and_then(|p| {
            let c = decode(req.config.as_ref(), ty).map_err(|e| cty_error("reading the configuration", &e))?;
            Ok((p, c))
        });
        let (prior, config) = match decoded {
            Ok(pc) => pc,
            Err(d) => {
                out.diagnostics.push(d);
                return Ok(Response::new(out));
            }
        };
        let mut plan = core::plan(kind, &prior, &config, &self.ctx());
        let second_half = prior.is_null() && out.planned_private == core::REPLACING;
        out.planned_private = core::mark_replacement(kind, &prior, std::mem::take(&mut out.planned_private), &mut plan);
        let c = self.configured();
        if let Some(why) = c
            .as_ref()
            .and_then(|c| c.backend.refuses(kind))
            .filter(|_| !config.is_null())
        {
            plan.diagnostics.push(crate::graph::Diagnostic::error("backend", why));
        }
        if !plan.diagnostics.iter().any(crate::graph::Diagnostic::is_error) {
            let b = c.as_ref().map(|c| c.backend.as_ref());
            let cx = c
                .as_ref()
                .map_or_else(|| OpCtx::new("(unconfigured)"), |c| c.reads.clone());
            let cross = cross::check(&self.plans, kind, &prior, &plan.planned, b, &cx).await;
            plan.diagnostics.extend(cross);
        }
        if let (Some(c), Some(planned)) = (c.as_ref(), plan.planned.as_map()) {
            if !plan.diagnostics.iter().any(crate::graph::Diagnostic::is_error) {
                let switch =
                    lifecycle::check_gateway_switch(kind, &prior, &plan.planned, c.backend.as_ref(), &c.reads).await;
                plan.diagnostics.extend(switch);
            }
            let replacing = out.planned_private == core::REPLACING;
            if prior.is_null() && !replacing && !plan.diagnostics.iter().any(crate::graph::Diagnostic::is_error) {
                let taken = lifecycle::check_create(kind, planned, c.backend.as_ref(), &c.reads).await;
                plan.diagnostics.extend(taken);
            }
        }
        // Last: only a plan that holds notes its ID for the ones after it.
        if !second_half && !plan.diagnostics.iter().any(crate::graph::Diagnostic::is_error) {
            plan.diagnostics
                .extend(core::duplicate_id(kind, &prior, &plan.planned, &self.plans));
        }
        out.requires_replace = plan.requires_replace.iter().map(super::convert::path).collect();
        finish(
            &mut out.planned_state,
            &mut out.diagnostics,
            &mirrored(kind, &plan.planned),
            ty,
            &plan.diagnostics,
        );
        Ok(Response::new(out))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Reply<pb::apply_resource_change::Response> {
        let req = req.into_inner();
        let _trim = Trim::after(&req);
        let kind = kind_of(&req.type_name)?;
        let ty = resource_type(kind);
        let mut out = pb::apply_resource_change::Response {
            private: req.planned_private,
            ..Default::default()
        };
        let prior = decode(req.prior_state.as_ref(), ty).map(|v| folded(kind, v));
        let planned = decode(req.planned_state.as_ref(), ty).map(|v| folded(kind, v));
        let (prior, planned) = match (prior, planned) {
            (Ok(p), Ok(n)) => (p, n),
            (Err(e), _) | (_, Err(e)) => {
                out.new_state = req.prior_state;
                out.diagnostics.push(cty_error("reading the planned change", &e));
                return Ok(Response::new(out));
            }
        };
        let Some(c) = self.configured() else {
            out.new_state = req.prior_state;
            out.diagnostics = diagnostics([&lifecycle::not_configured()]);
            return Ok(Response::new(out));
        };
        // Only what this provider plans is applied (see `core::recheck`).
        let config = decode(req.config.as_ref(), ty).map_err(|e| vec![cty_error("reading the configuration", &e)]);
        let checked = config.and_then(|config| {
            core::recheck(kind, &prior, &config, &planned, &out.private, &c.config.ctx())
                .map_err(|d| diagnostics(d.iter()))
        });
        let planned = match checked {
            Ok(p) => p,
            Err(d) => {
                out.new_state = req.prior_state;
                out.diagnostics = d;
                return Ok(Response::new(out));
            }
        };
        if planned.is_null() {
            // A destroy in the apply walk (not planned again there): later
            // plans of this walk must not meet the object in the fabric.
            cross::check(&self.plans, kind, &prior, &planned, None, &c.cx).await;
        }
        self.fresh_reads();
        let (state, diags) = lifecycle::apply(kind, &prior, &planned, c.backend.as_ref(), &c.cx).await;
        for v in [&prior, &planned, &state] {
            if let Some(id) = v
                .as_map()
                .and_then(|m| m.get("id"))
                .and_then(crate::graph::Value::as_str)
            {
                self.plans.applied(id);
            }
        }
        finish(
            &mut out.new_state,
            &mut out.diagnostics,
            &mirrored(kind, &state),
            ty,
            &diags,
        );
        Ok(Response::new(out))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Reply<pb::import_resource_state::Response> {
        let req = req.into_inner();
        let _trim = Trim::after(&req);
        let kind = kind_of(&req.type_name)?;
        let ty = resource_type(kind);
        let mut out = pb::import_resource_state::Response::default();
        let Some(c) = self.configured() else {
            out.diagnostics = diagnostics([&lifecycle::not_configured()]);
            return Ok(Response::new(out));
        };
        self.fresh_reads();
        let (state, diags) = lifecycle::import(kind, &req.id, c.backend.as_ref(), &c.cx).await;
        let mut dv = None;
        finish(&mut dv, &mut out.diagnostics, &mirrored(kind, &state), ty, &diags);
        if !state.is_null() && dv.is_some() {
            out.imported_resources
                .push(pb::import_resource_state::ImportedResource {
                    type_name: req.type_name,
                    state: dv,
                    private: vec![],
                });
        }
        Ok(Response::new(out))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Reply<pb::read_data_source::Response> {
        let req = req.into_inner();
        let _trim = Trim::after(&req);
        let schema = data_source_schema(&req.type_name)
            .ok_or_else(|| Status::invalid_argument(format!("no data source `{}`", req.type_name)))?;
        let ty = CtyType::of_schema(schema);
        let mut out = pb::read_data_source::Response::default();
        let config = match decode(req.config.as_ref(), &ty) {
            Ok(v) => v,
            Err(e) => {
                out.diagnostics.push(cty_error("reading the configuration", &e));
                return Ok(Response::new(out));
            }
        };
        if req.type_name == super::address_plan::ADDRESS_PLAN_DATA_SOURCE {
            // A function of the configuration alone: no backend is read.
            let (state, diags) = super::address_plan::answer(&core::attrs_of(&config));
            let state = crate::provider::cty::normalize(crate::graph::Value::Map(state), &ty);
            finish(&mut out.state, &mut out.diagnostics, &state, &ty, &diags);
            return Ok(Response::new(out));
        }
        let c = self.configured();
        let ctx = c.as_ref().map_or_else(Ctx::default, |c| c.config.ctx());
        let b = c.as_ref().map(|c| c.backend.as_ref());
        let cx = c
            .as_ref()
            .map_or_else(|| OpCtx::new("(unconfigured)"), |c| c.reads.clone());
        if req.type_name == super::flow_check::FLOW_CHECK_DATA_SOURCE {
            let cfg = core::attrs_of(&config);
            let refs = super::flow_check::references(&cfg);
            let graph = cross::plan_graph(&self.plans, &refs, b, &cx).await;
            let (state, diags) = super::flow_check::answer(&cfg, &graph);
            let state = crate::provider::cty::normalize(crate::graph::Value::Map(state), &ty);
            finish(&mut out.state, &mut out.diagnostics, &state, &ty, &diags);
            return Ok(Response::new(out));
        }
        let (state, mut diags) = lifecycle::read_data_source(&req.type_name, &config, &ctx, b, &cx).await;
        if diags.is_empty() {
            // What the plan reads is part of the plan: checked and recorded like a resource.
            let kind = if req.type_name == sch::ONPREM_DATA_SOURCE {
                Kind::Onprem
            } else {
                Kind::Hub
            };
            diags = cross::check(&self.plans, kind, &crate::graph::Value::Null, &state, b, &cx).await;
        }
        finish(&mut out.state, &mut out.diagnostics, &state, &ty, &diags);
        Ok(Response::new(out))
    }

    async fn stop(&self, _: Request<pb::stop::Request>) -> Reply<pb::stop::Response> {
        // No backend step starts after this; steps under way finish, so the
        // state Terraform saves matches the fabric.
        self.stop.cancel();
        Ok(Response::new(pb::stop::Response { error: String::new() }))
    }
}

/// Encodes a resulting state and appends the diagnostics; a state that
/// cannot be written is one more diagnostic.
fn finish(
    slot: &mut Option<pb::DynamicValue>,
    out: &mut Vec<pb::Diagnostic>,
    state: &crate::graph::Value,
    ty: &CtyType,
    diags: &[crate::graph::Diagnostic],
) {
    out.extend(diagnostics(diags));
    match encode(state, ty) {
        Ok(dv) => *slot = Some(dv),
        Err(e) => out.push(cty_error("writing the new state", &e)),
    }
}

/// Gives the memory of a large request back to the system when its call
/// ends: the allocator keeps freed pages otherwise, and a provider that
/// once read a 15 MiB plan would hold its peak for the rest of the walk.
struct Trim(bool);

impl Trim {
    const LARGE: usize = 1 << 20;

    fn after(req: &impl prost::Message) -> Trim {
        Trim(req.encoded_len() > Self::LARGE)
    }
}

impl Drop for Trim {
    fn drop(&mut self) {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        if self.0 {
            // SAFETY: malloc_trim only returns free memory to the system.
            unsafe {
                libc::malloc_trim(0);
            }
        }
    }
}
