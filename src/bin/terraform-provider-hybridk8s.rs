//! The hybridk8s Terraform provider. Terraform starts it; with `--debug` a
//! user starts it and points Terraform at it (TF_REATTACH_PROVIDERS).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = hybridk8s::provider::plugin::run(&args, hybridk8s::provider::default_factory());
    std::process::exit(code);
}
