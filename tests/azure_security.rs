//! Backend `azure` does not realize network security groups and route
//! tables yet: a plan that holds one is refused before anything is changed,
//! naming the kind (not silently skipped), against the ARM emulator.

#![cfg(feature = "azure")]

#[path = "arm/mod.rs"]
mod arm;

use std::process::Command;

#[test]
fn plan_and_apply_refuse_nsgs_and_route_tables_with_backend_azure() {
    let emu = arm::ArmEmulator::start(arm::Options::default());
    emu.create_resource_group("net-rg", "westeurope");
    emu.create_resource_group("k8s-dev-rg", "westeurope");
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("secured.hk");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/security/secured.hk"),
        &program,
    )
    .unwrap();
    let state = dir.path().join("fabric.db");
    for verb in [vec!["plan"], vec!["apply", "--auto-approve"]] {
        let mut c = Command::new(env!("CARGO_BIN_EXE_hybridk8s"));
        c.args(&verb)
            .arg(&program)
            .args(["--backend", "azure", "--state"])
            .arg(&state)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env_remove("HYBRIDK8S_STATE")
            .env_remove("HYBRIDK8S_BACKEND");
        for (k, v) in emu.env() {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{verb:?}: {err}");
        for kind in ["network_security_group", "route_table"] {
            assert!(
                err.contains(&format!("backend `azure` does not manage {kind}")),
                "{verb:?}: {err}"
            );
        }
    }
    // Nothing was created in the subscription.
    assert!(
        emu.get(&emu.vnet_id("k8s-dev-rg", "k8s-dev-vnet")).is_none(),
        "{}",
        emu.dump()
    );
    assert!(emu.get(&emu.vnet_id("net-rg", "hub")).is_none(), "{}", emu.dump());
}
