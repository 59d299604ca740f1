//! The Microsoft Graph objects that intune-reach reads (the wire types), and how each maps onto the
//! inventory's inputs.
//!
//! The same types serve the Graph client (pages it reads), the simulated Graph (pages it serves),
//! `fetch` (the snapshot it writes) and `audit --snapshot` (the snapshot it reads), so a snapshot can be
//! replayed into the simulator and read by other tools. Every field is an optional string: Graph sends
//! enum values outside the documented lists, and a value of an unexpected JSON type is kept as text
//! rather than rejected (see [`lenient`]). The one object, `hardwareInformation`, is read for its
//! `isSharedDevice` alone, and any shape that is not a bool there is unknown; a blank object (what
//! listings return) proves nothing ([`lenient_hardware`]).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::inventory::build::InventoryBuilder;
use crate::inventory::{DeviceRecord, Group, Member};

mod export;
mod overview;
mod tenant;
pub use export::{APP_INV_RAW_DATA_COLUMNS, APP_INV_RAW_DATA_FILTERS, DEVICES_REPORT_COLUMNS};
pub use overview::{overview_platform, OVERVIEW_PLATFORMS};
pub use tenant::{
    GraphApplePushCertificate, GraphManagedGooglePlay, TenantSection, APPLE_PUSH_PERMISSION, APPLE_PUSH_SELECT,
    MANAGED_GOOGLE_PLAY_PERMISSION, MANAGED_GOOGLE_PLAY_SELECT,
};

/// The `$select` list the client asks for: the fields of [`GraphDevice`], and those that the
/// classification reads from nested objects (`hardwareInformation`). Every name is a property of the
/// beta `managedDevice` (a test pins them to Microsoft's resource shape), except
/// `enrolledByUserPrincipalName`, newer than that page and selected by public scripts.
pub const DEVICE_SELECT: &[&str] = &[
    "id",
    "deviceName",
    "userId",
    "userPrincipalName",
    "userDisplayName",
    "enrolledByUserPrincipalName",
    "operatingSystem",
    "osVersion",
    "deviceType",
    "deviceEnrollmentType",
    "managementAgent",
    "managementState",
    "managedDeviceOwnerType",
    "ownerType",
    "lastSyncDateTime",
    "enrolledDateTime",
    "hardwareInformation",
];

/// A `managedDevice` as Graph returns it (the fields intune-reach reads; others are ignored).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphDevice<'a> {
    #[serde(borrow, default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub device_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub user_display_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub enrolled_by_user_principal_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub operating_system: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub os_version: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub device_type: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub device_enrollment_type: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub management_agent: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub management_state: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub managed_device_owner_type: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub owner_type: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub last_sync_date_time: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub enrolled_date_time: Option<Cow<'a, str>>,
    /// Beta; Graph fills it on single-device reads.
    #[serde(default, deserialize_with = "lenient_hardware", skip_serializing_if = "Option::is_none")]
    pub hardware_information: Option<HardwareInformation>,
    /// Not a Graph property: the enrolling user's object id, where a report export named the enrolling
    /// user by id (the `Devices` report's `EnrolledByUser`) and no UPN is known for it.
    #[serde(borrow, default, deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub enrolled_by_user_id: Option<Cow<'a, str>>,
}

/// The part of `hardwareInformation` that intune-reach reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HardwareInformation {
    /// A Shared iPad when true; `None` when absent or not a bool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_shared_device: Option<bool>,
}

/// A device reference inside a detected app (`detectedApps/{id}/managedDevices` keeps at least `id`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceRef {
    #[serde(default, deserialize_with = "lenient_owned")]
    pub id: Option<Cow<'static, str>>,
}

