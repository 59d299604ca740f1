//! The Graph endpoints of the wire spec, over an [`Index`] of the tenant built once at start, one file
//! per endpoint family:
//! - [`devices`]: `managedDevices`, one managed device, and `managedDeviceOverview`;
//! - [`apps`]: `detectedApps` and the devices of one app;
//! - [`device_apps`]: the apps of one device;
//! - [`groups`]: group transitive members;
//! - [`tenant_settings`]: the Apple MDM push certificate and the managed Google Play settings;
//! - [`sends`]: the two custom notification sends, and the simulator's record of them;
//! - [`export_jobs`]: report export jobs and the download of their files;
//! - [`batch`]: `$batch`, which runs any of the above;
//! - [`paging`]: `$top`, `$skiptoken` and keyset pages, shared by the listings.
//!
//! This file holds the index, which each family builds its part of, and the pipeline of one Graph
//! request (counter, throttle, error dice, endpoint). A new endpoint family adds its file, its part of
//! the index, its [`Op`] and its arm in [`Shared::graph`].

mod apps;
mod batch;
mod device_apps;
mod devices;
pub(super) mod export_jobs;
mod groups;
mod paging;
pub(super) mod sends;
pub(super) mod tenant_settings;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::http::StatusCode;

use super::faults::retry_after;
use super::wire::{graph_error, Ctx, Out, Query};
use super::{Op, Shared};
use crate::sim::tenant::{SimMember, SimTenant};

/// What the server precomputes from the tenant (read-only after start, but for the lazy caches).
pub(super) struct Index {
    pub tenant: Arc<SimTenant>,
    /// `http://127.0.0.1:PORT`, the base of next links.
    pub base: String,
    devices: devices::DeviceIndex,
    apps: apps::AppIndex,
    device_apps: device_apps::DeviceApps,
    groups: groups::GroupIndex,
}

impl Index {
    /// Checks that every index in the tenant points at something, and builds the index; the last
    /// `hide` devices by id are left out of every listing and per-device read.
    pub fn build(tenant: Arc<SimTenant>, base: String, hide: usize) -> Result<Index, String> {
        check_references(&tenant)?;
        Ok(Index {
            devices: devices::DeviceIndex::build(&tenant, hide),
            apps: apps::AppIndex::build(&tenant),
            device_apps: device_apps::DeviceApps::build(&tenant),
            groups: groups::GroupIndex::build(&tenant),
            base,
            tenant,
        })
    }

    fn device_id(&self, d: u32) -> &str {
        self.tenant.devices[d as usize].id.as_deref().unwrap_or("")
    }
}

/// Refuses a tenant with more devices or apps than `u32` indices reach, or whose apps or groups name
/// a device, user or group it does not have.
fn check_references(tenant: &SimTenant) -> Result<(), String> {
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
    Ok(())
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
            Op::Device(_) => &self.stats.device_reads,
            Op::TenantSetting(_) => &self.stats.tenant_settings,
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
            Op::Device(id) => self.device(ctx, id, query),
            Op::TenantSetting(setting) => self.tenant_setting(ctx, *setting, query),
            Op::Overview => Ok(self.overview()),
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
}
