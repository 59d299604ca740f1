//! The snapshot reader's tests, through its entry points: what a snapshot reads as, the message for
//! each thing that can be wrong with one, and that neither chunk boundaries nor threads change either.

use std::io::{self, Read, Write};
use std::path::Path;

use proptest::prelude::*;
use serde::de::IgnoredAny;

use super::pipeline::{read_snapshot, read_snapshot_with, BATCH};
use super::{load, CHUNK};
use crate::error::Error;
use crate::inventory::{AndroidMode, Inventory, Platform};
use crate::source::test_support::mutate;

const SMALL: &str = include_str!("../../../tests/fixtures/snapshot-small.json");

fn parse(bytes: &[u8], path: &Path) -> Result<Inventory, Error> {
    read_snapshot(bytes, bytes.len() as u64, path, CHUNK)
}

fn parse_str(text: &str) -> Result<Inventory, Error> {
    parse(text.as_bytes(), Path::new("snapshot.json"))
}

fn err(text: &str) -> String {
    parse_str(text).unwrap_err().to_string()
}

fn write_temp(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    file.flush().unwrap();
    file
}

#[test]
fn small_snapshot_loads_from_a_file() {
    let file = write_temp(SMALL.as_bytes());
    let inv = load(file.path()).unwrap();
    assert_eq!(inv.source.kind, "snapshot");
    assert_eq!(inv.source.description, format!("snapshot {} captured 2026-11-26T10:00:00Z", file.path().display()));
    assert!(inv.source.complete);
    assert!(inv.source.gaps.is_empty(), "{:?}", inv.source.gaps);
    assert_eq!(inv.devices.len(), 3);
    let ios = &inv.devices[0];
    assert_eq!(ios.id, "d-ios");
    assert_eq!(ios.platform, Platform::Ios);
    assert_eq!(ios.recipient.as_deref(), Some("alice@contoso.com"));
    assert!(ios.inventory_complete);
    // detectedApps come before managedDevices in the file: attached all the same.
    assert_eq!(&*ios.apps[0].name, "Company Portal");
    let android = &inv.devices[1];
    assert_eq!(android.android_mode, Some(AndroidMode::PersonalWorkProfile));
    assert_eq!(android.apps.len(), 2);
    // Unknown enum strings are kept as they are.
    let odd = &inv.devices[2];
    assert_eq!(odd.management_agent.as_deref(), Some("somethingNewAgent"));
    assert_eq!(odd.management_state.as_deref(), Some("weirdState"));
    assert_eq!(&*odd.ownership, "sharedSomething");
    assert_eq!(odd.platform, Platform::Other);
    assert_eq!(&*odd.operating_system, "PalmOS");
    assert_eq!(inv.groups.len(), 1);
    assert_eq!(inv.groups[0].members.len(), 1, "non-user members are dropped");
    assert_eq!(inv.groups[0].members[0].user_principal_name.as_deref(), Some("alice@contoso.com"));
}

#[test]
fn microsoft_example_device_list_loads_as_a_snapshot() {
    let page: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/fixtures/graph-docs/managedDevices-list-v1.0.example.json"))
            .unwrap();
    let snapshot = serde_json::json!({
        "kind": "intune-reach.snapshot",
        "version": 1,
        "capturedAt": "2026-11-26T10:00:00Z",
        "complete": true,
        "managedDevices": page["value"],
    });
    let inv = parse_str(&snapshot.to_string()).unwrap();
    assert_eq!(inv.devices.len(), 1);
    let device = &inv.devices[0];
    assert_eq!(device.id, "705c034c-034c-705c-4c03-5c704c035c70");
    assert_eq!(device.management_agent.as_deref(), Some("mdm"));
    assert_eq!(device.enrollment_type.as_deref(), Some("userEnrollment"));
    assert_eq!(device.platform, Platform::Other);
    assert_eq!(device.recipient.as_deref(), Some("user principal name value"));
    assert_eq!(device.last_sync.map(|t| t.to_rfc3339()).as_deref(), Some("2017-01-01T08:02:49.320597600+00:00"));
}

