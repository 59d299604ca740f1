//! `--devices-via export` and `--apps-via export` through the binary against the simulated Graph: the
//! same verdicts as the listings but for reassigned devices (which get their enrolling user), stalled
//! and failed jobs recovered, the export throttle kept, the download made without the token, and a
//! broken zip or CSV an exit 3 that names the job.

use std::collections::BTreeMap;

use intune_reach::sim::server::{ExportJobOptions, ServerOptions};

use crate::graph::{assert_exact, Sim, SECRET};
use crate::harness::AS_OF;

fn quick(options: ExportJobOptions) -> ServerOptions {
    ServerOptions { export_jobs: ExportJobOptions { job_seconds: 0.3, ..options }, ..ServerOptions::default() }
}

/// `audit ARGS` against the simulator; the rows of devices.csv by device id, and stdout + stderr.
fn audit(sim: &Sim, args: &[&str]) -> (BTreeMap<String, BTreeMap<String, String>>, String) {
    let out = tempfile::tempdir().unwrap();
    let output =
        sim.command(&["audit", "--out", out.path().to_str().unwrap(), "--as-of", AS_OF]).args(args).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{text}");
    let mut reader = csv::Reader::from_path(out.path().join("devices.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let rows = reader
        .records()
        .map(|r| {
            let row: BTreeMap<String, String> =
                headers.iter().map(str::to_owned).zip(r.unwrap().iter().map(str::to_owned)).collect();
            (row["device_id"].clone(), row)
        })
        .collect();
    (rows, text + &std::fs::read_to_string(out.path().join("users.csv")).unwrap())
}

#[test]
fn the_export_gives_the_listings_verdicts_and_reassigned_devices_their_enrolling_user() {
    let sim = Sim::new(700, quick(ExportJobOptions::default()));
    let (listed, _) = audit(&sim, &[]);
    let (exported, text) = audit(&sim, &["--devices-via", "export", "--apps-via", "export"]);
    assert_eq!(listed.keys().collect::<Vec<_>>(), exported.keys().collect::<Vec<_>>(), "the same devices");
    let enrolled_by: BTreeMap<&str, &str> = sim
        .tenant
        .devices
        .iter()
        .filter_map(|d| Some((d.id.as_deref()?, d.enrolled_by_user_principal_name.as_deref()?)))
        .collect();
    assert!(enrolled_by.len() >= 5, "the generator reassigns a few devices: {}", enrolled_by.len());
    for (id, list) in &listed {
        let export = &exported[id];
        for (column, value) in list {
            match column.as_str() {
                // The export reader trims its cells.
                "device_name" => assert_eq!(export[column], value.trim(), "{id}"),
                "recipient" => match enrolled_by.get(id.as_str()) {
                    Some(enroller) => {
                        assert_eq!(export[column], enroller.to_lowercase(), "{id}: the enrolling user");
                        assert_ne!(value, &enroller.to_lowercase(), "{id}: the listing shows the primary user");
                    }
                    None => assert_eq!(&export[column], value, "{id}"),
                },
                _ => assert_eq!(&export[column], value, "{id}: {column}"),
            }
        }
    }
    let stats = sim.server().stats();
    // Devices, and one AppInvRawData job per app name of the catalogue (eight).
    assert_eq!(stats.export_jobs_created, 9, "{stats:?}");
    assert_eq!(stats.export_downloads, 9, "each file downloaded once: {stats:?}");
    assert_eq!(stats.export_downloads_refused, 0, "no download carried the Graph token");
    assert_eq!(stats.export_throttled, 0, "the export throttle (48 per minute) was never exceeded");
    for secret in sim.server().secrets().iter().chain([&SECRET.to_owned()]) {
        assert!(!text.contains(secret.as_str()), "a secret leaked");
    }
}

#[test]
fn a_fetch_through_the_export_writes_graph_devices_with_their_enrolling_users() {
    let sim = Sim::new(400, quick(ExportJobOptions::default()));
    let (code, stderr, snapshot) = sim.fetch(&["--devices-via", "export"]);
    assert_eq!(code, 0, "{stderr}");
    let snapshot = snapshot.expect("written");
    assert_exact(&sim, &snapshot);
    let truth: BTreeMap<_, _> = sim.tenant.devices.iter().map(|d| (d.id.clone(), d)).collect();
    for device in &snapshot.managed_devices {
        let generated = truth[&device.id];
        // The export reader trims its cells, and a blank one is absent.
        let os = generated.operating_system.as_deref().map(str::trim).filter(|os| !os.is_empty());
        assert_eq!(device.operating_system.as_deref(), os, "{:?}", device.id);
        assert_eq!(
            device.enrolled_by_user_principal_name.as_deref().map(str::to_lowercase),
            generated.enrolled_by_user_principal_name.as_deref().map(str::to_lowercase),
            "{:?}",
            device.id
        );
    }
    assert!(snapshot.managed_devices.iter().any(|d| d.enrolled_by_user_principal_name.is_some()));
    // Every enrolling user of the simulated tenant also owns a device, so each is named by its UPN, and
    // a device its primary user enrolled keeps no id of its own.
    assert!(snapshot.managed_devices.iter().all(|d| d.enrolled_by_user_id.is_none()));
    for secret in sim.server().secrets() {
        assert!(!stderr.contains(&secret), "the download link's signature leaked");
    }
}

#[test]
fn stranded_and_failed_jobs_are_submitted_again() {
    let sim = Sim::new(300, quick(ExportJobOptions { stranded: 1, failed: 1, ..Default::default() }));
    let (code, stderr, snapshot) = sim.fetch(&["--devices-via", "export", "--export-job-timeout", "1"]);
    assert_eq!(code, 0, "{stderr}");
    assert_exact(&sim, &snapshot.expect("written"));
    assert_eq!(sim.server().stats().export_jobs_created, 3, "stranded, failed, completed");
}

#[test]
fn jobs_that_never_complete_and_broken_files_exit_3_naming_the_job() {
    let cases: [(ExportJobOptions, &[&str]); 3] = [
        (ExportJobOptions { failed: 3, ..Default::default() }, &["running the Devices export job Devices_", " failed"]),
        (
            ExportJobOptions { bad_zip: true, ..Default::default() },
            &["downloading the Devices export of job Devices_", "not a usable zip"],
        ),
        (
            ExportJobOptions { bad_csv: true, ..Default::default() },
            &["reading the Devices export of job Devices_", "fields"],
        ),
    ];
    for (options, expected) in cases {
        let sim = Sim::new(120, quick(options));
        let (code, stderr, snapshot) = sim.fetch(&["--devices-via", "export"]);
        assert_eq!(code, 3, "{stderr}");
        for part in expected {
            assert!(stderr.contains(part), "{part}: {stderr}");
        }
        assert!(snapshot.is_none(), "no snapshot from a read that failed");
        for secret in sim.server().secrets() {
            assert!(!stderr.contains(&secret), "the download link's signature leaked: {stderr}");
        }
    }
}

#[test]
fn the_count_check_of_an_export_is_a_warning() {
    let sim = Sim::new(500, ServerOptions { hide_devices: 4, ..quick(ExportJobOptions::default()) });
    let (code, stderr, snapshot) = sim.fetch(&["--devices-via", "export"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(snapshot.expect("written").complete);
    assert!(
        stderr.contains("warning: Graph's managedDeviceOverview counts 500 devices; 496 are in the Devices export"),
        "{stderr}"
    );
    let (code, stderr, _) = sim.fetch(&["--devices-via", "export", "--require-count-match"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("counts 500 devices but only 496 are in the Devices export"), "{stderr}");
}
