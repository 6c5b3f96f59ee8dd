//! Graph schemas as tfplugin5 schemas, and the schemas that exist only on
//! the Terraform side: the provider block and the data sources.

use super::cty::CtyType;
use super::proto::tfplugin5 as pb;
use crate::graph::kinds;
use crate::graph::schema::{Attribute, Block, Presence, Schema};
use crate::graph::value::{Type, Value};
use crate::graph::Kind;
use pb::schema::nested_block::NestingMode;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Type name of the hub look-up data source (same name as the resource).
pub const HUB_DATA_SOURCE: &str = "hybridk8s_hub_network";
/// Type name of the on-premises declaration data source.
pub const ONPREM_DATA_SOURCE: &str = "hybridk8s_onprem_network";

/// Kinds served as managed resources: every kind with a cloud object.
pub fn resource_kinds() -> impl Iterator<Item = Kind> {
    Kind::ALL.into_iter().filter(|k| !k.is_declaration_only())
}

/// The resource kind of a Terraform resource type name.
pub fn resource_kind(type_name: &str) -> Option<Kind> {
    Kind::from_terraform_type(type_name).filter(|k| !k.is_declaration_only())
}

/// The schema of the provider block.
pub fn provider_schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| Schema {
        // Not a resource kind; `kind` is unused for the provider block.
        kind: Kind::Onprem,
        version: 0,
        description: "hybridk8s plans and checks Kubernetes networks in Azure beside an on-premises network, and realizes them through a backend: `local` (an emulated Azure fabric in one file) or `azure` (Azure Resource Manager). Credentials are read the azurerm way: provider attributes first, then the `ARM_*` environment variables; precedence: client secret, OIDC, managed identity, Azure CLI. Nothing is called and no token is fetched at configuration: the first token is requested by the first call that needs it.",
        attrs: vec![
            Attribute::optional("backend", Type::String, "Where resources are realized: `local` (default; an emulated Azure fabric stored at `state_path`) or `azure` (Azure Resource Manager, authenticated the azurerm way; stack state and locks stay at `state_path`). Environment: `HYBRIDK8S_BACKEND`."),
            Attribute::optional("state_path", Type::String, "Path of the local fabric database, shared with the `hybridk8s` CLI: the whole fabric with backend `local`, the stack state and locks with `azure`. Defaults to `.hybridk8s/fabric.db` in the working directory, like the CLI. Environment: `HYBRIDK8S_STATE`."),
            Attribute::optional("subscription_id", Type::String, "Azure subscription the resource IDs are built in: a GUID. Required for backend `azure`; the local backend defaults to the all-zero subscription. Environment: `ARM_SUBSCRIPTION_ID`."),
            Attribute::optional("stack", Type::String, "Owner name put on every object this configuration creates (Azure tag `hybridk8s-stack`, Kubernetes annotation `hybridk8s.io/stack`). hybridk8s never changes or deletes an object another stack owns. Defaults to `terraform:` and the working directory's path, so two working directories never share objects by accident. Environment: `HYBRIDK8S_STACK`."),
            Attribute::optional("kubeconfig_path", Type::String, "Kubeconfig file of the clusters the Kubernetes resources (`dns_upstream`, `external_service`, `lb_service`) are applied to, as the kubernetes provider's `config_path`; a resource's own `kubeconfig_path` wins. Unset: `KUBECONFIG`, then `~/.kube/config`, then the in-cluster configuration of a pod. With backend `local` Kubernetes objects are emulated and no cluster is called. Read when a resource is applied, so the file may be written in the same apply. Environment: `KUBE_CONFIG_PATH`."),
            Attribute::optional("kubeconfig_context", Type::String, "Context of the kubeconfig to use, as the kubernetes provider's `config_context`; a resource's own `kubeconfig_context` wins. Defaults to the kubeconfig's current context. Environment: `KUBE_CTX`."),
            Attribute::optional("tenant_id", Type::String, "Microsoft Entra tenant of the service principal (client secret, OIDC), or the tenant of the Azure CLI login. Environment: `ARM_TENANT_ID`."),
            Attribute::optional("client_id", Type::String, "Application (client) ID of the service principal, or of a user-assigned managed identity. Environment: `ARM_CLIENT_ID`."),
            Attribute::optional("client_secret", Type::String, "Client secret of the service principal; when set it is the credential used (it needs `tenant_id` and `client_id`). Environment: `ARM_CLIENT_SECRET`.").sensitive(),
            Attribute::optional("use_oidc", Type::Bool, "Authenticate with an OIDC token (workload identity federation), with `tenant_id`, `client_id` and `oidc_token` or `oidc_token_file_path`. Environment: `ARM_USE_OIDC`."),
            Attribute::optional("oidc_token", Type::String, "The OIDC token itself (with `use_oidc`). Environment: `ARM_OIDC_TOKEN`.").sensitive(),
            Attribute::optional("oidc_token_file_path", Type::String, "File holding the OIDC token, read at each token request (with `use_oidc`; `oidc_token` wins when both are set). Environment: `ARM_OIDC_TOKEN_FILE_PATH`."),
            Attribute::optional("use_msi", Type::Bool, "Authenticate with the managed identity of the machine or pod (a user-assigned one when `client_id` is set). Environment: `ARM_USE_MSI`."),
            Attribute::optional("use_cli", Type::Bool, "Authenticate with the Azure CLI's login (`az login`), the method used when no other is set. Default: `true`. Environment: `ARM_USE_CLI`."),
            Attribute::optional("environment", Type::String, "Azure cloud: `public` (default), `usgovernment` or `china`; it picks the resource-manager endpoint and the authority host. Environment: `ARM_ENVIRONMENT`."),
            Attribute::optional("resource_manager_endpoint", Type::String, "Base URL of Azure Resource Manager (http or https), overriding the cloud's, e.g. for an emulator. Environment: `ARM_RESOURCE_MANAGER_ENDPOINT`."),
            Attribute::optional("authority_host", Type::String, "Microsoft Entra authority host (http or https), overriding the cloud's. Environment: `AZURE_AUTHORITY_HOST`."),
        ],
        blocks: vec![],
    })
}

