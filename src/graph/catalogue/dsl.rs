//! Catalogue rows of the DSL's own load problems (`HK050`–`HK099`, in the
//! configuration family): syntax, limits and files (HK050–059, HK085–),
//! names (HK060–069); duplicates, values and references are in
//! `dsl_values.rs` (HK070–084). An example with modules holds them after
//! `// file: NAME` lines; `// args:` gives `check` its `--var`s.

use super::{Family, Rule};

#[allow(unused_imports)]
use Family::*;

/// Commas in the list of [`TOO_MANY`]: one more than a list may hold.
const COMMAS: usize = crate::graph::schema::MAX_LIST_ITEMS;
const HEAD: &[u8] = b"onprem corp {\n  address_space = [10.0.0.0/12]\n  domains       = [";
const TAIL: &[u8] = b"]\n}\n";
const TOO_MANY_LEN: usize = HEAD.len() + COMMAS + TAIL.len();

const fn too_many() -> [u8; TOO_MANY_LEN] {
    let mut out = [b','; TOO_MANY_LEN];
    let mut i = 0;
    while i < HEAD.len() {
        out[i] = HEAD[i];
        i += 1;
    }
    let mut j = 0;
    while j < TAIL.len() {
        out[HEAD.len() + COMMAS + j] = TAIL[j];
        j += 1;
    }
    out
}

const TOO_MANY_BYTES: [u8; TOO_MANY_LEN] = too_many();

/// A program with a list of more items than a list may hold.
const TOO_MANY: &str = match std::str::from_utf8(&TOO_MANY_BYTES) {
    Ok(s) => s,
    Err(_) => panic!("ASCII"),
};

/// Eleven uses of module `$f.hk`.
macro_rules! eleven {
    ($f:literal) => {
        concat!(
            "module \"./",
            $f,
            ".hk\" as ",
            $f,
            "0 {}\n",
            "module \"./",
            $f,
            ".hk\" as ",
            $f,
            "1 {}\n",
            "module \"./",
            $f,
            ".hk\" as ",
            $f,
            "2 {}\n",
            "module \"./",
            $f,
            ".hk\" as ",
            $f,
            "3 {}\n",
            "module \"./",
            $f,
            ".hk\" as ",
            $f,
            "4 {}\n",
            "module \"./",
            $f,
            ".hk\" as ",
            $f,
            "5 {}\n",
            "module \"./",
            $f,
            ".hk\" as ",
            $f,
            "6 {}\n",
            "module \"./",
            $f,
            ".hk\" as ",
            $f,
            "7 {}\n",
            "module \"./",
            $f,
            ".hk\" as ",
            $f,
            "8 {}\n",
            "module \"./",
            $f,
            ".hk\" as ",
            $f,
            "9 {}\n",
            "module \"./",
            $f,
            ".hk\" as ",
            $f,
            "10 {}\n",
        )
    };
}

/// Module uses that multiply past the instance bound: 11 × 11 × 11 × 11.
const TOO_LARGE: &str = concat!(
    eleven!("a"),
    "\n// file: a.hk\n",
    eleven!("b"),
    "\n// file: b.hk\n",
    eleven!("c"),
    "\n// file: c.hk\n",
    eleven!("d"),
    "\n// file: d.hk\nparam n: number = 1\n"
);

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "HK050",
        code: "dsl::syntax",
        family: Config,
        summary: "A program that does not parse",
        why: "The DSL's grammar (`grammar/hybridk8s.pest`): blocks `kind label { … }`, attributes `name = value`, lists in `[ … ]`; the message says what was expected where.",
        bad: r#"onprem corp {
  address_space = [10.0.0.0/12
}
"#,
        good: r#"onprem corp {
  address_space = [10.0.0.0/12]
}
"#,
    },
    Rule {
        id: "HK051",
        code: "dsl::too-deep",
        family: Config,
        summary: "Values nested deeper than 64 levels",
        why: "Nesting is bounded so that no input makes the parser or the later passes recurse without bound; real programs nest a few levels.",
        bad: r#"param deep: string = "x"

onprem corp {
  address_space = [10.0.0.0/12]
  domains       = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
}
"#,
        good: r#"param deep: string = "x"

onprem corp {
  address_space = [10.0.0.0/12]
  domains       = []
}
"#,
    },
    Rule {
        id: "HK052",
        code: "dsl::too-many-items",
        family: Config,
        summary: "A list of more than 10,000 items",
        why: "Lists are bounded (10,000 items, the most any attribute takes: an EndpointSlice holds at most 1,000 endpoints) so that no input makes a load allocate without bound.",
        bad: TOO_MANY,
        good: r#"onprem corp {
  address_space = [10.0.0.0/12]
  domains       = ["corp.example"]
}
"#,
    },
    Rule {
        id: "HK054",
        code: "dsl::io",
        family: Config,
        summary: "A module or var file that cannot be read",
        why: "A module (`module \"./env.hk\" as prod { … }`) or var file is read from the program's tree; a missing or unreadable file is reported where it is included.",
        bad: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}

