//! Catalogue rows of one family (see `mod.rs`).

use super::{Family, Rule};

#[allow(unused_imports)]
use Family::*;

pub(super) const RULES: &[Rule] = &[];
