//! The Graph endpoints of the wire spec, over an [`Index`] of the tenant built once at start: devices
//! sorted by id (the keyset order), lookups by id, the device -> apps index, the pre-serialized
//! detected apps and the overview. Listings page by keyset, so a page boundary never shifts; the
//! opaque `$skiptoken` is base64url of `"{listing key}|{issue}|{page}|{last key}"` where the listing
//! key is the path plus the raw `$filter`, the issue numbers each run of a listing (a first page), the
//! page is the number of the page the token fetches, and the last key is the id of the last item
//! returned (for group members, the offset reached).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};

use axum::http::StatusCode;
use base64::Engine as _;
use serde_json::Value;

use super::faults::{lock, retry_after};
use super::wire::{
    bad_request, collection, encode, graph_error, push_key, push_opt, push_str, segments, Ctx, Out, Query,
    SKIPTOKEN_MESSAGE,
};
use super::{route, Op, Route, Shared};
use crate::sim::tenant::{SimMember, SimTenant};
use crate::source::wire::GraphDevice;

/// Page sizes of the wire spec.
const DEVICE_PAGE: usize = 1000;
const APP_PAGE: usize = 500;
const MEMBER_PAGE: usize = 100;
const MEMBER_PAGE_MAX: usize = 999;
/// At most this many requests in one `$batch`.
pub(super) const BATCH_MAX: usize = 20;
/// Distinct `operatingSystem` filters whose device lists are kept; more are computed per request.
const OS_CACHE_MAX: usize = 64;

/// The `managedDevice` properties the simulator knows: the client's `$select` list, in `GraphDevice`
/// order (`id` first).
pub(super) const DEVICE_FIELDS: &[&str] = crate::source::wire::DEVICE_SELECT;

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
enum Selection {
    All,
    Fields(Vec<usize>),
}

