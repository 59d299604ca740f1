//! The snapshot on disk: opening one for the reader and writing one, as plain JSON or, when the
//! file name ends in `.zst`, zstd-compressed.
//!
//! A compressed snapshot is decompressed as it is read, into the same streaming reader, so it never
//! has to fit in memory either; line and column in messages count in the JSON. Damaged compressed
//! data is refused by the decoder, or shows as the JSON error it decompresses to, or, once the
//! whole file is read, as a wrong checksum (`write` adds one). A snapshot is written to a temporary
//! file in the same folder and renamed into place, so a reader never sees half a file and a failed
//! write leaves the old one as it was.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use serde::Serialize;

use super::document::Snapshot;
use super::problem::empty_file;
use crate::error::Error;
use crate::output;

/// The zstd level `write` compresses at: zstd's default, fast enough to keep up with the JSON
/// writer.
const ZSTD_LEVEL: i32 = 3;

/// Whether the snapshot at `path` is zstd-compressed: its name ends in `.zst` (in any case).
fn is_compressed(path: &Path) -> bool {
    path.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("zst"))
}

/// The JSON of an opened snapshot, and its size in bytes when that is known (0 otherwise; it only
/// sizes the device list up front).
pub(super) struct Opened {
    pub(super) json: Box<dyn Read>,
    pub(super) size: u64,
}

/// Opens the snapshot at `path` for reading (a `.zst` one is decompressed as it is read).
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
    if !is_compressed(path) {
        return Ok(Opened { json: Box::new(file), size });
    }
    let json = Zstd::new(file).map_err(|e| Error::input(path, format!("cannot read: {e}")))?;
    // The size of the JSON is not in the file (the writer streams it): a snapshot compresses about
    // five times at zstd's default level.
    Ok(Opened { json: Box::new(json), size: size.saturating_mul(5) })
}

fn open_error(path: &Path, e: &io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::NotFound => Error::input(path, "no such file"),
        io::ErrorKind::PermissionDenied => Error::input(path, "permission denied: cannot read this file"),
        _ => Error::input(path, format!("cannot open: {e}")),
    }
}

/// The JSON of a zstd-compressed snapshot, decompressed as it is read; an error in the compressed
/// data says so.
pub(super) struct Zstd<R: Read>(zstd::stream::read::Decoder<'static, BufReader<Compressed<R>>>);

impl<R: Read> Zstd<R> {
    pub(super) fn new(compressed: R) -> io::Result<Self> {
        zstd::stream::read::Decoder::new(Compressed { inner: compressed, failed: false }).map(Zstd)
    }
}

impl<R: Read> Read for Zstd<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::Interrupted || self.0.get_ref().get_ref().failed {
                e
            } else if e.kind() == io::ErrorKind::UnexpectedEof {
                io::Error::new(e.kind(), "the compressed data ends early (is the file truncated?)")
            } else {
                io::Error::new(e.kind(), format!("not valid zstd data ({e})"))
            }
        })
    }
}

/// The compressed bytes, noting whether reading them failed: an error of the decoder is then told
/// from one of the file.
struct Compressed<R> {
    inner: R,
    failed: bool,
}

impl<R: Read> Read for Compressed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf);
        self.failed = read.as_ref().is_err_and(|e| e.kind() != io::ErrorKind::Interrupted);
        read
    }
}

/// Writes `snapshot` to `path`: zstd-compressed when the name ends in `.zst`, plain JSON otherwise;
/// through a temporary file in the same folder, renamed into place.
pub fn write<D: Serialize>(path: &Path, snapshot: &Snapshot<D>) -> Result<(), Error> {
    let compressed = is_compressed(path);
    output::write_file(path, |out| write_to(out, compressed, snapshot))
}

/// `out` is already buffered ([`output::PendingFile`]).
fn write_to<D: Serialize>(out: &mut dyn Write, compressed: bool, snapshot: &Snapshot<D>) -> io::Result<()> {
    const BUFFER: usize = 1 << 20;
    if !compressed {
        return serde_json::to_writer(out, snapshot).map_err(io::Error::from);
    }
    let mut encoder = zstd::stream::write::Encoder::new(out, ZSTD_LEVEL)?;
    // A checksum makes a damaged file an error rather than different devices.
    encoder.include_checksum(true)?;
    // The JSON comes a few bytes at a time: buffered, the encoder gets it in large pieces (this
    // halves the time to write a million devices).
    write_json(BufWriter::with_capacity(BUFFER, encoder), snapshot)?.finish()?;
    Ok(())
}

