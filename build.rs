//! Compiles `proto/*.proto` with protox (no system protoc) into tonic/prost
//! code included by `src/provider/proto.rs`. Servers for the provider; clients
//! too, for the in-process tests only (the module stays private).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    git_revision();
    let files = [
        "proto/tfplugin5.proto",
        "proto/grpc_controller.proto",
        "proto/health.proto",
    ];
    for f in files {
        println!("cargo:rerun-if-changed={f}");
    }
    let fds = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;
    Ok(())
}

/// `HYBRIDK8S_GIT_REV`: the commit this is built from when built from a
/// checkout; empty otherwise (a packaged source tree). `--version` prints it
/// after the crate version.
fn git_revision() {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let rev = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_default();
    println!("cargo:rustc-env=HYBRIDK8S_GIT_REV={rev}");
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
        if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={dir}/{r}");
        }
    }
}