/// A device as Graph returns it without `$select` (every property: nested objects, arrays, numbers,
/// `@odata.type`) reads as the same device with only the selected properties, in any chunks.
#[test]
fn full_graph_objects_read_as_their_selected_properties() {
    let example: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/fixtures/graph-docs/managedDevice-get-beta.example.json"))
            .unwrap();
    let mut full = example["value"].clone();
    full["operatingSystem"] = "iPadOS".into();
    assert!(full.as_object().unwrap().len() > 70 && full["hardwareInformation"].as_object().unwrap().len() > 20);
    let selected: serde_json::Map<String, serde_json::Value> = crate::source::wire::DEVICE_SELECT
        .iter()
        .filter_map(|&name| Some((name.to_owned(), full.get(name)?.clone())))
        .collect();
    let document = |device: serde_json::Value| {
        let other =
            serde_json::json!({"id": "d2", "operatingSystem": "Android", "deviceActionResults": [{"x": [1, {}]}]});
        serde_json::json!({
            "kind": "intune-reach.snapshot", "version": 1, "complete": true, "managedDevices": [device, other],
            "detectedApps": [{"displayName": "Company Portal", "managedDevices": [{"id": full["id"]}]}],
        })
        .to_string()
    };
    let expected = outcome(document(selected.into()).as_bytes(), CHUNK, 1);
    let full_document = document(full.clone());
    for chunk in [5, 64, 1000, CHUNK] {
        assert_eq!(outcome(full_document.as_bytes(), chunk, 2), expected, "chunk {chunk}");
    }
    let inventory = parse_str(&full_document).unwrap();
    let device = &inventory.devices[0];
    assert_eq!((device.id.as_str(), device.platform), (full["id"].as_str().unwrap(), Platform::Ios));
    assert_eq!(device.shared_device, Some(true), "hardwareInformation.isSharedDevice is read inside the full object");
    assert_eq!(device.management_state.as_deref(), Some("retirePending"));
    assert_eq!(device.apps.len(), 1);
}

#[test]
fn keys_in_any_order_unknown_keys_ignored_and_escapes_read() {
    let inv = parse_str(
        r#"{"extra": {"nested": [1, 2, {"x": null}]},
            "detectedApps": [{"displayName": "Company Portal", "managedDevices": [{"id": "a\"b"}]}],
            "managedDevices": [{"id": "a\"b", "operatingSystem": "i\u004fS", "deviceName": "caf\u00e9"}],
            "complete": true, "version": 1, "kind": "intune-reach.snapshot"}"#,
    )
    .unwrap();
    assert_eq!(inv.devices[0].id, "a\"b");
    assert_eq!(inv.devices[0].name, "café");
    assert_eq!(inv.devices[0].platform, Platform::Ios);
    assert_eq!(inv.devices[0].apps.len(), 1);
    assert!(inv.source.description.ends_with("captured at an unknown time"));
}

#[test]
fn missing_complete_is_incomplete_and_says_so() {
    let inv = parse_str(r#"{"kind": "intune-reach.snapshot", "version": 1, "managedDevices": []}"#).unwrap();
    assert!(!inv.source.complete);
    assert!(inv.source.gaps[0].contains("no `complete` field"), "{:?}", inv.source.gaps);
    assert!(inv.devices.is_empty());
}

#[test]
fn incomplete_snapshot_keeps_its_gaps() {
    let inv = parse_str(
        r#"{"kind": "intune-reach.snapshot", "version": 1, "complete": false, "managedDevices": [],
            "gaps": ["page 7 of managedDevices could not be read"], "capturedAt": null, "source": {"cloud": 3}}"#,
    )
    .unwrap();
    assert!(!inv.source.complete);
    assert_eq!(inv.source.gaps, vec!["page 7 of managedDevices could not be read".to_owned()]);
}

