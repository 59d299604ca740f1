//! The binary against the simulated Graph over HTTP on 127.0.0.1: complete reads equal the generated
//! truth exactly, every fault ends either complete and exact or with exit 3, and secrets never leak.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use intune_reach::sim::generator::generate;
use intune_reach::sim::server::{start, RunningServer, ServerOptions};
use intune_reach::sim::tenant::SimTenant;
use intune_reach::source::snapshot::Snapshot;

use crate::harness::{bin, AS_OF};

pub(crate) const SECRET: &str = "canary-S3cret-value-0f9e8d7c";

fn as_of() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(AS_OF).unwrap().with_timezone(&Utc)
}

/// A simulated Graph serving a generated tenant, for the length of one test.
pub(crate) struct Sim {
    pub(crate) tenant: Arc<SimTenant>,
    server: Option<RunningServer>,
    runtime: tokio::runtime::Runtime,
}

impl Sim {
    pub(crate) fn new(devices: usize, options: ServerOptions) -> Sim {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let tenant = Arc::new(generate(devices, 7, as_of()));
        let options = ServerOptions { client_secret: SECRET.to_owned(), max_seconds: Some(120), ..options };
        let server = runtime.block_on(start(tenant.clone(), options, 0)).expect("simulated Graph starts");
        Sim { tenant, server: Some(server), runtime }
    }

    pub(crate) fn server(&self) -> &RunningServer {
        self.server.as_ref().expect("running")
    }

    /// `intune-reach ARGS` pointed at this server with the simulator's credentials.
    pub(crate) fn command(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = bin();
        cmd.args(args)
            .args(["--graph-url", &self.server().url, "--login-url", &self.server().url])
            .env("AZURE_TENANT_ID", &self.server().tenant_id)
            .env("AZURE_CLIENT_ID", "intune-reach-sim")
            .env("AZURE_CLIENT_SECRET", SECRET)
            .timeout(std::time::Duration::from_secs(120));
        cmd
    }

    /// Runs `fetch` and returns (exit code, stderr, the snapshot if one was written).
    pub(crate) fn fetch(&self, extra: &[&str]) -> (i32, String, Option<Snapshot>) {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("snapshot.json");
        let output = self.command(&["fetch", "--out", out.to_str().unwrap(), "-vv"]).args(extra).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!stderr.contains(SECRET), "the secret leaked into stderr");
        let snapshot = std::fs::read_to_string(&out).ok().map(|text| {
            assert!(!text.contains(SECRET), "the secret leaked into the snapshot");
            parse_snapshot(&text)
        });
        (output.status.code().unwrap_or(-1), stderr, snapshot)
    }

    /// The device ids and app evidence of a complete read.
    fn truth(&self) -> (BTreeSet<String>, AppEvidence) {
        let snapshot = self.tenant.to_snapshot(AS_OF.to_owned(), "truth");
        (device_ids(&snapshot), apps(&snapshot))
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// A snapshot file as the `Snapshot` type (the crate reads files by streaming; tests want the objects).
fn parse_snapshot(text: &str) -> Snapshot {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct File<'a> {
        kind: String,
        complete: bool,
        #[serde(default)]
        gaps: Vec<String>,
        #[serde(borrow)]
        managed_devices: Vec<intune_reach::source::wire::GraphDevice<'a>>,
        detected_apps: Vec<intune_reach::source::wire::GraphDetectedApp>,
        groups: Vec<intune_reach::source::wire::GraphGroup>,
    }
    let file: File = serde_json::from_str(text).expect("snapshot is JSON");
    assert_eq!(file.kind, "intune-reach.snapshot");
    Snapshot {
        complete: file.complete,
        gaps: file.gaps,
        managed_devices: file.managed_devices.into_iter().map(|d| d.into_owned()).collect(),
        detected_apps: file.detected_apps,
        groups: file.groups,
        ..Default::default()
    }
}

fn device_ids(snapshot: &Snapshot) -> BTreeSet<String> {
    let ids: Vec<String> = snapshot.managed_devices.iter().map(|d| d.id.clone().unwrap().into_owned()).collect();
    let set: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(set.len(), ids.len(), "no device is listed twice");
    set
}

/// Each detected app as (name, version, the ids of its devices).
type AppEvidence = BTreeSet<(String, String, Vec<String>)>;

