//! The snapshot on disk: opening one for the reader.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::problem::empty_file;
use crate::error::Error;

/// The JSON of an opened snapshot, and its size in bytes when that is known (0 otherwise; it only
/// sizes the device list up front).
pub(super) struct Opened {
    pub(super) json: Box<dyn Read>,
    pub(super) size: u64,
}

/// Opens the snapshot at `path` for reading.
pub(super) fn open(path: &Path) -> Result<Opened, Error> {
    let file = File::open(path).map_err(|e| open_error(path, &e))?;
    let meta = file.metadata().map_err(|e| Error::input(path, format!("cannot read: {e}")))?;
    if meta.is_dir() {
        return Err(Error::input(path, "is a directory, not a snapshot file"));
    }
    if meta.is_file() && meta.len() == 0 {
        return Err(empty_file(path));
    }
    // A regular file has a size; a pipe has none.
    let size = if meta.is_file() { meta.len() } else { 0 };
    Ok(Opened { json: Box::new(file), size })
}

fn open_error(path: &Path, e: &io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::NotFound => Error::input(path, "no such file"),
        io::ErrorKind::PermissionDenied => Error::input(path, "permission denied: cannot read this file"),
        _ => Error::input(path, format!("cannot open: {e}")),
    }
}
