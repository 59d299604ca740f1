//! The three exports end to end through their readers: the admin center's label files, the report
//! export jobs' raw columns and numeric codes, dates in either order, glued and mistaken files, and
//! property tests that no input panics or fails other than as an input error.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::apps::read_apps;
use super::devices::read_devices;
use super::members::read_members;
use super::*;
use crate::inventory::{AndroidMode, DeviceRecord, Member, Platform};
use crate::source::test_support::mutate;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Reads a devices export (and apps) from bytes.
fn devices_with(devices: &[u8], apps: Option<&[u8]>, options: &ExportOptions) -> Result<Inventory, Error> {
    let mut builder = InventoryBuilder::new();
    let mut source = SourceInfo::default();
    read_devices(|| Ok(devices), Path::new("devices.csv"), options, &mut builder, &mut source)?;
    if let Some(apps) = apps {
        read_apps(apps, Path::new("apps.csv"), &AppCatalog::default(), &mut builder, &mut source)?;
    }
    Ok(builder.finish(source))
}

fn devices_from(devices: &[u8], apps: Option<&[u8]>) -> Result<Inventory, Error> {
    devices_with(devices, apps, &ExportOptions::default())
}

fn devices_err(devices: &str) -> String {
    devices_from(devices.as_bytes(), None).unwrap_err().to_string()
}

fn apps_err(apps: &str) -> String {
    devices_from(b"Device ID,OS\nd1,iOS\n", Some(apps.as_bytes())).unwrap_err().to_string()
}

fn members_from(text: &[u8]) -> Result<(Vec<Member>, SourceInfo), Error> {
    let mut source = SourceInfo::default();
    let members = read_members(text, Path::new("members.csv"), &mut source)?;
    Ok((members, source))
}

fn sync(inv: &Inventory, i: usize) -> Option<String> {
    inv.devices[i].last_sync.map(|t| t.to_rfc3339())
}

fn warnings(inv: &Inventory) -> String {
    inv.source.warnings.join("\n")
}

/// The mode a Graph device with only this `operatingSystem` gets.
fn graph_mode(operating_system: &str) -> Option<AndroidMode> {
    let record = DeviceRecord { id: Some("g"), operating_system: Some(operating_system), ..Default::default() };
    crate::inventory::build::normalise(&record, &mut Default::default()).unwrap().android_mode
}

#[test]
fn label_export_with_bom_crlf_apps_and_members() {
    let devices = fixture("export-devices-labels.csv");
    let apps = fixture("export-apps.csv");
    let members = fixture("export-members.csv");
    let inv = load(&devices, Some(&apps), Some(&members), &AppCatalog::default(), &ExportOptions::default()).unwrap();
    assert_eq!(inv.source.kind, "intune-export");
    assert_eq!(
        inv.source.description,
        format!("Intune export {} (+ apps {}) (+ members {})", devices.display(), apps.display(), members.display())
    );
    assert!(inv.source.complete);
    assert!(inv.source.gaps.is_empty(), "{:?}", inv.source.gaps);
    assert_eq!(inv.devices.len(), 5);

    let d1 = &inv.devices[0];
    assert_eq!((d1.id.as_str(), d1.platform, &*d1.operating_system), ("d1", Platform::Ios, "iOS"));
    assert_eq!(&*d1.ownership, "company");
    assert_eq!(d1.management_agent.as_deref(), Some("mdm"));
    assert_eq!(d1.management_state.as_deref(), Some("managed"));
    assert_eq!(d1.recipient.as_deref(), Some("alice@contoso.com"));
    assert_eq!(d1.user_id.as_deref(), Some("u1"));
    assert_eq!(d1.user_display_name.as_deref(), Some("Alice"));
    assert_eq!(sync(&inv, 0).as_deref(), Some("2024-05-01T10:22:33+00:00"));
    assert!(d1.inventory_complete);
    assert_eq!(d1.apps.len(), 1, "Outlook is not kept: {:?}", d1.apps);
    assert_eq!(&*d1.apps[0].name, "Company Portal");
    assert_eq!(d1.apps[0].id.as_deref(), Some("com.microsoft.CompanyPortal"));
    assert_eq!(d1.apps[0].version.as_deref(), Some("5.2404.0"));

    let d2 = &inv.devices[1];
    assert_eq!(d2.platform, Platform::Android);
    assert_eq!(d2.android_mode, Some(AndroidMode::PersonalWorkProfile));
    assert_eq!(sync(&inv, 1).as_deref(), Some("2024-05-01T10:22:33+00:00"), "5/1/2024 read month-first");
    assert_eq!(d2.apps.len(), 2, "matched by package id, then by name: {:?}", d2.apps);

    // `AndroidEnterprise` and `Android` are Graph's operatingSystem values: they decide nothing.
    let d3 = &inv.devices[2];
    assert_eq!(d3.android_mode, graph_mode("AndroidEnterprise"));
    assert_eq!(d3.recipient, None);
    assert_eq!(&*d3.apps[0].name, "Microsoft Intune");
    let d4 = &inv.devices[3];
    assert_eq!(d4.android_mode, graph_mode("Android"));
    assert_eq!(d4.management_agent.as_deref(), Some("eas"));
    assert_eq!(d4.management_state.as_deref(), Some("retirePending"));
    assert_eq!(d4.last_sync, None);

    let d5 = &inv.devices[4];
    assert_eq!(d5.name, "Dana's PC, \"main\"");
    assert_eq!(d5.platform, Platform::Other);
    assert_eq!(d5.management_agent.as_deref(), Some("configurationManagerClientMdm"));
    assert_eq!(d5.last_sync, None);

    let warnings = warnings(&inv);
    assert!(
        warnings.contains(&format!(
            "devices export {}: 1 last check-in(s) could not be read (first: \"yesterday\" on line 5); \
             recent-check-in is unknown there",
            devices.display()
        )),
        "{warnings}"
    );
    assert!(
        warnings.contains("\"5/1/2024 10:22:33 AM\" on line 3") && warnings.contains("--date-order dmy"),
        "{warnings}"
    );
    assert!(warnings.contains("1 app record(s) name a device that is not in the device inventory"), "{warnings}");

    let members = inv.scoped_members.unwrap();
    assert_eq!(members.len(), 2, "the group member is dropped");
    assert_eq!(members[0].user_principal_name.as_deref(), Some("alice@contoso.com"));
    assert_eq!(members[0].id.as_deref(), Some("u1"));
    assert_eq!(members[1].display_name.as_deref(), Some("Bob"));
}

