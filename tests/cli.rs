//! The `hybridk8s` binary end to end: exit codes, where output goes, and the
//! text users read (snapshots).

use std::path::Path;
use std::process::{Command, Output};

fn hk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hybridk8s"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run hybridk8s")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn check_valid_example_exits_zero_with_warnings_on_stderr() {
    let out = hk(&["check", "examples/hybrid.hk"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    insta::assert_snapshot!(text(&out.stderr));
}

#[test]
fn check_invalid_program_exits_one_and_names_the_numbers() {
    let out = hk(&["check", "tests/fixtures/dsl/bad/subnet_too_small.hk"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("needs 1,586 addresses (/21); 10.40.0.0/22 holds 1,019"),
        "{err}"
    );
    insta::assert_snapshot!(err);
}

#[test]
fn check_syntax_error_exits_one() {
    let out = hk(&["check", "tests/fixtures/dsl/bad/syntax_error.hk"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("syntax_error.hk"));
}

#[test]
fn compile_formats() {
    let out = hk(&["compile", "examples/hybrid.hk", "--to", "graph-json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("graph JSON");
    let addrs: Vec<&str> = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["address"].as_str().unwrap())
        .collect();
    assert!(
        addrs.contains(&"cluster_network.aks") && addrs.contains(&"peering.aks_hub"),
        "{addrs:?}"
    );
    // Deterministic: the same bytes twice.
    assert_eq!(out.stdout, hk(&["compile", "examples/hybrid.hk"]).stdout);

    let k8s = hk(&["compile", "examples/hybrid.hk", "--to", "k8s"]);
    insta::assert_snapshot!("hybrid_k8s", text(&k8s.stdout));
    let dot = hk(&["compile", "examples/hybrid.hk", "--to", "dot"]);
    assert!(text(&dot.stdout).starts_with("digraph hybridk8s {"));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    let out = hk(&["compile", "examples/hybrid.hk", "-o", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        hk(&["compile", "examples/hybrid.hk"]).stdout
    );
}

#[test]
fn compile_refuses_an_invalid_program() {
    let out = hk(&["compile", "tests/fixtures/dsl/bad/no_remote_gateway.hk"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn vars_reach_the_program() {
    let out = hk(&["compile", "examples/hybrid.hk", "--var", "env=prod"]);
    assert!(text(&out.stdout).contains("k8s-prod-vnet"));
    let out = hk(&["check", "examples/hybrid.hk", "--var", "nope=1"]);
    assert_eq!(out.status.code(), Some(1));
    let out = hk(&["check", "examples/hybrid.hk", "--var", "novalue"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("expected NAME=VALUE"));
}

#[test]
fn fmt_check_and_rewrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.hk");
    std::fs::write(&path, "onprem corp {address_space=[10.0.0.0/8]\n}\n").unwrap();
    let p = path.to_str().unwrap();
    assert_eq!(hk(&["fmt", "--check", p]).status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "onprem corp {address_space=[10.0.0.0/8]\n}\n"
    );
    assert_eq!(hk(&["fmt", p]).status.code(), Some(0));
    assert_eq!(hk(&["fmt", "--check", p]).status.code(), Some(0));
    assert!(Path::new(p).exists());
    assert_eq!(hk(&["fmt", "--check", "examples/hybrid.hk"]).status.code(), Some(0));
}

/// Two clusters with a Service of the same name: `compile --to k8s` writes
/// one stream per cluster under `-o DIR`, and refuses to mix them in one.
#[test]
fn compile_k8s_writes_one_stream_per_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("two.hk");
    let cluster = |n: &str, range: &str| {
        format!(
            "cluster_network {n} {{\n  name = \"{n}-vnet\"\n  resource_group_name = \"{n}-rg\"\n  location = \"westeurope\"\n  address_space = [{range}]\n  plugin = azure_cni\n  max_nodes = 10\n  max_pods = 30\n  service_cidr = 172.16.0.0/16\n  dns_service_ip = 172.16.0.10\n}}\n\nexternal_service {n}_orders {{\n  cluster = {n}\n  name = \"orders-api\"\n  ports = [{{ port = 80 }}]\n  endpoints = [{ep}]\n}}\n\n",
            ep = range.replace(".0.0/16", ".8.4"),
        )
    };
    std::fs::write(
        &program,
        format!(
            "{}{}",
            cluster("blue", "10.40.0.0/16"),
            cluster("green", "10.41.0.0/16")
        ),
    )
    .unwrap();
    let p = program.display().to_string();
    let out = hk(&["compile", &p, "--to", "k8s"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("2 clusters (blue-vnet, green-vnet)"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());

    let target = format!("{}/", dir.path().join("k8s").display());
    let out = hk(&["compile", &p, "--to", "k8s", "-o", &target]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for (cluster, ep) in [("blue-vnet", "10.40.8.4"), ("green-vnet", "10.41.8.4")] {
        let yaml = std::fs::read_to_string(dir.path().join("k8s").join(cluster).join("manifests.yaml")).unwrap();
        assert!(yaml.contains("name: orders-api"), "{yaml}");
        assert!(yaml.contains(ep), "{cluster}: {yaml}");
        let other = if ep == "10.40.8.4" { "10.41.8.4" } else { "10.40.8.4" };
        assert!(
            !yaml.contains(other),
            "{cluster} holds the other cluster's endpoint: {yaml}"
        );
    }

    // One cluster: stdout as before, and `-o DIR` names its directory.
    let out = hk(&["compile", "examples/hybrid.hk", "--to", "k8s", "-o", &target]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let one = std::fs::read_to_string(dir.path().join("k8s/k8s-dev-vnet/manifests.yaml")).unwrap();
    assert_eq!(one, text(&hk(&["compile", "examples/hybrid.hk", "--to", "k8s"]).stdout));
}

#[test]
fn both_binaries_print_their_version_and_revision() {
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join(".git").exists();
    for (bin, name) in [
        (env!("CARGO_BIN_EXE_hybridk8s"), "hybridk8s"),
        (
            env!("CARGO_BIN_EXE_terraform-provider-hybridk8s"),
            "terraform-provider-hybridk8s",
        ),
    ] {
        let out = std::process::Command::new(bin).arg("--version").output().unwrap();
        assert!(out.status.success(), "{name}");
        let text = String::from_utf8(out.stdout).unwrap();
        let rest = text
            .strip_prefix(&format!("{name} {} ", env!("CARGO_PKG_VERSION")))
            .or_else(|| {
                (!checkout)
                    .then_some("")
                    .filter(|_| text.trim() == format!("{name} {}", env!("CARGO_PKG_VERSION")))
            })
            .unwrap_or_else(|| panic!("{text:?}"));
        if checkout {
            let rev = rest.trim().trim_start_matches('(').trim_end_matches(')');
            assert_eq!(rev.len(), 12, "{text:?}");
            assert!(rev.chars().all(|c| c.is_ascii_hexdigit()), "{text:?}");
        }
    }
}

#[test]
fn shell_completions_are_generated_and_complete_subcommands() {
    let hk = env!("CARGO_BIN_EXE_hybridk8s");
    for (shell, marker) in [
        ("bash", "_hybridk8s()"),
        ("zsh", "#compdef hybridk8s"),
        ("fish", "complete -c hybridk8s"),
    ] {
        let out = std::process::Command::new(hk)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(marker), "{shell}: {}", &text[..text.len().min(200)]);
        for sub in ["check", "plan", "apply", "unlock", "completions"] {
            assert!(text.contains(sub), "{shell} completes `{sub}`");
        }
    }
    // Bash really completes with it: `hybridk8s st<TAB>` → state, `hybridk8s state un<TAB>` → unlock.
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("hybridk8s.bash");
    let out = std::process::Command::new(hk)
        .args(["completions", "bash"])
        .output()
        .unwrap();
    std::fs::write(&script, out.stdout).unwrap();
    for (words, cword, prev, want) in [
        ("hybridk8s st", 1, "hybridk8s", "state"),
        ("hybridk8s state un", 2, "state", "unlock"),
    ] {
        let current = words.rsplit(' ').next().unwrap();
        let cmd = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}; _hybridk8s hybridk8s {current} {prev}; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let out = std::process::Command::new("bash").args(["-c", &cmd]).output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            want,
            "{words}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

const SEVERAL: &str = "tests/fixtures/cli/several_problems.hk";

#[test]
fn check_json_is_one_document_with_every_problem() {
    let out = hk(&["check", SEVERAL, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(v["valid"], false);
    assert_eq!(v["error_count"], 4);
    let addresses: std::collections::BTreeSet<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["address"].as_str())
        .collect();
    assert_eq!(
        addresses.into_iter().collect::<Vec<_>>(),
        ["cluster_network.aks", "external_service.api"]
    );
    insta::assert_json_snapshot!(v);

    // A valid program: exit 0, warnings listed.
    let out = hk(&["check", "examples/hybrid.hk", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["valid"].clone(), v["error_count"].clone()), (true.into(), 0.into()));
    assert_eq!(v["warning_count"], v["diagnostics"].as_array().unwrap().len());

    // A syntax error: no resource, but a place.
    let out = hk(&["check", "tests/fixtures/dsl/bad/syntax_error.hk", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["diagnostics"][0];
    assert!(d["address"].is_null() && d["span"]["line"].as_u64().unwrap() > 0, "{d}");
}

#[test]
fn check_closes_with_the_problem_count() {
    let out = hk(&["check", SEVERAL]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.ends_with("Error: 4 problems in 2 resources\n"), "{err}");
    insta::assert_snapshot!(err);
    let out = hk(&["check", "tests/fixtures/dsl/bad/syntax_error.hk"]);
    assert!(
        text(&out.stderr).ends_with("Error: 1 problem\n"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn plan_json_of_an_invalid_program_holds_its_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fabric.db");
    let out = hk(&[
        "plan",
        SEVERAL,
        "--json",
        "--state",
        db.to_str().unwrap(),
        "--stack",
        "dev",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    assert!(!db.exists(), "an invalid plan opens no fabric");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    // The diagnostics are those of `check --json`.
    let check: serde_json::Value = serde_json::from_slice(&hk(&["check", SEVERAL, "--json"]).stdout).unwrap();
    assert_eq!(v["diagnostics"], check["diagnostics"]);
    insta::assert_json_snapshot!(v);
    // Human output ends with the count, as `check` does.
    let out = hk(&["plan", SEVERAL, "--state", db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).ends_with("Error: 4 problems in 2 resources\n"));
}

/// Path-like tokens of `--help` that name no file of the repository, each
/// for a stated reason.
const NOT_REPO_FILES: &[(&str, &str)] = &[
    (".hybridk8s/", "created by the first apply"),
    (".hybridk8s/fabric.db", "the default fabric, created by the first apply"),
    (".git/", "a marker of a project root"),
    ("hybrid.hkplan", "written by the `plan -out` example beside it"),
    ("envs/dev/main.hk", "the illustrative layout of a user's project"),
    (".hk", "the program file extension"),
    (
        "DIR/",
        "an output directory the user names (the trailing slash marks it)",
    ),
    ("DIR/main.tf.json", "written by `compile --to terraform-json -o DIR`"),
    (
        "DIR/modules/<file>/main.tf.json",
        "written by `compile --to terraform-json -o DIR`, one per module file",
    ),
    (
        "terraform/",
        "the output directory the `compile --to terraform-json` example creates",
    ),
    (
        "pictures/",
        "the output directory the `compile --to png` example creates",
    ),
];

fn help_of(path: &[String]) -> String {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let out = hk(&args);
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    text(&out.stdout)
}

fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(String::from)
        .collect()
}

#[test]
fn help_names_files_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut todo = vec![Vec::<String>::new()];
    let mut seen = 0;
    let mut examples = 0;
    while let Some(path) = todo.pop() {
        let help = help_of(&path);
        seen += 1;
        for c in subcommands(&help) {
            let mut p = path.clone();
            p.push(c);
            todo.push(p);
        }
        let tokens = help
            .split(|c: char| c.is_whitespace() || "`'\"(),;".contains(c))
            .map(|t| t.trim_end_matches([':', '.']))
            .filter(|t| t.contains('/') || t.contains(".hk"));
        for t in tokens {
            // Absolute, home, shell and Azure ID examples are not repository files.
            if t.starts_with(['/', '~', '$', '<']) || t.contains('…') || t.contains('>') {
                continue;
            }
            if NOT_REPO_FILES.iter().any(|(n, _)| *n == t) {
                continue;
            }
            assert!(
                root.join(t).exists(),
                "`{}` --help names {t}, which does not exist",
                path.join(" ")
            );
            examples += t.starts_with("examples/") as usize;
        }
    }
    assert!(seen >= 15, "{seen} help pages");
    assert!(examples >= 10, "{examples} example paths");
}

#[test]
fn plan_json_of_a_failed_lookup_holds_its_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fabric.db");
    let args = [
        "plan",
        "examples/existing-hub.hk",
        "--state",
        db.to_str().unwrap(),
        "--stack",
        "x",
    ];
    let out = hk(&[&args[..], &["--json"]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(v["valid"], false);
    assert_eq!(v["diagnostics"][0]["code"], "hub-not-found");
    assert_eq!(v["diagnostics"][0]["address"], "hub.corp_hub");
    assert_eq!(v["resources"], serde_json::json!([]));
    let out = hk(&args);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("Error: 1 problem in 1 resource\nerror: looking up what the program reads failed"),
        "{err}"
    );
}
