//! Applying a plan: deletes first (dependents before what they depend on,
//! from the state's recorded dependencies), then creates and updates
//! (dependencies first, from the configuration), each phase with bounded
//! parallelism. Replace = delete in the first phase, create in the second.
//!
//! A failure skips everything that depends on it and lets independent work
//! finish. The stack state is written around every resource: the operation
//! is marked pending before the backend call and settled after it by the
//! realization core (`realize::step`: never adopting, reading the fabric
//! back after a failure), so a crash at any point leaves a state the next
//! plan can reconcile with the fabric.

use super::plan::{Action, Plan, ResourcePlan};
pub use super::report::*;
use super::state::{Pending, StateEntry, StateSink};
use super::EngineError;
use crate::backend::{Backend, OpCtx};
use crate::graph::{Address, Attrs, Kind, Value};
use crate::realize::{self, StepOutcome};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

struct Node<'p> {
    plan: &'p ResourcePlan,
    step: Step,
    deps: usize,
    dependents: Vec<usize>,
    blocked: Option<String>,
}

struct Run<'a> {
    backend: Arc<dyn Backend>,
    cx: OpCtx,
    sink: &'a dyn StateSink,
    opts: &'a ApplyOptions,
    results: HashMap<Address, Vec<(Step, Outcome, Duration)>>,
}

/// Applies `plan` through `backend`, recording into `sink` (the locked
/// stack). Resource failures are in the report; `Err` means the apply
/// could not start or the state could not be written.
pub async fn apply(
    plan: &Plan,
    backend: Arc<dyn Backend>,
    sink: &dyn StateSink,
    opts: &ApplyOptions,
) -> Result<ApplyReport, EngineError> {
    let started = Instant::now();
    sink.begin_apply(plan.serial)
        .await
        .map_err(|e| EngineError::state(&plan.stack, e))?;
    for r in plan
        .resources
        .iter()
        .filter(|r| r.action == Action::NoOp && r.refresh_state)
    {
        if let (Some(before), Some(_)) = (&r.before, &r.after) {
            let entry = entry(r, before.clone(), r.depends_on.clone(), None);
            sink.put(&r.address, &entry)
                .await
                .map_err(|e| EngineError::state(&plan.stack, e))?;
        }
    }
    let mut cx = OpCtx::new(plan.stack.clone());
    if let Some(t) = &opts.cancel {
        cx = cx.with_cancel(t.clone());
    }
    let mut run = Run {
        backend,
        cx,
        sink,
        opts,
        results: HashMap::new(),
    };
    // Phase 1: deletes, dependents first.
    let deletes: Vec<&ResourcePlan> = plan
        .resources
        .iter()
        .filter(|r| matches!(r.action, Action::Delete | Action::Replace))
        .collect();
    let mut nodes: Vec<Node> = deletes.iter().map(|p| node(p, Step::Delete)).collect();
    let at: HashMap<&Address, usize> = deletes.iter().enumerate().map(|(i, p)| (&p.address, i)).collect();
    for (i, p) in deletes.iter().enumerate() {
        for d in &p.prior_depends_on {
            if let Some(&j) = at.get(d) {
                nodes[i].dependents.push(j);
                nodes[j].deps += 1;
            }
        }
    }
    run.phase(nodes).await.map_err(|e| EngineError::state(&plan.stack, e))?;
    // Phase 2: creates and updates, dependencies first.
    let writes: Vec<&ResourcePlan> = plan
        .resources
        .iter()
        .filter(|r| matches!(r.action, Action::Create | Action::Update | Action::Replace))
        .collect();
    let mut nodes: Vec<Node> = writes
        .iter()
        .map(|p| {
            node(
                p,
                if p.action == Action::Update {
                    Step::Update
                } else {
                    Step::Create
                },
            )
        })
        .collect();
    let at: HashMap<&Address, usize> = writes.iter().enumerate().map(|(i, p)| (&p.address, i)).collect();
    for (i, p) in writes.iter().enumerate() {
        if let Some(why) = run.failed(&p.address) {
            nodes[i].blocked = Some(why);
        }
        for d in &p.depends_on {
            if let Some(&j) = at.get(d) {
                nodes[j].dependents.push(i);
                nodes[i].deps += 1;
            } else if let Some(why) = run.failed(d) {
                nodes[i].blocked.get_or_insert(why);
            }
        }
    }
    run.phase(nodes).await.map_err(|e| EngineError::state(&plan.stack, e))?;
    let mut resources: Vec<ResourceReport> = plan
        .changes()
        .map(|p| {
            let steps = run.results.remove(&p.address).unwrap_or_default();
            let outcome = steps
                .iter()
                .map(|(_, o, _)| o.clone())
                .find(|o| !o.is_success())
                .or_else(|| {
                    steps
                        .iter()
                        .map(|(_, o, _)| o.clone())
                        .find(|o| matches!(o, Outcome::Warned(_)))
                })
                .unwrap_or(Outcome::Succeeded);
            ResourceReport {
                address: p.address.clone(),
                action: p.action,
                outcome,
                elapsed: steps.iter().map(|(_, _, d)| *d).sum(),
            }
        })
        .collect();
    resources.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(ApplyReport {
        resources,
        elapsed: started.elapsed(),
    })
}

