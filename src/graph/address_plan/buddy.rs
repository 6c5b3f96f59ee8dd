//! Free space of one supernet as buddy free lists: for every prefix length,
//! the start addresses of the free aligned blocks of that length. Taking a
//! block splits the smallest free block that holds it; nothing loops over
//! addresses, so a /8 carved into 10,000 ranges costs 10,000 × 33 set
//! operations at most.

use ipnet::Ipv4Net;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// The free blocks of one supernet.
#[derive(Debug, Clone)]
pub struct Free {
    /// `lists[p]`: starts of the free blocks of prefix length `p`.
    lists: Vec<BTreeSet<u32>>,
}

/// Addresses in a block of prefix length `p`.
fn span(p: u8) -> u64 {
    1u64 << (32 - u32::from(p))
}

fn mask(p: u8) -> u32 {
    if p == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(p))
    }
}

fn net(start: u32, p: u8) -> Ipv4Net {
    Ipv4Net::new(Ipv4Addr::from(start), p).expect("prefix length is at most 32")
}

impl Free {
    /// All of `supernet` free.
    pub fn new(supernet: Ipv4Net) -> Self {
        let mut lists = vec![BTreeSet::new(); 33];
        lists[usize::from(supernet.prefix_len())].insert(u32::from(supernet.network()));
        Free { lists }
    }

    /// Takes the lowest free block of prefix `p` out of the smallest free
    /// block that holds one (best fit keeps large blocks whole).
    pub fn take_any(&mut self, p: u8) -> Option<Ipv4Net> {
        let q = (0..=p).rev().find(|&q| !self.lists[usize::from(q)].is_empty())?;
        let start = self.lists[usize::from(q)].pop_first()?;
        for level in q + 1..=p {
            // The upper half of each split stays free.
            self.lists[usize::from(level)].insert((u64::from(start) + span(level)) as u32);
        }
        Some(net(start, p))
    }

    /// Whether all of `r` is free.
    pub fn holds(&self, r: Ipv4Net) -> bool {
        self.container(r).is_some()
    }

    /// The free block that holds all of `r`, as (start, prefix).
    fn container(&self, r: Ipv4Net) -> Option<(u32, u8)> {
        let start = u32::from(r.network());
        (0..=r.prefix_len())
            .rev()
            .map(|q| (start & mask(q), q))
            .find(|(s, q)| self.lists[usize::from(*q)].contains(s))
    }

    /// Marks every free address of `r` as taken (parts of `r` that are not
    /// free are left as they are).
    pub fn carve(&mut self, r: Ipv4Net) {
        let start = u32::from(r.network());
        let last = u32::from(r.broadcast());
        for q in r.prefix_len()..=32 {
            let inside: Vec<u32> = self.lists[usize::from(q)].range(start..=last).copied().collect();
            for s in inside {
                self.lists[usize::from(q)].remove(&s);
            }
        }
        if let Some((s, q)) = self.container(r) {
            self.lists[usize::from(q)].remove(&s);
            // Walk down to `r`, freeing the half that does not hold it.
            let mut cur = s;
            for level in q + 1..=r.prefix_len() {
                let upper = (u64::from(cur) + span(level)) as u32;
                if start >= upper {
                    self.lists[usize::from(level)].insert(cur);
                    cur = upper;
                } else {
                    self.lists[usize::from(level)].insert(upper);
                }
            }
        }
    }

    /// The largest free block (lowest address among equals).
    pub fn largest(&self) -> Option<Ipv4Net> {
        self.lists
            .iter()
            .enumerate()
            .find_map(|(p, l)| l.first().map(|&s| net(s, p as u8)))
    }

    /// How many free blocks of each prefix length, largest first.
    pub fn counts(&self) -> impl Iterator<Item = (u8, usize)> + '_ {
        self.lists
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.is_empty())
            .map(|(p, l)| (p as u8, l.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn takes_lowest_and_splits() {
        let mut f = Free::new(n("10.0.0.0/8"));
        assert_eq!(f.take_any(16), Some(n("10.0.0.0/16")));
        assert_eq!(f.take_any(16), Some(n("10.1.0.0/16")));
        assert_eq!(f.take_any(24), Some(n("10.2.0.0/24")));
        assert_eq!(f.take_any(16), Some(n("10.3.0.0/16")));
        assert_eq!(f.take_any(9), Some(n("10.128.0.0/9")));
        assert_eq!(f.take_any(9), None);
    }

    #[test]
    fn carve_frees_the_rest() {
        let mut f = Free::new(n("10.0.0.0/8"));
        f.carve(n("10.5.0.0/16"));
        assert!(!f.holds(n("10.5.0.0/16")));
        assert!(!f.holds(n("10.5.1.0/24")));
        assert!(f.holds(n("10.4.0.0/16")));
        assert!(f.holds(n("10.6.0.0/15")));
        assert!(!f.holds(n("10.4.0.0/15")));
        assert_eq!(f.take_any(16), Some(n("10.4.0.0/16")));
        // A carve over free and taken pieces takes what is free.
        f.carve(n("10.0.0.0/12"));
        assert_eq!(f.largest(), Some(n("10.128.0.0/9")));
        let total: u64 = f.counts().map(|(p, c)| span(p) * c as u64).sum();
        assert_eq!(total, span(8) - span(12));
    }

    #[test]
    fn whole_address_space() {
        let mut f = Free::new(n("0.0.0.0/0"));
        assert_eq!(f.take_any(1), Some(n("0.0.0.0/1")));
        f.carve(n("255.255.255.255/32"));
        assert_eq!(f.largest(), Some(n("128.0.0.0/2")));
    }
}