fn apps(snapshot: &Snapshot) -> AppEvidence {
    snapshot
        .detected_apps
        .iter()
        .map(|app| {
            let mut devices: Vec<String> =
                app.managed_devices.iter().map(|d| d.id.clone().unwrap_or_default().into_owned()).collect();
            devices.sort();
            (
                app.display_name.clone().unwrap_or_default().into_owned(),
                app.version.clone().unwrap_or_default().into_owned(),
                devices,
            )
        })
        .collect()
}

pub(crate) fn assert_exact(sim: &Sim, snapshot: &Snapshot) {
    let (devices, app_truth) = sim.truth();
    assert!(snapshot.complete, "gaps: {:?}", snapshot.gaps);
    assert_eq!(device_ids(snapshot), devices, "every device, once");
    let read = apps(snapshot);
    let missing: Vec<_> = app_truth.difference(&read).map(|(n, v, d)| (n, v, d.len())).collect();
    let extra: Vec<_> = read.difference(&app_truth).map(|(n, v, d)| (n, v, d.len())).collect();
    assert!(missing.is_empty() && extra.is_empty(), "app evidence differs: missing {missing:?}, extra {extra:?}");
}

#[test]
fn a_complete_read_equals_the_generated_tenant() {
    let sim = Sim::new(2500, ServerOptions::default());
    let (code, stderr, snapshot) = sim.fetch(&[]);
    assert_eq!(code, 0, "{stderr}");
    assert_exact(&sim, &snapshot.unwrap());
}

#[test]
fn per_device_apps_give_the_same_evidence_as_detected_apps() {
    let sim = Sim::new(700, ServerOptions::default());
    let (code, stderr, snapshot) = sim.fetch(&["--apps-via", "per-device"]);
    assert_eq!(code, 0, "{stderr}");
    assert_exact(&sim, &snapshot.unwrap());
    assert!(sim.server().stats().batches > 0, "per-device reads go through $batch");
}

#[test]
fn throttling_and_transient_errors_end_complete_and_exact() {
    let cases = [
        ServerOptions { throttle: Some("40/0.5".parse().unwrap()), ..Default::default() },
        ServerOptions { throttle: Some("40/0.5".parse().unwrap()), no_retry_after: true, ..Default::default() },
        ServerOptions { error_rate: 0.15, fault_seed: 3, ..Default::default() },
        ServerOptions { expire_skiptokens_after: Some(1), ..Default::default() },
    ];
    for options in cases {
        let label = format!("{options:?}");
        let sim = Sim::new(3000, options);
        let (code, stderr, snapshot) = sim.fetch(&[]);
        assert_eq!(code, 0, "{label}: {stderr}");
        eprintln!("case {label}");
        assert_exact(&sim, &snapshot.unwrap());
        let stats = sim.server().stats();
        assert!(
            stats.throttled + stats.unavailable + stats.skiptokens_expired > 0,
            "{label}: the fault was exercised: {stats:?}"
        );
    }
}

#[test]
fn throttled_per_device_batches_end_complete_and_exact() {
    let sim = Sim::new(400, ServerOptions { throttle: Some("60/0.5".parse().unwrap()), ..Default::default() });
    let (code, stderr, snapshot) = sim.fetch(&["--apps-via", "per-device"]);
    assert_eq!(code, 0, "{stderr}");
    assert_exact(&sim, &snapshot.unwrap());
    assert!(sim.server().stats().throttled > 0);
}

#[test]
fn expiring_tokens_are_renewed() {
    // About 110 requests, 8 at a time, 150 ms each: the run outlives several one-second tokens.
    let sim = Sim::new(1200, ServerOptions { token_lifetime_secs: 1, latency_ms: 150, ..Default::default() });
    let (code, stderr, snapshot) = sim.fetch(&[]);
    assert_eq!(code, 0, "{stderr}");
    assert_exact(&sim, &snapshot.unwrap());
    assert!(sim.server().stats().tokens_issued >= 2, "{:?}", sim.server().stats());
}

#[test]
fn a_repeating_next_link_is_caught() {
    let sim = Sim::new(2500, ServerOptions { repeat_next_link: true, ..Default::default() });
    let (code, stderr, snapshot) = sim.fetch(&[]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.to_lowercase().contains("next link") || stderr.contains("nextLink"), "{stderr}");
    assert!(snapshot.is_none(), "no snapshot written from a read that failed");
}

