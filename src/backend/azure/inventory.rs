//! What hybridk8s owns in the subscription: every VNET that carries its
//! owner mark, listed page by page (`list_all(…).into_stream()`, which
//! follows ARM's `nextLink`), with its stack, subnets and peering sides.
//! `hybridk8s fabric dump --backend azure` prints it.

use super::backend::AzureBackend;
use super::client::from_core;
use super::retry::retry;
use crate::backend::owner::{MANAGED_BY, MANAGED_BY_TAG, STACK_TAG};
use crate::backend::{BackendError, Op, OpCtx};
use azure_mgmt_network::models::VirtualNetwork;
use futures::StreamExt;
use serde_json::{json, Value as J};

impl AzureBackend {
    /// Every VNET of the subscription (all pages), in ARM's order.
    async fn all_vnets(&self, cx: &OpCtx) -> Result<Vec<VirtualNetwork>, BackendError> {
        let subscription = format!("/subscriptions/{}", self.subscription_id);
        retry(cx, || async {
            let mut out = Vec::new();
            let mut pages = self
                .arm
                .network
                .virtual_networks_client()
                .list_all(self.subscription_id.clone())
                .into_stream();
            while let Some(page) = pages.next().await {
                out.extend(page.map_err(from_core)?.value);
            }
            Ok(out)
        })
        .await
        .map_err(|e| e.at(Op::Retrieving, "Virtual Networks of subscription", &subscription))
    }

    /// The VNETs hybridk8s manages, sorted by ID: `{"virtual_networks": [{id,
    /// stack, address_space, subnets, peerings}]}`; `stack` filters by owner.
    pub async fn inventory(&self, cx: &OpCtx, stack: Option<&str>) -> Result<J, BackendError> {
        let mut vnets: Vec<J> = Vec::new();
        for v in self.all_vnets(cx).await? {
            let tags = v
                .resource
                .tags
                .as_ref()
                .and_then(|t| serde_json::to_value(t).ok())
                .unwrap_or(J::Null);
            if tags.get(MANAGED_BY_TAG).and_then(J::as_str) != Some(MANAGED_BY) {
                continue;
            }
            let owner = tags.get(STACK_TAG).and_then(J::as_str).unwrap_or("");
            if stack.is_some_and(|s| s != owner) {
                continue;
            }
            let body = serde_json::to_value(&v).unwrap_or(J::Null);
            let p = &body["properties"];
            let subnets: Vec<J> = p["subnets"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| json!({"name": s["name"], "cidr": s["properties"]["addressPrefix"]}))
                .collect();
            let peerings: Vec<J> = p["virtualNetworkPeerings"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| {
                    json!({
                        "name": s["name"],
                        "remote_vnet_id": s["properties"]["remoteVirtualNetwork"]["id"],
                        "peering_state": s["properties"]["peeringState"],
                        "peering_sync_level": s["properties"]["peeringSyncLevel"],
                    })
                })
                .collect();
            vnets.push(json!({
                "id": body["id"],
                "stack": owner,
                "location": body["location"],
                "address_space": p["addressSpace"]["addressPrefixes"],
                "dns_servers": p["dhcpOptions"]["dnsServers"],
                "subnets": subnets,
                "peerings": peerings,
            }));
        }
        vnets.sort_by_key(|v| v["id"].as_str().unwrap_or("").to_ascii_lowercase());
        Ok(json!({ "virtual_networks": vnets }))
    }
}