#[test]
fn raw_report_headers_with_semicolons() {
    let inv = load(&fixture("export-devices-raw.csv"), None, None, &AppCatalog::default(), &ExportOptions::default())
        .unwrap();
    assert_eq!(inv.devices.len(), 3);
    let r1 = &inv.devices[0];
    assert_eq!(r1.name, "Pixel 8");
    assert_eq!(r1.android_mode, Some(AndroidMode::FullyManaged));
    assert_eq!(r1.enrollment_type.as_deref(), Some("androidEnterpriseFullyManaged"));
    assert_eq!(r1.recipient.as_deref(), Some("enroller@contoso.com"), "the enrolling user is the recipient");
    assert_eq!(r1.user_display_name.as_deref(), Some("Primary User"));
    assert_eq!(sync(&inv, 0).as_deref(), Some("2024-05-01T10:22:33+00:00"));
    let r2 = &inv.devices[1];
    assert_eq!(r2.platform, Platform::Ios);
    assert_eq!(r2.management_agent.as_deref(), Some("easMdm"));
    assert_eq!(r2.management_state.as_deref(), Some("wipePending"));
    assert!(r2.last_sync.is_some());
    // Numeric codes are Graph's enum numbers; the enrollment type wins over the device type.
    let r3 = &inv.devices[2];
    assert_eq!(&*r3.ownership, "company");
    assert_eq!(r3.management_agent.as_deref(), Some("mdm"));
    assert_eq!(r3.management_state.as_deref(), Some("managed"));
    assert_eq!(r3.enrollment_type.as_deref(), Some("androidEnterpriseDedicatedDevice"));
    assert_eq!(r3.android_mode, Some(AndroidMode::Dedicated));
    // No apps export: nothing is trusted as missing, and a gap says so.
    assert!(inv.devices.iter().all(|d| !d.inventory_complete));
    assert_eq!(inv.source.gaps, vec![NO_APPS_GAP.to_owned()]);
    assert!(inv.source.description.ends_with("export-devices-raw.csv"));
}