/// A `detectedApp`, with the devices that have it (a snapshot keeps them inline).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphDetectedApp {
    #[serde(default, deserialize_with = "lenient_owned", skip_serializing_if = "Option::is_none")]
    pub id: Option<Cow<'static, str>>,
    #[serde(default, deserialize_with = "lenient_owned", skip_serializing_if = "Option::is_none")]
    pub display_name: Option<Cow<'static, str>>,
    #[serde(default, deserialize_with = "lenient_owned", skip_serializing_if = "Option::is_none")]
    pub version: Option<Cow<'static, str>>,
    #[serde(default, deserialize_with = "lenient_owned", skip_serializing_if = "Option::is_none")]
    pub publisher: Option<Cow<'static, str>>,
    #[serde(default, deserialize_with = "lenient_owned", skip_serializing_if = "Option::is_none")]
    pub platform: Option<Cow<'static, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_devices: Vec<DeviceRef>,
}

/// A user member of a group (`transitiveMembers`, users only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphMember {
    #[serde(rename = "@odata.type", default, skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_owned", skip_serializing_if = "Option::is_none")]
    pub id: Option<Cow<'static, str>>,
    #[serde(default, deserialize_with = "lenient_owned", skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<Cow<'static, str>>,
    #[serde(default, deserialize_with = "lenient_owned", skip_serializing_if = "Option::is_none")]
    pub display_name: Option<Cow<'static, str>>,
}

/// A group with its flattened transitive user members.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphGroup {
    #[serde(default, deserialize_with = "lenient_owned")]
    pub id: Option<Cow<'static, str>>,
    #[serde(default, deserialize_with = "lenient_owned", skip_serializing_if = "Option::is_none")]
    pub display_name: Option<Cow<'static, str>>,
    #[serde(default)]
    pub members: Vec<GraphMember>,
}

impl GraphDevice<'_> {
    /// The classification inputs: Graph's fields are the inventory's vocabulary as they are.
    pub fn record(&self) -> DeviceRecord<'_> {
        DeviceRecord {
            id: self.id.as_deref(),
            device_name: self.device_name.as_deref(),
            user_id: self.user_id.as_deref(),
            user_principal_name: self.user_principal_name.as_deref(),
            user_display_name: self.user_display_name.as_deref(),
            enrolled_by_user_principal_name: self.enrolled_by_user_principal_name.as_deref(),
            operating_system: self.operating_system.as_deref(),
            os_version: self.os_version.as_deref(),
            device_type: self.device_type.as_deref(),
            device_enrollment_type: self.device_enrollment_type.as_deref(),
            management_agent: self.management_agent.as_deref(),
            management_state: self.management_state.as_deref(),
            managed_device_owner_type: self.managed_device_owner_type.as_deref(),
            owner_type: self.owner_type.as_deref(),
            last_sync_date_time: self.last_sync_date_time.as_deref(),
            enrolled_date_time: self.enrolled_date_time.as_deref(),
            is_shared_device: self.hardware_information.and_then(|hardware| hardware.is_shared_device),
            enrolled_by_user_id: self.enrolled_by_user_id.as_deref(),
        }
    }

    /// The device of a record read from elsewhere (a report export's row), with Graph's field names.
    pub fn from_record(record: &DeviceRecord<'_>) -> GraphDevice<'static> {
        let own = |v: Option<&str>| v.map(|v| Cow::Owned(v.to_owned()));
        GraphDevice {
            id: own(record.id),
            device_name: own(record.device_name),
            user_id: own(record.user_id),
            user_principal_name: own(record.user_principal_name),
            user_display_name: own(record.user_display_name),
            enrolled_by_user_principal_name: own(record.enrolled_by_user_principal_name),
            operating_system: own(record.operating_system),
            os_version: own(record.os_version),
            device_type: own(record.device_type),
            device_enrollment_type: own(record.device_enrollment_type),
            management_agent: own(record.management_agent),
            management_state: own(record.management_state),
            managed_device_owner_type: own(record.managed_device_owner_type),
            owner_type: own(record.owner_type),
            last_sync_date_time: own(record.last_sync_date_time),
            enrolled_date_time: own(record.enrolled_date_time),
            hardware_information: record
                .is_shared_device
                .map(|shared| HardwareInformation { is_shared_device: Some(shared) }),
            enrolled_by_user_id: own(record.enrolled_by_user_id),
        }
    }

    /// A copy that owns its strings.
    pub fn into_owned(self) -> GraphDevice<'static> {
        fn own(v: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
            v.map(|v| Cow::Owned(v.into_owned()))
        }
        GraphDevice {
            id: own(self.id),
            device_name: own(self.device_name),
            user_id: own(self.user_id),
            user_principal_name: own(self.user_principal_name),
            user_display_name: own(self.user_display_name),
            enrolled_by_user_principal_name: own(self.enrolled_by_user_principal_name),
            operating_system: own(self.operating_system),
            os_version: own(self.os_version),
            device_type: own(self.device_type),
            device_enrollment_type: own(self.device_enrollment_type),
            management_agent: own(self.management_agent),
            management_state: own(self.management_state),
            managed_device_owner_type: own(self.managed_device_owner_type),
            owner_type: own(self.owner_type),
            last_sync_date_time: own(self.last_sync_date_time),
            enrolled_date_time: own(self.enrolled_date_time),
            hardware_information: self.hardware_information,
            enrolled_by_user_id: own(self.enrolled_by_user_id),
        }
    }
}

