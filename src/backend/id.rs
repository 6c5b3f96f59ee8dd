//! Typed resource IDs in Azure's format. They parse case-insensitively (as
//! Azure compares segment names) and print canonically, so that an ID read
//! back from a user or a state file round-trips.

use std::fmt;
use std::str::FromStr;

/// Why a string is not an ID of the expected type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parsing {expected} ID `{id}`: {reason}")]
pub struct IdError {
    pub expected: &'static str,
    pub id: String,
    pub reason: String,
}

fn err(expected: &'static str, id: &str, reason: impl Into<String>) -> IdError {
    IdError {
        expected,
        id: id.to_string(),
        reason: reason.into(),
    }
}

/// Splits `/a/b/c/d` into `[(a, b), (c, d)]`.
fn pairs<'a>(expected: &'static str, id: &'a str) -> Result<Vec<(&'a str, &'a str)>, IdError> {
    let rest = id
        .strip_prefix('/')
        .ok_or_else(|| err(expected, id, "it must start with `/`"))?;
    let parts: Vec<&str> = rest.split('/').collect();
    if parts.len() % 2 != 0 || parts.iter().any(|p| p.is_empty()) {
        return Err(err(expected, id, "expected `/key/value` segments"));
    }
    Ok(parts.chunks(2).map(|c| (c[0], c[1])).collect())
}

fn expect_key<'a>(
    expected: &'static str,
    id: &str,
    seg: Option<&(&'a str, &'a str)>,
    key: &str,
) -> Result<&'a str, IdError> {
    match seg {
        Some((k, v)) if k.eq_ignore_ascii_case(key) => Ok(v),
        Some((k, _)) => Err(err(expected, id, format!("expected segment `{key}`, found `{k}`"))),
        None => Err(err(expected, id, format!("segment `{key}` is missing"))),
    }
}

/// `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}`
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VirtualNetworkId {
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
}

impl VirtualNetworkId {
    const WHAT: &'static str = "Virtual Network";

    pub fn new(subscription_id: &str, resource_group: &str, name: &str) -> Self {
        VirtualNetworkId {
            subscription_id: subscription_id.into(),
            resource_group: resource_group.into(),
            name: name.into(),
        }
    }

    /// Parses the first four pairs; returns the rest for child IDs.
    fn parse_prefix<'a>(
        expected: &'static str,
        id: &'a str,
        segs: &[(&'a str, &'a str)],
    ) -> Result<VirtualNetworkId, IdError> {
        let sub = expect_key(expected, id, segs.first(), "subscriptions")?;
        let rg = expect_key(expected, id, segs.get(1), "resourceGroups")?;
        let provider = expect_key(expected, id, segs.get(2), "providers")?;
        if !provider.eq_ignore_ascii_case("Microsoft.Network") {
            return Err(err(
                expected,
                id,
                format!("expected provider `Microsoft.Network`, found `{provider}`"),
            ));
        }
        let name = expect_key(expected, id, segs.get(3), "virtualNetworks")?;
        Ok(VirtualNetworkId::new(sub, rg, name))
    }

    /// Case-insensitive equality, as Azure compares IDs.
    pub fn same_as(&self, other: &VirtualNetworkId) -> bool {
        self.to_string().eq_ignore_ascii_case(&other.to_string())
    }
}

impl fmt::Display for VirtualNetworkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/{}",
            self.subscription_id, self.resource_group, self.name
        )
    }
}

impl FromStr for VirtualNetworkId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let segs = pairs(Self::WHAT, s)?;
        if segs.len() != 4 {
            return Err(err(Self::WHAT, s, "expected exactly 4 `/key/value` segments"));
        }
        Self::parse_prefix(Self::WHAT, s, &segs)
    }
}

macro_rules! child_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $key:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name {
            pub vnet: VirtualNetworkId,
            pub name: String,
        }

        impl $name {
            const WHAT: &'static str = $what;

            pub fn new(vnet: VirtualNetworkId, name: &str) -> Self {
                $name { vnet, name: name.into() }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}/{}/{}", self.vnet, $key, self.name)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                let segs = pairs(Self::WHAT, s)?;
                if segs.len() != 5 {
                    return Err(err(Self::WHAT, s, "expected exactly 5 `/key/value` segments"));
                }
                let vnet = VirtualNetworkId::parse_prefix(Self::WHAT, s, &segs)?;
                let name = expect_key(Self::WHAT, s, segs.get(4), $key)?;
                Ok($name::new(vnet, name))
            }
        }
    };
}

