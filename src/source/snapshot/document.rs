//! The snapshot document of `fetch --out` and `audit --snapshot` (docs/snapshot format in the README):
//! the Graph objects as Graph returned them, with where they were read and whether every listing was
//! read whole. This is the owned form that `fetch` and `sim snapshot` write; reading a file goes
//! through the streaming reader in [`super`].

use serde::{Deserialize, Serialize};

use crate::inventory::build::InventoryBuilder;
use crate::inventory::{Inventory, SourceInfo};
use crate::source::wire::{GraphDetectedApp, GraphDevice, GraphGroup, TenantSection};

pub const SNAPSHOT_KIND: &str = "intune-reach.snapshot";
pub const SNAPSHOT_VERSION: u64 = 1;

/// Where a snapshot was read from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph: Option<String>,
}

/// The snapshot document, owned (what `fetch` and `sim snapshot` write, through [`super::write`]).
/// `D` is how each device is written: Graph's device as read (the default), or another shape of it
/// (`sim snapshot --full-objects` writes every property of the managedDevice).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot<D = GraphDevice<'static>> {
    pub kind: String,
    pub version: u64,
    pub captured_at: String,
    pub source: SnapshotSource,
    pub complete: bool,
    /// What could not be read, one sentence each (absent when complete).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<String>,
    /// The tenant checks (absent when neither was read; see [`TenantSection`]).
    #[serde(skip_serializing_if = "TenantSection::is_empty")]
    pub tenant: TenantSection,
    pub managed_devices: Vec<D>,
    pub detected_apps: Vec<GraphDetectedApp>,
    pub groups: Vec<GraphGroup>,
}

impl Snapshot {
    pub fn new(captured_at: String, source: SnapshotSource) -> Self {
        Snapshot {
            kind: SNAPSHOT_KIND.to_owned(),
            version: SNAPSHOT_VERSION,
            captured_at,
            source,
            complete: true,
            ..Default::default()
        }
    }

    /// The same document with `devices` in place of its own (written another way).
    pub fn with_devices<D>(self, devices: Vec<D>) -> Snapshot<D> {
        Snapshot {
            kind: self.kind,
            version: self.version,
            captured_at: self.captured_at,
            source: self.source,
            complete: self.complete,
            gaps: self.gaps,
            tenant: self.tenant,
            managed_devices: devices,
            detected_apps: self.detected_apps,
            groups: self.groups,
        }
    }

    /// The inventory of an owned snapshot (the Graph client and the simulator produce these).
    pub fn to_inventory(&self, mut source: SourceInfo) -> Result<Inventory, String> {
        let mut builder = InventoryBuilder::new();
        for (i, device) in self.managed_devices.iter().enumerate() {
            builder.push_record(&device.record()).map_err(|e| format!("managedDevices[{i}]: {e}"))?;
        }
        GraphDetectedApp::attach_all(&self.detected_apps, &mut builder);
        for group in &self.groups {
            builder.add_group(group.to_group());
        }
        source.complete = self.complete && source.complete;
        source.gaps.extend(self.gaps.iter().cloned());
        let mut inventory = builder.finish(source);
        inventory.tenant = self.tenant.to_facts();
        Ok(inventory)
    }
}
