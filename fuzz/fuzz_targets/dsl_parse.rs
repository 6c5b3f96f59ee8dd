//! Parses and formats arbitrary text as a `.hk` program (whatever parses
//! formats, idempotently), then runs the whole `hybridk8s check` pipeline on
//! it in memory: load with modules and var files from a virtual root, graph
//! rules, rendering at the source. Errors are fine, panics are bugs. The
//! body is `hybridk8s::fuzzing::dsl_check`, which the test suite also runs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hybridk8s::fuzzing::dsl_check(data));
