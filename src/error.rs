//! The library's error type. Every error knows which exit code it maps to (README, "Exit codes"):
//! 2 for usage, configuration and input files, 3 for the source (sign-in, network, Graph, a partial read).

use std::path::PathBuf;

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
    /// The source could not be read whole: sign-in, network, Graph errors (exit 3).
    #[error("{0}")]
    Source(String),
    /// Writing reports failed (exit 2: the output folder is the user's input).
    #[error("cannot write {}: {source}", path.display())]
    Output { path: PathBuf, source: std::io::Error },
}

impl Error {
    pub fn input(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Input { path: path.into(), message: message.into() }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::Input { .. } | Error::Output { .. } => exit::INPUT,
            Error::Source(_) => exit::SOURCE,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
