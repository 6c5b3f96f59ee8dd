//! Catalogue rows of the DSL's load problems about values (`HK070`–`HK084`,
//! configuration family): duplicates (HK070–074), values and references
//! (HK075–084). See `dsl.rs` for the example conventions.

use super::{Family, Rule};

#[allow(unused_imports)]
use Family::*;

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "HK070",
        code: "dsl::duplicate-attribute",
        family: Config,
        summary: "An attribute set twice in one block",
        why: "Two values for one attribute leave it open which one counts; the DSL says so instead of taking the last.",
        bad: r#"onprem corp {
  address_space = [10.0.0.0/12]
  address_space = [10.0.0.0/8]
}
"#,
        good: r#"onprem corp {
  address_space = [10.0.0.0/8]
}
"#,
    },
    Rule {
        id: "HK071",
        code: "dsl::duplicate-key",
        family: Config,
        summary: "A map key set twice",
        why: "Two values for one key (a tag, a selector label) leave it open which one counts.",
        bad: r#"onprem corp {
  address_space = [10.0.0.0/12]
}

cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
  tags                = { team = "a", team = "b" }
}
"#,
        good: r#"onprem corp {
  address_space = [10.0.0.0/12]
}

cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
  tags                = { team = "a" }
}
"#,
    },
    Rule {
        id: "HK072",
        code: "dsl::duplicate-name",
        family: Config,
        summary: "Two blocks with one label",
        why: "A bare name (`avoid = [corp]`) refers to a block by its label, so labels are unique across kinds in a program (and its modules' scopes).",
        bad: r#"onprem corp {
  address_space = [10.0.0.0/12]
}

hub corp {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}
"#,
        good: r#"onprem corp {
  address_space = [10.0.0.0/12]
}

hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}
"#,
    },
    Rule {
        id: "HK073",
        code: "dsl::duplicate-state",
        family: Config,
        summary: "Two state blocks in one program",
        why: "A program's stack lives in one place; two `state` blocks leave it open which one holds it.",
        bad: r#"state {
  url = "azblob://mycompanystate/tfstate/dev.hkstate"
}

state {
  url = "azblob://mycompanystate/tfstate/prod.hkstate"
}

onprem corp {
  address_space = [10.0.0.0/12]
}
"#,
        good: r#"state {
  url = "azblob://mycompanystate/tfstate/dev.hkstate"
}

onprem corp {
  address_space = [10.0.0.0/12]
}
"#,
    },
    Rule {
        id: "HK075",
        code: "dsl::type-mismatch",
        family: Config,
        summary: "A value of the wrong type (a string for a number, a CIDR for an IP)",
        why: "Every attribute has a type in its kind's schema (the Terraform schema too); CIDRs and IPs are written as literals without quotes.",
        bad: r#"cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = "ten"
}
"#,
        good: r#"cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
}
"#,
    },
    Rule {
        id: "HK076",
        code: "dsl::wrong-kind",
        family: Config,
        summary: "A reference to a block of another kind than the attribute takes",
        why: "`cluster = …` takes a cluster network and `hub = …` a hub: a peering always has a spoke side and a hub side (Azure peering has two sides, domain rules §4).",
        bad: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}

cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
}

peering p {
  cluster = hub
  hub     = aks
}
"#,
        good: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}

cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
}

peering p {
  cluster = aks
  hub     = hub
}
"#,
    },
    Rule {
        id: "HK077",
        code: "dsl::invalid-cidr",
        family: Config,
        summary: "A CIDR literal with host bits set",
        why: "A prefix starts at its network address (`10.20.0.0/22`, not `10.20.0.1/22`); Azure refuses the other with `InvalidAddressPrefixFormat` (domain rules §9).",
        bad: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.1/22]
}
"#,
        good: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}
"#,
    },
    Rule {
        id: "HK078",
        code: "dsl::bare-resource",
        family: Config,
        summary: "A block used where a value is expected",
        why: "A block label is not a value: refer to one of its attributes (`corp.dns_servers`).",
        bad: r#"onprem corp {
  address_space = [10.0.0.0/12]
  dns_servers   = [10.1.0.4]
}

cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
  dns_servers         = corp
}
"#,
        good: r#"onprem corp {
  address_space = [10.0.0.0/12]
  dns_servers   = [10.1.0.4]
}

cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
  dns_servers         = corp.dns_servers
}
"#,
    },
    Rule {
        id: "HK079",
        code: "dsl::module-reference",
        family: Config,
        summary: "A module instance used as a value",
        why: "A module instance is not a value itself: read an attribute of a block it declares (`prod.aks.id`, `prod.aks.node_subnet_cidr`), or pass values in through params.",
        bad: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}

module "./env.hk" as prod {
  env = "prod"
}

onprem other {
  name          = prod
  address_space = [192.168.0.0/16]
}

// file: env.hk
param env: string

onprem corp {
  name          = "corp-${env}"
  address_space = [10.0.0.0/12]
}
"#,
        good: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}

module "./env.hk" as prod {
  env = "prod"
}

onprem other {
  name          = "other"
  address_space = [192.168.0.0/16]
}

// file: env.hk
param env: string

onprem corp {
  name          = "corp-${env}"
  address_space = [10.0.0.0/12]
}
"#,
    },
    Rule {
        id: "HK080",
        code: "dsl::no-attributes",
        family: Config,
        summary: "An attribute of a param (`env.name`)",
        why: "A param is a plain value (string, number, CIDR, list); it has no attributes.",
        bad: r#"param env: string = "dev"

onprem corp {
  name          = env.name
  address_space = [10.0.0.0/12]
}
"#,
        good: r#"param env: string = "dev"

onprem corp {
  name          = env
  address_space = [10.0.0.0/12]
}
"#,
    },
    Rule {
        id: "HK081",
        code: "dsl::lookup-attribute",
        family: Config,
        summary: "An attribute set on a looked-up hub other than its name and resource group",
        why: "A `data hub` reads an existing VNET: its address space, gateway and IDs come from Azure, so they cannot be set.",
        bad: r#"data hub hub {
  name                = "hub"
  resource_group_name = "net-rg"
  address_space       = [10.20.0.0/22]
}
"#,
        good: r#"data hub hub {
  name                = "hub"
  resource_group_name = "net-rg"
}
"#,
    },
    Rule {
        id: "HK082",
        code: "dsl::missing-attribute",
        family: Config,
        summary: "A looked-up hub without `resource_group_name`",
        why: "An Azure VNET is found by its resource group and name (its ID is built from them).",
        bad: r#"data hub hub {
  name = "hub"
}
"#,
        good: r#"data hub hub {
  name                = "hub"
  resource_group_name = "net-rg"
}
"#,
    },
    Rule {
        id: "HK083",
        code: "dsl::deprecated-attribute",
        family: Config,
        summary: "A former attribute name on a looked-up hub (warning)",
        why: "`resource_group` is now `resource_group_name` (Terraform's convention, as azurerm names it); the former name still works and is removed in the next release.",
        bad: r#"data hub hub {
  name           = "hub"
  resource_group = "net-rg"
}
"#,
        good: r#"data hub hub {
  name                = "hub"
  resource_group_name = "net-rg"
}
"#,
    },
    Rule {
        id: "HK084",
        code: "dsl::dependency-cycle",
        family: Config,
        summary: "Blocks whose references form a cycle",
        why: "Blocks are evaluated in dependency order; values that depend on each other have no first one to evaluate.",
        bad: r#"hub a {
  resource_group_name = b.resource_group_name
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}

hub b {
  resource_group_name = a.resource_group_name
  location            = "westeurope"
  address_space       = [10.21.0.0/22]
}
"#,
        good: r#"hub a {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}

hub b {
  resource_group_name = a.resource_group_name
  location            = "westeurope"
  address_space       = [10.21.0.0/22]
}
"#,
    },
];
