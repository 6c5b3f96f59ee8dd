//! The release packaging, `scripts/package.sh`, and installing its zip the
//! way users do: this build's provider binary is packaged (`--binary`, no
//! release build), the files are checked as the registry protocol lays them
//! out, and real Terraform (the newest and 1.0.3) installs the zip with
//! `terraform init` from a packed `filesystem_mirror` — no `dev_overrides` —
//! then applies and destroys a hub network on the local fabric with it.
//!
//! A filesystem mirror is not a signing registry: Terraform records only the
//! `h1:` hash it computes from the unpacked zip. A lock file that carries the
//! registry's `zh:` hash (the zip's sha256, from SHA256SUMS) is checked
//! against the zip: that one installs (and gains the `h1:`), a wrong one is
//! refused.

#[path = "terraform/harness.rs"]
mod harness;

use base64::Engine as _;
use harness::{Terraform, Workspace};
use hybridk8s::backend::local::dump_is_empty;
use std::path::Path;
use std::process::{Command, Output};

const NAME: &str = "terraform-provider-hybridk8s";
const VERSION: &str = env!("CARGO_PKG_VERSION");
const PROVIDER: &str = "registry.terraform.io/hybridk8s/hybridk8s";

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_terraform-provider-hybridk8s"))
}

fn zip_name() -> String {
    format!("{NAME}_{VERSION}_linux_amd64.zip")
}

fn manifest_name() -> String {
    format!("{NAME}_{VERSION}_manifest.json")
}

fn sums_name() -> String {
    format!("{NAME}_{VERSION}_SHA256SUMS")
}

fn member_name() -> String {
    format!("{NAME}_v{VERSION}")
}

/// `bash scripts/package.sh ARGS`.
fn package_sh(args: &[&str]) -> Output {
    Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/package.sh"))
        .args(args)
        .output()
        .unwrap()
}

