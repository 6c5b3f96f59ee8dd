//! The bodies of the fuzz targets (`fuzz/fuzz_targets/*`), kept in the
//! library so that the test suite runs them as stable stand-ins
//! (`tests/fuzz_standins.rs`) on every seed and on deterministic
//! pseudo-random inputs. Each body panics only on a bug.

mod graph;
#[cfg(feature = "kubernetes")]
mod kube;
mod plans;
mod world;

pub use graph::{graph_of, rules_graph};
#[cfg(feature = "kubernetes")]
pub use kube::kube_answer;
pub use plans::{address_plan, blob_state, check_plan, plan_input};
pub use world::{fabric_ops, provider_apply};

use crate::dsl::{self, Files, LoadError, Options, Problem, Sources};
use std::path::Path;

/// The virtual root `dsl_check` loads from: nothing outside it exists.
pub const ROOT: &str = "/fuzz";

/// A module the fuzzed program may instantiate (`module "./env.hk" as x { … }`).
pub const ENV_MODULE: &str = r#"param env: string
param cluster_cidr: cidr = 10.40.0.0/16

cluster_network aks {
  name           = "k8s-${env}-vnet"
  resource_group_name = "k8s-${env}-rg"
  location       = "westeurope"
  address_space  = [cluster_cidr]
  max_nodes      = 10
}
"#;

/// The `dsl_parse` target: whatever parses formats, and formatting is
/// idempotent; then the whole `hybridk8s check` pipeline (load with modules
/// and var files, graph rules, rendering at the source) runs in memory.
///
/// The input is the program; after a NUL byte comes a second file,
/// `m.hk`, which the program can use as a module (`./env.hk` always exists),
/// and after a second NUL a var file `vars.hkvars`.
pub fn dsl_check(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else { return };
    if let Ok(formatted) = dsl::format(src) {
        let again = dsl::format(&formatted).unwrap_or_else(|e| panic!("formatted text parses: {e}\n{formatted}"));
        assert_eq!(again, formatted, "formatting is idempotent");
    }
    let mut parts = src.splitn(3, '\0');
    let main = parts.next().unwrap_or("");
    let module = parts.next();
    let vars = parts.next();
    let mut files = vec![
        (format!("{ROOT}/main.hk"), main.to_string()),
        (format!("{ROOT}/env.hk"), ENV_MODULE.to_string()),
    ];
    files.extend(module.map(|m| (format!("{ROOT}/m.hk"), m.to_string())));
    let mut opts = Options::default();
    if let Some(v) = vars {
        files.push((format!("{ROOT}/vars.hkvars"), v.to_string()));
        opts.var_files.push(format!("{ROOT}/vars.hkvars").into());
    }
    let files = Files::memory(files);
    match dsl::load_from(Path::new(&format!("{ROOT}/main.hk")), &opts, &files) {
        Ok(program) => {
            let diags = crate::graph::check(&program.graph);
            check_spans(&program.problems(&diags), &program.sources);
            let _ = program.render_plain(&diags);
        }
        Err(e) => check_load_error(&e),
    }
}

fn check_load_error(e: &LoadError) {
    check_spans(&e.problems, &e.sources);
    let _ = e.render_plain();
}

/// Every span lies inside its file, on character boundaries.
fn check_spans(problems: &[Problem], sources: &Sources) {
    for p in problems {
        for span in p.span.iter().chain(p.related.iter().map(|(s, _)| s)) {
            let text = &sources.get(span.file).expect("a span names a loaded file").text;
            assert!(
                span.start <= span.end && span.end <= text.len(),
                "{}: span {span:?} outside its file ({} bytes)",
                p.code,
                text.len()
            );
            assert!(
                text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
                "{}: span {span:?} splits a character",
                p.code
            );
        }
    }
}
