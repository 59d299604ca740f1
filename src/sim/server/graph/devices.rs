//! The device endpoints: `managedDevices` (keyset pages by id, `$select`, the `operatingSystem eq`
//! filter) and `managedDeviceOverview` (precomputed counts), over a [`DeviceIndex`] of the tenant's
//! devices. The device JSON writer here serves the app device lists too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::paging::{page_size, Faults};
use crate::sim::server::faults::lock;
use crate::sim::server::wire::{collection, push_key, push_opt, push_str, Ctx, Out, Query};
use crate::sim::server::Shared;
use crate::sim::tenant::SimTenant;
use crate::source::wire::GraphDevice;

/// Page size of `managedDevices` and of the devices of a detected app (the wire spec's).
pub(super) const DEVICE_PAGE: usize = 1000;
/// Distinct `operatingSystem` filters whose device lists are kept; more are computed per request.
const OS_CACHE_MAX: usize = 64;

/// The `managedDevice` properties the simulator knows: the client's `$select` list, in `GraphDevice`
/// order (`id` first).
const DEVICE_FIELDS: &[&str] = crate::source::wire::DEVICE_SELECT;

/// Property `field` (an index into [`DEVICE_FIELDS`]) of a device.
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
        _ => None,
    }
}

/// A device's `$select`: every property it has (no `$select`), or the named ones (`null` when the
/// device has no value), always with `id`. Unknown names are ignored.
pub(super) enum Selection {
    All,
    Fields(Vec<usize>),
}

impl Selection {
    pub(super) fn parse(select: Option<&str>) -> Selection {
        let Some(select) = select.filter(|s| !s.trim().is_empty()) else { return Selection::All };
        let mut fields = Vec::new();
        for name in select.split(',').map(str::trim) {
            if let Some(f) = DEVICE_FIELDS.iter().position(|known| known.eq_ignore_ascii_case(name)) {
                if f != 0 && !fields.contains(&f) {
                    fields.push(f);
                }
            }
        }
        Selection::Fields(fields)
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
    let (mut android, mut ios, mut macos, mut windows, mut mobile, mut linux, mut chrome, mut unknown) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    let mut mdm = 0u64;
    for device in &tenant.devices {
        let os = device.operating_system.as_deref().unwrap_or("").to_lowercase();
        let os = os.replace(' ', "");
        if os.starts_with("android") {
            android += 1;
        } else if os == "ios" || os == "ipados" {
            ios += 1;
        } else if os == "macos" || os == "macosx" || os == "mac" {
            macos += 1;
        } else if os.starts_with("windowsmobile") || os.starts_with("windowsphone") {
            mobile += 1;
        } else if os.starts_with("windows") {
            windows += 1;
        } else if os.starts_with("linux") {
            linux += 1;
        } else if os.starts_with("chrome") {
            chrome += 1;
        } else {
            unknown += 1;
        }
        let agent = device.management_agent.as_deref().unwrap_or("").to_ascii_lowercase();
        if agent.contains("mdm") || agent.contains("intune") || agent.contains("googlecloud") {
            mdm += 1;
        }
    }
    serde_json::json!({
        "@odata.context": "$metadata#deviceManagement/managedDeviceOverview/$entity",
        "id": tenant.tenant_id,
        "enrolledDeviceCount": tenant.devices.len(),
        "mdmEnrolledCount": mdm,
        "dualEnrolledDeviceCount": 0,
        "deviceOperatingSystemSummary": {
            "androidCount": android,
            "iosCount": ios,
            "macOSCount": macos,
            "windowsMobileCount": mobile,
            "windowsCount": windows,
            "unknownCount": unknown,
            "linuxCount": linux,
            "chromeOSCount": chrome,
        }
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
        let filter = query.filter.as_deref().map(str::trim).unwrap_or("");
        let key = format!("managedDevices|{filter}");
        let list = match os_filter(filter) {
            Some(os) => index.devices.os_list(&index.tenant, &os),
            None => index.devices.listed.clone(),
        };
        let path = "/beta/deviceManagement/managedDevices";
        let (range, link) =
            self.keyset(ctx, query, &key, path, &list, |d| index.device_id(d), top, Faults::ExpireAndRepeat)?;
        let selection = Selection::parse(query.select.as_deref());
        let context = format!("{}/beta/$metadata#deviceManagement/managedDevices", index.base);
        let page = &list[range];
        Ok(Out::json(collection(&context, page.len() * 640, link.as_deref(), |buf| {
            self.write_devices(buf, page, &selection)
        })))
    }

    /// `GET /beta/deviceManagement/managedDeviceOverview`.
    pub(super) fn overview(&self) -> Out {
        Out::json(self.index.devices.overview.clone())
    }

    /// The devices `devices` as a JSON array's items, each with the properties of `selection`.
    pub(super) fn write_devices(&self, buf: &mut Vec<u8>, devices: &[u32], selection: &Selection) {
        for (n, &d) in devices.iter().enumerate() {
            if n > 0 {
                buf.push(b',');
            }
            let device = &self.index.tenant.devices[d as usize];
            buf.extend_from_slice(b"{\"id\":");
            push_opt(buf, device.id.as_deref());
            match selection {
                Selection::All => {
                    for (f, name) in DEVICE_FIELDS.iter().enumerate().skip(1) {
                        if let Some(value) = device_field(device, f) {
                            buf.push(b',');
                            push_key(buf, name);
                            push_str(buf, value);
                        }
                    }
                }
                Selection::Fields(fields) => {
                    for &f in fields {
                        buf.push(b',');
                        push_key(buf, DEVICE_FIELDS[f]);
                        push_opt(buf, device_field(device, f));
                    }
                }
            }
            buf.push(b'}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn device_fields_match_the_serde_names() {
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
            ..Default::default()
        };
        let value = serde_json::to_value(&device).unwrap();
        let object = value.as_object().unwrap();
        assert_eq!(object.len(), DEVICE_FIELDS.len());
        for (f, name) in DEVICE_FIELDS.iter().enumerate() {
            assert_eq!(object[*name], f.to_string(), "{name}");
            assert_eq!(device_field(&device, f), Some(f.to_string().as_str()));
        }
    }
}