#[test]
fn devices_report_codes_and_label_twins() {
    let twin = devices_from(b"DeviceId,OS,OwnerType,OwnerType_loc\nd1,iOS,1,Personal\nd2,iOS,2,\n", None).unwrap();
    assert_eq!((&*twin.devices[0].ownership, &*twin.devices[1].ownership), ("personal", "personal"), "the twin first");
    let inv =
        load(&fixture("export-devices-report.csv"), None, None, &AppCatalog::default(), &ExportOptions::default())
            .unwrap();
    assert!(inv.source.warnings.is_empty(), "{:?}", inv.source.warnings);
    let by_id = |id: &str| inv.devices.iter().find(|d| d.id == id).unwrap();
    let iphone = by_id("5c3a2f10-0000-4000-8000-000000000001");
    assert_eq!((iphone.platform, &*iphone.ownership), (Platform::Ios, "company"), "OwnerType_loc `Corporate`");
    assert_eq!(iphone.management_agent.as_deref(), Some("mdm"));
    assert_eq!(iphone.management_state.as_deref(), Some("managed"));
    assert_eq!(iphone.enrollment_type.as_deref(), Some("appleBulkWithUser"));
    assert_eq!(iphone.recipient.as_deref(), Some("ann@contoso.com"), "enrolled by the primary user: named by UPN");
    assert_eq!(iphone.last_sync.map(|t| t.to_rfc3339()).as_deref(), Some("2026-11-25T08:30:00+00:00"));
    let work_profile = by_id("5c3a2f10-0000-4000-8000-000000000002");
    assert_eq!(work_profile.android_mode, Some(AndroidMode::PersonalWorkProfile), "DeviceType 17");
    assert_eq!(&*work_profile.ownership, "personal");
    let dem = by_id("5c3a2f10-0000-4000-8000-000000000003");
    assert_eq!(dem.enrollment_type.as_deref(), Some("deviceEnrollmentManager"));
    assert_eq!(
        dem.recipient.as_deref(),
        Some("9d8c7b6a-0000-4000-8000-00000000beef"),
        "enrolled by another user, by id"
    );
    assert_eq!(dem.user_id.as_deref(), Some("1a2b3c4d-0000-4000-8000-000000000003"));
    let user_enrollment = by_id("5c3a2f10-0000-4000-8000-000000000004");
    assert_eq!(user_enrollment.enrollment_type.as_deref(), Some("appleUserEnrollment"));
    assert_eq!(user_enrollment.management_state.as_deref(), Some("retirePending"), "ManagementState_loc");
}

#[test]
fn a_report_never_shows_a_bare_numeric_code() {
    let inv = devices_from(
        b"DeviceId,OS,OwnerType,ManagementAgents,ManagementState,EnrollmentType,DeviceType\n\
          d1,Android,7,9,12,99,300\n\
          d2,42,1,2,0,16,18\n",
        None,
    )
    .unwrap();
    let d1 = &inv.devices[0];
    assert_eq!(&*d1.ownership, "unknown");
    assert_eq!(d1.management_agent, None, "no Graph value: left empty, so mdm-enrolled is unknown");
    assert_eq!(d1.management_state.as_deref(), Some("unknown"));
    assert_eq!(d1.enrollment_type.as_deref(), Some("unknown"));
    assert_eq!(d1.android_mode, graph_mode("Android"), "deviceType `unknown` decides nothing");
    let d2 = &inv.devices[1];
    assert_eq!((d2.platform, &*d2.operating_system), (Platform::Unknown, ""), "a numeric OS is no OS");
    assert_eq!(d2.enrollment_type.as_deref(), Some("androidEnterpriseFullyManaged"));
    let warnings = warnings(&inv);
    assert!(
        warnings.contains(
            "devices export devices.csv: 6 value(s) are numeric codes that no Graph enum value has (first: \
             \"device type `300`\" on line 2); read as unknown"
        ),
        "{warnings}"
    );
    for device in &inv.devices {
        for value in [Some(&*device.ownership), device.management_agent.as_deref(), device.enrollment_type.as_deref()] {
            assert!(!value.unwrap_or("").bytes().any(|b| b.is_ascii_digit()), "{value:?}");
        }
    }
}

#[test]
fn each_new_field_may_be_missing_empty_or_unknown() {
    let header = "Device ID,OS,Enrollment date,EnrolledByUser,Enrollment type,OwnerType_loc,OwnerType\n";
    for row in [
        "d1,iOS,,,,,",
        "d1,iOS,   ,  , , ,",
        "d1,iOS,someday,???,Sideloaded,Unbekannt,x",
        "d1,iOS,2026-13-45,not-a-guid,-1,,3",
    ] {
        let inv = devices_from(format!("{header}{row}\n").as_bytes(), None).unwrap();
        assert_eq!(inv.devices.len(), 1, "{row}");
        assert_eq!(inv.devices[0].platform, Platform::Ios, "{row}");
    }
    let inv = devices_from(b"Device ID,OS\nd1,iOS\n", None).unwrap();
    assert_eq!(inv.devices.len(), 1, "without any of the new columns");
}

