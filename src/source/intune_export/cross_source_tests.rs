//! One device, three sources: the same device as a snapshot's Graph object, as a row of the admin
//! center's (or the `Devices` report's) CSV export in that file's own vocabulary, and as the Graph
//! client reads it from the simulated Graph, must give the same normalised device and the same
//! verdicts.

use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};

use super::{load, ExportOptions};
use crate::audit::DeviceResult;
use crate::inventory::{AndroidMode, AppCatalog, Device, Platform};
use crate::rules::Settings;
use crate::sim::tenant::{SimApp, SimTenant};
use crate::source::graph::{self, Credential, GraphOptions, Secret};
use crate::source::wire::{GraphDetectedApp, GraphDevice};

/// A device as Graph returns it, and the devices export that shows it.
struct Case {
    name: &'static str,
    graph: Value,
    csv: &'static str,
    /// The platform and mode, where no inferred row of the classification's table decides them.
    kind: Option<(Platform, Option<AndroidMode>)>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "personal work profile, told by the OS alone",
            graph: json!({"id": "d-wp", "deviceName": "Bob Pixel", "userId": "u-bob", "userPrincipalName": "bob@contoso.com",
                "userDisplayName": "Bob", "operatingSystem": "AndroidForWork", "osVersion": "14", "managementAgent": "mdm",
                "managementState": "managed", "managedDeviceOwnerType": "personal", "lastSyncDateTime": "2026-11-20T08:00:00Z",
                "enrolledDateTime": "2026-11-22T09:00:00Z"}),
            csv: "Device ID,Device name,OS,OS version,Managed by,Device state,Ownership,Primary user UPN,UserId,\
                  Primary user display name,Last check-in,Enrollment date\n\
                  d-wp,Bob Pixel,AndroidForWork,14,Intune,Managed,Personal,bob@contoso.com,u-bob,Bob,2026-11-20 08:00:00.0000000,\
                  2026-11-22 09:00:00.0000000\n",
            kind: Some((Platform::Android, Some(AndroidMode::PersonalWorkProfile))),
        },
        Case {
            name: "corporate iPhone, in the Devices report's numeric codes",
            graph: json!({"id": "d-ios", "deviceName": "Ann iPhone", "userId": "u-ann", "userPrincipalName": "Ann@Contoso.com",
                "userDisplayName": "Ann", "operatingSystem": "iOS", "osVersion": "18.1", "deviceType": "iPhone",
                "deviceEnrollmentType": "appleBulkWithUser", "managementAgent": "mdm", "managementState": "managed",
                "managedDeviceOwnerType": "company", "lastSyncDateTime": "2026-11-25T08:30:00Z"}),
            csv: "DeviceId,DeviceName,OS,OSVersion,DeviceType,EnrollmentType,ManagementAgents,ManagementState,OwnerType,\
                  OwnerType_loc,UPN,UserId,UserName,LastContact\n\
                  d-ios,Ann iPhone,iOS,18.1,8,3,2,0,1,Corporate,Ann@Contoso.com,u-ann,Ann,11/25/2026 8:30:00 AM\n",
            kind: Some((Platform::Ios, None)),
        },
        Case {
            name: "an OS Graph calls Unknown",
            graph: json!({"id": "d-unk", "deviceName": "Mystery", "userPrincipalName": "cid@contoso.com",
                "operatingSystem": "Unknown", "managementAgent": "mdm", "managedDeviceOwnerType": "unknown",
                "lastSyncDateTime": "2026-10-01T00:00:00Z"}),
            csv: "Device ID,Device name,OS,Managed by,Ownership,Primary user UPN,Last check-in\n\
                  d-unk,Mystery,Unknown,MDM,Unknown,cid@contoso.com,2026-10-01\n",
            kind: Some((Platform::Unknown, None)),
        },
        Case {
            name: "corporate fully managed Android, day-first dates",
            graph: json!({"id": "d-fm", "deviceName": "Kiosk 7", "userId": "u-dan", "userPrincipalName": "dan@contoso.com",
                "operatingSystem": "Android", "osVersion": "15", "deviceType": "androidEnterprise",
                "deviceEnrollmentType": "androidEnterpriseFullyManaged", "managementAgent": "mdm",
                "managementState": "retirePending", "managedDeviceOwnerType": "company", "lastSyncDateTime": "2026-11-13T14:00:00Z"}),
            csv: "Device ID;Device name;OS;OS version;DeviceType;Enrollment type;Managed by;Device state;Ownership;\
                  Primary user UPN;UserId;Last check-in\n\
                  d-fm;Kiosk 7;Android;15;18;16;Intune;Retire pending;Corporate;dan@contoso.com;u-dan;13/11/2026 14:00\n",
            kind: Some((Platform::Android, Some(AndroidMode::FullyManaged))),
        },
    ]
}