fn node(plan: &ResourcePlan, step: Step) -> Node<'_> {
    Node {
        plan,
        step,
        deps: 0,
        dependents: Vec::new(),
        blocked: None,
    }
}

fn entry(
    p: &ResourcePlan,
    attrs: Attrs,
    depends_on: std::collections::BTreeSet<Address>,
    pending: Option<Pending>,
) -> StateEntry {
    let id = attrs
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| p.id().map(str::to_string));
    StateEntry {
        kind: p.kind,
        id,
        attrs,
        depends_on,
        pending,
    }
}

impl Run<'_> {
    fn failed(&self, a: &Address) -> Option<String> {
        self.results
            .get(a)
            .and_then(|steps| steps.iter().find(|(_, o, _)| !o.is_success()))
            .map(|_| format!("{a} failed"))
    }

    fn notify(&self, p: Progress) {
        if let Some(f) = &self.opts.progress {
            f(&p);
        }
    }

    async fn phase(&mut self, mut nodes: Vec<Node<'_>>) -> Result<(), super::state::StateError> {
        let limit = self.opts.parallelism.max(1);
        let mut ready: VecDeque<usize> = (0..nodes.len()).filter(|&i| nodes[i].deps == 0).collect();
        let mut set: JoinSet<(usize, StepOutcome, Duration)> = JoinSet::new();
        loop {
            while set.len() < limit {
                let Some(i) = ready.pop_front() else { break };
                let (p, step) = (nodes[i].plan, nodes[i].step);
                if let Some(why) = nodes[i].blocked.clone() {
                    let outcome = Outcome::Skipped(format!("not attempted: {why}"));
                    self.notify(Progress::Finished {
                        address: p.address.clone(),
                        step,
                        outcome: outcome.clone(),
                        elapsed: Duration::ZERO,
                    });
                    self.finish(&mut nodes, &mut ready, i, outcome, Duration::ZERO);
                    continue;
                }
                self.notify(Progress::Started {
                    address: p.address.clone(),
                    step,
                });
                if self.before_step(p, step).await?.is_some() {
                    self.notify(Progress::Finished {
                        address: p.address.clone(),
                        step,
                        outcome: Outcome::Succeeded,
                        elapsed: Duration::ZERO,
                    });
                    self.finish(&mut nodes, &mut ready, i, Outcome::Succeeded, Duration::ZERO);
                    continue;
                }
                let (backend, cx) = (self.backend.clone(), self.cx.clone());
                let (kind, before, after) = (p.kind, p.before.clone(), p.after.clone());
                set.spawn(async move {
                    let t = Instant::now();
                    let r = run_step(&*backend, &cx, kind, step, before, after).await;
                    (i, r, t.elapsed())
                });
            }
            let Some(done) = set.join_next().await else { break };
            let (i, res, elapsed) = done.map_err(|e| super::state::StateError::Storage(e.to_string()))?;
            let p = nodes[i].plan;
            let outcome = self.after_step(p, nodes[i].step, res).await?;
            self.notify(Progress::Finished {
                address: p.address.clone(),
                step: nodes[i].step,
                outcome: outcome.clone(),
                elapsed,
            });
            self.finish(&mut nodes, &mut ready, i, outcome, elapsed);
        }
        Ok(())
    }

    fn finish(
        &mut self,
        nodes: &mut [Node<'_>],
        ready: &mut VecDeque<usize>,
        i: usize,
        outcome: Outcome,
        elapsed: Duration,
    ) {
        let address = nodes[i].plan.address.clone();
        let why = (!outcome.is_success()).then(|| match &outcome {
            Outcome::Skipped(w) => w.trim_start_matches("not attempted: ").to_string(),
            _ => format!("{address} failed"),
        });
        self.results
            .entry(address)
            .or_default()
            .push((nodes[i].step, outcome, elapsed));
        for j in std::mem::take(&mut nodes[i].dependents) {
            if let Some(w) = &why {
                nodes[j].blocked.get_or_insert_with(|| w.clone());
            }
            nodes[j].deps -= 1;
            if nodes[j].deps == 0 {
                ready.push_back(j);
            }
        }
    }

    /// Marks the step pending in the state. `Some(())` when there is nothing
    /// to ask the backend (declaration-only kinds, deletes of what is gone):
    /// the state is settled here.
    async fn before_step(&self, p: &ResourcePlan, step: Step) -> Result<Option<()>, super::state::StateError> {
        let declaration = p.kind.is_declaration_only();
        match step {
            Step::Delete if declaration || p.before.is_none() => {
                self.sink.remove(&p.address).await?;
                Ok(Some(()))
            }
            Step::Create | Step::Update if declaration => {
                let attrs = p.after.clone().unwrap_or_default();
                self.sink
                    .put(&p.address, &entry(p, attrs, p.depends_on.clone(), None))
                    .await?;
                Ok(Some(()))
            }
            Step::Create => {
                let attrs = p.after.clone().unwrap_or_default();
                let e = entry(p, attrs, p.depends_on.clone(), Some(Pending::Create));
                self.sink.put(&p.address, &e).await?;
                Ok(None)
            }
            Step::Update | Step::Delete => {
                let attrs = p.before.clone().unwrap_or_default();
                let pending = if step == Step::Update {
                    Pending::Update
                } else {
                    Pending::Delete
                };
                let e = entry(p, attrs, p.prior_depends_on.clone(), Some(pending));
                self.sink.put(&p.address, &e).await?;
                Ok(None)
            }
        }
    }

    /// Records what the realization core says exists after the step.
    async fn after_step(
        &self,
        p: &ResourcePlan,
        step: Step,
        res: StepOutcome,
    ) -> Result<Outcome, super::state::StateError> {
        let deps = if step == Step::Delete || (res.error.is_some() && step == Step::Update) {
            p.prior_depends_on.clone()
        } else {
            p.depends_on.clone()
        };
        match res.state {
            Some(attrs) => self.sink.put(&p.address, &entry(p, attrs, deps, None)).await?,
            None => self.sink.remove(&p.address).await?,
        }
        Ok(match (res.error, res.warning) {
            (Some(e), _) => Outcome::Failed(e.to_string()),
            (None, Some(w)) => Outcome::Warned(w),
            (None, None) => Outcome::Succeeded,
        })
    }
}

async fn run_step(
    backend: &dyn Backend,
    cx: &OpCtx,
    kind: Kind,
    step: Step,
    before: Option<Attrs>,
    after: Option<Attrs>,
) -> StepOutcome {
    let (before, after) = (before.unwrap_or_default(), after.unwrap_or_default());
    match step {
        Step::Create => realize::create(backend, cx, kind, &after).await,
        Step::Update => realize::update(backend, cx, kind, &before, &after).await,
        Step::Delete => realize::delete(backend, cx, kind, &before).await,
    }
}
