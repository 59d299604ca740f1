//! The threads of a load: the reading thread scans the file and hands the devices' bytes on in
//! batches, parsing threads turn them into devices, one collecting thread adds those to the inventory
//! in the order of the file.
//!
//! Parsing and normalising a device costs several times what finding its bytes does, so that part is
//! spread over the cores while the file is read; the duplicate check and its index need one owner
//! and the order of the file, hence the collecting thread. Channels of a few batches join the
//! stages, so memory stays bounded and no list of raw devices is ever held.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Mutex;

use serde::Deserializer as _;

use super::input::{parse_span, Input, Span};
use super::problem::{Context, Problem};
use super::reader::Reader;
use super::schema::DeviceVisitor;
use crate::error::Error;
use crate::inventory::build::{normalise, Interner, InventoryBuilder};
use crate::inventory::{Device, Inventory};
use crate::source::wire::GraphDetectedApp;

/// Devices per batch handed from the reading thread to a parsing one.
pub(super) const BATCH: usize = 1024;
/// The most threads parsing devices.
const MAX_PARSERS: usize = 4;
/// The most devices reserved for from the file size alone.
const MAX_RESERVE: usize = 1 << 24;

/// Reads a snapshot from `source`, `chunk` bytes at a time (`size`, when known, is the number of
/// bytes it holds; `path` only names the file in messages and the description).
pub(super) fn read_snapshot(source: impl Read, size: u64, path: &Path, chunk: usize) -> Result<Inventory, Error> {
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
pub(super) fn read_snapshot_with(
    source: impl Read,
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
        let handoff = Handoff {
            batch: Batch::default(),
            sent: 0,
            to_workers: Some(to_workers),
            to_collector: Some(to_collector),
            failed,
        };
        let mut reader = Reader::new(Input::new(source, chunk), handoff);
        let read = reader.document();
        // The devices read before a problem may hold an earlier one: they are parsed all the same.
        let _ = reader.handoff.send_batch();
        reader.handoff.close();
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

/// The reading thread's end of the pipeline: the devices read and not yet handed on, and the
/// channels to the other threads.
pub(super) struct Handoff<'s> {
    /// The elements of `managedDevices` read and not yet handed on.
    batch: Batch,
    /// Batches handed on so far.
    sent: usize,
    to_workers: Option<SyncSender<Batch>>,
    to_collector: Option<SyncSender<ToCollector>>,
    /// Set when a device could not be read: there is no need to read on.
    failed: &'s AtomicBool,
}

impl Handoff<'_> {
    /// Adds the element of `managedDevices` at `index`, whose bytes are `span` of `bytes`; hands the
    /// batch on once it is full.
    pub(super) fn device(&mut self, bytes: &[u8], span: Span, index: usize) -> Result<(), Problem> {
        let batch = &mut self.batch;
        if batch.spans.is_empty() {
            batch.first = index;
        }
        let start = batch.bytes.len();
        batch.bytes.extend_from_slice(&bytes[span.start..span.end]);
        batch.spans.push(Span { start, end: batch.bytes.len(), ..span });
        if batch.spans.len() >= BATCH {
            self.send_batch()?;
        }
        Ok(())
    }

    /// Hands the elements read so far to the parsing threads.
    pub(super) fn send_batch(&mut self) -> Result<(), Problem> {
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

    /// Hands the detected apps to the collecting thread (all the devices are read), so that it
    /// attaches them while the reader reads on.
    pub(super) fn send_apps(&mut self, apps: Vec<GraphDetectedApp>) -> Result<(), Problem> {
        let message = ToCollector::Apps { after: self.sent, apps };
        if self.to_collector.as_ref().is_none_or(|to| to.send(message).is_err()) {
            return Err(Problem::Stopped);
        }
        Ok(())
    }

    /// Nothing more is handed on: the other threads finish what they have.
    fn close(&mut self) {
        self.to_workers = None;
        self.to_collector = None;
    }
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
            let apps = apps.take().map(|(_, apps)| apps).unwrap_or_default();
            GraphDetectedApp::attach_all(&apps, &mut builder);
        }
    }
    (builder, problem)
}
