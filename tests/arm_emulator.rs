//! The ARM emulator answers like ARM: driven by the real
//! `azure_identity::ClientSecretCredential` and `azure_mgmt_network`
//! client, and by raw HTTP for status codes and headers.
#![cfg(feature = "azure")]

#[path = "arm/mod.rs"]
mod arm;

use arm::{ArmEmulator, Fault, Options};
use azure_mgmt_network::models;
use futures::StreamExt;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const API: &str = "api-version=2024-03-01";
const RG: &str = "rg-net";

/// Raw HTTP against the emulator with a bearer token.
struct Raw {
    http: reqwest::Client,
    base: String,
    token: String,
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
    }

    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

async fn fetch_token(emu: &ArmEmulator, secret: &str) -> reqwest::Response {
    let o = emu.options();
    reqwest::Client::new()
        .post(format!("{}{}/oauth2/v2.0/token", emu.authority_host(), o.tenant_id))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", o.client_id.as_str()),
            ("client_secret", secret),
            ("scope", &format!("{}.default", emu.endpoint())),
        ])
        .send()
        .await
        .unwrap()
}

impl Raw {
    async fn new(emu: &ArmEmulator) -> Raw {
        let body: Value = fetch_token(emu, &emu.options().client_secret)
            .await
            .json()
            .await
            .unwrap();
        Raw {
            http: reqwest::Client::new(),
            base: emu.endpoint(),
            token: body["access_token"].as_str().unwrap().to_string(),
        }
    }

    /// `path` is an ARM ID (or any path), without the api-version.
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}{sep}{API}", self.base.trim_end_matches('/'), path)
        };
        self.send(method, &url, body).await.unwrap()
    }

    async fn send(&self, method: &str, url: &str, body: Option<Value>) -> reqwest::Result<Answer> {
        let mut rb = self.http.request(method.parse().unwrap(), url).bearer_auth(&self.token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let rsp = rb.send().await?;
        let status = rsp.status().as_u16();
        let headers = rsp.headers().clone();
        let text = rsp.text().await?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        Ok(Answer { status, headers, body })
    }

    /// Polls an operation URL until it is no longer `InProgress`.
    async fn wait(&self, url: &str) -> Answer {
        for _ in 0..100 {
            let a = self.call("GET", url, None).await;
            if a.body["status"] != "InProgress" {
                return a;
            }
        }
        panic!("operation {url} never ended");
    }
}

fn emulator() -> ArmEmulator {
    let emu = ArmEmulator::start(Options::default());
    emu.create_resource_group(RG, "westeurope");
    emu
}

fn vnet_body(space: &[&str], subnets: &[(&str, &str)]) -> Value {
    json!({
        "location": "westeurope",
        "tags": {"hybridk8s-managed-by": "hybridk8s", "hybridk8s-stack": "test"},
        "properties": {
            "addressSpace": {"addressPrefixes": space},
            "subnets": subnets.iter().map(|(n, p)| json!({"name": n, "properties": {"addressPrefix": p}})).collect::<Vec<_>>(),
        }
    })
}

fn peering_body(remote: &str, transit: bool, use_remote: bool) -> Value {
    json!({"properties": {
        "remoteVirtualNetwork": {"id": remote},
        "allowVirtualNetworkAccess": true,
        "allowForwardedTraffic": true,
        "allowGatewayTransit": transit,
        "useRemoteGateways": use_remote,
    }})
}

/// A hub with a GatewaySubnet, a public IP and a VPN gateway, out of band.
fn hub_with_gateway(emu: &ArmEmulator, name: &str, space: &str, gw_subnet: &str) -> String {
    let hub = emu.vnet_id(RG, name);
    emu.put(&hub, vnet_body(&[space], &[("GatewaySubnet", gw_subnet)]));
    let pip = format!(
        "/subscriptions/{}/resourceGroups/{RG}/providers/Microsoft.Network/publicIPAddresses/{name}-pip",
        emu.subscription_id()
    );
    emu.put(
        &pip,
        json!({"location": "westeurope", "sku": {"name": "Standard"}, "properties": {"publicIPAllocationMethod": "Static"}}),
    );
    emu.put(
        &gateway_id(emu, name),
        json!({"location": "westeurope", "properties": {
            "gatewayType": "Vpn", "vpnType": "RouteBased", "sku": {"name": "VpnGw1", "tier": "VpnGw1"},
            "ipConfigurations": [{"name": "default", "properties": {
                "subnet": {"id": format!("{hub}/subnets/GatewaySubnet")},
                "publicIPAddress": {"id": pip}}}]}}),
    );
    hub
}

fn gateway_id(emu: &ArmEmulator, hub: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{RG}/providers/Microsoft.Network/virtualNetworkGateways/{hub}-gw",
        emu.subscription_id()
    )
}

