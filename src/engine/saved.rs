//! A plan as data, losslessly (`plan --out FILE`): every field of every
//! [`ResourcePlan`], values tagged by type so that an unknown stays
//! unknown and a string equal to the unknown marker stays a string.
//! Values: `null`, `{"b": true}`, `{"n": 3}`, `{"s": "x"}`, `{"u": true}`
//! (known after apply), `{"l": [..]}`, `{"m": {..}}`.

use super::plan::{Action, AttrChange, Plan, ResourcePlan};
use crate::graph::{Address, Attrs, Value};
use serde_json::{json, Value as J};
use std::collections::BTreeSet;

/// Why a saved plan could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(String);

fn bad<T>(what: impl Into<String>) -> Result<T, Malformed> {
    Err(Malformed(what.into()))
}

fn value_out(v: &Value) -> J {
    match v {
        Value::Null => J::Null,
        Value::Unknown => json!({ "u": true }),
        Value::Bool(b) => json!({ "b": b }),
        Value::Number(n) => json!({ "n": n }),
        Value::String(s) => json!({ "s": s }),
        Value::List(l) => json!({ "l": l.iter().map(value_out).collect::<Vec<_>>() }),
        Value::Map(m) => {
            json!({ "m": m.iter().map(|(k, v)| (k.clone(), value_out(v))).collect::<serde_json::Map<_, _>>() })
        }
    }
}

fn value_in(j: &J) -> Result<Value, Malformed> {
    let J::Object(o) = j else {
        return if j.is_null() {
            Ok(Value::Null)
        } else {
            bad("a value is not tagged")
        };
    };
    let (Some((tag, v)), 1) = (o.iter().next(), o.len()) else {
        return bad("a value has no single tag");
    };
    Ok(match (tag.as_str(), v) {
        ("u", J::Bool(true)) => Value::Unknown,
        ("b", J::Bool(b)) => Value::Bool(*b),
        ("n", J::Number(n)) => Value::Number(n.as_i64().ok_or_else(|| Malformed("a number is not whole".into()))?),
        ("s", J::String(s)) => Value::String(s.clone()),
        ("l", J::Array(l)) => Value::List(l.iter().map(value_in).collect::<Result<_, _>>()?),
        ("m", J::Object(m)) => Value::Map(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), value_in(v)?)))
                .collect::<Result<_, Malformed>>()?,
        ),
        (t, _) => return bad(format!("a value has the unknown tag `{t}`")),
    })
}

pub fn attrs_out(a: &Attrs) -> J {
    J::Object(a.iter().map(|(k, v)| (k.clone(), value_out(v))).collect())
}

pub fn attrs_in(j: &J) -> Result<Attrs, Malformed> {
    let J::Object(o) = j else {
        return bad("attributes are not an object");
    };
    o.iter().map(|(k, v)| Ok((k.clone(), value_in(v)?))).collect()
}

fn opt_attrs_in(j: Option<&J>) -> Result<Option<Attrs>, Malformed> {
    match j {
        None | Some(J::Null) => Ok(None),
        Some(j) => attrs_in(j).map(Some),
    }
}

fn addresses_out(s: &BTreeSet<Address>) -> J {
    s.iter().map(ToString::to_string).collect::<Vec<_>>().into()
}

fn address_in(j: &J) -> Result<Address, Malformed> {
    j.as_str()
        .ok_or_else(|| Malformed("an address is not a string".into()))?
        .parse()
        .map_err(Malformed)
}

fn addresses_in(j: Option<&J>) -> Result<BTreeSet<Address>, Malformed> {
    let Some(J::Array(l)) = j else {
        return bad("a dependency list is missing");
    };
    l.iter().map(address_in).collect()
}

fn action_in(s: &str) -> Result<Action, Malformed> {
    [
        Action::NoOp,
        Action::Create,
        Action::Update,
        Action::Replace,
        Action::Delete,
    ]
    .into_iter()
    .find(|a| a.as_str() == s)
    .ok_or_else(|| Malformed(format!("unknown action `{s}`")))
}

fn str_in<'a>(o: &'a J, key: &str) -> Result<&'a str, Malformed> {
    o.get(key)
        .and_then(J::as_str)
        .ok_or_else(|| Malformed(format!("`{key}` is missing")))
}

fn bool_in(o: &J, key: &str) -> Result<bool, Malformed> {
    o.get(key)
        .and_then(J::as_bool)
        .ok_or_else(|| Malformed(format!("`{key}` is missing")))
}

