//! Intune's report export jobs, the other way to read a tenant (`--devices-via export`,
//! `--apps-via export`): instead of paging through listings, Intune writes a report into a zipped CSV
//! and the client downloads it.
//!
//! - `job`: one job's life: submitted (`POST .../reports/exportJobs`), polled
//!   (`GET .../exportJobs('{id}')`) every few seconds, waiting longer each time, within the export jobs'
//!   own budget (Intune allows 48 requests per app per minute, 8 per user, polls included; the client
//!   keeps to 44, or 7 when an admin signed in), and submitted again when it turns `failed` or is still
//!   not `completed` after `--export-job-timeout` (3 submissions at most, then the run fails naming
//!   the last job);
//! - `download`: the job's `url`, a storage link, downloaded with no Graph token into a temporary
//!   file, and its one CSV decompressed into another (both removed when dropped);
//! - `devices`: the `Devices` report (with `EnrolledByUser`, the enrolling user, which listings leave
//!   empty) read through the admin-center export reader into Graph-shaped devices, beside
//!   `managedDeviceOverview`'s counter;
//! - `apps`: the `AppInvRawData` report, one job per app name of the catalogue, filtered on
//!   `ApplicationName`, into detected apps with their devices.
//!
//! docs/export-jobs.md describes it for users: the columns selected, how each maps, what an export
//! cannot give.

mod apps;
mod devices;
mod download;
mod job;

pub(super) use apps::read_apps;
pub(super) use devices::read_devices;
pub use devices::DEVICES_SELECT;

#[cfg(test)]
mod tests;
