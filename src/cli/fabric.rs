//! Commands over the embedded fabric: plan, apply, destroy, import, state
//! and fabric dump. Each opens the SQLite fabric, works on one stack (see
//! `stacks` for names), and holds the stack lock for as long as it writes.
//! The read-only ones (plan, state, dump) create no file: a missing fabric
//! reads as an empty one.

use super::backend::{BackendArgs, Target};
use super::compile::{load, load_checked, load_options, print_human, Loaded};
use super::findings::Format;
use super::lookup::Resolved;
use super::saved;
use super::show::{self, Style};
use super::stacks::{self, legacy_message, open_read, program_stack};
use super::ProgramArgs;
use crate::backend::stacks::{StackHold, StackStore};
use crate::backend::Backend;
use crate::engine::{self, ApplyOptions, Plan, Progress, StackState, StateEntry};
use crate::graph::Address;
use anyhow::{bail, Context};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Where the fabric and the stacks live.
#[derive(Debug, Clone, clap::Args)]
pub struct FabricArgs {
    /// The fabric database, which also holds the stacks [default:
    /// .hybridk8s/fabric.db under the working directory]; or
    /// `azblob://<account>/<container>/<key>`: the stack lives in that blob
    /// of Azure Storage, shared by a team (ARM_ACCESS_KEY, ARM_SAS_TOKEN or
    /// ARM_USE_AZUREAD), and the fabric is `--fabric`.
    #[arg(long = "state", env = "HYBRIDK8S_STATE", value_name = "PATH|URL", global = true)]
    pub state: Option<PathBuf>,
    /// The fabric database when the stacks live elsewhere (`--state
    /// azblob://…`) [default: .hybridk8s/fabric.db under the working directory].
    #[arg(long = "fabric", env = "HYBRIDK8S_FABRIC", value_name = "PATH", global = true)]
    pub fabric: Option<PathBuf>,
}

impl FabricArgs {
    /// With the program's `state { url = … }` when neither `--state` nor
    /// `HYBRIDK8S_STATE` names the state.
    pub fn for_program(&self, file: &Path) -> FabricArgs {
        let mut f = self.clone();
        if f.state.is_none() {
            f.state = crate::dsl::state_url(file).map(PathBuf::from);
        }
        f
    }
}

