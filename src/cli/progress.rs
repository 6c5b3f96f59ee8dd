//! Progress on stderr for applies that run longer than [`AFTER`]: on a
//! pipe one line per step (`cluster_network.aks: creating…`,
//! `cluster_network.aks: created in 1.3s`), on a terminal one line
//! redrawn in place (`[3/8] creating peering.aks_hub`) and cleared at the
//! end. Shorter applies print nothing here.

use crate::engine::{Outcome, Plan, Progress, Step};
use crate::graph::Address;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an apply runs before progress is shown.
pub const AFTER: Duration = Duration::from_secs(1);
/// How often the terminal line is redrawn.
pub const REDRAW: Duration = Duration::from_millis(100);

fn verbs(s: Step) -> (&'static str, &'static str) {
    match s {
        Step::Create => ("creating", "created"),
        Step::Update => ("updating", "updated"),
        Step::Delete => ("destroying", "destroyed"),
    }
}

struct Seen {
    on: bool,
    done: usize,
    /// Steps under way, by when they started.
    under_way: BTreeMap<Address, (Step, Instant)>,
    /// The step the terminal line names: the latest started.
    latest: Option<(Address, Step)>,
}

/// The progress of one apply.
pub struct Ticker {
    started: Instant,
    terminal: bool,
    total: usize,
    seen: Mutex<Seen>,
}

impl Ticker {
    /// For `plan`: a replace is two steps.
    pub fn new(plan: &Plan) -> Ticker {
        let total = plan
            .changes()
            .map(|r| {
                if r.action == crate::engine::Action::Replace {
                    2
                } else {
                    1
                }
            })
            .sum();
        Ticker {
            started: Instant::now(),
            terminal: std::io::stderr().is_terminal(),
            total,
            seen: Mutex::new(Seen {
                on: false,
                done: 0,
                under_way: BTreeMap::new(),
                latest: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One event of the apply; `print` writes its stdout line (with the
    /// terminal line cleared meanwhile).
    pub fn event(&self, p: &Progress, print: impl FnOnce()) {
        let mut s = self.lock();
        if s.on && self.terminal {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
        print();
        let line = match p {
            Progress::Started { address, step } => {
                s.under_way.insert(address.clone(), (*step, Instant::now()));
                s.latest = Some((address.clone(), *step));
                format!("{address}: {}…", verbs(*step).0)
            }
            Progress::Finished {
                address,
                step,
                outcome,
                elapsed,
            } => {
                s.under_way.remove(address);
                s.done = (s.done + 1).min(self.total);
                let secs = elapsed.as_secs_f64();
                match outcome {
                    Outcome::Succeeded | Outcome::Warned(_) => format!("{address}: {} in {secs:.1}s", verbs(*step).1),
                    Outcome::Failed(_) => format!("{address}: {} failed after {secs:.1}s", verbs(*step).0),
                    Outcome::Skipped(_) => format!("{address}: skipped"),
                }
            }
        };
        if !s.on {
            return;
        }
        if self.terminal {
            self.redraw(&s);
        } else {
            eprintln!("{line}");
        }
    }

    /// Called every [`REDRAW`]: switches progress on after [`AFTER`] (on a
    /// pipe, with a line for each step under way) and redraws the terminal line.
    pub fn tick(&self) {
        let mut s = self.lock();
        if !s.on {
            if self.started.elapsed() < AFTER {
                return;
            }
            s.on = true;
            if !self.terminal {
                for (a, (step, _)) in &s.under_way {
                    eprintln!("{a}: {}…", verbs(*step).0);
                }
            }
        }
        if self.terminal {
            self.redraw(&s);
        }
    }

    fn redraw(&self, s: &Seen) {
        let what = s
            .under_way
            .iter()
            .max_by_key(|(_, (_, t))| *t)
            .map(|(a, (step, _))| (a.clone(), *step))
            .or_else(|| s.latest.clone());
        let text = match what {
            Some((a, step)) => format!("[{}/{}] {} {a}", s.done, self.total, verbs(step).0),
            None => format!("[{}/{}]", s.done, self.total),
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{text}");
        let _ = err.flush();
    }

    /// The end of the apply: the terminal line is cleared.
    pub fn finish(&self) {
        let s = self.lock();
        if s.on && self.terminal {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}