fn network_client(emu: &ArmEmulator) -> azure_mgmt_network::Client {
    let o = emu.options();
    let cred = azure_identity::ClientSecretCredential::new(
        azure_core::new_http_client(),
        azure_core::Url::parse(&emu.authority_host()).unwrap(),
        o.tenant_id.clone(),
        o.client_id.clone(),
        o.client_secret.clone(),
    );
    azure_mgmt_network::Client::builder(Arc::new(cred))
        .endpoint(azure_core::Url::parse(&emu.endpoint()).unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_token_endpoint_issues_tokens_and_arm_wants_one() {
    let emu = emulator();
    let bad = fetch_token(&emu, "not-the-secret").await;
    assert_eq!(bad.status(), 401);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS7000215: Invalid client secret provided"));
    assert_eq!(emu.tokens_issued(), 0);

    let good = fetch_token(&emu, &emu.options().client_secret).await;
    assert_eq!(good.status(), 200);
    let body: Value = good.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(emu.tokens_issued(), 1);

    let url = format!("{}{}?{API}", emu.endpoint().trim_end_matches('/'), emu.vnet_id(RG, "v"));
    let http = reqwest::Client::new();
    let none = http.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["x-ms-error-code"], "AuthenticationFailed");
    let wrong = http.get(&url).bearer_auth("forged").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let wrong: Value = wrong.json().await.unwrap();
    assert_eq!(wrong["error"]["code"], "InvalidAuthenticationToken");

    let raw = Raw::new(&emu).await;
    let no_version = raw
        .send("GET", &url.replace(&format!("?{API}"), ""), None)
        .await
        .unwrap();
    assert_eq!(no_version.status, 400);
    assert_eq!(no_version.code(), "MissingApiVersionParameter");
    let other_sub = raw
        .call(
            "GET",
            "/subscriptions/00000000-1111-4222-8333-444444444444/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
            None,
        )
        .await;
    assert_eq!(other_sub.status, 404);
    assert_eq!(other_sub.code(), "SubscriptionNotFound");
}

#[tokio::test]
async fn a_vnet_put_is_a_long_running_operation() {
    let emu = emulator();
    let raw = Raw::new(&emu).await;
    let id = emu.vnet_id(RG, "spoke");
    let put = raw
        .call(
            "PUT",
            &id,
            Some(vnet_body(&["10.1.0.0/16"], &[("nodes", "10.1.0.0/24")])),
        )
        .await;
    assert_eq!(put.status, 201);
    assert_eq!(put.body["properties"]["provisioningState"], "Updating");
    assert!(put.header("x-ms-request-id").is_some());
    assert_eq!(put.header("Retry-After").as_deref(), Some("0"));
    let op = put.header("Azure-AsyncOperation").unwrap();
    assert!(op.contains("/providers/Microsoft.Network/locations/westeurope/operations/"));
    let parsed: models::VirtualNetwork = serde_json::from_value(put.body.clone()).unwrap();
    let guid = parsed.properties.unwrap().resource_guid.unwrap();

    let first = raw.call("GET", &op, None).await;
    assert_eq!(first.body["status"], "InProgress");
    let last = raw.wait(&op).await;
    assert_eq!(last.body["status"], "Succeeded");
    assert!(last.body["endTime"].is_string());

    let got = raw.call("GET", &id, None).await;
    assert_eq!(got.status, 200);
    let vnet: models::VirtualNetwork = serde_json::from_value(got.body.clone()).unwrap();
    let props = vnet.properties.unwrap();
    assert_eq!(props.provisioning_state, Some(models::ProvisioningState::Succeeded));
    assert_eq!(props.subnets.len(), 1);
    assert_eq!(
        props.subnets[0].sub_resource.id.as_deref(),
        Some(format!("{id}/subnets/nodes").as_str())
    );

    // An update answers 200 and keeps the resourceGuid; the DNS servers clear.
    let mut body = vnet_body(&["10.1.0.0/16"], &[("nodes", "10.1.0.0/24")]);
    body["properties"]["dhcpOptions"] = json!({"dnsServers": ["10.0.0.4"]});
    let upd = raw.call("PUT", &id, Some(body)).await;
    assert_eq!(upd.status, 200);
    assert_eq!(upd.body["properties"]["resourceGuid"], guid.as_str());
    assert_ne!(upd.body["etag"], got.body["etag"]);
    raw.wait(&upd.header("Azure-AsyncOperation").unwrap()).await;
    let cleared = raw
        .call(
            "PUT",
            &id,
            Some(vnet_body(&["10.1.0.0/16"], &[("nodes", "10.1.0.0/24")])),
        )
        .await;
    assert_eq!(cleared.body["properties"]["dhcpOptions"]["dnsServers"], json!([]));
    raw.wait(&cleared.header("Azure-AsyncOperation").unwrap()).await;

    // DELETE: 202 + Location, 202 while it runs, then 204; the VNET is gone.
    let del = raw.call("DELETE", &id, None).await;
    assert_eq!(del.status, 202);
    let location = del.header("Location").unwrap();
    assert!(location.contains("/operationResults/"));
    assert!(del.header("Azure-AsyncOperation").is_some());
    let during = raw.call("GET", &id, None).await;
    assert_eq!(during.body["properties"]["provisioningState"], "Deleting");
    assert_eq!(raw.call("GET", &location, None).await.status, 202);
    assert_eq!(raw.call("GET", &location, None).await.status, 204);
    let gone = raw.call("GET", &id, None).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.code(), "ResourceNotFound");
    assert_eq!(gone.header("x-ms-error-code").as_deref(), Some("ResourceNotFound"));
    assert!(gone.body["error"]["message"].as_str().unwrap().starts_with(
        "The Resource 'Microsoft.Network/virtualNetworks/spoke' under resource group 'rg-net' was not found"
    ));
    assert_eq!(raw.call("DELETE", &id, None).await.status, 204);
}