#[test]
fn bom_crlf_semicolons_and_quotes_inline() {
    let text =
        b"\xEF\xBB\xBFdevice_id;\"O S\";Last-Check-In\r\n\"a;1\";iOS;2024-05-01 10:22:33\r\n\r\n;;\r\nb;Android;\r\n";
    let inv = devices_from(text, None).unwrap();
    assert_eq!(inv.devices.len(), 2, "the blank and all-empty rows are skipped");
    assert_eq!(inv.devices[0].id, "a;1");
    assert_eq!(inv.devices[1].platform, Platform::Android);
    let gaps = inv.source.gaps.join("\n");
    assert!(gaps.contains("no user column"), "{gaps}");
    assert!(gaps.contains("no `Managed by` column"), "{gaps}");
    assert!(gaps.contains("no `Ownership` column"), "{gaps}");
    assert!(!gaps.contains("Last check-in"), "{gaps}");
}

#[test]
fn os_labels_set_platform_and_mode() {
    let cases = [
        ("iOS/iPadOS", Platform::Ios, None),
        ("iPhone", Platform::Ios, None),
        ("Android (personally-owned work profile)", Platform::Android, Some(AndroidMode::PersonalWorkProfile)),
        (
            "Android Enterprise (personally-owned work profile)",
            Platform::Android,
            Some(AndroidMode::PersonalWorkProfile),
        ),
        ("Android (fully managed)", Platform::Android, Some(AndroidMode::FullyManaged)),
        ("Android (dedicated)", Platform::Android, Some(AndroidMode::Dedicated)),
        ("Android (corporate-owned work profile)", Platform::Android, Some(AndroidMode::CorporateWorkProfile)),
        ("Android (device administrator)", Platform::Android, Some(AndroidMode::DeviceAdministrator)),
        ("AndroidnGMS", Platform::Android, Some(AndroidMode::Aosp)),
        ("Android (something new)", Platform::Android, Some(AndroidMode::Unknown)),
        ("Windows", Platform::Other, None),
        ("", Platform::Unknown, None),
    ];
    let mut text = String::from("Device ID,OS\n");
    for (i, (os, _, _)) in cases.iter().enumerate() {
        text.push_str(&format!("d{i},\"{os}\"\n"));
    }
    let inv = devices_from(text.as_bytes(), None).unwrap();
    for ((os, platform, mode), device) in cases.iter().zip(&inv.devices) {
        assert_eq!((device.platform, device.android_mode), (*platform, *mode), "{os}");
    }
    assert_eq!(&*inv.devices[9].operating_system, "Android (something new)", "unknown labels are kept");
}

#[test]
fn graph_spellings_of_the_os_mean_what_they_mean_in_graph() {
    // An export's `OS` label is `operatingSystem`: `AndroidForWork` gets the mode Graph's
    // `operatingSystem` `AndroidForWork` gets, whatever the classification's table says.
    let cases = [
        ("AndroidForWork", "AndroidForWork"),
        ("Android for Work", "AndroidForWork"),
        ("AndroidEnterprise", "AndroidEnterprise"),
        ("AndroidAOSP", "AndroidAOSP"),
        ("Android (AOSP)", "AndroidAOSP"),
        ("Android", "Android"),
        ("Unknown", "Unknown"),
        ("iPadOS", "iPadOS"),
    ];
    let mut text = String::from("Device ID,OS\n");
    for (i, (label, _)) in cases.iter().enumerate() {
        text.push_str(&format!("d{i},{label}\n"));
    }
    let inv = devices_from(text.as_bytes(), None).unwrap();
    for ((label, graph), device) in cases.iter().zip(&inv.devices) {
        let record = DeviceRecord { id: Some("g"), operating_system: Some(graph), ..Default::default() };
        let from_graph = crate::inventory::build::normalise(&record, &mut Default::default()).unwrap();
        assert_eq!(&*device.operating_system, *graph, "{label}");
        assert_eq!((device.platform, device.android_mode), (from_graph.platform, from_graph.android_mode), "{label}");
    }
}

