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
