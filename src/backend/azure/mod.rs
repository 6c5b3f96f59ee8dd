//! `azure`: Azure Resource Manager through `azure_mgmt_network` and
//! `azure_identity` (feature `azure`). [`config`] is plain data and always
//! compiled.

pub mod config;

pub use config::{AzureConfig, Cloud, CredentialSource, OidcToken, Secret};