#[test]
fn duplicate_device_ids_are_kept_once_with_a_warning() {
    let inv = parse_str(
        r#"{"kind": "intune-reach.snapshot", "version": 1, "complete": true,
            "managedDevices": [{"id": "a"}, {"id": "b"}, {"id": "a"}]}"#,
    )
    .unwrap();
    assert_eq!(inv.devices.len(), 2);
    assert_eq!(inv.duplicate_ids, vec!["a".to_owned()]);
    assert!(inv.source.warnings[0].contains("repeated an id"), "{:?}", inv.source.warnings);
}

#[test]
fn many_batches_keep_order_duplicates_and_errors() {
    let devices: Vec<String> = (0..3 * BATCH + 7)
        .map(|i| format!("{{\"id\": \"d{}\", \"operatingSystem\": \"iOS\"}}", i % (3 * BATCH)))
        .collect();
    let text = format!(
        "{{\"kind\": \"intune-reach.snapshot\", \"version\": 1, \"complete\": true, \"managedDevices\": [\n{}\n],
          \"detectedApps\": [{{\"displayName\": \"Company Portal\", \"managedDevices\": [{{\"id\": \"d2000\"}}]}}]}}",
        devices.join(",\n")
    );
    let inv = parse_str(&text).unwrap();
    assert_eq!(inv.devices.len(), 3 * BATCH);
    assert!(inv.devices.iter().enumerate().all(|(i, d)| d.id == format!("d{i}")));
    assert_eq!(inv.duplicate_ids.len(), 7);
    assert_eq!(inv.devices[2000].apps.len(), 1);
    let broken = text.replace("{\"id\": \"d2500\", ", "{");
    assert_eq!(err(&broken), "snapshot.json: line 2502, column 26: managedDevices[2500]: device without `id`");
}

#[test]
fn device_without_id_names_index_line_and_column() {
    let text = "{\"kind\": \"intune-reach.snapshot\", \"version\": 1,\n\"managedDevices\": [\n  {\"id\": \"a\"}, {\"id\": \"b\"}, {\"deviceName\": \"x\"}\n]}";
    let message = err(text);
    assert_eq!(message, "snapshot.json: line 3, column 47: managedDevices[2]: device without `id`");
}

