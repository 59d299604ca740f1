//! The device endpoints: `managedDevices` (keyset pages by id, `$select`, the `operatingSystem eq`
//! filter), one device (`managedDevices/{id}`) and `managedDeviceOverview` (precomputed counts), over a
//! [`DeviceIndex`] of the tenant's devices. The device JSON writer here serves the app device lists too.
//!
//! `$select` is checked as Graph checks it: a name that is no property of the beta `managedDevice`
//! ([`MANAGED_DEVICE_PROPERTIES`]) is a 400 ("Could not find a property named ..."). A known property
//! the simulated tenant has no value for is `null`; `hardwareInformation` is blank in listings (its
//! strings `null`, its flags `false`) and `enrolledByUserPrincipalName` empty, as Graph leaves them;
//! a one-device GET fills both.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;

use super::paging::{page_size, Faults};
use crate::sim::server::faults::lock;
use crate::sim::server::wire::{collection, graph_error, push_key, push_opt, push_str, Ctx, Out, Query};
use crate::sim::server::Shared;
use crate::sim::tenant::SimTenant;
use crate::source::wire::{overview_platform, GraphDevice, DEVICE_SELECT, OVERVIEW_PLATFORMS};

/// Page size of `managedDevices` and of the devices of a detected app (the wire spec's).
pub(super) const DEVICE_PAGE: usize = 1000;
/// Distinct `operatingSystem` filters whose device lists are kept; more are computed per request.
const OS_CACHE_MAX: usize = 64;

/// The properties of the beta `managedDevice` (Microsoft's resource shape, in its order), and
/// `enrolledByUserPrincipalName`, newer than that page and selected by public scripts.
const MANAGED_DEVICE_PROPERTIES: &[&str] = &[
    "id",
    "userId",
    "deviceName",
    "hardwareInformation",
    "ownerType",
    "managedDeviceOwnerType",
    "deviceActionResults",
    "managementState",
    "enrolledDateTime",
    "lastSyncDateTime",
    "chassisType",
    "operatingSystem",
    "deviceType",
    "complianceState",
    "jailBroken",
    "managementAgent",
    "osVersion",
    "easActivated",
    "easDeviceId",
    "easActivationDateTime",
    "aadRegistered",
    "azureADRegistered",
    "deviceEnrollmentType",
    "lostModeState",
    "activationLockBypassCode",
    "emailAddress",
    "azureActiveDirectoryDeviceId",
    "azureADDeviceId",
    "deviceRegistrationState",
    "deviceCategoryDisplayName",
    "isSupervised",
    "exchangeLastSuccessfulSyncDateTime",
    "exchangeAccessState",
    "exchangeAccessStateReason",
    "remoteAssistanceSessionUrl",
    "remoteAssistanceSessionErrorDetails",
    "isEncrypted",
    "userPrincipalName",
    "model",
    "manufacturer",
    "imei",
    "complianceGracePeriodExpirationDateTime",
    "serialNumber",
    "phoneNumber",
    "androidSecurityPatchLevel",
    "userDisplayName",
    "configurationManagerClientEnabledFeatures",
    "wiFiMacAddress",
    "deviceHealthAttestationState",
    "subscriberCarrier",
    "meid",
    "totalStorageSpaceInBytes",
    "freeStorageSpaceInBytes",
    "managedDeviceName",
    "partnerReportedThreatState",
    "retireAfterDateTime",
    "usersLoggedOn",
    "preferMdmOverGroupPolicyAppliedDateTime",
    "autopilotEnrolled",
    "requireUserEnrollmentApproval",
    "managementCertificateExpirationDate",
    "iccid",
    "udid",
    "roleScopeTagIds",
    "windowsActiveMalwareCount",
    "windowsRemediatedMalwareCount",
    "notes",
    "configurationManagerClientHealthState",
    "configurationManagerClientInformation",
    "ethernetMacAddress",
    "physicalMemoryInBytes",
    "processorArchitecture",
    "specificationVersion",
    "joinType",
    "skuFamily",
    "skuNumber",
    "managementFeatures",
    "chromeOSDeviceInfo",
    "enrollmentProfileName",
    "bootstrapTokenEscrowed",
    "deviceFirmwareConfigurationInterfaceManaged",
    "enrolledByUserPrincipalName",
];

/// The text properties the simulated tenant has values for, in `GraphDevice` order (`id` first): the
/// client's `$select` but its last, `hardwareInformation`, which is an object.
const TEXT_FIELDS: &[&str] = match DEVICE_SELECT.split_last() {
    Some((_hardware_information, text)) => text,
    None => &[],
};