/// Which stack (the standalone state of one program) to use.
#[derive(Debug, Clone, clap::Args)]
pub struct StackArgs {
    /// Stack name [default: the program's path relative to the directory
    /// holding the fabric's `.hybridk8s/`, e.g. `envs/dev/main.hk`].
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

/// The stack for commands without a program: `--stack`, or the only one.
async fn sole_stack(store: &dyn StackStore, s: &StackArgs) -> anyhow::Result<String> {
    if let Some(fixed) = store.fixed_stack() {
        return stacks::stack_in(store, Path::new(""), Path::new(""), s).map(|_| fixed);
    }
    if let Some(n) = &s.stack {
        return Ok(n.clone());
    }
    let stacks = store.stacks().await?;
    match stacks.as_slice() {
        [(only, _)] => Ok(only.clone()),
        [] => bail!("{} has no stacks yet; apply a program first", store.describe()),
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
    backend: &BackendArgs,
    format: Format,
    detailed: bool,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let target = Target::resolve(backend)?;
    let (p, found) = match load(program)? {
        Loaded::Valid(p, f) => (p, f),
        Loaded::Invalid(f) => {
            if format == Format::Json {
                invalid_plan_json(&f, &program_stack(&program.file, &stacks::db_path(fabric), stack))?;
            } else {
                print_human(&f);
            }
            return Ok(ExitCode::from(1));
        }
    };
    if format == Format::Human {
        print_human(&found);
    }
    let opts = load_options(program)?;
    let opened = open_read(fabric)?;
    let name = stacks::stack_in(opened.store.as_ref(), &program.file, &opened.path, stack)?;
    let fabric_path = opened.path.clone();
    let planned = runtime()?.block_on(async {
        let (fabric, store) = (opened.fabric, opened.store);
        if let Some(legacy) = legacy_stack(store.as_ref(), &program.file, &name, stack).await? {
            eprintln!("warning: {}", legacy_message(&name, &legacy));
        }
        let state = store.stack_state(&name).await?;
        let backend = target.backend(fabric)?;
        let p = match super::lookup::resolve(&program.file, &opts, p, &backend, &name).await? {
            Resolved::Ok(p) => p,
            invalid => return anyhow::Ok(Err(invalid)),
        };
        let plan = engine::plan(&p.graph, &state, backend.clone()).await?;
        let Some(_) = out else { return Ok(Ok((plan, None))) };
        let cx = crate::backend::OpCtx::new(name.clone()).with_read_scope();
        let seen = saved::fingerprint(saved::targets(&plan, &p.graph), &plan, &backend, &cx).await?;
        Ok(Ok((plan, Some((seen, p.graph)))))
    })?;
    let (plan, saved) = match (planned, format) {
        (Ok(p), _) => p,
        (Err(Resolved::Invalid(f, _)), Format::Json) => {
            invalid_plan_json(&f, &name)?;
            return Ok(ExitCode::from(1));
        }
        (Err(invalid), _) => {
            invalid.or_print()?;
            return Ok(ExitCode::from(1));
        }
    };
    if let (Some(path), Some((fingerprint, graph))) = (out, saved) {
        let saved = saved::Saved {
            program: std::fs::canonicalize(&program.file)
                .unwrap_or_else(|_| program.file.clone())
                .display()
                .to_string(),
            fabric: stacks::identity(fabric).unwrap_or_else(|| fabric_identity(&fabric_path)),
            backend: backend_name(backend).to_string(),
            fingerprint,
            plan: plan.clone(),
        };
        saved::write(path, &saved, &graph)?;
    }
    if format == Format::Json {
        let mut j = plan.to_json();
        if let serde_json::Value::Object(m) = &mut j {
            m.extend(found.to_json());
        }
        println!("{}", serde_json::to_string_pretty(&j)?);
    } else {
        print!("{}", show::plan_text(&plan, Style::detect()));
    }
    if let Some(path) = out {
        eprintln!(
            "Saved the plan to {}; `hybridk8s apply {}` applies exactly this plan.",
            path.display(),
            path.display()
        );
    }
    Ok(if detailed && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// `plan --json` of an invalid program: the findings, no resources.
fn invalid_plan_json(f: &super::findings::Findings, stack: &str) -> anyhow::Result<()> {
    let mut j = f.to_json();
    j.insert("format_version".into(), engine::PLAN_FORMAT_VERSION.into());
    j.insert("stack".into(), stack.into());
    j.insert("resources".into(), serde_json::Value::Array(Vec::new()));
    println!("{}", serde_json::to_string_pretty(&j)?);
    Ok(())
}

/// The fabric a saved plan names: the canonical path of its file (the
/// file need not exist yet).
fn fabric_identity(path: &Path) -> String {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (std::fs::canonicalize(dir), path.file_name()) {
        (Ok(d), Some(n)) => d.join(n).display().to_string(),
        _ => path.display().to_string(),
    }
}

fn backend_name(b: &BackendArgs) -> &'static str {
    match b.backend {
        super::BackendKind::Local => "local",
        super::BackendKind::Azure => "azure",
    }
}

pub fn apply(
    program: &ProgramArgs,
    fabric: &FabricArgs,
    stack: &StackArgs,
    backend: &BackendArgs,
    how: &ApplyArgs,
) -> anyhow::Result<ExitCode> {
    if saved::is_plan_file(&program.file) {
        return apply_saved(program, fabric, stack, backend, how);
    }
    let target = Target::resolve(backend)?;
    let Some((p, _)) = load_checked(program)? else {
        return Ok(ExitCode::from(1));
    };
    let opened = open_read(fabric)?;
    let name = stacks::stack_in(opened.store.as_ref(), &program.file, &opened.path, stack)?;
    let legacy = runtime()?.block_on(legacy_stack(opened.store.as_ref(), &program.file, &name, stack))?;
    drop(opened);
    if let Some(legacy) = legacy {
        // Starting empty would try to create what the old stack owns.
        eprintln!("error: {}", legacy_message(&name, &legacy));
        return Ok(ExitCode::from(1));
    }
    let (file, opts) = (program.file.clone(), load_options(program)?);
    run_apply(fabric, &target, &name, how, false, move |state, backend| {
        Box::pin(async move {
            let p = super::lookup::resolve(&file, &opts, p, &backend, &state.name)
                .await?
                .or_print()?;
            Ok(engine::plan(&p.graph, &state, backend).await?)
        })
    })
}

/// `apply FILE` of a saved plan: once the stack is locked, its serial and
/// every object the plan read must be as they were; then exactly the saved
/// plan is applied (it was reviewed when it was made: no confirmation).
fn apply_saved(
    program: &ProgramArgs,
    fabric: &FabricArgs,
    stack: &StackArgs,
    backend: &BackendArgs,
    how: &ApplyArgs,
) -> anyhow::Result<ExitCode> {
    let file = &program.file;
    if !program.vars.is_empty() || !program.var_files.is_empty() {
        bail!(
            "{} is a saved plan: its parameters were set when it was made (no --var or --var-file)",
            file.display()
        );
    }
    let saved = saved::read(file)?;
    let here = stacks::identity(fabric).unwrap_or_else(|| fabric_identity(&stacks::db_path(fabric)));
    if saved.fabric != here {
        bail!(
            "{} was made against the fabric {}, not {here}; plan again against this one",
            file.display(),
            saved.fabric
        );
    }
    if saved.backend != backend_name(backend) {
        bail!(
            "{} was made with --backend {}, not {}",
            file.display(),
            saved.backend,
            backend_name(backend)
        );
    }
    if let Some(s) = stack.stack.as_ref().filter(|s| **s != saved.plan.stack) {
        bail!(
            "{} is a plan of stack `{}` (program {}), not of stack `{s}`",
            file.display(),
            saved.plan.stack,
            saved.program
        );
    }
    let target = Target::resolve(backend)?;
    let name = saved.plan.stack.clone();
    let how = ApplyArgs {
        auto_approve: true,
        ..how.clone()
    };
    let shown = file.display().to_string();
    run_apply(fabric, &target, &name, &how, false, move |state, backend| {
        Box::pin(async move {
            let again = format!("nothing was changed; make a new plan of {}", saved.program);
            if state.serial != saved.plan.serial {
                bail!(
                    "{shown} is stale: stack `{}` was at serial {} when the plan was made and is at {} now (applied since); {again}",
                    state.name,
                    saved.plan.serial,
                    state.serial
                );
            }
            let cx = crate::backend::OpCtx::new(state.name.clone()).with_read_scope();
            let targets = saved
                .fingerprint
                .iter()
                .map(|s| (s.address.clone(), s.id.clone()))
                .collect();
            let now = saved::fingerprint(targets, &saved.plan, &backend, &cx).await?;
            let moved = saved::moved(&saved.fingerprint, &now);
            if !moved.is_empty() {
                bail!(
                    "{shown} is stale: the fabric changed since the plan was made:\n  {}\n{again}",
                    moved.join("\n  ")
                );
            }
            Ok(saved.plan)
        })
    })
}

/// An old-style stack (named by the file stem) that may hold this
/// program's resources, when the program's own stack does not exist.
async fn legacy_stack(
    fabric: &dyn StackStore,
    file: &Path,
    name: &str,
    s: &StackArgs,
) -> anyhow::Result<Option<String>> {
    let Some(legacy) = stacks::legacy_name(file, name, s) else {
        return Ok(None);
    };
    Ok((!fabric.stack_exists(name).await? && fabric.stack_exists(&legacy).await?).then_some(legacy))
}

pub fn destroy(
    file: &Path,
    fabric: &FabricArgs,
    stack: &StackArgs,
    backend: &BackendArgs,
    how: &ApplyArgs,
) -> anyhow::Result<ExitCode> {
    let target = Target::resolve(backend)?;
    let opened = open_read(fabric)?;
    let name = stacks::stack_in(opened.store.as_ref(), file, &opened.path, stack)?;
    let missing = runtime()?.block_on(async {
        if opened.store.stack_exists(&name).await? {
            return anyhow::Ok(None);
        }
        let mut msg = format!("stack `{name}` does not exist in {}", opened.store.describe());
        if opened.store.fixed_stack().is_some() {
            msg.push_str(": nothing to destroy");
        } else if !opened.exists {
            msg.push_str(" (there is no fabric file): nothing to destroy");
        } else if let Some(legacy) = legacy_stack(opened.store.as_ref(), file, &name, stack).await? {
            msg = stacks::legacy_destroy_message(&name, &legacy);
        } else {
            let names: Vec<String> = opened.store.stacks().await?.into_iter().map(|(n, _)| n).collect();
            msg.push_str(": nothing to destroy");
            if !names.is_empty() {
                msg.push_str(&format!(
                    "\n  hint: its stacks are {}; pass --stack NAME",
                    names.join(", ")
                ));
            }
        }
        Ok(Some(msg))
    })?;
    drop(opened);
    if let Some(msg) = missing {
        eprintln!("error: {msg}");
        return Ok(ExitCode::from(1));
    }
    run_apply(fabric, &target, &name, how, true, |state, backend| {
        Box::pin(async move { Ok(engine::destroy_plan(&state, backend).await?) })
    })
}

/// Makes the plan once the stack is locked.
type PlanFuture = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<Plan>>>>;

/// Lock, plan, show, confirm, apply with progress, report.
fn run_apply(
    fabric: &FabricArgs,
    target: &Target,
    name: &str,
    how: &ApplyArgs,
    destroy: bool,
    planner: impl FnOnce(StackState, Arc<dyn Backend>) -> PlanFuture,
) -> anyhow::Result<ExitCode> {
    let st = Style::detect();
    runtime()?.block_on(async {
        let (fabric, store) = stacks::open_write_store(fabric)?;
        let lock = store.lock_stack(name, Duration::from_secs(how.lock_timeout)).await?;
        let backend = target.backend(fabric.clone())?;
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
        let ticker = Arc::new(super::progress::Ticker::new(&plan));
        let events = ticker.clone();
        let progress: engine::ProgressFn = Arc::new(move |p: &Progress| {
            events.event(p, || {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", show::progress_line(p, st));
                let _ = out.flush();
            });
        });
        let ticks = ticker.clone();
        let redraw = tokio::spawn(async move {
            loop {
                tokio::time::sleep(super::progress::REDRAW).await;
                ticks.tick();
            }
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
        let report = engine::apply(&plan, backend, lock.as_ref(), &opts).await;
        watcher.abort();
        redraw.abort();
        ticker.finish();
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

/// The existing fabric (a missing one is an error ending in `nothing`), the
/// stack the command is about, and its lock: for commands that change one
/// stack's state without an apply.
async fn lock_existing(
    fabric: &FabricArgs,
    stack: &StackArgs,
    nothing: &str,
) -> anyhow::Result<(crate::backend::local::LocalFabric, String, Box<dyn StackHold>)> {
    let path = stacks::db_path(fabric);
    if !path.is_file() {
        bail!("there is no fabric at {}: {nothing}", path.display());
    }
    let (fabric, store) = stacks::open_write_store(fabric)?;
    let name = sole_stack(store.as_ref(), stack).await?;
    let lock = store
        .lock_stack(&name, crate::backend::local::stack::DEFAULT_LOCK_TIMEOUT)
        .await?;
    Ok((fabric, name, lock))
}

pub fn import(
    address: &str,
    id: &str,
    fabric: &FabricArgs,
    stack: &StackArgs,
    backend: &BackendArgs,
) -> anyhow::Result<ExitCode> {
    let target = Target::resolve(backend)?;
    let address: Address = address.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    runtime()?.block_on(async {
        let (fabric, name, lock) = lock_existing(fabric, stack, "nothing to import from").await?;
        let state = lock.state().await?;
        if state.resources.contains_key(&address) {
            bail!("{address} is already managed by stack `{name}`; `state show {address}` shows it");
        }
        let cx = crate::backend::OpCtx::new(name.clone());
        let backend = target.backend(fabric.clone())?;
        let attrs = crate::realize::import(backend.as_ref(), &cx, address.kind, id)
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
    let opened = open_read(fabric)?;
    runtime()?.block_on(async {
        let store = opened.store;
        let name = sole_stack(store.as_ref(), stack).await?;
        for (addr, e) in store.stack_state(&name).await?.resources {
            let pending = e
                .pending
                .map(|p| format!("  (pending {})", p.as_str()))
                .unwrap_or_default();
            println!("{addr}{pending}");
        }
        Ok(ExitCode::SUCCESS)
    })
}

pub fn state_unlock(id: &str, fabric: &FabricArgs, stack: &StackArgs) -> anyhow::Result<ExitCode> {
    let opened = open_read(fabric)?;
    runtime()?.block_on(async {
        let store = opened.store;
        let name = sole_stack(store.as_ref(), stack).await?;
        if store.unlock_stack(&name, id).await? {
            println!("Lock {id} of stack `{name}` cleared.");
            Ok(ExitCode::SUCCESS)
        } else {
            eprintln!("error: stack `{name}` holds no lock with ID {id}");
            Ok(ExitCode::from(1))
        }
    })
}

pub fn state_show(address: &str, fabric: &FabricArgs, stack: &StackArgs) -> anyhow::Result<ExitCode> {
    let address: Address = address.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let opened = open_read(fabric)?;
    runtime()?.block_on(async {
        let store = opened.store;
        let name = sole_stack(store.as_ref(), stack).await?;
        let state = store.stack_state(&name).await?;
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

pub fn state_rm(
    address: &str,
    fabric: &FabricArgs,
    stack: &StackArgs,
    backend: &BackendArgs,
) -> anyhow::Result<ExitCode> {
    let target = Target::resolve(backend)?;
    let address: Address = address.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    runtime()?.block_on(async {
        let (fabric, name, lock) = lock_existing(fabric, stack, "no stack to remove from").await?;
        let state = lock.state().await?;
        let Some(e) = state.resources.get(&address) else {
            lock.release().await?;
            bail!("stack `{name}` has no resource {address}; `state list` shows what it has");
        };
        if let (Some(id), false) = (&e.id, e.kind.is_declaration_only()) {
            let cx = crate::backend::OpCtx::new(name.clone());
            let backend = target.backend(fabric.clone())?;
            if let Err(err) = backend.release(&cx, address.kind, id).await {
                // An object already gone has no mark to take off.
                if !matches!(
                    err,
                    crate::backend::BackendError::Refused {
                        code: crate::backend::ErrorCode::ResourceNotFound,
                        ..
                    }
                ) {
                    lock.release().await?;
                    return Err(anyhow::Error::new(err).context(format!("giving up {address}")));
                }
            }
        }
        lock.begin_apply(state.serial).await?;
        lock.remove(&address).await?;
        lock.release().await?;
        println!(
            "{address}: removed from stack `{name}`; the object stays in the fabric without this stack's owner mark."
        );
        Ok(ExitCode::SUCCESS)
    })
}

pub fn dump(
    fabric: &FabricArgs,
    stack: Option<&str>,
    backend: &super::backend::BackendArgs,
) -> anyhow::Result<ExitCode> {
    if let super::backend::Target::Azure(cfg, _) = super::backend::Target::resolve(backend)? {
        return azure_inventory(cfg, fabric, stack);
    }
    if stack.is_some() {
        bail!("--stack filters `fabric dump` of the azure backend; the local fabric's dump holds every stack");
    }
    let opened = open_read(fabric)?;
    let dump = runtime()?.block_on(async { anyhow::Ok(opened.fabric.dump().await?) })?;
    println!("{}", serde_json::to_string_pretty(&dump)?);
    Ok(ExitCode::SUCCESS)
}

/// `fabric dump --backend azure`: what hybridk8s owns in the subscription.
#[cfg(feature = "azure")]
fn azure_inventory(
    cfg: crate::backend::azure::AzureConfig,
    fabric: &FabricArgs,
    stack: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let opened = open_read(fabric)?;
    let b = crate::backend::azure::AzureBackend::new(cfg, opened.fabric)
        .map_err(|e| anyhow::anyhow!("opening the azure backend: {e}"))?;
    let cx = crate::backend::OpCtx::new("(fabric dump)");
    let dump = runtime()?.block_on(b.inventory(&cx, stack))?;
    println!("{}", serde_json::to_string_pretty(&dump)?);
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "azure"))]
fn azure_inventory(
    cfg: crate::backend::azure::AzureConfig,
    _: &FabricArgs,
    _: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let _ = cfg;
    bail!("this build of hybridk8s lacks the cargo feature `azure`")
}