/// The data source of a type name: the on-premises declaration or the hub look-up.
pub fn data_source_schema(type_name: &str) -> Option<&'static Schema> {
    static S: OnceLock<(Schema, Schema, Schema, Schema)> = OnceLock::new();
    let (onprem, hub, flow, plan) = S.get_or_init(|| {
        (
            kinds::schema(Kind::Onprem).clone(),
            hub_lookup_schema(),
            super::flow_check::schema(),
            super::address_plan::schema(),
        )
    });
    match type_name {
        ONPREM_DATA_SOURCE => Some(onprem),
        HUB_DATA_SOURCE => Some(hub),
        super::flow_check::FLOW_CHECK_DATA_SOURCE => Some(flow),
        super::address_plan::ADDRESS_PLAN_DATA_SOURCE => Some(plan),
        _ => None,
    }
}

/// The hub as a look-up: `name` and `resource_group_name` in, everything else out
/// (the subnets block becomes a computed list of objects).
fn hub_lookup_schema() -> Schema {
    let hub = kinds::schema(Kind::Hub);
    let mut attrs: Vec<Attribute> = hub
        .attrs
        .iter()
        .map(|a| {
            let mut a = a.clone();
            a.presence = if matches!(a.name, "name" | "resource_group_name") {
                Presence::Required
            } else {
                Presence::Computed
            };
            a.default = None;
            a.requires_replace = false;
            a
        })
        .collect();
    for b in hub.blocks.iter().filter(|b| b.name != "timeouts") {
        attrs.push(Attribute::computed(b.name, Type::list(b.item_type()), b.description));
    }
    Schema {
        description:
            "Looks up an existing hub network by name and resource group: its address space, gateway and subnets.",
        attrs,
        blocks: vec![],
        ..hub.clone()
    }
}

