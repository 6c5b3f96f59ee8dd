//! Decodes arbitrary bytes as a stack state read from a blob: errors are
//! fine, panics are bugs, and what decodes survives the round trip. The
//! body is `hybridk8s::fuzzing::blob_state`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hybridk8s::fuzzing::blob_state(data));
