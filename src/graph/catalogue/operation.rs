//! Catalogue rows of the operation family (`HK9xx`): what a command or the
//! provider reports while it runs, not a rule of a program: provider
//! configuration (HK901–909), state (HK910–919), the Terraform protocol
//! (HK920–929), lookups in the fabric (HK930–939), and changes judged
//! against what already exists (HK940–949). No examples.

use super::{Family, Rule};

#[allow(unused_imports)]
use Family::*;

/// A row without examples.
macro_rules! op {
    ($id:literal, $code:literal, $summary:literal, $why:literal) => {
        Rule {
            id: $id,
            code: $code,
            family: Operation,
            summary: $summary,
            why: $why,
            bad: "",
            good: "",
        }
    };
}

pub(super) const RULES: &[Rule] = &[
    // Provider configuration.
    op!(
        "HK901",
        "backend",
        "The backend (local fabric or Azure) refused or failed an operation",
        "The backend's own error, with the ARM or fabric code it answered (e.g. `AnotherOperationInProgress`, `ReferencedResourceNotProvisioned`: domain rules §9). Retry after the cause is gone; refusals name what to change."
    ),
    op!(
        "HK902",
        "not-configured",
        "The provider was asked to work before Terraform configured it",
        "Terraform calls `ConfigureProvider` before any plan or apply (Terraform plugin protocol); a call before that has no backend to work with."
    ),
    op!(
        "HK903",
        "invalid-provider-config",
        "Provider settings (Azure credentials, endpoints) that are missing or malformed",
        "The Azure backend needs a subscription, a tenant and a client credential (`ARM_*` variables or provider attributes, as azurerm reads them); the message names the setting to fix."
    ),
    op!(
        "HK904",
        "invalid-backend",
        "A provider `backend` other than `local` or `azure`",
        "The provider drives the embedded local fabric or Azure Resource Manager; there is no other backend."
    ),
    op!(
        "HK905",
        "invalid-stack",
        "An empty provider `stack`",
        "A stack names the owner of what this configuration creates (the `hybridk8s-owner` mark); an empty name would own nothing and could not be told apart."
    ),
    op!(
        "HK906",
        "invalid-state-path",
        "An empty provider `state_path`",
        "The local fabric keeps its objects in a SQLite file at `state_path`; an empty path names no file."
    ),
    op!(
        "HK907",
        "invalid-kubeconfig",
        "An empty `kubeconfig_path` or `kubeconfig_context`",
        "Kubernetes objects (DNS ConfigMaps, Services) are written through a kubeconfig; an empty path or context is a mistake, not a default."
    ),
    // State.
    op!(
        "HK910",
        "invalid-state",
        "A stored state that cannot be read",
        "Terraform hands the provider the state it stored; one that does not decode (edited by hand, truncated) cannot be planned against. Restore it from a backup or re-import the object."
    ),
    op!(
        "HK911",
        "state-too-new",
        "A state written by a newer hybridk8s (a higher schema version)",
        "State upgrades only go forward (Terraform's `UpgradeResourceState`): an older provider cannot read what a newer one wrote. Use the newer provider."
    ),
    op!(
        "HK912",
        "not-found",
        "An object the backend does not hold (a data source's hub, an import ID)",
        "A lookup or import names an object that does not exist in the backend; Terraform data sources fail on a missing object (azurerm's convention: `retrieving <id>: not found`)."
    ),
    op!(
        "HK913",
        "already-exists",
        "A create that meets an existing object not in the state",
        "Creating over an existing VNET would take it over; like azurerm, the provider refuses and says how to import it (`terraform import`)."
    ),
    op!(
        "HK914",
        "not-owned",
        "An object that another stack owns or that hybridk8s did not create",
        "hybridk8s marks what it creates with its stack (`hybridk8s-owner` tag) and never changes or deletes what another stack owns or what it did not create."
    ),
    // Terraform protocol.
    op!(
        "HK920",
        "unknown-type",
        "A resource or data source type the provider does not have",
        "Terraform asks for types by name (Terraform plugin protocol); a type not in the provider's schema is a version mismatch between configuration and provider."
    ),
    op!(
        "HK921",
        "unknown-input",
        "An input that must be known at plan time but is unknown",
        "Some decisions (which on-premises ranges to avoid) must be made at plan time; a value Terraform knows only after apply cannot be judged. Make it known (a literal or a variable)."
    ),
    op!(
        "HK922",
        "unknown-after-apply",
        "An attribute still unknown after apply",
        "Terraform requires every attribute to be known after apply (Terraform plugin protocol, `ApplyResourceChange`); this is a provider bug to report."
    ),
    op!(
        "HK923",
        "inconsistent-apply",
        "The backend changed a planned attribute during apply",
        "Terraform requires apply to produce what the plan promised (\"Provider produced inconsistent result after apply\"); the provider reports the attribute instead of leaving Terraform to fail."
    ),
    op!(
        "HK924",
        "planned-state-mismatch",
        "A planned change that this provider does not make",
        "The planned state Terraform sends back must be the one the provider planned (Terraform plugin protocol); plan again."
    ),
    // Lookups.
    op!(
        "HK930",
        "hub-not-found",
        "A looked-up hub network that does not exist",
        "`data hub` reads an existing VNET by name and resource group; nothing can be peered to a network that is not there."
    ),
    op!(
        "HK931",
        "managed-lookup",
        "A lookup of an object that a stack manages",
        "An object a stack created is declared by that stack; looking it up instead would leave its owner deleting it under the lookup's feet."
    ),
    op!(
        "HK932",
        "unknown-lookup-name",
        "A lookup whose name or resource group is not known",
        "A lookup reads Azure by name and resource group; when those are unknown (computed from something not yet created) there is nothing to read."
    ),
    // Changes against what exists.
    op!(
        "HK940",
        "fixed-at-creation",
        "A change of a range AKS fixes at cluster creation (service, DNS, pod, bridge) (warning)",
        "AKS fixes `service_cidr`, `dns_service_ip`, `pod_cidr` and `docker_bridge_cidr` when the cluster is created (\"It cannot be changed afterwards\", seed; domain rules §1, §3): the VNET is updated, the running cluster keeps the old value."
    ),
    op!(
        "HK941",
        "node-subnet-fixed",
        "A change of the node subnet's name or prefix once the cluster exists",
        "The node subnet holds the cluster's NICs: Azure refuses to change a subnet's prefix while it holds addresses, and the topology is fixed before the cluster is created (domain rules §1). A new cluster in a new VNET is the way (domain rules §7)."
    ),
    op!(
        "HK942",
        "gateway-in-use",
        "A hub gateway switch while peerings use it (`use_remote_gateways`)",
        "Azure refuses to delete a gateway that peerings use through gateway transit, and the hub is changed before its peerings (domain rules §4, §9)."
    ),
    op!(
        "HK943",
        "mode-change",
        "A change of an existing cluster's plugin, dataplane or network policy",
        "AKS changes some modes in place (kubenet or Azure CNI node subnet to overlay, the Azure dataplane to Cilium, the policy engine) and others only in a new cluster (overlay to kubenet, leaving Cilium). Reported at plan against the existing object, so `check` alone never shows it; a plugin the configuration does not set stays what the cluster has."
    ),
    op!(
        "HK944",
        "hub-peering-limit",
        "More peerings of one hub than Azure allows (500 per virtual network)",
        "Azure allows 500 peerings per virtual network (networking limits). A hub holds one per spoke, two per environment while a blue/green switch-over runs (domain rules §7); a Terraform plan counts the spokes other stacks peered already, and the local fabric refuses the 501st."
    ),
];
