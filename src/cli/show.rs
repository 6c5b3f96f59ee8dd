//! Human output of plans and applies: a Terraform-like diff, progress lines
//! with elapsed time, colours only on a terminal.

use crate::engine::{Action, ApplyReport, Outcome, Plan, Progress, ResourcePlan, Step};
use crate::graph::{kinds, Attrs, Value};
use std::fmt::Write;
use std::io::IsTerminal;

/// ANSI colours when stdout is a terminal and `NO_COLOR` is unset.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    on: bool,
}

impl Style {
    pub fn detect() -> Self {
        Style {
            on: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    fn paint(self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn green(self, s: &str) -> String {
        self.paint("32", s)
    }
    pub fn yellow(self, s: &str) -> String {
        self.paint("33", s)
    }
    pub fn red(self, s: &str) -> String {
        self.paint("31", s)
    }
    pub fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }
}

fn symbol(a: Action, st: Style) -> String {
    match a {
        Action::Create => st.green("  +"),
        Action::Update => st.yellow("  ~"),
        Action::Replace => st.red("-/+"),
        Action::Delete => st.red("  -"),
        Action::NoOp => "   ".into(),
    }
}

fn headline(r: &ResourcePlan) -> String {
    let what = match r.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in place",
        Action::Replace => "must be replaced",
        Action::Delete => "will be destroyed",
        Action::NoOp => "is up to date",
    };
    let mut s = format!("  # {} {what}", r.address);
    if !r.reasons.is_empty() {
        let _ = write!(s, " ({})", r.reasons.join("; "));
    }
    s
}

/// Attributes worth showing on create: known, non-null, non-empty.
fn shown(attrs: &Attrs) -> impl Iterator<Item = (&String, &Value)> {
    attrs.iter().filter(|(_, v)| match v {
        Value::Null => false,
        Value::List(l) => !l.is_empty(),
        Value::Map(m) => !m.is_empty(),
        _ => true,
    })
}

/// The plan as users read it.
pub fn plan_text(plan: &Plan, st: Style) -> String {
    if !plan.has_changes() {
        return format!(
            "{} The fabric matches the configuration of stack `{}`.\n",
            st.green("No changes."),
            plan.stack
        );
    }
    let mut out = format!(
        "hybridk8s will perform the following actions on stack `{}`:\n\n",
        plan.stack
    );
    for r in plan.changes() {
        let _ = writeln!(out, "{}", st.bold(&headline(r)));
        let _ = writeln!(
            out,
            "{} {} \"{}\" {{",
            symbol(r.action, st),
            r.kind.keyword(),
            r.address.name
        );
        match r.action {
            Action::Create => {
                let width = r
                    .after
                    .as_ref()
                    .map_or(0, |a| shown(a).map(|(k, _)| k.len()).max().unwrap_or(0));
                for (k, v) in r.after.iter().flat_map(shown) {
                    if k == "manifest" {
                        let _ = writeln!(out, "      {} {k:width$} = (rendered manifest)", st.green("+"));
                    } else {
                        let _ = writeln!(out, "      {} {k:width$} = {v}", st.green("+"));
                    }
                }
            }
            Action::Update | Action::Replace => {
                let width = r.changes.iter().map(|c| c.attribute.len()).max().unwrap_or(0);
                for c in &r.changes {
                    let forces = if c.requires_replace {
                        st.red(" # forces replacement")
                    } else {
                        String::new()
                    };
                    let (old, new) = if c.attribute == "manifest" {
                        ("(manifest)".to_string(), "(changed manifest)".to_string())
                    } else {
                        (c.old.to_string(), c.new.to_string())
                    };
                    let _ = writeln!(
                        out,
                        "      {} {:width$} = {old} -> {new}{forces}",
                        st.yellow("~"),
                        c.attribute
                    );
                }
            }
            _ => {}
        }
        out.push_str("    }\n\n");
    }
    let s = plan.summary();
    let _ = writeln!(
        out,
        "{} {} to add, {} to change, {} to destroy.",
        st.bold("Plan:"),
        s.create + s.replace,
        s.update,
        s.delete + s.replace
    );
    out
}

/// One progress line: `cluster_network.aks: creating...` / `...: created (0.12s)`.
pub fn progress_line(p: &Progress, st: Style) -> String {
    let verb = |s: Step| match s {
        Step::Create => ("creating", "created"),
        Step::Update => ("updating", "updated"),
        Step::Delete => ("destroying", "destroyed"),
    };
    match p {
        Progress::Started { address, step } => format!("{address}: {}...", verb(*step).0),
        Progress::Finished {
            address,
            step,
            outcome,
            elapsed,
        } => match outcome {
            Outcome::Succeeded => format!("{address}: {} ({:.2}s)", verb(*step).1, elapsed.as_secs_f64()),
            Outcome::Warned(w) => st.yellow(&format!("{address}: warning: {w}")),
            Outcome::Failed(e) => st.red(&format!(
                "{address}: {} failed after {:.2}s: {e}",
                verb(*step).0,
                elapsed.as_secs_f64()
            )),
            Outcome::Skipped(why) => st.yellow(&format!("{address}: skipped: {why}")),
        },
    }
}

/// The closing lines of an apply.
pub fn report_text(plan: &Plan, report: &ApplyReport, destroy: bool, st: Style) -> String {
    let mut out = String::new();
    let ok = |a: Action| {
        report
            .resources
            .iter()
            .filter(|r| r.action == a && r.outcome.is_success())
            .count()
    };
    for r in &report.resources {
        if let Outcome::Warned(w) = &r.outcome {
            let _ = writeln!(out, "{}", st.yellow(&format!("Warning: {}: {w}", r.address)));
        }
    }
    if report.is_success() {
        if destroy {
            let _ = writeln!(
                out,
                "\n{} Resources: {} destroyed.",
                st.green("Destroy complete!"),
                ok(Action::Delete)
            );
        } else {
            let _ = writeln!(
                out,
                "\n{} Resources: {} added, {} changed, {} destroyed.",
                st.green("Apply complete!"),
                ok(Action::Create) + ok(Action::Replace),
                ok(Action::Update),
                ok(Action::Delete) + ok(Action::Replace)
            );
        }
    } else {
        let _ = writeln!(out, "\n{}", st.red(&format!("Apply of stack `{}` failed:", plan.stack)));
        for r in report.failures() {
            let why = match &r.outcome {
                Outcome::Failed(e) => e.clone(),
                Outcome::Skipped(e) => format!("skipped: {e}"),
                Outcome::Succeeded | Outcome::Warned(_) => continue,
            };
            let _ = writeln!(out, "  {}: {why}", r.address);
        }
        let _ = writeln!(
            out,
            "The stack state records exactly what was done; fix the cause and apply again."
        );
        let failed = report
            .failures()
            .map(|r| Some(r.address.to_string()))
            .collect::<Vec<_>>();
        if let Some(line) = super::findings::summary_line(failed.iter().map(Option::as_deref)) {
            let _ = writeln!(out, "{}", st.red(&line));
        }
    }
    out
}

/// `state show`: every attribute of one resource.
pub fn attrs_text(kind: crate::graph::Kind, attrs: &Attrs) -> String {
    let schema = kinds::schema(kind);
    let width = attrs.keys().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in attrs {
        let sensitive = schema.attribute(k).is_some_and(|a| a.sensitive);
        if k == "manifest" {
            let _ = writeln!(out, "{k:width$} = <<EOT\n{}EOT", v.as_str().unwrap_or_default());
        } else if sensitive {
            let _ = writeln!(out, "{k:width$} = (sensitive)");
        } else {
            let _ = writeln!(out, "{k:width$} = {v}");
        }
    }
    out
}
