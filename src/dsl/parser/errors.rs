//! Parse errors users can read: "expected `,` or `]`" with a hint, and a
//! nesting limit checked before pest recurses.

#![allow(clippy::result_large_err)] // one problem per file, built once

use super::Rule;
use crate::dsl::ast::{FileId, Span};
use crate::dsl::error::Problem;

/// Deeper nesting than this is refused before parsing (keeps recursion bounded).
const MAX_DEPTH: usize = 64;

// More items than this in one list are refused before parsing: a list of
// millions would cost gigabytes in the parser before any rule could say so.
use crate::graph::schema::MAX_LIST_ITEMS;

/// Refuses nesting deeper than [`MAX_DEPTH`] and lists longer than
/// [`MAX_LIST_ITEMS`], counting brackets and commas in code and in `${…}`
/// inside strings (a small lexer mirroring the grammar), so that neither
/// pest nor the later passes can recurse or allocate without bound.
pub(super) fn check_depth(src: &str, file: FileId) -> Result<(), Problem> {
    // One entry per open bracket; `Interp` marks a `${` whose `}` returns
    // to the string it came from; a list counts its commas.
    #[derive(PartialEq)]
    enum Open {
        Bracket,
        List { at: usize, commas: usize },
        Interp,
    }
    let bytes = src.as_bytes();
    let mut stack: Vec<Open> = Vec::new();
    let (mut in_string, mut in_comment) = (false, false);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_comment {
            in_comment = b != b'\n';
        } else if in_string {
            match b {
                b'\\' => i += 1,
                b'"' | b'\n' => in_string = false,
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    stack.push(Open::Interp);
                    in_string = false;
                    i += 1;
                }
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'#' => in_comment = true,
                b'/' if bytes.get(i + 1) == Some(&b'/') => in_comment = true,
                b'[' => stack.push(Open::List { at: i, commas: 0 }),
                b'{' | b'(' => stack.push(Open::Bracket),
                b',' => {
                    if let Some(Open::List { at, commas }) = stack.last_mut() {
                        *commas += 1;
                        if *commas >= MAX_LIST_ITEMS {
                            return Err(Problem::error(
                                "dsl::too-many-items",
                                format!("a list of more than {MAX_LIST_ITEMS} items"),
                            )
                            .at(Span::new(file, *at, *at + 1), "this list")
                            .help("no Azure or Kubernetes attribute takes that many values: split the resource or use a wider range"));
                        }
                    }
                }
                b']' | b'}' | b')' => in_string = stack.pop() == Some(Open::Interp),
                _ => {}
            }
        }
        if stack.len() > MAX_DEPTH {
            return Err(
                Problem::error("dsl::too-deep", format!("nesting deeper than {MAX_DEPTH} levels"))
                    .at(Span::new(file, i, i + 1), "too deep")
                    .help("flatten the value"),
            );
        }
        i += 1;
    }
    Ok(())
}

/// The name users see for a rule in "expected …".
fn rule_name(r: &Rule) -> String {
    match r {
        Rule::EOI => "end of file",
        Rule::ident => "a name",
        Rule::param => "`param`",
        Rule::module => "`module`",
        Rule::flow | Rule::kw_flow => "`flow \"NAME\" { … }`",
        Rule::state_block | Rule::kw_state => "`state { url = … }`",
        Rule::block => "a block (`KIND NAME { … }`)",
        Rule::attr | Rule::entry => "an attribute (`name = value`)",
        Rule::body | Rule::object => "`{`",
        Rule::type_expr | Rule::prim_type | Rule::list_type | Rule::map_type => {
            "a type (string, number, bool, cidr, ip, list(T), map(T))"
        }
        Rule::cidr => "a CIDR",
        Rule::ip => "an IP address",
        Rule::number => "a number",
        Rule::boolean => "true or false",
        Rule::string => "a string",
        Rule::list => "a list",
        Rule::reference => "a reference",
        Rule::interp => "`${`",
        Rule::escape => "an escape (\\\" \\\\ \\n \\t \\r \\$ \\u{…})",
        Rule::str_text => "text",
        Rule::COMMENT => "a comment",
        Rule::kw_param => "`param`",
        Rule::kw_module => "`module`",
        Rule::kw_as => "`as`",
        _ => "a value",
    }
    .to_string()
}

/// True when the text at `at` reads like a malformed number (`1e30`,
/// `1.5`, `0x10`, `--1`) rather than an IP address or a CIDR.
fn looks_numeric(src: &str, at: usize) -> bool {
    let start = src[..at.min(src.len())]
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || "._-+".contains(c)))
        .map_or(0, |i| i + 1);
    let rest = src.get(start..).unwrap_or("");
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || "._-+".contains(c)))
        .unwrap_or(rest.len());
    let token = &rest[..end];
    token.trim_start_matches('-').starts_with(|c: char| c.is_ascii_digit())
        && token.matches('.').count() <= 1
        && !rest[end..].starts_with('/')
        && token.parse::<i64>().is_err()
}

pub(super) fn syntax_error(e: pest::error::Error<Rule>, src: &str, file: FileId) -> Problem {
    let (start, end) = match e.location {
        pest::error::InputLocation::Pos(p) => (p, p),
        pest::error::InputLocation::Span((s, t)) => (s, t),
    };
    let message = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<String> = positives
                .iter()
                .filter(|r| **r != Rule::COMMENT)
                .map(rule_name)
                .collect();
            if let Some(a) = e.parse_attempts() {
                names.extend(a.expected_tokens().into_iter().filter_map(|t| {
                    let t = t.to_string();
                    let noise = t.trim().is_empty() || ["#", "//", "BUILTIN_RULE"].contains(&t.as_str());
                    (!noise && !t.contains("..")).then(|| format!("`{t}`"))
                }));
            }
            names.sort();
            names.dedup();
            match names.len() {
                0 => "syntax error".to_string(),
                1 => format!("expected {}", names[0]),
                n => format!("expected {} or {}", names[..n - 1].join(", "), names[n - 1]),
            }
        }
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    let at = src.get(start..).and_then(|s| s.chars().next());
    let help = if at.is_some_and(|c| !c.is_ascii()) {
        "names are ASCII letters, digits, `_` and `-`; other text goes in a string \"…\""
    } else if looks_numeric(src, start) {
        "numbers are whole decimal numbers such as 30 or -1: no fractions, exponents or hex"
    } else if message.contains("`]`") {
        "is a `]` missing? lists are written `[a, b]`"
    } else if message.contains("`}`") {
        "is a `}` missing? blocks and objects are written `{ name = value }`"
    } else if message.contains("`=`") || message.contains("an attribute") {
        "attributes are written `name = value`; lists `[a, b]`; objects `{ key = value }`"
    } else if message.contains("a value") {
        "values are strings \"…\", numbers, true/false, CIDRs 10.0.0.0/8, IPs 10.1.0.4, lists, objects or references"
    } else {
        "see the DSL reference in docs/design.md (\"Shape of the DSL\")"
    };
    Problem::error("dsl::syntax", format!("syntax error: {message}"))
        .at(Span::new(file, start, end), "here")
        .help(help)
}
