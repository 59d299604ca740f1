//! Reads a snapshot file (CONTRACT.md "Snapshot format") into an [`Inventory`].
//!
//! A snapshot of a million devices is about 660 MB, more than the inventory built from it, and the
//! whole audit has to fit in 1 GB. A mapped or wholly read file counts in the resident set for as
//! long as the load runs, so the reader streams it instead, holding a few megabytes of it at a time:
//! - the file is read with plain reads into one reused buffer of [`CHUNK`] bytes;
//! - a small structural scanner (in a string or not, escapes, the nesting of brackets, counting
//!   lines) walks the top-level object and finds the bytes of each value. A value that runs past
//!   the end of the buffer is moved to its front and the rest read behind it (the buffer grows for a
//!   value larger than a chunk, and shrinks back after it), so every value is parsed from one slice;
//! - the elements of `managedDevices` are copied out in batches of [`BATCH`] to parsing threads
//!   (one per core, up to [`MAX_PARSERS`]), which deserialize each as a [`GraphDevice`] borrowing its
//!   strings from the batch and normalise it at once ([`InventoryBuilder::normalise`]), so no list
//!   of raw devices is ever held; one more thread adds them to the inventory in the order of the
//!   file ([`InventoryBuilder::push`]: the duplicate check and its index). Channels of a few batches
//!   join the stages, so memory stays bounded; scanning, parsing and collecting overlap;
//! - `detectedApps` and `groups` are lists too, and can be large (`groups` holds every member of
//!   every group): each element is parsed on its own. A group is kept as the inventory keeps it at
//!   once; the detected apps go to the collecting thread once they and all the devices are read, to
//!   be attached while the reader reads on. So the keys of the document may come in any order.
//!   The other top-level values are small and parsed whole.
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

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Mutex;

use serde::de::{self, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::de::SliceRead;
use serde_json::error::Category;

use crate::error::Error;
use crate::inventory::build::{normalise, Interner, InventoryBuilder};
use crate::inventory::{Device, Inventory, SourceInfo};
use crate::source::wire::{lenient, GraphDetectedApp, GraphDevice, GraphGroup};

mod document;
pub use document::{Snapshot, SnapshotSource, SNAPSHOT_KIND, SNAPSHOT_VERSION};

/// Bytes read from the file at a time.
const CHUNK: usize = 8 << 20;

/// Reads the snapshot at `path`.
pub fn load(path: &Path) -> Result<Inventory, Error> {
    let file = File::open(path).map_err(|e| open_error(path, &e))?;
    let meta = file.metadata().map_err(|e| Error::input(path, format!("cannot read: {e}")))?;
    if meta.is_dir() {
        return Err(Error::input(path, "is a directory, not a snapshot file"));
    }
    if meta.is_file() && meta.len() == 0 {
        return Err(empty_file(path));
    }
    // The size (of a regular file; a pipe has none) only sizes the device list up front.
    let size = if meta.is_file() { meta.len() } else { 0 };
    read_snapshot(file, size, path, CHUNK)
}

fn open_error(path: &Path, e: &io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::NotFound => Error::input(path, "no such file"),
        io::ErrorKind::PermissionDenied => Error::input(path, "permission denied: cannot read this file"),
        _ => Error::input(path, format!("cannot open: {e}")),
    }
}

fn empty_file(path: &Path) -> Error {
    Error::input(path, "empty file: expected an intune-reach snapshot (a JSON object written by `intune-reach fetch`)")
}

/// Reads a snapshot from `source`, `chunk` bytes at a time (`size`, when known, is the number of
/// bytes it holds; `path` only names the file in messages and the description).
fn read_snapshot<R: Read>(source: R, size: u64, path: &Path, chunk: usize) -> Result<Inventory, Error> {
    let workers = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, MAX_PARSERS);
    read_snapshot_with(source, size, path, chunk, workers)
}

