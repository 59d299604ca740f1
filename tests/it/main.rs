//! Integration tests: one test binary (as ripgrep does), driving the `intune-reach` binary.

mod browser;
mod docs;
mod edges;
mod export_jobs;
mod graph;
mod harness;
mod layout;
mod offline;
mod reports;
mod send;
mod sign_in;