#[tokio::test]
async fn the_real_client_creates_reads_and_lists_with_next_links() {
    let emu = ArmEmulator::start(Options {
        page_size: 2,
        ..Options::default()
    });
    emu.create_resource_group(RG, "westeurope");
    let client = network_client(&emu);
    let sub = emu.subscription_id().to_string();
    let vnets = client.virtual_networks_client();
    for i in 0..5 {
        let body: models::VirtualNetwork = serde_json::from_value(vnet_body(
            &[&format!("10.{i}.0.0/16")],
            &[("nodes", &format!("10.{i}.0.0/24"))],
        ))
        .unwrap();
        let made = vnets.create_or_update(RG, format!("v{i}"), body, &sub).await.unwrap();
        assert_eq!(
            made.properties.unwrap().provisioning_state,
            Some(models::ProvisioningState::Succeeded)
        );
    }
    let got = vnets.get(RG, "v3", &sub).await.unwrap();
    assert_eq!(got.resource.name.as_deref(), Some("v3"));
    let mut pages = vnets.list(RG, &sub).into_stream();
    let mut names = Vec::new();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        count += 1;
        names.extend(page.unwrap().value.into_iter().filter_map(|v| v.resource.name));
    }
    assert_eq!(count, 3);
    assert_eq!(names, ["v0", "v1", "v2", "v3", "v4"]);
    let all: usize = {
        let mut s = vnets.list_all(&sub).into_stream();
        let mut n = 0;
        while let Some(p) = s.next().await {
            n += p.unwrap().value.len();
        }
        n
    };
    assert_eq!(all, 5);
    let subnets = client.subnets_client();
    let s: models::Subnet = serde_json::from_value(json!({"properties": {"addressPrefix": "10.3.1.0/24"}})).unwrap();
    subnets.create_or_update(RG, "v3", "extra", s, &sub).await.unwrap();
    let got = subnets.get(RG, "v3", "extra", &sub).await.unwrap();
    assert_eq!(got.properties.unwrap().address_prefix.as_deref(), Some("10.3.1.0/24"));
    // One token for the whole run.
    assert_eq!(emu.tokens_issued(), 1);
}

#[tokio::test]
async fn subnet_and_address_space_refusals() {
    let emu = emulator();
    let raw = Raw::new(&emu).await;
    let id = emu.vnet_id(RG, "v");
    for (subnets, code) in [
        (vec![("a", "10.9.0.0/24")], "NetcfgInvalidSubnet"),
        (
            vec![("a", "10.1.0.0/24"), ("b", "10.1.0.128/25")],
            "NetcfgInvalidSubnet",
        ),
        (vec![("a", "10.1.0.0/30")], "NetcfgInvalidSubnet"),
        (vec![("a", "10.1.0.1/24")], "NetcfgInvalidSubnet"),
    ] {
        let a = raw.call("PUT", &id, Some(vnet_body(&["10.1.0.0/16"], &subnets))).await;
        assert_eq!((a.status, a.code()), (400, code), "{subnets:?}: {}", a.body);
    }
    let bad = raw.call("PUT", &id, Some(vnet_body(&["10.1.0.0/33"], &[]))).await;
    assert_eq!(bad.code(), "InvalidAddressPrefixFormat");

    emu.put(
        &id,
        vnet_body(
            &["10.1.0.0/16", "10.2.0.0/16"],
            &[("a", "10.1.0.0/24"), ("b", "10.2.0.0/24")],
        ),
    );
    let outside = raw
        .call(
            "PUT",
            &id,
            Some(vnet_body(
                &["10.1.0.0/16"],
                &[("a", "10.1.0.0/24"), ("b", "10.2.0.0/24")],
            )),
        )
        .await;
    assert_eq!((outside.status, outside.code()), (400, "NetcfgSubnetRangeOutsideVnet"));
    // Omitting a subnet deletes it.
    let fewer = raw
        .call("PUT", &id, Some(vnet_body(&["10.1.0.0/16"], &[("a", "10.1.0.0/24")])))
        .await;
    assert_eq!(fewer.status, 200);
    assert_eq!(fewer.body["properties"]["subnets"].as_array().unwrap().len(), 1);
    raw.wait(&fewer.header("Azure-AsyncOperation").unwrap()).await;
    assert!(emu.get(&format!("{id}/subnets/b")).is_none());
    let missing = raw.call("GET", &format!("{id}/subnets/b"), None).await;
    assert_eq!((missing.status, missing.code()), (404, "NotFound"));

    let sub_put = raw
        .call(
            "PUT",
            &format!("{id}/subnets/c"),
            Some(json!({"properties": {"addressPrefix": "10.1.0.128/25"}})),
        )
        .await;
    assert_eq!((sub_put.status, sub_put.code()), (400, "NetcfgInvalidSubnet"));
    let no_group = raw
        .call("PUT", &emu.vnet_id("nope", "v"), Some(vnet_body(&["10.1.0.0/16"], &[])))
        .await;
    assert_eq!((no_group.status, no_group.code()), (404, "ResourceGroupNotFound"));
}

