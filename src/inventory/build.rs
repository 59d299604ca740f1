//! Builds an [`Inventory`] from device records, one device at a time.
//!
//! Every source (snapshot files, the Graph client, the admin center's exports, the simulator) goes
//! through [`InventoryBuilder`], so duplicate ids, app evidence and classification are handled once.

use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::HashTable;
use rayon::prelude::*;
use rustc_hash::{FxBuildHasher, FxHashSet};

use chrono::{DateTime, Datelike, Utc};

use super::classify::{self, ModeInputs};
use super::record::DeviceRecord;
use super::{AppEvidence, Device, Group, Inventory, Platform, SourceInfo, Text};

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

/// Parses a Graph time (`lastSyncDateTime`, `enrolledDateTime`); `None` for missing, unparseable or
/// the `0001-01-01` placeholder.
pub fn parse_graph_time(raw: Option<&str>) -> Option<DateTime<Utc>> {
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

/// The enrolling user, when the source names one: its UPN, or its id when that is not the primary
/// user's (the same user is better named by the primary user's UPN). An id given here is lower-cased
/// with the UPNs; Graph writes object ids in lower case anyway.
fn enrolling_user<'a>(raw: &DeviceRecord<'a>) -> Option<&'a str> {
    let upn = raw.enrolled_by_user_principal_name.filter(|upn| !upn.trim().is_empty());
    upn.or_else(|| {
        let id = classify::user_id(raw.enrolled_by_user_id)?;
        (!classify::user_id(raw.user_id).is_some_and(|primary| primary.eq_ignore_ascii_case(id))).then_some(id)
    })
}

