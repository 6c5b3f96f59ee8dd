//! The ARM emulator answers like ARM, driven by the real SDK clients.
#![cfg(feature = "azure")]

#[path = "arm/mod.rs"]
mod arm;

use arm::{ArmEmulator, Options};

#[test]
fn starts_and_stops() {
    let emu = ArmEmulator::start(Options::default());
    assert!(emu.endpoint().starts_with("http://127.0.0.1:"));
}
