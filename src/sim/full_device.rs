//! A simulated device written as a whole `managedDevice`: every property of Microsoft's beta resource,
//! in its order, as a `GET managedDevices` without `$select` returns them, for `sim snapshot
//! --full-objects`. Such a snapshot is what a tool that reads Graph without `$select` would save, and
//! it measures the snapshot reader on objects about five times the size of the ones `fetch` writes
//! (some 2.8 KB a device, 1.8 KB of it the 82 keys), most of whose properties it must skip.
//!
//! The properties intune-reach reads keep the device's own values, so a full snapshot audits exactly
//! like the plain one; `hardwareInformation` is blank, as listings give it (the few properties the
//! simulated Graph's listings write), but for a Shared iPad's `isSharedDevice: true`, kept for the same
//! reason. Every other property gets a plausible value made from the device (its platform, its id, its
//! user, its dates) or the default Graph lists it with (`null`, `0`, `false`, `[]`,
//! `0001-01-01T00:00:00Z`): the same device always gives the same bytes.

use chrono::{DateTime, Months, Utc};
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::source::wire::GraphDevice;

/// The date Graph writes for one that was never set.
const NEVER: &str = "0001-01-01T00:00:00Z";
/// `complianceGracePeriodExpirationDateTime` of a device that is not in a grace period.
const NO_GRACE_PERIOD: &str = "9999-12-31T23:59:59.9999999Z";

/// How many properties a full device has: the beta resource's and `enrolledByUserPrincipalName`.
const PROPERTIES: usize = 82;

/// `device`, written with every property (see the module's doc).
#[derive(Debug, Clone, Copy)]
pub struct FullDevice<'a>(pub &'a GraphDevice<'static>);

/// What the made-up properties are made from: the device's platform and a hash of its id.
struct Made {
    kind: Kind,
    hash: u64,
}

/// The kind of hardware, from `operatingSystem`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    IPhone,
    IPad,
    AndroidPhone,
    WindowsLaptop,
    Mac,
    Other,
}

impl Kind {
    fn of(operating_system: Option<&str>) -> Kind {
        match operating_system.map(|os| os.trim().to_ascii_lowercase()).as_deref() {
            Some("ios") => Kind::IPhone,
            Some("ipados") => Kind::IPad,
            Some("android") => Kind::AndroidPhone,
            Some("windows") => Kind::WindowsLaptop,
            Some("macos") => Kind::Mac,
            _ => Kind::Other,
        }
    }

    /// Manufacturer, model, `chassisType`, `processorArchitecture`, storage in GB.
    fn hardware(self) -> (Option<&'static str>, Option<&'static str>, &'static str, &'static str, u64) {
        match self {
            Kind::IPhone => (Some("Apple"), Some("iPhone 15"), "phone", "arm64", 128),
            Kind::IPad => (Some("Apple"), Some("iPad (10th generation)"), "tablet", "arm64", 64),
            Kind::AndroidPhone => (Some("samsung"), Some("SM-S911B"), "phone", "arm64", 256),
            Kind::WindowsLaptop => (Some("Microsoft Corporation"), Some("Surface Laptop 5"), "laptop", "x64", 512),
            Kind::Mac => (Some("Apple"), Some("MacBookPro18,3"), "laptop", "arm64", 512),
            Kind::Other => (None, None, "unknown", "unknown", 0),
        }
    }

    fn is_phone(self) -> bool {
        matches!(self, Kind::IPhone | Kind::AndroidPhone)
    }

    fn is_apple(self) -> bool {
        matches!(self, Kind::IPhone | Kind::IPad | Kind::Mac)
    }
}

impl Made {
    fn of(device: &GraphDevice<'_>) -> Made {
        let id = device.id.as_deref().unwrap_or("");
        Made { kind: Kind::of(device.operating_system.as_deref()), hash: fnv1a(id.as_bytes()) }
    }

    /// `n` hexadecimal digits from the hash (`salt` makes different ones).
    fn hex(&self, salt: u64, n: usize) -> String {
        let mut value = fnv1a(&(self.hash ^ salt).to_le_bytes());
        let mut out = String::with_capacity(n);
        for _ in 0..n {
            out.push(char::from(b"0123456789abcdef"[(value & 0xF) as usize]));
            value = value.rotate_right(4) ^ self.hash;
        }
        out
    }

    /// A GUID made from the hash.
    fn guid(&self, salt: u64) -> String {
        let hex = self.hex(salt, 32);
        format!("{}-{}-4{}-8{}-{}", &hex[..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..])
    }

    /// `n` decimal digits from the hash.
    fn digits(&self, salt: u64, n: usize) -> String {
        self.hex(salt, n).bytes().map(|b| char::from(b'0' + b % 10)).collect()
    }

