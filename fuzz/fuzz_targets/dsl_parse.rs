//! Parses and formats arbitrary text as a `.hk` program: errors are fine,
//! panics are bugs. Whatever parses must format, and the formatted text must
//! parse and format to itself.
#![no_main]

use hybridk8s::dsl;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let Ok(formatted) = dsl::format(src) else { return };
    let again = dsl::format(&formatted).expect("formatted text parses");
    assert_eq!(again, formatted, "formatting is idempotent");
});
