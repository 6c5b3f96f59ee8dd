//! The objects of the plan this provider process serves. Terraform starts
//! one provider process per graph walk and plans every resource of the
//! configuration in it, dependencies first, up to ten at a time; each
//! PlanResourceChange and data source read records its object here, by ID,
//! so cross-resource rules see the plan as planned rather than the fabric
//! as it was.

use crate::graph::{Attrs, Kind};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// One object of the plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// Planned to exist with these attributes (created, updated or unchanged).
    Planned { kind: Kind, attrs: Arc<Attrs> },
    /// Planned for destroy; the attributes it had.
    Destroyed { kind: Kind, prior: Arc<Attrs> },
}

impl Entry {
    pub fn kind(&self) -> Kind {
        match self {
            Entry::Planned { kind, .. } | Entry::Destroyed { kind, .. } => *kind,
        }
    }

    /// The attributes while it is planned to exist.
    pub fn live(&self) -> Option<&Attrs> {
        match self {
            Entry::Planned { attrs, .. } => Some(attrs),
            Entry::Destroyed { .. } => None,
        }
    }

    /// The attributes it has or had.
    pub fn attrs(&self) -> &Attrs {
        match self {
            Entry::Planned { attrs, .. } => attrs,
            Entry::Destroyed { prior, .. } => prior,
        }
    }
}

/// The store as one record left it, by ID.
pub type Snapshot = BTreeMap<String, Entry>;

/// The plan's objects. Cheap to share; every method takes the lock once.
#[derive(Debug, Default)]
pub struct PlanStore {
    objects: Mutex<Snapshot>,
    /// IDs of resources planned in this walk, and whether a create claimed
    /// them (for `duplicate-id`).
    planned_ids: Mutex<std::collections::HashMap<String, bool>>,
}

impl PlanStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes that a resource with `id` is planned in this walk (`create`:
    /// as a new object, else as the object its prior state names); `false`
    /// when another resource of the walk claims the same ID (Azure compares
    /// IDs without case): two creates, or a create and an existing object.
    /// Plans of one existing object agree on its ID; the create half of a
    /// replacement is not noted again by the caller.
    pub fn first_with_id(&self, id: &str, create: bool) -> bool {
        let mut ids = self.planned_ids.lock().unwrap_or_else(|e| e.into_inner());
        match ids.insert(id.to_ascii_lowercase(), create) {
            None => true,
            Some(earlier) => !earlier && !create,
        }
    }

    /// Forgets that `id` was planned: its resource was applied, which ends
    /// its part in this walk (the gRPC tests also drive several walks
    /// through one process).
    pub fn applied(&self, id: &str) {
        let mut ids = self.planned_ids.lock().unwrap_or_else(|e| e.into_inner());
        ids.remove(&id.to_ascii_lowercase());
    }

    /// Records `entry` under `id` (replacing what an earlier plan of it
    /// recorded) and returns the store as it is right after: one critical
    /// section, so of two records racing, the later's snapshot holds the
    /// earlier.
    pub fn record(&self, id: &str, entry: Entry) -> Snapshot {
        self.record_over(id, entry).1
    }

    /// [`record`](Self::record), also returning what the entry replaced.
    pub fn record_over(&self, id: &str, entry: Entry) -> (Option<Entry>, Snapshot) {
        let mut objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        let was = objects.insert(id.to_string(), entry);
        (was, objects.clone())
    }

    /// Takes a record back (a plan that failed is no part of the plan):
    /// `was` is what it replaced.
    pub fn withdraw(&self, id: &str, was: Option<Entry>) {
        let mut objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        match was {
            Some(e) => objects.insert(id.to_string(), e),
            None => objects.remove(id),
        };
    }

    /// The store as it is now.
    pub fn snapshot(&self) -> Snapshot {
        self.objects.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Value;

    fn attrs(n: i64) -> Arc<Attrs> {
        Arc::new(Attrs::from([("n".to_string(), Value::Number(n))]))
    }

    #[test]
    fn a_record_replaces_and_a_destroy_leaves_a_tombstone() {
        let s = PlanStore::new();
        let kind = Kind::Hub;
        s.record("a", Entry::Planned { kind, attrs: attrs(1) });
        let snap = s.record("a", Entry::Planned { kind, attrs: attrs(2) });
        assert_eq!(snap["a"].live(), Some(&*attrs(2)));
        let snap = s.record("a", Entry::Destroyed { kind, prior: attrs(2) });
        assert_eq!(snap["a"].live(), None);
        assert_eq!(snap["a"].attrs(), &*attrs(2));
        assert_eq!(s.snapshot().len(), 1);
        let (was, _) = s.record_over("a", Entry::Planned { kind, attrs: attrs(3) });
        s.withdraw("a", was);
        assert_eq!(s.snapshot()["a"].live(), None);
        let (was, _) = s.record_over("b", Entry::Planned { kind, attrs: attrs(3) });
        s.withdraw("b", was);
        assert!(!s.snapshot().contains_key("b"));
    }

    #[test]
    fn of_concurrent_records_each_later_one_sees_the_earlier() {
        let s = Arc::new(PlanStore::new());
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let s = s.clone();
                std::thread::spawn(move || {
                    let kind = Kind::Hub;
                    s.record(&format!("{i}"), Entry::Planned { kind, attrs: attrs(i) })
                        .len()
                })
            })
            .collect();
        let mut sizes: Vec<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        sizes.sort();
        // Each snapshot holds every record before it: sizes 1..=8, once each.
        assert_eq!(sizes, (1..=8).collect::<Vec<_>>());
    }
}
