//! The program's lookups (`data hub …`) before a plan: read from the
//! backend, then the program is loaded again with what was read, so that
//! every reference to a looked-up hub holds its real values and the rules
//! judge the real address space and gateway, shown at the source.

use super::findings::Findings;
use crate::backend::{Backend, OpCtx};
use crate::dsl::{self, Files, Program};
use crate::engine;
use crate::graph;
use anyhow::bail;
use std::path::Path;
use std::sync::Arc;

/// A program with its lookups read, or what stopped it.
pub(super) enum Resolved {
    Ok(Program),
    /// The problems found with what was read, and what that means.
    Invalid(Findings, &'static str),
}

impl Resolved {
    /// The program, or the problems printed for people and an error.
    pub(super) fn or_print(self) -> anyhow::Result<Program> {
        match self {
            Resolved::Ok(p) => Ok(p),
            Resolved::Invalid(f, why) => {
                super::compile::print_human(&f);
                bail!("{why}")
            }
        }
    }
}

/// `program` with its lookups read through `backend` (unchanged when it has
/// none).
pub(super) async fn resolve(
    file: &Path,
    opts: &dsl::Options,
    program: Program,
    backend: &Arc<dyn Backend>,
    stack: &str,
) -> anyhow::Result<Resolved> {
    if program.graph.unread_lookups().next().is_none() {
        return Ok(Resolved::Ok(program));
    }
    let cx = OpCtx::new(stack.to_string()).with_read_scope();
    let read = engine::lookup::read(&program.graph, backend, &cx).await?;
    if read.diagnostics.has_errors() {
        return Ok(Resolved::Invalid(
            Findings::of_graph(&program, &read.diagnostics),
            "looking up what the program reads failed; nothing was changed",
        ));
    }
    if !read.diagnostics.is_empty() {
        eprint!("{}", program.render(&read.diagnostics));
    }
    let resolved = match dsl::load_resolved(file, opts, &Files::Disk, &read.found) {
        Ok(p) => p,
        Err(e) => {
            return Ok(Resolved::Invalid(
                Findings::of_load(&e),
                "the program does not load with the looked-up values; nothing was changed",
            ))
        }
    };
    let diags = graph::check(&resolved.graph);
    if diags.has_errors() {
        return Ok(Resolved::Invalid(
            Findings::of_graph(&resolved, &diags),
            "the program does not hold against the looked-up objects; nothing was changed",
        ));
    }
    Ok(Resolved::Ok(resolved))
}
