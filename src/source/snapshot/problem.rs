//! What can be wrong with a snapshot, and where: the reader's problems, and the input errors they
//! become once the file name is added.
//!
//! The reader runs on several threads and meets problems of several kinds (a JSON error of the
//! scanner or of the parser, a check of ours, a read error); they are gathered here so that every
//! message has one shape (`FILE: line L, column C: <where>: <what>`), and positions reported by the
//! JSON parser inside one value are turned into positions in the file.

use std::fmt;
use std::io;
use std::path::Path;

use serde_json::error::Category;

use crate::error::Error;

/// Which part of the document was being read, for error messages.
#[derive(Debug, Clone, Copy, Default)]
pub(super) enum Context {
    #[default]
    Top,
    Key(&'static str),
    Device(usize),
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Context::Top => Ok(()),
            Context::Key(key) => write!(f, "`{key}`: "),
            Context::Device(i) => write!(f, "managedDevices[{i}]: "),
        }
    }
}

/// A place in the file: line and column as the JSON parser counts them (from 1; the column counts
/// bytes, and names the byte just read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pos {
    pub(super) line: usize,
    pub(super) column: usize,
}

/// Where a value starts: its line, and the bytes before it on that line.
#[derive(Debug, Clone, Copy)]
pub(super) struct Origin {
    pub(super) line: usize,
    pub(super) column: usize,
}

impl Origin {
    /// The place in the file of a place the JSON parser reports inside the value.
    fn shift(self, line: usize, column: usize) -> Pos {
        if line <= 1 {
            Pos { line: self.line, column: self.column + column }
        } else {
            Pos { line: self.line + line - 1, column }
        }
    }
}

/// Why reading stopped; an [`Error`] once the file name is added.
#[derive(Debug)]
pub(super) enum Problem {
    /// A JSON error (the scanner's or the parser's), with where it was found.
    Json {
        at: Option<Pos>,
        context: Context,
        category: Category,
        what: String,
    },
    /// A message of ours, complete with its context.
    Own {
        at: Option<Pos>,
        message: String,
    },
    Read(io::Error),
    Empty,
    Utf16,
    /// The reader stopped because a parsing thread met a problem (which is the one reported).
    Stopped,
}

impl Problem {
    /// A JSON parser's error inside a value that starts at `origin`.
    pub(super) fn from_serde(err: &serde_json::Error, origin: Origin, context: Context) -> Problem {
        let text = err.to_string();
        let suffix = format!(" at line {} column {}", err.line(), err.column());
        let what = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
        let at = (err.line() > 0).then(|| origin.shift(err.line(), err.column()));
        Problem::Json { at, context, category: err.classify(), what }
    }

    /// Turns it into an input error: `line L, column C: <where>: <what>`.
    pub(super) fn into_error(self, path: &Path) -> Error {
        let position = |at: Option<Pos>| match at {
            Some(at) => format!("line {}, column {}: ", at.line, at.column),
            None => String::new(),
        };
        match self {
            Problem::Json { at, context, category, what } => {
                let what = match category {
                    Category::Eof => {
                        format!("the file ends before the JSON document does (is it truncated?): {what}")
                    }
                    Category::Syntax if what.starts_with("invalid unicode code point") => {
                        format!("{what} (a snapshot must be valid UTF-8)")
                    }
                    Category::Syntax => format!("not valid JSON: {what}"),
                    _ => what,
                };
                Error::input(path, format!("{}{context}{what}", position(at)))
            }
            Problem::Own { at, message } => Error::input(path, format!("{}{message}", position(at))),
            Problem::Read(e) => Error::input(path, format!("cannot read: {e}")),
            Problem::Empty => empty_file(path),
            Problem::Utf16 => Error::input(path, "the file is UTF-16 encoded; a snapshot is UTF-8 JSON"),
            Problem::Stopped => Error::input(path, "could not be read whole"),
        }
    }
}

pub(super) fn empty_file(path: &Path) -> Error {
    Error::input(path, "empty file: expected an intune-reach snapshot (a JSON object written by `intune-reach fetch`)")
}
