//! Compiles `proto/*.proto` with protox (no system protoc) into tonic/prost
//! code included by `src/provider/proto.rs`. Servers for the provider; clients
//! too, for the in-process tests only (the module stays private).

fn main() -> Result<(), Box<dyn std::error::Error>> {
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