/// `enrolledByUserPrincipalName` in [`TEXT_FIELDS`]: Graph leaves it empty in listings.
const ENROLLED_BY: usize = 5;

/// Property `field` of a device as a listing (`one` false) or a one-device read gives it.
fn served_field<'a>(d: &'a GraphDevice<'static>, field: usize, one: bool) -> Option<&'a str> {
    if field == ENROLLED_BY && !one {
        return None;
    }
    device_field(d, field)
}

/// Property `field` (an index into [`TEXT_FIELDS`]) of a device.
fn device_field<'a>(d: &'a GraphDevice<'static>, field: usize) -> Option<&'a str> {
    match field {
        0 => d.id.as_deref(),
        1 => d.device_name.as_deref(),
        2 => d.user_id.as_deref(),
        3 => d.user_principal_name.as_deref(),
        4 => d.user_display_name.as_deref(),
        5 => d.enrolled_by_user_principal_name.as_deref(),
        6 => d.operating_system.as_deref(),
        7 => d.os_version.as_deref(),
        8 => d.device_type.as_deref(),
        9 => d.device_enrollment_type.as_deref(),
        10 => d.management_agent.as_deref(),
        11 => d.management_state.as_deref(),
        12 => d.managed_device_owner_type.as_deref(),
        13 => d.owner_type.as_deref(),
        14 => d.last_sync_date_time.as_deref(),
        15 => d.enrolled_date_time.as_deref(),
        _ => None,
    }
}

/// `hardwareInformation` as listings give it: present, but blank (strings `null`, flags `false`, as
/// admins report it). A few properties stand for the whole type, to keep pages light.
const BLANK_HARDWARE: &str = r#"{"serialNumber":null,"model":null,"isSupervised":false,"isSharedDevice":false}"#;

/// How one selected property is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Property {
    /// An index into [`TEXT_FIELDS`].
    Text(usize),
    /// `hardwareInformation`: blank in listings, filled for one device.
    Hardware,
    /// A property the simulated tenant has no value for.
    Null,
}

impl Property {
    fn of(name: &str) -> Property {
        match TEXT_FIELDS.iter().position(|known| *known == name) {
            Some(field) => Property::Text(field),
            None if name == "hardwareInformation" => Property::Hardware,
            None => Property::Null,
        }
    }
}

