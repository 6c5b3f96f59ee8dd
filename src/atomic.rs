//! Writing a file so that it is either wholly the old or wholly the new
//! contents, whatever happens: the new bytes go to a temporary file beside
//! the target (same directory, so the same file system), which is synced
//! and then renamed over the target; the directory is synced after. A full
//! disk, a size limit or a `kill -9` part-way leaves the old file as it was
//! (and at worst a stray temporary, never a cut program).

use std::io::Write;
use std::path::{Path, PathBuf};

/// Replaces `path` with `contents` atomically. A link is followed (the
/// file it names is replaced, the link kept); an existing file's mode is
/// kept, a new one gets 0666 less the umask like any created file.
pub fn write(path: &Path, contents: impl AsRef<[u8]>) -> std::io::Result<()> {
    let target = resolved(path)?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let existing = std::fs::metadata(&target).ok();
    if existing.as_ref().is_some_and(|m| !m.is_file()) {
        return Err(std::io::Error::other(format!(
            "{} is not a regular file",
            target.display()
        )));
    }
    let (tmp, mut file) = temporary(&dir, &name)?;
    let written = (|| {
        file.write_all(contents.as_ref())?;
        if let Some(m) = &existing {
            file.set_permissions(m.permissions())?;
        }
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, &target)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // The rename is durable once the directory is.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The file a path names, links followed; a path that does not exist yet
/// is itself (its directory must exist).
fn resolved(path: &Path) -> std::io::Result<PathBuf> {
    match std::fs::canonicalize(path) {
        Ok(p) => Ok(p),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match std::fs::symlink_metadata(path) {
            // A dangling link: write where it points.
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(path)?;
                Ok(path.parent().map_or(to.clone(), |d| d.join(&to)))
            }
            _ => Ok(path.to_path_buf()),
        },
        Err(e) => Err(e),
    }
}

/// A new file `.<name>.<pid>.<n>.tmp` in `dir`, made exclusively.
fn temporary(dir: &Path, name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut last = None;
    for n in 0..100u32 {
        let tmp = dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), nanos.wrapping_add(n)));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no temporary file name is free")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_keeps_the_mode_and_follows_links() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("main.hk");
        write(&f, "one").unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "one");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("link.hk");
        std::os::unix::fs::symlink("main.hk", &link).unwrap();
        write(&link, "two").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "two");
        assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o640);
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 2, "no temporary is left: {left:?}");
        assert!(write(dir.path(), "x").is_err(), "a directory is not replaced");
    }
}
