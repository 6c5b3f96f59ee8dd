//! ARM paths as the emulator routes them. Segment names match
//! case-insensitively, as ARM does; names keep the case the client wrote.

/// A top-level Microsoft.Network resource type the emulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetType {
    VirtualNetworks,
    VirtualNetworkGateways,
    PublicIpAddresses,
}

impl NetType {
    pub fn parse(s: &str) -> Option<NetType> {
        match s.to_ascii_lowercase().as_str() {
            "virtualnetworks" => Some(NetType::VirtualNetworks),
            "virtualnetworkgateways" => Some(NetType::VirtualNetworkGateways),
            "publicipaddresses" => Some(NetType::PublicIpAddresses),
            _ => None,
        }
    }

    /// The segment as ARM writes it in IDs.
    pub fn segment(self) -> &'static str {
        match self {
            NetType::VirtualNetworks => "virtualNetworks",
            NetType::VirtualNetworkGateways => "virtualNetworkGateways",
            NetType::PublicIpAddresses => "publicIPAddresses",
        }
    }

    /// The `type` field of the resource.
    pub fn type_name(self) -> &'static str {
        match self {
            NetType::VirtualNetworks => "Microsoft.Network/virtualNetworks",
            NetType::VirtualNetworkGateways => "Microsoft.Network/virtualNetworkGateways",
            NetType::PublicIpAddresses => "Microsoft.Network/publicIPAddresses",
        }
    }
}

/// A child collection of a VNET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Child {
    Subnets,
    Peerings,
}

impl Child {
    pub fn parse(s: &str) -> Option<Child> {
        match s.to_ascii_lowercase().as_str() {
            "subnets" => Some(Child::Subnets),
            "virtualnetworkpeerings" => Some(Child::Peerings),
            _ => None,
        }
    }

    pub fn segment(self) -> &'static str {
        match self {
            Child::Subnets => "subnets",
            Child::Peerings => "virtualNetworkPeerings",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `POST /{tenant}/oauth2/v2.0/token`
    Token { tenant: String },
    /// `/subscriptions/{s}/resourcegroups/{rg}`
    Group { sub: String, rg: String },
    /// A list of a type, in one group or in the whole subscription.
    List {
        sub: String,
        rg: Option<String>,
        ty: NetType,
    },
    Resource {
        sub: String,
        rg: String,
        ty: NetType,
        name: String,
    },
    ChildList {
        sub: String,
        rg: String,
        vnet: String,
        child: Child,
    },
    ChildResource {
        sub: String,
        rg: String,
        vnet: String,
        child: Child,
        name: String,
    },
    /// `…/locations/{loc}/operations/{guid}` (`results = false`) or
    /// `…/operationResults/{guid}` (`results = true`).
    Operation {
        sub: String,
        location: String,
        guid: String,
        results: bool,
    },
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Target {
    pub fn parse(path: &str) -> Option<Target> {
        let segs: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(decode).collect();
        let s: Vec<&str> = segs.iter().map(String::as_str).collect();
        let is = |i: usize, want: &str| s.get(i).is_some_and(|x| x.eq_ignore_ascii_case(want));
        if s.len() == 4 && is(1, "oauth2") && is(2, "v2.0") && is(3, "token") {
            return Some(Target::Token {
                tenant: s[0].to_string(),
            });
        }
        if !is(0, "subscriptions") || s.len() < 3 {
            return None;
        }
        let sub = s[1].to_string();
        if is(2, "resourcegroups") {
            let rg = s.get(3)?.to_string();
            if s.len() == 4 {
                return Some(Target::Group { sub, rg });
            }
            if !(is(4, "providers") && is(5, "microsoft.network")) {
                return None;
            }
            let ty = NetType::parse(s.get(6)?)?;
            return match s.len() {
                7 => Some(Target::List { sub, rg: Some(rg), ty }),
                8 => Some(Target::Resource {
                    sub,
                    rg,
                    ty,
                    name: s[7].to_string(),
                }),
                9 | 10 if ty == NetType::VirtualNetworks => {
                    let child = Child::parse(s[8])?;
                    let vnet = s[7].to_string();
                    if s.len() == 9 {
                        Some(Target::ChildList { sub, rg, vnet, child })
                    } else {
                        Some(Target::ChildResource {
                            sub,
                            rg,
                            vnet,
                            child,
                            name: s[9].to_string(),
                        })
                    }
                }
                _ => None,
            };
        }
        if is(2, "providers") && is(3, "microsoft.network") {
            if s.len() == 5 {
                return Some(Target::List {
                    sub,
                    rg: None,
                    ty: NetType::parse(s[4])?,
                });
            }
            if s.len() == 8 && is(4, "locations") && (is(6, "operations") || is(6, "operationresults")) {
                return Some(Target::Operation {
                    sub,
                    location: s[5].to_string(),
                    guid: s[7].to_string(),
                    results: is(6, "operationresults"),
                });
            }
        }
        None
    }
}

/// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/{type}/{name}`
pub fn resource_id(sub: &str, rg: &str, ty: NetType, name: &str) -> String {
    format!(
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/{}/{name}",
        ty.segment()
    )
}

pub fn child_id(vnet_id: &str, child: Child, name: &str) -> String {
    format!("{vnet_id}/{}/{name}", child.segment())
}

/// The map key of an ARM ID: lower-cased, without a trailing slash.
pub fn key(id: &str) -> String {
    id.trim_end_matches('/').to_ascii_lowercase()
}

/// The VNET ID and subnet name of a subnet ID.
pub fn split_child(id: &str, child: Child) -> Option<(&str, &str)> {
    let lower = id.to_ascii_lowercase();
    let marker = format!("/{}/", child.segment().to_ascii_lowercase());
    let at = lower.rfind(&marker)?;
    Some((&id[..at], &id[at + marker.len()..]))
}

/// A region as ARM normalizes it (`West Europe` → `westeurope`).
pub fn normalize_location(loc: &str) -> String {
    loc.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}