#[test]
fn dates_are_read_in_the_order_of_their_file() {
    let day_first =
        b"Device ID,OS,Last check-in,Enrollment date\nd1,iOS,5/1/2024 10:00,3/2/2024\nd2,iOS,25/1/2024 10:00,\n";
    let inv = devices_from(day_first, None).unwrap();
    assert_eq!(sync(&inv, 0).as_deref(), Some("2024-01-05T10:00:00+00:00"), "25/1 makes the file day-first");
    assert!(inv.source.warnings.is_empty(), "{:?}", inv.source.warnings);
    let month_first = b"Device ID,OS,Last check-in,Enrollment date\nd1,iOS,5/1/2024 10:00,1/25/2024\n";
    let inv = devices_from(month_first, None).unwrap();
    assert_eq!(sync(&inv, 0).as_deref(), Some("2024-05-01T10:00:00+00:00"), "the enrollment date decides too");
    let given = devices_with(day_first, None, &ExportOptions { date_order: Some(DateOrder::MonthFirst) }).unwrap();
    assert_eq!(sync(&given, 0).as_deref(), Some("2024-05-01T10:00:00+00:00"), "--date-order decides instead");
    assert_eq!(sync(&given, 1), None, "25/1 is no month-first date");
    assert!(warnings(&given).contains(
        "devices export devices.csv: 1 last check-in(s) could not be read (first: \"25/1/2024 10:00\" on line 3)"
    ));
    let year_first = b"Device ID,OS,Last check-in\nd1,iOS,2026/11/19 08:00\nd2,iOS,5/1/2024\n";
    let inv = devices_from(year_first, None).unwrap();
    assert_eq!(sync(&inv, 0).as_deref(), Some("2026-11-19T08:00:00+00:00"));
    assert!(warnings(&inv).contains("\"5/1/2024\" on line 3"), "year-first decides nothing: {}", warnings(&inv));
}

#[test]
fn mixed_date_orders_are_an_input_error_naming_both_lines() {
    let text = b"Device ID,OS,Last check-in,Enrollment date\r\nd1,iOS,5/1/2024,\r\nd2,iOS,2024-01-02,25/1/2024\r\nd3,iOS,1/30/2024,\r\n";
    let error = devices_from(text, None).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    assert_eq!(
        error.to_string(),
        "devices.csv: dates in two orders: line 3 has \"25/1/2024\", which can only be day-first, and line 4 has \
         \"1/30/2024\", which can only be month-first; give --date-order dmy or mdy to read every date one way"
    );
    let chosen = devices_with(text, None, &ExportOptions { date_order: Some(DateOrder::DayFirst) }).unwrap();
    assert_eq!(chosen.devices.len(), 3);
}

#[test]
fn two_digit_years_and_unreadable_enrollment_dates_are_counted() {
    let inv =
        devices_from(b"Device ID,OS,Last check-in,Enrollment date\nd1,iOS,11/19/26,never\nd2,iOS,,0\n", None).unwrap();
    assert_eq!(sync(&inv, 0).as_deref(), Some("2026-11-19T00:00:00+00:00"));
    let warnings = warnings(&inv);
    assert!(
        warnings.contains("1 date(s) have a two-digit year (first: \"11/19/26\" on line 2); read as 20YY"),
        "{warnings}"
    );
    assert!(
        warnings.contains(
            "devices export devices.csv: 2 enrollment date(s) could not be read (first: \"never\" on line 2)"
        ),
        "{warnings}"
    );
}

#[test]
fn repeated_header_rows_are_skipped_and_never_a_device_or_user() {
    let glued = b"Device ID,OS\nd1,iOS\n\xEF\xBB\xBFDevice ID,OS\nd2,iOS\ndevice id , os\nd3,Android\n";
    let inv = devices_from(glued, Some(b"App name,Device ID\nCompany Portal,d1\nApp name,Device ID\n")).unwrap();
    let ids: Vec<&str> = inv.devices.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, vec!["d1", "d2", "d3"]);
    let warnings = warnings(&inv);
    assert!(warnings.contains("devices export devices.csv: 2 row(s) repeat the header row (exports glued together?) and were skipped (first: line 3)"), "{warnings}");
    assert!(warnings.contains("discovered-apps export apps.csv: 1 row(s) repeat the header row"), "{warnings}");
    let (members, source) = members_from(b"UPN,Display name\na@x,A\nUPN,Display name\n").unwrap();
    assert_eq!(members.len(), 1);
    assert!(source.warnings[0].contains("repeat the header row"), "{:?}", source.warnings);
    // A header row unlike the first: the columns no longer line up, so the file cannot be read.
    let message = devices_err("Device ID,OS\nd1,iOS\nOS,Device ID\niOS,d2\n");
    assert_eq!(
        message,
        "devices.csv: line 3: \"OS\" is a header, but this row is not the file's header row: exports with different \
         columns seem glued together; export them again, one file each"
    );
    let message = devices_err("Device ID,OS,Device name\nd1,iOS,a\nDeviceId,OS,Name\n");
    assert!(
        message.contains("line 3: \"DeviceId\" is a header, but this row is not the file's header row"),
        "{message}"
    );
}

