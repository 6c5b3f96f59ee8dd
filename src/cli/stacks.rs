//! Which fabric file and which stack a command works on. A stack is named
//! by the program's path relative to the directory that holds the fabric's
//! `.hybridk8s/` (`envs/dev/main.hk`), so two programs never share a stack
//! by accident; a program outside that directory is named by its canonical
//! path. `--stack NAME` overrides both.
//!
//! The stacks live in the fabric file, or with `--state
//! azblob://<account>/<container>/<key>` in that blob (one stack, named by
//! the key); the fabric file then is `--fabric` (default
//! `.hybridk8s/fabric.db`) and holds only what the backend keeps there.

use super::fabric::{FabricArgs, StackArgs};
use crate::backend::azblob::{BlobStore, Location};
use crate::backend::local::{db, LocalFabric};
use crate::backend::stacks::StackStore;
use anyhow::bail;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// A fabric opened for a command: the file it names and, for read-only
/// commands, whether the file existed (if not, `fabric` is an empty one in
/// memory and nothing was created).
pub struct Opened {
    pub path: PathBuf,
    pub fabric: LocalFabric,
    pub exists: bool,
    /// Where its stacks live (the fabric itself, or a blob).
    pub store: Arc<dyn StackStore>,
}

/// The fabric file: `--fabric` / `HYBRIDK8S_FABRIC`, else `--state` /
/// `HYBRIDK8S_STATE` when it is a file, else `.hybridk8s/fabric.db` under
/// the working directory.
pub fn db_path(f: &FabricArgs) -> PathBuf {
    f.fabric
        .clone()
        .or_else(|| f.state.clone().filter(|s| blob_state(s).is_none()))
        .unwrap_or_else(|| db::default_path(&cwd()))
}

/// The `azblob://…` location `--state` names, if it names one.
fn blob_state(state: &Path) -> Option<&str> {
    state.to_str().filter(|s| Location::is_blob(s))
}

/// Where the stacks live: the blob `--state azblob://…` names, else the fabric file.
pub fn store(f: &FabricArgs, fabric: &LocalFabric) -> anyhow::Result<Arc<dyn StackStore>> {
    match f.state.as_deref().map(|s| (s, blob_state(s))) {
        Some((_, Some(url))) => Ok(Arc::new(
            BlobStore::open(url, &|k| std::env::var(k).ok()).map_err(anyhow::Error::msg)?,
        )),
        Some((file, None)) if f.fabric.is_some() => bail!(
            "--state {} and --fabric both name the fabric file; --state names a file or an azblob:// location, --fabric the file",
            file.display()
        ),
        _ => Ok(Arc::new(fabric.clone())),
    }
}

/// What a saved plan records as its fabric: the blob of the stack state
/// (plans made on one machine apply on another), else the fabric file.
pub fn identity(f: &FabricArgs) -> Option<String> {
    let url = blob_state(f.state.as_deref()?)?;
    Location::parse(url, &|k| std::env::var(k).ok())
        .ok()
        .map(|l| l.to_string())
}

/// The stack of a program in `store`: the one a blob holds (`--stack`
/// must name it if given), else [`program_stack`].
pub fn stack_in(store: &dyn StackStore, file: &Path, db: &Path, s: &StackArgs) -> anyhow::Result<String> {
    match (store.fixed_stack(), &s.stack) {
        (Some(fixed), Some(n)) if *n != fixed => bail!(
            "--stack {n}: {} holds one stack, `{fixed}` (named by its key); drop --stack or use another key",
            store.describe().trim_start_matches("the ")
        ),
        (Some(fixed), _) => Ok(fixed),
        (None, _) => Ok(program_stack(file, db, s)),
    }
}

/// Opens the fabric to write, creating it when missing.
pub fn open_write(f: &FabricArgs) -> anyhow::Result<LocalFabric> {
    Ok(LocalFabric::open(db_path(f))?)
}

/// The fabric to write and where its stacks live.
pub fn open_write_store(f: &FabricArgs) -> anyhow::Result<(LocalFabric, Arc<dyn StackStore>)> {
    let fabric = open_write(f)?;
    let store = store(f, &fabric)?;
    Ok((fabric, store))
}

/// Opens the fabric to read without creating anything: a missing file reads
/// as an empty fabric.
pub fn open_read(f: &FabricArgs) -> anyhow::Result<Opened> {
    let path = db_path(f);
    let (fabric, exists) = match LocalFabric::open_existing(&path)? {
        Some(fabric) => (fabric, true),
        None => (LocalFabric::empty_in_memory()?, false),
    };
    let store = store(f, &fabric)?;
    Ok(Opened {
        path,
        fabric,
        exists,
        store,
    })
}

