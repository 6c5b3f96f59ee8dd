//! The ARM calls every kind makes, each retried and (for writes) followed
//! to the end of its operation: GET (shared through the context's read
//! scope during a refresh), PUT and DELETE of VNETs, peerings, gateways and
//! public IPs.

use super::backend::AzureBackend;
use super::client::Answer;
use super::error::ArmError;
use super::lro;
use super::retry::retry;
use crate::backend::{OpCtx, PeeringId, VirtualNetworkId};
use azure_core::{Method, Response};
use azure_mgmt_network::models;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// How long a read waits for a VNET whose operations are still running.
const SETTLE_LIMIT: Duration = Duration::from_secs(600);

/// True while the VNET, a subnet or a peering side of it is being changed.
fn unsettled(v: &models::VirtualNetwork) -> bool {
    use models::ProvisioningState as P;
    let busy = |s: Option<&P>| match s {
        Some(P::Updating | P::Deleting) => true,
        Some(P::UnknownValue(s)) => s.eq_ignore_ascii_case("Creating"),
        _ => false,
    };
    let Some(p) = v.properties.as_ref() else { return false };
    busy(p.provisioning_state.as_ref())
        || p.subnets
            .iter()
            .any(|s| busy(s.properties.as_ref().and_then(|sp| sp.provisioning_state.as_ref())))
        || p.virtual_network_peerings
            .iter()
            .any(|s| busy(s.properties.as_ref().and_then(|sp| sp.provisioning_state.as_ref())))
}

impl AzureBackend {
    /// A GET answered from the read scope when the context has one (one GET
    /// per `key` for the whole refresh). `None` when ARM says 404.
    pub(crate) async fn get<T, F, Fut, R>(&self, cx: &OpCtx, key: &str, send: F) -> Result<Option<T>, ArmError>
    where
        T: DeserializeOwned,
        F: Fn() -> Fut,
        Fut: Future<Output = azure_core::Result<R>>,
        R: Into<Response>,
    {
        let fetch = || async {
            match retry(cx, || self.arm.call(cx, send())).await {
                Ok(a) => Ok::<Arc<[u8]>, ArmError>(Arc::from(a.body)),
                Err(e) if e.is_not_found() => Ok(Arc::from(Vec::new())),
                Err(e) => Err(e),
            }
        };
        let bytes = match cx.read_scope() {
            Some(scope) => scope.get_or_fetch(&key.to_ascii_lowercase(), fetch).await?,
            None => fetch().await?,
        };
        if bytes.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| ArmError::Decode(format!("{key}: {e}")))
    }

    /// Forgets what a refresh read of `key` (after writing it).
    pub(crate) fn forget(&self, cx: &OpCtx, key: &str) {
        if let Some(scope) = cx.read_scope() {
            scope.forget(&key.to_ascii_lowercase());
        }
    }

    /// A write (PUT or DELETE) and its operation, as one retried unit: a
    /// write whose operation ends `Failed` with a passing code is sent again.
    pub(crate) async fn write<F, Fut>(&self, cx: &OpCtx, send: F) -> Result<Answer, ArmError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Answer, ArmError>>,
    {
        retry(cx, || async {
            let first = send().await?;
            lro::wait(&self.arm, cx, &first).await?;
            Ok(first)
        })
        .await
    }

    /// A DELETE and its operation; what is already gone is deleted.
    pub(crate) async fn remove<F, Fut>(&self, cx: &OpCtx, send: F) -> Result<(), ArmError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Answer, ArmError>>,
    {
        match self.write(cx, send).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The VNET, or `None`, once it is settled: while an operation on it
    /// or on one of its subnets or peerings is still running (one that an
    /// interrupted apply left behind), what it reads is not yet what it
    /// will be, so the read waits for it (up to [`SETTLE_LIMIT`], then
    /// answers what it sees).
    pub(crate) async fn get_vnet(
        &self,
        cx: &OpCtx,
        id: &VirtualNetworkId,
    ) -> Result<Option<models::VirtualNetwork>, ArmError> {
        let c = self.arm.network.virtual_networks_client();
        let key = id.to_string();
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(250);
        loop {
            let v: Option<models::VirtualNetwork> = self
                .get(cx, &key, || {
                    c.get(&id.resource_group, &id.name, &id.subscription_id).send()
                })
                .await?;
            match &v {
                Some(vnet) if unsettled(vnet) && started.elapsed() < SETTLE_LIMIT => {
                    self.forget(cx, &key);
                    cx.wait(pause, crate::backend::Op::Retrieving, "Virtual Network", &key)
                        .await
                        .map_err(|e| ArmError::from_context(&e))?;
                    pause = (pause * 2).min(Duration::from_secs(8));
                }
                _ => return Ok(v),
            }
        }
    }

    /// PUTs a VNET body (JSON: the typed model drops an empty DNS server
    /// list, which must be sent to clear it) and waits for it.
    pub(crate) async fn put_vnet(
        &self,
        cx: &OpCtx,
        id: &VirtualNetworkId,
        body: &serde_json::Value,
    ) -> Result<(), ArmError> {
        let url = self.arm.url(&id.to_string(), super::client::NETWORK_API)?;
        self.write(cx, || self.arm.raw(cx, Method::Put, url.clone(), Some(body)))
            .await?;
        self.forget(cx, &id.to_string());
        Ok(())
    }

    pub(crate) async fn delete_vnet(&self, cx: &OpCtx, id: &VirtualNetworkId) -> Result<(), ArmError> {
        let c = self.arm.network.virtual_networks_client();
        self.remove(cx, || {
            self.arm
                .call(cx, c.delete(&id.resource_group, &id.name, &id.subscription_id).send())
        })
        .await?;
        self.forget(cx, &id.to_string());
        Ok(())
    }

    /// PUTs one peering side (with `syncRemoteAddressSpace=true` to re-sync
    /// it after an address-space change) and waits for it.
    pub(crate) async fn put_peering(
        &self,
        cx: &OpCtx,
        id: &PeeringId,
        body: &models::VirtualNetworkPeering,
        sync: bool,
    ) -> Result<(), ArmError> {
        let c = self.arm.network.virtual_network_peerings_client();
        let v = &id.vnet;
        self.write(cx, || {
            let mut b = c.create_or_update(&v.resource_group, &v.name, &id.name, body.clone(), &v.subscription_id);
            if sync {
                b = b.sync_remote_address_space("true");
            }
            self.arm.call(cx, b.send())
        })
        .await?;
        self.forget(cx, &v.to_string());
        Ok(())
    }

    pub(crate) async fn delete_peering(&self, cx: &OpCtx, id: &PeeringId) -> Result<(), ArmError> {
        let c = self.arm.network.virtual_network_peerings_client();
        let v = &id.vnet;
        self.remove(cx, || {
            self.arm.call(
                cx,
                c.delete(&v.resource_group, &v.name, &id.name, &v.subscription_id)
                    .send(),
            )
        })
        .await?;
        self.forget(cx, &v.to_string());
        Ok(())
    }
}