module "./missing.hk" as prod {
  env = "prod"
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

// file: env.hk
param env: string

onprem corp {
  name          = "corp-${env}"
  address_space = [10.0.0.0/12]
}
"#,
    },
    Rule {
        id: "HK055",
        code: "dsl::not-a-program",
        family: Config,
        summary: "A module whose file name does not end in `.hk`",
        why: "Only hybridk8s programs are read as modules (`.hk`) and var files (`.hkvars`), so that no program can make a load read, or show an excerpt of, another file.",
        bad: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}

module "./env.txt" as prod {
  env = "prod"
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

// file: env.hk
param env: string

onprem corp {
  name          = "corp-${env}"
  address_space = [10.0.0.0/12]
}
"#,
    },
    Rule {
        id: "HK057",
        code: "dsl::include-cycle",
        family: Config,
        summary: "A module that includes itself, directly or through others",
        why: "Modules are expanded where they are used; a module that includes itself would expand forever.",
        bad: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}

module "./bad.hk" as again {}
"#,
        good: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}

module "./env.hk" as prod {
  env = "prod"
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
        id: "HK058",
        code: "dsl::too-large",
        family: Config,
        summary: "A program that expands to more than 10,000 module instances or 100,000 resources",
        why: "Module uses multiply (a module used 10 times that uses another 10 times makes 100 instances); the load stops at a bound instead of running out of memory.",
        bad: TOO_LARGE,
        good: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}

module "./env.hk" as prod {
  env = "prod"
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
        id: "HK060",
        code: "dsl::unknown-block",
        family: Config,
        summary: "A block of a kind the DSL does not have",
        why: "The kinds are `onprem`, `hub`, `cluster_network`, `peering`, `dns_upstream`, `external_service`, `lb_service`, and `param`, `module`, `data`; the closest is suggested.",
        bad: r#"onprm corp {
  address_space = [10.0.0.0/12]
}
"#,
        good: r#"onprem corp {
  address_space = [10.0.0.0/12]
}
"#,
    },
    Rule {
        id: "HK061",
        code: "dsl::unknown-attribute",
        family: Config,
        summary: "An attribute the block's kind does not have",
        why: "An attribute not in the kind's schema would be ignored, silently: a misspelt `max_node` would leave the sizing at its default. The closest name is suggested.",
        bad: r#"cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
  servce_cidr         = 172.16.0.0/16
}
"#,
        good: r#"cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
  service_cidr        = 172.16.0.0/16
}
"#,
    },
    Rule {
        id: "HK062",
        code: "dsl::unknown-reference",
        family: Config,
        summary: "A reference to a block or param that is not declared",
        why: "A bare name refers to a param or a block label (`avoid = [corp]`); the closest declared name is suggested.",
        bad: r#"onprem corp {
  address_space = [10.0.0.0/12]
}

cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
  avoid               = [crop]
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
  avoid               = [corp]
}
"#,
    },
    Rule {
        id: "HK063",
        code: "dsl::unknown-key",
        family: Config,
        summary: "A reference to a map key that is not there",
        why: "A reference into a map (`selector.app`) reads one key; a key the map does not hold has no value.",
        bad: r#"lb_service web {
  cluster  = aks
  selector = { app = "web" }
  ports    = [{ port = 80 }]
}

lb_service api {
  cluster  = aks
  selector = { app = web.selector.ap }
  ports    = [{ port = 80 }]
}

cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
}
"#,
        good: r#"lb_service web {
  cluster  = aks
  selector = { app = "web" }
  ports    = [{ port = 80 }]
}

lb_service api {
  cluster  = aks
  selector = { app = web.selector.app }
  ports    = [{ port = 80 }]
}

cluster_network aks {
  resource_group_name = "rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = azure_cni
  max_nodes           = 10
}
"#,
    },
    Rule {
        id: "HK064",
        code: "dsl::unknown-lookup",
        family: Config,
        summary: "A `data` block of a kind that cannot be looked up",
        why: "`data` reads an existing object from Azure; only hubs (`data hub NAME { name = … resource_group_name = … }`) can be looked up.",
        bad: r#"data onprem corp {
  name = "corp"
}
"#,
        good: r#"onprem corp {
  address_space = [10.0.0.0/12]
}
"#,
    },
    Rule {
        id: "HK065",
        code: "dsl::unknown-variable",
        family: Config,
        summary: "A `--var` or var-file entry for a param the program does not declare",
        why: "A value for an undeclared param would be ignored, silently: a misspelt `--var evn=prod` would leave `env` at its default. The closest param is suggested.",
        bad: r#"// args: --var evn=prod
param env: string = "dev"

onprem corp {
  name          = "corp-${env}"
  address_space = [10.0.0.0/12]
}
"#,
        good: r#"// args: --var env=prod
param env: string = "dev"

onprem corp {
  name          = "corp-${env}"
  address_space = [10.0.0.0/12]
}
"#,
    },
    Rule {
        id: "HK066",
        code: "dsl::unknown-param",
        family: Config,
        summary: "A module argument for a param the module does not declare",
        why: "A module's arguments set its params; an argument the module does not declare would be ignored, silently. The closest param is suggested.",
        bad: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}

module "./env.hk" as prod {
  env    = "prod"
  region = "westeurope"
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

// file: env.hk
param env: string

onprem corp {
  name          = "corp-${env}"
  address_space = [10.0.0.0/12]
}
"#,
    },
    Rule {
        id: "HK067",
        code: "dsl::missing-variable",
        family: Config,
        summary: "A param without a default that is given no value",
        why: "A param without a default must be set: `--var`, a var file, or (in a module) the module's arguments.",
        bad: r#"param env: string

onprem corp {
  name          = "corp-${env}"
  address_space = [10.0.0.0/12]
}
"#,
        good: r#"param env: string = "dev"

onprem corp {
  name          = "corp-${env}"
  address_space = [10.0.0.0/12]
}
"#,
    },
    Rule {
        id: "HK086",
        code: "dsl::state-in-module",
        family: Config,
        summary: "A state block in a module",
        why: "The stack is the program's, modules included: only the root program says where it lives, or one module instantiated twice would name two places.",
        bad: r#"module "./env.hk" as prod {
  env = "prod"
}

// file: env.hk
param env: string

state {
  url = "azblob://mycompanystate/tfstate/dev.hkstate"
}

onprem corp {
  name          = "corp-${env}"
  address_space = [10.0.0.0/12]
}
"#,
        good: r#"state {
  url = "azblob://mycompanystate/tfstate/dev.hkstate"
}

module "./env.hk" as prod {
  env = "prod"
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
        id: "HK087",
        code: "dsl::state-url",
        family: Config,
        summary: "A state URL that is not a literal azblob:// location",
        why: "The stack's location is read before the program is evaluated (as Terraform reads a backend block), and it names one blob: `azblob://ACCOUNT/CONTAINER/KEY` with Azure's account and container naming rules.",
        bad: r#"state {
  url = "azblob://My_Account/tfstate/dev.hkstate"
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
        id: "HK085",
        code: "dsl::outside-root",
        family: Config,
        summary: "A module or var file outside the program's root",
        why: "Modules and var files must lie under the program's root (the project directory, links resolved), so that no program can make a load read files elsewhere; `--root DIR` widens it.",
        bad: r#"hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
}

module "../shared/env.hk" as prod {
  env = "prod"
}

// file: ../shared/env.hk
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

// file: env.hk
param env: string

onprem corp {
  name          = "corp-${env}"
  address_space = [10.0.0.0/12]
}
"#,
    },
];
