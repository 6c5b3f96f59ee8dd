//! Allocates arbitrary address plans: a refusal is fine, a panic is a bug,
//! and whatever allocates keeps its promises (inside the supernets, clear
//! of reservations and of each other, the same again, stable when an
//! environment is appended). The body is `hybridk8s::fuzzing::address_plan`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hybridk8s::fuzzing::address_plan(data));
