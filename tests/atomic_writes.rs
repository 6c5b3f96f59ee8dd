//! Every file the CLI writes is replaced whole or not at all. A full disk
//! is played by a file-size limit (`ulimit -f`, SIGXFSZ ignored): the write
//! fails part-way, and the old program is still there, byte for byte, with
//! no temporary left beside it.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `hybridk8s ARGS` in `dir` with files limited to `blocks` KiB.
fn limited(dir: &Path, blocks: u32, args: &[&str]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.current_dir(dir)
        .arg("-c")
        .arg(format!("ulimit -f {blocks}; trap '' XFSZ; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_hybridk8s"))
        .args(args);
    cmd.output().expect("run hybridk8s under bash")
}

/// A program of `n` external services, written with sloppy spacing so that
/// `fmt` rewrites it whole.
fn program(n: usize) -> String {
    let mut s = String::from(
        "cluster_network aks {\n   name=\"k8s-dev-vnet\"\n resource_group_name =   \"k8s-dev-rg\"\n location = \"westeurope\"\n address_space = [10.40.0.0/16]\n max_nodes = 10\n}\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "external_service svc{i} {{\n cluster =   aks\n   name = \"svc-{i}\"\n endpoints = [10.40.100.{}]\n ports = [{{ port = 80, target_port = 8080 }}]\n}}\n",
            i % 250 + 1
        ));
    }
    s
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn fmt_on_a_full_disk_keeps_the_whole_program() {
    let dir = tempfile::tempdir().unwrap();
    let src = program(200);
    assert!(
        src.len() > 24 * 1024,
        "the program is larger than the limit: {}",
        src.len()
    );
    std::fs::write(dir.path().join("main.hk"), &src).unwrap();
    let out = limited(dir.path(), 16, &["fmt", "main.hk"]);
    assert!(!out.status.success(), "the write must fail under the limit");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("writing") && err.contains("main.hk"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.hk")).unwrap(),
        src,
        "the program is untouched"
    );
    assert_eq!(names(dir.path()), ["main.hk"], "no temporary is left");

    // With room, the same command formats it, and the result keeps all 200.
    let out = limited(dir.path(), 1024, &["fmt", "main.hk"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let formatted = std::fs::read_to_string(dir.path().join("main.hk")).unwrap();
    assert_ne!(formatted, src);
    assert_eq!(formatted.matches("external_service ").count(), 200);
    assert_eq!(names(dir.path()), ["main.hk"]);
}

#[test]
fn compiled_outputs_on_a_full_disk_keep_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.hk"), program(200)).unwrap();
    for (to, out_file) in [
        ("graph-json", "graph.json"),
        ("k8s", "manifests.yaml"),
        ("dot", "graph.dot"),
    ] {
        std::fs::write(dir.path().join(out_file), "old\n").unwrap();
        let out = limited(dir.path(), 8, &["compile", "main.hk", "--to", to, "-o", out_file]);
        assert!(!out.status.success(), "{to}: the write must fail under the limit");
        assert_eq!(
            std::fs::read_to_string(dir.path().join(out_file)).unwrap(),
            "old\n",
            "{to}"
        );
        let out = limited(dir.path(), 4096, &["compile", "main.hk", "--to", to, "-o", out_file]);
        assert!(out.status.success(), "{to}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(
            std::fs::metadata(dir.path().join(out_file)).unwrap().len() > 8 * 1024,
            "{to}"
        );
    }
    let mut want = vec!["graph.dot", "graph.json", "main.hk", "manifests.yaml"];
    want.sort();
    assert_eq!(names(dir.path()), want, "no temporary is left");
}