/// [`read_snapshot`] with `workers` threads parsing devices.
///
/// Three stages: this thread reads and scans the file, and hands the devices' bytes on in batches;
/// `workers` threads parse and normalise them; one more adds them to the inventory in the order of
/// the file (the duplicate check and its index). At most a few batches are ever waiting. The first
/// problem in the order of the file wins: a device's, found by a worker, comes before anything this
/// thread finds after it (it stops at its first problem, and hands on what it read before).
fn read_snapshot_with<R: Read>(
    source: R,
    size: u64,
    path: &Path,
    chunk: usize,
    workers: usize,
) -> Result<Inventory, Error> {
    let failed = AtomicBool::new(false);
    let (to_workers, batches) = mpsc::sync_channel::<Batch>(2 * workers);
    let batches = Mutex::new(batches);
    let (to_collector, parsed) = mpsc::sync_channel::<ToCollector>(2 * workers + 2);
    std::thread::scope(|scope| {
        let (failed, batches) = (&failed, &batches);
        let parsers: Vec<_> = (0..workers)
            .map(|_| {
                let to_collector = to_collector.clone();
                scope.spawn(move || parse_batches(batches, &to_collector, failed))
            })
            .collect();
        let collector = scope.spawn(move || collect(parsed, size, failed));
        let mut reader = Reader {
            input: Input::new(source, chunk),
            state: State::new(),
            batch: Batch::default(),
            sent: 0,
            to_workers: Some(to_workers),
            to_collector: Some(to_collector),
            failed,
        };
        let read = reader.document();
        // The devices read before a problem may hold an earlier one: they are parsed all the same.
        let _ = reader.send_batch();
        reader.to_workers = None;
        reader.to_collector = None;
        for parser in parsers {
            parser.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
        let (builder, problem) = collector.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let Reader { input, state, .. } = reader;
        // The read buffer is not needed any more: let it go before the inventory is finished.
        drop(input);
        match (problem, read) {
            (Some(problem), _) | (None, Err(problem)) => Err(problem.into_error(path)),
            (None, Ok(())) => state.finish(path, builder),
        }
    })
}

/// Devices per batch handed from the reading thread to a parsing one.
const BATCH: usize = 1024;
/// The most threads parsing devices.
const MAX_PARSERS: usize = 4;
/// The most devices reserved for from the file size alone.
const MAX_RESERVE: usize = 1 << 24;

/// Elements of `managedDevices`, copied out of the read buffer, for a parsing thread.
#[derive(Default)]
struct Batch {
    /// The batch's place in the file (0 for the first).
    seq: usize,
    /// The index in `managedDevices` of the first element.
    first: usize,
    bytes: Vec<u8>,
    /// Where each element is, in `bytes`, and in the file.
    spans: Vec<Span>,
}

/// What the collecting thread gets.
enum ToCollector {
    Parsed(Parsed),
    /// The detected apps, to attach once the first `after` batches (all the devices) are in.
    Apps {
        after: usize,
        apps: Vec<GraphDetectedApp>,
    },
}

/// A batch parsed: its devices and, if one could not be read, the problem (the devices after it are
/// left out).
struct Parsed {
    seq: usize,
    devices: Vec<Device>,
    problem: Option<Problem>,
}

/// A parsing thread: parses and normalises (with its own interner) the batches it gets.
fn parse_batches(batches: &Mutex<Receiver<Batch>>, to_collector: &SyncSender<ToCollector>, failed: &AtomicBool) {
    let mut interner = Interner::default();
    loop {
        let batch = {
            let Ok(batches) = batches.lock() else { return };
            let Ok(batch) = batches.recv() else { return };
            batch
        };
        // After a problem, what follows it is not read (but taken, so the reader does not wait).
        if failed.load(Ordering::Relaxed) {
            continue;
        }
        let mut parsed = Parsed { seq: batch.seq, devices: Vec::with_capacity(batch.spans.len()), problem: None };
        for (index, span) in (batch.first..).zip(&batch.spans) {
            match device(&batch.bytes, span, index, &mut interner) {
                Ok(device) => parsed.devices.push(device),
                Err(problem) => {
                    parsed.problem = Some(problem);
                    break;
                }
            }
        }
        if to_collector.send(ToCollector::Parsed(parsed)).is_err() {
            return;
        }
    }
}

/// One element of `managedDevices`: a [`GraphDevice`] borrowing from `bytes`, normalised.
fn device(bytes: &[u8], span: &Span, index: usize, interner: &mut Interner) -> Result<Device, Problem> {
    let raw = parse_span(bytes, span, Context::Device(index), |json| json.deserialize_map(DeviceVisitor))?;
    normalise(&raw.record(), interner)
        .map_err(|why| Problem::Own { at: Some(span.end_pos), message: format!("managedDevices[{index}]: {why}") })
}

/// The collecting thread: adds the devices to the inventory in the order of the file, up to the
/// first problem, then the detected apps (while the reader may still be reading the groups).
fn collect(messages: Receiver<ToCollector>, size: u64, failed: &AtomicBool) -> (InventoryBuilder, Option<Problem>) {
    let mut builder = InventoryBuilder::new();
    // Room for the devices up front: regrowing the lists of a million devices costs more than
    // reserving (untouched memory is only address space). Snapshots written by `fetch` take
    // 350-700 bytes per device.
    builder.reserve(usize::try_from(size / 400).unwrap_or(0).min(MAX_RESERVE));
    let mut waiting = BTreeMap::new();
    let mut next = 0;
    let mut problem = None;
    let mut apps = None;
    for message in messages {
        match message {
            ToCollector::Parsed(batch) => {
                waiting.insert(batch.seq, batch);
            }
            ToCollector::Apps { after, apps: those } => apps = Some((after, those)),
        }
        while let Some(batch) = waiting.remove(&next) {
            next += 1;
            if problem.is_some() {
                continue;
            }
            for device in batch.devices {
                builder.push(device);
            }
            if batch.problem.is_some() {
                problem = batch.problem;
                failed.store(true, Ordering::Relaxed);
            }
        }
        if problem.is_none() && apps.as_ref().is_some_and(|(after, _)| next >= *after) {
            for app in apps.take().map(|(_, apps)| apps).unwrap_or_default() {
                app.attach_to(&mut builder);
            }
        }
    }
    (builder, problem)
}

/// Which part of the document was being read, for error messages.
#[derive(Debug, Clone, Copy, Default)]
enum Context {
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
struct Pos {
    line: usize,
    column: usize,
}

/// Where a value starts: its line, and the bytes before it on that line.
#[derive(Debug, Clone, Copy)]
struct Origin {
    line: usize,
    column: usize,
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
enum Problem {
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
    fn from_serde(err: &serde_json::Error, origin: Origin, context: Context) -> Problem {
        let text = err.to_string();
        let suffix = format!(" at line {} column {}", err.line(), err.column());
        let what = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
        let at = (err.line() > 0).then(|| origin.shift(err.line(), err.column()));
        Problem::Json { at, context, category: err.classify(), what }
    }

    /// Turns it into an input error: `line L, column C: <where>: <what>`.
    fn into_error(self, path: &Path) -> Error {
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

/// Bytes that may continue a number or `true`/`false`/`null`.
const SCALAR: [bool; 256] = byte_set(b"0123456789+-.eEtrufalsn");
/// Bytes that may stand outside strings inside an object or a list.
const BETWEEN: [bool; 256] = byte_set(b"0123456789+-.eEtrufalsn \t\r\n{}[],:\"");
/// Bytes inside a string that need no look: not `"`, not `\`, not a control character.
const PLAIN: [bool; 256] = {
    let mut set = [true; 256];
    let mut b = 0;
    while b < 0x20 {
        set[b] = false;
        b += 1;
    }
    set[b'"' as usize] = false;
    set[b'\\' as usize] = false;
    set
};

/// A mask with the high bit set in the lowest byte of `word` (little-endian) that is not
/// [`PLAIN`], if there is one. Bytes above it may be flagged too (a borrow runs upwards), so only the
/// lowest flag counts.
fn needs_look(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |w: u64| w.wrapping_sub(ONES) & !w;
    let quote = zero_byte(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_byte(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    (quote | backslash | control) & HIGHS
}

const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        set[bytes[i] as usize] = true;
        i += 1;
    }
    set
}

/// The bytes that can start a JSON value.
fn starts_value(b: u8) -> bool {
    matches!(b, b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
}

/// Bytes past one that cannot be there that the JSON parser gets to see.
const CUT_CONTEXT: usize = 16;

/// How the scan of a value ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// The value is whole.
    Complete,
    /// The scanner met a byte that cannot be there (included in the span): the JSON parser says why.
    Cut,
    /// The input ended inside the value.
    Eof,
}

/// The bytes of one value: `buf[start..end]` of [`Input`], until the next read.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    /// False for a number or `true`/`false`/`null`: the span runs on to the byte after it (when
    /// there is one), which the JSON parser needs to see to tell where the value ends or what is
    /// wrong with it, as it would in the whole document. The parser stops before that byte.
    whole: bool,
    origin: Origin,
    /// The place of the value's last byte.
    end_pos: Pos,
    ending: Ending,
}

/// What [`scan_compound`] found.
enum Scanned {
    /// The value ends before this index.
    Done(usize),
    /// The byte at this index cannot be there.
    Cut(usize),
    /// The bytes ran out; go on at this index of the next read.
    More(usize),
}

/// Line counting, in offsets from the start of the document.
struct Lines {
    line: usize,
    /// The offset of the first byte of `line`.
    start: u64,
}

/// Scans a string, object or list from `i`; `in_string` and `stack` (the open brackets) say where
/// the scan stands, so a value can be scanned across reads. `base` is the offset of `bytes[0]`.
fn scan_compound(
    bytes: &[u8],
    mut i: usize,
    in_string: &mut bool,
    stack: &mut Vec<u8>,
    lines: &mut Lines,
    base: u64,
) -> Scanned {
    let n = bytes.len();
    loop {
        if *in_string {
            // Eight bytes at a time to the next byte that needs a look, then one at a time.
            while let Some(word) = bytes.get(i..).and_then(<[u8]>::first_chunk::<8>) {
                let special = needs_look(u64::from_le_bytes(*word));
                if special != 0 {
                    i += (special.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
            while i < n && PLAIN[usize::from(bytes[i])] {
                i += 1;
            }
            let Some(&b) = bytes.get(i) else { return Scanned::More(i) };
            match b {
                b'"' => {
                    *in_string = false;
                    if stack.is_empty() {
                        return Scanned::Done(i + 1);
                    }
                }
                // An escape: the parser checks it, but the four hex digits of `\u` are checked here,
                // as they could run over the closing quote. Looked at again after the next read if
                // it is not all there.
                b'\\' => match bytes.get(i + 1) {
                    Some(b'u') => {
                        let Some(hex) = bytes.get(i + 2..i + 6) else { return Scanned::More(i) };
                        if let Some(bad) = hex.iter().position(|h| !h.is_ascii_hexdigit()) {
                            return Scanned::Cut(i + 2 + bad);
                        }
                        i += 5;
                    }
                    Some(_) => i += 1,
                    None => return Scanned::More(i),
                },
                // A control character: not allowed in a string.
                _ => return Scanned::Cut(i),
            }
            i += 1;
        } else {
            let Some(&b) = bytes.get(i) else { return Scanned::More(i) };
            match b {
                b'"' => *in_string = true,
                b'{' | b'[' => stack.push(b),
                b'}' | b']' => {
                    let open = if b == b'}' { b'{' } else { b'[' };
                    if stack.pop() != Some(open) {
                        return Scanned::Cut(i);
                    }
                    if stack.is_empty() {
                        return Scanned::Done(i + 1);
                    }
                }
                b'\n' => {
                    lines.line += 1;
                    lines.start = base + i as u64 + 1;
                }
                _ if BETWEEN[usize::from(b)] => {}
                _ => return Scanned::Cut(i),
            }
            i += 1;
        }
    }
}

type Json<'a> = serde_json::Deserializer<SliceRead<'a>>;

/// How many bytes of `run` (bytes in [`SCALAR`]) the JSON parser takes as a number or literal
/// when it reads one without error: it stops before the first byte that cannot continue it.
fn scalar_len(run: &[u8]) -> usize {
    for word in [&b"true"[..], b"false", b"null"] {
        if run.starts_with(word) {
            return word.len();
        }
    }
    let digit = |i: usize| run.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = usize::from(run.first() == Some(&b'-'));
    match run.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while digit(i) {
                i += 1;
            }
        }
        _ => return i,
    }
    if run.get(i) == Some(&b'.') && digit(i + 1) {
        i += 1;
        while digit(i) {
            i += 1;
        }
    }
    if matches!(run.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(run.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if digit(j) {
            i = j;
            while digit(i) {
                i += 1;
            }
        }
    }
    i
}

/// The file, read a chunk at a time into one buffer, with the scanner's position in it.
struct Input<R> {
    source: R,
    /// `buf[..end]` holds the bytes read and not yet dropped; the rest is room for the next read.
    buf: Vec<u8>,
    end: usize,
    /// The next byte to look at.
    pos: usize,
    chunk: usize,
    /// The offset in the document (after a byte order mark) of `buf[0]`.
    base: u64,
    eof: bool,
    lines: Lines,
    /// The scanner's open brackets (kept for its room).
    stack: Vec<u8>,
}

impl<R: Read> Input<R> {
    fn new(source: R, chunk: usize) -> Self {
        Input {
            source,
            buf: Vec::new(),
            end: 0,
            pos: 0,
            // Room for a byte order mark in the first read.
            chunk: chunk.max(4),
            base: 0,
            eof: false,
            lines: Lines { line: 1, start: 0 },
            stack: Vec::new(),
        }
    }

    /// Drops the bytes before `keep`, moves the rest to the front and reads more behind them: a
    /// chunk, or more when what is kept is more than half a chunk. Indices into the buffer shift
    /// down by `keep` (`pos` is shifted here), also when nothing more could be read: then false.
    fn refill(&mut self, keep: usize) -> Result<bool, Problem> {
        let kept = self.end - keep;
        if keep > 0 {
            self.buf.copy_within(keep..self.end, 0);
        }
        self.base += keep as u64;
        self.pos -= keep;
        self.end = kept;
        if self.eof {
            return Ok(false);
        }
        let target = if kept <= self.chunk / 2 { self.chunk } else { kept + self.chunk };
        if self.buf.len() > 2 * self.chunk && target <= self.chunk {
            // A large value made the buffer grow: back to a chunk.
            self.buf.truncate(self.chunk);
            self.buf.shrink_to_fit();
        }
        if self.buf.len() < target {
            self.buf.resize(target, 0);
        }
        let before = self.end;
        while self.end < target {
            match self.source.read(&mut self.buf[self.end..target]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.end += n.min(target - self.end),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Problem::Read(e)),
            }
        }
        Ok(self.end > before)
    }

    /// Reads the first chunk; refuses UTF-16 and drops a UTF-8 byte order mark.
    fn start(&mut self) -> Result<(), Problem> {
        self.refill(0)?;
        let head = &self.buf[..self.end];
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(Problem::Utf16);
        }
        // Some Windows editors add a byte order mark; it is not JSON, and positions count after it.
        if head.starts_with(b"\xEF\xBB\xBF") {
            self.buf.copy_within(3..self.end, 0);
            self.end -= 3;
        }
        Ok(())
    }

    /// Skips whitespace; the next byte (not taken), or None at the end of the input.
    fn peek(&mut self) -> Result<Option<u8>, Problem> {
        loop {
            while let Some(&b) = self.buf[..self.end].get(self.pos) {
                match b {
                    b' ' | b'\t' | b'\r' => {}
                    b'\n' => {
                        self.lines.line += 1;
                        self.lines.start = self.base + self.pos as u64 + 1;
                    }
                    _ => return Ok(Some(b)),
                }
                self.pos += 1;
            }
            if !self.refill(self.pos)? {
                return Ok(None);
            }
        }
    }

    /// Whether all that is left from `pos` on is ASCII whitespace (read to the end if so).
    fn rest_is_whitespace(&mut self) -> Result<bool, Problem> {
        loop {
            if !self.buf[self.pos..self.end].iter().all(u8::is_ascii_whitespace) {
                return Ok(false);
            }
            self.pos = self.end;
            if !self.refill(self.pos)? {
                return Ok(true);
            }
        }
    }

    /// The place just after the byte before index `i` (the JSON parser's way to say where it is).
    fn place(&self, i: usize) -> Pos {
        let offset = self.base + i as u64;
        Pos { line: self.lines.line, column: offset.saturating_sub(self.lines.start) as usize }
    }

    /// The place of the byte [`Input::peek`] returned, or of the end of the input.
    fn here(&self) -> Pos {
        self.place((self.pos + 1).min(self.end))
    }

    /// Finds the bytes of the value starting at `pos` (a byte that [`starts_value`]); `pos` moves
    /// past it.
    fn scan_value(&mut self) -> Result<Span, Problem> {
        let origin = Origin { line: self.lines.line, column: self.place(self.pos).column };
        let first = self.buf[self.pos];
        if !matches!(first, b'{' | b'[' | b'"') {
            return self.scan_scalar(origin);
        }
        let mut in_string = first == b'"';
        let mut i = self.pos + usize::from(in_string);
        self.stack.clear();
        let (end, ending) = loop {
            let bytes = &self.buf[..self.end];
            match scan_compound(bytes, i, &mut in_string, &mut self.stack, &mut self.lines, self.base) {
                Scanned::Done(end) => break (end, Ending::Complete),
                Scanned::Cut(mut at) => {
                    // The parser may need a few bytes past it to say what is wrong (a `\u` escape
                    // takes four).
                    while at + 1 + CUT_CONTEXT > self.end {
                        let keep = self.pos;
                        let more = self.refill(keep)?;
                        at -= keep;
                        if !more {
                            break;
                        }
                    }
                    break ((at + 1 + CUT_CONTEXT).min(self.end), Ending::Cut);
                }
                Scanned::More(next) => {
                    let keep = self.pos;
                    let more = self.refill(keep)?;
                    i = next - keep;
                    if !more {
                        break (self.end, Ending::Eof);
                    }
                }
            }
        };
        let span = Span { start: self.pos, end, whole: true, origin, end_pos: self.place(end), ending };
        self.pos = end;
        Ok(span)
    }

    /// [`Input::scan_value`] for a number or `true`/`false`/`null`: the bytes that may belong to
    /// it, and the one after (see [`Span::whole`]); `pos` moves past what the parser will take.
    fn scan_scalar(&mut self, origin: Origin) -> Result<Span, Problem> {
        let mut i = self.pos + 1;
        loop {
            while i < self.end && SCALAR[usize::from(self.buf[i])] {
                i += 1;
            }
            if i < self.end {
                break;
            }
            let keep = self.pos;
            let more = self.refill(keep)?;
            i -= keep;
            if !more {
                break;
            }
        }
        let start = self.pos;
        self.pos += scalar_len(&self.buf[start..i]);
        Ok(Span {
            start,
            end: (i + 1).min(self.end),
            whole: false,
            origin,
            end_pos: self.place(self.pos),
            ending: Ending::Complete,
        })
    }

    /// Parses the value in `span` with `read`.
    fn parse<'a, T>(
        &'a self,
        span: &Span,
        context: Context,
        read: impl FnOnce(&mut Json<'a>) -> Result<T, serde_json::Error>,
    ) -> Result<T, Problem> {
        parse_span(&self.buf, span, context, read)
    }
}

/// Parses the value in `span` of `bytes` with `read`; an error names its place in the file.
fn parse_span<'a, T>(
    bytes: &'a [u8],
    span: &Span,
    context: Context,
    read: impl FnOnce(&mut Json<'a>) -> Result<T, serde_json::Error>,
) -> Result<T, Problem> {
    let mut json = serde_json::Deserializer::from_slice(&bytes[span.start..span.end]);
    let read = read(&mut json).and_then(|value| if span.whole { json.end().map(|()| value) } else { Ok(value) });
    match read {
        Ok(value) if span.ending == Ending::Complete => Ok(value),
        // The scanner stopped where the parser did not (not expected): say where.
        Ok(_) => {
            let (category, what) = match span.ending {
                Ending::Eof => (Category::Eof, "EOF while parsing a value"),
                _ => (Category::Syntax, "expected value"),
            };
            Err(Problem::Json { at: Some(span.end_pos), context, category, what: what.to_owned() })
        }
        Err(err) => Err(Problem::from_serde(&err, span.origin, context)),
    }
}

/// The reading thread: the scanner's input, what it gathers, and the devices it hands on.
struct Reader<'s, R> {
    input: Input<R>,
    state: State,
    /// The elements of `managedDevices` read and not yet handed on.
    batch: Batch,
    /// Batches handed on so far.
    sent: usize,
    to_workers: Option<SyncSender<Batch>>,
    to_collector: Option<SyncSender<ToCollector>>,
    /// Set when a device could not be read: there is no need to read on.
    failed: &'s AtomicBool,
}

impl<R: Read> Reader<'_, R> {
    /// Hands the detected apps to the collecting thread, once they and all the devices are read, so
    /// that it attaches them while this one reads on.
    fn send_apps(&mut self) -> Result<(), Problem> {
        if !self.state.devices_read || self.state.apps.is_empty() {
            return Ok(());
        }
        let message = ToCollector::Apps { after: self.sent, apps: std::mem::take(&mut self.state.apps) };
        if self.to_collector.as_ref().is_none_or(|to| to.send(message).is_err()) {
            return Err(Problem::Stopped);
        }
        Ok(())
    }

    /// Hands the elements read so far to the parsing threads.
    fn send_batch(&mut self) -> Result<(), Problem> {
        if self.batch.spans.is_empty() {
            return Ok(());
        }
        let room = self.batch.bytes.len();
        let mut batch = std::mem::replace(
            &mut self.batch,
            Batch { bytes: Vec::with_capacity(room), spans: Vec::with_capacity(BATCH), ..Batch::default() },
        );
        batch.seq = self.sent;
        self.sent += 1;
        let sent = self.to_workers.as_ref().is_some_and(|to| to.send(batch).is_ok());
        if !sent || self.failed.load(Ordering::Relaxed) {
            return Err(Problem::Stopped);
        }
        Ok(())
    }

    /// A JSON syntax error at the byte just peeked (or the end of the input).
    fn syntax(&self, what: &str) -> Problem {
        let category = if what.starts_with("EOF") { Category::Eof } else { Category::Syntax };
        Problem::Json { at: Some(self.input.here()), context: self.state.context, category, what: what.to_owned() }
    }

    /// Reads the whole document.
    fn document(&mut self) -> Result<(), Problem> {
        self.input.start()?;
        match self.input.peek()? {
            None => return Err(Problem::Empty),
            Some(b'{') => self.input.pos += 1,
            // A form feed is not JSON whitespace, but a file of nothing else is still empty.
            Some(b'\x0C') => {
                let problem = self.not_an_object();
                return Err(if self.input.rest_is_whitespace()? { Problem::Empty } else { problem });
            }
            Some(_) => return Err(self.not_an_object()),
        }
        let mut first = true;
        loop {
            self.state.context = Context::Top;
            match self.input.peek()? {
                None => return Err(self.syntax("EOF while parsing an object")),
                Some(b'}') => {
                    self.input.pos += 1;
                    break;
                }
                Some(b'"') if first => {}
                Some(_) if first => return Err(self.syntax("key must be a string")),
                Some(b',') => {
                    self.input.pos += 1;
                    match self.input.peek()? {
                        Some(b'"') => {}
                        Some(b'}') => return Err(self.syntax("trailing comma")),
                        Some(_) => return Err(self.syntax("key must be a string")),
                        None => return Err(self.syntax("EOF while parsing a value")),
                    }
                }
                Some(_) => return Err(self.syntax("expected `,` or `}`")),
            }
            first = false;
            self.entry()?;
        }
        self.state.context = Context::Top;
        match self.input.peek()? {
            None => Ok(()),
            Some(_) => Err(self.syntax("trailing characters")),
        }
    }

    /// The top-level value does not start with `{`: what the JSON parser says about it.
    fn not_an_object(&mut self) -> Problem {
        let input = &mut self.input;
        let first = input.buf[input.pos];
        if !starts_value(first) {
            return self.syntax("expected value");
        }
        let span = if first == b'[' {
            // The parser refuses a list at its first byte; no need to scan what may be the whole file.
            let at = input.pos;
            Span {
                start: at,
                end: at + 1,
                whole: true,
                origin: Origin { line: input.lines.line, column: input.place(at).column },
                end_pos: input.place(at + 1),
                ending: Ending::Complete,
            }
        } else {
            match input.scan_value() {
                Ok(span) => span,
                Err(problem) => return problem,
            }
        };
        match self.input.parse(&span, Context::Top, |json| json.deserialize_map(NotASnapshot)) {
            Err(problem) => problem,
            Ok(()) => Problem::Json {
                at: Some(span.end_pos),
                context: Context::Top,
                category: Category::Data,
                what: "expected an intune-reach snapshot (a JSON object)".to_owned(),
            },
        }
    }

    /// One key and its value (`pos` is at the key's opening quote).
    fn entry(&mut self) -> Result<(), Problem> {
        let span = self.input.scan_value()?;
        let key: Key = self.input.parse(&span, Context::Top, |json| Key::deserialize(json))?;
        if let Some(bit) = key.bit() {
            if self.state.seen & bit != 0 {
                let message = format!("the key `{}` appears twice", key.name());
                return Err(Problem::Own { at: Some(span.end_pos), message });
            }
            self.state.seen |= bit;
        }
        self.state.context = Context::Key(key.name());
        match self.input.peek()? {
            Some(b':') => self.input.pos += 1,
            Some(_) => return Err(self.syntax("expected `:`")),
            None => return Err(self.syntax("EOF while parsing an object")),
        }
        match self.input.peek()? {
            None => Err(self.syntax("EOF while parsing a value")),
            Some(b'[') if key == Key::ManagedDevices => {
                self.list(Context::Device, Self::device)?;
                self.state.devices_read = true;
                self.send_batch()?;
                self.send_apps()
            }
            // Lists that can be large too (`groups` holds every member of every group): each
            // element is parsed on its own, so the buffer never holds the whole list.
            Some(b'[') if key == Key::DetectedApps => self
                .list(
                    |_| Context::Key(key.name()),
                    |reader, _| {
                        let span = reader.element()?;
                        let app = reader
                            .input
                            .parse(&span, reader.state.context, |json| GraphDetectedApp::deserialize(json))?;
                        reader.state.apps.push(app);
                        Ok(())
                    },
                )
                .and_then(|()| self.send_apps()),
            Some(b'[') if key == Key::Groups => self.list(
                |_| Context::Key(key.name()),
                |reader, _| {
                    let span = reader.element()?;
                    let group =
                        reader.input.parse(&span, reader.state.context, |json| GraphGroup::deserialize(json))?;
                    reader.state.groups.add_group(group.to_group());
                    Ok(())
                },
            ),
            Some(b) if starts_value(b) => self.value(key),
            Some(_) => Err(self.syntax("expected value")),
        }
    }

    /// A top-level value, other than a list read element by element.
    fn value(&mut self, key: Key) -> Result<(), Problem> {
        let span = self.input.scan_value()?;
        let input = &self.input;
        let state = &mut self.state;
        let context = state.context;
        match key {
            Key::Kind => {
                let kind: String = input.parse(&span, context, |json| String::deserialize(json))?;
                if kind != SNAPSHOT_KIND {
                    let message = format!(
                        "`kind` is \"{}\", not \"{SNAPSHOT_KIND}\": this is not an intune-reach snapshot",
                        excerpt(&kind)
                    );
                    return Err(Problem::Own { at: Some(span.end_pos), message });
                }
                state.kind_ok = true;
            }
            Key::Version => {
                let version = input.parse(&span, context, |json| serde_json::Value::deserialize(json))?;
                if version.as_u64() != Some(SNAPSHOT_VERSION) {
                    let message = format!(
                        "unsupported snapshot `version` {}: this intune-reach reads version {SNAPSHOT_VERSION} only",
                        excerpt(&version.to_string())
                    );
                    return Err(Problem::Own { at: Some(span.end_pos), message });
                }
                state.version_ok = true;
            }
            Key::CapturedAt => {
                let LenientText(at) = input.parse(&span, context, |json| LenientText::deserialize(json))?;
                state.captured_at = at.map(|at| at.trim().to_owned()).filter(|at| !at.is_empty());
            }
            Key::Complete => state.complete = input.parse(&span, context, |json| Option::<bool>::deserialize(json))?,
            Key::Gaps => {
                let gaps = input.parse(&span, context, |json| Option::<Vec<String>>::deserialize(json))?;
                state.gaps.extend(gaps.unwrap_or_default());
            }
            // Not lists (those are read by `list`): null, or what the parser says is wrong.
            Key::DetectedApps => {
                input.parse(&span, context, |json| Option::<Vec<GraphDetectedApp>>::deserialize(json))?;
            }
            Key::Groups => {
                input.parse(&span, context, |json| Option::<Vec<GraphGroup>>::deserialize(json))?;
            }
            // Not a list: the parser says what it is instead.
            Key::ManagedDevices => {
                input.parse(&span, context, |json| json.deserialize_seq(NotADeviceList))?;
                state.devices_read = true;
            }
            // `source` is informational; unknown keys are ignored (but must be JSON).
            Key::Source | Key::Other => {
                input.parse(&span, context, |json| IgnoredAny::deserialize(json))?;
            }
        }
        Ok(())
    }

    /// Walks a list (`pos` is at its `[`): `element` reads each element (`pos` at its first byte,
    /// with its index), `context` names it in messages.
    fn list(
        &mut self,
        context: impl Fn(usize) -> Context,
        mut element: impl FnMut(&mut Self, usize) -> Result<(), Problem>,
    ) -> Result<(), Problem> {
        self.input.pos += 1;
        let mut index = 0usize;
        loop {
            self.state.context = context(index);
            match self.input.peek()? {
                None => return Err(self.syntax("EOF while parsing a list")),
                Some(b']') => {
                    self.input.pos += 1;
                    return Ok(());
                }
                Some(_) if index == 0 => {}
                Some(b',') => {
                    self.input.pos += 1;
                    match self.input.peek()? {
                        Some(b']') => return Err(self.syntax("trailing comma")),
                        Some(_) => {}
                        None => return Err(self.syntax("EOF while parsing a value")),
                    }
                }
                Some(_) => return Err(self.syntax("expected `,` or `]`")),
            }
            element(self, index)?;
            index += 1;
        }
    }

    /// The span of the list element at `pos`.
    fn element(&mut self) -> Result<Span, Problem> {
        if !starts_value(self.input.buf[self.input.pos]) {
            return Err(self.syntax("expected value"));
        }
        self.input.scan_value()
    }

    /// One element of `managedDevices` (`pos` is at its first byte): its bytes go in the batch.
    fn device(&mut self, index: usize) -> Result<(), Problem> {
        let first = self.input.buf[self.input.pos];
        let span = self.element()?;
        if first != b'{' || span.ending != Ending::Complete {
            // Not an object, or not valid JSON: the parser says what is wrong with it, here.
            let context = self.state.context;
            self.input.parse(&span, context, |json| json.deserialize_map(DeviceVisitor))?;
            let what = "expected a managed device (a JSON object)".to_owned();
            return Err(Problem::Json { at: Some(span.end_pos), context, category: Category::Data, what });
        }
        let batch = &mut self.batch;
        if batch.spans.is_empty() {
            batch.first = index;
        }
        let start = batch.bytes.len();
        batch.bytes.extend_from_slice(&self.input.buf[span.start..span.end]);
        batch.spans.push(Span { start, end: batch.bytes.len(), ..span });
        if batch.spans.len() >= BATCH {
            self.send_batch()?;
        }
        Ok(())
    }
}

/// What the reader gathers.
struct State {
    /// Keys read so far (bits of [`Key::bit`]), to refuse a repeated key.
    seen: u8,
    kind_ok: bool,
    version_ok: bool,
    devices_read: bool,
    captured_at: Option<String>,
    complete: Option<bool>,
    gaps: Vec<String>,
    apps: Vec<GraphDetectedApp>,
    /// The groups, kept as the inventory keeps them as soon as each is read (the inventory's
    /// builder is busy with devices on another thread).
    groups: InventoryBuilder,
    context: Context,
}

impl State {
    fn new() -> Self {
        State {
            seen: 0,
            kind_ok: false,
            version_ok: false,
            devices_read: false,
            captured_at: None,
            complete: None,
            gaps: Vec::new(),
            apps: Vec::new(),
            groups: InventoryBuilder::new(),
            context: Context::Top,
        }
    }

    fn finish(self, path: &Path, mut builder: InventoryBuilder) -> Result<Inventory, Error> {
        if !self.kind_ok {
            return Err(Error::input(
                path,
                format!("not an intune-reach snapshot: no `kind` (expected \"{SNAPSHOT_KIND}\")"),
            ));
        }
        if !self.version_ok {
            return Err(Error::input(
                path,
                format!("no snapshot `version` (this intune-reach reads version {SNAPSHOT_VERSION})"),
            ));
        }
        if !self.devices_read {
            return Err(Error::input(path, "no `managedDevices` list (an empty list is fine, a missing one is not)"));
        }
        for app in &self.apps {
            app.attach_to(&mut builder);
        }
        let mut gaps = self.gaps;
        if self.complete.is_none() {
            gaps.push(
                "the snapshot does not say whether every listing was read whole (no `complete` field), \
                 so it is treated as incomplete"
                    .to_owned(),
            );
        }
        let captured = match &self.captured_at {
            Some(at) => format!("captured {at}"),
            None => "captured at an unknown time".to_owned(),
        };
        let source = SourceInfo {
            kind: "snapshot".to_owned(),
            description: format!("snapshot {} {captured}", path.display()),
            complete: self.complete.unwrap_or(false),
            gaps,
            ..Default::default()
        };
        let mut inventory = builder.finish(source);
        inventory.groups = self.groups.finish(SourceInfo::default()).groups;
        // The room reserved from the file size may be more than the devices read.
        inventory.devices.shrink_to_fit();
        Ok(inventory)
    }
}

/// Shortens a value quoted in a message.
fn excerpt(value: &str) -> String {
    const MAX: usize = 60;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let mut short: String = value.chars().take(MAX).collect();
        short.push('…');
        short
    }
}

/// The top-level keys intune-reach reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Kind,
    Version,
    CapturedAt,
    Source,
    Complete,
    Gaps,
    ManagedDevices,
    DetectedApps,
    Groups,
    Other,
}

