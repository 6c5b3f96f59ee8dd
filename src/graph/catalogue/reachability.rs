//! Catalogue rows of one family (see `mod.rs`): declared flows answered
//! statically (`graph::flow`).

use super::{Family, Rule};

#[allow(unused_imports)]
use Family::*;

/// The topology the examples share: on-premises, a hub with a gateway, a
/// cluster peered with gateway transit.
macro_rules! topology {
    ($flows:literal) => {
        concat!(
            r#"onprem corp {
  address_space = [10.0.0.0/12]
}

hub hub {
  resource_group_name = "net-rg"
  location            = "westeurope"
  address_space       = [10.20.0.0/22]
  gateway             = expressroute
}

cluster_network aks {
  resource_group_name = "k8s-rg"
  location            = "westeurope"
  address_space       = [10.40.0.0/16]
  plugin              = kubenet
  max_nodes           = 10
  service_cidr        = 172.16.0.0/16
}

peering aks_hub {
  cluster             = aks
  hub                 = hub
  use_remote_gateways = true
}
"#,
            $flows
        )
    };
}

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "HK701",
        code: "flow-blocked",
        family: Reachability,
        summary: "A declared flow that must be reachable is blocked on its path",
        why: "A `flow` states that traffic must pass: from a cluster's pods or nodes, an on-premises range or a hub, to an address or a Service, on a protocol and port. hybridk8s follows the packet through the declared networks before anything exists and names the first thing that stops it: peering is not transitive (a spoke does not reach another spoke through the hub), on-premises is reached only through a hub gateway with `allow_gateway_transit` on the hub side and `use_remote_gateways` on the spoke side, pods of overlay and kubenet clusters leave as node IPs and their own addresses are not routable from outside, a destination in two declared networks is routed to the nearer one, an address in no declared network has no route, and a network security group rule may deny it. The hint shows the path up to the blocker.",
        bad: topology!(
            r#"
flow "corp-to-pods" {
  from = corp
  to   = aks.pods
  port = 8080
}
"#
        ),
        good: topology!(
            r#"
flow "corp-to-pods" {
  from   = corp
  to     = aks.pods
  port   = 8080
  expect = "blocked"
}

flow "corp-to-nodes" {
  from = corp
  to   = aks.nodes
  port = 8080
}
"#
        ),
    },
    Rule {
        id: "HK702",
        code: "flow-reachable",
        family: Reachability,
        summary: "A declared flow that must be blocked is reachable",
        why: "`expect = \"blocked\"` states that traffic must not pass — on-premises must not reach pod addresses, one spoke must not reach another. When nothing on the path stops it, the isolation the program relies on is not there; the hint shows the path it takes.",
        bad: topology!(
            r#"
flow "pods-to-corp-db" {
  from   = aks.pods
  to     = 10.1.2.3
  port   = 5432
  expect = "blocked"
}
"#
        ),
        good: topology!(
            r#"
flow "pods-to-corp-db" {
  from = aks.pods
  to   = 10.1.2.3
  port = 5432
}
"#
        ),
    },
    Rule {
        id: "HK703",
        code: "invalid-flow",
        family: Reachability,
        summary: "A flow that cannot be answered: a bad end, port, protocol or expectation",
        why: "A flow starts at a cluster's pods or nodes (`aks.pods`, `aks.nodes`), an on-premises network, a hub or an address in a declared network, and goes to an address, a range, a cluster side or a Service (`external_service` endpoints, `lb_service` frontend). TCP and UDP flows need a port (a Service with one port gives its own); `protocol` is `tcp`, `udp`, `icmp` or `any`; `expect` is `reachable` (the default) or `blocked`.",
        bad: topology!(
            r#"
flow "pods-to-corp-db" {
  from = aks
  to   = 10.1.2.3
  port = 5432
}
"#
        ),
        good: topology!(
            r#"
flow "pods-to-corp-db" {
  from = aks.pods
  to   = 10.1.2.3
  port = 5432
}
"#
        ),
    },
];