/// Packages this build's provider binary into `out`; returns the script's stderr.
fn package(out: &Path) -> String {
    let o = package_sh(&["--binary", binary().to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "package.sh failed:\n{err}");
    err
}

/// `sha256sum` of bytes, as hex.
fn sha256_hex(bytes: &[u8]) -> String {
    use std::io::Write as _;
    let mut child = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Terraform's `h1:` hash of a package holding this one file: the base64
/// sha256 of the `sha256sum`-style listing of the unpacked files.
fn h1_of_single_file(name: &str, contents: &[u8]) -> String {
    let listing = format!("{}  {name}\n", sha256_hex(contents));
    let digest = hex_bytes(&sha256_hex(listing.as_bytes()));
    format!("h1:{}", base64::engine::general_purpose::STANDARD.encode(digest))
}

/// The zip's sha256 as SHA256SUMS in `dist` lists it.
fn listed_zip_sha256(dist: &Path) -> String {
    let sums = std::fs::read_to_string(dist.join(sums_name())).unwrap();
    let line = sums
        .lines()
        .find(|l| l.ends_with(&format!("  {}", zip_name())))
        .unwrap_or_else(|| panic!("no zip line in SHA256SUMS:\n{sums}"));
    line[..64].to_string()
}

/// One entry of a zip's central directory.
#[derive(Debug)]
struct ZipEntry {
    name: String,
    made_on_unix: bool,
    mode: u32,
    method: u16,
    dos_date: u16,
    dos_time: u16,
    size: u64,
}

/// The central directory of a zip (no zip64, no multi-disk: what the script writes).
fn zip_entries(zip: &[u8]) -> Vec<ZipEntry> {
    let u16_at = |i: usize| u16::from_le_bytes([zip[i], zip[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes(zip[i..i + 4].try_into().unwrap());
    let eocd = (0..=zip.len() - 22)
        .rev()
        .find(|&i| u32_at(i) == 0x0605_4b50)
        .expect("end of central directory");
    let count = u16_at(eocd + 10) as usize;
    let mut at = u32_at(eocd + 16) as usize;
    let mut out = Vec::new();
    for _ in 0..count {
        assert_eq!(u32_at(at), 0x0201_4b50, "central directory header at {at}");
        let name_len = u16_at(at + 28) as usize;
        let extra_len = u16_at(at + 30) as usize;
        let comment_len = u16_at(at + 32) as usize;
        out.push(ZipEntry {
            name: String::from_utf8(zip[at + 46..at + 46 + name_len].to_vec()).unwrap(),
            made_on_unix: u16_at(at + 4) >> 8 == 3,
            mode: u32_at(at + 38) >> 16,
            method: u16_at(at + 10),
            dos_time: u16_at(at + 12),
            dos_date: u16_at(at + 14),
            size: u32_at(at + 24) as u64,
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    out
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn package_lays_out_a_registry_release() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    let err = package(&dist);
    assert!(err.contains("needs glibc >= 2."), "{err}");

    // Exactly the three files, no temporary left behind.
    assert_eq!(file_names(&dist), vec![sums_name(), zip_name(), manifest_name()]);

    let zip = std::fs::read(dist.join(zip_name())).unwrap();
    let entries = zip_entries(&zip);
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = &entries[0];
    assert_eq!(e.name, member_name());
    assert!(e.made_on_unix, "{e:?}");
    assert_eq!(e.mode, 0o100755, "{:o}", e.mode);
    assert_eq!(e.method, 8, "deflate");
    assert_eq!((e.dos_date, e.dos_time), (0x21, 0), "1980-01-01 00:00");
    assert_eq!(e.size, std::fs::metadata(binary()).unwrap().len());

    assert_eq!(
        std::fs::read_to_string(dist.join(manifest_name())).unwrap(),
        r#"{"version":1,"metadata":{"protocol_versions":["5.0"]}}"#
    );

    let sums = std::fs::read_to_string(dist.join(sums_name())).unwrap();
    let listed: Vec<&str> = sums.lines().map(|l| &l[66..]).collect();
    assert_eq!(listed, vec![zip_name(), manifest_name()], "{sums}");
    assert_eq!(listed_zip_sha256(&dist), sha256_hex(&zip));
    let check = Command::new("sha256sum")
        .args(["-c", &sums_name()])
        .current_dir(&dist)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{text}");
    assert_eq!(text, format!("{}: OK\n{}: OK\n", zip_name(), manifest_name()));

    // The same binary gives the same zip.
    let again = tmp.path().join("again");
    package(&again);
    assert_eq!(std::fs::read(again.join(zip_name())).unwrap(), zip);
    assert_eq!(std::fs::read_to_string(again.join(sums_name())).unwrap(), sums);
}

#[test]
fn package_checks_the_glibc_the_binary_needs() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = binary().to_str().unwrap();
    let out = tmp.path().to_str().unwrap();

    // This build links the build machine's glibc, newer than 2.17.
    let o = package_sh(&["--binary", bin, "--out", out, "--max-glibc", "2.17"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("newer than 2.17"), "{err}");
    assert!(file_names(tmp.path()).is_empty(), "{:?}", file_names(tmp.path()));

    let o = package_sh(&["--binary", bin, "--out", out, "--max-glibc", "99.0"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    for (args, says) in [
        (
            vec!["--binary", "/nonexistent/provider"],
            "no binary at /nonexistent/provider",
        ),
        (vec!["--binary", "Cargo.toml"], "not an ELF file"),
        (vec!["--max-glibc", "new"], "--max-glibc wants X.Y"),
        (vec!["--binary", bin, "--native"], "exclude each other"),
        (vec!["--bogus"], "unknown argument `--bogus`"),
    ] {
        let o = package_sh(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

/// A lock file entry for the provider with these hashes.
fn lock_file(hashes: &[&str]) -> String {
    let lines: String = hashes.iter().map(|h| format!("    \"{h}\",\n")).collect();
    format!(
        "provider \"{PROVIDER}\" {{\n  version     = \"{VERSION}\"\n  constraints = \"{VERSION}\"\n  hashes = [\n{lines}  ]\n}}\n"
    )
}

/// The `hashes` of the provider's entry in a lock file.
fn locked_hashes(lock: &str) -> Vec<String> {
    lock.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("\"h1:") || l.starts_with("\"zh:"))
        .map(|l| l.trim_end_matches(',').trim_matches('"').to_string())
        .collect()
}

fn install_from_mirror(terraform: Terraform) {
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    package(&dist);
    let mirror = tmp.path().join("mirror");
    let pkg_dir = mirror.join(PROVIDER);
    std::fs::create_dir_all(&pkg_dir).unwrap();
    std::fs::copy(dist.join(zip_name()), pkg_dir.join(zip_name())).unwrap();

    let ws = Workspace::new(terraform);
    std::fs::write(
        &ws.cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{PROVIDER}\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .unwrap();
    ws.write_main(&format!(
        r#"terraform {{
  required_providers {{
    hybridk8s = {{ source = "hybridk8s/hybridk8s", version = "{VERSION}" }}
  }}
}}

provider "hybridk8s" {{
  backend = "local"
}}

resource "hybridk8s_hub_network" "hub" {{
  name           = "hub"
  resource_group = "net-rg"
  location       = "westeurope"
  address_space  = ["10.20.0.0/22"]
}}
"#
    ));

    // A first init picks the version from the mirror and locks what it unpacked.
    let (out, _) = ws.expect(&["init", "-input=false"], 0);
    assert!(
        out.contains(&format!("Installed hybridk8s/hybridk8s v{VERSION}")),
        "{out}"
    );
    let binary_bytes = std::fs::read(binary()).unwrap();
    let h1 = h1_of_single_file(&member_name(), &binary_bytes);
    let lock_path = ws.dir.join(".terraform.lock.hcl");
    let lock = std::fs::read_to_string(&lock_path).unwrap();
    assert!(lock.contains(&format!("provider \"{PROVIDER}\" {{")), "{lock}");
    assert!(lock.contains(&format!("version     = \"{VERSION}\"")), "{lock}");
    assert_eq!(locked_hashes(&lock), vec![h1.clone()], "{lock}");
    let installed = ws
        .dir
        .join(".terraform/providers")
        .join(PROVIDER)
        .join(VERSION)
        .join("linux_amd64")
        .join(member_name());
    assert!(
        std::fs::read(&installed).unwrap() == binary_bytes,
        "{} is not the packaged binary",
        installed.display()
    );

    // A lock file with only the registry's zip hash: the zip matches it,
    // and Terraform adds the `h1:` it computed beside it.
    let zh = format!("zh:{}", listed_zip_sha256(&dist));
    let fresh_init = |lock: &str| {
        let cache = ws.dir.join(".terraform");
        if cache.exists() {
            std::fs::remove_dir_all(cache).unwrap();
        }
        std::fs::write(&lock_path, lock).unwrap();
    };
    fresh_init(&lock_file(&[&zh]));
    ws.expect(&["init", "-input=false"], 0);
    assert_eq!(
        locked_hashes(&std::fs::read_to_string(&lock_path).unwrap()),
        vec![h1.clone(), zh.clone()]
    );
    // Another zip hash: the zip is refused.
    let wrong = format!("zh:{}", "0".repeat(64));
    fresh_init(&lock_file(&[&wrong]));
    let (_, err) = ws.expect(&["init", "-input=false"], 1);
    let words = err.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("doesn't match any of the checksums previously recorded"),
        "{err}"
    );
    fresh_init(&lock_file(&[&h1, &zh]));
    ws.expect(&["init", "-input=false"], 0);

    // The installed binary serves Terraform.
    let (out, _) = ws.expect(&["apply", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("Resources: 1 added, 0 changed, 0 destroyed"), "{out}");
    let dump = ws.fabric_dump();
    let vnets = dump["vnets"].as_array().unwrap();
    assert_eq!(vnets.len(), 1, "{dump:#}");
    assert_eq!(vnets[0]["name"], "hub", "{dump:#}");
    let (out, _) = ws.expect(&["destroy", "-auto-approve", "-input=false"], 0);
    assert!(out.contains("Destroy complete! Resources: 1 destroyed"), "{out}");
    let dump = ws.fabric_dump();
    assert!(dump_is_empty(&dump), "{dump:#}");
}

#[test]
fn terraform_newest_installs_from_a_filesystem_mirror() {
    install_from_mirror(harness::newest());
}

#[test]
fn terraform_1_0_3_installs_from_a_filesystem_mirror() {
    install_from_mirror(harness::v1_0_3());
}
