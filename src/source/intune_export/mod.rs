//! Reads the CSV files that the Intune admin center exports (and the CSV of Intune's report export
//! jobs) into an [`Inventory`].
//!
//! Three files (`--intune-export`, `--apps-export`, `--members-export`):
//! - the devices export ("Devices > All devices > Export", report `DevicesWithInventory`, or the
//!   `Devices` report of the export jobs), required: [`devices`];
//! - the discovered-apps export (report `AppInvRawData`: one row per app per device), optional: [`apps`];
//! - a members export (e.g. Entra's "Download members" of a group), optional, which scopes the audit:
//!   [`members`].
//!
//! Each device row is mapped onto a [`crate::inventory::DeviceRecord`] and goes through
//! [`InventoryBuilder::push_record`], so a device is classified exactly as a Graph or snapshot device
//! is. Which columns are read under which headers ([`headers`]), what their values mean ([`values`]:
//! labels, Graph names, numeric codes) and how dates are read ([`dates`]) is documented for users in
//! docs/exports.md; [`csv_file`] is the CSV plumbing the three files share.
//!
//! The files are read whole, so the source is complete. Without a discovered-apps export there is no
//! app evidence at all: rather than failing `company-portal` and `google-play-services` on every
//! device whose inventory would otherwise be trusted, every device is marked
//! `inventory_complete = false` (those rules are then unknown) and a gap says so.

pub mod apps;
pub mod csv_file;
pub mod dates;
pub mod devices;
pub mod headers;
pub mod members;
pub mod values;

#[cfg(test)]
mod cross_source_tests;
#[cfg(test)]
mod tests;

use std::path::Path;

use crate::error::Error;
use crate::inventory::build::InventoryBuilder;
use crate::inventory::AppCatalog;
use crate::inventory::{Inventory, SourceInfo};

pub use dates::DateOrder;

/// How the exports are read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// The order of slash dates (`--date-order`); `None`: decided by each file's own dates.
    pub date_order: Option<DateOrder>,
}

/// Reads the devices export and, when given, the discovered-apps and members exports.
pub fn load(
    devices: &Path,
    apps: Option<&Path>,
    members: Option<&Path>,
    catalog: &AppCatalog,
    options: &ExportOptions,
) -> Result<Inventory, Error> {
    let mut builder = InventoryBuilder::new();
    let mut source = SourceInfo {
        kind: "intune-export".to_owned(),
        description: format!("Intune export {}", devices.display()),
        complete: true,
        ..Default::default()
    };
    // Room for the devices up front (a devices export row is 250 bytes or more); untouched
    // capacity is only address space, regrowing a million-device list is real work.
    let size = csv_file::open(devices)?.metadata().map_or(0, |meta| meta.len());
    builder.reserve(usize::try_from(size / 256).unwrap_or(0));
    devices::read_devices(|| csv_file::open(devices), devices, options, &mut builder, &mut source)?;
    match apps {
        Some(apps) => {
            apps::read_apps(csv_file::open(apps)?, apps, catalog, &mut builder, &mut source)?;
            source.description.push_str(&format!(" (+ apps {})", apps.display()));
        }
        None => source.gaps.push(NO_APPS_GAP.to_owned()),
    }
    let scoped_members = match members {
        Some(path) => {
            source.description.push_str(&format!(" (+ members {})", path.display()));
            Some(members::read_members(csv_file::open(path)?, path, &mut source)?)
        }
        None => None,
    };
    let mut inventory = builder.finish(source);
    inventory.devices.shrink_to_fit();
    if apps.is_none() {
        for device in &mut inventory.devices {
            device.inventory_complete = false;
        }
    }
    inventory.scoped_members = scoped_members;
    Ok(inventory)
}

const NO_APPS_GAP: &str = "no discovered-apps export was given (--apps-export), so there is no app evidence: \
     company-portal and google-play-services are unknown on every device instead of failed";

/// How often something worth a warning happened in a file, and where first.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    pub count: usize,
    /// The first line, and the value found there.
    pub first: Option<(u64, String)>,
}

impl Tally {
    pub fn note(&mut self, line: u64, value: &str) {
        self.count += 1;
        self.first.get_or_insert_with(|| (line, value.to_owned()));
    }
}
