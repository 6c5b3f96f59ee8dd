//! hybridk8s: one resource graph for Kubernetes in Azure beside an on-premises
//! network, with the rules that make it correct before anything is created.
pub mod atomic;

/// This build's version: the crate version, then the git revision when
/// built from a checkout (`0.1.0 (3c6bf85a1b2c)`).
pub const VERSION: &str = match env!("HYBRIDK8S_GIT_REV").is_empty() {
    true => env!("CARGO_PKG_VERSION"),
    false => concat!(env!("CARGO_PKG_VERSION"), " (", env!("HYBRIDK8S_GIT_REV"), ")"),
};
pub mod backend;
pub mod cli;
pub mod clock;
pub mod dsl;
pub mod engine;
#[doc(hidden)]
pub mod fuzzing;
pub mod graph;
pub mod log;
pub mod provider;
pub mod realize;
pub mod render;