impl Selection {
    fn parse(select: Option<&str>) -> Selection {
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

/// What the server precomputes from the tenant (read-only after start, but for the lazy caches).
pub(super) struct Index {
    pub tenant: Arc<SimTenant>,
    /// `http://127.0.0.1:PORT`, the base of next links.
    pub base: String,
    /// The listed devices: indices of the devices with an id, sorted by id, without the hidden ones.
    listed: Arc<[u32]>,
    /// Per device: listed (has an id and is not hidden).
    visible: Vec<bool>,
    /// Per device: its position in id order (`u32::MAX` without an id), to sort app device lists.
    rank: Vec<u32>,
    /// Every device with an id (hidden ones too) by id.
    device_by_id: HashMap<Box<str>, u32>,
    /// Listed devices per lower-case `operatingSystem`, built on first use.
    os_lists: Mutex<HashMap<String, Arc<[u32]>>>,
    /// Indices of the apps with an id, sorted by id.
    apps_sorted: Vec<u32>,
    app_by_id: HashMap<Box<str>, u32>,
    /// Per app: its `detectedApp` JSON object.
    app_json: Vec<Box<[u8]>>,
    /// Per app: its listed devices sorted by id, built on first use.
    app_devices: Vec<OnceLock<Arc<[u32]>>>,
    /// Device -> apps, compressed: the apps of device `d` are `device_app_list[device_app_start[d]..device_app_start[d + 1]]`.
    device_app_start: Vec<usize>,
    device_app_list: Vec<u32>,
    group_by_id: HashMap<Box<str>, usize>,
    /// Per group: its transitive members, built on first use.
    group_members: Vec<OnceLock<Arc<[SimMember]>>>,
    /// The `managedDeviceOverview` JSON.
    overview: Vec<u8>,
}

impl Index {
    /// Checks that every index in the tenant points at something, and builds the index.
    pub fn build(tenant: Arc<SimTenant>, base: String, hide: usize) -> Result<Index, String> {
        let devices = tenant.devices.len();
        if devices >= u32::MAX as usize || tenant.apps.len() >= u32::MAX as usize {
            return Err(format!("too many devices ({devices}) or apps ({})", tenant.apps.len()));
        }
        for app in &tenant.apps {
            if let Some(&d) = app.devices.iter().find(|&&d| d as usize >= devices) {
                return Err(format!("app {:?} names device #{d}, but the tenant has {devices}", app.app.id));
            }
        }
        for group in &tenant.groups {
            for member in &group.members {
                let ok = match *member {
                    SimMember::User(u) => u < tenant.users.len(),
                    SimMember::Device(d) => d < devices,
                    SimMember::Group(g) => g < tenant.groups.len(),
                };
                if !ok {
                    return Err(format!("group {:?} has a member that does not exist: {member:?}", group.id));
                }
            }
        }

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
        let mut device_by_id = HashMap::with_capacity(sorted.len());
        for &d in &sorted {
            if let Some(id) = id_of(d) {
                device_by_id.entry(Box::from(id)).or_insert(d);
            }
        }
        sorted.truncate(listed_len);

        let app_id = |a: u32| tenant.apps[a as usize].app.id.as_deref();
        let mut apps_sorted: Vec<u32> = (0..tenant.apps.len() as u32).filter(|&a| app_id(a).is_some()).collect();
        apps_sorted.sort_unstable_by(|&a, &b| app_id(a).cmp(&app_id(b)).then(a.cmp(&b)));
        let mut app_by_id = HashMap::with_capacity(apps_sorted.len());
        for &a in &apps_sorted {
            if let Some(id) = app_id(a) {
                app_by_id.entry(Box::from(id)).or_insert(a);
            }
        }
        let app_json = tenant.apps.iter().map(|app| detected_app_json(app).into_boxed_slice()).collect();

        let mut device_app_start = vec![0usize; devices + 1];
        for app in &tenant.apps {
            for &d in &app.devices {
                device_app_start[d as usize + 1] += 1;
            }
        }
        for d in 0..devices {
            device_app_start[d + 1] += device_app_start[d];
        }
        let mut fill = device_app_start.clone();
        let mut device_app_list = vec![0u32; device_app_start[devices]];
        for (a, app) in tenant.apps.iter().enumerate() {
            for &d in &app.devices {
                device_app_list[fill[d as usize]] = a as u32;
                fill[d as usize] += 1;
            }
        }

        let mut group_by_id = HashMap::with_capacity(tenant.groups.len());
        for (g, group) in tenant.groups.iter().enumerate() {
            group_by_id.entry(Box::from(group.id.as_str())).or_insert(g);
        }

        Ok(Index {
            overview: overview_json(&tenant),
            listed: sorted.into(),
            visible,
            rank,
            device_by_id,
            os_lists: Mutex::new(HashMap::new()),
            apps_sorted,
            app_by_id,
            app_json,
            app_devices: (0..tenant.apps.len()).map(|_| OnceLock::new()).collect(),
            device_app_start,
            device_app_list,
            group_by_id,
            group_members: (0..tenant.groups.len()).map(|_| OnceLock::new()).collect(),
            base,
            tenant,
        })
    }

    fn device_id(&self, d: u32) -> &str {
        self.tenant.devices[d as usize].id.as_deref().unwrap_or("")
    }

    fn app_id(&self, a: u32) -> &str {
        self.tenant.apps[a as usize].app.id.as_deref().unwrap_or("")
    }

    /// The listed devices whose `operatingSystem` equals `os` (lower case) ignoring case, by id.
    fn os_list(&self, os: &str) -> Arc<[u32]> {
        if let Some(list) = lock(&self.os_lists).get(os) {
            return list.clone();
        }
        let list: Arc<[u32]> = self
            .listed
            .iter()
            .copied()
            .filter(|&d| {
                self.tenant.devices[d as usize].operating_system.as_deref().is_some_and(|o| o.to_lowercase() == os)
            })
            .collect();
        let mut cache = lock(&self.os_lists);
        if cache.len() < OS_CACHE_MAX {
            cache.insert(os.to_owned(), list.clone());
        }
        list
    }

    /// The listed devices of app `a`, by id.
    fn app_device_list(&self, a: u32) -> Arc<[u32]> {
        self.app_devices[a as usize]
            .get_or_init(|| {
                let mut list: Vec<u32> = self.tenant.apps[a as usize]
                    .devices
                    .iter()
                    .copied()
                    .filter(|&d| self.visible[d as usize])
                    .collect();
                list.sort_unstable_by_key(|&d| self.rank[d as usize]);
                list.dedup();
                list.into()
            })
            .clone()
    }

    fn members(&self, g: usize) -> Arc<[SimMember]> {
        self.group_members[g].get_or_init(|| self.tenant.transitive_members(g).into()).clone()
    }
}

/// A `detectedApp` object: `id, displayName, version, sizeInByte, deviceCount, publisher, platform`.
fn detected_app_json(app: &crate::sim::tenant::SimApp) -> Vec<u8> {
    let a = &app.app;
    let mut buf = Vec::with_capacity(256);
    buf.push(b'{');
    push_key(&mut buf, "id");
    push_opt(&mut buf, a.id.as_deref());
    buf.extend_from_slice(b",\"displayName\":");
    push_opt(&mut buf, a.display_name.as_deref());
    buf.extend_from_slice(b",\"version\":");
    push_opt(&mut buf, a.version.as_deref());
    buf.extend_from_slice(b",\"sizeInByte\":0,\"deviceCount\":");
    buf.extend_from_slice(a.device_count.unwrap_or(app.devices.len() as i64).to_string().as_bytes());
    buf.extend_from_slice(b",\"publisher\":");
    push_opt(&mut buf, a.publisher.as_deref());
    buf.extend_from_slice(b",\"platform\":");
    push_opt(&mut buf, a.platform.as_deref());
    buf.push(b'}');
    buf
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
pub(super) fn os_filter(filter: &str) -> Option<String> {
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

/// A decoded `$skiptoken`.
struct Cursor {
    issue: u64,
    page: u32,
    last: String,
}

fn encode_token(key: &str, issue: u64, page: u32, last: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{key}|{issue}|{page}|{last}"))
}

/// Decodes a token of listing `key`; `None` when it is not one (garbled, or of another listing).
fn decode_token(raw: &str, key: &str) -> Option<Cursor> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw.trim().trim_end_matches('=')).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let rest = text.strip_prefix(key)?.strip_prefix('|')?;
    let mut parts = rest.splitn(3, '|');
    let issue = parts.next()?.parse().ok()?;
    let page = parts.next()?.parse().ok()?;
    let last = parts.next()?.to_owned();
    Some(Cursor { issue, page, last })
}

/// `$top`: a page size of 1..=`max` (larger values are capped), default `default`.
fn page_size(ctx: &Ctx, top: Option<&str>, default: usize, max: usize) -> Result<usize, Out> {
    match top.map(str::trim) {
        None => Ok(default),
        Some(text) => match text.parse::<u64>() {
            Ok(n) if n >= 1 => Ok((n.min(max as u64)) as usize),
            _ => Err(bad_request(ctx, &format!("Invalid value '{text}' for $top: a positive integer is expected."))),
        },
    }
}

/// Which faults a listing takes part in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Faults {
    /// Device and app listings: `expire_skiptokens_after`.
    Expire,
    /// `managedDevices`: `expire_skiptokens_after` and `repeat_next_link`.
    ExpireAndRepeat,
}

fn not_found(ctx: &Ctx) -> Out {
    graph_error(ctx, StatusCode::NOT_FOUND, "ResourceNotFound", "Resource not found for the segment.")
}

impl Shared {
    /// One Graph request (top level or inside a `$batch`) of an authenticated client: counted, then
    /// throttled, then perhaps failed (error rate), then answered.
    pub(super) fn graph(&self, ctx: &Ctx, client: &str, op: &Op, query: &Query) -> Out {
        let counter = match op {
            Op::Devices => &self.stats.device_pages,
            Op::Overview => &self.stats.overview,
            Op::Apps => &self.stats.app_pages,
            Op::AppDevices(_) => &self.stats.app_device_pages,
            Op::DeviceApps(_) => &self.stats.device_app_reads,
            Op::Members(_) => &self.stats.group_pages,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if let Err(wait) = self.throttle.acquire(client) {
            return self.throttled(ctx, wait);
        }
        if self.dice.fails() {
            self.stats.unavailable.fetch_add(1, Ordering::Relaxed);
            let out = graph_error(
                ctx,
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "The service is temporarily unavailable. Please retry later.",
            );
            return self.maybe_retry_after(out, 0.2);
        }
        let result = match op {
            Op::Devices => self.devices(ctx, query),
            Op::Overview => Ok(Out::json(self.index.overview.clone())),
            Op::Apps => self.apps(ctx, query),
            Op::AppDevices(id) => self.app_devices(ctx, id, query),
            Op::DeviceApps(id) => self.device_apps(ctx, id),
            Op::Members(id) => self.members(ctx, id, query),
        };
        result.unwrap_or_else(|error| error)
    }

    /// The 429 answer, with `Retry-After` unless the server runs without it.
    pub(super) fn throttled(&self, ctx: &Ctx, wait: f64) -> Out {
        self.stats.throttled.fetch_add(1, Ordering::Relaxed);
        let out = graph_error(
            ctx,
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests. The request was throttled; retry after the time given.",
        );
        self.maybe_retry_after(out, wait)
    }

    fn maybe_retry_after(&self, out: Out, seconds: f64) -> Out {
        if self.options.no_retry_after {
            out
        } else {
            out.with_header("Retry-After", retry_after(seconds))
        }
    }

    /// The keyset page of `list` (ordered by `key_of`) that the request's `$skiptoken` asks for, and the
    /// next link. Applies the listing faults.
    #[allow(clippy::too_many_arguments)]
    fn keyset<'s>(
        &'s self,
        ctx: &Ctx,
        query: &Query,
        key: &str,
        path: &str,
        list: &[u32],
        key_of: impl Fn(u32) -> &'s str,
        top: usize,
        faults: Faults,
    ) -> Result<(Range<usize>, Option<String>), Out> {
        let cursor = match &query.skiptoken {
            None => None,
            Some(raw) => Some(decode_token(raw, key).ok_or_else(|| bad_request(ctx, SKIPTOKEN_MESSAGE))?),
        };
        if cursor.is_some() && self.listings.expires(key) {
            self.stats.skiptokens_expired.fetch_add(1, Ordering::Relaxed);
            return Err(bad_request(ctx, SKIPTOKEN_MESSAGE));
        }
        let (issue, page, start) = match &cursor {
            None => (self.listings.new_issue(), 1, 0),
            Some(c) => (c.issue, c.page, list.partition_point(|&item| key_of(item) <= c.last.as_str())),
        };
        let end = start.saturating_add(top).min(list.len());
        let mut next =
            (end < list.len()).then(|| encode_token(key, issue, page.saturating_add(1), key_of(list[end - 1])));
        if faults == Faults::ExpireAndRepeat {
            if page == 1 && next.is_some() {
                self.listings.claim_repeat(issue);
            } else if page == 2 && self.listings.repeats(issue) {
                self.stats.repeated_next_links.fetch_add(1, Ordering::Relaxed);
                next = query.skiptoken.clone();
            }
        }
        let link = next.map(|token| format!("{}{path}?{}", self.index.base, query.next_query(&token)));
        Ok((start..end, link))
    }

