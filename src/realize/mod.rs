//! The one realization core behind both front doors: the CLI engine
//! (`engine::plan` / `engine::apply`) and the Terraform provider
//! (`provider::core` / `provider::lifecycle`) plan a resource, apply one
//! step of it, refresh and import it through these functions only.
//!
//! - [`diff`]: which attributes changed, which of them force a new object,
//!   and the reasons users read (one implementation: null, `[]` and `{}` are
//!   the same; values known only after apply are not changes);
//! - [`step`]: create (never adopting), update, delete (only what the stack
//!   owns), refresh and import, each settling what the state must record
//!   afterwards, also after a failure (the fabric is read back).

pub mod diff;
pub mod step;

pub use diff::{changes, replace_reasons, sync_reason, AttrChange};
pub use step::{check_create, create, delete, import, refresh, update, Live, StepOutcome};
