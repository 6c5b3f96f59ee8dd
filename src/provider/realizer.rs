//! What the provider needs from a backend: create, update, delete and read
//! one object at a time, over graph attributes. Planning never touches it.
//!
//! The engine (SQLite fabric, Azure) implements [`Realizer`]; until then
//! [`MemoryRealizer`] (tests) and [`super::file_realizer::FileRealizer`]
//! (a JSON file, so that several provider processes share one fabric) stand in.

use crate::graph::schema::Attrs;
use crate::graph::value::Value;
use crate::graph::Kind;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;

/// A backend failure, worded for the user (`retrieving <id>: <cause>`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct RealizeError {
    pub message: String,
    /// The object's state when it exists despite the failure (a create that
    /// half succeeded): Terraform records it as tainted.
    pub partial: Option<Attrs>,
}

impl RealizeError {
    pub fn new(message: impl Into<String>) -> Self {
        RealizeError {
            message: message.into(),
            partial: None,
        }
    }
}

/// Realizes planned resources. Every method gets and returns the complete
/// attributes of one resource (every schema key; nested blocks as lists of
/// maps); objects are identified by their `id` attribute, which planning has
/// already derived. Calls arrive concurrently.
#[async_trait]
pub trait Realizer: Send + Sync {
    /// Creates the object. `planned` may hold unknowns only for values the
    /// fabric reports (e.g. `peering_state`); the result must be wholly known
    /// and keep every known planned value.
    async fn create(&self, kind: Kind, planned: Attrs) -> Result<Attrs, RealizeError>;

    /// Changes an existing object in place (no `requires_replace` attribute
    /// differs from `prior`); same contract as `create`.
    async fn update(&self, kind: Kind, prior: Attrs, planned: Attrs) -> Result<Attrs, RealizeError>;

    /// Deletes the object; deleting what is already gone succeeds.
    async fn delete(&self, kind: Kind, prior: Attrs) -> Result<(), RealizeError>;

    /// The object as it is now, `None` when it is gone. Also serves import
    /// (by the ID the user gives) and the hub look-up data source.
    async fn read(&self, kind: Kind, id: &str) -> Result<Option<Attrs>, RealizeError>;
}

/// The ID of a complete resource, or an error naming the kind.
pub fn id_of(kind: Kind, attrs: &Attrs) -> Result<String, RealizeError> {
    attrs
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| RealizeError::new(format!("{} has no known id", kind.terraform_type())))
}

/// Fills what an emulated fabric reports after apply (a peering connects at
/// once) and refuses anything else left unknown.
pub fn settle(kind: Kind, mut attrs: Attrs) -> Result<Attrs, RealizeError> {
    if kind == Kind::Peering {
        for (k, v) in [("peering_state", "Connected"), ("peering_sync_level", "FullyInSync")] {
            if attrs.get(k).is_none_or(|x| x.is_unknown() || x.is_null()) {
                attrs.insert(k.to_string(), Value::str(v));
            }
        }
    }
    if let Some((k, _)) = attrs.iter().find(|(_, v)| !v.is_wholly_known()) {
        return Err(RealizeError::new(format!(
            "{}: `{k}` is still unknown at apply; a value it depends on was not known",
            kind.terraform_type()
        )));
    }
    Ok(attrs)
}

/// An in-memory fabric keyed by ID, for tests: it dies with the process.
#[derive(Debug, Default)]
pub struct MemoryRealizer {
    objects: Mutex<HashMap<String, (Kind, Attrs)>>,
}

impl MemoryRealizer {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Kind, Attrs)>> {
        self.objects.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Realizer for MemoryRealizer {
    async fn create(&self, kind: Kind, planned: Attrs) -> Result<Attrs, RealizeError> {
        let id = id_of(kind, &planned)?;
        let attrs = settle(kind, planned)?;
        let mut objects = self.lock();
        if objects.contains_key(&id) {
            return Err(RealizeError::new(format!(
                "creating {id}: it already exists; import it into the state instead"
            )));
        }
        objects.insert(id, (kind, attrs.clone()));
        Ok(attrs)
    }

    async fn update(&self, kind: Kind, _prior: Attrs, planned: Attrs) -> Result<Attrs, RealizeError> {
        let id = id_of(kind, &planned)?;
        let attrs = settle(kind, planned)?;
        self.lock().insert(id, (kind, attrs.clone()));
        Ok(attrs)
    }

    async fn delete(&self, kind: Kind, prior: Attrs) -> Result<(), RealizeError> {
        let id = id_of(kind, &prior)?;
        self.lock().remove(&id);
        Ok(())
    }

    async fn read(&self, kind: Kind, id: &str) -> Result<Option<Attrs>, RealizeError> {
        Ok(self.lock().get(id).filter(|(k, _)| *k == kind).map(|(_, a)| a.clone()))
    }
}
