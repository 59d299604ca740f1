//! intune-reach: which Intune users can really receive a custom notification, and why the others cannot.
//!
//! The pipeline runs one way (see `../shared/design/ARCHITECTURE.md`):
//! `source` -> [`inventory`] -> [`rules`] -> [`audit`] -> [`report`].
//! A source only produces an [`inventory::Inventory`]; nothing downstream knows where the data came from.

pub mod app;
pub mod audit;
pub mod cli;
pub mod error;
pub mod inventory;
pub mod report;
pub mod rules;
pub mod settings;
pub mod sim;
pub mod source;
