//! Address math over IPv4 prefixes: parsing, reserved ranges, overlap
//! detection by sorting (never all pairs) and interval lookups.

use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

/// Azure reserves five addresses in every subnet.
pub const AZURE_RESERVED_PER_SUBNET: u64 = 5;
/// The smallest subnet Azure accepts.
pub const MIN_SUBNET_PREFIX: u8 = 29;
/// A GatewaySubnet should be this size or larger.
pub const GATEWAY_SUBNET_PREFIX: u8 = 27;

/// Ranges AKS refuses for service, pod and VNET ranges.
pub const FORBIDDEN_RANGES: [&str; 4] = ["169.254.0.0/16", "172.30.0.0/16", "172.31.0.0/16", "192.0.2.0/24"];

/// Parses a canonical IPv4 prefix (`10.40.0.0/16`, host bits zero).
pub fn parse_cidr(s: &str) -> Result<Ipv4Net, String> {
    let net: Ipv4Net = s
        .parse()
        .map_err(|_| format!("`{s}` is not an IPv4 CIDR (expected a.b.c.d/len)"))?;
    if net.network() != net.addr() {
        return Err(format!("`{s}` has host bits set; the prefix is {}", net.trunc()));
    }
    Ok(net)
}

/// Parses an interface-style prefix (`172.17.0.1/16`): host bits allowed.
pub fn parse_iface_cidr(s: &str) -> Result<Ipv4Net, String> {
    s.parse()
        .map_err(|_| format!("`{s}` is not an IPv4 CIDR (expected a.b.c.d/len)"))
}

pub fn parse_ip(s: &str) -> Result<Ipv4Addr, String> {
    s.parse().map_err(|_| format!("`{s}` is not an IPv4 address"))
}

/// Total addresses in a prefix.
pub fn size(net: &Ipv4Net) -> u64 {
    1u64 << (32 - net.prefix_len())
}

/// Usable addresses in an Azure subnet (total minus the five reserved).
pub fn usable(net: &Ipv4Net) -> u64 {
    size(net).saturating_sub(AZURE_RESERVED_PER_SUBNET)
}

/// The longest prefix whose block holds `count` addresses.
pub fn prefix_for(count: u64) -> Option<u8> {
    (0..=32u8).rev().find(|p| (1u64 << (32 - p)) >= count)
}

/// The address `n` places after the network address, when the prefix holds
/// it (checked: prefixes at the top of the address space never wrap).
pub fn nth(net: &Ipv4Net, n: u64) -> Option<Ipv4Addr> {
    let n = u32::try_from(n).ok().filter(|_| n < size(net))?;
    start(net).checked_add(n).map(Ipv4Addr::from)
}

pub fn start(net: &Ipv4Net) -> u32 {
    u32::from(net.network())
}

pub fn end(net: &Ipv4Net) -> u32 {
    u32::from(net.broadcast())
}

pub fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    start(a) <= end(b) && start(b) <= end(a)
}

/// The forbidden range a prefix touches, if any.
pub fn forbidden_overlap(net: &Ipv4Net) -> Option<Ipv4Net> {
    FORBIDDEN_RANGES
        .iter()
        .filter_map(|s| s.parse::<Ipv4Net>().ok())
        .find(|f| overlaps(f, net))
}

/// Finds overlapping pairs among tagged prefixes in O(n log n): sort by
/// start, sweep keeping the prefix that reaches furthest. Every prefix that
/// overlaps an earlier one is reported once, paired with that earlier one.
pub fn find_overlaps<T: Clone>(items: &[(Ipv4Net, T)]) -> Vec<((Ipv4Net, T), (Ipv4Net, T))> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| (start(&items[i].0), std::cmp::Reverse(end(&items[i].0))));
    let mut out = Vec::new();
    let mut reach: Option<usize> = None;
    for i in order {
        if let Some(r) = reach {
            if start(&items[i].0) <= end(&items[r].0) {
                out.push((items[r].clone(), items[i].clone()));
            }
            if end(&items[i].0) > end(&items[r].0) {
                reach = Some(i);
            }
        } else {
            reach = Some(i);
        }
    }
    out
}

/// A sorted set of tagged ranges answering "which range overlaps this one"
/// in O(log n).
#[derive(Debug, Clone)]
pub struct RangeIndex<T> {
    items: Vec<(u32, u32, T)>,
    /// For each position, the index (into `items`) with the largest end so far.
    reach: Vec<usize>,
}

impl<T> Default for RangeIndex<T> {
    fn default() -> Self {
        RangeIndex {
            items: Vec::new(),
            reach: Vec::new(),
        }
    }
}