macro_rules! network_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $key:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name {
            pub subscription_id: String,
            pub resource_group: String,
            pub name: String,
        }

        impl $name {
            const WHAT: &'static str = $what;

            pub fn new(subscription_id: &str, resource_group: &str, name: &str) -> Self {
                $name {
                    subscription_id: subscription_id.into(),
                    resource_group: resource_group.into(),
                    name: name.into(),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/{}/{}",
                    self.subscription_id, self.resource_group, $key, self.name
                )
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                let segs = pairs(Self::WHAT, s)?;
                if segs.len() != 4 {
                    return Err(err(Self::WHAT, s, "expected exactly 4 `/key/value` segments"));
                }
                let sub = expect_key(Self::WHAT, s, segs.first(), "subscriptions")?;
                let rg = expect_key(Self::WHAT, s, segs.get(1), "resourceGroups")?;
                let provider = expect_key(Self::WHAT, s, segs.get(2), "providers")?;
                if !provider.eq_ignore_ascii_case("Microsoft.Network") {
                    return Err(err(
                        Self::WHAT,
                        s,
                        format!("expected provider `Microsoft.Network`, found `{provider}`"),
                    ));
                }
                let name = expect_key(Self::WHAT, s, segs.get(3), $key)?;
                Ok($name::new(sub, rg, name))
            }
        }
    };
}

network_id!(
    /// `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/networkSecurityGroups/{name}`
    NetworkSecurityGroupId,
    "Network Security Group",
    "networkSecurityGroups"
);
network_id!(
    /// `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/routeTables/{name}`
    RouteTableId,
    "Route Table",
    "routeTables"
);

child_id!(
    /// `<vnet id>/subnets/{name}`
    SubnetId,
    "Subnet",
    "subnets"
);
child_id!(
    /// `<vnet id>/virtualNetworkPeerings/{name}`
    PeeringId,
    "Virtual Network Peering",
    "virtualNetworkPeerings"
);

/// The plural resource names a Kubernetes object ID may hold.
pub const K8S_PLURALS: [&str; 3] = ["services", "configmaps", "endpoints"];

/// `<cluster vnet id>/namespaces/{ns}/{plural}/{name}`: a Kubernetes object
/// of the cluster whose network is the VNET.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KubernetesObjectId {
    pub cluster: VirtualNetworkId,
    pub namespace: String,
    /// Lower-case plural: `services`, `configmaps`, `endpoints`.
    pub plural: String,
    pub name: String,
}

impl KubernetesObjectId {
    const WHAT: &'static str = "Kubernetes Object";

    pub fn new(cluster: VirtualNetworkId, namespace: &str, plural: &str, name: &str) -> Self {
        KubernetesObjectId {
            cluster,
            namespace: namespace.into(),
            plural: plural.to_ascii_lowercase(),
            name: name.into(),
        }
    }

    /// The object kind (`Service`, `ConfigMap`, `Endpoints`) of the plural.
    pub fn object_kind(&self) -> &'static str {
        plural_to_kind(&self.plural).unwrap_or("Unknown")
    }
}

/// `services` → `Service`, and so on.
pub fn plural_to_kind(plural: &str) -> Option<&'static str> {
    match plural.to_ascii_lowercase().as_str() {
        "services" => Some("Service"),
        "configmaps" => Some("ConfigMap"),
        "endpoints" => Some("Endpoints"),
        _ => None,
    }
}

impl fmt::Display for KubernetesObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/namespaces/{}/{}/{}",
            self.cluster, self.namespace, self.plural, self.name
        )
    }
}