#[test]
fn hidden_devices_are_never_silent() {
    let sim = Sim::new(800, ServerOptions { hide_devices: 5, ..Default::default() });
    // Every page was read: complete, with a warning that sets both numbers side by side.
    let (code, stderr, snapshot) = sim.fetch(&[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(snapshot.expect("written").complete);
    assert!(stderr.contains("warning: Graph's managedDeviceOverview counts 800 devices; 795 were listed"), "{stderr}");

    let out = tempfile::tempdir().unwrap();
    let audit = sim.command(&["audit", "--out", out.path().to_str().unwrap(), "--as-of", AS_OF]).output().unwrap();
    assert_eq!(audit.status.code(), Some(0), "{}", String::from_utf8_lossy(&audit.stderr));
    let stdout = String::from_utf8_lossy(&audit.stdout);
    assert!(stdout.contains("warning: Graph's managedDeviceOverview counts 800 devices; 795 were listed"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["complete"], true);
    let check = &summary["count_check"];
    assert_eq!((check["devices_read"].as_u64(), check["graph_count"].as_u64()), (Some(795), Some(800)), "{check}");
    assert_eq!(check["matches"], false);
    let per_platform = check["per_platform"].as_object().expect("per platform");
    let read: u64 = per_platform.values().map(|p| p["read"].as_u64().unwrap()).sum();
    let counted: u64 = per_platform.values().filter_map(|p| p["graph"].as_u64()).sum();
    assert_eq!((read, counted), (795, 800));

    // Those who trust the counter get exit 3, and no report written as if complete.
    let (code, stderr, snapshot) = sim.fetch(&["--require-count-match"]);
    assert_eq!(code, 3, "{stderr}");
    let snapshot = snapshot.expect("the partial read is kept, marked incomplete");
    assert!(!snapshot.complete);
    assert!(
        snapshot.gaps.iter().any(|g| g.contains("counts 800 devices but only 795 were listed")),
        "{:?}",
        snapshot.gaps
    );
    let strict = tempfile::tempdir().unwrap();
    let audit = sim
        .command(&["audit", "--require-count-match", "--out", strict.path().to_str().unwrap(), "--as-of", AS_OF])
        .output()
        .unwrap();
    assert_eq!(audit.status.code(), Some(3));
    assert!(!strict.path().join("summary.json").exists(), "no report written as if complete");
}

#[test]
fn the_tenant_checks_are_read_and_kept_in_the_snapshot() {
    let sim = Sim::new(60, ServerOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snapshot.json");
    let output = sim.command(&["fetch", "--out", out.to_str().unwrap()]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let snapshot: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let tenant = &snapshot["tenant"];
    assert!(tenant["applePushNotificationCertificate"]["expirationDateTime"].is_string(), "{tenant}");
    assert_eq!(tenant["androidManagedStoreAccountEnterpriseSettings"]["bindStatus"], "boundAndValidated");
    let text = snapshot.to_string();
    assert!(!text.contains("NEVER-READ") && !text.contains("NeverRead"), "no certificate body, no enrollment token");
    assert_eq!(sim.server().stats().tenant_settings, 2, "read once");

    let sim = Sim::new(
        60,
        ServerOptions {
            apple_push: intune_reach::sim::server::ApplePush::Missing,
            managed_google_play: intune_reach::sim::server::ManagedGooglePlay::Forbidden,
            ..Default::default()
        },
    );
    let output = sim.command(&["fetch", "--out", out.to_str().unwrap()]).output().unwrap();
    assert!(output.status.success(), "a tenant check never fails the read");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("managed Google Play connection was not read")
            && stderr.contains("DeviceManagementConfiguration.Read.All"),
        "{stderr}"
    );
    let snapshot: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        snapshot["tenant"],
        serde_json::json!({"applePushNotificationCertificate": null}),
        "null = 404, absent = not read"
    );

    // A simulated snapshot holds what a complete read of the simulated Graph gives.
    let sim_snapshot = dir.path().join("sim.json");
    bin()
        .args(["sim", "snapshot", "--devices", "20", "--as-of", AS_OF, "--apple-push", "expired", "--out"])
        .arg(&sim_snapshot)
        .assert()
        .success();
    let snapshot: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&sim_snapshot).unwrap()).unwrap();
    assert_eq!(snapshot["tenant"]["applePushNotificationCertificate"]["expirationDateTime"], "2026-11-16T00:00:00Z");
    assert_eq!(snapshot["tenant"]["androidManagedStoreAccountEnterpriseSettings"]["bindStatus"], "boundAndValidated");
}

#[test]
fn a_live_audit_equals_the_audit_of_its_snapshot_and_leaks_no_secret() {
    let sim = Sim::new(900, ServerOptions::default());
    let pilot = sim.tenant.groups.iter().find(|g| g.display_name.starts_with("Pilot")).expect("pilot group").id.clone();
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snapshot.json");
    sim.command(&["fetch", "--out", snapshot.to_str().unwrap(), "--group", &pilot]).assert().success();

    let (live, offline) = (dir.path().join("live"), dir.path().join("offline"));
    let output = sim
        .command(&["audit", "--group", &pilot, "--out", live.to_str().unwrap(), "--as-of", AS_OF, "-vv"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    for stream in [&output.stdout, &output.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains(SECRET), "the secret leaked");
    }
    bin()
        .args(["audit", "--snapshot", snapshot.to_str().unwrap(), "--group", &pilot, "--as-of", AS_OF, "--out"])
        .arg(&offline)
        .assert()
        .success();
    for name in ["devices.csv", "users.csv"] {
        let live_file = std::fs::read_to_string(live.join(name)).unwrap();
        assert!(!live_file.contains(SECRET));
        assert_eq!(live_file, std::fs::read_to_string(offline.join(name)).unwrap(), "{name}");
    }
    let users = std::fs::read_to_string(live.join("users.csv")).unwrap();
    assert!(users.contains("no-managed-device"), "the pilot group has members without devices");
}

#[test]
fn a_compressed_fetch_audits_like_the_plain_one_byte_for_byte() {
    let sim = Sim::new(600, ServerOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let (plain, compressed) = (dir.path().join("tenant.json"), dir.path().join("tenant.json.zst"));
    for path in [&plain, &compressed] {
        sim.command(&["fetch", "--out", path.to_str().unwrap()]).assert().success();
    }
    let compressed_bytes = std::fs::read(&compressed).unwrap();
    assert_eq!(compressed_bytes[..4], [0x28, 0xB5, 0x2F, 0xFD], "a zstd frame");
    assert!(compressed_bytes.len() * 3 < std::fs::metadata(&plain).unwrap().len() as usize);
    // The same document but for the time of the read.
    let json = |bytes: &[u8]| {
        let mut value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        value.as_object_mut().unwrap().remove("capturedAt").expect("capturedAt");
        value
    };
    let decompressed = zstd::stream::decode_all(&compressed_bytes[..]).unwrap();
    assert_eq!(json(&decompressed), json(&std::fs::read(&plain).unwrap()));

    let reports = |snapshot: &std::path::Path| {
        let out = dir.path().join(snapshot.file_name().unwrap()).with_extension("reports");
        bin()
            .args(["audit", "--snapshot", snapshot.to_str().unwrap(), "--as-of", AS_OF, "--out"])
            .arg(&out)
            .assert()
            .success();
        ["devices.csv", "users.csv"].map(|name| std::fs::read(out.join(name)).unwrap())
    };
    assert_eq!(reports(&compressed), reports(&plain));
}

#[test]
fn a_wrong_secret_is_a_sign_in_error_that_does_not_show_it() {
    let sim = Sim::new(50, ServerOptions::default());
    let wrong = "wrong-canary-secret-1234";
    let output =
        sim.command(&["audit", "--out", "/nonexistent-dir/x"]).env("AZURE_CLIENT_SECRET", wrong).output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains(wrong) && !stderr.contains(SECRET), "{stderr}");
    assert!(stderr.contains("invalid_client") && stderr.contains("AADSTS7000215"), "{stderr}");
}

#[test]
fn the_secret_is_not_an_argument_and_urls_must_be_safe() {
    let output = bin().args(["audit", "--client-secret", "x"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "there is no --client-secret flag");
    let output = bin()
        .args([
            "fetch",
            "--out",
            "/tmp/never.json",
            "--graph-url",
            "http://example.com",
            "--login-url",
            "http://example.com",
        ])
        .env("AZURE_TENANT_ID", "t")
        .env("AZURE_CLIENT_ID", "c")
        .env("AZURE_CLIENT_SECRET", SECRET)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("http") && !stderr.contains(SECRET), "{stderr}");
}

#[test]
fn the_demo_serves_each_tenant_check_outcome() {
    let run = crate::harness::audit(&["--demo", "--devices", "150", "--managed-google-play", "forbidden"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let warnings = run.summary()["warnings"].to_string();
    assert!(warnings.contains("managed Google Play connection was not read"), "{warnings}");
    assert!(warnings.contains("DeviceManagementConfiguration.Read.All"), "{warnings}");
    assert!(!warnings.contains("Apple MDM push certificate was not read"), "{warnings}");
    let run = crate::harness::audit(&["--demo", "--devices", "150", "--apple-push", "missing"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.summary()["warnings"].to_string().contains("not read"));
    let refused = crate::harness::audit(&["--demo", "--apple-push", "revoked"]);
    assert_eq!(refused.code, 2);
    let without_demo = crate::harness::audit(&["--snapshot", "x.json", "--apple-push", "expired"]);
    assert_eq!(without_demo.code, 2, "the simulated tenant's flags need --demo");
}

#[test]
fn the_doctor_reports_counts_only() {
    let sim = Sim::new(
        400,
        ServerOptions {
            hide_devices: 3,
            managed_google_play: intune_reach::sim::server::ManagedGooglePlay::Forbidden,
            ..Default::default()
        },
    );
    let output = sim.command(&["doctor", "--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let doctor: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(doctor["select"]["read"]["rejected"], serde_json::json!({}), "the simulated Graph accepts the $select");
    let check = &doctor["count_check"]["read"];
    assert_eq!((check["devices_read"].as_u64(), check["graph_count"].as_u64()), (Some(397), Some(400)));
    let devices = &doctor["devices"]["read"];
    assert_eq!(devices["listed"], 397);
    assert_eq!(devices["with_hardware_information"], 0, "listings leave hardwareInformation blank");
    let ios = sim.tenant.devices.iter().filter(|d| d.operating_system.as_deref() == Some("iOS")).count() as u64;
    assert!(devices["values"]["operatingSystem"]["iOS"].as_u64().is_some_and(|n| n + 3 >= ios && n <= ios));
    let answers: Vec<&str> =
        doctor["tenant_checks"].as_array().unwrap().iter().map(|a| a["answer"].as_str().unwrap()).collect();
    assert_eq!(answers, ["read", "forbidden"]);
    let needed = doctor["permissions"]["read"]["needed"].as_array().unwrap();
    let play = needed.iter().find(|n| n["permission"] == "DeviceManagementConfiguration.Read.All").unwrap();
    assert_eq!(play["in_token"], false, "the token lacks what the 403 said");
    assert!(doctor["apps"]["read"]["matched"]["Company Portal"].is_object());

    // Nothing that names a device or a person.
    let table = sim.command(&["doctor"]).output().unwrap();
    assert_eq!(table.status.code(), Some(0));
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    assert!(table.contains("## Devices listed vs managedDeviceOverview") && table.contains("| forbidden |"), "{table}");
    for device in sim.tenant.devices.iter().take(100) {
        // Generated names hold a person's name or a serial ("Ada's iPhone", "DESKTOP-7Q2X"); a few are
        // fixed words ("iPhone") that a value column may show.
        let name = device.device_name.as_deref().filter(|n| n.contains('\'') || n.contains('-'));
        for value in [device.id.as_deref(), name, device.user_principal_name.as_deref(), device.user_id.as_deref()] {
            // The all-zero user id names nobody: the doctor may name it as the marker it is.
            let nobody = intune_reach::inventory::classify::NIL_USER_ID;
            let Some(value) = value.filter(|v| v.len() > 3 && *v != nobody) else { continue };
            assert!(!stdout.contains(value) && !table.contains(value), "{value} leaked");
        }
    }
    for user in &sim.tenant.users {
        assert!(!table.contains(&user.user_principal_name) && !table.contains(&user.display_name));
    }
    assert!(!table.contains(SECRET) && !stdout.contains(SECRET));
}

#[test]
fn near_misses_read_from_graph_are_in_the_summary_exactly() {
    let sim = Sim::new(1500, ServerOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let output =
        sim.command(&["audit", "--out", out, "--as-of", AS_OF, "--format", "json", "--quiet"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let truth = sim.tenant.near_misses(&intune_reach::inventory::AppCatalog::default());
    assert_eq!(truth.len(), 3, "the generated tenant has localized and renamed apps: {truth:?}");
    let expected: Vec<serde_json::Value> = truth
        .iter()
        .map(|m| serde_json::json!({"name": m.name, "devices": m.devices, "kind": m.kind, "config_key": m.config_key}))
        .collect();
    assert_eq!(summary["near_misses"], serde_json::Value::Array(expected), "the names and device counts Graph gave");
}