impl Key {
    fn name(self) -> &'static str {
        match self {
            Key::Kind => "kind",
            Key::Version => "version",
            Key::CapturedAt => "capturedAt",
            Key::Source => "source",
            Key::Complete => "complete",
            Key::Gaps => "gaps",
            Key::ManagedDevices => "managedDevices",
            Key::DetectedApps => "detectedApps",
            Key::Groups => "groups",
            Key::Other => "",
        }
    }

    /// The keys that may appear only once (the others are ignored).
    fn bit(self) -> Option<u8> {
        match self {
            Key::Kind => Some(1),
            Key::Version => Some(2),
            Key::Complete => Some(4),
            Key::ManagedDevices => Some(8),
            Key::DetectedApps => Some(16),
            Key::Groups => Some(32),
            Key::CapturedAt | Key::Source | Key::Gaps | Key::Other => None,
        }
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "kind" => Key::Kind,
                    "version" => Key::Version,
                    "capturedAt" => Key::CapturedAt,
                    "source" => Key::Source,
                    "complete" => Key::Complete,
                    "gaps" => Key::Gaps,
                    "managedDevices" => Key::ManagedDevices,
                    "detectedApps" => Key::DetectedApps,
                    "groups" => Key::Groups,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// Any JSON scalar as text (see [`lenient`]).
#[derive(Deserialize)]
struct LenientText<'a>(#[serde(borrow, deserialize_with = "lenient")] Option<std::borrow::Cow<'a, str>>);

