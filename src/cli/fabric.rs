//! Commands over the embedded fabric: plan, apply, destroy, import, state
//! and fabric dump. Each opens the SQLite fabric, works on one stack, and
//! holds the stack lock for as long as it writes.

use super::compile::load_checked;
use super::show::{self, Style};
use super::ProgramArgs;
use crate::backend::local::LocalFabric;
use crate::backend::Backend;
use crate::engine::{self, ApplyOptions, Plan, Progress, StackState, StateEntry, StateSink};
use crate::graph::Address;
use anyhow::{bail, Context};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Where the fabric lives.
#[derive(Debug, Clone, clap::Args)]
pub struct FabricArgs {
    /// The fabric database [default: .hybridk8s/fabric.db under the working directory].
    #[arg(long = "state", env = "HYBRIDK8S_STATE", value_name = "PATH", global = true)]
    pub state: Option<PathBuf>,
}

/// Which stack (the standalone state of one program) to use.
#[derive(Debug, Clone, clap::Args)]
pub struct StackArgs {
    /// Stack name [default: the program file's stem].
    #[arg(long = "stack", value_name = "NAME")]
    pub stack: Option<String>,
}

/// How to apply.
#[derive(Debug, Clone, clap::Args)]
pub struct ApplyArgs {
    /// Apply without asking for confirmation.
    #[arg(long = "auto-approve")]
    pub auto_approve: bool,
    /// Resources changed at once.
    #[arg(long, default_value_t = engine::DEFAULT_PARALLELISM as u16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: u16,
    /// Seconds to wait for another apply of the same stack to finish.
    #[arg(long = "lock-timeout", default_value_t = 60, value_name = "SECONDS")]
    pub lock_timeout: u64,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn open(f: &FabricArgs) -> anyhow::Result<LocalFabric> {
    LocalFabric::open_at(f.state.clone()).map_err(anyhow::Error::from)
}

fn stack_of(file: &Path, s: &StackArgs) -> anyhow::Result<String> {
    if let Some(n) = &s.stack {
        return Ok(n.clone());
    }
    file.file_stem()
        .and_then(|s| s.to_str())
        .map(str::to_string)
        .with_context(|| format!("cannot name a stack after {}; pass --stack", file.display()))
}

/// The stack for commands without a program: `--stack`, or the only one.
async fn sole_stack(fabric: &LocalFabric, s: &StackArgs) -> anyhow::Result<String> {
    if let Some(n) = &s.stack {
        return Ok(n.clone());
    }
    let stacks = fabric.stacks().await?;
    match stacks.as_slice() {
        [(only, _)] => Ok(only.clone()),
        [] => bail!(
            "the fabric {} has no stacks yet; apply a program first",
            fabric.path().display()
        ),
        many => bail!(
            "the fabric holds several stacks ({}); pass --stack NAME",
            many.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
        ),
    }
}

pub fn plan(
    program: &ProgramArgs,
    fabric: &FabricArgs,
    stack: &StackArgs,
    json: bool,
    detailed: bool,
) -> anyhow::Result<ExitCode> {
    let Some((p, _)) = load_checked(program)? else {
        return Ok(ExitCode::from(1));
    };
    let name = stack_of(&program.file, stack)?;
    let plan = runtime()?.block_on(async {
        let fabric = open(fabric)?;
        let state = fabric.stack_state(&name).await?;
        anyhow::Ok(engine::plan(&p.graph, &state, Arc::new(fabric)).await?)
    })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&plan.to_json())?);
    } else {
        print!("{}", show::plan_text(&plan, Style::detect()));
    }
    Ok(if detailed && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn apply(
    program: &ProgramArgs,
    fabric: &FabricArgs,
    stack: &StackArgs,
    how: &ApplyArgs,
) -> anyhow::Result<ExitCode> {
    let Some((p, _)) = load_checked(program)? else {
        return Ok(ExitCode::from(1));
    };
    let name = stack_of(&program.file, stack)?;
    run_apply(fabric, &name, how, false, move |state, backend| {
        Box::pin(async move { Ok(engine::plan(&p.graph, &state, backend).await?) })
    })
}

pub fn destroy(file: &Path, fabric: &FabricArgs, stack: &StackArgs, how: &ApplyArgs) -> anyhow::Result<ExitCode> {
    let name = stack_of(file, stack)?;
    run_apply(fabric, &name, how, true, |state, backend| {
        Box::pin(async move { Ok(engine::destroy_plan(&state, backend).await?) })
    })
}

/// Makes the plan once the stack is locked.
type PlanFuture = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<Plan>>>>;

/// Lock, plan, show, confirm, apply with progress, report.
fn run_apply(
    fabric: &FabricArgs,
    name: &str,
    how: &ApplyArgs,
    destroy: bool,
    planner: impl FnOnce(StackState, Arc<dyn Backend>) -> PlanFuture,
) -> anyhow::Result<ExitCode> {
    let st = Style::detect();
    runtime()?.block_on(async {
        let fabric = open(fabric)?;
        let lock = fabric.lock_stack(name, Duration::from_secs(how.lock_timeout)).await?;
        let backend: Arc<dyn Backend> = Arc::new(fabric.clone());
        let plan = planner(lock.state().await?, backend.clone()).await?;
        print!("{}", show::plan_text(&plan, st));
        if !plan.has_changes() {
            lock.release().await?;
            return Ok(ExitCode::SUCCESS);
        }
        if !how.auto_approve && !confirm(destroy)? {
            lock.release().await?;
            println!("{} cancelled.", if destroy { "Destroy" } else { "Apply" });
            return Ok(ExitCode::from(1));
        }
        println!();
        let progress: engine::ProgressFn = Arc::new(move |p: &Progress| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", show::progress_line(p, st));
        });
        // Ctrl-C: no new step starts; the steps under way finish and are
        // recorded, so the stack state matches the fabric.
        let cancel = tokio_util::sync::CancellationToken::new();
        let on_interrupt = cancel.clone();
        let watcher = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("Interrupt received: waiting for the operations under way to finish...");
                on_interrupt.cancel();
            }
        });
        let opts = ApplyOptions {
            parallelism: usize::from(how.parallelism),
            progress: Some(progress),
            cancel: Some(cancel),
        };
        let report = engine::apply(&plan, backend, &lock, &opts).await;
        watcher.abort();
        let report = report?;
        print!("{}", show::report_text(&plan, &report, destroy, st));
        lock.release().await?;
        Ok(if report.is_success() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}

