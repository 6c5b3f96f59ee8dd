//! `flows FILE`: every declared flow with its verdict and path, as a table;
//! and the `flows` array of `check --json`.

use super::compile::{load_options, print_human};
use super::findings::Findings;
use super::ProgramArgs;
use crate::dsl::{self, flows::Answered};
use crate::graph;
use serde_json::{json, Value as J};
use std::process::ExitCode;

/// One flow's answer in the JSON document: `name`, `from`, `to`,
/// `protocol`, `port`, `expect`, `verdict` (`null` when it cannot be
/// answered), `as_expected`, `path` (hops), `blocker` (`kind`, `message`,
/// `hint`, or `null`) and `error` (why it cannot be answered, or `null`).
pub fn to_json(a: &Answered<'_>) -> J {
    let f = &a.declared.flow;
    let (verdict, as_expected, path, blocker, error) = match &a.answer {
        Ok(ans) => (
            J::from(ans.verdict.name()),
            ans.as_expected(f),
            ans.path.clone(),
            ans.blocker.as_ref().map_or(
                J::Null,
                |b| json!({ "kind": b.kind(), "message": b.explain(), "hint": b.hint() }),
            ),
            J::Null,
        ),
        Err(e) => (J::Null, false, Vec::new(), J::Null, J::from(e.message.clone())),
    };
    json!({
        "name": f.name,
        "from": f.from.to_string(),
        "to": f.to.to_string(),
        "protocol": f.protocol.to_string(),
        "port": f.port,
        "expect": f.expect.name(),
        "verdict": verdict,
        "as_expected": as_expected,
        "path": path,
        "blocker": blocker,
        "error": error,
    })
}

/// The table: one line per flow (name, expect, verdict, whether that is
/// expected), then its path and, when blocked, the blocker.
pub fn table(answered: &[Answered<'_>]) -> String {
    let width = answered
        .iter()
        .map(|a| a.declared.flow.name.chars().count())
        .chain([4])
        .max()
        .unwrap_or(4);
    let mut out = format!("{:width$}  {:9}  {:9}  RESULT\n", "FLOW", "EXPECT", "VERDICT");
    let mut good = 0;
    for a in answered {
        let f = &a.declared.flow;
        match &a.answer {
            Ok(ans) => {
                let ok = ans.as_expected(f);
                good += usize::from(ok);
                out.push_str(&format!(
                    "{:width$}  {:9}  {:9}  {}\n",
                    f.name,
                    f.expect.name(),
                    ans.verdict.name(),
                    if ok { "ok" } else { "MISMATCH" }
                ));
                out.push_str(&format!("  path: {}\n", ans.path_line()));
                if let Some(b) = &ans.blocker {
                    out.push_str(&format!("  blocked by {}: {}\n", b.kind(), b.explain()));
                }
            }
            Err(e) => {
                out.push_str(&format!(
                    "{:width$}  {:9}  {:9}  INVALID\n",
                    f.name,
                    f.expect.name(),
                    "-"
                ));
                out.push_str(&format!("  {}\n", e.message));
            }
        }
    }
    let n = answered.len();
    out.push_str(&format!(
        "{n} flow{}: {good} as expected, {} not\n",
        if n == 1 { "" } else { "s" },
        n - good
    ));
    out
}

/// `hybridk8s flows FILE`: exit 0 when every flow is as expected.
pub fn run(args: &ProgramArgs) -> anyhow::Result<ExitCode> {
    let opts = load_options(args)?;
    let program = match dsl::load(&args.file, &opts) {
        Ok(p) => p,
        Err(e) => {
            print_human(&Findings::of_load(&e));
            return Ok(ExitCode::from(1));
        }
    };
    let diags = graph::check(&program.graph);
    if diags.has_errors() {
        print_human(&Findings::of_graph(&program, &diags));
        return Ok(ExitCode::from(1));
    }
    let answered = program.answer_flows();
    print!("{}", table(&answered));
    let all_good = answered
        .iter()
        .all(|a| a.answer.as_ref().is_ok_and(|ans| ans.as_expected(&a.declared.flow)));
    Ok(if all_good { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
