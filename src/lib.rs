//! hybridk8s: one resource graph for Kubernetes in Azure beside an on-premises
//! network, with the rules that make it correct before anything is created.
pub mod atomic;
pub mod backend;
pub mod cli;
pub mod clock;
pub mod dsl;
pub mod engine;
#[doc(hidden)]
pub mod fuzzing;
pub mod graph;
pub mod provider;
pub mod realize;
pub mod render;
