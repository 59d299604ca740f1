//! The detected-app endpoints: `detectedApps` (keyset pages by id; `$filter` ignored, as Graph does)
//! and `detectedApps/{id}/managedDevices` (the app's listed devices, keyset pages by device id), over
//! an [`AppIndex`] with each app's `detectedApp` JSON written once at start.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::devices::{Selection, DEVICE_PAGE};
use super::paging::{page_size, Faults};
use super::{not_found, Index};
use crate::sim::server::wire::{collection, encode, push_key, push_opt, Ctx, Out, Query};
use crate::sim::server::Shared;
use crate::sim::tenant::{SimApp, SimTenant};

/// Page size of `detectedApps` (the wire spec's).
const APP_PAGE: usize = 500;

/// What the app endpoints precompute (read-only after start, but for the lazy device lists).
pub(super) struct AppIndex {
    /// Indices of the apps with an id, sorted by id.
    sorted: Vec<u32>,
    by_id: HashMap<Box<str>, u32>,
    /// Per app: its `detectedApp` JSON object.
    json: Vec<Box<[u8]>>,
    /// Per app: its listed devices sorted by id, built on first use.
    devices: Vec<OnceLock<Arc<[u32]>>>,
}

impl AppIndex {
    pub(super) fn build(tenant: &SimTenant) -> AppIndex {
        let app_id = |a: u32| tenant.apps[a as usize].app.id.as_deref();
        let mut sorted: Vec<u32> = (0..tenant.apps.len() as u32).filter(|&a| app_id(a).is_some()).collect();
        sorted.sort_unstable_by(|&a, &b| app_id(a).cmp(&app_id(b)).then(a.cmp(&b)));
        let mut by_id = HashMap::with_capacity(sorted.len());
        for &a in &sorted {
            if let Some(id) = app_id(a) {
                by_id.entry(Box::from(id)).or_insert(a);
            }
        }
        AppIndex {
            sorted,
            by_id,
            json: tenant.apps.iter().map(|app| detected_app_json(app).into_boxed_slice()).collect(),
            devices: (0..tenant.apps.len()).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The apps `apps` as a JSON array's items.
    pub(super) fn write(&self, buf: &mut Vec<u8>, apps: &[u32]) {
        for (n, &a) in apps.iter().enumerate() {
            if n > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(&self.json[a as usize]);
        }
    }
}

impl Index {
    fn app_id(&self, a: u32) -> &str {
        self.tenant.apps[a as usize].app.id.as_deref().unwrap_or("")
    }

    /// The listed devices of app `a`, by id.
    fn app_device_list(&self, a: u32) -> Arc<[u32]> {
        self.apps.devices[a as usize]
            .get_or_init(|| {
                let mut list: Vec<u32> = self.tenant.apps[a as usize]
                    .devices
                    .iter()
                    .copied()
                    .filter(|&d| self.devices.visible[d as usize])
                    .collect();
                list.sort_unstable_by_key(|&d| self.devices.rank[d as usize]);
                list.dedup();
                list.into()
            })
            .clone()
    }
}

/// A `detectedApp` object: `id, displayName, version, sizeInByte, deviceCount, publisher, platform`.
fn detected_app_json(app: &SimApp) -> Vec<u8> {
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

impl Shared {
    /// `GET /beta/deviceManagement/detectedApps` (`$filter` ignored).
    pub(super) fn apps(&self, ctx: &Ctx, query: &Query) -> Result<Out, Out> {
        let index = &self.index;
        let top = page_size(ctx, query.top.as_deref(), APP_PAGE, APP_PAGE)?;
        let key = format!("detectedApps|{}", query.filter.as_deref().map(str::trim).unwrap_or(""));
        let list = &index.apps.sorted;
        let path = "/beta/deviceManagement/detectedApps";
        let (range, link) = self.keyset(ctx, query, &key, path, list, |a| index.app_id(a), top, Faults::Expire)?;
        let context = format!("{}/beta/$metadata#deviceManagement/detectedApps", index.base);
        let page = &list[range];
        Ok(Out::json(collection(&context, page.len() * 200, link.as_deref(), |buf| index.apps.write(buf, page))))
    }

    /// `GET /beta/deviceManagement/detectedApps/{id}/managedDevices`.
    pub(super) fn app_devices(&self, ctx: &Ctx, app_id: &str, query: &Query) -> Result<Out, Out> {
        let index = &self.index;
        let &a = index.apps.by_id.get(app_id).ok_or_else(|| not_found(ctx))?;
        let top = page_size(ctx, query.top.as_deref(), DEVICE_PAGE, DEVICE_PAGE)?;
        let selection = Selection::parse(query.select.as_deref()).map_err(|name| Selection::refused(ctx, &name))?;
        let key =
            format!("detectedApps/{app_id}/managedDevices|{}", query.filter.as_deref().map(str::trim).unwrap_or(""));
        let list = index.app_device_list(a);
        let path = format!("/beta/deviceManagement/detectedApps/{}/managedDevices", encode(app_id));
        let (range, link) = self.keyset(ctx, query, &key, &path, &list, |d| index.device_id(d), top, Faults::Expire)?;
        let context =
            format!("{}/beta/$metadata#deviceManagement/detectedApps('{}')/managedDevices", index.base, encode(app_id));
        let page = &list[range];
        Ok(Out::json(collection(&context, page.len() * 128, link.as_deref(), |buf| {
            self.write_devices(buf, page, &selection, false)
        })))
    }
}
