//! Reads a snapshot file (CONTRACT.md "Snapshot format") into an [`Inventory`].
//!
//! A snapshot of a million devices is about 400 MB, so the reader is built for speed and a small
//! footprint:
//! - the file is memory-mapped (read into one buffer where mapping is not possible, e.g. a pipe);
//! - the top-level object is walked by a streaming visitor: each element of `managedDevices` is
//!   deserialized as a [`GraphDevice`] that borrows its strings from the file and is normalised at
//!   once ([`InventoryBuilder::normalise`]), so no list of raw devices is ever held;
//! - a second thread adds the normalised devices to the inventory ([`InventoryBuilder::push`]: the
//!   duplicate check and its index) in batches of 1024 while the first one parses on; a million
//!   devices take about half the time they take on one thread;
//! - `detectedApps` and `groups` are small: they are read whole and attached once every device is
//!   known, so the keys of the document may come in any order.
//!
//! Checks, each an input error (exit 2) naming the file and, where the JSON parser knows it, the line
//! and column: `kind` must be `intune-reach.snapshot`; `version` must be 1; `managedDevices` must be
//! there (it may be empty); every device needs an `id`; a key may not appear twice. `complete` is
//! optional, but a snapshot that does not say it is complete is treated as incomplete (and a gap says
//! so). Unknown top-level keys are ignored, and so are unknown device fields; enum-like values that
//! intune-reach does not know are kept as they are.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::ops::Deref;
use std::path::Path;
use std::sync::mpsc::{self, SyncSender};

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::Error;
use crate::inventory::build::InventoryBuilder;
use crate::inventory::graph_shape::{
    lenient, GraphDetectedApp, GraphDevice, GraphGroup, SNAPSHOT_KIND, SNAPSHOT_VERSION,
};
use crate::inventory::{Device, Inventory, SourceInfo};

/// Reads the snapshot at `path`.
pub fn load(path: &Path) -> Result<Inventory, Error> {
    let bytes = read_file(path)?;
    parse(&bytes, path)
}

/// The bytes of a snapshot file: mapped when possible, else read.
enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(map) => map,
            FileBytes::Read(bytes) => bytes,
        }
    }
}

fn read_file(path: &Path) -> Result<FileBytes, Error> {
    let file = File::open(path).map_err(|e| open_error(path, &e))?;
    let meta = file.metadata().map_err(|e| Error::input(path, format!("cannot read: {e}")))?;
    if meta.is_dir() {
        return Err(Error::input(path, "is a directory, not a snapshot file"));
    }
    if meta.is_file() {
        if meta.len() == 0 {
            return Err(empty_file(path));
        }
        // SAFETY: the map is only read, and only while `load` runs. Another process truncating the
        // file during those seconds could fault the read; a snapshot is a file the user hands us to
        // read, not one being rewritten, and mapping it keeps a 400 MB snapshot out of the heap.
        if let Ok(map) = unsafe { memmap2::MmapOptions::new().populate().map(&file) } {
            #[cfg(unix)]
            let _ = map.advise(memmap2::Advice::Sequential);
            return Ok(FileBytes::Mapped(map));
        }
    }
    // Not a regular file (a pipe, /dev/stdin) or not mappable: read it whole.
    let mut bytes = Vec::new();
    (&file).read_to_end(&mut bytes).map_err(|e| Error::input(path, format!("cannot read: {e}")))?;
    Ok(FileBytes::Read(bytes))
}

fn open_error(path: &Path, e: &std::io::Error) -> Error {
    match e.kind() {
        std::io::ErrorKind::NotFound => Error::input(path, "no such file"),
        std::io::ErrorKind::PermissionDenied => Error::input(path, "permission denied: cannot read this file"),
        _ => Error::input(path, format!("cannot open: {e}")),
    }
}

fn empty_file(path: &Path) -> Error {
    Error::input(path, "empty file: expected an intune-reach snapshot (a JSON object written by `intune-reach fetch`)")
}