    fn write_devices(&self, buf: &mut Vec<u8>, devices: &[u32], selection: &Selection) {
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

    /// `GET /beta/deviceManagement/managedDevices`.
    fn devices(&self, ctx: &Ctx, query: &Query) -> Result<Out, Out> {
        let top = page_size(ctx, query.top.as_deref(), DEVICE_PAGE, DEVICE_PAGE)?;
        let filter = query.filter.as_deref().map(str::trim).unwrap_or("");
        let key = format!("managedDevices|{filter}");
        let list = match os_filter(filter) {
            Some(os) => self.index.os_list(&os),
            None => self.index.listed.clone(),
        };
        let path = "/beta/deviceManagement/managedDevices";
        let (range, link) =
            self.keyset(ctx, query, &key, path, &list, |d| self.index.device_id(d), top, Faults::ExpireAndRepeat)?;
        let selection = Selection::parse(query.select.as_deref());
        let context = format!("{}/beta/$metadata#deviceManagement/managedDevices", self.index.base);
        let page = &list[range];
        Ok(Out::json(collection(&context, page.len() * 640, link.as_deref(), |buf| {
            self.write_devices(buf, page, &selection)
        })))
    }

    /// `GET /beta/deviceManagement/detectedApps` (`$filter` ignored).
    fn apps(&self, ctx: &Ctx, query: &Query) -> Result<Out, Out> {
        let top = page_size(ctx, query.top.as_deref(), APP_PAGE, APP_PAGE)?;
        let key = format!("detectedApps|{}", query.filter.as_deref().map(str::trim).unwrap_or(""));
        let list = &self.index.apps_sorted;
        let path = "/beta/deviceManagement/detectedApps";
        let (range, link) = self.keyset(ctx, query, &key, path, list, |a| self.index.app_id(a), top, Faults::Expire)?;
        let context = format!("{}/beta/$metadata#deviceManagement/detectedApps", self.index.base);
        let page = &list[range];
        Ok(Out::json(collection(&context, page.len() * 200, link.as_deref(), |buf| {
            for (n, &a) in page.iter().enumerate() {
                if n > 0 {
                    buf.push(b',');
                }
                buf.extend_from_slice(&self.index.app_json[a as usize]);
            }
        })))
    }

    /// `GET /beta/deviceManagement/detectedApps/{id}/managedDevices`.
    fn app_devices(&self, ctx: &Ctx, app_id: &str, query: &Query) -> Result<Out, Out> {
        let &a = self.index.app_by_id.get(app_id).ok_or_else(|| not_found(ctx))?;
        let top = page_size(ctx, query.top.as_deref(), DEVICE_PAGE, DEVICE_PAGE)?;
        let key =
            format!("detectedApps/{app_id}/managedDevices|{}", query.filter.as_deref().map(str::trim).unwrap_or(""));
        let list = self.index.app_device_list(a);
        let path = format!("/beta/deviceManagement/detectedApps/{}/managedDevices", encode(app_id));
        let (range, link) =
            self.keyset(ctx, query, &key, &path, &list, |d| self.index.device_id(d), top, Faults::Expire)?;
        let selection = Selection::parse(query.select.as_deref());
        let context = format!(
            "{}/beta/$metadata#deviceManagement/detectedApps('{}')/managedDevices",
            self.index.base,
            encode(app_id)
        );
        let page = &list[range];
        Ok(Out::json(collection(&context, page.len() * 128, link.as_deref(), |buf| {
            self.write_devices(buf, page, &selection)
        })))
    }

    /// `GET /beta/deviceManagement/managedDevices/{id}/detectedApps`: every app of the device, one page.
    fn device_apps(&self, ctx: &Ctx, device_id: &str) -> Result<Out, Out> {
        let index = &self.index;
        let d = match index.device_by_id.get(device_id) {
            Some(&d) if index.visible[d as usize] => d as usize,
            _ => return Err(not_found(ctx)),
        };
        let apps = &index.device_app_list[index.device_app_start[d]..index.device_app_start[d + 1]];
        let context = format!(
            "{}/beta/$metadata#deviceManagement/managedDevices('{}')/detectedApps",
            index.base,
            encode(device_id)
        );
        Ok(Out::json(collection(&context, apps.len() * 200, None, |buf| {
            for (n, &a) in apps.iter().enumerate() {
                if n > 0 {
                    buf.push(b',');
                }
                buf.extend_from_slice(&index.app_json[a as usize]);
            }
        })))
    }

    /// `GET /v1.0/groups/{id}/transitiveMembers`.
    fn members(&self, ctx: &Ctx, group_id: &str, query: &Query) -> Result<Out, Out> {
        let Some(&g) = self.index.group_by_id.get(group_id) else {
            return Err(graph_error(
                ctx,
                StatusCode::NOT_FOUND,
                "Request_ResourceNotFound",
                &format!(
                    "Resource '{group_id}' does not exist or one of its queried reference-property objects are \
                     not present."
                ),
            ));
        };
        let top = match query.top.as_deref().map(str::trim) {
            None => MEMBER_PAGE,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=MEMBER_PAGE_MAX).contains(&n) => n,
                _ => {
                    return Err(bad_request(
                        ctx,
                        &format!("Invalid page size specified: '{text}'. Must be between 1 and 999 inclusive."),
                    ))
                }
            },
        };
        let key = format!("groups/{group_id}/transitiveMembers");
        let members = self.index.members(g);
        let (issue, page, start) = match &query.skiptoken {
            None => (self.listings.new_issue(), 1, 0),
            Some(raw) => {
                let cursor = decode_token(raw, &key).ok_or_else(|| bad_request(ctx, SKIPTOKEN_MESSAGE))?;
                let offset = cursor.last.parse::<usize>().map_err(|_| bad_request(ctx, SKIPTOKEN_MESSAGE))?;
                (cursor.issue, cursor.page, offset.min(members.len()))
            }
        };
        let end = start.saturating_add(top).min(members.len());
        let link = (end < members.len()).then(|| {
            let token = encode_token(&key, issue, page.saturating_add(1), &end.to_string());
            format!(
                "{}/v1.0/groups/{}/transitiveMembers?{}",
                self.index.base,
                encode(group_id),
                query.next_query(&token)
            )
        });