#[tokio::test]
async fn writes_to_a_vnet_with_a_running_operation_conflict() {
    let emu = ArmEmulator::start(Options {
        op_polls: 3,
        op_max_age: Duration::from_secs(3600),
        ..Options::default()
    });
    emu.create_resource_group(RG, "westeurope");
    let raw = Raw::new(&emu).await;
    let id = emu.vnet_id(RG, "v");
    let put = raw.call("PUT", &id, Some(vnet_body(&["10.1.0.0/16"], &[]))).await;
    let op = put.header("Azure-AsyncOperation").unwrap();
    let subnet = format!("{id}/subnets/s");
    let body = json!({"properties": {"addressPrefix": "10.1.0.0/24"}});
    let busy = raw.call("PUT", &subnet, Some(body.clone())).await;
    assert_eq!((busy.status, busy.code()), (409, "AnotherOperationInProgress"));
    assert!(busy.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&op[..op.find('?').unwrap()]));
    assert_eq!(raw.call("DELETE", &id, None).await.status, 409);
    assert_eq!(raw.wait(&op).await.body["status"], "Succeeded");
    let ok = raw.call("PUT", &subnet, Some(body)).await;
    assert_eq!(ok.status, 201);
    assert_eq!(emu.running_operations(), 1);
}

#[tokio::test]
async fn peerings_go_initiated_connected_disconnected() {
    let emu = emulator();
    let raw = Raw::new(&emu).await;
    let (a, b) = (emu.vnet_id(RG, "a"), emu.vnet_id(RG, "b"));
    emu.put(&a, vnet_body(&["10.1.0.0/16"], &[]));
    emu.put(&b, vnet_body(&["10.2.0.0/16"], &[]));
    let ab = format!("{a}/virtualNetworkPeerings/a-to-b");
    let ba = format!("{b}/virtualNetworkPeerings/b-to-a");

    let first = raw.call("PUT", &ab, Some(peering_body(&b, false, false))).await;
    assert_eq!(first.status, 201);
    assert_eq!(first.body["properties"]["peeringState"], "Initiated");
    raw.wait(&first.header("Azure-AsyncOperation").unwrap()).await;
    let second = raw.call("PUT", &ba, Some(peering_body(&a, false, false))).await;
    assert_eq!(second.body["properties"]["peeringState"], "Connected");
    raw.wait(&second.header("Azure-AsyncOperation").unwrap()).await;
    let seen: models::VirtualNetworkPeering = serde_json::from_value(raw.call("GET", &ab, None).await.body).unwrap();
    let p = seen.properties.unwrap();
    assert_eq!(
        p.peering_state,
        Some(models::virtual_network_peering_properties_format::PeeringState::Connected)
    );
    assert_eq!(
        p.peering_sync_level,
        Some(models::virtual_network_peering_properties_format::PeeringSyncLevel::FullyInSync)
    );
    assert_eq!(p.remote_address_space.unwrap().address_prefixes, ["10.2.0.0/16"]);
    // The VNET GET carries its peerings inline.
    let va = raw.call("GET", &a, None).await;
    assert_eq!(va.body["properties"]["virtualNetworkPeerings"][0]["name"], "a-to-b");

    // An address-space change: out of sync until a sync PUT.
    let grown = raw
        .call("PUT", &b, Some(vnet_body(&["10.2.0.0/16", "10.3.0.0/16"], &[])))
        .await;
    assert_eq!(grown.status, 200);
    raw.wait(&grown.header("Azure-AsyncOperation").unwrap()).await;
    let level = |v: Value| v["properties"]["peeringSyncLevel"].as_str().unwrap().to_string();
    assert_eq!(level(raw.call("GET", &ab, None).await.body), "LocalNotInSync");
    assert_eq!(level(raw.call("GET", &ba, None).await.body), "RemoteNotInSync");
    // The peering keeps the VNET PUT from touching it.
    assert_eq!(grown.body["properties"]["virtualNetworkPeerings"][0]["name"], "b-to-a");
    let plain = raw.call("PUT", &ba, Some(peering_body(&a, false, false))).await;
    raw.wait(&plain.header("Azure-AsyncOperation").unwrap()).await;
    assert_eq!(level(raw.call("GET", &ab, None).await.body), "LocalNotInSync");
    let synced = raw
        .call(
            "PUT",
            &format!("{ba}?syncRemoteAddressSpace=true"),
            Some(peering_body(&a, false, false)),
        )
        .await;
    raw.wait(&synced.header("Azure-AsyncOperation").unwrap()).await;
    assert_eq!(level(raw.call("GET", &ab, None).await.body), "FullyInSync");
    assert_eq!(level(raw.call("GET", &ba, None).await.body), "FullyInSync");

    // Refusals on an existing peering pair.
    let overlap = raw
        .call("PUT", &b, Some(vnet_body(&["10.2.0.0/16", "10.1.128.0/17"], &[])))
        .await;
    assert_eq!((overlap.status, overlap.code()), (400, "VnetAddressSpacesOverlap"));
    let twice = raw
        .call(
            "PUT",
            &format!("{a}/virtualNetworkPeerings/again"),
            Some(peering_body(&b, false, false)),
        )
        .await;
    assert_eq!(twice.code(), "AnotherPeeringAlreadyReferencesRemoteVnet");
    let in_use = raw.call("DELETE", &a, None).await;
    assert_eq!((in_use.status, in_use.code()), (400, "InUseVnetCannotBeDeleted"));

    // Deleting one side leaves the other Disconnected; it must be re-created.
    let del = raw.call("DELETE", &ba, None).await;
    assert_eq!(del.status, 202);
    assert_eq!(
        raw.call("GET", &del.header("Location").unwrap(), None).await.status,
        202
    );
    assert_eq!(
        raw.call("GET", &del.header("Location").unwrap(), None).await.status,
        204
    );
    assert_eq!(
        raw.call("GET", &ab, None).await.body["properties"]["peeringState"],
        "Disconnected"
    );
    let again = raw.call("PUT", &ba, Some(peering_body(&a, false, false))).await;
    assert_eq!((again.status, again.code()), (400, "RemotePeeringIsDisconnected"));
    emu.delete(&ab);
    let fresh = raw.call("PUT", &ab, Some(peering_body(&b, false, false))).await;
    assert_eq!(fresh.body["properties"]["peeringState"], "Initiated");

    let c = emu.vnet_id(RG, "c");
    emu.put(&c, vnet_body(&["10.1.0.0/24"], &[]));
    let clash = raw
        .call(
            "PUT",
            &format!("{c}/virtualNetworkPeerings/c-to-a"),
            Some(peering_body(&a, false, false)),
        )
        .await;
    assert_eq!(clash.code(), "VnetAddressSpacesOverlap");
    let ghost = raw
        .call(
            "PUT",
            &format!("{c}/virtualNetworkPeerings/c-to-x"),
            Some(peering_body(&emu.vnet_id(RG, "x"), false, false)),
        )
        .await;
    assert_eq!((ghost.status, ghost.code()), (400, "ResourceNotFound"));
}

