//! A cluster VNET's DNS servers as a `coredns_aks` dns_upstream sets them,
//! the same for every backend: the VNET carries the servers the upstream
//! set ([`UPSTREAM_DNS_TAG`]) and its own ([`OWN_DNS_TAG`]), both
//! comma-separated; while they are there the live DNS servers are the
//! upstream's, and the cluster network's are the recorded own list.

use crate::backend::owner::{OWN_DNS_TAG, UPSTREAM_DNS_TAG};
use std::collections::BTreeMap;

type Tags = BTreeMap<String, String>;

/// A comma-separated tag value as a list.
pub fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The DNS servers a dns_upstream set on the VNET, if one did.
pub fn upstream(tags: &Tags) -> Option<Vec<String>> {
    tags.get(UPSTREAM_DNS_TAG).map(|s| list(s))
}

/// The VNET's own DNS servers (what `cluster_network` reads), not the ones
/// a dns_upstream set over them.
pub fn own(dns: &[String], tags: &Tags) -> Vec<String> {
    match (tags.contains_key(UPSTREAM_DNS_TAG), tags.get(OWN_DNS_TAG)) {
        (true, own) => own.map(|o| list(o)).unwrap_or_default(),
        (false, _) => dns.to_vec(),
    }
}

/// Sets the servers a dns_upstream wants, recording the VNET's own the
/// first time; no servers puts the own ones back.
pub fn set_upstream(dns: &mut Vec<String>, tags: &mut Tags, servers: &[String]) {
    if servers.is_empty() {
        return restore_own(dns, tags);
    }
    if !tags.contains_key(UPSTREAM_DNS_TAG) {
        tags.insert(OWN_DNS_TAG.into(), dns.join(","));
    }
    tags.insert(UPSTREAM_DNS_TAG.into(), servers.join(","));
    *dns = servers.to_vec();
}

/// Puts back the DNS servers the VNET had before a dns_upstream set its own.
pub fn restore_own(dns: &mut Vec<String>, tags: &mut Tags) {
    if tags.contains_key(UPSTREAM_DNS_TAG) {
        *dns = own(dns, tags);
        tags.remove(UPSTREAM_DNS_TAG);
        tags.remove(OWN_DNS_TAG);
    }
}

/// A change of the network's own DNS servers (`dns`, the new list) while
/// a dns_upstream's are in force (`old_*`, the VNET before): the new own
/// list is recorded, to be put back later; the upstream's stay.
pub fn keep_upstream(dns: &mut Vec<String>, tags: &mut Tags, old_dns: &[String], old_tags: &Tags) {
    if let Some(up) = upstream(old_tags) {
        tags.insert(OWN_DNS_TAG.into(), dns.join(","));
        tags.insert(UPSTREAM_DNS_TAG.into(), up.join(","));
        *dns = old_dns.to_vec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn set_then_restore_gives_the_own_list_back() {
        let (mut dns, mut tags) = (s(&["10.9.0.4"]), Tags::new());
        set_upstream(&mut dns, &mut tags, &s(&["10.1.0.4", "10.1.0.5"]));
        assert_eq!(dns, s(&["10.1.0.4", "10.1.0.5"]));
        assert_eq!(own(&dns, &tags), s(&["10.9.0.4"]));
        restore_own(&mut dns, &mut tags);
        assert_eq!((dns, tags), (s(&["10.9.0.4"]), Tags::new()));
        assert_eq!(list(""), Vec::<String>::new());
    }
}
