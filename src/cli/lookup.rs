//! The program's lookups (`data hub …`) before a plan: read from the
//! backend, then the program is loaded again with what was read, so that
//! every reference to a looked-up hub holds its real values and the rules
//! judge the real address space and gateway, shown at the source.

use crate::backend::{Backend, OpCtx};
use crate::dsl::{self, Files, Program};
use crate::engine;
use crate::graph;
use anyhow::bail;
use std::path::Path;
use std::sync::Arc;

/// `program` with its lookups read through `backend` (unchanged when it has
/// none). Problems are printed at their source and end the command.
pub(super) async fn resolve(
    file: &Path,
    opts: &dsl::Options,
    program: Program,
    backend: &Arc<dyn Backend>,
    stack: &str,
) -> anyhow::Result<Program> {
    if program.graph.unread_lookups().next().is_none() {
        return Ok(program);
    }
    let cx = OpCtx::new(stack.to_string()).with_read_scope();
    let read = engine::lookup::read(&program.graph, backend, &cx).await?;
    if !read.diagnostics.is_empty() {
        eprint!("{}", program.render(&read.diagnostics));
    }
    if read.diagnostics.has_errors() {
        bail!("looking up what the program reads failed; nothing was changed");
    }
    let resolved = match dsl::load_resolved(file, opts, &Files::Disk, &read.found) {
        Ok(p) => p,
        Err(e) => {
            eprint!("{}", e.render());
            bail!("the program does not load with the looked-up values; nothing was changed");
        }
    };
    let diags = graph::check(&resolved.graph);
    if diags.has_errors() {
        eprint!("{}", resolved.render(&diags));
        bail!("the program does not hold against the looked-up objects; nothing was changed");
    }
    Ok(resolved)
}