        let wanted = |name: &str| match query.select.as_deref().filter(|s| !s.trim().is_empty()) {
            None => true,
            Some(select) => select.split(',').any(|s| s.trim().eq_ignore_ascii_case(name)),
        };
        let (upn, name) = (wanted("userPrincipalName"), wanted("displayName"));
        let tenant = &self.index.tenant;
        let context = format!("{}/v1.0/$metadata#directoryObjects", self.index.base);
        Ok(Out::json(collection(&context, (end - start) * 200, link.as_deref(), |buf| {
            for (n, member) in members[start..end].iter().enumerate() {
                if n > 0 {
                    buf.push(b',');
                }
                let (kind, id, display, principal) = match *member {
                    SimMember::User(u) => {
                        let user = &tenant.users[u];
                        (
                            "#microsoft.graph.user",
                            Some(user.id.as_str()),
                            Some(user.display_name.as_str()),
                            Some(user.user_principal_name.as_str()),
                        )
                    }
                    SimMember::Device(d) => {
                        let device = &tenant.devices[d];
                        ("#microsoft.graph.device", device.id.as_deref(), device.device_name.as_deref(), None)
                    }
                    SimMember::Group(x) => {
                        let group = &tenant.groups[x];
                        ("#microsoft.graph.group", Some(group.id.as_str()), Some(group.display_name.as_str()), None)
                    }
                };
                buf.extend_from_slice(b"{\"@odata.type\":");
                push_str(buf, kind);
                buf.extend_from_slice(b",\"id\":");
                push_opt(buf, id);
                if let (true, Some(principal)) = (upn, principal) {
                    buf.extend_from_slice(b",\"userPrincipalName\":");
                    push_str(buf, principal);
                }
                if name {
                    buf.extend_from_slice(b",\"displayName\":");
                    push_opt(buf, display);
                }
                buf.push(b'}');
            }
        })))
    }