#[test]
fn json_is_refused_as_json() {
    let message = devices_err("  {\"value\": [{\"DeviceId\": \"d1\"}]}");
    assert_eq!(
        message,
        "devices.csv: the file is JSON, not CSV (an export job with `format: json`?): give the devices export as CSV \
         (export jobs: `format: csv`)"
    );
    assert!(apps_err("\u{feff}[{\"ApplicationName\": \"x\"}]").contains("apps.csv: the file is JSON, not CSV"));
    let error = members_from(b"{\"value\": []}").unwrap_err();
    assert_eq!(error.exit_code(), 2);
    assert!(error.to_string().contains("JSON, not CSV"), "{error}");
}

#[test]
fn deleted_users_are_no_recipient() {
    let inv = devices_from(
        b"Device ID,OS,Primary user UPN,UserId,Primary user display name,EnrolledByUser\n\
          d1,iOS,3f2504e04f8941d39a0c0305e82c3301ann@contoso.com,3f2504e0-4f89-41d3-9a0c-0305e82c3301,Ann,\n\
          d2,iOS,3f2504e04f8941d39a0c0305e82c3302bob@contoso.com,u2,Bob,eve@contoso.com\n\
          d3,iOS,cid@contoso.com,u3,Cid,aaaaaaaabbbbbbbbccccccccdddddddd0old@contoso.com\n",
        None,
    )
    .unwrap();
    assert_eq!(inv.devices[0].recipient, None);
    assert_eq!(inv.devices[0].user_id, None);
    assert_eq!(inv.devices[0].user_display_name.as_deref(), Some("Ann"));
    assert_eq!(inv.devices[1].recipient.as_deref(), Some("eve@contoso.com"), "a live enrolling user still is");
    assert_eq!(inv.devices[2].recipient.as_deref(), Some("cid@contoso.com"), "a deleted enrolling user is not");
    let warnings = warnings(&inv);
    assert!(
        warnings.contains("devices export devices.csv: 3 user principal name(s) carry Entra's deleted-user marker (first: \"3f2504e04f8941d39a0c0305e82c3301ann@contoso.com\" on line 2); such a user is no recipient"),
        "{warnings}"
    );
}

#[test]
fn the_enrolling_user_by_id_or_by_upn() {
    let inv = devices_from(
        b"DeviceId,OS,UPN,UserId,EnrolledByUser\n\
          d1,iOS,ann@contoso.com,3f2504e0-4f89-41d3-9a0c-0305e82c3301,3F2504E0-4F89-41D3-9A0C-0305E82C3301\n\
          d2,iOS,ann@contoso.com,3f2504e0-4f89-41d3-9a0c-0305e82c3301,9d8c7b6a-0000-4000-8000-00000000beef\n\
          d3,iOS,ann@contoso.com,3f2504e0-4f89-41d3-9a0c-0305e82c3301,Dem@Contoso.com\n\
          d4,iOS,,,9d8c7b6a-0000-4000-8000-00000000beef\n",
        None,
    )
    .unwrap();
    let recipients: Vec<Option<&str>> = inv.devices.iter().map(|d| d.recipient.as_deref()).collect();
    assert_eq!(
        recipients,
        vec![
            Some("ann@contoso.com"),
            Some("9d8c7b6a-0000-4000-8000-00000000beef"),
            Some("dem@contoso.com"),
            Some("9d8c7b6a-0000-4000-8000-00000000beef")
        ]
    );
}

#[test]
fn duplicate_device_ids_are_kept_once_with_a_warning() {
    let inv = devices_from(b"Device ID,OS\nd1,iOS\nd2,iOS\nd1,Android\n", None).unwrap();
    assert_eq!(inv.devices.len(), 2);
    assert_eq!(inv.devices[0].platform, Platform::Ios, "the first row wins");
    assert_eq!(inv.duplicate_ids, vec!["d1".to_owned()]);
    assert!(inv.source.warnings[0].contains("repeated an id"), "{:?}", inv.source.warnings);
}