impl GraphDetectedApp {
    /// Adds these apps as evidence on each device listed with them, the lookups on every core.
    pub fn attach_all(apps: &[GraphDetectedApp], builder: &mut InventoryBuilder) {
        builder.attach_apps_to(
            apps,
            |app| (app.display_name.as_deref().unwrap_or(""), app.version.as_deref()),
            |app| app.managed_devices.iter().filter_map(|device| device.id.as_deref()),
        );
    }
}

impl GraphGroup {
    /// The group as the inventory keeps it: trimmed values, user members only (Intune ignores the
    /// others).
    pub fn to_group(&self) -> Group {
        let own =
            |v: &Option<Cow<'static, str>>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        Group {
            id: own(&self.id).unwrap_or_default(),
            display_name: own(&self.display_name),
            members: self
                .members
                .iter()
                .filter(|m| m.odata_type.as_deref().is_none_or(|t| t == "#microsoft.graph.user"))
                .map(|m| Member {
                    id: own(&m.id),
                    user_principal_name: own(&m.user_principal_name),
                    display_name: own(&m.display_name),
                })
                .collect(),
        }
    }
}

/// [`lenient`] for fields that own their text.
pub fn lenient_owned<'de, D>(deserializer: D) -> Result<Option<Cow<'static, str>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(lenient(deserializer)?.map(|v| Cow::Owned(v.into_owned())))
}

/// Reads any JSON scalar as text (`null` as absent), so an unexpected type is kept, never an error.
/// Objects and arrays are not text and are read as absent.
pub fn lenient<'de, D>(deserializer: D) -> Result<Option<Cow<'de, str>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Lenient;
    impl<'de> serde::de::Visitor<'de> for Lenient {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v)))
        }
        fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_string())))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_string())))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_string())))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_string())))
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    deserializer.deserialize_any(Lenient)
}

