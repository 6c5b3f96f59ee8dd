//! One debug line per RPC, around the provider service: the RPC, the
//! resource or data source type, the outcome (ok, or how many error
//! diagnostics) and the time it took, with the fields terraform-plugin-go
//! uses (`tf_rpc`, `tf_resource_type`, `tf_data_source_type`, `tf_req_id`,
//! `diagnostic_error_count`). Backend calls made while an RPC is served
//! carry its `tf_rpc` and `tf_req_id`. Requests and answers themselves
//! (configuration, state, plans) are never logged.

use super::proto::tfplugin5 as pb;
use super::server::ProviderService;
use crate::log::{self, Field, Level, Module};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tonic::{Request, Response, Status};

type Reply<T> = Result<Response<T>, Status>;

/// The provider service with its RPCs logged.
pub struct Logged(pub ProviderService);

/// RPCs served so far: `tf_req_id`.
static SERVED: AtomicU64 = AtomicU64::new(0);

/// The RPCs, named as Terraform's own log names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rpc {
    GetProviderSchema,
    PrepareProviderConfig,
    ValidateResourceTypeConfig,
    ValidateDataSourceConfig,
    UpgradeResourceState,
    ConfigureProvider,
    ReadResource,
    PlanResourceChange,
    ApplyResourceChange,
    ImportResourceState,
    ReadDataSource,
    StopProvider,
}

impl Rpc {
    fn as_str(self) -> &'static str {
        match self {
            Rpc::GetProviderSchema => "GetProviderSchema",
            Rpc::PrepareProviderConfig => "PrepareProviderConfig",
            Rpc::ValidateResourceTypeConfig => "ValidateResourceTypeConfig",
            Rpc::ValidateDataSourceConfig => "ValidateDataSourceConfig",
            Rpc::UpgradeResourceState => "UpgradeResourceState",
            Rpc::ConfigureProvider => "ConfigureProvider",
            Rpc::ReadResource => "ReadResource",
            Rpc::PlanResourceChange => "PlanResourceChange",
            Rpc::ApplyResourceChange => "ApplyResourceChange",
            Rpc::ImportResourceState => "ImportResourceState",
            Rpc::ReadDataSource => "ReadDataSource",
            Rpc::StopProvider => "StopProvider",
        }
    }
}

/// What an RPC is about.
enum Subject {
    None,
    Resource(String),
    DataSource(String),
}

/// The subject of a resource RPC, taken only when its line will be written.
fn resource(type_name: &str) -> Subject {
    match log::enabled(Level::Debug) {
        true => Subject::Resource(type_name.to_string()),
        false => Subject::None,
    }
}

fn data_source(type_name: &str) -> Subject {
    match log::enabled(Level::Debug) {
        true => Subject::DataSource(type_name.to_string()),
        false => Subject::None,
    }
}

/// The error and warning diagnostics of an answer.
trait Diagnosed {
    fn counts(&self) -> (u64, u64);
}

fn counts(diags: &[pb::Diagnostic]) -> (u64, u64) {
    let is = |s: pb::diagnostic::Severity| diags.iter().filter(|d| d.severity == s as i32).count() as u64;
    (
        is(pb::diagnostic::Severity::Error),
        is(pb::diagnostic::Severity::Warning),
    )
}

macro_rules! diagnosed {
    ($($m:ident),* $(,)?) => {$(
        impl Diagnosed for pb::$m::Response {
            fn counts(&self) -> (u64, u64) {
                counts(&self.diagnostics)
            }
        }
    )*};
}

diagnosed!(
    get_provider_schema,
    prepare_provider_config,
    validate_resource_type_config,
    validate_data_source_config,
    upgrade_resource_state,
    configure,
    read_resource,
    plan_resource_change,
    apply_resource_change,
    import_resource_state,
    read_data_source,
);

impl Diagnosed for pb::stop::Response {
    fn counts(&self) -> (u64, u64) {
        (u64::from(!self.error.is_empty()), 0)
    }
}