/// The directory stack names are relative to: the one that holds the
/// fabric's `.hybridk8s/`, else the one that holds the fabric file.
pub fn root_of(db: &Path) -> PathBuf {
    let abs = resolve(db);
    let dir = abs.parent().unwrap_or(Path::new("/"));
    match (dir.file_name(), dir.parent()) {
        (Some(n), Some(up)) if n == ".hybridk8s" => up.to_path_buf(),
        _ => dir.to_path_buf(),
    }
}

/// The stack of a program: `--stack`, else its path relative to
/// [`root_of`] the fabric, with `/` separators; its canonical path when it
/// lies outside.
pub fn program_stack(file: &Path, db: &Path, s: &StackArgs) -> String {
    if let Some(n) = &s.stack {
        return n.clone();
    }
    let program = resolve(file);
    match program.strip_prefix(root_of(db)) {
        Ok(rel) if rel.components().next().is_some() => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        _ => program.display().to_string(),
    }
}

/// The stack name earlier versions gave the program (its file stem), when
/// it differs from `name` and the stack name was not given.
pub fn legacy_name(file: &Path, name: &str, s: &StackArgs) -> Option<String> {
    if s.stack.is_some() {
        return None;
    }
    let stem = file.file_stem()?.to_str()?;
    (stem != name).then(|| stem.to_string())
}

/// Why an old-style stack may hold this program's resources, and what to do.
pub fn legacy_message(name: &str, legacy: &str) -> String {
    format!(
        "{}\n  hint: pass `--stack {legacy}` to keep using that stack, or `--stack {name}` to start a new one",
        legacy_note(name, legacy)
    )
}

/// The same for `destroy`, which has no new stack to start.
pub fn legacy_destroy_message(name: &str, legacy: &str) -> String {
    format!(
        "{}\n  hint: pass `--stack {legacy}` to destroy that stack",
        legacy_note(name, legacy)
    )
}

fn legacy_note(name: &str, legacy: &str) -> String {
    format!(
        "stack `{name}` does not exist yet, but stack `{legacy}` does\n  \
         note: stacks used to be named after the program's file; `{legacy}` may hold this program's resources"
    )
}

fn cwd() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

/// An absolute path with symlinks resolved as far as the path exists, the
/// rest folded lexically (`.` dropped, `x/..` removed).
fn resolve(p: &Path) -> PathBuf {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd().join(p)
    };
    let mut lexical = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                lexical.pop();
            }
            c => lexical.push(c),
        }
    }
    let mut rest = Vec::new();
    let mut cur = lexical.as_path();
    loop {
        if let Ok(canon) = std::fs::canonicalize(cur) {
            return rest.iter().rev().fold(canon, |acc: PathBuf, n| acc.join(n));
        }
        match (cur.file_name(), cur.parent()) {
            (Some(n), Some(up)) => {
                rest.push(n.to_os_string());
                cur = up;
            }
            _ => return lexical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(stack: Option<&str>) -> StackArgs {
        StackArgs {
            stack: stack.map(String::from),
        }
    }

    #[test]
    fn stacks_are_named_by_path_under_the_fabric_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for env in ["dev", "prod"] {
            std::fs::create_dir_all(root.join("envs").join(env)).unwrap();
            std::fs::write(root.join("envs").join(env).join("main.hk"), "").unwrap();
        }
        // The fabric directory need not exist yet.
        let db = db::default_path(root);
        let dev = program_stack(&root.join("envs/dev/main.hk"), &db, &args(None));
        let prod = program_stack(&root.join("envs/./prod/../prod/main.hk"), &db, &args(None));
        assert_eq!((dev.as_str(), prod.as_str()), ("envs/dev/main.hk", "envs/prod/main.hk"));
        assert_eq!(
            program_stack(&root.join("envs/dev/main.hk"), &db, &args(Some("x"))),
            "x"
        );
        // A fabric file outside a `.hybridk8s/` directory: names are relative to its directory.
        let db = root.join("envs/fabric.db");
        assert_eq!(
            program_stack(&root.join("envs/dev/main.hk"), &db, &args(None)),
            "dev/main.hk"
        );
        // A program outside the root is named by its canonical path.
        let db = db::default_path(&root.join("envs/dev"));
        let outside = program_stack(&root.join("envs/prod/main.hk"), &db, &args(None));
        let canonical = std::fs::canonicalize(root.join("envs/prod/main.hk")).unwrap();
        assert_eq!(outside, canonical.display().to_string());
    }

    #[test]
    fn the_file_stem_is_the_legacy_name() {
        let f = Path::new("envs/dev/main.hk");
        assert_eq!(legacy_name(f, "envs/dev/main.hk", &args(None)).as_deref(), Some("main"));
        assert_eq!(legacy_name(f, "main", &args(None)), None);
        assert_eq!(legacy_name(f, "x", &args(Some("x"))), None);
    }
}