    /// `POST /{version}/$batch` of an authenticated client whose throttle window had room.
    pub(super) fn batch(&self, ctx: &Ctx, client: &str, version: &str, body: &[u8]) -> Out {
        let Ok(envelope) = serde_json::from_slice::<Value>(body) else {
            return bad_request(ctx, "Invalid batch payload format: the body is not JSON.");
        };
        let Some(requests) = envelope.get("requests").and_then(Value::as_array) else {
            return bad_request(ctx, "Invalid batch payload format: 'requests' is missing.");
        };
        if requests.is_empty() {
            return bad_request(ctx, "Invalid batch payload format: 'requests' is empty.");
        }
        if requests.len() > BATCH_MAX {
            return bad_request(ctx, "Number of batch request steps exceeds the maximum of 20.");
        }
        let mut steps: Vec<(String, &str, &str)> = Vec::with_capacity(requests.len());
        for request in requests {
            let id = match request.get("id") {
                Some(Value::String(id)) => id.clone(),
                Some(Value::Number(id)) => id.to_string(),
                _ => return bad_request(ctx, "Invalid batch payload format: every request needs an 'id'."),
            };
            let (Some(method), Some(url)) =
                (request.get("method").and_then(Value::as_str), request.get("url").and_then(Value::as_str))
            else {
                return bad_request(ctx, "Invalid batch payload format: every request needs a 'method' and a 'url'.");
            };
            if steps.iter().any(|(seen, _, _)| *seen == id) {
                return bad_request(ctx, &format!("Invalid batch payload format: request id '{id}' is repeated."));
            }
            steps.push((id, method, url));
        }

        let mut buf = Vec::with_capacity(steps.len() * 4096);
        buf.extend_from_slice(b"{\"responses\":[");
        for (n, (id, method, url)) in steps.iter().enumerate() {
            self.stats.batch_items.fetch_add(1, Ordering::Relaxed);
            let inner = ctx.inner();
            let out = self.batch_step(&inner, client, version, method, url);
            if n > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(b"{\"id\":");
            push_str(&mut buf, id);
            buf.extend_from_slice(format!(",\"status\":{},\"headers\":{{", out.status.as_u16()).as_bytes());
            buf.extend_from_slice(b"\"Content-Type\":\"application/json\"");
            for (name, value) in &out.headers {
                buf.push(b',');
                push_str(&mut buf, name);
                buf.push(b':');
                push_str(&mut buf, value);
            }
            buf.extend_from_slice(b"},\"body\":");
            buf.extend_from_slice(&out.body);
            buf.push(b'}');
        }
        buf.extend_from_slice(b"]}");
        Out::json(buf)
    }