#[tokio::test]
async fn gateways_and_gateway_transit() {
    let emu = emulator();
    let raw = Raw::new(&emu).await;
    let sub = emu.subscription_id().to_string();
    // A gateway outside a GatewaySubnet.
    let plain = emu.vnet_id(RG, "plain");
    emu.put(&plain, vnet_body(&["10.50.0.0/16"], &[("nodes", "10.50.0.0/24")]));
    let pip = format!("/subscriptions/{sub}/resourceGroups/{RG}/providers/Microsoft.Network/publicIPAddresses/p");
    emu.put(&pip, json!({"location": "westeurope", "sku": {"name": "Standard"}}));
    let no_subnet = raw
        .call(
            "PUT",
            &gateway_id(&emu, "plain"),
            Some(json!({"location": "westeurope", "properties": {"gatewayType": "Vpn",
                "ipConfigurations": [{"name": "default", "properties": {
                    "subnet": {"id": format!("{plain}/subnets/nodes")}, "publicIPAddress": {"id": pip}}}]}})),
        )
        .await;
    assert_eq!((no_subnet.status, no_subnet.code()), (400, "GatewaySubnetMissing"));

    let hub = hub_with_gateway(&emu, "hub", "10.0.0.0/22", "10.0.0.0/27");
    let gw = raw.call("GET", &gateway_id(&emu, "hub"), None).await;
    let parsed: models::VirtualNetworkGateway = serde_json::from_value(gw.body.clone()).unwrap();
    assert_eq!(
        parsed.properties.gateway_type,
        Some(models::virtual_network_gateway_properties_format::GatewayType::Vpn)
    );
    let gs = raw.call("GET", &format!("{hub}/subnets/GatewaySubnet"), None).await;
    assert_eq!(
        gs.body["properties"]["ipConfigurations"][0]["id"],
        format!("{}/ipConfigurations/default", gateway_id(&emu, "hub"))
    );
    let pip_body = raw
        .call(
            "GET",
            &format!("/subscriptions/{sub}/resourceGroups/{RG}/providers/Microsoft.Network/publicIPAddresses/hub-pip"),
            None,
        )
        .await;
    let _: models::PublicIpAddress = serde_json::from_value(pip_body.body.clone()).unwrap();
    assert_eq!(pip_body.body["properties"]["publicIPAllocationMethod"], "Static");

    let spoke = emu.vnet_id(RG, "spoke");
    let other = emu.vnet_id(RG, "other");
    emu.put(&spoke, vnet_body(&["10.1.0.0/16"], &[]));
    emu.put(&other, vnet_body(&["10.60.0.0/16"], &[]));
    let spoke_side = format!("{spoke}/virtualNetworkPeerings/spoke-to-hub");
    let hub_side = format!("{hub}/virtualNetworkPeerings/hub-to-spoke");
    let no_gw = raw
        .call(
            "PUT",
            &format!("{spoke}/virtualNetworkPeerings/spoke-to-other"),
            Some(peering_body(&other, false, true)),
        )
        .await;
    assert_eq!(no_gw.code(), "RemoteVnetHasNoGateways");
    let early = raw
        .call("PUT", &spoke_side, Some(peering_body(&hub, false, true)))
        .await;
    assert_eq!(early.code(), "RemotePeeringDoesNotExist");
    emu.put(&hub_side, peering_body(&spoke, false, false));
    let no_transit = raw
        .call("PUT", &spoke_side, Some(peering_body(&hub, false, true)))
        .await;
    assert_eq!(no_transit.code(), "RemotePeeringDoesNotAllowGatewayTransit");
    assert!(no_transit.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("AllowGatewayTransit flag set to false"));
    emu.put(&hub_side, peering_body(&spoke, true, false));
    let ok = raw
        .call("PUT", &spoke_side, Some(peering_body(&hub, false, true)))
        .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.body["properties"]["peeringState"], "Connected");
    raw.wait(&ok.header("Azure-AsyncOperation").unwrap()).await;

    let hub2 = hub_with_gateway(&emu, "hub2", "10.70.0.0/22", "10.70.0.0/27");
    emu.put(
        &format!("{hub2}/virtualNetworkPeerings/hub2-to-spoke"),
        peering_body(&spoke, true, false),
    );
    let second = raw
        .call(
            "PUT",
            &format!("{spoke}/virtualNetworkPeerings/spoke-to-hub2"),
            Some(peering_body(&hub2, false, true)),
        )
        .await;
    assert_eq!(second.code(), "UseRemoteGatewaysAlreadySet");

    let in_use = raw.call("DELETE", &gateway_id(&emu, "hub"), None).await;
    assert_eq!((in_use.status, in_use.code()), (400, "InUseGatewayCannotBeDeleted"));
    let drop_gw_subnet = raw.call("PUT", &hub, Some(vnet_body(&["10.0.0.0/22"], &[]))).await;
    assert_eq!(
        (drop_gw_subnet.status, drop_gw_subnet.code()),
        (400, "InUseSubnetCannotBeDeleted")
    );
    let pip_in_use = emu.try_delete(&format!(
        "/subscriptions/{sub}/resourceGroups/{RG}/providers/Microsoft.Network/publicIPAddresses/hub-pip"
    ));
    assert_eq!(pip_in_use.unwrap_err().0, 400);

    // Once no peering uses it, the gateway goes (a long-running delete).
    emu.delete(&spoke_side);
    let del = raw.call("DELETE", &gateway_id(&emu, "hub"), None).await;
    assert_eq!(del.status, 202);
    let op = raw.wait(&del.header("Azure-AsyncOperation").unwrap()).await;
    assert_eq!(op.body["status"], "Succeeded");
    assert_eq!(raw.call("GET", &gateway_id(&emu, "hub"), None).await.status, 404);
}

