//! The discovered-apps export (report `AppInvRawData`: one row per app per device): the rows of the
//! apps that the rules look at become app evidence on their devices; the file is streamed, so tens of
//! millions of rows need no more memory than the apps kept.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use super::csv_file::{Csv, Row};
use super::headers::{header_key, is_header_in, App, Columns, APP_COLUMNS};
use crate::error::Error;
use crate::inventory::build::InventoryBuilder;
use crate::inventory::{AppCatalog, AppEvidence, NearMisses, SourceInfo};

const WHAT: &str = "discovered-apps export";

/// Reads the discovered-apps export into `builder`: the apps the rules look at, on their devices.
pub fn read_apps<R: Read>(
    input: R,
    path: &Path,
    catalog: &AppCatalog,
    builder: &mut InventoryBuilder,
    source: &mut SourceInfo,
) -> Result<(), Error> {
    read_app_rows(input, path, catalog, source, |row| {
        let interner = builder.interner();
        let app = AppEvidence {
            name: interner.get(row.name),
            id: interner.opt(row.package_id),
            version: interner.opt(row.version),
        };
        builder.attach_app(row.device_id, app);
    })
}

/// One row of the discovered-apps export that the rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppRow<'r> {
    pub device_id: &'r str,
    pub name: &'r str,
    pub version: Option<&'r str>,
    pub package_id: Option<&'r str>,
}

/// Reads the discovered-apps export, handing `each` every row of an app the rules look at (by name or
/// package id, as `catalog` matches them); every other row is dropped as it is read.
pub fn read_app_rows<R: Read>(
    input: R,
    path: &Path,
    catalog: &AppCatalog,
    source: &mut SourceInfo,
    mut each: impl FnMut(&AppRow<'_>),
) -> Result<(), Error> {
    let mut csv = Csv::new(input, path, WHAT, false)?;
    let columns = Columns::find(&csv.headers, &APP_COLUMNS);
    let col = |field: App| columns.of(field as usize);
    for required in [App::Name, App::DeviceId] {
        if col(required).is_empty() {
            let hint = if csv.headers.iter().any(|h| header_key(h) == "devicecount") {
                " (this looks like the per-app summary, which has no device ids: export the raw app \
                 inventory, report `AppInvRawData`, with one row per app per device)"
            } else {
                ""
            };
            return Err(csv.missing(path, WHAT, &APP_COLUMNS[required as usize], hint));
        }
    }
    // Whether the rules care about an app, by name and package id: most rows are other apps, so the
    // answer is cached and the row is dropped without allocating. The rows of a near miss (a name
    // that looks like a receiving app or Google Play services) are counted: one row per device.
    let mut wanted: HashMap<String, Interest> = HashMap::new();
    let mut near_miss_rows: HashMap<String, usize> = HashMap::new();
    let mut key = String::new();
    let mut record = csv::ByteRecord::new();
    while let Some(line) = csv.next_row(&mut record, path)? {
        let row = Row { record: &record, line, path, headers: &csv.headers };
        let Some(device_id) = row.first(col(App::DeviceId))? else {
            return Err(row.without(col(App::DeviceId), "device id"));
        };
        if is_header_in(device_id, &APP_COLUMNS) {
            return Err(row.stray_header(device_id));
        }
        let name = row.first(col(App::Name))?.unwrap_or("");
        let app_id = row.first(col(App::PackageId))?;
        key.clear();
        key.push_str(name);
        key.push('\u{1f}');
        key.push_str(app_id.unwrap_or(""));
        let interest = match wanted.get(key.as_str()) {
            Some(&interest) => interest,
            None => {
                let probe = AppEvidence { name: Arc::from(name), id: app_id.map(Arc::from), version: None };
                let interest = if catalog.kind_of(&probe).is_some() {
                    Interest::Kept
                } else if catalog.near_miss(name, None).is_some() {
                    Interest::NearMiss
                } else {
                    Interest::Other
                };
                if wanted.len() >= 1 << 20 {
                    wanted.clear();
                }
                wanted.insert(key.clone(), interest);
                interest
            }
        };
        match interest {
            Interest::Kept => {}
            Interest::NearMiss => {
                match near_miss_rows.get_mut(name) {
                    Some(rows) => *rows += 1,
                    None => {
                        near_miss_rows.insert(name.to_owned(), 1);
                    }
                }
                continue;
            }
            Interest::Other => continue,
        }
        let version = row.first(col(App::Version))?;
        each(&AppRow { device_id, name, version, package_id: app_id });
    }
    source.warnings.extend(csv.repeated_headers_warning(path, WHAT));
    let mut near_misses = NearMisses::new(catalog);
    for (name, rows) in &near_miss_rows {
        near_misses.observe(name, None, *rows);
    }
    source.near_misses = near_misses.into_list();
    Ok(())
}

/// What the rules make of an app's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Interest {
    /// A receiving app or Google Play services: evidence.
    Kept,
    /// Looks like one of those but matches no configured name: counted, shown to the admin.
    NearMiss,
    /// Any other app: dropped.
    Other,
}
