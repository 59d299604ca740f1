//! The devices through Intune's `Devices` report (`--devices-via export`): one export job, read by the
//! same reader as the admin center's devices export (`--intune-export`: header tables with `_loc`
//! label twins, numeric codes, a byte order mark, the order of dates), each row mapped back onto
//! Graph's `managedDevice` fields, so that a snapshot written from it holds Graph objects, and
//! `managedDeviceOverview`'s counter set beside them as for listings (a difference is a warning).
//!
//! What the report adds: `EnrolledByUser`, the enrolling user, which device listings leave empty; it
//! is the recipient (Intune delivers to the devices a targeted user enrolled). Microsoft documents it
//! as the user's id; that id is named by the UPN the report gives the same user as a primary user of
//! any device, and kept as an id (`enrolledByUserId`, not a Graph property) when no row names it.
//! What it cannot give: `hardwareInformation.isSharedDevice` (a Shared iPad is then unknown, as from a
//! listing) and beta `ownerType` beside `managedDeviceOwnerType` (`OwnerType` fills the latter).

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use super::job::{self, job_url, Finished, Report};
use crate::error::Error;
use crate::inventory::count_check::ReadBy;
use crate::inventory::SourceInfo;
use crate::source::graph::devices::{count_check, read_overview, task_failed, DevicesRead, Overview};
use crate::source::graph::error::GraphError;
use crate::source::graph::http::GraphClient;
use crate::source::graph::options::ExportJobSettings;
use crate::source::intune_export::devices::read_device_records;
use crate::source::intune_export::ExportOptions;
use crate::source::progress::Phase;
use crate::source::wire::GraphDevice;

/// The columns asked of the `Devices` report: each field the classification reads, under the name the
/// report documents (docs/export-jobs.md maps each onto its Graph property).
pub const DEVICES_SELECT: &[&str] = &[
    "DeviceId",
    "DeviceName",
    "OS",
    "OSVersion",
    "DeviceType",
    "EnrollmentType",
    "ManagementAgents",
    "ManagementState",
    "OwnerType",
    "LastContact",
    "CreatedDate",
    "UPN",
    "UserId",
    "UserName",
    "EnrolledByUser",
];

/// Reads every device through one `Devices` export job, beside the counter; `phase` counts the
/// distinct devices read and shows the job's state.
pub(in crate::source::graph) async fn read_devices(
    client: &GraphClient,
    settings: &ExportJobSettings,
    phase: &Phase,
) -> Result<DevicesRead, Error> {
    let report = Report { name: "Devices", select: DEVICES_SELECT, filter: None, label: "Devices".to_owned() };
    let (overview, finished) = tokio::join!(read_overview(client), job::run(client, &report, settings, phase));
    let (overview, finished) = (overview?, finished?);
    let context = format!("reading the Devices export of job {}", finished.job_id);
    let url = job_url(client, &finished.job_id);
    let parsing = phase.clone();
    let (devices, notes) = tokio::task::spawn_blocking(move || devices_of(&finished, &parsing))
        .await
        .map_err(task_failed)?
        .map_err(|error| export_error(error, &context, &url))?;
    let mut read = DevicesRead { devices, count_check: None, notes };
    match overview {
        Overview::Count { expected, per_platform, .. } => {
            let check = count_check(read.devices.iter(), expected, &per_platform);
            read.keep_count_check(check, ReadBy::Export);
        }
        Overview::Unavailable(note) => {
            tracing::info!("{note}");
            read.notes.push(note);
        }
    }
    Ok(read)
}

/// A CSV that cannot be read is a source error (exit 3) naming the job, not an input error: the user
/// gave no file.
pub(super) fn export_error(error: Error, context: &str, job_url: &str) -> Error {
    match error {
        Error::Input { message, .. } => Error::Graph(GraphError::unusable(context, "GET", job_url, message)),
        other => other,
    }
}

/// The devices of the job's CSV, by id, and the reader's remarks.
fn devices_of(finished: &Finished, phase: &Phase) -> Result<(Vec<GraphDevice<'static>>, Vec<String>), Error> {
    let path = PathBuf::from(format!("job {}", finished.job_id));
    let mut source = SourceInfo::default();
    let mut devices: BTreeMap<String, GraphDevice<'static>> = BTreeMap::new();
    let mut repeated = 0u64;
    read_device_records(
        || finished.csv.open(),
        &path,
        &ExportOptions::default(),
        &mut source,
        |record| {
            let device = GraphDevice::from_record(record);
            let id = device.id.as_deref().map(str::trim).unwrap_or("").to_owned();
            match devices.entry(id) {
                Entry::Vacant(slot) => {
                    slot.insert(device);
                    phase.advance(1);
                }
                Entry::Occupied(_) => repeated += 1,
            }
            Ok(())
        },
    )?;
    let mut devices: Vec<GraphDevice<'static>> = devices.into_values().collect();
    name_enrolling_users(&mut devices);
    let mut notes = source.warnings;
    notes.extend(source.gaps);
    if repeated > 0 {
        notes.push(format!(
            "the Devices export of job {} repeats {repeated} device id(s); each device was kept once",
            finished.job_id
        ));
    }
    tracing::debug!(devices = devices.len(), bytes = finished.csv.bytes, csv = %finished.csv.name, "Devices export read");
    Ok((devices, notes))
}

