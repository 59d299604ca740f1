//! Integration tests: one test binary (as ripgrep does), driving the `intune-reach` binary.

mod graph;
mod harness;
mod offline;