impl FromStr for KubernetesObjectId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let segs = pairs(Self::WHAT, s)?;
        if segs.len() != 6 {
            return Err(err(Self::WHAT, s, "expected exactly 6 `/key/value` segments"));
        }
        let cluster = VirtualNetworkId::parse_prefix(Self::WHAT, s, &segs)?;
        let ns = expect_key(Self::WHAT, s, segs.get(4), "namespaces")?;
        let (plural, name) = segs[5];
        if plural_to_kind(plural).is_none() {
            return Err(err(
                Self::WHAT,
                s,
                format!("`{plural}` is not one of {}", K8S_PLURALS.join(", ")),
            ));
        }
        Ok(KubernetesObjectId::new(cluster, ns, plural, name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VNET: &str =
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/hub";

    #[test]
    fn ids_round_trip() {
        let v: VirtualNetworkId = VNET.parse().unwrap();
        assert_eq!(v.to_string(), VNET);
        assert_eq!(v.resource_group, "net-rg");
        let s = format!("{VNET}/subnets/GatewaySubnet");
        assert_eq!(s.parse::<SubnetId>().unwrap().to_string(), s);
        let p = format!("{VNET}/virtualNetworkPeerings/hub-to-aks");
        let pid: PeeringId = p.parse().unwrap();
        assert_eq!(pid.name, "hub-to-aks");
        assert_eq!(pid.to_string(), p);
        let k = format!("{VNET}/namespaces/kube-system/configmaps/coredns-custom");
        let kid: KubernetesObjectId = k.parse().unwrap();
        assert_eq!(kid.object_kind(), "ConfigMap");
        assert_eq!(kid.to_string(), k);
    }

    #[test]
    fn segment_names_are_case_insensitive_and_print_canonically() {
        let lower = VNET.to_ascii_lowercase().replace("/hub", "/Hub");
        let v: VirtualNetworkId = lower.parse().unwrap();
        assert_eq!(v.name, "Hub");
        assert!(v
            .to_string()
            .contains("/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/Hub"));
        let p = format!("{lower}/VIRTUALNETWORKPEERINGS/x");
        assert_eq!(
            p.parse::<PeeringId>().unwrap().to_string(),
            format!("{v}/virtualNetworkPeerings/x")
        );
    }

    #[test]
    fn nsg_and_route_table_ids_round_trip_and_refuse_other_types() {
        let n = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/web";
        let id: NetworkSecurityGroupId = n.to_ascii_lowercase().replace("/web", "/Web").parse().unwrap();
        assert_eq!((id.resource_group.as_str(), id.name.as_str()), ("rg", "Web"));
        assert_eq!(n.parse::<NetworkSecurityGroupId>().unwrap().to_string(), n);
        let r = n.replace("networkSecurityGroups", "routeTables");
        assert_eq!(r.parse::<RouteTableId>().unwrap().to_string(), r);
        let e = r.parse::<NetworkSecurityGroupId>().unwrap_err();
        assert!(
            e.to_string()
                .contains("expected segment `networkSecurityGroups`, found `routeTables`"),
            "{e}"
        );
        assert!(VNET.parse::<RouteTableId>().is_err());
        assert!(format!("{n}/securityRules/x")
            .parse::<NetworkSecurityGroupId>()
            .is_err());
    }

    #[test]
    fn bad_ids_say_why() {
        let e = "subscriptions/x".parse::<VirtualNetworkId>().unwrap_err();
        assert!(e.to_string().contains("must start with `/`"), "{e}");
        let e = format!("{VNET}/subnets/a").parse::<PeeringId>().unwrap_err();
        assert!(
            e.to_string()
                .contains("expected segment `virtualNetworkPeerings`, found `subnets`"),
            "{e}"
        );
        let e = VNET
            .replace("Microsoft.Network", "Microsoft.Compute")
            .parse::<VirtualNetworkId>()
            .unwrap_err();
        assert!(e.to_string().contains("Microsoft.Network"), "{e}");
        let e = format!("{VNET}/namespaces/default/pods/x")
            .parse::<KubernetesObjectId>()
            .unwrap_err();
        assert!(e.to_string().contains("`pods` is not one of"), "{e}");
        assert!(format!("{VNET}/subnets/a").parse::<VirtualNetworkId>().is_err());
        assert!(format!("{VNET}/subnets/").parse::<SubnetId>().is_err());
    }
}
