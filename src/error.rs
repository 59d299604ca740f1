//! The library's error type. Every error knows which exit code it maps to (README, "Exit codes"):
//! 2 for usage, configuration, input files and output, 3 for the source (sign-in, network, Graph, a
//! partial read) and for the run's own machinery.

use std::fmt;
use std::path::PathBuf;

pub use crate::source::graph::GraphError;

/// Exit codes of the command line, as the contract fixes them.
pub mod exit {
    pub const OK: i32 = 0;
    pub const GATE_FAILED: i32 = 1;
    pub const INPUT: i32 = 2;
    pub const SOURCE: i32 = 3;
    /// Stopped by Ctrl-C (the shell's 128 + SIGINT).
    pub const INTERRUPTED: i32 = 130;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad option value or configuration (exit 2).
    #[error("{0}")]
    Usage(String),
    /// An input file that cannot be read or parsed (exit 2). `location` is e.g. "line 12, field `OS`".
    #[error("{}: {message}", path.display())]
    Input { path: PathBuf, message: String },
    /// A request to Graph or to the sign-in endpoint failed for good, or its answer could not be used
    /// (exit 3).
    #[error(transparent)]
    Graph(Box<GraphError>),
    /// The inventory was read, but not whole (exit 3).
    #[error(transparent)]
    Incomplete(Incomplete),
    /// The run's own machinery failed: the async runtime or the HTTP client could not start, a reading
    /// task stopped (exit 3). `what` says which, e.g. "cannot start the async runtime".
    #[error("{what}: {source}")]
    Runtime { what: &'static str, source: Box<dyn std::error::Error + Send + Sync> },
    /// Writing reports failed (exit 2: the output folder is the user's input).
    #[error("cannot write {}: {source}", path.display())]
    Output { path: PathBuf, source: std::io::Error },
}

/// An inventory that could not be read whole, and what was done with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incomplete {
    /// Which inventory, e.g. "Microsoft Graph tenant t", when known.
    pub inventory: Option<String>,
    /// What could not be read, one sentence each.
    pub gaps: Vec<String>,
    /// The snapshot written anyway, marked incomplete; `None`: no report was written.
    pub written: Option<PathBuf>,
}

impl fmt::Display for Incomplete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the inventory")?;
        if let Some(inventory) = &self.inventory {
            write!(f, " ({inventory})")?;
        }
        f.write_str(" could not be read whole")?;
        if !self.gaps.is_empty() {
            write!(f, ": {}", self.gaps.join("; "))?;
        }
        match &self.written {
            Some(path) => write!(f, ". {} is marked incomplete (`\"complete\": false`)", path.display()),
            None => {
                f.write_str(". No report was written; rerun with --allow-incomplete to write reports marked incomplete")
            }
        }
    }
}

impl std::error::Error for Incomplete {}

impl Error {
    pub fn input(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Input { path: path.into(), message: message.into() }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::Input { .. } | Error::Output { .. } => exit::INPUT,
            Error::Graph(_) | Error::Incomplete(_) | Error::Runtime { .. } => exit::SOURCE,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incomplete_says_what_is_missing_and_what_was_kept() {
        let gaps = vec!["Graph counts 60 devices but the listing returned 57".to_owned()];
        let fetched = Incomplete { inventory: None, gaps: gaps.clone(), written: Some("snap.json".into()) };
        assert_eq!(
            fetched.to_string(),
            "the inventory could not be read whole: Graph counts 60 devices but the listing returned 57. \
             snap.json is marked incomplete (`\"complete\": false`)"
        );
        let audit = Error::Incomplete(Incomplete { inventory: Some("demo".into()), gaps, written: None });
        assert_eq!(audit.exit_code(), exit::SOURCE);
        assert!(audit.to_string().starts_with("the inventory (demo) could not be read whole: Graph counts"));
        assert!(audit.to_string().ends_with("rerun with --allow-incomplete to write reports marked incomplete"));
    }
}