#[tokio::test]
async fn the_real_client_peers_and_syncs() {
    let emu = emulator();
    let client = network_client(&emu);
    let sub = emu.subscription_id().to_string();
    let (a, b) = (emu.vnet_id(RG, "a"), emu.vnet_id(RG, "b"));
    emu.put(&a, vnet_body(&["10.1.0.0/16"], &[]));
    emu.put(&b, vnet_body(&["10.2.0.0/16"], &[]));
    let peerings = client.virtual_network_peerings_client();
    let body = |remote: &str| -> models::VirtualNetworkPeering {
        serde_json::from_value(peering_body(remote, false, false)).unwrap()
    };
    peerings
        .create_or_update(RG, "a", "a-to-b", body(&b), &sub)
        .await
        .unwrap();
    let ba = peerings
        .create_or_update(RG, "b", "b-to-a", body(&a), &sub)
        .await
        .unwrap();
    assert_eq!(
        ba.properties.unwrap().peering_state,
        Some(models::virtual_network_peering_properties_format::PeeringState::Connected)
    );
    emu.put(&a, vnet_body(&["10.1.0.0/16", "10.5.0.0/16"], &[]));
    peerings
        .create_or_update(RG, "a", "a-to-b", body(&b), &sub)
        .sync_remote_address_space("true")
        .await
        .unwrap();
    let mut list = peerings.list(RG, "b", &sub).into_stream();
    let page = list.next().await.unwrap().unwrap();
    let p = page.value[0].properties.clone().unwrap();
    assert_eq!(
        p.peering_sync_level,
        Some(models::virtual_network_peering_properties_format::PeeringSyncLevel::FullyInSync)
    );
    assert_eq!(
        p.remote_address_space.unwrap().address_prefixes,
        ["10.1.0.0/16", "10.5.0.0/16"]
    );
    // A delete answers 202; the client's own request does not wait for it.
    let rsp = peerings.delete(RG, "b", "b-to-a", &sub).send().await.unwrap();
    assert_eq!(rsp.as_raw_response().status(), azure_core::StatusCode::Accepted);
}

