//! Resource kinds and typed addresses (`cluster_network.aks`,
//! `module.prod.cluster_network.aks`).

use std::fmt;
use std::str::FromStr;

/// Every kind of resource hybridk8s knows. One registry entry per kind lives
/// in `graph::kinds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Onprem,
    Hub,
    ClusterNetwork,
    Peering,
    DnsUpstream,
    ExternalService,
    LbService,
    NetworkSecurityGroup,
    RouteTable,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Onprem,
        Kind::Hub,
        Kind::ClusterNetwork,
        Kind::Peering,
        Kind::DnsUpstream,
        Kind::ExternalService,
        Kind::LbService,
        Kind::NetworkSecurityGroup,
        Kind::RouteTable,
    ];

    /// The keyword in the DSL and the first part of an address.
    pub fn keyword(self) -> &'static str {
        match self {
            Kind::Onprem => "onprem",
            Kind::Hub => "hub",
            Kind::ClusterNetwork => "cluster_network",
            Kind::Peering => "peering",
            Kind::DnsUpstream => "dns_upstream",
            Kind::ExternalService => "external_service",
            Kind::LbService => "lb_service",
            Kind::NetworkSecurityGroup => "network_security_group",
            Kind::RouteTable => "route_table",
        }
    }

    /// The Terraform type name (resource or data source).
    pub fn terraform_type(self) -> &'static str {
        match self {
            Kind::Onprem => "hybridk8s_onprem_network",
            Kind::Hub => "hybridk8s_hub_network",
            Kind::ClusterNetwork => "hybridk8s_cluster_network",
            Kind::Peering => "hybridk8s_peering",
            Kind::DnsUpstream => "hybridk8s_dns_upstream",
            Kind::ExternalService => "hybridk8s_external_service",
            Kind::LbService => "hybridk8s_lb_service",
            Kind::NetworkSecurityGroup => "hybridk8s_network_security_group",
            Kind::RouteTable => "hybridk8s_route_table",
        }
    }

    /// Kinds with no cloud object of their own (Terraform data source only).
    pub fn is_declaration_only(self) -> bool {
        matches!(self, Kind::Onprem)
    }

    pub fn from_terraform_type(t: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.terraform_type() == t)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.keyword() == s)
            .ok_or_else(|| format!("unknown resource kind `{s}`"))
    }
}

/// A resource address: optional module path, kind and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    pub module: Vec<String>,
    pub kind: Kind,
    pub name: String,
}

impl Address {
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        Address {
            module: Vec::new(),
            kind,
            name: name.into(),
        }
    }

    pub fn in_module(mut self, module: &[String]) -> Self {
        self.module = module.to_vec();
        self
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.module {
            write!(f, "module.{m}.")?;
        }
        write!(f, "{}.{}", self.kind, self.name)
    }
}

impl FromStr for Address {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('.').collect();
        let mut module = Vec::new();
        let mut i = 0;
        while i + 1 < parts.len() && parts[i] == "module" {
            module.push(parts[i + 1].to_string());
            i += 2;
        }
        if parts.len() != i + 2 || parts[i + 1].is_empty() {
            return Err(format!(
                "`{s}` is not an address (expected KIND.NAME or module.M.KIND.NAME)"
            ));
        }
        let kind: Kind = parts[i].parse()?;
        Ok(Address {
            module,
            kind,
            name: parts[i + 1].to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        for s in [
            "hub.hub",
            "module.prod.cluster_network.aks",
            "module.a.module.b.peering.p",
        ] {
            let a: Address = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
        assert!("cluster.aks".parse::<Address>().is_err());
        assert!("hub".parse::<Address>().is_err());
    }
}
