//! Span assertions: syntax-tree nodes cover their text, and the span map
//! sends graph paths to the most specific source available.

use hybridk8s::dsl::{self, ast, Options, Program};
use hybridk8s::graph::{Address, AttrPath};
use std::path::Path;

fn design() -> Program {
    dsl::load(Path::new("tests/fixtures/dsl/design_example.hk"), &Options::default())
        .unwrap_or_else(|e| panic!("{}", e.render_plain()))
}

fn text(p: &Program, addr: &str, path: AttrPath) -> String {
    let a: Address = addr.parse().expect("address");
    let span = p
        .spans
        .lookup(&a, &path)
        .unwrap_or_else(|| panic!("no span for {addr} {path}"));
    p.sources.text(span).to_string()
}

#[test]
fn attribute_paths_map_to_values() {
    let p = design();
    let at = |a: &str| AttrPath::attr(a);
    assert_eq!(text(&p, "cluster_network.aks", at("address_space")), "[cluster_cidr]");
    assert_eq!(
        text(&p, "cluster_network.aks", at("address_space").index(0)),
        "cluster_cidr"
    );
    assert_eq!(text(&p, "cluster_network.aks", at("name")), "\"k8s-${env}-vnet\"");
    assert_eq!(text(&p, "cluster_network.aks", at("avoid").index(1)), "corp");
    assert_eq!(text(&p, "peering.aks_hub", at("cluster_network_id")), "aks");
    assert_eq!(text(&p, "peering.aks_hub", at("hub_id")), "hub");
    assert_eq!(text(&p, "peering.aks_hub", at("use_remote_gateways")), "true");
    assert_eq!(
        text(
            &p,
            "external_service.random_api",
            at("ports").index(0).then("target_port")
        ),
        "8080"
    );
    assert_eq!(
        text(&p, "external_service.random_api", at("ports").index(0)),
        "{ port = 80, target_port = 8080 }"
    );
    assert_eq!(
        text(&p, "dns_upstream.aks_dns", at("stub_domains").key("my-company.local")),
        "corp.dns_servers"
    );
    assert_eq!(text(&p, "lb_service.nginx", at("selector").key("app")), "\"nginx\"");
}

#[test]
fn fallbacks_go_to_the_attribute_then_the_label() {
    let p = design();
    let at = |a: &str| AttrPath::attr(a);
    // ports[3] does not exist: the attribute.
    assert_eq!(
        text(&p, "external_service.random_api", at("ports").index(3).then("port")),
        "[{ port = 80, target_port = 8080 }]"
    );
    // computed, never written: the block label.
    assert_eq!(text(&p, "cluster_network.aks", at("node_subnet_cidr")), "aks");
    assert_eq!(text(&p, "cluster_network.aks", AttrPath::root()), "aks");
    // `name` defaulted from the label.
    assert_eq!(text(&p, "onprem.corp", at("name")), "corp");
    let a: Address = "hub.hub".parse().expect("address");
    assert_eq!(p.sources.text(p.spans.label(&a).expect("label")), "hub");
    assert!(p.spans.exact(&a, &at("gateway_subnet_cidr")).is_none());
}

#[test]
fn module_instances_point_into_the_module_file() {
    let p = design();
    let a: Address = "module.prod.cluster_network.aks".parse().expect("address");
    let span = p
        .spans
        .lookup(&a, &AttrPath::attr("address_space").index(0))
        .expect("span");
    assert_eq!(p.sources.text(span), "cluster_cidr");
    assert!(p.sources.get(span.file).expect("file").name.ends_with("env.hk"));
    let root = p
        .spans
        .label(&"cluster_network.aks".parse().expect("address"))
        .expect("label");
    assert_ne!(root.file, span.file);
}

#[test]
fn syntax_nodes_cover_their_text() {
    let src = "param n: list(cidr) = [10.0.0.0/8]\npeering p { cluster = aks  hub = h.id }\nmodule \"./m.hk\" as m { x = \"a${n}\" }\n";
    let f = dsl::parse(src, "x").expect("parses");
    let s = |sp: ast::Span| &src[sp.start..sp.end];
    let ast::Item::Param(p) = &f.items[0] else { panic!() };
    assert_eq!(s(p.span), "param n: list(cidr) = [10.0.0.0/8]");
    assert_eq!(s(p.ty.span), "list(cidr)");
    assert_eq!(s(p.default.as_ref().expect("default").span), "[10.0.0.0/8]");
    let ast::Item::Block(b) = &f.items[1] else { panic!() };
    assert_eq!(s(b.kind.span), "peering");
    assert_eq!(s(b.label.span), "p");
    assert_eq!(s(b.attrs[0].span), "cluster = aks");
    assert_eq!(s(b.attrs[1].key.span), "hub");
    let ast::ExprKind::Ref(segs) = &b.attrs[1].value.kind else {
        panic!()
    };
    assert_eq!(s(segs[1].span), "id");
    assert_eq!(s(b.attrs[1].value.span), "h.id");
    let ast::Item::Module(m) = &f.items[2] else { panic!() };
    assert_eq!(s(m.path_span), "\"./m.hk\"");
    assert_eq!(m.path, "./m.hk");
    assert_eq!(s(m.name.span), "m");
    let ast::ExprKind::Str(parts) = &m.args[0].value.kind else {
        panic!()
    };
    let ast::StrPart::Interp(e) = &parts[1] else { panic!() };
    assert_eq!(s(e.span), "n");
}