/// Parses snapshot bytes (`path` only names the file in messages and the description).
fn parse(bytes: &[u8], path: &Path) -> Result<Inventory, Error> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Error::input(path, "the file is UTF-16 encoded; a snapshot is UTF-8 JSON"));
    }
    // A UTF-8 byte order mark (some Windows editors add one) is not JSON: skip it.
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(empty_file(path));
    }
    // Two stages on two threads: this one parses and normalises each device as it is read; the
    // other adds them to the inventory (the duplicate check and its index), a batch at a time, so
    // at most a few batches of devices are ever waiting.
    let (sender, batches) = mpsc::sync_channel::<Vec<Device>>(BATCHES_IN_FLIGHT);
    std::thread::scope(|scope| {
        let collector = scope.spawn(move || {
            let mut builder = InventoryBuilder::new();
            // Room for the devices up front: regrowing the lists of a million devices costs more
            // than reserving (untouched memory is only address space). Snapshots written by
            // `fetch` take 350-550 bytes per device.
            builder.reserve(text.len() / 400);
            for batch in batches {
                for device in batch {
                    builder.push(device);
                }
            }
            builder
        });
        let mut state = State::new(sender);
        let mut de = serde_json::Deserializer::from_slice(text);
        let read = SnapshotSeed(&mut state).deserialize(&mut de).and_then(|()| de.end());
        state.close();
        let builder = collector.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        match read {
            Ok(()) => state.finish(path, builder),
            Err(err) => Err(json_error(path, &err, &state)),
        }
    })
}

/// Devices per batch handed from the parsing thread to the collecting one.
const BATCH: usize = 1024;
const BATCHES_IN_FLIGHT: usize = 8;

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

/// What the streaming visitor gathers.
struct State {
    /// Normalises devices (with its own interner); they go to the collector in batches.
    normaliser: InventoryBuilder,
    batch: Vec<Device>,
    sender: Option<SyncSender<Vec<Device>>>,
    /// Keys read so far (bits of [`Key::bit`]), to refuse a repeated key.
    seen: u8,
    kind_ok: bool,
    version_ok: bool,
    devices_read: bool,
    captured_at: Option<String>,
    complete: Option<bool>,
    gaps: Vec<String>,
    apps: Vec<GraphDetectedApp>,
    groups: Vec<GraphGroup>,
    context: Context,
    /// A message of ours (not the JSON parser's), complete with its context.
    own_error: Option<String>,
}

impl State {
    fn new(sender: SyncSender<Vec<Device>>) -> Self {
        State {
            normaliser: InventoryBuilder::new(),
            batch: Vec::with_capacity(BATCH),
            sender: Some(sender),
            seen: 0,
            kind_ok: false,
            version_ok: false,
            devices_read: false,
            captured_at: None,
            complete: None,
            gaps: Vec::new(),
            apps: Vec::new(),
            groups: Vec::new(),
            context: Context::Top,
            own_error: None,
        }
    }

    fn send(&mut self, device: Device) {
        self.batch.push(device);
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        if let Some(sender) = &self.sender {
            // The collector only stops early by panicking, which `join` then passes on.
            let _ = sender.send(batch);
        }
    }

    /// Sends what is left and closes the channel, so the collector finishes.
    fn close(&mut self) {
        if !self.batch.is_empty() {
            self.flush();
        }
        self.sender = None;
    }

    fn fail<E: de::Error>(&mut self, message: String) -> E {
        let error = E::custom(&message);
        self.own_error = Some(message);
        error
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
            builder.attach_detected_app(app);
        }
        for group in &self.groups {
            builder.add_group(group);
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
        // The room reserved from the file size may be more than the devices read.
        inventory.devices.shrink_to_fit();
        Ok(inventory)
    }
}

/// Turns a JSON error into an input error: `line L, column C: <where>: <what>`.
fn json_error(path: &Path, err: &serde_json::Error, state: &State) -> Error {
    let position =
        if err.line() > 0 { format!("line {}, column {}: ", err.line(), err.column()) } else { String::new() };
    let message = match &state.own_error {
        Some(own) => own.clone(),
        None => {
            let text = err.to_string();
            let suffix = format!(" at line {} column {}", err.line(), err.column());
            let what = text.strip_suffix(&suffix).unwrap_or(&text);
            let what = match err.classify() {
                serde_json::error::Category::Eof => {
                    format!("the file ends before the JSON document does (is it truncated?): {what}")
                }
                serde_json::error::Category::Syntax if what.starts_with("invalid unicode code point") => {
                    format!("{what} (a snapshot must be valid UTF-8)")
                }
                serde_json::error::Category::Syntax => format!("not valid JSON: {what}"),
                _ => what.to_owned(),
            };
            format!("{}{what}", state.context)
        }
    };
    Error::input(path, format!("{position}{message}"))
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
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
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

/// Walks the top-level object.
struct SnapshotSeed<'s>(&'s mut State);