/// A device's `$select`: every property the simulated tenant has (no `$select`), or the named ones,
/// always with `id`.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Selection {
    All,
    Fields(Vec<(&'static str, Property)>),
}

impl Selection {
    /// The selection of `select`; Err names the first property that the beta `managedDevice` lacks.
    pub(super) fn parse(select: Option<&str>) -> Result<Selection, String> {
        let Some(select) = select.filter(|s| !s.trim().is_empty()) else { return Ok(Selection::All) };
        let mut fields = Vec::new();
        for name in select.split(',').map(str::trim) {
            let Some(&known) = MANAGED_DEVICE_PROPERTIES.iter().find(|known| known.eq_ignore_ascii_case(name)) else {
                return Err(name.to_owned());
            };
            if known != "id" && !fields.iter().any(|(f, _)| *f == known) {
                fields.push((known, Property::of(known)));
            }
        }
        Ok(Selection::Fields(fields))
    }

    /// Graph's answer to a `$select` naming an unknown property.
    pub(super) fn refused(ctx: &Ctx, name: &str) -> Out {
        graph_error(
            ctx,
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!("Could not find a property named '{name}' on type 'microsoft.graph.managedDevice'."),
        )
    }
}

/// What the device endpoints precompute (read-only after start, but for the lazy filter cache).
pub(super) struct DeviceIndex {
    /// The listed devices: indices of the devices with an id, sorted by id, without the hidden ones.
    pub(super) listed: Arc<[u32]>,
    /// Per device: listed (has an id and is not hidden).
    pub(super) visible: Vec<bool>,
    /// Per device: its position in id order (`u32::MAX` without an id), to sort app device lists.
    pub(super) rank: Vec<u32>,
    /// Every device with an id (hidden ones too) by id.
    pub(super) by_id: HashMap<Box<str>, u32>,
    /// Listed devices per lower-case `operatingSystem`, built on first use.
    os_lists: Mutex<HashMap<String, Arc<[u32]>>>,
    /// The `managedDeviceOverview` JSON.
    pub(super) overview: Vec<u8>,
}

impl DeviceIndex {
    /// Sorts the devices of `tenant` by id and hides the last `hide` of them from the listings.
    pub(super) fn build(tenant: &SimTenant, hide: usize) -> DeviceIndex {
        let devices = tenant.devices.len();
        let id_of = |d: u32| tenant.devices[d as usize].id.as_deref();
        let mut sorted: Vec<u32> = (0..devices as u32).filter(|&d| id_of(d).is_some()).collect();
        sorted.sort_unstable_by(|&a, &b| id_of(a).cmp(&id_of(b)).then(a.cmp(&b)));
        let mut rank = vec![u32::MAX; devices];
        for (position, &d) in sorted.iter().enumerate() {
            rank[d as usize] = position as u32;
        }
        let listed_len = sorted.len().saturating_sub(hide);
        let mut visible = vec![false; devices];
        for &d in &sorted[..listed_len] {
            visible[d as usize] = true;
        }
        let mut by_id = HashMap::with_capacity(sorted.len());
        for &d in &sorted {
            if let Some(id) = id_of(d) {
                by_id.entry(Box::from(id)).or_insert(d);
            }
        }
        sorted.truncate(listed_len);
        DeviceIndex {
            listed: sorted.into(),
            visible,
            rank,
            by_id,
            os_lists: Mutex::new(HashMap::new()),
            overview: overview_json(tenant),
        }
    }

    /// The listed devices of `tenant` whose `operatingSystem` equals `os` (lower case) ignoring case,
    /// by id.
    fn os_list(&self, tenant: &SimTenant, os: &str) -> Arc<[u32]> {
        if let Some(list) = lock(&self.os_lists).get(os) {
            return list.clone();
        }
        let list: Arc<[u32]> = self
            .listed
            .iter()
            .copied()
            .filter(|&d| tenant.devices[d as usize].operating_system.as_deref().is_some_and(|o| o.to_lowercase() == os))
            .collect();
        let mut cache = lock(&self.os_lists);
        if cache.len() < OS_CACHE_MAX {
            cache.insert(os.to_owned(), list.clone());
        }
        list
    }
}

/// `managedDeviceOverview`: counts every device of the tenant (hidden ones included).
fn overview_json(tenant: &SimTenant) -> Vec<u8> {
    let mut per_platform: HashMap<&str, u64> = HashMap::new();
    let mut mdm = 0u64;
    for device in &tenant.devices {
        *per_platform.entry(overview_platform(device.operating_system.as_deref())).or_default() += 1;
        let agent = device.management_agent.as_deref().unwrap_or("").to_ascii_lowercase();
        if agent.contains("mdm") || agent.contains("intune") || agent.contains("googlecloud") {
            mdm += 1;
        }
    }
    let summary: serde_json::Map<String, serde_json::Value> = OVERVIEW_PLATFORMS
        .iter()
        .map(|(platform, key)| ((*key).to_owned(), per_platform.get(platform).copied().unwrap_or(0).into()))
        .collect();
    serde_json::json!({
        "@odata.context": "$metadata#deviceManagement/managedDeviceOverview/$entity",
        "id": tenant.tenant_id,
        "enrolledDeviceCount": tenant.devices.len(),
        "mdmEnrolledCount": mdm,
        "dualEnrolledDeviceCount": 0,
        "deviceOperatingSystemSummary": summary,
    })
    .to_string()
    .into_bytes()
}

/// The lower-case value of `operatingSystem eq '<v>'` (or `ne`, the Graph bug), or `None` for any other
/// filter (which Graph ignores).
fn os_filter(filter: &str) -> Option<String> {
    let (property, rest) = filter.trim().split_once(char::is_whitespace)?;
    if !property.eq_ignore_ascii_case("operatingSystem") {
        return None;
    }
    let (operator, value) = rest.trim_start().split_once(char::is_whitespace)?;
    if !operator.eq_ignore_ascii_case("eq") && !operator.eq_ignore_ascii_case("ne") {
        return None;
    }
    let inner = value.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    let mut text = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\'' {
            // Inside a literal a quote is doubled; a lone quote means more than one literal (`and`, `or`).
            if chars.next() != Some('\'') {
                return None;
            }
        }
        text.push(c);
    }
    Some(text.to_lowercase())
}

