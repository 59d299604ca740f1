//! The audit engine end to end on offline sources: snapshot files, the admin center's CSV exports,
//! and the simulated tenant written as a snapshot.

use std::collections::BTreeMap;

use crate::harness::{audit, bin, fixture, temp_file, AS_OF};

fn small() -> String {
    fixture("tenant-small.json").display().to_string()
}

fn by<'a>(rows: &'a [BTreeMap<String, String>], column: &str, value: &str) -> &'a BTreeMap<String, String> {
    rows.iter().find(|r| r[column] == value).unwrap_or_else(|| panic!("no row with {column} = {value}"))
}

#[test]
fn rules_lists_every_rule_with_its_level() {
    let expected = [
        ("supported-platform", "deny"),
        ("mdm-enrolled", "deny"),
        ("has-recipient", "deny"),
        ("company-portal", "deny"),
        ("portal-version", "deny"),
        ("google-play-services", "deny"),
        ("recent-check-in", "warn"),
        ("push-permission", "allow"),
        ("apple-mdm-push", "warn"),
        ("managed-google-play", "warn"),
    ];
    let out = bin().args(["rules", "--format", "json"]).output().unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| (rule["id"].as_str().unwrap(), rule["level"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, expected, "every rule, in table order, with its default level");
    assert!(list[0]["fix"].as_str().unwrap().len() > 10);

    // The table: the first two cells of each rule's row are its id and its level.
    let out = bin().arg("rules").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<(String, String)> = text
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(['│', '┆']).map(str::trim).collect();
            (cells.len() > 3 && expected.iter().any(|(id, _)| *id == cells[1]))
                .then(|| (cells[1].to_owned(), cells[2].to_owned()))
        })
        .collect();
    let expected_rows: Vec<(String, String)> = expected.iter().map(|(i, l)| (i.to_string(), l.to_string())).collect();
    assert_eq!(rows, expected_rows, "{text}");

    // A level set in the configuration shows.
    let (_dir, config) = temp_file("levels.toml", b"[levels]\npush-permission = \"warn\"\n");
    let out = bin().args(["rules", "--format", "json", "--config", config.to_str().unwrap()]).output().unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[7]["level"], "warn");
    assert_eq!(list[7]["default_level"], "allow");
}