/// Classifies a device record (docs/rules.md, "How a device is classified"). Err names what is wrong.
/// Repeated values are interned in `interner`.
pub fn normalise(raw: &DeviceRecord<'_>, interner: &mut Interner) -> Result<Device, String> {
    let id = raw.id.map(str::trim).filter(|id| !id.is_empty());
    let Some(id) = id else { return Err("device without `id`".to_owned()) };
    let platform = classify::platform(raw.operating_system);
    let android_mode = (platform == Platform::Android).then(|| {
        classify::android_mode(ModeInputs {
            device_enrollment_type: raw.device_enrollment_type,
            device_type: raw.device_type,
            operating_system: raw.operating_system,
            management_agent: raw.management_agent,
        })
    });
    let ownership = classify::ownership(raw.managed_device_owner_type, raw.owner_type);
    let enrollment = classify::enrollment(raw.device_enrollment_type);
    Ok(Device {
        id: id.to_owned(),
        name: raw.device_name.unwrap_or("").to_owned(),
        recipient: classify::recipient(enrolling_user(raw), raw.user_principal_name, raw.user_id)
            .map(|recipient| interner.get(&recipient)),
        user_id: classify::user_id(raw.user_id).map(str::to_owned),
        user_display_name: raw.user_display_name.filter(|v| !v.trim().is_empty()).map(str::to_owned),
        platform,
        operating_system: interner.get(raw.operating_system.unwrap_or("").trim()),
        android_mode,
        os_version: interner.get(raw.os_version.unwrap_or("").trim()),
        ownership: interner.get(ownership),
        management_agent: interner.opt(raw.management_agent),
        management_state: interner.opt(raw.management_state),
        enrollment_type: interner.opt(raw.device_enrollment_type),
        enrollment,
        shared_device: raw.is_shared_device,
        last_sync: parse_graph_time(raw.last_sync_date_time),
        enrolled_at: parse_graph_time(raw.enrolled_date_time),
        inventory_complete: classify::inventory_complete(platform, android_mode, ownership, enrollment),
        system_apps_complete: classify::system_apps_complete(platform, android_mode, ownership),
        apps: Vec::new(),
    })
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

    /// Normalises a device record and adds it. Err names what is wrong (the caller adds where);
    /// Ok(false) when the id was seen before.
    pub fn push_record(&mut self, record: &DeviceRecord<'_>) -> Result<bool, String> {
        let device = normalise(record, &mut self.interner)?;
        Ok(self.push(device))
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

    /// Adds many apps at once, each with the ids of the devices listed with it, exactly as
    /// [`Self::attach_app`] called for each app and each of its devices in turn would (each device
    /// keeps its apps in the order of `apps`, a device listed twice with an app gets it once).
    /// For a large tenant the lookups dominate: a few million random reads of the index and the
    /// devices. So they run on every core, and the evidence is then added in the order of the
    /// devices, which reads memory front to back.
    pub fn attach_apps_to<'a, T, I>(
        &mut self,
        apps: &'a [T],
        describe: impl Fn(&'a T) -> (&'a str, Option<&'a str>),
        devices_of: impl Fn(&'a T) -> I + Sync,
    ) where
        T: Sync,
        I: Iterator<Item = &'a str>,
    {
        let evidence: Vec<AppEvidence> = apps
            .iter()
            .map(|app| {
                let (name, version) = describe(app);
                AppEvidence { name: self.interner.get(name.trim()), id: None, version: self.interner.opt(version) }
            })
            .collect();
        // (device position, app index) in one number, so that one sort orders by device, then app.
        const ORPHAN: u64 = u64::MAX;
        let this = &*self;
        let mut links: Vec<u64> = apps
            .par_iter()
            .enumerate()
            .flat_map_iter(|(app, listed)| {
                devices_of(listed).map(move |id| match this.position(id.trim()) {
                    Some(device) => ((device as u64) << 32) | app as u64,
                    None => ORPHAN,
                })
            })
            .collect();
        links.par_sort_unstable();
        let orphans = links.iter().rev().take_while(|&&link| link == ORPHAN).count();
        self.orphan_app_refs += orphans;
        let device_of = |link: &u64| (link >> 32) as usize;
        for links in links[..links.len() - orphans].chunk_by(|a, b| device_of(a) == device_of(b)) {
            let known = &mut self.devices[device_of(&links[0])].apps;
            // Room for exactly these: a list grown one push at a time keeps room for four.
            known.reserve_exact(links.len());
            for link in links {
                let app = &evidence[(link & u64::from(u32::MAX)) as usize];
                if !known.iter().any(|seen| seen.same_as(app)) {
                    known.push(app.clone());
                }
            }
        }
    }

    pub fn add_group(&mut self, group: Group) {
        self.groups.push(group);
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
            tenant: Default::default(),
            duplicate_ids: self.duplicate_ids,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(id: &str) -> DeviceRecord<'_> {
        DeviceRecord { id: Some(id), ..Default::default() }
    }

    #[test]
    fn graph_time_parsing() {
        assert!(parse_graph_time(Some("0001-01-01T00:00:00Z")).is_none());
        assert!(parse_graph_time(Some("0001-01-01T00:00:00.0000000+00:00")).is_none());
        assert!(parse_graph_time(Some("garbage")).is_none());
        assert!(parse_graph_time(Some("")).is_none());
        assert!(parse_graph_time(None).is_none());
        let t = parse_graph_time(Some("2017-01-01T00:02:49.3205976-08:00")).unwrap();
        assert_eq!(t.to_rfc3339(), "2017-01-01T08:02:49.320597600+00:00");
        assert!(parse_graph_time(Some("2026-01-01T00:00:00")).is_some());
    }

    #[test]
    fn version_two_inputs_are_classified() {
        let mut interner = Interner::default();
        let record = DeviceRecord {
            id: Some("i1"),
            operating_system: Some("iOS"),
            device_enrollment_type: Some("appleAccountDrivenUserEnrollment"),
            managed_device_owner_type: Some("company"),
            enrolled_date_time: Some("2026-11-20T10:00:00Z"),
            is_shared_device: Some(false),
            ..Default::default()
        };
        let device = normalise(&record, &mut interner).unwrap();
        assert_eq!(device.enrollment, classify::Enrollment::AppleUserEnrollment);
        assert_eq!(device.enrollment_type.as_deref(), Some("appleAccountDrivenUserEnrollment"), "the raw value stays");
        assert!(!device.inventory_complete, "Apple User Enrollment inventories the managed volume only");
        assert_eq!(device.shared_device, Some(false));
        assert_eq!(device.enrolled_at.map(|t| t.to_rfc3339()).as_deref(), Some("2026-11-20T10:00:00+00:00"));

        let record = DeviceRecord {
            id: Some("a1"),
            operating_system: Some("AndroidForWork"),
            device_enrollment_type: Some("deviceEnrollmentManager"),
            enrolled_date_time: Some("0001-01-01T00:00:00Z"),
            ..Default::default()
        };
        let device = normalise(&record, &mut interner).unwrap();
        assert_eq!(device.android_mode, Some(crate::inventory::AndroidMode::PersonalWorkProfile));
        assert_eq!(device.enrollment, classify::Enrollment::Dem);
        assert_eq!((device.enrolled_at, device.shared_device), (None, None));

        let record = DeviceRecord {
            id: Some("a2"),
            operating_system: Some("Android"),
            device_type: Some("android"),
            managed_device_owner_type: Some("company"),
            enrolled_date_time: Some("not a time"),
            ..Default::default()
        };
        let device = normalise(&record, &mut interner).unwrap();
        assert!(device.inventory_complete && device.system_apps_complete);
        assert_eq!(device.enrolled_at, None);
        let unknown = normalise(
            &DeviceRecord { id: Some("u"), operating_system: Some("Unknown"), ..Default::default() },
            &mut interner,
        )
        .unwrap();
        assert_eq!((unknown.platform, unknown.android_mode), (Platform::Unknown, None));
    }

    #[test]
    fn duplicate_ids_are_kept_once_and_reported() {
        let mut b = InventoryBuilder::new();
        assert!(b.push_record(&raw("a")).unwrap());
        assert!(!b.push_record(&raw("a")).unwrap());
        assert!(b.push_record(&raw("b")).unwrap());
        let inv = b.finish(SourceInfo::default());
        assert_eq!(inv.devices.len(), 2);
        assert_eq!(inv.duplicate_ids, vec!["a".to_owned()]);
        assert!(inv.source.warnings[0].contains("1 device record(s)"));
    }

    #[test]
    fn an_enrolling_user_known_by_id_is_the_recipient_unless_it_is_the_primary_user() {
        let recipient = |enrolled_by_upn, enrolled_by_id| {
            let record = DeviceRecord {
                user_principal_name: Some("Ann@X"),
                user_id: Some("AB-1"),
                enrolled_by_user_principal_name: enrolled_by_upn,
                enrolled_by_user_id: enrolled_by_id,
                ..raw("d")
            };
            normalise(&record, &mut Interner::default()).unwrap().recipient.map(|r| r.to_string())
        };
        assert_eq!(recipient(None, Some("ab-1")).as_deref(), Some("ann@x"), "the primary user, by UPN");
        assert_eq!(recipient(None, Some("CD-2")).as_deref(), Some("cd-2"), "someone else, by id");
        assert_eq!(recipient(Some("Dem@X"), Some("CD-2")).as_deref(), Some("dem@x"), "a UPN first");
        assert_eq!(recipient(None, Some(classify::NIL_USER_ID)).as_deref(), Some("ann@x"));
        assert_eq!(recipient(None, None).as_deref(), Some("ann@x"));
    }

    #[test]
    fn device_without_id_is_an_error() {
        let mut b = InventoryBuilder::new();
        assert!(b.push_record(&DeviceRecord::default()).is_err());
        assert!(b.push_record(&raw("  ")).is_err());
    }

    #[test]
    fn app_evidence_lands_on_its_device_in_the_order_of_the_apps() {
        let apps: [(&str, Option<&str>, &[&str]); 3] = [
            ("Company Portal", Some("5.0.6"), &["d2", "d1", "missing", "d1"]),
            ("Google Play services", None, &["d1"]),
            ("Company Portal", Some("5.0.7"), &[" d2 "]),
        ];
        let mut b = InventoryBuilder::new();
        b.push_record(&raw("d1")).unwrap();
        b.push_record(&raw("d2")).unwrap();
        b.attach_apps_to(&apps, |app| (app.0, app.1), |app| app.2.iter().copied());
        let inv = b.finish(SourceInfo::default());
        let seen = |i: usize| -> Vec<(String, Option<String>)> {
            inv.devices[i].apps.iter().map(|a| (a.name.to_string(), a.version.as_deref().map(str::to_owned))).collect()
        };
        let owned = |name: &str, version: Option<&str>| (name.to_owned(), version.map(str::to_owned));
        assert_eq!(
            seen(0),
            [owned("Company Portal", Some("5.0.6")), owned("Google Play services", None)],
            "once per app, in the order of the apps"
        );
        assert_eq!(seen(1), [owned("Company Portal", Some("5.0.6")), owned("Company Portal", Some("5.0.7"))]);
        assert_eq!(
            inv.source.warnings.len(),
            1,
            "the app listed with a device that was not read: {:?}",
            inv.source.warnings
        );
    }
}
