//! Decodes arbitrary bytes as an API server's answer (status and body) and
//! as a manifest, the way the Kubernetes plane does: panics are bugs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hybridk8s::fuzzing::kube_answer(data);
});