    fn batch_step(&self, ctx: &Ctx, client: &str, version: &str, method: &str, url: &str) -> Out {
        let url = url.trim();
        if url.starts_with("http://") || url.starts_with("https://") {
            return bad_request(ctx, "Batch request URLs must be relative, such as '/me'.");
        }
        let (path, raw_query) = match url.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (url, None),
        };
        let full = format!("/{version}/{}", path.trim_start_matches('/'));
        match route(&segments(&full)) {
            Route::Graph(op) if method.eq_ignore_ascii_case("GET") => {
                self.graph(ctx, client, &op, &Query::parse(raw_query))
            }
            Route::Graph(_) => graph_error(
                ctx,
                StatusCode::METHOD_NOT_ALLOWED,
                "BadRequest",
                &format!("The HTTP method '{method}' is not allowed for this resource."),
            ),
            Route::Batch(_) => bad_request(ctx, "A batch request cannot contain another batch request."),
            Route::Token(_) | Route::NotFound => not_found(ctx),
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
    fn tokens_round_trip_and_belong_to_their_listing() {
        let token = encode_token("managedDevices|operatingSystem eq 'iOS'", 7, 2, "id|with|bars");
        let cursor = decode_token(&token, "managedDevices|operatingSystem eq 'iOS'").unwrap();
        assert_eq!((cursor.issue, cursor.page, cursor.last.as_str()), (7, 2, "id|with|bars"));
        assert!(decode_token(&token, "managedDevices|").is_none());
        assert!(decode_token("not base64!", "managedDevices|").is_none());
        assert!(decode_token("", "managedDevices|").is_none());
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
