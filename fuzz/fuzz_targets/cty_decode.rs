//! Decodes arbitrary bytes as cty msgpack and JSON against every resource
//! and data-source schema: errors are fine, panics are bugs. Whatever
//! decodes under a schema must encode again and decode to the same value.
#![no_main]

use hybridk8s::graph::{kinds, Kind};
use hybridk8s::provider::cty::{decode_json, decode_msgpack, encode_msgpack, CtyType};
use hybridk8s::provider::schema::{data_source_schema, HUB_DATA_SOURCE, ONPREM_DATA_SOURCE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut types: Vec<CtyType> = Kind::ALL.into_iter().map(|k| CtyType::of_schema(kinds::schema(k))).collect();
    for ds in [HUB_DATA_SOURCE, ONPREM_DATA_SOURCE] {
        types.extend(data_source_schema(ds).map(CtyType::of_schema));
    }
    for ty in &types {
        if let Ok(v) = decode_msgpack(data, ty) {
            let again = encode_msgpack(&v, ty).expect("a decoded value encodes");
            assert_eq!(decode_msgpack(&again, ty).as_ref(), Ok(&v));
        }
        let _ = decode_json(data, ty);
    }
    // `dynamic` values carry their own type: no round trip promised.
    let _ = decode_msgpack(data, &CtyType::Dynamic);
    let _ = decode_json(data, &CtyType::Dynamic);
});
