//! hybridk8s: one resource graph for Kubernetes in Azure beside an on-premises
//! network, with the rules that make it correct before anything is created.
pub mod backend;
pub mod engine;
pub mod graph;
