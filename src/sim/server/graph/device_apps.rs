//! The apps of one device, `managedDevices/{id}/detectedApps`: every app of a listed device in one
//! page, from a device -> apps index built at start (the tenant stores apps -> devices). The client
//! reads it through `$batch`, twenty devices per request.

use super::not_found;
use crate::sim::server::wire::{collection, encode, Ctx, Out};
use crate::sim::server::Shared;
use crate::sim::tenant::SimTenant;

/// Device -> apps, compressed: the apps of device `d` are `list[start[d]..start[d + 1]]`, in the
/// tenant's app order.
pub(super) struct DeviceApps {
    start: Vec<usize>,
    list: Vec<u32>,
}

impl DeviceApps {
    pub(super) fn build(tenant: &SimTenant) -> DeviceApps {
        let devices = tenant.devices.len();
        let mut start = vec![0usize; devices + 1];
        for app in &tenant.apps {
            for &d in &app.devices {
                start[d as usize + 1] += 1;
            }
        }
        for d in 0..devices {
            start[d + 1] += start[d];
        }
        let mut fill = start.clone();
        let mut list = vec![0u32; start[devices]];
        for (a, app) in tenant.apps.iter().enumerate() {
            for &d in &app.devices {
                list[fill[d as usize]] = a as u32;
                fill[d as usize] += 1;
            }
        }
        DeviceApps { start, list }
    }

    /// The apps of device `d`.
    fn of(&self, d: usize) -> &[u32] {
        &self.list[self.start[d]..self.start[d + 1]]
    }
}

impl Shared {
    /// `GET /beta/deviceManagement/managedDevices/{id}/detectedApps`: every app of the device, one page.
    pub(super) fn device_apps(&self, ctx: &Ctx, device_id: &str) -> Result<Out, Out> {
        let index = &self.index;
        let d = match index.devices.by_id.get(device_id) {
            Some(&d) if index.devices.visible[d as usize] => d as usize,
            _ => return Err(not_found(ctx)),
        };
        let apps = index.device_apps.of(d);
        let context = format!(
            "{}/beta/$metadata#deviceManagement/managedDevices('{}')/detectedApps",
            index.base,
            encode(device_id)
        );
        Ok(Out::json(collection(&context, apps.len() * 200, None, |buf| index.apps.write(buf, apps))))
    }
}
