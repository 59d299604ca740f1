//! What the keys of a snapshot mean, and the checks on them: `kind` must be `intune-reach.snapshot`,
//! `version` must be 1, `managedDevices` must be there (it may be empty), a key may not appear twice;
//! what is gathered from them becomes the inventory's description.
//!
//! The reader ([`super::reader`]) finds the values; this is the one place that knows what they hold,
//! so the format's rules can be read in one file.

use std::fmt;
use std::path::Path;

use serde::de::{self, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::document::{SNAPSHOT_KIND, SNAPSHOT_VERSION};
use super::input::{parse_span, Span};
use super::problem::{Context, Problem};
use crate::error::Error;
use crate::inventory::build::InventoryBuilder;
use crate::inventory::{Inventory, SourceInfo};
use crate::source::wire::{lenient, GraphDetectedApp, GraphDevice, GraphGroup, TenantSection};

/// What the reader gathers.
pub(super) struct State {
    /// Keys read so far (bits of [`Key::bit`]), to refuse a repeated key.
    seen: u8,
    kind_ok: bool,
    version_ok: bool,
    pub(super) devices_read: bool,
    captured_at: Option<String>,
    complete: Option<bool>,
    gaps: Vec<String>,
    pub(super) apps: Vec<GraphDetectedApp>,
    /// The tenant checks as `fetch` read them (absent: not read).
    tenant: TenantSection,
    /// A `tenant` value of an unexpected shape: read as not read, with this warning.
    tenant_warning: Option<String>,
    /// The groups, kept as the inventory keeps them as soon as each is read (the inventory's
    /// builder is busy with devices on another thread).
    pub(super) groups: InventoryBuilder,
    pub(super) context: Context,
}

impl State {
    pub(super) fn new() -> Self {
        State {
            seen: 0,
            kind_ok: false,
            version_ok: false,
            devices_read: false,
            captured_at: None,
            complete: None,
            gaps: Vec::new(),
            apps: Vec::new(),
            tenant: TenantSection::default(),
            tenant_warning: None,
            groups: InventoryBuilder::new(),
            context: Context::Top,
        }
    }

    /// Notes a key read (its span, for the message): a key that may appear only once and did before
    /// is refused. Values read from here on are named by the key in messages.
    pub(super) fn key(&mut self, key: Key, span: &Span) -> Result<(), Problem> {
        if let Some(bit) = key.bit() {
            if self.seen & bit != 0 {
                let message = format!("the key `{}` appears twice", key.name());
                return Err(Problem::Own { at: Some(span.end_pos), message });
            }
            self.seen |= bit;
        }
        self.context = Context::Key(key.name());
        Ok(())
    }

    /// A top-level value, other than a list read element by element.
    pub(super) fn value(&mut self, key: Key, bytes: &[u8], span: &Span) -> Result<(), Problem> {
        let context = self.context;
        match key {
            Key::Kind => {
                let kind: String = parse_span(bytes, span, context, |json| String::deserialize(json))?;
                if kind != SNAPSHOT_KIND {
                    let message = format!(
                        "`kind` is \"{}\", not \"{SNAPSHOT_KIND}\": this is not an intune-reach snapshot",
                        excerpt(&kind)
                    );
                    return Err(Problem::Own { at: Some(span.end_pos), message });
                }
                self.kind_ok = true;
            }
            Key::Version => {
                let version = parse_span(bytes, span, context, |json| serde_json::Value::deserialize(json))?;
                if version.as_u64() != Some(SNAPSHOT_VERSION) {
                    let message = format!(
                        "unsupported snapshot `version` {}: this intune-reach reads version {SNAPSHOT_VERSION} only",
                        excerpt(&version.to_string())
                    );
                    return Err(Problem::Own { at: Some(span.end_pos), message });
                }
                self.version_ok = true;
            }
            Key::CapturedAt => {
                let LenientText(at) = parse_span(bytes, span, context, |json| LenientText::deserialize(json))?;
                self.captured_at = at.map(|at| at.trim().to_owned()).filter(|at| !at.is_empty());
            }
            Key::Complete => {
                self.complete = parse_span(bytes, span, context, |json| Option::<bool>::deserialize(json))?
            }
            Key::Gaps => {
                let gaps = parse_span(bytes, span, context, |json| Option::<Vec<String>>::deserialize(json))?;
                self.gaps.extend(gaps.unwrap_or_default());
            }
            // Not lists (those are read by `list`): null, or what the parser says is wrong.
            Key::DetectedApps => {
                parse_span(bytes, span, context, |json| Option::<Vec<GraphDetectedApp>>::deserialize(json))?;
            }
            Key::Groups => {
                parse_span(bytes, span, context, |json| Option::<Vec<GraphGroup>>::deserialize(json))?;
            }
            // Not a list: the parser says what it is instead.
            Key::ManagedDevices => {
                parse_span(bytes, span, context, |json| json.deserialize_seq(NotADeviceList))?;
                self.devices_read = true;
            }
            // An unexpected shape is never an error: the checks are then not read, and a warning says so.
            Key::Tenant => {
                let value = parse_span(bytes, span, context, |json| serde_json::Value::deserialize(json))?;
                let section = match value {
                    serde_json::Value::Null => Ok(TenantSection::default()),
                    object @ serde_json::Value::Object(_) => {
                        serde_json::from_value::<TenantSection>(object).map_err(|e| e.to_string())
                    }
                    _ => Err("not an object".to_owned()),
                };
                match section {
                    Ok(section) => self.tenant = section,
                    Err(why) => {
                        self.tenant_warning = Some(format!(
                            "the snapshot's `tenant` section is not of the expected shape ({why}); the tenant \
                             checks are treated as not read"
                        ))
                    }
                }
            }
            // `source` is informational; unknown keys are ignored (but must be JSON).
            Key::Source | Key::Other => {
                parse_span(bytes, span, context, |json| IgnoredAny::deserialize(json))?;
            }
        }
        Ok(())
    }

    /// The inventory of the devices collected in `builder` and of what the other keys said; a
    /// snapshot without `kind`, `version` or `managedDevices` is refused here.
    pub(super) fn finish(self, path: &Path, mut builder: InventoryBuilder) -> Result<Inventory, Error> {
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
        GraphDetectedApp::attach_all(&self.apps, &mut builder);
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
            warnings: self.tenant_warning.into_iter().collect(),
            ..Default::default()
        };
        let mut inventory = builder.finish(source);
        inventory.tenant = self.tenant.to_facts();
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
pub(super) enum Key {
    Kind,
    Version,
    CapturedAt,
    Source,
    Complete,
    Gaps,
    ManagedDevices,
    DetectedApps,
    Groups,
    Tenant,
    Other,
}

impl Key {
    pub(super) fn name(self) -> &'static str {
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
            Key::Tenant => "tenant",
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
            Key::Tenant => Some(64),
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
                    "tenant" => Key::Tenant,
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
pub(super) struct NotASnapshot;

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
pub(super) struct DeviceVisitor;

impl<'de> Visitor<'de> for DeviceVisitor {
    type Value = GraphDevice<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a managed device (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<GraphDevice<'de>, A::Error> {
        GraphDevice::deserialize(de::value::MapAccessDeserializer::new(map))
    }
}