#[test]
fn device_export_errors_name_file_line_and_field() {
    assert_eq!(devices_err(""), "devices.csv: empty file: expected the devices export as CSV with a header row");
    assert!(devices_err("\u{feff}").contains("no header row"));
    assert!(devices_err("\n\n").contains("no header row"));
    let message = devices_err("Device ID,Device name\nd1,x\n");
    assert!(message.starts_with("devices.csv: the devices export has no OS column (required): expected one of `OS`, `Operating system`, `OperatingSystem`"), "{message}");
    assert!(message.contains("the header row has `Device ID`, `Device name`"), "{message}");
    let message = devices_err("Name,OS\nd1,iOS\n");
    assert!(message.contains("no device id column (required): expected one of `Device ID`, `DeviceId`"), "{message}");
    let message = devices_err("ApplicationName,DeviceId\nx,d1\n");
    assert!(message.contains("looks like a discovered-apps export"), "{message}");
    assert_eq!(
        devices_err("Device ID,OS,Device name\nd1,iOS,a\nd2,iOS\n"),
        "devices.csv: line 3: found 2 fields, expected 3 (as many as the header row has)"
    );
    assert_eq!(
        devices_err("Device ID,OS,Device name\nd1,iOS,a\n  ,iOS,b\n"),
        "devices.csv: line 3, field `Device ID`: row without a device id"
    );
    let message =
        devices_from(b"Device ID,OS,Device name\r\nd1,iOS,a\r\nd2,iOS,caf\xE9\r\n", None).unwrap_err().to_string();
    assert_eq!(
        message,
        "devices.csv: line 3, field `Device name` (column 3): invalid UTF-8 (save the file as \"CSV UTF-8\")"
    );
    let message = devices_from(b"Device ID,\xFFOS\n", None).unwrap_err().to_string();
    assert!(message.contains("line 1, column 2: invalid UTF-8 in the header row"), "{message}");
    let message = devices_from(b"\xFF\xFED\0e\0", None).unwrap_err().to_string();
    assert!(message.contains("UTF-16"), "{message}");
    // Invalid UTF-8 in a column that is not read does not matter.
    assert!(devices_from(b"Device ID,OS,Notes\nd1,iOS,\xFF\n", None).is_ok());
    // A bad row after the dates is reported as such, not hidden by the pass that finds the date order.
    assert_eq!(
        devices_err("Device ID,OS,Last check-in\nd1,iOS,5/1/2024\nd2,iOS\n"),
        "devices.csv: line 3: found 2 fields, expected 3 (as many as the header row has)"
    );
}

#[test]
fn file_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("devices.csv");
    let (catalog, options) = (AppCatalog::default(), ExportOptions::default());
    let e = load(&missing, None, None, &catalog, &options).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert_eq!(e.to_string(), format!("{}: no such file", missing.display()));
    let e = load(dir.path(), None, None, &catalog, &options).unwrap_err();
    assert!(e.to_string().ends_with("is a directory, not a CSV file"), "{e}");
    let devices = fixture("export-devices-raw.csv");
    let e = load(&devices, Some(&missing), None, &catalog, &options).unwrap_err();
    assert_eq!(e.to_string(), format!("{}: no such file", missing.display()));
    let empty = dir.path().join("members.csv");
    std::fs::write(&empty, b"").unwrap();
    let e = load(&devices, None, Some(&empty), &catalog, &options).unwrap_err();
    assert!(e.to_string().starts_with(&format!("{}: empty file", empty.display())), "{e}");
}

#[test]
fn app_export_errors_and_headers() {
    let message = apps_err("ApplicationName,ApplicationVersion\nCompany Portal,5\n");
    assert!(
        message.starts_with("apps.csv: the discovered-apps export has no device id column (required)"),
        "{message}"
    );
    let message = apps_err("ApplicationName,DeviceCount\nCompany Portal,5\n");
    assert!(message.contains("AppInvRawData"), "{message}");
    assert_eq!(
        apps_err("App name,Device ID\nCompany Portal,d1\nOutlook,\n"),
        "apps.csv: line 3, field `Device ID`: row without a device id"
    );
    assert_eq!(
        apps_err("App name;Device ID;Version\nCompany Portal;d1;5\nOutlook;d1\n"),
        "apps.csv: line 3: found 2 fields, expected 3 (as many as the header row has)"
    );
    let message = devices_from(b"Device ID,OS\nd1,iOS\n", Some(b"App name,Device ID\nCompany Portal,d\xC3\n"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "apps.csv: line 2, field `Device ID` (column 2): invalid UTF-8 (save the file as \"CSV UTF-8\")"
    );
    // Display labels, and a name matched case-insensitively.
    let inv = devices_from(
        b"Device ID,OS\nd1,iOS\n",
        Some(b"Application name,Application version,Device ID,Bundle ID\n company portal ,5.1,d1,\nOutlook,1,d1,x\n"),
    )
    .unwrap();
    assert_eq!(inv.devices[0].apps.len(), 1);
    assert_eq!(&*inv.devices[0].apps[0].name, "company portal");
    assert_eq!(inv.devices[0].apps[0].id, None);
}

#[test]
fn the_short_version_stands_in_for_a_blank_version() {
    let inv = devices_from(
        b"Device ID,OS\nd1,iOS\nd2,iOS\n",
        Some(
            b"ApplicationName,ApplicationShortVersion,ApplicationVersion,DeviceId\n\
              Company Portal,5.2404.0,,d1\nCompany Portal,5.0,5.0.6198.0,d2\n",
        ),
    )
    .unwrap();
    assert_eq!(inv.devices[0].apps[0].version.as_deref(), Some("5.2404.0"));
    assert_eq!(inv.devices[1].apps[0].version.as_deref(), Some("5.0.6198.0"), "the version when there is one");
}

#[test]
fn members_export_variants() {
    let (members, source) = members_from(b"userPrincipalName,displayName\nalice@contoso.com,Alice\n,\n").unwrap();
    assert_eq!(members.len(), 1);
    assert!(source.warnings.is_empty(), "all-empty rows are skipped silently");
    let (members, _) = members_from(b"UPN\r\nbob@contoso.com\r\n").unwrap();
    assert_eq!(members[0].user_principal_name.as_deref(), Some("bob@contoso.com"));
    let (members, source) =
        members_from(b"version:v1.0\nid,objectType,displayName\nu1,User,A\ng1,Group,G\n,User,Nobody\n").unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].id.as_deref(), Some("u1"));
    assert!(source.warnings[0].contains("1 row(s) of the members export"), "{:?}", source.warnings);
    let (members, _) = members_from(b"User name [userPrincipalName],Name [displayName]\nc@contoso.com,C\n").unwrap();
    assert_eq!(members[0].user_principal_name.as_deref(), Some("c@contoso.com"));
    let message = members_from(b"displayName,mail\nA,a@x\n").unwrap_err().to_string();
    assert!(
        message.starts_with("members.csv: the members export has no user principal name column (required)"),
        "{message}"
    );
    assert!(message.contains("or a user id column"), "{message}");
    let message = members_from(b"version:v1.0\nUPN,Display name\na@x,A\nb@x\n").unwrap_err().to_string();
    assert_eq!(message, "members.csv: line 4: found 1 fields, expected 2 (as many as the header row has)");
}

