//! Builds an [`Inventory`] from Graph-shaped objects, one device at a time.
//!
//! Every source that speaks Graph's shapes (snapshot files, the Graph client, the simulator) goes
//! through [`InventoryBuilder`], so duplicate ids, app evidence and classification are handled once.

use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashSet};

use chrono::{DateTime, Datelike, Utc};

use super::classify;
use super::graph_shape::{GraphDetectedApp, GraphDevice, GraphGroup, Snapshot};
use super::{AppEvidence, Device, Group, Inventory, Member, Platform, SourceInfo, Text};

/// Hands out one shared copy of each distinct value.
#[derive(Debug, Default)]
pub struct Interner(FxHashSet<Text>);

impl Interner {
    pub fn get(&mut self, value: &str) -> Text {
        if let Some(text) = self.0.get(value) {
            return text.clone();
        }
        let text: Text = Arc::from(value);
        self.0.insert(text.clone());
        text
    }

    pub fn opt(&mut self, value: Option<&str>) -> Option<Text> {
        value.map(str::trim).filter(|v| !v.is_empty()).map(|v| self.get(v))
    }
}

/// Parses `lastSyncDateTime`; `None` for missing, unparseable or the `0001-01-01` placeholder.
pub fn parse_sync_time(raw: Option<&str>) -> Option<DateTime<Utc>> {
    let raw = raw?.trim();
    let time = DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            // Graph sometimes omits the offset; such times are UTC.
            chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc())
        })
        .ok()?;
    (time.year() > 1).then_some(time)
}

/// Collects devices (dropping repeated ids), app evidence and groups into an [`Inventory`].
#[derive(Default)]
pub struct InventoryBuilder {
    devices: Vec<Device>,
    /// Positions in `devices`, hashed by device id: the ids are not stored twice.
    index: HashTable<u32>,
    duplicate_ids: Vec<String>,
    interner: Interner,
    groups: Vec<Group>,
    orphan_app_refs: usize,
}

impl std::fmt::Debug for InventoryBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InventoryBuilder").field("devices", &self.devices.len()).finish_non_exhaustive()
    }
}

fn hash_id(id: &str) -> u64 {
    FxBuildHasher.hash_one(id)
}

impl InventoryBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The position of the device with this id.
    fn position(&self, id: &str) -> Option<usize> {
        let devices = &self.devices;
        self.index.find(hash_id(id), |&i| devices[i as usize].id == id).map(|&i| i as usize)
    }

    pub fn interner(&mut self) -> &mut Interner {
        &mut self.interner
    }

    /// Adds a device that is already normalised. A repeated id is kept once and recorded.
    /// Returns false when the id was seen before.
    pub fn push(&mut self, device: Device) -> bool {
        if self.position(&device.id).is_some() {
            self.duplicate_ids.push(device.id);
            return false;
        }
        let devices = &self.devices;
        self.index.insert_unique(hash_id(&device.id), devices.len() as u32, |&i| hash_id(&devices[i as usize].id));
        self.devices.push(device);
        true
    }

    /// Normalises a Graph `managedDevice`. Err names what is wrong (the caller adds where).
    pub fn push_graph_device(&mut self, raw: &GraphDevice<'_>) -> Result<bool, String> {
        let device = self.normalise(raw)?;
        Ok(self.push(device))
    }

    pub fn normalise(&mut self, raw: &GraphDevice<'_>) -> Result<Device, String> {
        let id = raw.id.as_deref().map(str::trim).filter(|id| !id.is_empty());
        let Some(id) = id else { return Err("device without `id`".to_owned()) };
        let platform = classify::platform(raw.operating_system.as_deref());
        let android_mode = (platform == Platform::Android).then(|| {
            classify::android_mode(
                raw.device_enrollment_type.as_deref(),
                raw.device_type.as_deref(),
                raw.management_agent.as_deref(),
            )
        });
        let ownership = classify::ownership(raw.managed_device_owner_type.as_deref(), raw.owner_type.as_deref());
        let inventory_complete = classify::inventory_complete(platform, android_mode, ownership);
        let interner = &mut self.interner;
        Ok(Device {
            id: id.to_owned(),
            name: raw.device_name.as_deref().unwrap_or("").to_owned(),
            recipient: classify::recipient(
                raw.enrolled_by_user_principal_name.as_deref(),
                raw.user_principal_name.as_deref(),
                raw.user_id.as_deref(),
            )
            .map(|recipient| interner.get(&recipient)),
            user_id: classify::user_id(raw.user_id.as_deref()).map(str::to_owned),
            user_display_name: raw.user_display_name.as_deref().filter(|v| !v.trim().is_empty()).map(str::to_owned),
            platform,
            operating_system: interner.get(raw.operating_system.as_deref().unwrap_or("").trim()),
            android_mode,
            os_version: interner.get(raw.os_version.as_deref().unwrap_or("").trim()),
            ownership: interner.get(ownership),
            management_agent: interner.opt(raw.management_agent.as_deref()),
            management_state: interner.opt(raw.management_state.as_deref()),
            enrollment_type: interner.opt(raw.device_enrollment_type.as_deref()),
            last_sync: parse_sync_time(raw.last_sync_date_time.as_deref()),
            inventory_complete,
            apps: Vec::new(),
        })
    }

    /// Adds app evidence to a device by id. Returns false (and counts it) when no such device was read.
    pub fn attach_app(&mut self, device_id: &str, app: AppEvidence) -> bool {
        match self.position(device_id.trim()) {
            Some(i) => {
                let apps = &mut self.devices[i].apps;
                if !apps.iter().any(|known| known.same_as(&app)) {
                    apps.push(app);
                }
                true
            }
            None => {
                self.orphan_app_refs += 1;
                false
            }
        }
    }

    /// Adds a detected app with its device list as evidence on each of those devices.
    pub fn attach_detected_app(&mut self, app: &GraphDetectedApp) {
        let evidence = AppEvidence {
            name: self.interner.get(app.display_name.as_deref().unwrap_or("").trim()),
            id: None,
            version: self.interner.opt(app.version.as_deref()),
        };
        for device in &app.managed_devices {
            if let Some(id) = device.id.as_deref() {
                self.attach_app(id, evidence.clone());
            }
        }
    }

    pub fn add_group(&mut self, group: &GraphGroup) {
        let own = |v: &Option<std::borrow::Cow<'static, str>>| {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
        };
        self.groups.push(Group {
            id: own(&group.id).unwrap_or_default(),
            display_name: own(&group.display_name),
            members: group
                .members
                .iter()
                .filter(|m| m.odata_type.as_deref().is_none_or(|t| t == "#microsoft.graph.user"))
                .map(|m| Member {
                    id: own(&m.id),
                    user_principal_name: own(&m.user_principal_name),
                    display_name: own(&m.display_name),
                })
                .collect(),
        });
    }

    /// Makes room for `additional` more devices, so a large source does not regrow the lists.
    pub fn reserve(&mut self, additional: usize) {
        self.devices.reserve(additional);
        let devices = &self.devices;
        self.index.reserve(additional, |&i| hash_id(&devices[i as usize].id));
    }

    pub fn len(&self) -> usize {
        self.devices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    pub fn finish(self, mut source: SourceInfo) -> Inventory {
        if !self.duplicate_ids.is_empty() {
            source.warnings.push(format!(
                "{} device record(s) repeated an id already read; each device is reported once (first: {})",
                self.duplicate_ids.len(),
                self.duplicate_ids[0]
            ));
        }
        if self.orphan_app_refs > 0 {
            source.warnings.push(format!(
                "{} app record(s) name a device that is not in the device inventory; they were ignored",
                self.orphan_app_refs
            ));
        }
        Inventory {
            devices: self.devices,
            groups: self.groups,
            scoped_members: None,
            source,
            duplicate_ids: self.duplicate_ids,
        }
    }
}