/// Reads `hardwareInformation` for its `isSharedDevice`: an object gives [`HardwareInformation`],
/// anything else is absent. Never an error.
///
/// Device listings return `hardwareInformation` blank (strings `null`, flags `false`): only a
/// single-device read fills it. So `isSharedDevice: false` is believed only from an object that
/// carries some other filled text (a serial number, a model); a blank object's `false` is unknown.
/// `true` is believed from any object (a blank one never says it).
pub fn lenient_hardware<'de, D>(deserializer: D) -> Result<Option<HardwareInformation>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

    /// Any JSON value: `Some` for a bool, `None` for every other shape (consumed whole).
    struct LenientBool;
    impl<'de> Visitor<'de> for LenientBool {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any value")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    impl<'de> DeserializeSeed<'de> for LenientBool {
        type Value = Option<bool>;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    /// A key: whether it is `isSharedDevice` (compared without copying it).
    struct IsSharedKey;
    impl<'de> Visitor<'de> for IsSharedKey {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a key")
        }
        fn visit_str<E>(self, v: &str) -> Result<bool, E> {
            Ok(v == "isSharedDevice")
        }
    }
    impl<'de> DeserializeSeed<'de> for IsSharedKey {
        type Value = bool;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_str(self)
        }
    }

    /// Any JSON value: whether it is a non-blank string (consumed whole).
    struct FilledText;
    impl<'de> Visitor<'de> for FilledText {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any value")
        }
        fn visit_str<E>(self, v: &str) -> Result<bool, E> {
            Ok(!v.trim().is_empty())
        }
        fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_none<E>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_unit<E>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(false)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(false)
        }
    }
    impl<'de> DeserializeSeed<'de> for FilledText {
        type Value = bool;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_any(self)
        }
    }

    struct Hardware;
    impl<'de> Visitor<'de> for Hardware {
        type Value = Option<HardwareInformation>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let (mut shared, mut filled) = (None, false);
            while let Some(is_shared) = map.next_key_seed(IsSharedKey)? {
                if is_shared {
                    shared = map.next_value_seed(LenientBool)?;
                } else {
                    filled |= map.next_value_seed(FilledText)?;
                }
            }
            let is_shared_device = match shared {
                Some(true) => Some(true),
                Some(false) if filled => Some(false),
                _ => None,
            };
            Ok(Some(HardwareInformation { is_shared_device }))
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    deserializer.deserialize_any(Hardware)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_types_are_kept_as_text() {
        let device: GraphDevice = serde_json::from_str(
            r#"{"id": 42, "deviceName": true, "osVersion": 17.1, "userId": null, "ownerType": {"x": 1}}"#,
        )
        .unwrap();
        assert_eq!(device.id.as_deref(), Some("42"));
        assert_eq!(device.device_name.as_deref(), Some("true"));
        assert_eq!(device.os_version.as_deref(), Some("17.1"));
        assert_eq!(device.user_id, None);
        assert_eq!(device.owner_type, None);
    }

    /// `$select` names only properties of the beta `managedDevice` as Microsoft documents it (Graph
    /// answers 400 to any other), with one documented exception.
    #[test]
    fn every_selected_field_is_a_documented_beta_property() {
        let shape = include_str!("../../tests/fixtures/graph-docs/managedDevice-beta-resource-shape.json");
        let shape: serde_json::Map<String, serde_json::Value> = serde_json::from_str(shape).unwrap();
        // Newer than that page, and selected by public scripts.
        let exceptions = ["enrolledByUserPrincipalName"];
        for name in DEVICE_SELECT {
            assert!(
                shape.contains_key(*name) || exceptions.contains(name),
                "{name} is not a beta managedDevice property"
            );
        }
        for name in ["enrolledDateTime", "hardwareInformation"] {
            assert!(DEVICE_SELECT.contains(&name), "{name} is selected");
        }
    }

    #[test]
    fn a_device_with_every_beta_property_parses() {
        let text = include_str!("../../tests/fixtures/graph-docs/managedDevice-get-beta.example.json");
        let example: serde_json::Value = serde_json::from_str(text).unwrap();
        let device = example["value"].to_string();
        let device: GraphDevice = serde_json::from_str(&device).unwrap();
        assert_eq!(device.id.as_deref(), Some("705c034c-034c-705c-4c03-5c704c035c70"));
        assert_eq!(device.device_name.as_deref(), Some("Device Name value"));
    }

    #[test]
    fn version_two_fields_are_read_leniently() {
        let read = |json: &str| {
            let device: GraphDevice = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            (device.record().enrolled_date_time.map(str::to_owned), device.record().is_shared_device)
        };
        let shared = r#"{"id":"a","enrolledDateTime":"2026-11-20T10:00:00Z","hardwareInformation":{"serialNumber":"X","totalStorageSpace":1,"sharedDeviceCachedUsers":[{"userPrincipalName":"u"}],"isSharedDevice":true}}"#;
        assert_eq!(read(shared), (Some("2026-11-20T10:00:00Z".to_owned()), Some(true)));
        let filled = r#"{"id":"a","hardwareInformation":{"serialNumber":"F2LX","isSharedDevice":false}}"#;
        assert_eq!(read(filled), (None, Some(false)), "a filled object (a single-device read) is believed");
        // What a listing returns: blank, with its flags false. Its `false` says nothing.
        let blank = r#"{"id":"a","hardwareInformation":{"serialNumber":null,"model":"","isSupervised":false,"isSharedDevice":false}}"#;
        assert_eq!(read(blank).1, None, "a blank listing object is not evidence of an unshared device");
        assert_eq!(read(r#"{"id":"a","hardwareInformation":{"isSharedDevice":false}}"#).1, None);
        for odd in [
            r#"{"id":"a","hardwareInformation":{"isSharedDevice":"true"}}"#,
            r#"{"id":"a","hardwareInformation":{"isSharedDevice":null}}"#,
            r#"{"id":"a","hardwareInformation":{"isSharedDevice":1}}"#,
            r#"{"id":"a","hardwareInformation":{"isSharedDevice":{"value":true}}}"#,
            r#"{"id":"a","hardwareInformation":{"isSharedDevice":[true]}}"#,
            r#"{"id":"a","hardwareInformation":{}}"#,
            r#"{"id":"a","hardwareInformation":true}"#,
            r#"{"id":"a","hardwareInformation":"shared"}"#,
            r#"{"id":"a","hardwareInformation":[{"isSharedDevice":true}]}"#,
            r#"{"id":"a","hardwareInformation":null}"#,
            r#"{"id":"a","hardwareInformation":12}"#,
        ] {
            assert_eq!(read(odd).1, None, "{odd}");
        }
        // A wrong type for the time is kept as text (and is then no time at all).
        assert_eq!(read(r#"{"id":"a","enrolledDateTime":12}"#).0.as_deref(), Some("12"));
        assert_eq!(read(r#"{"id":"a","enrolledDateTime":{"x":1}}"#).0, None);
    }

    #[test]
    fn version_two_fields_round_trip() {
        let device = GraphDevice {
            id: Some("a".into()),
            enrolled_date_time: Some("2026-11-20T10:00:00Z".into()),
            hardware_information: Some(HardwareInformation { is_shared_device: Some(true) }),
            ..Default::default()
        };
        let json = serde_json::to_string(&device).unwrap();
        assert_eq!(
            json,
            r#"{"id":"a","enrolledDateTime":"2026-11-20T10:00:00Z","hardwareInformation":{"isSharedDevice":true}}"#
        );
        let back: GraphDevice = serde_json::from_str(&json).unwrap();
        assert_eq!(back, device);
        assert_eq!(back.into_owned(), device);
    }

    #[test]
    fn microsoft_beta_device_gives_the_version_two_inputs() {
        let text = include_str!("../../tests/fixtures/graph-docs/managedDevice-get-beta.example.json");
        #[derive(Deserialize)]
        struct One<'a> {
            #[serde(borrow)]
            value: GraphDevice<'a>,
        }
        let one: One = serde_json::from_str(text).unwrap();
        let record = one.value.record();
        assert_eq!(record.is_shared_device, Some(true));
        assert_eq!(record.enrolled_date_time, Some("2016-12-31T23:59:43.797191-08:00"));
    }

    #[test]
    fn microsoft_example_device_list_parses() {
        let text = include_str!("../../tests/fixtures/graph-docs/managedDevices-list-v1.0.example.json");
        #[derive(Deserialize)]
        struct Page<'a> {
            #[serde(borrow)]
            value: Vec<GraphDevice<'a>>,
        }
        let page: Page = serde_json::from_str(text).unwrap();
        assert_eq!(page.value.len(), 1);
        assert_eq!(page.value[0].id.as_deref(), Some("705c034c-034c-705c-4c03-5c704c035c70"));
        assert_eq!(page.value[0].management_agent.as_deref(), Some("mdm"));
    }
}
