//! Sources: each produces an [`crate::inventory::Inventory`] and nothing else.

pub mod graph;
pub mod intune_export;
pub mod snapshot;
