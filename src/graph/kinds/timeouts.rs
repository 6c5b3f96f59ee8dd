//! The `timeouts` block every resource takes, as in azurerm: how long a
//! create, read, update or delete may run before hybridk8s gives up (the
//! object is then read back, so the state still says what exists).

use crate::graph::diag::{Diagnostic, Diagnostics};
use crate::graph::schema::{Attribute, Attrs, Block};
use crate::graph::value::{AttrPath, Type, Value};
use crate::graph::Resource;
use std::time::Duration;

/// One of the four operations a timeout bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Create,
    Read,
    Update,
    Delete,
}

impl Step {
    pub const ALL: [Step; 4] = [Step::Create, Step::Read, Step::Update, Step::Delete];

    /// The attribute in the block.
    pub fn name(self) -> &'static str {
        match self {
            Step::Create => "create",
            Step::Read => "read",
            Step::Update => "update",
            Step::Delete => "delete",
        }
    }

    /// azurerm's defaults for a virtual network: 30 minutes, 5 to read.
    pub fn default_timeout(self) -> Duration {
        match self {
            Step::Read => Duration::from_secs(5 * 60),
            _ => Duration::from_secs(30 * 60),
        }
    }
}

/// The longest timeout accepted (Terraform's own operations run no longer).
const MAX: Duration = Duration::from_secs(7 * 24 * 3600);

pub fn block() -> Block {
    Block {
        name: "timeouts",
        description: "How long each operation may take before hybridk8s gives up, as a Go duration (`30m`, `1h30m`, `45s`); the object is then read back, so the state records what exists. Defaults: create, update and delete `30m`, read `5m`.",
        attrs: Step::ALL
            .iter()
            .map(|s| Attribute::optional(s.name(), Type::String, "Timeout of this operation, e.g. `30m`."))
            .collect(),
        min_items: 0,
        max_items: 1,
        requires_replace: false,
    }
}

/// The timeout of `step` the attributes set, else the default.
pub fn of(attrs: &Attrs, step: Step) -> Duration {
    attrs
        .get("timeouts")
        .and_then(Value::as_list)
        .and_then(|l| l.first())
        .and_then(Value::as_map)
        .and_then(|m| m.get(step.name()))
        .and_then(Value::as_str)
        .and_then(|s| parse(s).ok())
        .unwrap_or_else(|| step.default_timeout())
}

/// Every timeout a Go duration of at most a week.
pub fn rules(r: &Resource, d: &mut Diagnostics) {
    let Some(block) = r
        .get("timeouts")
        .as_list()
        .and_then(|l| l.first())
        .and_then(Value::as_map)
    else {
        return;
    };
    for step in Step::ALL {
        let Some(text) = block.get(step.name()).and_then(Value::as_str) else {
            continue;
        };
        let problem = match parse(text) {
            Ok(t) if t.is_zero() => Some(format!(
                "timeout `{text}` is zero: the {} would give up at once",
                step.name()
            )),
            Ok(t) if t > MAX => Some(format!("timeout `{text}` is longer than a week")),
            Ok(_) => None,
            Err(e) => Some(format!("timeout `{text}` is not a duration: {e}")),
        };
        if let Some(msg) = problem {
            d.push(
                Diagnostic::error("invalid-timeout", msg)
                    .at(&r.address, AttrPath::attr("timeouts").index(0).then(step.name()))
                    .hint("write a Go duration: a number and a unit (h, m, s, ms), e.g. `30m` or `1h30m`"),
            );
        }
    }
}

/// A Go duration without sign: `1h30m`, `45s`, `1.5h`, `250ms`.
pub fn parse(text: &str) -> Result<Duration, String> {
    if text.is_empty() {
        return Err("it is empty".into());
    }
    let mut rest = text;
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(format!("expected a number at `{rest}`"));
        }
        let n: f64 = rest[..num_len]
            .parse()
            .map_err(|_| format!("`{}` is not a number", &rest[..num_len]))?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let secs = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            "" => return Err(format!("`{}` has no unit (h, m, s, ms)", &text)),
            u => return Err(format!("unknown unit `{u}` (h, m, s, ms)")),
        };
        rest = &rest[unit_len..];
        total += n * secs;
        if total > 1e9 {
            return Err("it is too long".into());
        }
    }
    Ok(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse("30").unwrap_err().contains("no unit"));
        assert!(parse("5d").unwrap_err().contains("unknown unit `d`"));
        assert!(parse("").is_err());
        assert!(parse("-5m").is_err());
        assert!(parse("m").is_err());
    }
}
