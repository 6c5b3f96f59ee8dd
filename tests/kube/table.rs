//! `meta.k8s.io/v1` Table answers, as `kubectl get` asks for them
//! (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`).

use super::kinds::Kind;
use serde_json::{json, Value};

fn col(name: &str, ty: &str, format: &str, priority: u32) -> Value {
    json!({"name": name, "type": ty, "format": format, "description": name, "priority": priority})
}

/// Seconds since the epoch of an RFC 3339 UTC time (`2026-01-02T03:04:05Z`).
fn epoch(t: &str) -> Option<i64> {
    let n = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// The AGE column the way kubectl prints durations (`45s`, `3m20s`, `5h`, `2d`).
fn age(obj: &Value) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let Some(created) = obj
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .and_then(epoch)
    else {
        return "<unknown>".into();
    };
    let s = (now - created).max(0);
    let (m, h, d) = (s / 60, s / 3600, s / 86_400);
    match () {
        _ if s < 120 => format!("{s}s"),
        _ if m < 10 && s % 60 != 0 => format!("{m}m{}s", s % 60),
        _ if m < 180 => format!("{m}m"),
        _ if h < 8 && m % 60 != 0 => format!("{h}h{}m", m % 60),
        _ if h < 48 => format!("{h}h"),
        _ if h < 192 && h % 24 != 0 => format!("{d}d{}h", h % 24),
        _ => format!("{d}d"),
    }
}

fn ports(list: &[Value], port_key: &str) -> String {
    if list.is_empty() {
        return "<none>".into();
    }
    list.iter()
        .map(|p| {
            format!(
                "{}/{}",
                p[port_key].as_i64().unwrap_or(0),
                p["protocol"].as_str().unwrap_or("TCP")
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn columns_and_cells(k: &Kind, o: &Value) -> (Vec<Value>, Vec<Value>) {
    let name = o["metadata"]["name"].clone();
    match k.kind {
        "Service" => {
            let ty = o["spec"]["type"].as_str().unwrap_or("ClusterIP");
            let ext = if ty == "ExternalName" {
                o["spec"]["externalName"].as_str().unwrap_or("").to_string()
            } else if ty == "LoadBalancer" {
                "<pending>".into()
            } else {
                "<none>".into()
            };
            let ps = o["spec"]["ports"].as_array().cloned().unwrap_or_default();
            (
                vec![
                    col("Name", "string", "name", 0),
                    col("Type", "string", "", 0),
                    col("Cluster-IP", "string", "", 0),
                    col("External-IP", "string", "", 0),
                    col("Port(s)", "string", "", 0),
                    col("Age", "string", "", 0),
                ],
                vec![
                    name,
                    json!(ty),
                    json!(o["spec"]["clusterIP"].as_str().unwrap_or("None")),
                    json!(ext),
                    json!(ports(&ps, "port")),
                    json!(age(o)),
                ],
            )
        }
        "EndpointSlice" => {
            let ps = o["ports"].as_array().cloned().unwrap_or_default();
            let ports = if ps.is_empty() {
                "<unset>".to_string()
            } else {
                ps.iter()
                    .map(|p| p["port"].as_i64().unwrap_or(0).to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let eps: Vec<String> = o["endpoints"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .flat_map(|e| e["addresses"].as_array().cloned().unwrap_or_default())
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect();
            let eps = if eps.is_empty() {
                "<unset>".into()
            } else {
                eps.join(",")
            };
            (
                vec![
                    col("Name", "string", "name", 0),
                    col("AddressType", "string", "", 0),
                    col("Ports", "string", "", 0),
                    col("Endpoints", "string", "", 0),
                    col("Age", "string", "", 0),
                ],
                vec![name, o["addressType"].clone(), json!(ports), json!(eps), json!(age(o))],
            )
        }
        "Namespace" => (
            vec![
                col("Name", "string", "name", 0),
                col("Status", "string", "", 0),
                col("Age", "string", "", 0),
            ],
            vec![
                name,
                json!(o["status"]["phase"].as_str().unwrap_or("Active")),
                json!(age(o)),
            ],
        ),
        "ConfigMap" => {
            let n = o["data"].as_object().map_or(0, |m| m.len()) + o["binaryData"].as_object().map_or(0, |m| m.len());
            (
                vec![
                    col("Name", "string", "name", 0),
                    col("Data", "string", "", 0),
                    col("Age", "string", "", 0),
                ],
                vec![name, json!(n), json!(age(o))],
            )
        }
        "Deployment" => {
            let want = o["spec"]["replicas"].as_i64().unwrap_or(1);
            let st = &o["status"];
            let n = |f: &str| st[f].as_i64().unwrap_or(0);
            (
                vec![
                    col("Name", "string", "name", 0),
                    col("Ready", "string", "", 0),
                    col("Up-to-date", "integer", "", 0),
                    col("Available", "integer", "", 0),
                    col("Age", "string", "", 0),
                ],
                vec![
                    name,
                    json!(format!("{}/{want}", n("readyReplicas"))),
                    json!(n("updatedReplicas")),
                    json!(n("availableReplicas")),
                    json!(age(o)),
                ],
            )
        }
        "Endpoints" => {
            let mut eps = Vec::new();
            for s in o["subsets"].as_array().cloned().unwrap_or_default() {
                for a in s["addresses"].as_array().cloned().unwrap_or_default() {
                    for p in s["ports"].as_array().cloned().unwrap_or_default() {
                        eps.push(format!("{}:{}", a["ip"].as_str().unwrap_or(""), p["port"]));
                    }
                }
            }
            let eps = if eps.is_empty() { "<none>".into() } else { eps.join(",") };
            (
                vec![
                    col("Name", "string", "name", 0),
                    col("Endpoints", "string", "", 0),
                    col("Age", "string", "", 0),
                ],
                vec![name, json!(eps), json!(age(o))],
            )
        }
        _ => (
            vec![col("Name", "string", "name", 0), col("Age", "string", "", 0)],
            vec![name, json!(age(o))],
        ),
    }
}

/// A Table of `items` when `accept` asks for one.
pub fn maybe(k: &Kind, accept: &str, items: Vec<Value>, rv: Option<&str>) -> Option<Value> {
    if !accept.contains("as=Table") {
        return None;
    }
    let mut columns = None;
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            let (cols, cells) = columns_and_cells(k, o);
            columns.get_or_insert(cols);
            let mut meta = o["metadata"].clone();
            if let Some(m) = meta.as_object_mut() {
                m.remove("managedFields");
            }
            json!({"cells": cells, "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}})
        })
        .collect();
    let columns = columns.unwrap_or_else(|| columns_and_cells(k, &json!({"metadata": {}, "spec": {}})).0);
    let mut meta = json!({});
    if let Some(rv) = rv {
        meta["resourceVersion"] = json!(rv);
    }
    Some(
        json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "columnDefinitions": columns, "rows": rows}),
    )
}
