//! No file outside the program's tree is read or printed by the DSL: a
//! module or var file must be a `.hk` / `.hkvars` file under the top
//! program's directory (links resolved) or `--root`; devices, FIFOs and
//! oversized files are refused before anything is read.

#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Output};

const CLI: &str = env!("CARGO_BIN_EXE_hybridk8s");
const SECRET: &str = "s3cr3t-in-the-environment-9f2b";

fn check(dir: &Path, args: &[&str]) -> (Output, String) {
    let out = Command::new(CLI)
        .arg("check")
        .args(args)
        .current_dir(dir)
        .env("ARM_CLIENT_SECRET", SECRET)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, text)
}

fn program(dir: &Path, name: &str, module: &str) {
    std::fs::write(dir.join(name), format!("module \"{module}\" as m {{ }}\n")).unwrap();
}

#[test]
fn modules_outside_the_tree_are_refused_and_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A checkout: the project's root is here, whatever lies above.
    std::fs::create_dir(d.join(".git")).unwrap();
    for (name, module, code) in [
        ("environ.hk", "/proc/self/environ", "not-a-program"),
        ("passwd.hk", "../../../../../../etc/passwd", "not-a-program"),
        ("abs.hk", "/etc/hybridk8s-nothing.hk", "outside-root"),
        ("up.hk", "../elsewhere.hk", "outside-root"),
    ] {
        program(d, name, module);
        let (out, text) = check(d, &[name]);
        assert_eq!(out.status.code(), Some(1), "{name}: {text}");
        assert!(text.contains(code), "{name}: {text}");
        assert!(!text.contains(SECRET), "{name} printed the environment: {text}");
        assert!(!text.contains("root:x:0:0"), "{name} printed /etc/passwd: {text}");
    }
    // A link inside the tree that points out of it.
    std::fs::write(d.join("../outside-secret.hk"), "this is = not { shown\n").ok();
    let outside = d.parent().unwrap().join("outside-secret.hk");
    std::os::unix::fs::symlink(&outside, d.join("inside.hk")).unwrap();
    program(d, "link.hk", "./inside.hk");
    let (out, text) = check(d, &["link.hk"]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("outside-root") && !text.contains("not { shown"), "{text}");
    let _ = std::fs::remove_file(outside);
}

#[test]
fn root_widens_the_tree_and_a_module_inside_it_works() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("envs/dev")).unwrap();
    std::fs::create_dir_all(d.join("modules")).unwrap();
    std::fs::write(
        d.join("modules/net.hk"),
        "onprem corp {\n  address_space = [10.0.0.0/12]\n}\n",
    )
    .unwrap();
    program(&d.join("envs/dev"), "main.hk", "../../modules/net.hk");
    // From the working directory above it: that is the root.
    let (out, text) = check(d, &["envs/dev/main.hk"]);
    assert!(out.status.success(), "{text}");
    // A checkout of envs/dev alone: its root is envs/dev, unless --root widens it.
    let dev = d.join("envs/dev");
    std::fs::create_dir(dev.join(".git")).unwrap();
    let (out, text) = check(&dev, &["main.hk"]);
    assert_eq!(out.status.code(), Some(1), "outside envs/dev without --root: {text}");
    assert!(text.contains("outside-root") && text.contains("--root"), "{text}");
    let (out, text) = check(&dev, &["main.hk", "--root", "../.."]);
    assert!(out.status.success(), "{text}");
    // Var files follow the same rule.
    std::fs::write(d.join("../vars-outside.hkvars"), "x = 1\n").ok();
    let (out, text) = check(
        d,
        &[
            "envs/dev/main.hk",
            "--root",
            ".",
            "--var-file",
            "../vars-outside.hkvars",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("outside-root"), "{text}");
    let _ = std::fs::remove_file(d.join("../vars-outside.hkvars"));
}

#[test]
fn devices_fifos_and_huge_files_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The top program itself.
    for dev in ["/dev/zero", "/dev/urandom"] {
        let (out, text) = check(d, &[dev]);
        assert_eq!(out.status.code(), Some(1), "{dev}: {text}");
        assert!(text.contains("not a regular file"), "{dev}: {text}");
    }
    let fifo = d.join("fifo.hk");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    program(d, "uses-fifo.hk", "./fifo.hk");
    let (out, text) = check(d, &["uses-fifo.hk"]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("not a regular file"), "{text}");
    // Over the size limit: refused by its size, not read.
    let big = d.join("big.hk");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(hybridk8s::dsl::MAX_FILE_BYTES + 1).unwrap();
    let (out, text) = check(d, &["big.hk"]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("MiB"), "{text}");
}
