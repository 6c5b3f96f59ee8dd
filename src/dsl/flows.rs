//! The `flow` declarations of a program, answered over its graph: a flow
//! whose verdict differs from its `expect` is an error at the flow's name
//! with the blocker in the message and the path in the hint.

use super::ast::Span;
use super::error::Problem;
use super::Program;
use crate::graph::flow::{self, Answer, Flow, FlowError, Network};
use std::collections::HashMap;

/// One `flow "NAME" { … }` of a program, lowered.
#[derive(Debug, Clone)]
pub struct DeclaredFlow {
    pub flow: Flow,
    /// The quoted name.
    pub name_span: Span,
    /// The value written for each attribute (`from`, `to`, `port`, …).
    pub spans: HashMap<&'static str, Span>,
}

/// A flow and its answer.
#[derive(Debug, Clone)]
pub struct Answered<'p> {
    pub declared: &'p DeclaredFlow,
    pub answer: Result<Answer, FlowError>,
}

impl Answered<'_> {
    /// The problem to report, when the answer is not the expected one.
    pub fn problem(&self) -> Option<Problem> {
        let d = self.declared;
        match &self.answer {
            Ok(a) => {
                let (code, message, hint) = flow::mismatch(&d.flow, a)?;
                let label = match &a.blocker {
                    Some(b) => format!("blocked: {}", b.kind()),
                    None => "reachable".to_string(),
                };
                Some(Problem::error(code, message).at(d.name_span, label).help(hint))
            }
            Err(e) => {
                let at = d.spans.get(e.part.attr()).copied().unwrap_or(d.name_span);
                Some(
                    Problem::error(flow::CODE_INVALID, format!("flow \"{}\": {}", d.flow.name, e.message))
                        .at(at, format!("in `{}`", e.part.attr()))
                        .help(e.hint.clone()),
                )
            }
        }
    }
}

impl Program {
    /// Every declared flow with its answer, in declaration order (one
    /// index of the graph for all of them).
    pub fn answer_flows(&self) -> Vec<Answered<'_>> {
        if self.flows.is_empty() {
            return Vec::new();
        }
        let network = Network::new(&self.graph);
        self.flows
            .iter()
            .map(|d| Answered {
                declared: d,
                answer: network.answer(&d.flow),
            })
            .collect()
    }
}
