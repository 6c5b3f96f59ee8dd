//! The state path is opened, never changed, unless it is a hybridk8s
//! fabric (or nothing yet): `/dev/null`, a symbolic link, a FIFO, a
//! directory, a SQLite URI, a text file or another program's database is
//! refused with the reason and left byte for byte and mode for mode as it
//! was. What hybridk8s creates is private: the file 0600, `.hybridk8s/`
//! 0700 whatever the umask, stale `-wal` / `-shm` files 0600.

#![cfg(unix)]

use hybridk8s::backend::local::LocalFabric;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

const CLI: &str = env!("CARGO_BIN_EXE_hybridk8s");

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

fn refused(path: &Path, needle: &str) {
    let e = LocalFabric::open(path)
        .err()
        .unwrap_or_else(|| panic!("{} was opened", path.display()));
    let text = e.to_string();
    assert!(text.contains(needle) && text.contains("nothing was changed"), "{text}");
}

#[test]
fn dev_null_a_link_a_fifo_a_directory_and_a_uri_are_refused_untouched() {
    let before = mode(Path::new("/dev/null"));
    refused(Path::new("/dev/null"), "not a regular file");
    assert_eq!(mode(Path::new("/dev/null")), before, "/dev/null keeps its mode");

    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.db");
    std::fs::write(&target, b"").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    let link = dir.path().join("link.db");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    refused(&link, "symbolic link");
    assert_eq!(mode(&target), 0o644, "the link's target is not chmodded");
    assert_eq!(std::fs::read(&target).unwrap(), b"");

    let fifo = dir.path().join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    refused(&fifo, "not a regular file");
    assert_eq!(mode(&fifo) & 0o777, 0o644);

    refused(dir.path(), "not a regular file");
    refused(Path::new("file:state.db?mode=memory"), "SQLite URI");
    assert!(!Path::new("file:state.db?mode=memory").exists());
}

#[test]
fn a_file_that_is_not_a_fabric_is_refused_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "my notes\n").unwrap();
    std::fs::set_permissions(&text, std::fs::Permissions::from_mode(0o644)).unwrap();
    refused(&text, "not a SQLite database");
    assert_eq!(std::fs::read_to_string(&text).unwrap(), "my notes\n");
    assert_eq!(mode(&text), 0o644);

    let other = dir.path().join("app.db");
    {
        let c = rusqlite::Connection::open(&other).unwrap();
        c.execute_batch("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ada');")
            .unwrap();
    }
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o644)).unwrap();
    let bytes = std::fs::read(&other).unwrap();
    refused(&other, "another program's SQLite database (tables users)");
    assert_eq!(std::fs::read(&other).unwrap(), bytes);
    assert_eq!(mode(&other), 0o644);

    // The CLI says so and exits 1.
    let out = Command::new(CLI)
        .args(["apply", "examples/hybrid.hk", "--auto-approve", "--state"])
        .arg(&other)
        .env_remove("HYBRIDK8S_STATE")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a hybridk8s fabric"), "{err}");
    assert_eq!(std::fs::read(&other).unwrap(), bytes);
}

#[test]
fn what_hybridk8s_creates_is_private_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("main.hk");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hybrid.hk"),
        &program,
    )
    .unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("umask 000 && exec {CLI} apply main.hk --auto-approve"))
        .current_dir(dir.path())
        .env_remove("HYBRIDK8S_STATE")
        .env_remove("HYBRIDK8S_BACKEND")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let state_dir = dir.path().join(".hybridk8s");
    assert_eq!(mode(&state_dir), 0o700);
    let db = state_dir.join("fabric.db");
    assert_eq!(mode(&db), 0o600);

    // Stale sidecars from a looser umask are tightened; the fabric reopens.
    for suffix in ["-wal", "-shm"] {
        let p = state_dir.join(format!("fabric.db{suffix}"));
        if p.exists() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666)).unwrap();
        }
    }
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let f = LocalFabric::open(&db).unwrap();
    assert_eq!(mode(&db), 0o600, "a fabric made with a looser umask is tightened");
    for suffix in ["-wal", "-shm"] {
        let p = state_dir.join(format!("fabric.db{suffix}"));
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
    drop(f);
    // An empty file is a fabric to be (made by someone, kept private too).
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    LocalFabric::open(&empty).unwrap();
}
