//! The rule catalogue: every diagnostic code hybridk8s reports has one row
//! here with a stable ID (`HKnnn`), its family, a one-line summary, why the
//! rule exists, and a bad and a good DSL program (the catalogue test checks
//! that the bad one reports the code and the good one does not). The pages
//! under `docs/rules/` are rendered from these rows.
//!
//! ID ranges, by family: `HK0xx` configuration, `HK1xx` address ranges,
//! `HK2xx` sizing and network modes, `HK3xx` peering, `HK4xx` DNS and private
//! clusters, `HK5xx` services, `HK6xx` subnet security, `HK7xx` reachability,
//! `HK9xx` operation (backends, state, protocol: not rules of a program, no
//! examples). An ID is never reused for another code.

mod config;
mod dns;
mod dsl;
mod dsl_values;
mod modes;
mod operation;
mod peering;
mod private;
mod ranges;
mod reachability;
mod security;
mod services;
mod sizing;

/// What a rule is about; decides its ID range and its section in the docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Config,
    Ranges,
    Sizing,
    Peering,
    Dns,
    Services,
    Security,
    Reachability,
    Operation,
}

impl Family {
    /// The family's heading in the docs.
    pub fn title(self) -> &'static str {
        match self {
            Family::Config => "Configuration",
            Family::Ranges => "Address ranges",
            Family::Sizing => "Sizing and network modes",
            Family::Peering => "Peering",
            Family::Dns => "DNS and private clusters",
            Family::Services => "Services",
            Family::Security => "Subnet security",
            Family::Reachability => "Reachability",
            Family::Operation => "Operation",
        }
    }

    /// The hundreds digit of the family's IDs.
    pub fn hundreds(self) -> u16 {
        match self {
            Family::Config => 0,
            Family::Ranges => 1,
            Family::Sizing => 2,
            Family::Peering => 3,
            Family::Dns => 4,
            Family::Services => 5,
            Family::Security => 6,
            Family::Reachability => 7,
            Family::Operation => 9,
        }
    }
}

/// One row of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable ID, `HK` and three digits.
    pub id: &'static str,
    /// The diagnostic code it stands for (`Diagnostic::code`).
    pub code: &'static str,
    pub family: Family,
    /// One line: what the rule refuses or warns about.
    pub summary: &'static str,
    /// Why: the Azure, AKS or DNS fact behind it (Markdown).
    pub why: &'static str,
    /// A DSL program that reports the code (empty for `Operation`).
    pub bad: &'static str,
    /// The same program, corrected: checks without the code.
    pub good: &'static str,
}

/// Every family's rows.
const TABLES: &[&[Rule]] = &[
    config::RULES,
    dsl::RULES,
    dsl_values::RULES,
    ranges::RULES,
    sizing::RULES,
    modes::RULES,
    peering::RULES,
    dns::RULES,
    private::RULES,
    services::RULES,
    security::RULES,
    reachability::RULES,
    operation::RULES,
];

/// Every rule, in table order.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    TABLES.iter().flat_map(|t| t.iter())
}

/// The rule of a diagnostic code.
pub fn by_code(code: &str) -> Option<&'static Rule> {
    all().find(|r| r.code == code)
}

/// The rule with an ID (`HK201`).
pub fn by_id(id: &str) -> Option<&'static Rule> {
    all().find(|r| r.id.eq_ignore_ascii_case(id))
}

/// The ID of a diagnostic code, `HK000` for a code the catalogue lacks (the
/// catalogue test keeps that from happening).
pub fn id_of(code: &str) -> &'static str {
    by_code(code).map_or("HK000", |r| r.id)
}

/// How people see a code: `HK201 subnet-too-small`, or the bare code when
/// the catalogue lacks it.
pub fn label(code: &str) -> String {
    match by_code(code) {
        Some(r) => format!("{} {code}", r.id),
        None => code.to_string(),
    }
}

impl Rule {
    /// The rule's page, relative to the repository root.
    pub fn page_path(&self) -> String {
        format!("docs/rules/{}.md", self.id)
    }

    /// Whether the rule has examples (every family but `Operation`).
    pub fn has_examples(&self) -> bool {
        self.family != Family::Operation
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_and_codes_are_unique_and_in_their_family_range() {
        let mut ids = HashSet::new();
        let mut codes = HashSet::new();
        for r in all() {
            assert!(ids.insert(r.id), "{} used twice", r.id);
            assert!(codes.insert(r.code), "{} listed twice", r.code);
            let n: u16 =
                r.id.strip_prefix("HK")
                    .and_then(|d| (d.len() == 3).then_some(d))
                    .and_then(|d| d.parse().ok())
                    .unwrap_or_else(|| panic!("{} is not HKnnn", r.id));
            assert_eq!(
                n / 100,
                r.family.hundreds(),
                "{} is outside the {:?} range",
                r.id,
                r.family
            );
            assert!(
                !r.summary.is_empty() && !r.summary.contains('\n'),
                "{}: one-line summary",
                r.id
            );
        }
    }
}
