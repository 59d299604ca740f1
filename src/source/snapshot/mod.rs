//! Reads a snapshot file (the README's "Snapshot format") into an [`Inventory`], and writes one.
//!
//! A snapshot of a million devices is about 690 MB, more than the inventory built from it, and the
//! whole audit has to fit in 1 GB. A mapped or wholly read file counts in the resident set for as
//! long as the load runs, so the reader streams it instead, holding a few megabytes of it at a time:
//! - `file.rs` opens the snapshot (a `.zst` one is decompressed as it is read) and writes one;
//! - `input.rs` reads it with plain reads into one reused buffer of `CHUNK` bytes, and `scan.rs`, a
//!   small structural scanner (in a string or not, escapes, the nesting of brackets, counting lines),
//!   finds the bytes of each value there;
//! - `reader.rs` walks the top-level object with them, and `schema.rs` knows what each key means and
//!   checks it; the keys of the document may come in any order;
//! - `pipeline.rs` runs the threads: the elements of `managedDevices` are copied out in batches to
//!   parsing threads (one per core, up to four), which deserialize each as a `GraphDevice` borrowing
//!   its strings from the batch and normalise it at once, so no list of raw devices is ever held; one
//!   more thread adds them to the inventory in the order of the file (the duplicate check and its
//!   index). Channels of a few batches join the stages, so memory stays bounded; scanning, parsing
//!   and collecting overlap;
//! - `problem.rs` turns what went wrong into an input error naming the file and the place in it;
//! - `document.rs` is the owned [`Snapshot`] that `fetch` and `sim snapshot` write.
//!
//! Checks, each an input error (exit 2) naming the file and, where it can be known, the line and
//! column in the file: `kind` must be `intune-reach.snapshot`; `version` must be 1; `managedDevices`
//! must be there (it may be empty); every device needs an `id`; a key may not appear twice. The
//! scanner reports what is wrong between values (a missing comma, trailing characters, a truncated
//! file, a top-level value that is not an object) the way the JSON parser would; what is wrong inside
//! a value (invalid UTF-8 in a string, a bad escape, a wrong type) is reported by the JSON parser,
//! its position shifted to where the value starts in the file. When several things are wrong, the
//! first in the file is reported, whichever thread finds it. `complete` is optional, but a snapshot
//! that does not say it is complete is treated as incomplete (and a gap says so). Unknown top-level
//! keys are ignored, and so are unknown device fields; enum-like values that intune-reach does not
//! know are kept as they are.
//!
//! Why a scanner of our own (measured on a million devices, 693 MB, on the project's two cores:
//! paired runs of the load alone, medians of 5 to 7, against this reader): serde_json reading the
//! file through `io::Read`, with a `DeserializeSeed` for the document and each device taken as a
//! `RawValue` to be parsed on the worker threads, took 1.65 times as long (1.62 times the CPU, 0.98
//! times the peak memory), and 1.84 times when the devices are deserialized on the reading thread:
//! serde_json's reader takes a byte at a time, and the reading thread is then the bottleneck.
//! Keeping the chunks and letting serde_json find where each value ends (a `StreamDeserializer` over
//! the buffer) in place of `scan.rs` took 1.03 to 1.12 times as long in two series (CPU 1.03 to 1.06,
//! peak memory 1.04) before it counted lines or placed errors, which it would need as well; it
//! would keep everything else here and replace only the scanner's 200 lines. simd-json and sonic-rs
//! parse a document held whole in memory. The bar to replace this reader was 10 % in time and in
//! memory.

use std::path::Path;

use crate::error::Error;
use crate::inventory::Inventory;

mod document;
mod file;
mod input;
mod pipeline;
mod problem;
mod reader;
mod scan;
mod schema;
#[cfg(test)]
mod tests;

pub use document::{Snapshot, SnapshotSource, SNAPSHOT_KIND, SNAPSHOT_VERSION};
pub use file::write;

/// Bytes read from the file at a time.
const CHUNK: usize = 8 << 20;

/// Reads the snapshot at `path` (zstd-compressed when its name ends in `.zst`).
pub fn load(path: &Path) -> Result<Inventory, Error> {
    let opened = file::open(path)?;
    pipeline::read_snapshot(opened.json, opened.size, path, CHUNK)
}