impl Shared {
    /// `GET /beta/deviceManagement/managedDevices`.
    pub(super) fn devices(&self, ctx: &Ctx, query: &Query) -> Result<Out, Out> {
        let index = &self.index;
        let top = page_size(ctx, query.top.as_deref(), DEVICE_PAGE, DEVICE_PAGE)?;
        let selection = Selection::parse(query.select.as_deref()).map_err(|name| Selection::refused(ctx, &name))?;
        let filter = query.filter.as_deref().map(str::trim).unwrap_or("");
        let key = format!("managedDevices|{filter}");
        let list = match os_filter(filter) {
            Some(os) => index.devices.os_list(&index.tenant, &os),
            None => index.devices.listed.clone(),
        };
        let path = "/beta/deviceManagement/managedDevices";
        let (range, link) =
            self.keyset(ctx, query, &key, path, &list, |d| index.device_id(d), top, Faults::ExpireAndRepeat)?;
        let context = format!("{}/beta/$metadata#deviceManagement/managedDevices", index.base);
        let page = &list[range];
        Ok(Out::json(collection(&context, page.len() * 800, link.as_deref(), |buf| {
            self.write_devices(buf, page, &selection, false)
        })))
    }

    /// `GET /beta/deviceManagement/managedDevices/{id}`: one listed device, `hardwareInformation` filled.
    pub(super) fn device(&self, ctx: &Ctx, id: &str, query: &Query) -> Result<Out, Out> {
        let devices = &self.index.devices;
        let found = devices.by_id.get(id).copied().filter(|&d| devices.visible[d as usize]);
        let Some(d) = found else {
            return Err(graph_error(ctx, StatusCode::NOT_FOUND, "ResourceNotFound", "Resource not found."));
        };
        let selection = Selection::parse(query.select.as_deref()).map_err(|name| Selection::refused(ctx, &name))?;
        let mut buf = Vec::with_capacity(1024);
        self.write_devices(&mut buf, &[d], &selection, true);
        Ok(Out::json(buf))
    }

    /// `GET /beta/deviceManagement/managedDeviceOverview`.
    pub(super) fn overview(&self) -> Out {
        Out::json(self.index.devices.overview.clone())
    }

    /// The devices `devices` as a JSON array's items, each with the properties of `selection`;
    /// `hardwareInformation` is filled only for `one` device read by id.
    pub(super) fn write_devices(&self, buf: &mut Vec<u8>, devices: &[u32], selection: &Selection, one: bool) {
        for (n, &d) in devices.iter().enumerate() {
            if n > 0 {
                buf.push(b',');
            }
            let device = &self.index.tenant.devices[d as usize];
            buf.extend_from_slice(b"{\"id\":");
            push_opt(buf, device.id.as_deref());
            match selection {
                Selection::All => {
                    for (f, name) in TEXT_FIELDS.iter().enumerate().skip(1) {
                        if let Some(value) = served_field(device, f, one) {
                            buf.push(b',');
                            push_key(buf, name);
                            push_str(buf, value);
                        }
                    }
                    buf.push(b',');
                    push_key(buf, "hardwareInformation");
                    write_hardware(buf, device, one);
                }
                Selection::Fields(fields) => {
                    for &(name, property) in fields {
                        buf.push(b',');
                        push_key(buf, name);
                        match property {
                            Property::Text(f) => push_opt(buf, served_field(device, f, one)),
                            Property::Hardware => write_hardware(buf, device, one),
                            Property::Null => buf.extend_from_slice(b"null"),
                        }
                    }
                }
            }
            buf.push(b'}');
        }
    }
}