#[test]
fn snapshot_audit_gives_the_documented_verdicts() {
    let run = audit(&["--snapshot", &small()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let devices = run.rows("devices.csv");
    assert_eq!(devices.len(), 9, "every device read is in the device report");
    let verdict = |id: &str| by(&devices, "device_id", id)["verdict"].clone();
    assert_eq!(verdict("d-ios-ready"), "ready");
    assert_eq!(verdict("d-win"), "unreachable");
    assert_eq!(verdict("d-ios-personal"), "at-risk");
    assert_eq!(verdict("d-android-wp"), "ready");
    assert_eq!(verdict("d-android-fm"), "unreachable");
    assert_eq!(verdict("d-kiosk"), "unreachable");
    assert_eq!(verdict("d-old-portal"), "unreachable");
    assert_eq!(verdict("d-eas"), "unreachable");
    assert_eq!(verdict("d-stale"), "at-risk");

    let kiosk = by(&devices, "device_id", "d-kiosk");
    assert_eq!(kiosk["recipient"], "", "the all-zero user id names nobody");
    assert_eq!(kiosk["has-recipient"], "fail");
    assert_eq!(kiosk["android_mode"], "dedicated");
    let wp = by(&devices, "device_id", "d-android-wp");
    assert_eq!(wp["android_mode"], "personal-work-profile");
    assert_eq!(wp["portal-version"], "pass");
    // The snapshot holds no tenant settings: the tenant check of its mode is unknown (at warn, no change).
    assert_eq!(wp["unknown_rules"], "push-permission;managed-google-play");
    assert_eq!(wp["apple-mdm-push"], "n/a");
    assert_eq!(by(&devices, "device_id", "d-ios-ready")["portal-version"], "pass", "iOS Company Portal 5.2409.0");
    assert_eq!(by(&devices, "device_id", "d-old-portal")["failed_rules"], "portal-version");
    assert_eq!(by(&devices, "device_id", "d-win")["device_name"], "'=cmd|' /C calc'!A0", "formula guarded");
    assert_eq!(by(&devices, "device_id", "d-stale")["last_sync"], "2026-09-01T08:00:00Z");
    // Sorted by recipient (none first), then device id.
    let order: Vec<&str> = devices.iter().map(|r| r["device_id"].as_str()).collect();
    assert_eq!(order[..3], ["d-kiosk", "d-ios-ready", "d-win"]);

    let users = run.rows("users.csv");
    let user = |upn: &str| by(&users, "recipient", upn).clone();
    assert_eq!(users.len(), 6);
    assert_eq!(user("ann@contoso.example")["verdict"], "ready");
    assert_eq!(user("ann@contoso.example")["devices"], "2");
    assert_eq!(user("ann@contoso.example")["reasons"], "");
    assert_eq!(user("bob@contoso.example")["verdict"], "ready");
    assert_eq!(user("cara@contoso.example")["reasons"], "supported-platform;company-portal;google-play-services");
    assert_eq!(user("erin@contoso.example")["reasons"], "mdm-enrolled");
    assert_eq!(user("fay@contoso.example")["verdict"], "at-risk");
    assert_eq!(user("fay@contoso.example")["reasons"], "recent-check-in");

    let summary = run.summary();
    assert_eq!(summary["complete"], true);
    assert_eq!(summary["as_of"], AS_OF);
    assert_eq!(summary["users"]["total"], 6);
    assert_eq!(summary["users"]["ready"], 2);
    assert_eq!(summary["devices"]["unreachable"], 5);
    assert_eq!(summary["rules"]["push-permission"]["unknown"], 9);
    assert_eq!(summary["rules"]["company-portal"]["n/a"], 1);
    assert_eq!(summary["rules"]["recent-check-in"]["level"], "warn");
    assert_eq!(summary["rules"]["apple-mdm-push"]["unknown"], 4, "iOS devices; the tenant checks were not read");
    assert_eq!(summary["tenant"]["apple_mdm_push"]["read"], false);
    assert_eq!(summary["tenant"]["managed_google_play"]["rule"], "managed-google-play");
    assert_eq!(summary["near_misses"], serde_json::json!([]));
    assert!(run.stdout.contains("push-permission"), "terminal table: {}", run.stdout);
    assert!(run.stdout.contains("tenant:\n  Apple MDM push certificate"), "terminal: {}", run.stdout);
}

#[test]
fn same_inventory_and_clock_give_identical_files() {
    let (a, b) = (audit(&["--snapshot", &small()]), audit(&["--snapshot", &small()]));
    for name in ["devices.csv", "users.csv", "summary.json"] {
        assert_eq!(a.file(name), b.file(name), "{name}");
    }
}

#[test]
fn group_scope_reports_members_without_devices() {
    let run = audit(&["--snapshot", &small(), "--group", "g-sales"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let users = run.rows("users.csv");
    assert_eq!(users.len(), 3);
    let zed = by(&users, "recipient", "zed@contoso.example");
    assert_eq!(
        (zed["verdict"].as_str(), zed["reasons"].as_str(), zed["devices"].as_str()),
        ("unreachable", "no-managed-device", "0")
    );
    assert_eq!(run.rows("devices.csv").len(), 4, "only the members' devices are audited");
    assert_eq!(run.summary()["scope"]["groups"][0], "g-sales");

    let unknown = audit(&["--snapshot", &small(), "--group", "g-nope"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("g-nope"), "{}", unknown.stderr);
}

#[test]
fn fail_under_gates_the_exit_code() {
    // 2 of 6 users are ready: 33.3 %.
    assert_eq!(audit(&["--snapshot", &small(), "--fail-under", "30"]).code, 0);
    let gated = audit(&["--snapshot", &small(), "--fail-under", "50"]);
    assert_eq!(gated.code, 1);
    assert!(gated.exists("summary.json"), "the reports are still written");
    assert_eq!(audit(&["--snapshot", &small(), "--fail-under", "150"]).code, 2);
}

#[test]
fn levels_come_from_config_and_flags() {
    let (_dir, config) = temp_file("reach.toml", b"stale_days = 120\n[levels]\nportal-version = \"warn\"\n");
    let run = audit(&["--snapshot", &small(), "--config", config.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let devices = run.rows("devices.csv");
    assert_eq!(by(&devices, "device_id", "d-old-portal")["verdict"], "at-risk");
    assert_eq!(by(&devices, "device_id", "d-stale")["verdict"], "ready", "stale_days from the config");
    // A flag wins over the config.
    let run = audit(&[
        "--snapshot",
        &small(),
        "--config",
        config.to_str().unwrap(),
        "--level",
        "portal-version=deny",
        "--stale-days",
        "30",
    ]);
    let devices = run.rows("devices.csv");
    assert_eq!(by(&devices, "device_id", "d-old-portal")["verdict"], "unreachable");
    assert_eq!(by(&devices, "device_id", "d-stale")["verdict"], "at-risk");
    assert_eq!(audit(&["--snapshot", &small(), "--level", "nope=warn"]).code, 2);
}

#[test]
fn json_on_stdout_is_the_summary() {
    let run = audit(&["--snapshot", &small(), "--format", "json"]);
    assert_eq!(run.code, 0);
    let stdout: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON only");
    assert_eq!(stdout, run.summary());
}

#[test]
fn csv_options_bom_and_semicolon() {
    let run = audit(&["--snapshot", &small(), "--csv-bom", "--delimiter", ";"]);
    let devices = run.file("devices.csv");
    assert!(devices.starts_with("\u{feff}device_id;device_name;recipient;"));
    assert!(run.file("users.csv").starts_with('\u{feff}'));
}

#[test]
fn bad_snapshots_exit_2_naming_the_file_and_place() {
    let cases: &[(&str, &[u8], &[&str])] = &[
        ("not-json.json", b"this is not json", &["not-json.json", "line 1"]),
        ("empty.json", b"", &["empty.json"]),
        ("kind.json", br#"{"kind":"other","version":1,"complete":true,"managedDevices":[]}"#, &["kind.json", "kind"]),
        ("version.json", br#"{"kind":"intune-reach.snapshot","version":7,"complete":true,"managedDevices":[]}"#, &["version"]),
        ("nodevices.json", br#"{"kind":"intune-reach.snapshot","version":1,"complete":true}"#, &["managedDevices"]),
        (
            "noid.json",
            b"{\"kind\":\"intune-reach.snapshot\",\"version\":1,\"complete\":true,\n\"managedDevices\":[{\"id\":\"a\"},\n{\"deviceName\":\"x\"}]}",
            &["noid.json", "managedDevices[1]", "id", "line 3"],
        ),
        (
            "utf8.json",
            b"{\"kind\":\"intune-reach.snapshot\",\"version\":1,\"complete\":true,\"managedDevices\":[{\"id\":\"\xff\xfe\"}]}",
            &["utf8.json"],
        ),
    ];
    for (name, bytes, needles) in cases {
        let (_dir, path) = temp_file(name, bytes);
        let run = audit(&["--snapshot", path.to_str().unwrap()]);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        for needle in *needles {
            assert!(run.stderr.contains(needle), "{name}: {needle:?} not in {}", run.stderr);
        }
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert!(!run.exists("devices.csv"), "{name}: no report on bad input");
    }
    let run = audit(&["--snapshot", "/no/such/file.json"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("/no/such/file.json"), "{}", run.stderr);
}

fn snapshot_with(devices: &str, complete: bool) -> String {
    format!(
        r#"{{"kind":"intune-reach.snapshot","version":1,"capturedAt":"2026-11-25T00:00:00Z","complete":{complete},
"gaps":["page 7 of the Android shard could not be read"],"managedDevices":{devices},"detectedApps":[],"groups":[]}}"#
    )
}

#[test]
fn an_incomplete_snapshot_is_refused_unless_allowed() {
    let (_dir, path) =
        temp_file("partial.json", snapshot_with(r#"[{"id":"a","operatingSystem":"iOS"}]"#, false).as_bytes());
    let refused = audit(&["--snapshot", path.to_str().unwrap()]);
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    assert!(refused.stderr.contains("--allow-incomplete"), "{}", refused.stderr);
    assert!(!refused.exists("summary.json"), "no report written as if complete");

    let allowed = audit(&["--snapshot", path.to_str().unwrap(), "--allow-incomplete"]);
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
    let summary = allowed.summary();
    assert_eq!(summary["complete"], false);
    assert!(summary["caveats"][0].as_str().unwrap().starts_with("INCOMPLETE"));
    assert!(allowed.stdout.contains("INCOMPLETE"));
}

#[test]
fn duplicate_device_ids_are_reported_once_with_a_warning() {
    let devices = r#"[{"id":"a","operatingSystem":"iOS"},{"id":"b","operatingSystem":"iOS"},{"id":"a","operatingSystem":"Android"}]"#;
    let (_dir, path) = temp_file("dups.json", snapshot_with(devices, true).as_bytes());
    let run = audit(&["--snapshot", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.rows("devices.csv").len(), 2);
    let summary = run.summary();
    assert_eq!(summary["duplicate_device_ids"], 1);
    assert!(summary["warnings"][0].as_str().unwrap().contains("repeated"));
}

#[test]
fn microsoft_example_payload_audits() {
    let example: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("graph-docs/managedDevices-list-v1.0.example.json")).unwrap(),
    )
    .unwrap();
    let (_dir, path) = temp_file("ms.json", snapshot_with(&example["value"].to_string(), true).as_bytes());
    let run = audit(&["--snapshot", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let devices = run.rows("devices.csv");
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["platform"], "other", "placeholder operating system is kept as other");
    assert_eq!(devices[0]["recipient"], "user principal name value");
}

#[test]
fn simulated_snapshot_is_deterministic_and_audits() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    for path in [&a, &b] {
        bin()
            .args(["sim", "snapshot", "--devices", "700", "--seed", "9", "--as-of", AS_OF, "--out"])
            .arg(path)
            .assert()
            .success();
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "same seed, same bytes");
    let run = audit(&["--snapshot", a.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.rows("devices.csv").len(), 700);
    assert_eq!(run.summary()["devices"]["total"], 700);
}

#[test]
fn a_compressed_snapshot_audits_like_the_plain_one() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, compressed) = (dir.path().join("tenant.json"), dir.path().join("tenant.json.zst"));
    for path in [&plain, &compressed] {
        bin()
            .args(["sim", "snapshot", "--devices", "300", "--seed", "4", "--as-of", AS_OF, "--out"])
            .arg(path)
            .assert()
            .success();
    }
    assert!(std::fs::metadata(&compressed).unwrap().len() * 3 < std::fs::metadata(&plain).unwrap().len());
    let from_plain = audit(&["--snapshot", plain.to_str().unwrap()]);
    let from_compressed = audit(&["--snapshot", compressed.to_str().unwrap()]);
    assert_eq!(from_compressed.code, 0, "{}", from_compressed.stderr);
    for report in ["devices.csv", "users.csv"] {
        assert_eq!(from_compressed.file(report), from_plain.file(report), "{report}");
    }
    let summary = from_compressed.file("summary.json").replace(compressed.to_str().unwrap(), "FILE");
    assert_eq!(summary, from_plain.file("summary.json").replace(plain.to_str().unwrap(), "FILE"));

    let bytes = std::fs::read(&compressed).unwrap();
    std::fs::write(&compressed, &bytes[..bytes.len() / 2]).unwrap();
    let truncated = audit(&["--snapshot", compressed.to_str().unwrap()]);
    assert_eq!(truncated.code, 2, "{}", truncated.stderr);
    assert!(truncated
        .stderr
        .contains(&format!("{}: cannot read: the compressed data ends early", compressed.display())));
}

#[test]
fn a_snapshot_of_full_graph_objects_audits_like_the_plain_one() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("tenant.json");
    let (full, full_compressed) = (dir.path().join("full.json"), dir.path().join("full.json.zst"));
    let snapshot = |path: &std::path::Path, extra: &[&str]| {
        bin()
            .args(["sim", "snapshot", "--devices", "400", "--seed", "6", "--as-of", AS_OF, "--out"])
            .arg(path)
            .args(extra)
            .assert()
            .success();
    };
    snapshot(&plain, &[]);
    snapshot(&full, &["--full-objects"]);
    snapshot(&full_compressed, &["--full-objects"]);
    let document: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&full).unwrap()).unwrap();
    let devices = document["managedDevices"].as_array().unwrap();
    assert_eq!(devices.len(), 400);
    assert!(devices.iter().all(|d| d.as_object().unwrap().len() >= 82), "every property of every device");
    let size = |path: &std::path::Path| std::fs::metadata(path).unwrap().len();
    assert!(size(&full) > 3 * size(&plain), "{} vs {}", size(&full), size(&plain));

    let from_plain = audit(&["--snapshot", plain.to_str().unwrap()]);
    assert_eq!(from_plain.code, 0, "{}", from_plain.stderr);
    for path in [&full, &full_compressed] {
        let run = audit(&["--snapshot", path.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        for report in ["devices.csv", "users.csv"] {
            assert_eq!(run.file(report), from_plain.file(report), "{report} of {}", path.display());
        }
        let summary = run.file("summary.json").replace(path.to_str().unwrap(), "FILE");
        assert_eq!(summary, from_plain.file("summary.json").replace(plain.to_str().unwrap(), "FILE"));
    }
}

#[test]
fn every_rule_outcome_occurs_in_the_demo() {
    let run = audit(&["--demo"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = run.summary();
    let expected: &[(&str, &[&str])] = &[
        ("supported-platform", &["pass", "fail", "unknown"]),
        ("mdm-enrolled", &["pass", "fail", "unknown"]),
        ("has-recipient", &["pass", "fail"]),
        ("company-portal", &["pass", "fail", "unknown", "n/a"]),
        ("portal-version", &["pass", "fail", "unknown", "n/a"]),
        ("google-play-services", &["pass", "fail", "unknown", "n/a"]),
        ("recent-check-in", &["pass", "fail", "unknown"]),
        ("push-permission", &["unknown"]),
        ("apple-mdm-push", &["n/a"]),
        ("managed-google-play", &["n/a"]),
    ];
    for (rule, statuses) in expected {
        for status in *statuses {
            assert!(summary["rules"][rule][status].as_u64().unwrap() > 0, "{rule} never {status}");
        }
    }
    // The tenant checks give every device in their scope what the source read of the tenant.
    for rule in ["apple-mdm-push", "managed-google-play"] {
        let in_scope: Vec<u64> =
            ["pass", "fail", "unknown"].iter().map(|s| summary["rules"][rule][s].as_u64().unwrap()).collect();
        assert_eq!(in_scope.iter().filter(|n| **n > 0).count(), 1, "{rule}: {in_scope:?}");
    }
    for verdict in ["ready", "at_risk", "unreachable"] {
        assert!(summary["users"][verdict].as_u64().unwrap() > 0, "no {verdict} user");
    }
}

#[test]
fn intune_exports_audit_and_members_scope_the_users() {
    let devices = fixture("export-devices-labels.csv");
    let apps = fixture("export-apps.csv");
    let members = fixture("export-members.csv");
    let run = audit(&[
        "--intune-export",
        devices.to_str().unwrap(),
        "--apps-export",
        apps.to_str().unwrap(),
        "--members-export",
        members.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = run.summary();
    assert_eq!(summary["source"]["kind"], "intune-export");
    assert_eq!(summary["scope"]["members_export"], true);
    let users = run.rows("users.csv");
    assert!(!users.is_empty());
    let devices_rows = run.rows("devices.csv");
    // Every audited device belongs to a member of the export.
    for row in &devices_rows {
        assert!(users.iter().any(|u| u["recipient"] == row["recipient"]), "{row:?}");
    }

    let (_dir, bad) = temp_file("devices.csv", b"Device ID,Device name\nd1,Phone\n");
    let run = audit(&["--intune-export", bad.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("devices.csv") && run.stderr.contains("OS"), "{}", run.stderr);
    let (_dir, ragged) = temp_file("devices.csv", b"Device ID,OS\nd1,iOS\nd2,iOS,extra\n");
    let run = audit(&["--intune-export", ragged.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("line 3"), "{}", run.stderr);
}

#[test]
fn exports_as_admins_have_them() {
    // The `Devices` report's codes and label twins, day-first dates, a user the members file names by id.
    let (_d, devices) = temp_file(
        "devices.csv",
        b"DeviceId,OS,OwnerType,OwnerType_loc,ManagementAgents,UserId,UPN,LastContact\n\
          d1,iOS,1,Corporate,2,u-ann,,25/11/2026 08:00\n\
          d2,iOS,1,Corporate,2,u-bob,bob@contoso.com,24/11/2026 08:00\n",
    );
    let (_m, members) =
        temp_file("members.csv", b"id,userPrincipalName\nu-ann,Ann@Contoso.com\nu-bob,bob@contoso.com\n");
    let run = audit(&["--intune-export", devices.to_str().unwrap(), "--members-export", members.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = run.rows("devices.csv");
    let d1 = by(&rows, "device_id", "d1");
    assert_eq!(d1["recipient"], "ann@contoso.com", "the directory's spelling, not the id");
    assert_eq!((d1["ownership"].as_str(), d1["management_agent"].as_str()), ("company", "mdm"));
    assert_eq!(d1["last_sync"], "2026-11-25T08:00:00Z");
    let users = run.rows("users.csv");
    assert_eq!(by(&users, "recipient", "ann@contoso.com")["devices"], "1");

    let (_x, mixed) = temp_file("mixed.csv", b"Device ID,OS,Last check-in\nd1,iOS,25/11/2026\nd2,iOS,11/25/2026\n");
    let run = audit(&["--intune-export", mixed.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("mixed.csv") && run.stderr.contains("line 2") && run.stderr.contains("line 3"),
        "{}",
        run.stderr
    );
    let run = audit(&["--intune-export", mixed.to_str().unwrap(), "--date-order", "dmy"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(by(&run.rows("devices.csv"), "device_id", "d1")["last_sync"], "2026-11-25T00:00:00Z");

    let (_j, json) = temp_file("devices.json", b"{\"value\": []}");
    let run = audit(&["--intune-export", json.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("JSON, not CSV"), "{}", run.stderr);
}
