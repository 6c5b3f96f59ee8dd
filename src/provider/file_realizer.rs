//! A fabric in one JSON file, shared by the several provider processes one
//! Terraform command starts: every call takes an exclusive `flock` on a
//! sidecar lock file, reads, changes and rewrites (atomically) the map of
//! objects by ID. A stand-in until the SQLite fabric of `backend::local`.

use super::realizer::{id_of, settle, RealizeError, Realizer};
use crate::graph::schema::Attrs;
use crate::graph::value::Value;
use crate::graph::Kind;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// The objects of the fabric file: ID → (Terraform type, attributes).
type Objects = BTreeMap<String, (String, serde_json::Value)>;

/// A [`Realizer`] over a JSON file at `path`.
#[derive(Debug, Clone)]
pub struct FileRealizer {
    path: PathBuf,
}

/// Holds an exclusive lock until dropped.
struct Lock(File);

impl Drop for Lock {
    fn drop(&mut self) {
        // SAFETY: flock on an open descriptor we own.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

impl FileRealizer {
    /// Uses (and creates on first write) the file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileRealizer { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, what: &str, e: impl std::fmt::Display) -> RealizeError {
        RealizeError::new(format!("{what} {}: {e}", self.path.display()))
    }

    fn lock(&self) -> Result<Lock, RealizeError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| self.err("creating the directory of", e))?;
        }
        let mut lock_path = self.path.clone().into_os_string();
        lock_path.push(".lock");
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| self.err("locking", e))?;
        // SAFETY: flock on an open descriptor we own; blocks until granted.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(self.err("locking", std::io::Error::last_os_error()));
        }
        Ok(Lock(f))
    }

    fn load(&self) -> Result<Objects, RealizeError> {
        match std::fs::read(&self.path) {
            Ok(bytes) if bytes.is_empty() => Ok(Objects::new()),
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| self.err("reading", e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Objects::new()),
            Err(e) => Err(self.err("reading", e)),
        }
    }

    fn store(&self, objects: &Objects) -> Result<(), RealizeError> {
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let bytes = serde_json::to_vec_pretty(objects).map_err(|e| self.err("writing", e))?;
        std::fs::write(&tmp, bytes).map_err(|e| self.err("writing", e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| self.err("writing", e))
    }

    /// Runs `f` on the objects under the lock, writing them back when it
    /// returns `Ok((true, _))`. Blocking file work runs off the async threads.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Objects) -> Result<(bool, T), RealizeError> + Send + 'static,
    ) -> Result<T, RealizeError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let _lock = this.lock()?;
            let mut objects = this.load()?;
            let (changed, out) = f(&mut objects)?;
            if changed {
                this.store(&objects)?;
            }
            Ok(out)
        })
        .await
        .map_err(|e| RealizeError::new(format!("fabric task failed: {e}")))?
    }
}

fn to_json(attrs: &Attrs) -> serde_json::Value {
    Value::Map(attrs.clone()).to_json()
}

fn from_json(j: &serde_json::Value) -> Attrs {
    match Value::from_json(j, false) {
        Value::Map(m) => m,
        _ => Attrs::new(),
    }
}

#[async_trait]
impl Realizer for FileRealizer {
    async fn create(&self, kind: Kind, planned: Attrs) -> Result<Attrs, RealizeError> {
        let id = id_of(kind, &planned)?;
        let attrs = settle(kind, planned)?;
        self.with(move |objects| {
            if objects.contains_key(&id) {
                return Err(RealizeError::new(format!(
                    "creating {id}: it already exists; import it into the state instead"
                )));
            }
            objects.insert(id, (kind.terraform_type().to_string(), to_json(&attrs)));
            Ok((true, attrs))
        })
        .await
    }

    async fn update(&self, kind: Kind, _prior: Attrs, planned: Attrs) -> Result<Attrs, RealizeError> {
        let id = id_of(kind, &planned)?;
        let attrs = settle(kind, planned)?;
        self.with(move |objects| {
            if !objects.contains_key(&id) {
                return Err(RealizeError::new(format!("updating {id}: it no longer exists")));
            }
            objects.insert(id, (kind.terraform_type().to_string(), to_json(&attrs)));
            Ok((true, attrs))
        })
        .await
    }

    async fn delete(&self, kind: Kind, prior: Attrs) -> Result<(), RealizeError> {
        let id = id_of(kind, &prior)?;
        self.with(move |objects| Ok((objects.remove(&id).is_some(), ()))).await
    }

    async fn read(&self, kind: Kind, id: &str) -> Result<Option<Attrs>, RealizeError> {
        let id = id.to_string();
        self.with(move |objects| {
            let found = objects
                .get(&id)
                .filter(|(t, _)| t == kind.terraform_type())
                .map(|(_, j)| from_json(j));
            Ok((false, found))
        })
        .await
    }
}