/// `hardwareInformation`: blank in listings; for one device, a serial number made from its id.
fn write_hardware(buf: &mut Vec<u8>, device: &GraphDevice<'static>, one: bool) {
    if !one {
        buf.extend_from_slice(BLANK_HARDWARE.as_bytes());
        return;
    }
    let serial: String =
        device.id.as_deref().unwrap_or("").chars().filter(char::is_ascii_alphanumeric).take(12).collect();
    buf.extend_from_slice(b"{\"serialNumber\":");
    push_str(buf, &serial.to_ascii_uppercase());
    let shared = device.hardware_information.and_then(|h| h.is_shared_device).unwrap_or(false);
    buf.extend_from_slice(br#","isSupervised":false,"isEncrypted":true,"isSharedDevice":"#);
    buf.extend_from_slice(if shared { b"true" } else { b"false" });
    buf.extend_from_slice(br#","sharedDeviceCachedUsers":[]}"#);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_fields_are_the_clients_select_but_the_hardware_object() {
        assert_eq!(DEVICE_SELECT.last(), Some(&"hardwareInformation"));
        assert_eq!(TEXT_FIELDS[0], "id");
        assert_eq!(TEXT_FIELDS[ENROLLED_BY], "enrolledByUserPrincipalName");
        assert_eq!(TEXT_FIELDS.len(), 16, "one `device_field` arm each");
    }

    #[test]
    fn os_filters() {
        assert_eq!(os_filter("operatingSystem eq 'iOS'").as_deref(), Some("ios"));
        assert_eq!(os_filter("  OperatingSystem   EQ   'Android' ").as_deref(), Some("android"));
        assert_eq!(os_filter("operatingSystem ne 'Windows'").as_deref(), Some("windows"));
        assert_eq!(os_filter("operatingSystem eq 'O''Brien OS'").as_deref(), Some("o'brien os"));
        assert_eq!(os_filter("operatingSystem eq 'iOS' and deviceName eq 'x'"), None);
        assert_eq!(os_filter("operatingSystem eq 'iOS' or operatingSystem eq 'Android'"), None);
        assert_eq!(os_filter("userId eq 'x'"), None);
        assert_eq!(os_filter("startswith(operatingSystem,'i')"), None);
        assert_eq!(os_filter("operatingSystem gt 'a'"), None);
        assert_eq!(os_filter("operatingSystem eq iOS"), None);
        assert_eq!(os_filter("operatingSystem eq '"), None);
        assert_eq!(os_filter(""), None);
    }

    #[test]
    fn text_fields_match_the_serde_names() {
        let device = GraphDevice {
            id: Some("0".into()),
            device_name: Some("1".into()),
            user_id: Some("2".into()),
            user_principal_name: Some("3".into()),
            user_display_name: Some("4".into()),
            enrolled_by_user_principal_name: Some("5".into()),
            operating_system: Some("6".into()),
            os_version: Some("7".into()),
            device_type: Some("8".into()),
            device_enrollment_type: Some("9".into()),
            management_agent: Some("10".into()),
            management_state: Some("11".into()),
            managed_device_owner_type: Some("12".into()),
            owner_type: Some("13".into()),
            last_sync_date_time: Some("14".into()),
            enrolled_date_time: Some("15".into()),
            ..Default::default()
        };
        let value = serde_json::to_value(&device).unwrap();
        let object = value.as_object().unwrap();
        for (f, name) in TEXT_FIELDS.iter().enumerate() {
            assert_eq!(object[*name], f.to_string(), "{name}");
            assert_eq!(device_field(&device, f), Some(f.to_string().as_str()));
        }
    }

    /// Every property the device wire type reads is one the simulator serves with its value, so that a
    /// field added to `GraphDevice` is served too (or this test names it).
    #[test]
    fn every_graph_device_property_is_served() {
        let example = include_str!("../../../../tests/fixtures/graph-docs/managedDevice-get-beta.example.json");
        let example: serde_json::Value = serde_json::from_str(example).unwrap();
        let text = example["value"].to_string();
        let device: GraphDevice = serde_json::from_str(&text).unwrap();
        let value = serde_json::to_value(&device).unwrap();
        for name in value.as_object().unwrap().keys() {
            assert_ne!(Property::of(name), Property::Null, "{name} is read by the client but served as null");
        }
    }

    #[test]
    fn select_names_are_checked_against_the_beta_managed_device() {
        let shape = include_str!("../../../../tests/fixtures/graph-docs/managedDevice-beta-resource-shape.json");
        let shape: serde_json::Map<String, serde_json::Value> = serde_json::from_str(shape).unwrap();
        let mut documented: Vec<&str> = shape.keys().map(String::as_str).filter(|k| !k.starts_with('@')).collect();
        documented.push("enrolledByUserPrincipalName");
        let mut known = MANAGED_DEVICE_PROPERTIES.to_vec();
        documented.sort_unstable();
        known.sort_unstable();
        assert_eq!(known, documented, "the simulator knows exactly the documented properties");

        let selection = Selection::parse(Some("id,DeviceName, hardwareInformation,notes,deviceName")).unwrap();
        assert_eq!(
            selection,
            Selection::Fields(vec![
                ("deviceName", Property::Text(1)),
                ("hardwareInformation", Property::Hardware),
                ("notes", Property::Null)
            ])
        );
        assert_eq!(Selection::parse(Some("id,isSharedDevice")), Err("isSharedDevice".to_owned()));
        assert_eq!(Selection::parse(Some(" ")), Ok(Selection::All));
    }
}