impl Plan {
    /// The plan, every field of it (module docs).
    pub fn to_saved(&self) -> J {
        let resources: Vec<J> = self
            .resources
            .iter()
            .map(|r| {
                json!({
                    "address": r.address.to_string(),
                    "action": r.action.as_str(),
                    "reasons": r.reasons,
                    "changes": r.changes.iter().map(|c| json!({
                        "attribute": c.attribute,
                        "old": value_out(&c.old),
                        "new": value_out(&c.new),
                        "requires_replace": c.requires_replace,
                    })).collect::<Vec<_>>(),
                    "before": r.before.as_ref().map(attrs_out),
                    "after": r.after.as_ref().map(attrs_out),
                    "depends_on": addresses_out(&r.depends_on),
                    "prior_depends_on": addresses_out(&r.prior_depends_on),
                    "refresh_state": r.refresh_state,
                })
            })
            .collect();
        json!({ "stack": self.stack, "serial": self.serial, "resources": resources })
    }

    /// The plan [`to_saved`](Self::to_saved) wrote.
    pub fn from_saved(j: &J) -> Result<Plan, Malformed> {
        let Some(J::Array(list)) = j.get("resources") else {
            return bad("`resources` is missing");
        };
        let resources = list
            .iter()
            .map(|r| {
                let address = address_in(r.get("address").unwrap_or(&J::Null))?;
                let Some(J::Array(changes)) = r.get("changes") else {
                    return bad(format!("{address}: `changes` is missing"));
                };
                let Some(J::Array(reasons)) = r.get("reasons") else {
                    return bad(format!("{address}: `reasons` is missing"));
                };
                Ok(ResourcePlan {
                    kind: address.kind,
                    action: action_in(str_in(r, "action")?)?,
                    reasons: reasons
                        .iter()
                        .map(|s| {
                            s.as_str()
                                .map(String::from)
                                .ok_or_else(|| Malformed("a reason is not text".into()))
                        })
                        .collect::<Result<_, _>>()?,
                    changes: changes
                        .iter()
                        .map(|c| {
                            Ok(AttrChange {
                                attribute: str_in(c, "attribute")?.to_string(),
                                old: value_in(c.get("old").unwrap_or(&J::Null))?,
                                new: value_in(c.get("new").unwrap_or(&J::Null))?,
                                requires_replace: bool_in(c, "requires_replace")?,
                            })
                        })
                        .collect::<Result<_, Malformed>>()?,
                    before: opt_attrs_in(r.get("before"))?,
                    after: opt_attrs_in(r.get("after"))?,
                    depends_on: addresses_in(r.get("depends_on"))?,
                    prior_depends_on: addresses_in(r.get("prior_depends_on"))?,
                    refresh_state: bool_in(r, "refresh_state")?,
                    address,
                })
            })
            .collect::<Result<Vec<_>, Malformed>>()?;
        Ok(Plan {
            stack: str_in(j, "stack")?.to_string(),
            serial: j
                .get("serial")
                .and_then(J::as_i64)
                .ok_or_else(|| Malformed("`serial` is missing".into()))?,
            resources,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Kind;

    #[test]
    fn every_value_comes_back_as_it_was() {
        let v = Value::Map(
            [
                ("u".to_string(), Value::Unknown),
                ("marker".to_string(), Value::str(crate::graph::value::UNKNOWN_MARKER)),
                (
                    "l".to_string(),
                    Value::List(vec![Value::Null, Value::Bool(true), Value::Number(-3)]),
                ),
            ]
            .into(),
        );
        assert_eq!(value_in(&value_out(&v)).unwrap(), v);
        assert!(value_in(&json!({"x": 1})).is_err());
        assert!(value_in(&json!({"n": 1.5})).is_err());
        assert!(value_in(&json!(7)).is_err());
    }

    #[test]
    fn a_plan_comes_back_as_it_was() {
        let a: Address = "cluster_network.aks".parse().unwrap();
        let attrs: Attrs = [("max_nodes".to_string(), Value::Number(5))].into();
        let plan = Plan {
            stack: "dev".into(),
            serial: 4,
            resources: vec![ResourcePlan {
                address: a.clone(),
                kind: Kind::ClusterNetwork,
                action: Action::Update,
                reasons: vec!["why".into()],
                changes: vec![AttrChange {
                    attribute: "max_nodes".into(),
                    old: Value::Number(4),
                    new: Value::Number(5),
                    requires_replace: false,
                }],
                before: Some(attrs.clone()),
                after: Some(attrs),
                depends_on: ["onprem.dc".parse().unwrap()].into(),
                prior_depends_on: BTreeSet::new(),
                refresh_state: true,
            }],
        };
        assert_eq!(Plan::from_saved(&plan.to_saved()).unwrap(), plan);
    }
}