    fn serial_number(&self) -> Option<String> {
        (self.kind != Kind::Other).then(|| self.hex(1, 12).to_ascii_uppercase())
    }

    fn mac_address(&self) -> Option<String> {
        (self.kind != Kind::Other).then(|| self.hex(2, 12))
    }

    fn imei(&self) -> Option<String> {
        self.kind.is_phone().then(|| self.digits(3, 15))
    }

    /// Total and free storage, in bytes.
    fn storage(&self) -> (u64, u64) {
        let total = self.kind.hardware().4 * 1_000_000_000;
        (total, total / 100 * (10 + self.hash % 80))
    }

    /// One device in twelve is out of compliance.
    fn compliance(&self) -> &'static str {
        if self.kind == Kind::Other {
            "unknown"
        } else if self.hash.is_multiple_of(12) {
            "noncompliant"
        } else {
            "compliant"
        }
    }
}

/// `managedDeviceName`, as Intune names a device it enrolls: `{user}_{type}_{M/D/YYYY}_{h:mm AM}`.
fn managed_device_name(device: &GraphDevice<'_>) -> Option<String> {
    let user = device.user_principal_name.as_deref()?.split('@').next().filter(|u| !u.is_empty())?;
    let kind = device.device_type.as_deref().unwrap_or("Device");
    let enrolled = DateTime::parse_from_rfc3339(device.enrolled_date_time.as_deref()?).ok()?;
    Some(format!("{user}_{kind}_{}", enrolled.format("%-m/%-d/%Y_%-I:%M %p")))
}