/// The cty object type of a resource kind (cached).
pub fn resource_type(kind: Kind) -> &'static CtyType {
    static T: OnceLock<HashMap<Kind, CtyType>> = OnceLock::new();
    &T.get_or_init(|| {
        Kind::ALL
            .into_iter()
            .map(|k| (k, CtyType::of_schema(kinds::schema(k))))
            .collect()
    })[&kind]
}

/// The full GetSchema answer (built once: it never changes in a process).
pub fn get_schema() -> pb::get_provider_schema::Response {
    static R: OnceLock<pb::get_provider_schema::Response> = OnceLock::new();
    R.get_or_init(|| pb::get_provider_schema::Response {
        provider: Some(to_proto(provider_schema())),
        resource_schemas: resource_kinds()
            .map(|k| (k.terraform_type().to_string(), to_proto(kinds::schema(k))))
            .collect(),
        data_source_schemas: [
            ONPREM_DATA_SOURCE,
            HUB_DATA_SOURCE,
            super::flow_check::FLOW_CHECK_DATA_SOURCE,
            super::address_plan::ADDRESS_PLAN_DATA_SOURCE,
        ]
        .into_iter()
        .filter_map(|n| data_source_schema(n).map(|s| (n.to_string(), to_proto(s))))
        .collect(),
        diagnostics: vec![],
        provider_meta: Some(pb::Schema {
            version: 0,
            block: Some(pb::schema::Block::default()),
        }),
    })
    .clone()
}

/// A graph schema as a tfplugin5 schema.
pub fn to_proto(s: &Schema) -> pb::Schema {
    pb::Schema {
        version: s.version,
        block: Some(pb::schema::Block {
            version: s.version,
            attributes: s.attrs.iter().map(attribute).chain(s.aliases().map(alias)).collect(),
            block_types: s.blocks.iter().map(nested_block).collect(),
            description: s.description.to_string(),
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: false,
        }),
    }
}

fn attribute(a: &Attribute) -> pb::schema::Attribute {
    let (required, optional, computed) = match a.presence {
        // Either name may be written: neither is required by Terraform, and
        // each is computed from the other (validation asks for one).
        Presence::Required if a.was.is_some() => (false, true, true),
        Presence::Required => (true, false, false),
        Presence::Optional => (false, true, false),
        Presence::Computed => (false, false, true),
        Presence::OptionalComputed => (false, true, true),
    };
    let mut description = a.description.to_string();
    if let Some(d) = a.default.as_ref().filter(|d| !d.is_null()) {
        description.push_str(&format!(" Default: `{}`.", default_text(d)));
    }
    pb::schema::Attribute {
        name: a.name.to_string(),
        r#type: CtyType::of(&a.ty).to_json().to_string().into_bytes(),
        description,
        required,
        optional,
        computed,
        sensitive: a.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: false,
    }
}

/// The former name of a renamed attribute: accepted, deprecated, and kept
/// equal to the attribute in state.
fn alias((old, a): (&'static str, &Attribute)) -> pb::schema::Attribute {
    pb::schema::Attribute {
        name: old.to_string(),
        description: format!(
            "**Deprecated**: the former name of `{}`, accepted until the next release. {}",
            a.name, a.description
        ),
        optional: true,
        computed: true,
        required: false,
        deprecated: true,
        ..attribute(a)
    }
}

fn default_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn nested_block(b: &Block) -> pb::schema::NestedBlock {
    pb::schema::NestedBlock {
        type_name: b.name.to_string(),
        block: Some(pb::schema::Block {
            version: 0,
            attributes: b.attrs.iter().map(attribute).collect(),
            block_types: vec![],
            description: b.description.to_string(),
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: false,
        }),
        nesting: NestingMode::List as i32,
        min_items: b.min_items as i64,
        max_items: b.max_items as i64,
    }
}