impl Inventory {
    /// An inventory from an owned snapshot (the Graph client and the simulator produce these).
    pub fn from_snapshot(snapshot: &Snapshot, mut source: SourceInfo) -> Result<Inventory, String> {
        let mut builder = InventoryBuilder::new();
        for (i, device) in snapshot.managed_devices.iter().enumerate() {
            builder.push_graph_device(device).map_err(|e| format!("managedDevices[{i}]: {e}"))?;
        }
        for app in &snapshot.detected_apps {
            builder.attach_detected_app(app);
        }
        for group in &snapshot.groups {
            builder.add_group(group);
        }
        source.complete = snapshot.complete && source.complete;
        source.gaps.extend(snapshot.gaps.iter().cloned());
        Ok(builder.finish(source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn raw(id: &str) -> GraphDevice<'static> {
        GraphDevice { id: Some(Cow::Owned(id.to_owned())), ..Default::default() }
    }

    #[test]
    fn sync_time_parsing() {
        assert!(parse_sync_time(Some("0001-01-01T00:00:00Z")).is_none());
        assert!(parse_sync_time(Some("garbage")).is_none());
        assert!(parse_sync_time(None).is_none());
        let t = parse_sync_time(Some("2017-01-01T00:02:49.3205976-08:00")).unwrap();
        assert_eq!(t.to_rfc3339(), "2017-01-01T08:02:49.320597600+00:00");
        assert!(parse_sync_time(Some("2026-01-01T00:00:00")).is_some());
    }

    #[test]
    fn duplicate_ids_are_kept_once_and_reported() {
        let mut b = InventoryBuilder::new();
        assert!(b.push_graph_device(&raw("a")).unwrap());
        assert!(!b.push_graph_device(&raw("a")).unwrap());
        assert!(b.push_graph_device(&raw("b")).unwrap());
        let inv = b.finish(SourceInfo::default());
        assert_eq!(inv.devices.len(), 2);
        assert_eq!(inv.duplicate_ids, vec!["a".to_owned()]);
        assert!(inv.source.warnings[0].contains("1 device record(s)"));
    }

    #[test]
    fn device_without_id_is_an_error() {
        let mut b = InventoryBuilder::new();
        assert!(b.push_graph_device(&GraphDevice::default()).is_err());
        assert!(b.push_graph_device(&raw("  ")).is_err());
    }

    #[test]
    fn app_evidence_lands_on_its_device() {
        let mut b = InventoryBuilder::new();
        b.push_graph_device(&raw("d1")).unwrap();
        let app = GraphDetectedApp {
            display_name: Some("Company Portal".into()),
            version: Some("5.0.6".into()),
            managed_devices: vec![
                super::super::graph_shape::DeviceRef { id: Some("d1".into()) },
                super::super::graph_shape::DeviceRef { id: Some("missing".into()) },
            ],
            ..Default::default()
        };
        b.attach_detected_app(&app);
        let inv = b.finish(SourceInfo::default());
        assert_eq!(&*inv.devices[0].apps[0].name, "Company Portal");
        assert_eq!(inv.devices[0].apps[0].version.as_deref(), Some("5.0.6"));
        assert_eq!(inv.source.warnings.len(), 1);
    }
}