/// Asks on a terminal; refuses to guess otherwise.
fn confirm(destroy: bool) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "stdin is not a terminal: pass --auto-approve to {} without confirmation",
            if destroy { "destroy" } else { "apply" }
        );
    }
    print!(
        "\nDo you want to {} these actions? Only 'yes' will be accepted.\n  Enter a value: ",
        if destroy { "destroy everything with" } else { "perform" }
    );
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim() == "yes")
}

pub fn import(address: &str, id: &str, fabric: &FabricArgs, stack: &StackArgs) -> anyhow::Result<ExitCode> {
    let address: Address = address.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    runtime()?.block_on(async {
        let fabric = open(fabric)?;
        let name = sole_stack(&fabric, stack).await?;
        let lock = fabric
            .lock_stack(&name, crate::backend::local::stack::DEFAULT_LOCK_TIMEOUT)
            .await?;
        let state = lock.state().await?;
        if state.resources.contains_key(&address) {
            bail!("{address} is already managed by stack `{name}`; `state show {address}` shows it");
        }
        let cx = crate::backend::OpCtx::new(name.clone());
        let attrs = crate::realize::import(&fabric, &cx, address.kind, id)
            .await
            .with_context(|| format!("importing {address}"))?;
        let entry = StateEntry {
            kind: address.kind,
            id: Some(id.to_string()),
            attrs,
            depends_on: Default::default(),
            pending: None,
        };
        lock.begin_apply(state.serial).await?;
        lock.put(&address, &entry).await?;
        lock.release().await?;
        println!("{address}: imported {id} into stack `{name}`.");
        Ok(ExitCode::SUCCESS)
    })
}

pub fn state_list(fabric: &FabricArgs, stack: &StackArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let fabric = open(fabric)?;
        let name = sole_stack(&fabric, stack).await?;
        for (addr, e) in fabric.stack_state(&name).await?.resources {
            let pending = e
                .pending
                .map(|p| format!("  (pending {})", p.as_str()))
                .unwrap_or_default();
            println!("{addr}{pending}");
        }
        Ok(ExitCode::SUCCESS)
    })
}

pub fn state_show(address: &str, fabric: &FabricArgs, stack: &StackArgs) -> anyhow::Result<ExitCode> {
    let address: Address = address.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    runtime()?.block_on(async {
        let fabric = open(fabric)?;
        let name = sole_stack(&fabric, stack).await?;
        let state = fabric.stack_state(&name).await?;
        let Some(e) = state.resources.get(&address) else {
            bail!("stack `{name}` has no resource {address}; `state list` shows what it has");
        };
        println!(
            "# {address}{}",
            e.id.as_deref().map(|i| format!(" ({i})")).unwrap_or_default()
        );
        print!("{}", show::attrs_text(address.kind, &e.attrs));
        Ok(ExitCode::SUCCESS)
    })
}

pub fn dump(fabric: &FabricArgs) -> anyhow::Result<ExitCode> {
    let dump = runtime()?.block_on(async { anyhow::Ok(open(fabric)?.dump().await?) })?;
    println!("{}", serde_json::to_string_pretty(&dump)?);
    Ok(ExitCode::SUCCESS)
}