impl<T> RangeIndex<T> {
    pub fn new(ranges: impl IntoIterator<Item = (Ipv4Net, T)>) -> Self {
        let mut items: Vec<(u32, u32, T)> = ranges.into_iter().map(|(n, t)| (start(&n), end(&n), t)).collect();
        items.sort_by_key(|(s, e, _)| (*s, *e));
        let mut reach = Vec::with_capacity(items.len());
        let mut best = 0usize;
        for (i, it) in items.iter().enumerate() {
            if i == 0 || it.1 > items[best].1 {
                best = i;
            }
            reach.push(best);
        }
        RangeIndex { items, reach }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Some range that overlaps `[s, e]`, preferring one that starts last.
    fn find(&self, s: u32, e: u32) -> Option<&T> {
        // Ranges starting at or before e.
        let n = self.items.partition_point(|it| it.0 <= e);
        if n == 0 {
            return None;
        }
        let r = self.reach[n - 1];
        (self.items[r].1 >= s).then(|| &self.items[r].2)
    }

    pub fn overlapping(&self, net: &Ipv4Net) -> Option<&T> {
        self.find(start(net), end(net))
    }

    pub fn containing_ip(&self, ip: Ipv4Addr) -> Option<&T> {
        let x = u32::from(ip);
        self.find(x, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn usable_subtracts_five() {
        assert_eq!(usable(&n("10.0.0.0/24")), 251);
        assert_eq!(usable(&n("10.40.0.0/22")), 1019);
        assert_eq!(usable(&n("10.0.0.0/29")), 3);
    }

    #[test]
    fn nth_stays_inside_the_prefix() {
        assert_eq!(nth(&n("255.255.255.0/24"), 10), Some(Ipv4Addr::new(255, 255, 255, 10)));
        assert_eq!(nth(&n("255.255.255.248/29"), 10), None);
        assert_eq!(nth(&n("255.255.255.255/32"), 0), Some(Ipv4Addr::BROADCAST));
        assert_eq!(nth(&n("255.255.255.255/32"), 1), None);
        assert_eq!(nth(&n("0.0.0.0/0"), u64::from(u32::MAX)), Some(Ipv4Addr::BROADCAST));
        assert_eq!(nth(&n("0.0.0.0/0"), 1 << 32), None);
    }

    #[test]
    fn prefix_for_rounds_up() {
        assert_eq!(prefix_for(1586), Some(21));
        assert_eq!(prefix_for(2048), Some(21));
        assert_eq!(prefix_for(2049), Some(20));
        assert_eq!(prefix_for(1), Some(32));
    }

    #[test]
    fn canonical_cidrs_only() {
        assert!(parse_cidr("10.40.0.0/16").is_ok());
        let e = parse_cidr("10.40.0.1/16").unwrap_err();
        assert!(e.contains("10.40.0.0/16"), "{e}");
        assert!(parse_cidr("10.40.0.0").is_err());
        assert!(parse_iface_cidr("172.17.0.1/16").is_ok());
    }

    #[test]
    fn overlaps_found_by_sorting() {
        let items = vec![
            (n("10.0.0.0/16"), "a"),
            (n("10.1.0.0/16"), "b"),
            (n("10.0.128.0/24"), "c"),
            (n("192.168.0.0/16"), "d"),
            (n("10.0.0.0/8"), "e"),
        ];
        let found = find_overlaps(&items);
        let mut pairs: Vec<(&str, &str)> = found.iter().map(|(a, b)| (a.1, b.1)).collect();
        pairs.sort();
        // e covers a, b and c; d overlaps nothing.
        assert_eq!(pairs, vec![("e", "a"), ("e", "b"), ("e", "c")]);
        assert!(find_overlaps(&[(n("10.0.0.0/24"), 1), (n("10.0.1.0/24"), 2)]).is_empty());
    }

    #[test]
    fn range_index_finds_any_overlap() {
        let idx = RangeIndex::new([(n("10.0.0.0/8"), "big"), (n("192.168.1.0/24"), "small")]);
        assert_eq!(idx.overlapping(&n("10.200.0.0/16")), Some(&"big"));
        assert_eq!(idx.overlapping(&n("192.168.0.0/16")), Some(&"small"));
        assert_eq!(idx.overlapping(&n("172.16.0.0/12")), None);
        assert_eq!(idx.containing_ip("10.1.8.4".parse().unwrap()), Some(&"big"));
        assert_eq!(idx.containing_ip("11.0.0.1".parse().unwrap()), None);
    }

    #[test]
    fn forbidden_ranges_are_caught() {
        assert_eq!(forbidden_overlap(&n("172.30.0.0/24")), Some(n("172.30.0.0/16")));
        assert_eq!(forbidden_overlap(&n("172.16.0.0/16")), None);
        assert_eq!(forbidden_overlap(&n("169.0.0.0/8")), Some(n("169.254.0.0/16")));
    }
}