impl<'de> DeserializeSeed<'de> for SnapshotSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SnapshotSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an intune-reach snapshot (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.0;
        loop {
            state.context = Context::Top;
            let Some(key) = map.next_key::<Key>()? else { break };
            if let Some(bit) = key.bit() {
                if state.seen & bit != 0 {
                    return Err(state.fail(format!("the key `{}` appears twice", key.name())));
                }
                state.seen |= bit;
            }
            state.context = Context::Key(key.name());
            match key {
                Key::Kind => {
                    let kind: String = map.next_value()?;
                    if kind != SNAPSHOT_KIND {
                        return Err(state.fail(format!(
                            "`kind` is \"{}\", not \"{SNAPSHOT_KIND}\": this is not an intune-reach snapshot",
                            excerpt(&kind)
                        )));
                    }
                    state.kind_ok = true;
                }
                Key::Version => {
                    let version: serde_json::Value = map.next_value()?;
                    if version.as_u64() != Some(SNAPSHOT_VERSION) {
                        return Err(state.fail(format!(
                            "unsupported snapshot `version` {}: this intune-reach reads version {SNAPSHOT_VERSION} only",
                            excerpt(&version.to_string())
                        )));
                    }
                    state.version_ok = true;
                }
                Key::CapturedAt => {
                    let LenientText(at) = map.next_value()?;
                    state.captured_at = at.map(|at| at.trim().to_owned()).filter(|at| !at.is_empty());
                }
                Key::Complete => state.complete = map.next_value::<Option<bool>>()?,
                Key::Gaps => state.gaps.extend(map.next_value::<Option<Vec<String>>>()?.unwrap_or_default()),
                Key::ManagedDevices => {
                    map.next_value_seed(DevicesSeed(&mut *state))?;
                    state.devices_read = true;
                }
                Key::DetectedApps => state.apps = map.next_value::<Option<Vec<_>>>()?.unwrap_or_default(),
                Key::Groups => state.groups = map.next_value::<Option<Vec<_>>>()?.unwrap_or_default(),
                // `source` is informational; unknown keys are ignored.
                Key::Source | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        state.context = Context::Top;
        Ok(())
    }
}

/// Streams `managedDevices` into the builder, one borrowed device at a time.
struct DevicesSeed<'s>(&'s mut State);

impl<'de> DeserializeSeed<'de> for DevicesSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for DevicesSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of managed devices")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.0;
        let mut index = 0usize;
        loop {
            state.context = Context::Device(index);
            if seq.next_element_seed(DeviceSeed { state: &mut *state, index })?.is_none() {
                break;
            }
            index += 1;
        }
        Ok(())
    }
}

/// One device: read as a [`GraphDevice`] borrowing from the file, then pushed into the builder.
///
/// The device is checked inside the visit of its own JSON object, so that an error of ours (a device
/// without `id`) gets the position of that object from the parser, not the end of the list.
struct DeviceSeed<'s> {
    state: &'s mut State,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for DeviceSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DeviceSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a managed device (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let device = GraphDevice::deserialize(de::value::MapAccessDeserializer::new(map))?;
        match self.state.normaliser.normalise(&device) {
            Ok(device) => {
                self.state.send(device);
                Ok(())
            }
            Err(why) => Err(self.state.fail(format!("managedDevices[{}]: {why}", self.index))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{AndroidMode, Platform};
    use proptest::prelude::*;
    use std::io::Write;

    const SMALL: &str = include_str!("../../tests/fixtures/snapshot-small.json");

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
        let page: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/graph-docs/managedDevices-list-v1.0.example.json"))
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

    fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
        for &(at, byte, op) in edits {
            if bytes.is_empty() {
                bytes.push(byte);
                continue;
            }
            let at = at % bytes.len();
            match op % 4 {
                0 => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                2 => {
                    bytes.remove(at);
                }
                _ => bytes.truncate(at),
            }
        }
        bytes
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
    }
}