/// A top-level value that is not an object: only ever refused, with the parser's message.
struct NotASnapshot;

impl<'de> Visitor<'de> for NotASnapshot {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an intune-reach snapshot (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

/// A `managedDevices` value that is not a list: only ever refused, with the parser's message.
struct NotADeviceList;

impl<'de> Visitor<'de> for NotADeviceList {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of managed devices")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

/// One device, as a [`GraphDevice`] borrowing from the buffer (a visitor, for the message when an
/// element is not an object).
struct DeviceVisitor;

impl<'de> Visitor<'de> for DeviceVisitor {
    type Value = GraphDevice<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a managed device (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<GraphDevice<'de>, A::Error> {
        GraphDevice::deserialize(de::value::MapAccessDeserializer::new(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{AndroidMode, Platform};
    use crate::source::test_support::mutate;
    use proptest::prelude::*;
    use std::io::Write;

    const SMALL: &str = include_str!("../../../tests/fixtures/snapshot-small.json");

    fn parse(bytes: &[u8], path: &Path) -> Result<Inventory, Error> {
        read_snapshot(bytes, bytes.len() as u64, path, CHUNK)
    }

    fn parse_str(text: &str) -> Result<Inventory, Error> {
        parse(text.as_bytes(), Path::new("snapshot.json"))
    }

    fn err(text: &str) -> String {
        parse_str(text).unwrap_err().to_string()
    }

    fn write_temp(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        file.flush().unwrap();
        file
    }

    #[test]
    fn small_snapshot_loads_from_a_file() {
        let file = write_temp(SMALL.as_bytes());
        let inv = load(file.path()).unwrap();
        assert_eq!(inv.source.kind, "snapshot");
        assert_eq!(inv.source.description, format!("snapshot {} captured 2026-11-26T10:00:00Z", file.path().display()));
        assert!(inv.source.complete);
        assert!(inv.source.gaps.is_empty(), "{:?}", inv.source.gaps);
        assert_eq!(inv.devices.len(), 3);
        let ios = &inv.devices[0];
        assert_eq!(ios.id, "d-ios");
        assert_eq!(ios.platform, Platform::Ios);
        assert_eq!(ios.recipient.as_deref(), Some("alice@contoso.com"));
        assert!(ios.inventory_complete);
        // detectedApps come before managedDevices in the file: attached all the same.
        assert_eq!(&*ios.apps[0].name, "Company Portal");
        let android = &inv.devices[1];
        assert_eq!(android.android_mode, Some(AndroidMode::PersonalWorkProfile));
        assert_eq!(android.apps.len(), 2);
        // Unknown enum strings are kept as they are.
        let odd = &inv.devices[2];
        assert_eq!(odd.management_agent.as_deref(), Some("somethingNewAgent"));
        assert_eq!(odd.management_state.as_deref(), Some("weirdState"));
        assert_eq!(&*odd.ownership, "sharedSomething");
        assert_eq!(odd.platform, Platform::Other);
        assert_eq!(&*odd.operating_system, "PalmOS");
        assert_eq!(inv.groups.len(), 1);
        assert_eq!(inv.groups[0].members.len(), 1, "non-user members are dropped");
        assert_eq!(inv.groups[0].members[0].user_principal_name.as_deref(), Some("alice@contoso.com"));
    }

    #[test]
    fn microsoft_example_device_list_loads_as_a_snapshot() {
        let page: serde_json::Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/graph-docs/managedDevices-list-v1.0.example.json"
        ))
        .unwrap();
        let snapshot = serde_json::json!({
            "kind": "intune-reach.snapshot",
            "version": 1,
            "capturedAt": "2026-11-26T10:00:00Z",
            "complete": true,
            "managedDevices": page["value"],
        });
        let inv = parse_str(&snapshot.to_string()).unwrap();
        assert_eq!(inv.devices.len(), 1);
        let device = &inv.devices[0];
        assert_eq!(device.id, "705c034c-034c-705c-4c03-5c704c035c70");
        assert_eq!(device.management_agent.as_deref(), Some("mdm"));
        assert_eq!(device.enrollment_type.as_deref(), Some("userEnrollment"));
        assert_eq!(device.platform, Platform::Other);
        assert_eq!(device.recipient.as_deref(), Some("user principal name value"));
        assert_eq!(device.last_sync.map(|t| t.to_rfc3339()).as_deref(), Some("2017-01-01T08:02:49.320597600+00:00"));
    }

    #[test]
    fn keys_in_any_order_unknown_keys_ignored_and_escapes_read() {
        let inv = parse_str(
            r#"{"extra": {"nested": [1, 2, {"x": null}]},
                "detectedApps": [{"displayName": "Company Portal", "managedDevices": [{"id": "a\"b"}]}],
                "managedDevices": [{"id": "a\"b", "operatingSystem": "i\u004fS", "deviceName": "caf\u00e9"}],
                "complete": true, "version": 1, "kind": "intune-reach.snapshot"}"#,
        )
        .unwrap();
        assert_eq!(inv.devices[0].id, "a\"b");
        assert_eq!(inv.devices[0].name, "café");
        assert_eq!(inv.devices[0].platform, Platform::Ios);
        assert_eq!(inv.devices[0].apps.len(), 1);
        assert!(inv.source.description.ends_with("captured at an unknown time"));
    }

    #[test]
    fn missing_complete_is_incomplete_and_says_so() {
        let inv = parse_str(r#"{"kind": "intune-reach.snapshot", "version": 1, "managedDevices": []}"#).unwrap();
        assert!(!inv.source.complete);
        assert!(inv.source.gaps[0].contains("no `complete` field"), "{:?}", inv.source.gaps);
        assert!(inv.devices.is_empty());
    }

    #[test]
    fn incomplete_snapshot_keeps_its_gaps() {
        let inv = parse_str(
            r#"{"kind": "intune-reach.snapshot", "version": 1, "complete": false, "managedDevices": [],
                "gaps": ["page 7 of managedDevices could not be read"], "capturedAt": null, "source": {"cloud": 3}}"#,
        )
        .unwrap();
        assert!(!inv.source.complete);
        assert_eq!(inv.source.gaps, vec!["page 7 of managedDevices could not be read".to_owned()]);
    }

    #[test]
    fn duplicate_device_ids_are_kept_once_with_a_warning() {
        let inv = parse_str(
            r#"{"kind": "intune-reach.snapshot", "version": 1, "complete": true,
                "managedDevices": [{"id": "a"}, {"id": "b"}, {"id": "a"}]}"#,
        )
        .unwrap();
        assert_eq!(inv.devices.len(), 2);
        assert_eq!(inv.duplicate_ids, vec!["a".to_owned()]);
        assert!(inv.source.warnings[0].contains("repeated an id"), "{:?}", inv.source.warnings);
    }

    #[test]
    fn many_batches_keep_order_duplicates_and_errors() {
        let devices: Vec<String> = (0..3 * BATCH + 7)
            .map(|i| format!("{{\"id\": \"d{}\", \"operatingSystem\": \"iOS\"}}", i % (3 * BATCH)))
            .collect();
        let text = format!(
            "{{\"kind\": \"intune-reach.snapshot\", \"version\": 1, \"complete\": true, \"managedDevices\": [\n{}\n],
              \"detectedApps\": [{{\"displayName\": \"Company Portal\", \"managedDevices\": [{{\"id\": \"d2000\"}}]}}]}}",
            devices.join(",\n")
        );
        let inv = parse_str(&text).unwrap();
        assert_eq!(inv.devices.len(), 3 * BATCH);
        assert!(inv.devices.iter().enumerate().all(|(i, d)| d.id == format!("d{i}")));
        assert_eq!(inv.duplicate_ids.len(), 7);
        assert_eq!(inv.devices[2000].apps.len(), 1);
        let broken = text.replace("{\"id\": \"d2500\", ", "{");
        assert_eq!(err(&broken), "snapshot.json: line 2502, column 26: managedDevices[2500]: device without `id`");
    }

    #[test]
    fn device_without_id_names_index_line_and_column() {
        let text = "{\"kind\": \"intune-reach.snapshot\", \"version\": 1,\n\"managedDevices\": [\n  {\"id\": \"a\"}, {\"id\": \"b\"}, {\"deviceName\": \"x\"}\n]}";
        let message = err(text);
        assert_eq!(message, "snapshot.json: line 3, column 47: managedDevices[2]: device without `id`");
    }

    #[test]
    fn bad_device_value_names_the_device() {
        let message = err(r#"{"kind": "intune-reach.snapshot", "version": 1, "managedDevices": [{"id": "a"}, 42]}"#);
        assert!(message.starts_with("snapshot.json: line 1, column "), "{message}");
        assert!(message.contains("managedDevices[1]: invalid type: integer `42`"), "{message}");
    }

    #[test]
    fn wrong_kind_and_version_are_refused_early() {
        let message = err(r#"{"kind": "something.else", "version": 1, "managedDevices": []}"#);
        assert!(message.contains("line 1, column 25: `kind` is \"something.else\""), "{message}");
        let message = err(r#"{"kind": "intune-reach.snapshot", "version": 2, "managedDevices": []}"#);
        assert!(message.contains("unsupported snapshot `version` 2"), "{message}");
        assert!(message.contains("reads version 1 only"), "{message}");
        let message = err(r#"{"kind": "intune-reach.snapshot", "version": "1", "managedDevices": []}"#);
        assert!(message.contains("unsupported snapshot `version` \"1\""), "{message}");
        let message = err(r#"{"kind": 7}"#);
        assert!(message.contains("`kind`: invalid type: integer `7`, expected a string"), "{message}");
    }

    #[test]
    fn missing_required_keys() {
        assert!(err(r#"{"version": 1, "managedDevices": []}"#).contains("no `kind`"));
        assert!(err(r#"{"kind": "intune-reach.snapshot", "managedDevices": []}"#).contains("no snapshot `version`"));
        let message = err(r#"{"kind": "intune-reach.snapshot", "version": 1, "value": []}"#);
        assert_eq!(message, "snapshot.json: no `managedDevices` list (an empty list is fine, a missing one is not)");
        assert!(err(r#"{"kind": "intune-reach.snapshot", "version": 1, "managedDevices": null}"#)
            .contains("`managedDevices`: invalid type: null, expected a list of managed devices"));
    }

    #[test]
    fn repeated_keys_are_refused() {
        let message = err(
            r#"{"kind": "intune-reach.snapshot", "version": 1, "managedDevices": [{"id": "a"}], "managedDevices": []}"#,
        );
        assert!(message.contains("the key `managedDevices` appears twice"), "{message}");
    }

    #[test]
    fn bad_types_of_optional_keys_name_the_key() {
        let base = r#"{"kind": "intune-reach.snapshot", "version": 1, "managedDevices": [], "#;
        assert!(err(&format!("{base}\"complete\": \"yes\"}}"))
            .contains("`complete`: invalid type: string \"yes\", expected a boolean"));
        assert!(err(&format!("{base}\"gaps\": \"x\"}}")).contains("`gaps`: invalid type"));
        assert!(err(&format!("{base}\"groups\": 5}}")).contains("`groups`: invalid type"));
        assert!(err(&format!("{base}\"detectedApps\": {{}}}}")).contains("`detectedApps`: invalid type"));
    }

    #[test]
    fn not_json_empty_and_truncated() {
        assert_eq!(err("hello"), "snapshot.json: line 1, column 1: not valid JSON: expected value");
        assert!(err("").contains("empty file"));
        assert!(err(" \n\t ").contains("empty file"));
        let message = err("[1, 2]");
        assert!(message.contains("invalid type: sequence, expected an intune-reach snapshot"), "{message}");
        let truncated = &SMALL[..SMALL.len() / 2];
        let message = err(truncated);
        assert!(message.contains("is it truncated?"), "{message}");
        assert!(message.contains("line "), "{message}");
        let message = err(&format!("{SMALL} {{}}"));
        assert!(message.contains("trailing characters"), "{message}");
        assert!(err("\u{feff}{\"kind\": 1}").contains("`kind`: invalid type"), "BOM is skipped");
    }

    #[test]
    fn invalid_utf8_is_named_with_its_position() {
        let mut bytes = br#"{"kind": "intune-reach.snapshot", "version": 1, "managedDevices": [{"id": "a"#.to_vec();
        bytes.extend_from_slice(&[0xC3, 0x28]);
        bytes.extend_from_slice(br#""}]}"#);
        let message = parse(&bytes, Path::new("snapshot.json")).unwrap_err().to_string();
        assert!(message.starts_with("snapshot.json: line 1, column "), "{message}");
        assert!(message.contains("managedDevices[0]"), "{message}");
        assert!(message.contains("valid UTF-8"), "{message}");
        let message = parse(&[0xFF, 0xFE, b'{', 0], Path::new("snapshot.json")).unwrap_err().to_string();
        assert!(message.contains("UTF-16"), "{message}");
    }

    #[test]
    fn file_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.json");
        let e = load(&missing).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(e.to_string(), format!("{}: no such file", missing.display()));
        let e = load(dir.path()).unwrap_err();
        assert!(e.to_string().ends_with("is a directory, not a snapshot file"), "{e}");
        let empty = write_temp(b"");
        let e = load(empty.path()).unwrap_err();
        assert!(e.to_string().contains("empty file"), "{e}");
        assert_eq!(e.exit_code(), 2);
    }

    /// What reading `bytes` `chunk` bytes at a time with `workers` parsing threads gives: the
    /// inventory, or the message.
    fn outcome(bytes: &[u8], chunk: usize, workers: usize) -> String {
        match read_snapshot_with(bytes, bytes.len() as u64, Path::new("snapshot.json"), chunk, workers) {
            Ok(inventory) => format!("{inventory:?}"),
            Err(e) => format!("error: {e}"),
        }
    }

    /// A snapshot of `count` devices (ids repeat after `distinct`), one a line, with apps.
    fn many_devices(count: usize, distinct: usize) -> String {
        let devices: Vec<String> = (0..count)
            .map(|i| {
                format!(
                    "{{\"id\": \"d{}\", \"deviceName\": \"caf\u{e9} \\\"{i}\\\" \\u00e9\", \"operatingSystem\": \"iOS\", \"osVersion\": {i}}}",
                    i % distinct
                )
            })
            .collect();
        format!(
            "{{\"kind\": \"intune-reach.snapshot\", \"version\": 1, \"complete\": true, \"managedDevices\": [\n{}\n],
              \"detectedApps\": [{{\"displayName\": \"Company Portal\", \"managedDevices\": [{{\"id\": \"d7\"}}, {{\"id\": \"d2000\"}}]}}],
              \"groups\": [{{\"id\": \"g\", \"members\": [{{\"id\": \"u\", \"userPrincipalName\": \"a@b.c\"}}]}}]}}",
            devices.join(",\n")
        )
    }

    #[test]
    fn chunk_boundaries_and_threads_change_nothing() {
        // A device larger than many chunks, with escapes and multi-byte characters.
        let long_name = "Bob \u{1F600} \\\"Pixel\\\" \\u00e9\\ud83d\\ude00 ".repeat(40);
        let long = SMALL.replace("Bob Pixel", &long_name);
        let inputs = [
            SMALL.to_owned(),
            format!("\u{feff}{SMALL}"),
            long,
            serde_json::to_string(&serde_json::from_str::<serde_json::Value>(SMALL).unwrap()).unwrap(),
            many_devices(3 * BATCH + 7, 3 * BATCH),
        ];
        for input in &inputs {
            let expected = outcome(input.as_bytes(), CHUNK, 1);
            assert!(!expected.starts_with("error"), "{expected}");
            let chunks = (1..=40).chain([61, 64, 100, 509, 1000, 4096]);
            for chunk in chunks {
                for workers in [1, 3] {
                    assert_eq!(outcome(input.as_bytes(), chunk, workers), expected, "chunk {chunk}, {workers} workers");
                }
            }
        }
        let many = parse_str(&inputs[4]).unwrap();
        assert_eq!(many.devices.len(), 3 * BATCH);
        assert_eq!(many.duplicate_ids.len(), 7);
        assert_eq!(many.devices[7].apps.len(), 1);
        assert_eq!(many.devices[2000].apps.len(), 1);
        assert_eq!(many.devices[5].name, "caf\u{e9} \"5\" \u{e9}");
        assert_eq!(many.groups.len(), 1);
    }

    #[test]
    fn errors_name_the_place_in_the_file() {
        let head = "{\"kind\": \"intune-reach.snapshot\", \"version\": 1,\n\"managedDevices\": [";
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (format!("{SMALL} x").into_bytes(), "line 34, column 2: not valid JSON: trailing characters"),
            (
                format!("{head}{{\"id\": \"a\"}}}}").into_bytes(),
                "line 2, column 31: managedDevices[1]: not valid JSON: expected `,` or `]`",
            ),
            (
                format!("{head}\n  {{\"id\": \"a\",\n   \"deviceName\": \"trunc").into_bytes(),
                "line 4, column 23: managedDevices[0]: the file ends before the JSON document does (is it truncated?): \
                 EOF while parsing a string",
            ),
            (b"42".to_vec(), "line 1, column 2: invalid type: integer `42`, expected an intune-reach snapshot (a JSON object)"),
            (
                b"\"snapshot\"".to_vec(),
                "line 1, column 10: invalid type: string \"snapshot\", expected an intune-reach snapshot (a JSON object)",
            ),
            (b"null".to_vec(), "line 1, column 4: invalid type: null, expected an intune-reach snapshot (a JSON object)"),
            (b"\x01{}".to_vec(), "line 1, column 1: not valid JSON: expected value"),
            (b"\x0C{}".to_vec(), "line 1, column 1: not valid JSON: expected value"),
            (b"{\"kind\":\x01 \"x\"}".to_vec(), "line 1, column 9: `kind`: not valid JSON: expected value"),
            (
                b"{\"kind\": \"intune-reach.snapshot\",\xff \"version\": 1}".to_vec(),
                "line 1, column 34: not valid JSON: key must be a string",
            ),
            (
                [format!("{head}\n  {{\"id\": \"a\",\n   \"deviceName\": \"b").as_bytes(), b"\xc3\x28", b"\"}]}"].concat(),
                "line 4, column 20: managedDevices[0]: invalid unicode code point (a snapshot must be valid UTF-8)",
            ),
            (
                format!("{head}{{\"id\": \"a\"}} {{\"id\": \"b\"}}]}}").into_bytes(),
                "line 2, column 32: managedDevices[1]: not valid JSON: expected `,` or `]`",
            ),
            (
                format!("{head}{{\"id\": \"a\"}},]}}").into_bytes(),
                "line 2, column 32: managedDevices[1]: not valid JSON: trailing comma",
            ),
            (b"{\"kind\": \"intune-reach.snapshot\", }".to_vec(), "line 1, column 35: not valid JSON: trailing comma"),
            (b"{kind: 1}".to_vec(), "line 1, column 2: not valid JSON: key must be a string"),
            (b"{\"kind\" \"x\"}".to_vec(), "line 1, column 9: `kind`: not valid JSON: expected `:`"),
            (b"{\"complete\": tru, \"kind\": 1}".to_vec(), "line 1, column 17: `complete`: not valid JSON: expected ident"),
            (b"{\"version\": -, \"kind\": 1}".to_vec(), "line 1, column 14: `version`: not valid JSON: invalid number"),
            (
                b"{\"version\": 12a, \"kind\": 1}".to_vec(),
                "line 1, column 14: unsupported snapshot `version` 12: this intune-reach reads version 1 only",
            ),
            (
                format!("{head}{{\"id\": \"a\\q\"}}]}}").into_bytes(),
                "line 2, column 30: managedDevices[0]: not valid JSON: invalid escape",
            ),
            (
                format!("{head}{{\"id\": \"a\\u12\"}}]}}").into_bytes(),
                "line 2, column 34: managedDevices[0]: not valid JSON: invalid escape",
            ),
            (
                format!("{head}{{\"id\": \"a\", \"deviceName\": 12a}}]}}").into_bytes(),
                "line 2, column 48: managedDevices[0]: not valid JSON: expected `,` or `}`",
            ),
            (
                format!("{head}\"d\"]}}").into_bytes(),
                "line 2, column 22: managedDevices[0]: invalid type: string \"d\", expected a managed device (a JSON object)",
            ),
            (
                format!("{head}{{\"id\": \"a\"}}],\n\"groups\": [{{\"id\": \"g\", \"members\": 5}}]}}").into_bytes(),
                "line 3, column 35: `groups`: invalid type: integer `5`, expected a sequence",
            ),
            (
                format!("{head}{{\"id\": \"a\"}}],\n\"detectedApps\": [{{\"displayName\": \"P\"}}, 7]}}").into_bytes(),
                "line 3, column 40: `detectedApps`: invalid type: integer `7`, expected struct GraphDetectedApp",
            ),
            (
                b"{\"kind\": \"intune-reach.snapshot\", \"version\": 1, \"managedDevices\": [], \"groups\": {}}".to_vec(),
                "line 1, column 80: `groups`: invalid type: map, expected a sequence",
            ),
            // The first problem in the file wins, even when a later one is found first.
            (
                format!("{head}{{\"deviceName\": \"x\"}}, {{\"id\": \"b\"").into_bytes(),
                "line 2, column 38: managedDevices[0]: device without `id`",
            ),
            (
                format!("{head}{{\"id\": \"a\"}}], \"managedDevices\": []}}").into_bytes(),
                "line 2, column 49: the key `managedDevices` appears twice",
            ),
            (
                b"\xef\xbb\xbf{\"kind\": \"intune-reach.snapshot\"\n \"version\": 1}".to_vec(),
                "line 2, column 2: not valid JSON: expected `,` or `}`",
            ),
        ];
        assert!(err(" \n\x0C ").contains("empty file"), "a form feed is whitespace enough");
        for (bytes, expected) in &cases {
            let expected = format!("error: snapshot.json: {expected}");
            for chunk in [CHUNK, 4, 5, 7, 13] {
                assert_eq!(outcome(bytes, chunk, 2), expected, "chunk {chunk}: {:?}", String::from_utf8_lossy(bytes));
            }
        }
    }

    #[test]
    fn the_first_bad_device_is_named_whichever_thread_finds_it() {
        let text = many_devices(3 * BATCH, 3 * BATCH);
        let broken = text
            .replace("{\"id\": \"d2500\", ", "{")
            .replace("{\"id\": \"d3000\", ", "{")
            .replace("\"d900\"", "\"d900\" 7");
        for workers in [1, 2, 4] {
            let message = outcome(broken.as_bytes(), 4096, workers);
            assert_eq!(
                message,
                "error: snapshot.json: line 902, column 15: managedDevices[900]: not valid JSON: expected `,` or `}`"
            );
        }
        let broken = text.replace("{\"id\": \"d2500\", ", "{").replace("\n]", "\n}");
        for workers in [1, 2, 4] {
            let message = outcome(broken.as_bytes(), 4096, workers);
            assert!(message.contains("line 2502, column 84: managedDevices[2500]: device without `id`"), "{message}");
        }
    }

    #[test]
    fn deep_nesting_is_read_or_refused_not_a_crash() {
        for depth in [10, 200, 5000] {
            let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            // Values that are skipped may nest as deep as they like (the JSON parser skips them
            // without recursion); others are refused past its recursion limit.
            let text = format!(
                "{{\"kind\": \"intune-reach.snapshot\", \"version\": 1, \"x\": {deep}, \"managedDevices\": [{{\"id\": \"a\", \"y\": {deep}}}]}}"
            );
            let message = outcome(text.as_bytes(), 64, 2);
            assert!(!message.starts_with("error"), "{message}");
            let text = format!("{{\"kind\": \"intune-reach.snapshot\", \"version\": {deep}, \"managedDevices\": []}}");
            let message = outcome(text.as_bytes(), 64, 2);
            if depth < 128 {
                assert!(message.contains("unsupported snapshot `version`"), "{message}");
            } else {
                assert!(message.contains("`version`: not valid JSON: recursion limit exceeded"), "{message}");
            }
        }
    }

    /// Hands out a few bytes at a time, with interruptions, like a pipe.
    struct Trickle<'a> {
        bytes: &'a [u8],
        calls: usize,
        fail_at: Option<usize>,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls % 5 == 0 {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "again"));
            }
            if self.fail_at.is_some_and(|at| self.bytes.len() < at) {
                return Err(io::Error::other("device went away"));
            }
            let n = (self.calls % 3 + 1).min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    #[test]
    fn short_reads_and_read_errors() {
        let expected = outcome(SMALL.as_bytes(), CHUNK, 1);
        let trickle = Trickle { bytes: SMALL.as_bytes(), calls: 0, fail_at: None };
        let inventory = read_snapshot(trickle, 0, Path::new("snapshot.json"), 64).unwrap();
        assert_eq!(format!("{inventory:?}"), expected);
        let failing = Trickle { bytes: SMALL.as_bytes(), calls: 0, fail_at: Some(SMALL.len() / 2) };
        let e = read_snapshot(failing, 0, Path::new("snapshot.json"), 64).unwrap_err();
        assert_eq!(e.to_string(), "snapshot.json: cannot read: device went away");
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn the_buffer_grows_for_a_large_value_and_shrinks_after() {
        let big = format!("{{\"kind\": \"{}\", \"version\": 1, \"managedDevices\": []}}", "x".repeat(1000));
        let mut input = Input::new(big.as_bytes(), 64);
        input.start().unwrap();
        assert_eq!(input.peek().unwrap(), Some(b'{'));
        input.pos += 1;
        let key = input.scan_value().unwrap();
        assert_eq!(&input.buf[key.start..key.end], b"\"kind\"");
        input.pos += 1;
        assert_eq!(input.peek().unwrap(), Some(b'"'));
        let value = input.scan_value().unwrap();
        assert_eq!(value.end - value.start, 1002);
        assert!(input.buf.len() >= 1002);
        while input.peek().unwrap().is_some() {
            input.pos += 1;
        }
        assert!(input.buf.len() <= 64, "{}", input.buf.len());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&bytes, Path::new("fuzz.json"));
        }

        #[test]
        fn mutated_snapshots_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..6)) {
            let bytes = mutate(SMALL.as_bytes().to_vec(), &edits);
            if let Err(e) = parse(&bytes, Path::new("fuzz.json")) {
                prop_assert_eq!(e.exit_code(), 2);
            }
        }

        /// Small chunks put every byte at a chunk boundary somewhere: the result never changes.
        #[test]
        fn arbitrary_bytes_read_the_same_in_any_chunks(bytes in proptest::collection::vec(any::<u8>(), 0..128), chunk in 1usize..24) {
            prop_assert_eq!(outcome(&bytes, chunk, 2), outcome(&bytes, CHUNK, 1));
        }

        #[test]
        fn mutated_snapshots_read_the_same_in_any_chunks(
            edits in proptest::collection::vec((any::<usize>(), proptest::sample::select(b"{}[],:\" \n\\tfn0-1eE.x\x01\xff\xc3u".to_vec()), any::<u8>()), 0..4),
            chunk in 1usize..80,
        ) {
            let bytes = mutate(SMALL.as_bytes().to_vec(), &edits);
            let expected = outcome(&bytes, CHUNK, 1);
            prop_assert_eq!(outcome(&bytes, chunk, 2), expected.clone());
            // What is accepted is JSON.
            if !expected.starts_with("error") {
                let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
                prop_assert!(serde_json::from_slice::<IgnoredAny>(text).is_ok());
            }
        }
    }
}
