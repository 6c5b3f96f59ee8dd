//! Decodes arbitrary bytes into a graph of resources of every kind with
//! arbitrary attribute values, completes each resource and runs every rule
//! (per kind and across resources) over it, twice: no panic, and the same
//! diagnostics both times. The body is `hybridk8s::fuzzing::rules_graph`,
//! which the test suite also runs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hybridk8s::fuzzing::rules_graph(data));