const PORTAL_VERSION: &str = "5.0.6";

fn portal() -> GraphDetectedApp {
    GraphDetectedApp {
        id: Some("app-cp".into()),
        display_name: Some("Company Portal".into()),
        version: Some(PORTAL_VERSION.into()),
        platform: Some("ios".into()),
        ..Default::default()
    }
}

fn from_snapshot(case: &Case, dir: &Path) -> Device {
    let id = &case.graph["id"];
    let snapshot = json!({
        "kind": "intune-reach.snapshot", "version": 1, "capturedAt": "2026-11-26T10:00:00Z",
        "source": {"cloud": "global", "tenantId": "t", "graph": "https://graph.microsoft.com/beta"}, "complete": true,
        "managedDevices": [case.graph],
        "detectedApps": [{"id": "app-cp", "displayName": "Company Portal", "version": PORTAL_VERSION, "platform": "ios",
                          "managedDevices": [{"id": id}]}],
        "groups": []
    });
    let path = dir.join("snapshot.json");
    std::fs::write(&path, snapshot.to_string()).unwrap();
    let mut inventory = crate::source::snapshot::load(&path).unwrap();
    assert_eq!(inventory.devices.len(), 1, "{}", case.name);
    inventory.devices.remove(0)
}

fn from_export(case: &Case, dir: &Path) -> Device {
    let (devices, apps) = (dir.join("devices.csv"), dir.join("apps.csv"));
    std::fs::write(&devices, case.csv).unwrap();
    let id = case.graph["id"].as_str().unwrap();
    std::fs::write(
        &apps,
        format!("ApplicationName,ApplicationVersion,DeviceId\nCompany Portal,{PORTAL_VERSION},{id}\n"),
    )
    .unwrap();
    let mut inventory = load(&devices, Some(&apps), None, &AppCatalog::default(), &ExportOptions::default()).unwrap();
    assert_eq!(inventory.devices.len(), 1, "{}", case.name);
    inventory.devices.remove(0)
}

async fn from_graph(case: &Case) -> Device {
    let text = case.graph.to_string();
    let device: GraphDevice = serde_json::from_str(&text).unwrap();
    let tenant = SimTenant {
        tenant_id: "00000000-0000-0000-0000-00000000abcd".to_owned(),
        devices: vec![device.into_owned()],
        apps: vec![SimApp { app: portal(), devices: vec![0] }],
        ..Default::default()
    };
    let server_options = crate::sim::server::ServerOptions::default();
    let credential = Credential::Secret(Secret::new(server_options.client_secret.clone()));
    let client_id = server_options.client_id.clone();
    let server = crate::sim::server::start(Arc::new(tenant), server_options, 0).await.unwrap();
    let mut options = GraphOptions::new(credential);
    options.graph_url = Some(server.url.clone());
    options.login_url = Some(server.url.clone());
    options.tenant_id = Some(server.tenant_id.clone());
    options.client_id = Some(client_id);
    let fetched = graph::fetch(&options, crate::progress::observer(false)).await;
    server.shutdown().await;
    let mut inventory = fetched.unwrap().to_inventory(Default::default()).unwrap();
    assert_eq!(inventory.devices.len(), 1, "{}", case.name);
    inventory.devices.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_device_is_the_same_device_from_every_source() {
    let settings = Settings::new("2026-11-26T00:00:00Z".parse().unwrap());
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        let snapshot = from_snapshot(&case, dir.path());
        let export = from_export(&case, dir.path());
        let graph = from_graph(&case).await;
        assert_eq!(export, snapshot, "{}: export and snapshot", case.name);
        assert_eq!(graph, snapshot, "{}: Graph and snapshot", case.name);
        let verdicts: Vec<_> = [&snapshot, &export, &graph]
            .iter()
            .map(|device| {
                let tenant = crate::inventory::TenantFacts::default();
                let context = crate::rules::RuleContext { settings: &settings, tenant: &tenant };
                let result = DeviceResult::evaluate(0, device, &context);
                (result.statuses, result.verdict)
            })
            .collect();
        assert!(verdicts.windows(2).all(|pair| pair[0] == pair[1]), "{}: {verdicts:?}", case.name);
        assert!(
            snapshot.last_sync.is_some() && snapshot.recipient.is_some(),
            "{}: a device worth comparing",
            case.name
        );
        if let Some(kind) = case.kind {
            assert_eq!((export.platform, export.android_mode), kind, "{}", case.name);
        }
    }
}