/// Names each enrolling user given by id with the UPN the export gives that user as the primary user of
/// another device (the id stays when no row names it); a device its own primary user enrolled keeps
/// no enrolling user of its own, as its user fields say it all.
fn name_enrolling_users(devices: &mut [GraphDevice<'static>]) {
    let upns: HashMap<String, _> = devices
        .iter()
        .filter_map(|d| Some((d.user_id.as_deref()?.trim().to_ascii_lowercase(), d.user_principal_name.clone()?)))
        .collect();
    for device in devices.iter_mut().filter(|d| d.enrolled_by_user_principal_name.is_none()) {
        let id = device.enrolled_by_user_id.as_deref().map(|id| id.trim().to_ascii_lowercase());
        let primary = device.user_id.as_deref().map(|own| own.trim().to_ascii_lowercase());
        if id.is_some() && id == primary {
            device.enrolled_by_user_id = None;
            continue;
        }
        if let Some(upn) = id.and_then(|id| upns.get(&id)) {
            device.enrolled_by_user_principal_name = Some(upn.clone());
            device.enrolled_by_user_id = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::intune_export::headers::{Columns, DEVICE_COLUMNS};
    use crate::source::wire::DEVICES_REPORT_COLUMNS;

    #[test]
    fn every_selected_column_is_documented_and_read_and_every_field_selected() {
        for column in DEVICES_SELECT {
            assert!(DEVICES_REPORT_COLUMNS.contains(column), "{column} is no column of the Devices report");
        }
        let headers: Vec<String> = DEVICES_SELECT.iter().map(|c| c.to_string()).collect();
        let columns = Columns::find(&headers, &DEVICE_COLUMNS);
        for (field, spec) in DEVICE_COLUMNS.iter().enumerate() {
            assert_eq!(columns.of(field).len(), 1, "{} is read from exactly one selected column", spec.what);
        }
    }

    fn device(id: &str, user: Option<(&str, &str)>, enrolled_by_id: Option<&str>) -> GraphDevice<'static> {
        let own = |v: &str| Some(std::borrow::Cow::Owned(v.to_owned()));
        GraphDevice {
            id: own(id),
            user_id: user.and_then(|(id, _)| own(id)),
            user_principal_name: user.and_then(|(_, upn)| own(upn)),
            enrolled_by_user_id: enrolled_by_id.and_then(own),
            ..Default::default()
        }
    }

    #[test]
    fn enrolling_users_are_named_by_the_upn_the_export_gives_them() {
        let alice = ("0a1b2c3d-0000-4000-8000-00000000000a", "alice@contoso.example");
        let bob = ("0a1b2c3d-0000-4000-8000-00000000000b", "bob@contoso.example");
        let nobody = "0a1b2c3d-0000-4000-8000-0000000000dd";
        let alice_shouting = alice.0.to_uppercase();
        let mut devices = vec![
            device("d1", Some(alice), Some(&alice_shouting)),
            device("d2", Some(bob), Some(alice.0)),
            device("d3", Some(bob), Some(nobody)),
            device("d4", None, None),
        ];
        name_enrolling_users(&mut devices);
        let enrolled: Vec<(Option<&str>, Option<&str>)> = devices
            .iter()
            .map(|d| (d.enrolled_by_user_principal_name.as_deref(), d.enrolled_by_user_id.as_deref()))
            .collect();
        assert_eq!(
            enrolled,
            [(None, None), (Some(alice.1), None), (None, Some(nobody)), (None, None)],
            "the primary user's own id is dropped, an id no row names stays"
        );
        let recipients: Vec<Option<String>> = devices
            .iter()
            .map(|d| {
                let mut builder = crate::inventory::build::InventoryBuilder::new();
                builder.push_record(&d.record()).unwrap();
                builder.finish(SourceInfo::default()).devices[0].recipient.as_deref().map(str::to_owned)
            })
            .collect();
        assert_eq!(recipients, [Some(alice.1.into()), Some(alice.1.into()), Some(nobody.into()), None]);
    }
}
