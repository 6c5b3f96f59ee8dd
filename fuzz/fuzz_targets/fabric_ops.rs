//! Creates, updates, deletes, reads, cancelled operations and out-of-band
//! changes by two stacks, in the order the bytes give, against a SQLite
//! fabric in memory: a refused operation changes nothing, a create never
//! adopts, peering states agree with their sides, subnets lie in their
//! VNET, the integrity check passes, and deleting what each stack made
//! leaves nothing. The body is `hybridk8s::fuzzing::fabric_ops`, which the
//! test suite also runs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hybridk8s::fuzzing::fabric_ops(data));