/// Serves one RPC; with debug on, under its [`log::Request`] and followed
/// by its line.
async fn served<T: Diagnosed>(rpc: Rpc, subject: Subject, fut: impl Future<Output = Reply<T>>) -> Reply<T> {
    if !log::enabled(Level::Debug) {
        return fut.await;
    }
    let id = SERVED.fetch_add(1, Ordering::Relaxed) + 1;
    let started = Instant::now();
    let reply = log::scope(log::Request { rpc: rpc.as_str(), id }, fut).await;
    let took = started.elapsed();
    let (outcome, errors, warnings) = match &reply {
        Ok(r) => match r.get_ref().counts() {
            (0, w) => ("ok".to_string(), 0, w),
            (1, w) => ("1 error diagnostic".to_string(), 1, w),
            (e, w) => (format!("{e} error diagnostics"), e, w),
        },
        Err(s) => (format!("gRPC error {:?}", s.code()), 0, 0),
    };
    let mut fields = vec![("tf_rpc", Field::Str(rpc.as_str()))];
    let message = match &subject {
        Subject::None => format!("{}: {outcome}", rpc.as_str()),
        Subject::Resource(t) => {
            fields.push(("tf_resource_type", Field::Str(t)));
            format!("{} {t}: {outcome}", rpc.as_str())
        }
        Subject::DataSource(t) => {
            fields.push(("tf_data_source_type", Field::Str(t)));
            format!("{} {t}: {outcome}", rpc.as_str())
        }
    };
    fields.extend([
        ("tf_req_id", Field::Num(id)),
        ("diagnostic_error_count", Field::Num(errors)),
        ("diagnostic_warning_count", Field::Num(warnings)),
        ("duration_ms", Field::Ms(took)),
    ]);
    log::emit(Level::Debug, Module::Rpc, &message, &fields);
    reply
}

#[tonic::async_trait]
impl pb::provider_server::Provider for Logged {
    async fn get_schema(
        &self,
        req: Request<pb::get_provider_schema::Request>,
    ) -> Reply<pb::get_provider_schema::Response> {
        served(Rpc::GetProviderSchema, Subject::None, self.0.get_schema(req)).await
    }

    async fn prepare_provider_config(
        &self,
        req: Request<pb::prepare_provider_config::Request>,
    ) -> Reply<pb::prepare_provider_config::Response> {
        served(
            Rpc::PrepareProviderConfig,
            Subject::None,
            self.0.prepare_provider_config(req),
        )
        .await
    }

    async fn validate_resource_type_config(
        &self,
        req: Request<pb::validate_resource_type_config::Request>,
    ) -> Reply<pb::validate_resource_type_config::Response> {
        let subject = resource(&req.get_ref().type_name);
        served(
            Rpc::ValidateResourceTypeConfig,
            subject,
            self.0.validate_resource_type_config(req),
        )
        .await
    }

    async fn validate_data_source_config(
        &self,
        req: Request<pb::validate_data_source_config::Request>,
    ) -> Reply<pb::validate_data_source_config::Response> {
        let subject = data_source(&req.get_ref().type_name);
        served(
            Rpc::ValidateDataSourceConfig,
            subject,
            self.0.validate_data_source_config(req),
        )
        .await
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Reply<pb::upgrade_resource_state::Response> {
        let subject = resource(&req.get_ref().type_name);
        served(Rpc::UpgradeResourceState, subject, self.0.upgrade_resource_state(req)).await
    }

    async fn configure(&self, req: Request<pb::configure::Request>) -> Reply<pb::configure::Response> {
        served(Rpc::ConfigureProvider, Subject::None, self.0.configure(req)).await
    }

    async fn read_resource(&self, req: Request<pb::read_resource::Request>) -> Reply<pb::read_resource::Response> {
        let subject = resource(&req.get_ref().type_name);
        served(Rpc::ReadResource, subject, self.0.read_resource(req)).await
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Reply<pb::plan_resource_change::Response> {
        let subject = resource(&req.get_ref().type_name);
        served(Rpc::PlanResourceChange, subject, self.0.plan_resource_change(req)).await
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Reply<pb::apply_resource_change::Response> {
        let subject = resource(&req.get_ref().type_name);
        served(Rpc::ApplyResourceChange, subject, self.0.apply_resource_change(req)).await
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Reply<pb::import_resource_state::Response> {
        let subject = resource(&req.get_ref().type_name);
        served(Rpc::ImportResourceState, subject, self.0.import_resource_state(req)).await
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Reply<pb::read_data_source::Response> {
        let subject = data_source(&req.get_ref().type_name);
        served(Rpc::ReadDataSource, subject, self.0.read_data_source(req)).await
    }

    async fn stop(&self, req: Request<pb::stop::Request>) -> Reply<pb::stop::Response> {
        served(Rpc::StopProvider, Subject::None, self.0.stop(req)).await
    }
}