#[test]
fn docs_exports_md_shows_the_tables_of_the_code() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/exports.md")).unwrap();
    for (what, generated) in [("columns", headers::markdown()), ("values", values::markdown())] {
        assert!(
            doc.contains(&generated),
            "docs/exports.md does not show the {what} of the code; it should hold:\n{generated}"
        );
    }
}

fn check(result: Result<impl Sized, Error>) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        prop_assert_eq!(e.exit_code(), 2);
    }
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(devices_from(&bytes, None))?;
        check(devices_from(b"Device ID,OS\nd1,iOS\n", Some(&bytes)))?;
        check(members_from(&bytes))?;
    }

    #[test]
    fn mutated_exports_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..6)) {
        let devices = std::fs::read(fixture("export-devices-labels.csv")).unwrap();
        let report = std::fs::read(fixture("export-devices-report.csv")).unwrap();
        let apps = std::fs::read(fixture("export-apps.csv")).unwrap();
        let members = std::fs::read(fixture("export-members.csv")).unwrap();
        check(devices_from(&mutate(devices.clone(), &edits), None))?;
        check(devices_from(&mutate(report, &edits), None))?;
        check(devices_with(&mutate(devices.clone(), &edits), None, &ExportOptions { date_order: Some(DateOrder::DayFirst) }))?;
        check(devices_from(&devices, Some(&mutate(apps, &edits))))?;
        check(members_from(&mutate(members, &edits)))?;
    }

    #[test]
    fn any_date_cell_is_read_or_counted(cell in "[0-9/.: APMTZ-]{0,24}") {
        let text = format!("Device ID,OS,Last check-in,Enrollment date\nd1,iOS,\"{cell}\",\"{cell}\"\n");
        let inv = devices_from(text.as_bytes(), None);
        prop_assert!(inv.is_ok(), "one row cannot hold two orders: {:?}", inv.err().map(|e| e.to_string()));
    }
}

#[test]
fn near_misses_of_the_apps_export_are_counted_per_device_row() {
    let apps = "App name,Device ID,Version\nGoogle Play-Dienste,d1,24\nGoogle Play-Dienste,d2,24\nOutlook,d1,1\n\
Portail d’entreprise,d2,5\nCompany Portal,d1,5\n";
    let inv = devices_from(b"Device ID,OS\nd1,Android\nd2,Android\n", Some(apps.as_bytes())).unwrap();
    let misses: Vec<(&str, usize, &str)> =
        inv.source.near_misses.iter().map(|m| (m.name.as_str(), m.devices, m.config_key)).collect();
    assert_eq!(
        misses,
        [("Google Play-Dienste", 2, "apps.google_play_services"), ("Portail d’entreprise", 1, "apps.company_portal")]
    );
    assert_eq!(inv.devices[0].apps.len(), 1, "a near miss is no evidence");
    assert!(inv.devices[1].apps.is_empty());
}