#[tokio::test]
async fn injected_faults_answer_like_arm() {
    let emu = emulator();
    let raw = Raw::new(&emu).await;
    let faults = emu.faults();
    let id = emu.vnet_id(RG, "v");
    emu.put(&id, vnet_body(&["10.1.0.0/16"], &[]));

    faults.fail_next("GET", "/virtualNetworks/v", Fault::Throttle { retry_after_secs: 1 });
    let t = raw.call("GET", &id, None).await;
    assert_eq!((t.status, t.code()), (429, "SubscriptionRequestsThrottled"));
    assert_eq!(t.header("Retry-After").as_deref(), Some("1"));
    faults.fail_next("GET", "/virtualNetworks/v", Fault::ServerError);
    assert_eq!(raw.call("GET", &id, None).await.status, 500);
    faults.fail_next("PUT", "/virtualNetworks/v", Fault::Conflict);
    let c = raw.call("PUT", &id, Some(vnet_body(&["10.1.0.0/16"], &[]))).await;
    assert_eq!((c.status, c.code()), (409, "AnotherOperationInProgress"));
    faults.fail_next("*", "/virtualNetworks/v", Fault::Latency(Duration::from_millis(20)));
    assert_eq!(raw.call("GET", &id, None).await.status, 200);

    // A dropped connection: no answer, and the request was not served.
    let url = format!("{}{}?{API}", emu.endpoint().trim_end_matches('/'), id);
    faults.fail_next("PUT", "/virtualNetworks/v", Fault::Drop);
    let dropped = raw
        .send("PUT", &url, Some(vnet_body(&["10.1.0.0/16", "10.2.0.0/16"], &[])))
        .await;
    assert!(dropped.is_err());
    assert_eq!(
        emu.get(&id).unwrap()["properties"]["addressSpace"]["addressPrefixes"],
        json!(["10.1.0.0/16"])
    );
    // Dropped after serving: no answer, but the change was made.
    faults.fail_next("PUT", "/virtualNetworks/v", Fault::DropAfter);
    let dropped = raw
        .send("PUT", &url, Some(vnet_body(&["10.1.0.0/16", "10.2.0.0/16"], &[])))
        .await;
    assert!(dropped.is_err());
    assert_eq!(
        emu.get(&id).unwrap()["properties"]["addressSpace"]["addressPrefixes"],
        json!(["10.1.0.0/16", "10.2.0.0/16"])
    );
    let statuses: Vec<u16> = emu.requests().iter().rev().take(2).map(|r| r.status).collect();
    assert_eq!(statuses, [0, 0]);
    emu.finish_operations();

    // An operation that ends Failed keeps Azure's code and message.
    faults.fail_operation_next_with("/virtualNetworks/v", "NetcfgInvalidSubnet", "Subnet 'x' is not valid.");
    let put = raw.call("PUT", &id, Some(vnet_body(&["10.1.0.0/16"], &[]))).await;
    assert_eq!(put.status, 200);
    let op = raw.wait(&put.header("Azure-AsyncOperation").unwrap()).await;
    assert_eq!(op.body["status"], "Failed");
    assert_eq!(op.body["error"]["code"], "NetcfgInvalidSubnet");
    assert_eq!(op.body["error"]["message"], "Subnet 'x' is not valid.");
    assert_eq!(
        raw.call("GET", &id, None).await.body["properties"]["provisioningState"],
        "Failed"
    );
    let retried = raw.call("PUT", &id, Some(vnet_body(&["10.1.0.0/16"], &[]))).await;
    assert_eq!(
        raw.wait(&retried.header("Azure-AsyncOperation").unwrap()).await.body["status"],
        "Succeeded"
    );

    // A failing delete through its Location URL.
    faults.fail_operation_next("/virtualNetworks/v");
    let del = raw.call("DELETE", &id, None).await;
    let loc = del.header("Location").unwrap();
    assert_eq!(raw.call("GET", &loc, None).await.status, 202);
    let end = raw.call("GET", &loc, None).await;
    assert_eq!((end.status, end.code()), (500, "InternalServerError"));
    assert!(emu.get(&id).is_some());
    faults.clear();

    // A seeded rate: about that share of calls fails, with every kind.
    faults.fail_rate(0.3, 7);
    let before = faults.injected();
    let mut kinds = std::collections::BTreeSet::new();
    let url_x = format!(
        "{}{}?{API}",
        emu.endpoint().trim_end_matches('/'),
        emu.vnet_id(RG, "vx")
    );
    for _ in 0..200 {
        match raw.send("PUT", &url_x, Some(vnet_body(&["10.1.0.0/16"], &[]))).await {
            Ok(a) => {
                kinds.insert(a.status);
            }
            Err(_) => {
                kinds.insert(0);
            }
        }
        emu.finish_operations();
    }
    let failed = faults.injected() - before;
    assert!((30..=90).contains(&failed), "{failed} of 200 failed");
    assert_eq!(kinds, [0, 200, 201, 409, 429, 500].into_iter().collect());
    // The token endpoint is spared unless asked.
    faults.fail_rate(1.0, 1);
    assert_eq!(fetch_token(&emu, &emu.options().client_secret).await.status(), 200);
    faults.include_token_endpoint(true);
    faults.fail_next("POST", "oauth2", Fault::ServerError);
    assert_eq!(fetch_token(&emu, &emu.options().client_secret).await.status(), 500);
}