/// Writes the JSON of `snapshot` through `out`; what was behind the buffer, all written to.
fn write_json<W: Write, D: Serialize>(mut out: BufWriter<W>, snapshot: &Snapshot<D>) -> io::Result<W> {
    serde_json::to_writer(&mut out, snapshot)?;
    out.into_inner().map_err(io::IntoInnerError::into_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Inventory;
    use crate::source::snapshot::load;
    use crate::source::test_support::mutate;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use std::path::PathBuf;

    /// The zstd frame's first bytes.
    const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

    fn tenant(devices: usize) -> Snapshot {
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap();
        crate::sim::generator::generate(devices, 7, now).to_snapshot("2026-11-26T00:00:00Z".into(), "simulated")
    }

    /// `inventory` as text, with the file name left out of its description.
    fn without_path(mut inventory: Inventory, path: &Path) -> String {
        inventory.source.description = inventory.source.description.replace(&path.display().to_string(), "FILE");
        format!("{inventory:?}")
    }

    /// The message of loading `bytes` written to a file called `name`, and that file's path.
    fn load_error(name: &str, bytes: &[u8]) -> (String, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let error = load(&path).unwrap_err();
        assert_eq!(error.exit_code(), 2, "{error}");
        assert!(matches!(&error, Error::Input { path: named, .. } if *named == path), "{error:?}");
        (error.to_string(), path)
    }

    fn zstd_bytes(json: &[u8]) -> Vec<u8> {
        zstd::stream::encode_all(json, ZSTD_LEVEL).unwrap()
    }

    #[test]
    fn a_compressed_snapshot_reads_as_the_plain_one() {
        let dir = tempfile::tempdir().unwrap();
        let snapshot = tenant(3000);
        let plain = dir.path().join("tenant.json");
        let compressed = dir.path().join("tenant.json.ZST");
        write(&plain, &snapshot).unwrap();
        write(&compressed, &snapshot).unwrap();
        let plain_bytes = std::fs::read(&plain).unwrap();
        let compressed_bytes = std::fs::read(&compressed).unwrap();
        assert_eq!(plain_bytes, serde_json::to_vec(&snapshot).unwrap());
        assert!(compressed_bytes.starts_with(&ZSTD_MAGIC));
        assert!(compressed_bytes.len() * 5 < plain_bytes.len(), "{} of {}", compressed_bytes.len(), plain_bytes.len());
        assert_eq!(zstd::stream::decode_all(&compressed_bytes[..]).unwrap(), plain_bytes);

        let from_plain = load(&plain).unwrap();
        assert_eq!(from_plain.devices.len(), 3000);
        assert!(!from_plain.groups.is_empty() && from_plain.devices.iter().any(|d| !d.apps.is_empty()));
        assert_eq!(without_path(load(&compressed).unwrap(), &compressed), without_path(from_plain, &plain));
        // Only the two snapshots are left in the folder: no temporary file.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn write_replaces_a_file_and_names_a_folder_it_cannot_write_to() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tenant.json");
        std::fs::write(&path, b"old").unwrap();
        let snapshot = tenant(10);
        write(&path, &snapshot).unwrap();
        assert_eq!(load(&path).unwrap().devices.len(), 10);
        let missing = dir.path().join("no such folder").join("tenant.json.zst");
        let error = write(&missing, &snapshot).unwrap_err();
        assert!(matches!(&error, Error::Output { path, .. } if *path == missing), "{error:?}");
        assert_eq!(error.exit_code(), 2);
    }

    #[test]
    fn positions_in_a_compressed_snapshot_count_in_the_json() {
        let json = b"{\"kind\": \"intune-reach.snapshot\", \"version\": 1,\n\"managedDevices\": [\n  {\"id\": \"a\"}, {\"deviceName\": \"x\"}\n]}";
        let (message, path) = load_error("tenant.json.zst", &zstd_bytes(json));
        let expected = format!("{}: line 3, column 34: managedDevices[1]: device without `id`", path.display());
        assert_eq!(message, expected);
        let (message, path) = load_error("empty.json.zst", &zstd_bytes(b""));
        assert!(message.starts_with(&format!("{}: empty file", path.display())), "{message}");
    }

    #[test]
    fn a_corrupt_compressed_snapshot_is_an_input_error_naming_the_file() {
        let (message, path) = load_error("tenant.json.zst", b"{\"kind\": \"intune-reach.snapshot\"}");
        assert_eq!(message, format!("{}: cannot read: not valid zstd data (Unknown frame descriptor)", path.display()));
        let dir = tempfile::tempdir().unwrap();
        let written = dir.path().join("written.json.zst");
        write(&written, &tenant(50)).unwrap();
        let mut bytes = std::fs::read(&written).unwrap();
        // The checksum `write` adds is the last four bytes: the JSON reads whole, then the check fails.
        let last = bytes.len() - 1;
        bytes[last] ^= 0x5A;
        let (message, path) = load_error("tenant.json.zst", &bytes);
        let expected =
            format!("{}: cannot read: not valid zstd data (Restored data doesn't match checksum)", path.display());
        assert_eq!(message, expected);
        // Damage inside the data may decompress to other JSON, found wrong before the checksum is
        // reached: an input error naming the file all the same.
        let middle = bytes.len() / 2;
        for byte in &mut bytes[middle..middle + 8] {
            *byte ^= 0x5A;
        }
        load_error("tenant.json.zst", &bytes);
    }

    #[test]
    fn a_truncated_compressed_snapshot_is_an_input_error_naming_the_file() {
        let bytes = zstd_bytes(&serde_json::to_vec(&tenant(50)).unwrap());
        let (message, path) = load_error("tenant.json.zst", &bytes[..bytes.len() / 2]);
        let expected =
            format!("{}: cannot read: the compressed data ends early (is the file truncated?)", path.display());
        assert_eq!(message, expected);
    }

    proptest! {
        /// Damaged compressed data is read or refused as an input error naming the file, never a panic.
        #[test]
        fn mutated_compressed_snapshots_load_or_name_the_file(
            edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..4),
        ) {
            let json = include_bytes!("../../../tests/fixtures/snapshot-small.json");
            let bytes = mutate(zstd_bytes(json), &edits);
            let path = Path::new("fuzz.json.zst");
            let read = Zstd::new(&bytes[..])
                .map_err(|e| Error::input(path, format!("cannot read: {e}")))
                .and_then(|json| super::super::pipeline::read_snapshot(json, 0, path, 64));
            if let Err(error) = read {
                prop_assert_eq!(error.exit_code(), 2);
                prop_assert!(matches!(&error, Error::Input { path: named, .. } if named == path), "{:?}", error);
            }
        }
    }
}
