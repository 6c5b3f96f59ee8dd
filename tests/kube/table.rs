//! `meta.k8s.io/v1` Table answers, as `kubectl get` asks for them
//! (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`).

use super::kinds::Kind;
use serde_json::{json, Value};

fn col(name: &str, ty: &str, format: &str, priority: u32) -> Value {
    json!({"name": name, "type": ty, "format": format, "description": name, "priority": priority})
}

fn age(obj: &Value) -> String {
    let _ = obj;
    // Ages depend on the clock; the emulator's objects are young.
    "0s".into()
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
