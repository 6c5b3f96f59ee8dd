//! Drives the provider core the way Terraform does — cty msgpack config
//! (sometimes corrupted) → decode → plan → recheck → apply in-process on a
//! SQLite fabric in memory — over a small hybrid topology, and checks what
//! makes realization safe: honest plans pass the apply-time recheck, forged
//! ones do not, applied states keep every planned value and plan again to no
//! change, refusals change nothing, and destroying everything empties the
//! fabric. The body is `hybridk8s::fuzzing::provider_apply`, which the test
//! suite also runs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hybridk8s::fuzzing::provider_apply(data));