/// When the management certificate of a device enrolled at `enrolled` expires (a year later).
fn certificate_expiry(enrolled: Option<&str>) -> String {
    enrolled
        .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
        .and_then(|at| at.to_utc().checked_add_months(Months::new(12)))
        .map_or_else(|| NEVER.to_owned(), |at: DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// 64-bit FNV-1a: a stable hash (the standard library's may change between releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// `hardwareInformation` as listings give it: blank (see the module's doc).
struct BlankHardware {
    is_shared_device: bool,
}

impl Serialize for BlankHardware {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("serialNumber", &None::<&str>)?;
        map.serialize_entry("model", &None::<&str>)?;
        map.serialize_entry("isSupervised", &false)?;
        map.serialize_entry("isSharedDevice", &self.is_shared_device)?;
        map.end()
    }
}

impl Serialize for FullDevice<'_> {
    /// One entry per property, in the order of Microsoft's resource (a flat list: splitting it would
    /// only hide that order).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let device = self.0;
        let made = Made::of(device);
        let kind = made.kind;
        let (manufacturer, model, chassis, processor, _) = kind.hardware();
        let (total_storage, free_storage) = made.storage();
        let serial_number = made.serial_number();
        let mac_address = made.mac_address();
        let aad_device_id = (kind != Kind::Other).then(|| made.guid(4));
        let shared = device.hardware_information.and_then(|h| h.is_shared_device) == Some(true);
        let windows = kind == Kind::WindowsLaptop;
        let none = None::<&str>;
        let empty: [&str; 0] = [];

        let mut map = serializer.serialize_map(Some(PROPERTIES + usize::from(device.enrolled_by_user_id.is_some())))?;
        map.serialize_entry("id", &device.id)?;
        map.serialize_entry("userId", &device.user_id)?;
        map.serialize_entry("deviceName", &device.device_name)?;
        map.serialize_entry("hardwareInformation", &BlankHardware { is_shared_device: shared })?;
        map.serialize_entry("ownerType", &device.owner_type)?;
        map.serialize_entry("managedDeviceOwnerType", &device.managed_device_owner_type)?;
        map.serialize_entry("deviceActionResults", &empty)?;
        map.serialize_entry("managementState", &device.management_state)?;
        map.serialize_entry("enrolledDateTime", &device.enrolled_date_time)?;
        map.serialize_entry("lastSyncDateTime", &device.last_sync_date_time)?;
        map.serialize_entry("chassisType", chassis)?;
        map.serialize_entry("operatingSystem", &device.operating_system)?;
        map.serialize_entry("deviceType", &device.device_type)?;
        map.serialize_entry("complianceState", made.compliance())?;
        map.serialize_entry("jailBroken", if kind.is_phone() || kind == Kind::IPad { "False" } else { "Unknown" })?;
        map.serialize_entry("managementAgent", &device.management_agent)?;
        map.serialize_entry("osVersion", &device.os_version)?;
        map.serialize_entry("easActivated", &false)?;
        map.serialize_entry("easDeviceId", "")?;
        map.serialize_entry("easActivationDateTime", NEVER)?;
        map.serialize_entry("aadRegistered", &aad_device_id.is_some())?;
        map.serialize_entry("azureADRegistered", &aad_device_id.is_some())?;
        map.serialize_entry("deviceEnrollmentType", &device.device_enrollment_type)?;
        map.serialize_entry("lostModeState", "disabled")?;
        map.serialize_entry("activationLockBypassCode", &none)?;
        map.serialize_entry("emailAddress", &device.user_principal_name)?;
        map.serialize_entry("azureActiveDirectoryDeviceId", &aad_device_id)?;
        map.serialize_entry("azureADDeviceId", &aad_device_id)?;
        map.serialize_entry(
            "deviceRegistrationState",
            if aad_device_id.is_some() { "registered" } else { "notRegistered" },
        )?;
        map.serialize_entry("deviceCategoryDisplayName", "Unknown")?;
        map.serialize_entry(
            "isSupervised",
            &(kind.is_apple() && device.managed_device_owner_type.as_deref() == Some("company")),
        )?;
        map.serialize_entry("exchangeLastSuccessfulSyncDateTime", NEVER)?;
        map.serialize_entry("exchangeAccessState", "none")?;
        map.serialize_entry("exchangeAccessStateReason", "none")?;
        map.serialize_entry("remoteAssistanceSessionUrl", &none)?;
        map.serialize_entry("remoteAssistanceSessionErrorDetails", &none)?;
        map.serialize_entry("isEncrypted", &(kind != Kind::Other))?;
        map.serialize_entry("userPrincipalName", &device.user_principal_name)?;
        map.serialize_entry("model", &model)?;
        map.serialize_entry("manufacturer", &manufacturer)?;
        map.serialize_entry("imei", &made.imei())?;
        map.serialize_entry("complianceGracePeriodExpirationDateTime", NO_GRACE_PERIOD)?;
        map.serialize_entry("serialNumber", &serial_number)?;
        map.serialize_entry("phoneNumber", &none)?;
        map.serialize_entry("androidSecurityPatchLevel", if kind == Kind::AndroidPhone { "2026-10-01" } else { "" })?;
        map.serialize_entry("userDisplayName", &device.user_display_name)?;
        map.serialize_entry("configurationManagerClientEnabledFeatures", &none)?;
        map.serialize_entry("wiFiMacAddress", &mac_address)?;
        map.serialize_entry("deviceHealthAttestationState", &none)?;
        map.serialize_entry("subscriberCarrier", "")?;
        map.serialize_entry("meid", &none)?;
        map.serialize_entry("totalStorageSpaceInBytes", &total_storage)?;
        map.serialize_entry("freeStorageSpaceInBytes", &free_storage)?;
        map.serialize_entry("managedDeviceName", &managed_device_name(device))?;
        map.serialize_entry("partnerReportedThreatState", "unknown")?;
        map.serialize_entry("retireAfterDateTime", NEVER)?;
        map.serialize_entry("usersLoggedOn", &empty)?;
        map.serialize_entry("preferMdmOverGroupPolicyAppliedDateTime", NEVER)?;
        map.serialize_entry("autopilotEnrolled", &(windows && made.hash.is_multiple_of(2)))?;
        map.serialize_entry("requireUserEnrollmentApproval", &false)?;
        map.serialize_entry(
            "managementCertificateExpirationDate",
            &certificate_expiry(device.enrolled_date_time.as_deref()),
        )?;
        map.serialize_entry("iccid", &none)?;
        map.serialize_entry("udid", &none)?;
        map.serialize_entry("roleScopeTagIds", &["0"])?;
        map.serialize_entry("windowsActiveMalwareCount", &0)?;
        map.serialize_entry("windowsRemediatedMalwareCount", &0)?;
        map.serialize_entry("notes", &none)?;
        map.serialize_entry("configurationManagerClientHealthState", &none)?;
        map.serialize_entry("configurationManagerClientInformation", &none)?;
        map.serialize_entry("ethernetMacAddress", &none)?;
        map.serialize_entry("physicalMemoryInBytes", &0)?;
        map.serialize_entry("processorArchitecture", processor)?;
        map.serialize_entry("specificationVersion", &none)?;
        map.serialize_entry("joinType", if windows { "azureADJoined" } else { "unknown" })?;
        map.serialize_entry("skuFamily", if windows { "Enterprise" } else { "" })?;
        map.serialize_entry("skuNumber", &if windows { 4 } else { 0 })?;
        map.serialize_entry("managementFeatures", "none")?;
        map.serialize_entry("chromeOSDeviceInfo", &empty)?;
        map.serialize_entry("enrollmentProfileName", &none)?;
        map.serialize_entry("bootstrapTokenEscrowed", &(kind == Kind::Mac))?;
        map.serialize_entry("deviceFirmwareConfigurationInterfaceManaged", &false)?;
        map.serialize_entry("enrolledByUserPrincipalName", &device.enrolled_by_user_principal_name)?;
        if let Some(enrolled_by) = &device.enrolled_by_user_id {
            // Not a Graph property, but part of the device as intune-reach keeps it.
            map.serialize_entry("enrolledByUserId", enrolled_by)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::wire::HardwareInformation;
    use chrono::TimeZone;

    /// The keys of a JSON object, in the order they are written.
    struct Keys(Vec<String>);

    impl<'de> serde::Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct Visitor;
            impl<'de> serde::de::Visitor<'de> for Visitor {
                type Value = Keys;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some((key, serde::de::IgnoredAny)) = map.next_entry::<String, _>()? {
                        keys.push(key);
                    }
                    Ok(Keys(keys))
                }
            }
            deserializer.deserialize_map(Visitor)
        }
    }

    fn keys(text: &str) -> Vec<String> {
        serde_json::from_str::<Keys>(text).unwrap().0
    }

    #[test]
    fn every_property_of_the_beta_resource_in_its_order() {
        let shape = include_str!("../../tests/fixtures/graph-docs/managedDevice-beta-resource-shape.json");
        let mut documented: Vec<String> = keys(shape).into_iter().filter(|k| !k.starts_with('@')).collect();
        documented.push("enrolledByUserPrincipalName".to_owned());
        let device = GraphDevice { id: Some("d1".into()), ..Default::default() };
        assert_eq!(keys(&serde_json::to_string(&FullDevice(&device)).unwrap()), documented);
        assert_eq!(documented.len(), PROPERTIES);
    }

    #[test]
    fn the_fields_intune_reach_reads_keep_the_device_values() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
        let tenant = crate::sim::generator::generate(300, 5, now);
        let mut shared = 0;
        for device in &tenant.devices {
            let text = serde_json::to_string(&FullDevice(device)).unwrap();
            let read: GraphDevice = serde_json::from_str(&text).unwrap();
            let plain_text = serde_json::to_string(device).unwrap();
            let plain: GraphDevice = serde_json::from_str(&plain_text).unwrap();
            assert_eq!(read.record(), plain.record(), "{text}");
            shared += usize::from(read.record().is_shared_device == Some(true));
        }
        assert!(shared > 0, "the tenant has Shared iPads, and they stay shared");
    }

    #[test]
    fn made_up_values_are_plausible_and_stable() {
        let device = GraphDevice {
            id: Some("c5ad02c7-3ff6-4c70-a03b-f20b8303fd22".into()),
            user_principal_name: Some("david.dubois@contoso.example".into()),
            operating_system: Some("iOS".into()),
            device_type: Some("iPhone".into()),
            managed_device_owner_type: Some("company".into()),
            enrolled_date_time: Some("2024-01-15T11:07:56.7827298Z".into()),
            hardware_information: Some(HardwareInformation { is_shared_device: Some(false) }),
            ..Default::default()
        };
        let full = serde_json::to_value(FullDevice(&device)).unwrap();
        assert_eq!(full["managedDeviceName"], "david.dubois_iPhone_1/15/2024_11:07 AM");
        assert_eq!(full["managementCertificateExpirationDate"], "2025-01-15T11:07:56Z");
        assert_eq!((full["manufacturer"].as_str(), full["chassisType"].as_str()), (Some("Apple"), Some("phone")));
        assert_eq!(full["imei"].as_str().map(str::len), Some(15));
        assert!(full["imei"].as_str().unwrap().bytes().all(|b| b.is_ascii_digit()));
        let aad = full["azureADDeviceId"].as_str().unwrap();
        assert!(uuid_like(aad), "{aad}");
        assert_eq!(full["azureActiveDirectoryDeviceId"], aad);
        assert_eq!(full["hardwareInformation"]["isSharedDevice"], false);
        assert_eq!(full["isSupervised"], true);
        let total = full["totalStorageSpaceInBytes"].as_u64().unwrap();
        assert!(full["freeStorageSpaceInBytes"].as_u64().unwrap() < total);
        assert_eq!(serde_json::to_value(FullDevice(&device)).unwrap(), full, "the same device, the same object");
        let other = GraphDevice { id: Some("another".into()), ..device.clone() };
        assert_ne!(serde_json::to_value(FullDevice(&other)).unwrap()["serialNumber"], full["serialNumber"]);
    }

    fn uuid_like(text: &str) -> bool {
        let groups: Vec<&str> = text.split('-').collect();
        groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
            && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
    }
}
