//! The front end is total: any prefix of any fixture, and some hostile
//! inputs, give `Ok` or `Err`, never a panic.

use hybridk8s::dsl::{self, Options};
use std::path::{Path, PathBuf};

fn copy_tree(from: &Path, to: &Path, files: &mut Vec<PathBuf>) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let p = e.expect("entry").path();
        let target = to.join(p.file_name().expect("name"));
        if p.is_dir() {
            copy_tree(&p, &target, files);
        } else {
            std::fs::copy(&p, &target).expect("copy");
            if target.extension().is_some_and(|e| e == "hk") {
                files.push(target);
            }
        }
    }
}

#[test]
fn every_prefix_of_every_fixture_loads_or_fails_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    copy_tree(Path::new("tests/fixtures/dsl"), dir.path(), &mut files);
    copy_tree(Path::new("examples"), &dir.path().join("examples"), &mut files);
    files.sort();
    let mut runs = 0;
    for f in &files {
        let src = std::fs::read_to_string(f).expect("read");
        let probe = f.with_file_name("__prefix.hk");
        for (i, _) in src.char_indices().chain([(src.len(), ' ')]) {
            let prefix = &src[..i];
            let _ = dsl::format(prefix);
            if i % 3 == 0 || i == src.len() {
                std::fs::write(&probe, prefix).expect("write");
                if let Err(e) = dsl::load(&probe, &Options::default()) {
                    let _ = e.render_plain();
                }
                runs += 1;
            }
        }
    }
    assert!(runs > 1000);
}

#[test]
fn hostile_inputs() {
    let deep = "[".repeat(100_000);
    let deep_obj = "onprem x { a = ".to_string() + &"{ b = ".repeat(5000);
    let inputs = [
        "",
        "\u{feff}",
        "\"",
        "\"${",
        "\"${\"${\"${",
        "onprem é { }",
        "onprem x { name = \"\\u{110000}\" }",
        "onprem x { name = \"\\u{d800}\" }",
        "param x: list(list(list(map(cidr)))) = [[[{ a = 1.2.3.4/40 }]]]",
        "onprem x { n = 99999999999999999999999 }",
        "onprem x { n = -9223372036854775808 }",
        "module \"\" as m {}",
        "module \"/\" as m {}",
        "module \"${x}\" as m {}",
        "hub h { address_space = [h] }",
        "hub h { address_space = h.address_space }",
        "onprem x { address_space = [10.0.0.0/8] } onprem y { address_space = x.address_space.z.w }",
        &deep,
        &deep_obj,
        &("onprem x { a = \"#\" ".to_string() + &"[".repeat(10_000)),
        &("onprem x { a = \"${".to_string() + &"[\"${".repeat(10_000)),
        &("onprem x { a = [\"\\\"\" ".to_string() + &"{ a = ".repeat(10_000)),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let probe = dir.path().join("x.hk");
    for input in inputs {
        let _ = dsl::format(input);
        std::fs::write(&probe, input).expect("write");
        if let Err(e) = dsl::load(&probe, &Options::default()) {
            assert!(!e.problems.is_empty());
            let _ = e.render_plain();
        }
    }
}
