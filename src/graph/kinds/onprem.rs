//! `onprem`: the declared on-premises network (ranges, DNS servers, search
//! domains). No cloud object; other resources check against it.

use super::util;
use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::net;
use crate::graph::schema::{Attribute, Attrs, Schema};
use crate::graph::value::{AttrPath, Type, Value};
use crate::graph::{Ctx, Kind, Resource};

pub fn schema() -> Schema {
    Schema {
        kind: Kind::Onprem,
        version: 0,
        description: "The on-premises network reached through the hub's VPN or ExpressRoute gateway: its address ranges, DNS servers and search domains. Declares facts; creates nothing.",
        attrs: vec![
            Attribute::required("name", Type::String, "Name of the on-premises network, used in messages."),
            Attribute::required("address_space", Type::list(Type::Cidr), "On-premises address ranges (CIDR). Cluster, service, pod and bridge ranges must not overlap them."),
            Attribute::optional("dns_servers", Type::list(Type::Ip), "On-premises DNS servers, in order of preference.").default(Value::List(vec![])),
            Attribute::optional("domains", Type::list(Type::String), "DNS domains served on premises (for stub domains and ExternalName checks).").default(Value::List(vec![])),
            Attribute::computed("id", Type::String, "Identifier: `onprem/<name>`."),
        ],
        blocks: vec![super::dns_path::forwarders_block()],
    }
}

pub fn compute(attrs: &mut Attrs, _ctx: &Ctx) {
    util::set_computed(attrs, "id", &["name"], |a| {
        util::s(a, "name").map_or(Value::Null, |n| Value::str(format!("onprem/{n}")))
    });
}

pub fn rules(r: &Resource, d: &mut Diagnostics) {
    let ranges = util::cidr_list(r, "address_space", d);
    if r.get("address_space").as_list().is_some_and(<[Value]>::is_empty) {
        d.push(
            Diagnostic::error(
                "empty-address-space",
                format!("onprem `{}` declares no address range", r.address.name),
            )
            .at(&r.address, AttrPath::attr("address_space")),
        );
    }
    let tagged: Vec<_> = ranges.iter().map(|(i, n)| (*n, *i)).collect();
    for ((a, ia), (b, ib)) in net::find_overlaps(&tagged) {
        d.push(
            Diagnostic::warning("overlapping-ranges", format!("on-premises ranges {a} and {b} overlap"))
                .at(&r.address, AttrPath::attr("address_space").index(ib))
                .related(
                    &r.address,
                    AttrPath::attr("address_space").index(ia),
                    format!("{a} declared here"),
                )
                .hint("every check uses both ranges, so nothing is missed; declare the larger one alone to keep the declaration readable"),
        );
    }
    util::ip_list(r, "dns_servers", d);
    super::dns_path::forwarder_rules(r, d);
    for (idx, dom) in r.get("domains").strings().into_iter().enumerate() {
        if !util::is_dns1123_subdomain(dom) {
            d.push(
                Diagnostic::error(
                    "invalid-domain",
                    format!("`{dom}` is not a DNS domain (lowercase labels of a-z, 0-9 and -)"),
                )
                .at(&r.address, AttrPath::attr("domains").index(idx)),
            );
        }
    }
}
