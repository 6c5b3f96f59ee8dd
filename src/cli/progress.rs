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
    /// stderr (a buffer in tests).
    out: Box<dyn Write + Send>,
    on: bool,
    done: usize,
    /// Steps under way, by when they started.
    under_way: BTreeMap<Address, (Step, Instant)>,
    /// The step the terminal line names when none is under way: the
    /// latest finished.
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
        let stderr = std::io::stderr();
        Ticker::with(plan, stderr.is_terminal(), Box::new(stderr), Instant::now())
    }

    fn with(plan: &Plan, terminal: bool, out: Box<dyn Write + Send>, started: Instant) -> Ticker {
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
            started,
            terminal,
            total,
            seen: Mutex::new(Seen {
                out,
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
            let _ = write!(s.out, "\r\x1b[2K");
            let _ = s.out.flush();
        }
        print();
        let line = match p {
            Progress::Started { address, step } => {
                s.under_way.insert(address.clone(), (*step, Instant::now()));
                format!("{address}: {}…", verbs(*step).0)
            }
            Progress::Finished {
                address,
                step,
                outcome,
                elapsed,
            } => {
                s.under_way.remove(address);
                s.latest = Some((address.clone(), *step));
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
            self.redraw(&mut s);
        } else {
            let _ = writeln!(s.out, "{line}");
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
                let lines: Vec<String> = s
                    .under_way
                    .iter()
                    .map(|(a, (step, _))| format!("{a}: {}…", verbs(*step).0))
                    .collect();
                for l in lines {
                    let _ = writeln!(s.out, "{l}");
                }
            }
        }
        if self.terminal {
            self.redraw(&mut s);
        }
    }

    fn redraw(&self, s: &mut Seen) {
        let now = s.under_way.iter().max_by_key(|(_, (_, t))| *t);
        let text = match (now, &s.latest) {
            (Some((a, (step, _))), _) => format!("[{}/{}] {} {a}", s.done, self.total, verbs(*step).0),
            (None, Some((a, step))) => format!("[{}/{}] {} {a}", s.done, self.total, verbs(*step).1),
            (None, None) => format!("[{}/{}]", s.done, self.total),
        };
        let _ = write!(s.out, "\r\x1b[2K{text}");
        let _ = s.out.flush();
    }

    /// The end of the apply: the terminal line is cleared.
    pub fn finish(&self) {
        let mut s = self.lock();
        if s.on && self.terminal {
            let _ = write!(s.out, "\r\x1b[2K");
            let _ = s.out.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Action, ResourcePlan};
    use std::sync::Arc;

    /// A sink the test reads back.
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buf {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn plan(n: usize) -> Plan {
        let resources = (0..n)
            .map(|i| {
                let address: Address = format!("external_service.s{i}").parse().unwrap();
                ResourcePlan {
                    kind: address.kind,
                    address,
                    action: Action::Create,
                    reasons: Vec::new(),
                    changes: Vec::new(),
                    before: None,
                    after: None,
                    depends_on: Default::default(),
                    prior_depends_on: Default::default(),
                    refresh_state: false,
                }
            })
            .collect();
        Plan {
            stack: "s".into(),
            serial: 0,
            resources,
        }
    }

    fn started(i: usize) -> Progress {
        Progress::Started {
            address: format!("external_service.s{i}").parse().unwrap(),
            step: Step::Create,
        }
    }

    fn finished(i: usize) -> Progress {
        Progress::Finished {
            address: format!("external_service.s{i}").parse().unwrap(),
            step: Step::Create,
            outcome: Outcome::Succeeded,
            elapsed: Duration::from_millis(1300),
        }
    }

    #[test]
    fn an_apply_younger_than_a_second_prints_nothing() {
        for terminal in [false, true] {
            let buf = Buf::default();
            let t = Ticker::with(&plan(2), terminal, Box::new(buf.clone()), Instant::now() + AFTER * 60);
            t.event(&started(0), || {});
            t.tick();
            t.event(&finished(0), || {});
            t.finish();
            assert_eq!(buf.text(), "");
        }
    }

    #[test]
    fn on_a_pipe_each_step_is_a_line_from_the_second_on() {
        let buf = Buf::default();
        let long_ago = Instant::now().checked_sub(AFTER * 2).unwrap();
        let t = Ticker::with(&plan(2), false, Box::new(buf.clone()), long_ago);
        // Started before progress was on: named when it comes on.
        t.event(&started(0), || {});
        t.tick();
        t.event(&finished(0), || {});
        t.event(&started(1), || {});
        t.event(&finished(1), || {});
        t.finish();
        assert_eq!(
            buf.text(),
            "external_service.s0: creating…\nexternal_service.s0: created in 1.3s\n\
             external_service.s1: creating…\nexternal_service.s1: created in 1.3s\n"
        );
    }

    #[test]
    fn on_a_terminal_one_line_is_redrawn_and_cleared() {
        let buf = Buf::default();
        let long_ago = Instant::now().checked_sub(AFTER * 2).unwrap();
        let t = Ticker::with(&plan(2), true, Box::new(buf.clone()), long_ago);
        t.event(&started(0), || {});
        t.tick();
        t.event(&finished(0), || {});
        t.event(&started(1), || {});
        t.finish();
        assert_eq!(
            buf.text(),
            "\r\x1b[2K[0/2] creating external_service.s0\
             \r\x1b[2K\r\x1b[2K[1/2] created external_service.s0\
             \r\x1b[2K\r\x1b[2K[1/2] creating external_service.s1\
             \r\x1b[2K"
        );
    }
}