#[test]
fn bad_device_value_names_the_device() {
    let message = err(r#"{"kind": "intune-reach.snapshot", "version": 1, "managedDevices": [{"id": "a"}, 42]}"#);
    assert!(message.starts_with("snapshot.json: line 1, column "), "{message}");
    assert!(message.contains("managedDevices[1]: invalid type: integer `42`"), "{message}");
}

#[test]
fn wrong_kind_and_version_are_refused_early() {
    let message = err(r#"{"kind": "something.else", "version": 1, "managedDevices": []}"#);
    assert!(message.contains("line 1, column 25: `kind` is \"something.else\""), "{message}");
    let message = err(r#"{"kind": "intune-reach.snapshot", "version": 2, "managedDevices": []}"#);
    assert!(message.contains("unsupported snapshot `version` 2"), "{message}");
    assert!(message.contains("reads version 1 only"), "{message}");
    let message = err(r#"{"kind": "intune-reach.snapshot", "version": "1", "managedDevices": []}"#);
    assert!(message.contains("unsupported snapshot `version` \"1\""), "{message}");
    let message = err(r#"{"kind": 7}"#);
    assert!(message.contains("`kind`: invalid type: integer `7`, expected a string"), "{message}");
}

#[test]
fn missing_required_keys() {
    assert!(err(r#"{"version": 1, "managedDevices": []}"#).contains("no `kind`"));
    assert!(err(r#"{"kind": "intune-reach.snapshot", "managedDevices": []}"#).contains("no snapshot `version`"));
    let message = err(r#"{"kind": "intune-reach.snapshot", "version": 1, "value": []}"#);
    assert_eq!(message, "snapshot.json: no `managedDevices` list (an empty list is fine, a missing one is not)");
    assert!(err(r#"{"kind": "intune-reach.snapshot", "version": 1, "managedDevices": null}"#)
        .contains("`managedDevices`: invalid type: null, expected a list of managed devices"));
}

#[test]
fn repeated_keys_are_refused() {
    let message = err(
        r#"{"kind": "intune-reach.snapshot", "version": 1, "managedDevices": [{"id": "a"}], "managedDevices": []}"#,
    );
    assert!(message.contains("the key `managedDevices` appears twice"), "{message}");
}

#[test]
fn bad_types_of_optional_keys_name_the_key() {
    let base = r#"{"kind": "intune-reach.snapshot", "version": 1, "managedDevices": [], "#;
    assert!(err(&format!("{base}\"complete\": \"yes\"}}"))
        .contains("`complete`: invalid type: string \"yes\", expected a boolean"));
    assert!(err(&format!("{base}\"gaps\": \"x\"}}")).contains("`gaps`: invalid type"));
    assert!(err(&format!("{base}\"groups\": 5}}")).contains("`groups`: invalid type"));
    assert!(err(&format!("{base}\"detectedApps\": {{}}}}")).contains("`detectedApps`: invalid type"));
}

#[test]
fn not_json_empty_and_truncated() {
    assert_eq!(err("hello"), "snapshot.json: line 1, column 1: not valid JSON: expected value");
    assert!(err("").contains("empty file"));
    assert!(err(" \n\t ").contains("empty file"));
    let message = err("[1, 2]");
    assert!(message.contains("invalid type: sequence, expected an intune-reach snapshot"), "{message}");
    let truncated = &SMALL[..SMALL.len() / 2];
    let message = err(truncated);
    assert!(message.contains("is it truncated?"), "{message}");
    assert!(message.contains("line "), "{message}");
    let message = err(&format!("{SMALL} {{}}"));
    assert!(message.contains("trailing characters"), "{message}");
    assert!(err("\u{feff}{\"kind\": 1}").contains("`kind`: invalid type"), "BOM is skipped");
}

#[test]
fn invalid_utf8_is_named_with_its_position() {
    let mut bytes = br#"{"kind": "intune-reach.snapshot", "version": 1, "managedDevices": [{"id": "a"#.to_vec();
    bytes.extend_from_slice(&[0xC3, 0x28]);
    bytes.extend_from_slice(br#""}]}"#);
    let message = parse(&bytes, Path::new("snapshot.json")).unwrap_err().to_string();
    assert!(message.starts_with("snapshot.json: line 1, column "), "{message}");
    assert!(message.contains("managedDevices[0]"), "{message}");
    assert!(message.contains("valid UTF-8"), "{message}");
    let message = parse(&[0xFF, 0xFE, b'{', 0], Path::new("snapshot.json")).unwrap_err().to_string();
    assert!(message.contains("UTF-16"), "{message}");
}

#[test]
fn file_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.json");
    let e = load(&missing).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert_eq!(e.to_string(), format!("{}: no such file", missing.display()));
    let e = load(dir.path()).unwrap_err();
    assert!(e.to_string().ends_with("is a directory, not a snapshot file"), "{e}");
    let empty = write_temp(b"");
    let e = load(empty.path()).unwrap_err();
    assert!(e.to_string().contains("empty file"), "{e}");
    assert_eq!(e.exit_code(), 2);
}

/// What reading `bytes` `chunk` bytes at a time with `workers` parsing threads gives: the
/// inventory, or the message.
fn outcome(bytes: &[u8], chunk: usize, workers: usize) -> String {
    match read_snapshot_with(bytes, bytes.len() as u64, Path::new("snapshot.json"), chunk, workers) {
        Ok(inventory) => format!("{inventory:?}"),
        Err(e) => format!("error: {e}"),
    }
}

/// A snapshot of `count` devices (ids repeat after `distinct`), one a line, with apps.
fn many_devices(count: usize, distinct: usize) -> String {
    let devices: Vec<String> = (0..count)
        .map(|i| {
            format!(
                "{{\"id\": \"d{}\", \"deviceName\": \"caf\u{e9} \\\"{i}\\\" \\u00e9\", \"operatingSystem\": \"iOS\", \"osVersion\": {i}}}",
                i % distinct
            )
        })
        .collect();
    format!(
        "{{\"kind\": \"intune-reach.snapshot\", \"version\": 1, \"complete\": true, \"managedDevices\": [\n{}\n],
          \"detectedApps\": [{{\"displayName\": \"Company Portal\", \"managedDevices\": [{{\"id\": \"d7\"}}, {{\"id\": \"d2000\"}}]}}],
          \"groups\": [{{\"id\": \"g\", \"members\": [{{\"id\": \"u\", \"userPrincipalName\": \"a@b.c\"}}]}}]}}",
        devices.join(",\n")
    )
}

#[test]
fn chunk_boundaries_and_threads_change_nothing() {
    // A device larger than many chunks, with escapes and multi-byte characters.
    let long_name = "Bob \u{1F600} \\\"Pixel\\\" \\u00e9\\ud83d\\ude00 ".repeat(40);
    let long = SMALL.replace("Bob Pixel", &long_name);
    let inputs = [
        SMALL.to_owned(),
        format!("\u{feff}{SMALL}"),
        long,
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(SMALL).unwrap()).unwrap(),
        many_devices(3 * BATCH + 7, 3 * BATCH),
    ];
    for input in &inputs {
        let expected = outcome(input.as_bytes(), CHUNK, 1);
        assert!(!expected.starts_with("error"), "{expected}");
        let chunks = (1..=40).chain([61, 64, 100, 509, 1000, 4096]);
        for chunk in chunks {
            for workers in [1, 3] {
                assert_eq!(outcome(input.as_bytes(), chunk, workers), expected, "chunk {chunk}, {workers} workers");
            }
        }
    }
    let many = parse_str(&inputs[4]).unwrap();
    assert_eq!(many.devices.len(), 3 * BATCH);
    assert_eq!(many.duplicate_ids.len(), 7);
    assert_eq!(many.devices[7].apps.len(), 1);
    assert_eq!(many.devices[2000].apps.len(), 1);
    assert_eq!(many.devices[5].name, "caf\u{e9} \"5\" \u{e9}");
    assert_eq!(many.groups.len(), 1);
}

/// A table, one case a row (so longer than a function should be): the input, and its message.
#[test]
fn errors_name_the_place_in_the_file() {
    let head = "{\"kind\": \"intune-reach.snapshot\", \"version\": 1,\n\"managedDevices\": [";
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (format!("{SMALL} x").into_bytes(), "line 34, column 2: not valid JSON: trailing characters"),
        (
            format!("{head}{{\"id\": \"a\"}}}}").into_bytes(),
            "line 2, column 31: managedDevices[1]: not valid JSON: expected `,` or `]`",
        ),
        (
            format!("{head}\n  {{\"id\": \"a\",\n   \"deviceName\": \"trunc").into_bytes(),
            "line 4, column 23: managedDevices[0]: the file ends before the JSON document does (is it truncated?): \
             EOF while parsing a string",
        ),
        (b"42".to_vec(), "line 1, column 2: invalid type: integer `42`, expected an intune-reach snapshot (a JSON object)"),
        (
            b"\"snapshot\"".to_vec(),
            "line 1, column 10: invalid type: string \"snapshot\", expected an intune-reach snapshot (a JSON object)",
        ),
        (b"null".to_vec(), "line 1, column 4: invalid type: null, expected an intune-reach snapshot (a JSON object)"),
        (b"\x01{}".to_vec(), "line 1, column 1: not valid JSON: expected value"),
        (b"\x0C{}".to_vec(), "line 1, column 1: not valid JSON: expected value"),
        (b"{\"kind\":\x01 \"x\"}".to_vec(), "line 1, column 9: `kind`: not valid JSON: expected value"),
        (
            b"{\"kind\": \"intune-reach.snapshot\",\xff \"version\": 1}".to_vec(),
            "line 1, column 34: not valid JSON: key must be a string",
        ),
        (
            [format!("{head}\n  {{\"id\": \"a\",\n   \"deviceName\": \"b").as_bytes(), b"\xc3\x28", b"\"}]}"].concat(),
            "line 4, column 20: managedDevices[0]: invalid unicode code point (a snapshot must be valid UTF-8)",
        ),
        (
            format!("{head}{{\"id\": \"a\"}} {{\"id\": \"b\"}}]}}").into_bytes(),
            "line 2, column 32: managedDevices[1]: not valid JSON: expected `,` or `]`",
        ),
        (
            format!("{head}{{\"id\": \"a\"}},]}}").into_bytes(),
            "line 2, column 32: managedDevices[1]: not valid JSON: trailing comma",
        ),
        (b"{\"kind\": \"intune-reach.snapshot\", }".to_vec(), "line 1, column 35: not valid JSON: trailing comma"),
        (b"{kind: 1}".to_vec(), "line 1, column 2: not valid JSON: key must be a string"),
        (b"{\"kind\" \"x\"}".to_vec(), "line 1, column 9: `kind`: not valid JSON: expected `:`"),
        (b"{\"complete\": tru, \"kind\": 1}".to_vec(), "line 1, column 17: `complete`: not valid JSON: expected ident"),
        (b"{\"version\": -, \"kind\": 1}".to_vec(), "line 1, column 14: `version`: not valid JSON: invalid number"),
        (
            b"{\"version\": 12a, \"kind\": 1}".to_vec(),
            "line 1, column 14: unsupported snapshot `version` 12: this intune-reach reads version 1 only",
        ),
        (
            format!("{head}{{\"id\": \"a\\q\"}}]}}").into_bytes(),
            "line 2, column 30: managedDevices[0]: not valid JSON: invalid escape",
        ),
        (
            format!("{head}{{\"id\": \"a\\u12\"}}]}}").into_bytes(),
            "line 2, column 34: managedDevices[0]: not valid JSON: invalid escape",
        ),
        (
            format!("{head}{{\"id\": \"a\", \"deviceName\": 12a}}]}}").into_bytes(),
            "line 2, column 48: managedDevices[0]: not valid JSON: expected `,` or `}`",
        ),
        (
            format!("{head}\"d\"]}}").into_bytes(),
            "line 2, column 22: managedDevices[0]: invalid type: string \"d\", expected a managed device (a JSON object)",
        ),
        (
            format!("{head}{{\"id\": \"a\"}}],\n\"groups\": [{{\"id\": \"g\", \"members\": 5}}]}}").into_bytes(),
            "line 3, column 35: `groups`: invalid type: integer `5`, expected a sequence",
        ),
        (
            format!("{head}{{\"id\": \"a\"}}],\n\"detectedApps\": [{{\"displayName\": \"P\"}}, 7]}}").into_bytes(),
            "line 3, column 40: `detectedApps`: invalid type: integer `7`, expected struct GraphDetectedApp",
        ),
        (
            b"{\"kind\": \"intune-reach.snapshot\", \"version\": 1, \"managedDevices\": [], \"groups\": {}}".to_vec(),
            "line 1, column 80: `groups`: invalid type: map, expected a sequence",
        ),
        // The first problem in the file wins, even when a later one is found first.
        (
            format!("{head}{{\"deviceName\": \"x\"}}, {{\"id\": \"b\"").into_bytes(),
            "line 2, column 38: managedDevices[0]: device without `id`",
        ),
        (
            format!("{head}{{\"id\": \"a\"}}], \"managedDevices\": []}}").into_bytes(),
            "line 2, column 49: the key `managedDevices` appears twice",
        ),
        (
            b"\xef\xbb\xbf{\"kind\": \"intune-reach.snapshot\"\n \"version\": 1}".to_vec(),
            "line 2, column 2: not valid JSON: expected `,` or `}`",
        ),
    ];
    assert!(err(" \n\x0C ").contains("empty file"), "a form feed is whitespace enough");
    for (bytes, expected) in &cases {
        let expected = format!("error: snapshot.json: {expected}");
        for chunk in [CHUNK, 4, 5, 7, 13] {
            assert_eq!(outcome(bytes, chunk, 2), expected, "chunk {chunk}: {:?}", String::from_utf8_lossy(bytes));
        }
    }
}

#[test]
fn the_first_bad_device_is_named_whichever_thread_finds_it() {
    let text = many_devices(3 * BATCH, 3 * BATCH);
    let broken = text
        .replace("{\"id\": \"d2500\", ", "{")
        .replace("{\"id\": \"d3000\", ", "{")
        .replace("\"d900\"", "\"d900\" 7");
    for workers in [1, 2, 4] {
        let message = outcome(broken.as_bytes(), 4096, workers);
        assert_eq!(
            message,
            "error: snapshot.json: line 902, column 15: managedDevices[900]: not valid JSON: expected `,` or `}`"
        );
    }
    let broken = text.replace("{\"id\": \"d2500\", ", "{").replace("\n]", "\n}");
    for workers in [1, 2, 4] {
        let message = outcome(broken.as_bytes(), 4096, workers);
        assert!(message.contains("line 2502, column 84: managedDevices[2500]: device without `id`"), "{message}");
    }
}

#[test]
fn deep_nesting_is_read_or_refused_not_a_crash() {
    for depth in [10, 200, 5000] {
        let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        // Values that are skipped may nest as deep as they like (the JSON parser skips them
        // without recursion); others are refused past its recursion limit.
        let text = format!(
            "{{\"kind\": \"intune-reach.snapshot\", \"version\": 1, \"x\": {deep}, \"managedDevices\": [{{\"id\": \"a\", \"y\": {deep}}}]}}"
        );
        let message = outcome(text.as_bytes(), 64, 2);
        assert!(!message.starts_with("error"), "{message}");
        let text = format!("{{\"kind\": \"intune-reach.snapshot\", \"version\": {deep}, \"managedDevices\": []}}");
        let message = outcome(text.as_bytes(), 64, 2);
        if depth < 128 {
            assert!(message.contains("unsupported snapshot `version`"), "{message}");
        } else {
            assert!(message.contains("`version`: not valid JSON: recursion limit exceeded"), "{message}");
        }
    }
}

/// Hands out a few bytes at a time, with interruptions, like a pipe.
struct Trickle<'a> {
    bytes: &'a [u8],
    calls: usize,
    fail_at: Option<usize>,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls.is_multiple_of(5) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "again"));
        }
        if self.fail_at.is_some_and(|at| self.bytes.len() < at) {
            return Err(io::Error::other("device went away"));
        }
        let n = (self.calls % 3 + 1).min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

#[test]
fn short_reads_and_read_errors() {
    let expected = outcome(SMALL.as_bytes(), CHUNK, 1);
    let trickle = Trickle { bytes: SMALL.as_bytes(), calls: 0, fail_at: None };
    let inventory = read_snapshot(trickle, 0, Path::new("snapshot.json"), 64).unwrap();
    assert_eq!(format!("{inventory:?}"), expected);
    let failing = Trickle { bytes: SMALL.as_bytes(), calls: 0, fail_at: Some(SMALL.len() / 2) };
    let e = read_snapshot(failing, 0, Path::new("snapshot.json"), 64).unwrap_err();
    assert_eq!(e.to_string(), "snapshot.json: cannot read: device went away");
    assert_eq!(e.exit_code(), 2);
}

/// Whether `error` is an input error (exit 2) about `fuzz.json`, saying so first.
fn names_the_file(error: &Error) -> bool {
    error.exit_code() == 2
        && matches!(error, Error::Input { path, .. } if path == Path::new("fuzz.json"))
        && error.to_string().starts_with("fuzz.json: ")
}

proptest! {
    /// Any bytes are read, or refused as an input error naming the file; never a panic.
    #[test]
    fn arbitrary_bytes_load_or_are_an_input_error(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Err(error) = parse(&bytes, Path::new("fuzz.json")) {
            prop_assert!(names_the_file(&error), "{:?}", error);
        }
    }

    /// A damaged snapshot is read, or refused as an input error naming the file; never a panic.
    #[test]
    fn mutated_snapshots_load_or_are_an_input_error(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..6),
    ) {
        let bytes = mutate(SMALL.as_bytes().to_vec(), &edits);
        if let Err(error) = parse(&bytes, Path::new("fuzz.json")) {
            prop_assert!(names_the_file(&error), "{:?}", error);
        }
    }

    /// Small chunks put every byte at a chunk boundary somewhere: the result never changes.
    #[test]
    fn arbitrary_bytes_read_the_same_in_any_chunks(bytes in proptest::collection::vec(any::<u8>(), 0..128), chunk in 1usize..24) {
        prop_assert_eq!(outcome(&bytes, chunk, 2), outcome(&bytes, CHUNK, 1));
    }

    #[test]
    fn mutated_snapshots_read_the_same_in_any_chunks(
        edits in proptest::collection::vec((any::<usize>(), proptest::sample::select(b"{}[],:\" \n\\tfn0-1eE.x\x01\xff\xc3u".to_vec()), any::<u8>()), 0..4),
        chunk in 1usize..80,
    ) {
        let bytes = mutate(SMALL.as_bytes().to_vec(), &edits);
        let expected = outcome(&bytes, CHUNK, 1);
        prop_assert_eq!(outcome(&bytes, chunk, 2), expected.clone());
        // What is accepted is JSON.
        if !expected.starts_with("error") {
            let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
            prop_assert!(serde_json::from_slice::<IgnoredAny>(text).is_ok());
        }
    }
}

#[test]
fn the_tenant_section_gives_the_tenant_checks() {
    use crate::inventory::tenant::TenantCheck;
    let snapshot = |tenant: &str| {
        format!(r#"{{"kind": "intune-reach.snapshot", "version": 1, "complete": true, "managedDevices": []{tenant}}}"#)
    };
    let read = parse_str(&snapshot(
        r#", "tenant": {"applePushNotificationCertificate": {"expirationDateTime": "2027-03-01T00:00:00Z"},
            "androidManagedStoreAccountEnterpriseSettings": null}"#,
    ))
    .unwrap();
    match &read.tenant.apple_push {
        TenantCheck::Read(cert) => {
            assert_eq!(cert.expires.map(|t| t.to_rfc3339()).as_deref(), Some("2027-03-01T00:00:00+00:00"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(read.tenant.managed_google_play, TenantCheck::NotConfigured, "null is Graph's 404");

    let absent = parse_str(&snapshot("")).unwrap();
    assert!(matches!(absent.tenant.apple_push, TenantCheck::NotRead { .. }), "an absent key was not read");

    let odd = parse_str(&snapshot(r#", "tenant": [1, 2]"#)).unwrap();
    assert!(matches!(odd.tenant.apple_push, TenantCheck::NotRead { .. }));
    assert!(odd.source.warnings.iter().any(|w| w.contains("`tenant`")), "{:?}", odd.source.warnings);

    let twice = err(&snapshot(r#", "tenant": {}, "tenant": {}"#));
    assert!(twice.contains("the key `tenant` appears twice"), "{twice}");
}
