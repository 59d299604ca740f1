//! intune-reach: which Intune users can really receive a custom notification, and why the others cannot.
//!
//! The pipeline runs one way (see `docs/architecture.md`):
//! [`source`] -> [`inventory`] -> [`rules`] -> [`audit`] -> [`report`].
//! A source only produces an [`inventory::Inventory`]; nothing downstream knows where the data came from.
//! [`changes`] compares an audit with an earlier one. [`app`] wires a parsed command line ([`cli`]) to
//! the pipeline and draws its [`progress`]; [`sim`] is the simulated tenant.

pub mod app;
pub mod audit;
pub mod changes;
pub mod cli;
pub mod config;
pub mod doctor;
pub mod error;
pub mod interrupt;
pub mod inventory;
pub mod output;
pub mod progress;
pub mod report;
pub mod rules;
pub mod sim;
pub mod source;
