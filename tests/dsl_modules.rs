//! Module instances: a resource inside a module depends on the parent
//! resources behind the module arguments it reads — through interpolation,
//! lists, maps, nested objects and defaults that read other params — and on
//! no other argument's resources.

use hybridk8s::dsl::{self, Options};
use hybridk8s::graph;
use std::collections::BTreeMap;
use std::path::Path;

/// Address → its `depends_on`, for every resource of the program.
fn depends_on(path: &str) -> BTreeMap<String, Vec<String>> {
    let program = dsl::load(Path::new(path), &Options::default()).unwrap_or_else(|e| panic!("{}", e.render_plain()));
    let diags = graph::check(&program.graph);
    assert!(!diags.has_errors(), "{}", program.render_plain(&diags));
    program
        .graph
        .sorted()
        .into_iter()
        .map(|r| {
            let mut deps: Vec<String> = r.depends_on.iter().map(ToString::to_string).collect();
            deps.sort();
            (r.address.to_string(), deps)
        })
        .collect()
}

#[test]
fn module_resources_depend_only_on_the_arguments_they_read() {
    let got = depends_on("tests/fixtures/dsl/deps/main.hk");
    let want: BTreeMap<String, Vec<String>> = [
        ("hub.hub", vec![]),
        ("onprem.corp", vec![]),
        // `resource_group_name = rg`, whose default interpolates `region = hub.location`;
        // `avoid = [.., avoid]` flattens `corp.address_space` into a list.
        ("module.dev.cluster_network.aks", vec!["hub.hub", "onprem.corp"]),
        // `nameservers = upstreams` (default: `dns`) and a map of `dns`.
        (
            "module.dev.dns_upstream.aks_dns",
            vec!["module.dev.cluster_network.aks", "onprem.corp"],
        ),
        // `region` interpolated inside the selector object.
        (
            "module.dev.lb_service.web",
            vec!["hub.hub", "module.dev.cluster_network.aks"],
        ),
        (
            "module.dev.peering.aks_hub",
            vec!["hub.hub", "module.dev.cluster_network.aks"],
        ),
        // The prod instance passes only `hub_id`: only its peering reads it.
        ("module.prod.cluster_network.aks", vec![]),
        (
            "module.prod.dns_upstream.aks_dns",
            vec!["module.prod.cluster_network.aks"],
        ),
        ("module.prod.lb_service.web", vec!["module.prod.cluster_network.aks"]),
        (
            "module.prod.peering.aks_hub",
            vec!["hub.hub", "module.prod.cluster_network.aks"],
        ),
    ]
    .into_iter()
    .map(|(a, d)| (a.to_string(), d.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn nested_module_arguments_carry_their_dependencies_through() {
    let dir = tempfile::tempdir().unwrap();
    let base = Path::new("tests/fixtures/dsl/deps");
    std::fs::copy(base.join("env.hk"), dir.path().join("env.hk")).unwrap();
    // A wrapper module passes its own params on to the inner module.
    std::fs::write(
        dir.path().join("wrap.hk"),
        "param hub_ref: string\nparam where: string\n\
         module \"./env.hk\" as inner { env = \"qa\", cluster_cidr = 10.43.0.0/16, hub_id = hub_ref, region = where }\n",
    )
    .unwrap();
    let main = std::fs::read_to_string(base.join("main.hk")).unwrap();
    let main = main.split("module \"./env.hk\" as dev").next().unwrap().to_string()
        + "module \"./wrap.hk\" as qa {\n  hub_ref = hub.id\n  where   = \"westeurope\"\n}\n";
    std::fs::write(dir.path().join("main.hk"), main).unwrap();
    let got = depends_on(dir.path().join("main.hk").to_str().unwrap());
    let of = |a: &str| got.get(a).cloned().unwrap_or_else(|| panic!("no {a} in {got:?}"));
    assert_eq!(of("module.qa.module.inner.cluster_network.aks"), Vec::<String>::new());
    assert_eq!(
        of("module.qa.module.inner.peering.aks_hub"),
        ["hub.hub", "module.qa.module.inner.cluster_network.aks"]
    );
}

/// The resource at `addr` of a program that loads and checks.
fn attrs_of(program: &dsl::Program, addr: &str) -> hybridk8s::graph::Attrs {
    program
        .graph
        .sorted()
        .into_iter()
        .find(|r| r.address.to_string() == addr)
        .unwrap_or_else(|| panic!("no {addr}"))
        .attrs
        .clone()
}

#[test]
fn blocks_inside_module_instances_are_read_as_outputs() {
    let path = "tests/fixtures/dsl/outputs/main.hk";
    let got = depends_on(path);
    let of = |a: &str| got.get(a).cloned().unwrap_or_else(|| panic!("no {a} in {got:?}"));
    // `cluster = prod.aks`: the top-level peering depends on the block inside.
    assert_eq!(of("peering.prod_hub"), ["hub.hub", "module.prod.cluster_network.aks"]);
    // `cluster = inner.aks` inside a module, on a nested instance.
    assert_eq!(
        of("module.qa.peering.inner_hub"),
        ["hub.hub", "module.qa.module.inner.cluster_network.aks"]
    );
    // Module arguments read `prod.aks.*` and the nested `qa.inner.aks.*`.
    assert_eq!(
        of("module.prod_nsg.network_security_group.nodes"),
        [
            "module.prod.cluster_network.aks",
            "module.qa.module.inner.cluster_network.aks"
        ]
    );

    let program = dsl::load(Path::new(path), &Options::default()).unwrap();
    let prod = attrs_of(&program, "module.prod.cluster_network.aks");
    let qa = attrs_of(&program, "module.qa.module.inner.cluster_network.aks");
    let peering = attrs_of(&program, "peering.prod_hub");
    assert_eq!(peering["cluster_network_id"], prod["id"]);
    let nsg = attrs_of(&program, "module.prod_nsg.network_security_group.nodes");
    assert_eq!(nsg["cluster_network_id"], prod["id"]);
    assert_eq!(nsg["name"].as_str(), Some("k8s-prod-vnet-nodes"), "interpolated");
    assert_eq!(nsg["resource_group_name"], prod["resource_group_name"]);
    // A computed attribute (sized from the plan) crosses two instances.
    let rule = &nsg["rule"].as_list().unwrap()[0];
    let from = &rule.as_map().unwrap()["source_address_prefixes"];
    assert_eq!(from.as_list().unwrap(), &[qa["node_subnet_cidr"].clone()]);
    assert_eq!(qa["node_subnet_cidr"].as_str(), Some("10.46.0.0/28"));
}

/// The fixture's files with `main.hk` replaced, loaded from memory: the
/// rendered problems.
fn errors_of(main: &str) -> String {
    let dir = Path::new("tests/fixtures/dsl/outputs");
    let mut files: Vec<(String, String)> = ["env.hk", "wrap.hk", "nsg.hk"]
        .iter()
        .map(|f| (format!("/t/{f}"), std::fs::read_to_string(dir.join(f)).unwrap()))
        .collect();
    let head = std::fs::read_to_string(dir.join("main.hk")).unwrap();
    let head = head.split("peering prod_hub").next().unwrap();
    files.push(("/t/main.hk".into(), format!("{head}{main}")));
    match dsl::load_from(Path::new("/t/main.hk"), &Options::default(), &dsl::Files::memory(files)) {
        Ok(_) => panic!("loads:\n{main}"),
        Err(e) => e.render_plain(),
    }
}

#[test]
fn module_output_mistakes_point_at_the_reference() {
    let cases = [
        // A label the instance does not declare: did you mean.
        ("unknown_label", "peering p {\n  cluster_network_id = prod.akz.id\n  hub = hub\n}\n"),
        // An attribute the block does not have.
        ("unknown_attribute", "peering p {\n  cluster_network_id = prod.aks.idd\n  hub = hub\n}\n"),
        // The instance itself, and a nested instance, as values.
        ("instance_as_value", "peering p {\n  cluster_network_id = prod\n  hub = hub\n}\n"),
        ("nested_instance_as_value", "peering p {\n  cluster_network_id = qa.inner\n  hub = hub\n}\n"),
        // The block without an attribute.
        ("bare_block", "peering p {\n  cluster_network_id = \"${prod.aks}\"\n  hub = hub\n}\n"),
        // `cluster = …` naming a block of another kind inside an instance.
        ("wrong_kind", "peering p {\n  cluster = qa.inner_hub\n  hub = hub\n}\n"),
        // A label inside a nested instance, in a module argument.
        (
            "unknown_nested_label",
            "module \"./nsg.hk\" as n {\n  cluster_id = qa.inner.cluster.id\n  name = \"n\"\n  resource_group_name = \"rg\"\n  allow_from = 10.0.0.0/8\n}\n",
        ),
    ];
    for (name, main) in cases {
        insta::assert_snapshot!(format!("module_output_{name}"), errors_of(main), main);
    }
}