#[tokio::test]
async fn state_persists_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("arm.json");
    let opts = Options {
        state_file: Some(file.clone()),
        op_polls: 5,
        op_max_age: Duration::from_secs(3600),
        ..Options::default()
    };
    let emu = ArmEmulator::start(opts.clone());
    emu.create_resource_group(RG, "westeurope");
    let raw = Raw::new(&emu).await;
    let hub = hub_with_gateway(&emu, "hub", "10.0.0.0/22", "10.0.0.0/27");
    let spoke = emu.vnet_id(RG, "spoke");
    let put = raw
        .call(
            "PUT",
            &spoke,
            Some(vnet_body(&["10.1.0.0/16"], &[("nodes", "10.1.0.0/24")])),
        )
        .await;
    assert_eq!(put.body["properties"]["provisioningState"], "Updating");
    emu.put(
        &format!("{hub}/virtualNetworkPeerings/h"),
        peering_body(&spoke, true, false),
    );
    let before = emu.dump();
    drop(emu);

    let emu = ArmEmulator::open(&file, Options::default());
    assert_eq!(emu.subscription_id(), opts.subscription_id);
    let after = emu.dump();
    // The operation in flight ended; nothing else changed.
    let mut expect = before.clone();
    expect["virtualNetworks"][1]["properties"]["provisioningState"] = json!("Succeeded");
    expect["virtualNetworks"][1]["properties"]["subnets"][0]["properties"]["provisioningState"] = json!("Succeeded");
    assert_eq!(expect["virtualNetworks"][1]["name"], "spoke");
    assert_eq!(after, expect);
    // A token issued before the restart still works.
    let raw2 = Raw {
        http: reqwest::Client::new(),
        base: emu.endpoint(),
        token: raw.token.clone(),
    };
    assert_eq!(raw2.call("GET", &spoke, None).await.status, 200);
    assert_eq!(after["resourceGroups"][0]["name"], RG);
    assert_eq!(after["publicIPAddresses"].as_array().unwrap().len(), 1);
    assert_eq!(after["virtualNetworkGateways"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn paths_are_case_insensitive_and_the_log_records_requests() {
    let emu = emulator();
    let raw = Raw::new(&emu).await;
    let id = emu.vnet_id(RG, "v");
    emu.put(&id, vnet_body(&["10.1.0.0/16"], &[]));
    emu.clear_requests();
    let lower = id
        .replace("resourceGroups", "resourcegroups")
        .replace("Microsoft.Network", "microsoft.network");
    let got = raw.call("GET", &lower, None).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["id"], id);
    let log = emu.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str(), log[0].status),
        ("GET", lower.as_str(), 200)
    );
    assert_eq!(log[0].query, API);
    let rg = raw.call("GET", &emu.resource_group_id("RG-NET"), None).await;
    assert_eq!(rg.body["name"], RG);
    let missing = raw.call("GET", &emu.resource_group_id("none"), None).await;
    assert_eq!(missing.code(), "ResourceGroupNotFound");
    // Deleting a group takes what it holds.
    let del = raw.call("DELETE", &emu.resource_group_id(RG), None).await;
    assert_eq!(del.status, 202);
    raw.wait(&del.header("Azure-AsyncOperation").unwrap()).await;
    assert_eq!(emu.dump()["virtualNetworks"], json!([]));
}
