//! The reports admins act on: blockers in `summary.json`, the trailing columns, `--format markdown`,
//! `--no-html`, and what changed (`--previous`, `diff`, `changes.csv`), bad audit folders included.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::harness::{audit, bin, fixture, temp_file, Run};

fn small() -> String {
    fixture("tenant-small.json").display().to_string()
}

/// The rule ids in table order, as `intune-reach rules` lists them.
fn rule_ids() -> Vec<String> {
    let output = bin().args(["rules", "--format", "json"]).output().unwrap();
    let rules: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    rules.as_array().unwrap().iter().map(|rule| rule["id"].as_str().unwrap().to_owned()).collect()
}

/// Per rule, the users who would become ready if it passed on all their devices, worked out from the
/// CSV files and the levels alone: a user counts for a rule when one of their devices is kept from
/// ready by that rule and no other.
fn blockers_from_the_files(run: &Run) -> BTreeMap<String, u64> {
    let summary = run.summary();
    let blocks = |rule: &str, status: &str| match summary["rules"][rule]["level"].as_str().unwrap() {
        "deny" => status == "fail" || status == "unknown",
        "warn" => status == "fail",
        _ => false,
    };
    let ready: BTreeSet<String> =
        run.rows("users.csv").into_iter().filter(|u| u["verdict"] == "ready").map(|u| u["recipient"].clone()).collect();
    let rules = rule_ids();
    let mut helped: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for device in run.rows("devices.csv") {
        if device["recipient"].is_empty() || ready.contains(&device["recipient"]) {
            continue;
        }
        let blocking: Vec<&str> =
            rules.iter().map(String::as_str).filter(|rule| blocks(rule, &device[*rule])).collect();
        if let [only] = blocking[..] {
            helped.entry(only).or_default().insert(device["recipient"].clone());
        }
    }
    rules.iter().map(|rule| (rule.clone(), helped.get(rule.as_str()).map_or(0, |users| users.len() as u64))).collect()
}

#[test]
fn blockers_are_the_exact_counterfactual_largest_first() {
    for run in [audit(&["--snapshot", &small()]), audit(&["--demo", "--devices", "1500"])] {
        assert_eq!(run.code, 0, "{}", run.stderr);
        let summary = run.summary();
        let blockers = summary["blockers"].as_array().expect("blockers");
        assert_eq!(blockers.len(), rule_ids().len(), "every rule");
        let listed: BTreeMap<String, u64> =
            blockers.iter().map(|b| (b["rule"].as_str().unwrap().to_owned(), b["users"].as_u64().unwrap())).collect();
        assert_eq!(listed, blockers_from_the_files(&run));
        let counts: Vec<u64> = blockers.iter().map(|b| b["users"].as_u64().unwrap()).collect();
        assert!(counts.windows(2).all(|w| w[0] >= w[1]), "largest first: {counts:?}");
        let total = summary["users"]["total"].as_f64().unwrap();
        for blocker in blockers {
            let share = blocker["share_percent"].as_f64().unwrap();
            assert!((share - blocker["users"].as_f64().unwrap() * 100.0 / total).abs() < 0.01, "{blocker}");
            assert!(blocker["fix"].as_str().unwrap().len() > 20);
        }
    }
    let run = audit(&["--snapshot", &small()]);
    assert!(run.stdout.contains("What to fix first"), "{}", run.stdout);
}

#[test]
fn trailing_columns_come_after_the_rule_columns_and_say_why() {
    let run = audit(&["--snapshot", &small()]);
    let devices = run.file("devices.csv");
    let header: Vec<&str> = devices.lines().next().unwrap().split(',').collect();
    let rules = rule_ids();
    assert_eq!(header[14..14 + rules.len()], rules, "the rule columns keep their places");
    assert_eq!(header[14 + rules.len()..], ["details"]);
    let users = run.file("users.csv");
    let header: Vec<&str> = users.lines().next().unwrap().split(',').collect();
    assert_eq!(header[8..], ["reasons", "closest_device", "next_step"]);

    let rows = run.rows("devices.csv");
    let details = |id: &str| rows.iter().find(|r| r["device_id"] == id).unwrap()["details"].clone();
    assert!(
        details("d-ios-ready").starts_with("apple-mdm-push: ") && !details("d-ios-ready").contains(';'),
        "a ready device: only its unknown tenant check (this snapshot has no tenant section), push-permission \
         is left out: {}",
        details("d-ios-ready")
    );
    assert!(
        details("d-old-portal").starts_with("portal-version: Company Portal 5.0.4000.0"),
        "{}",
        details("d-old-portal")
    );
    assert!(details("d-stale").starts_with("recent-check-in: ") && details("d-stale").contains("85 days"));
    for row in &rows {
        let listed: Vec<&str> = row["failed_rules"].split(';').chain(row["unknown_rules"].split(';')).collect();
        for part in row["details"].split(';').filter(|p| !p.is_empty()) {
            let (rule, sentence) = part.split_once(": ").unwrap_or_else(|| panic!("`rule: sentence`: {part}"));
            assert!(listed.contains(&rule) && rule != "push-permission", "{rule} in {row:?}");
            assert!(sentence.len() > 10);
        }
    }

    let users = run.rows("users.csv");
    let user = |upn: &str| users.iter().find(|u| u["recipient"] == upn).unwrap().clone();
    assert_eq!(user("ann@contoso.example")["closest_device"], "Ann's iPhone");
    assert_eq!(user("ann@contoso.example")["next_step"], "", "ready: nothing to do");
    assert_eq!(user("fay@contoso.example")["closest_device"], "Fay iPhone");
    assert!(user("fay@contoso.example")["next_step"].contains("sync the device"));
    assert!(user("cara@contoso.example")["next_step"].contains("Deploy Company Portal"));

    let scoped = audit(&["--snapshot", &small(), "--group", "g-sales"]);
    let zed = scoped.rows("users.csv").into_iter().find(|u| u["recipient"] == "zed@contoso.example").unwrap();
    assert_eq!(zed["closest_device"], "");
    assert!(zed["next_step"].starts_with("Enroll"), "{zed:?}");
}

#[test]
fn every_cell_of_every_csv_is_guarded() {
    let run = audit(&["--demo", "--devices", "800"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for name in ["devices.csv", "users.csv"] {
        let mut reader = csv::Reader::from_path(run.out.path().join(name)).unwrap();
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{name}: {cell:?}");
            }
        }
    }
}

/// A snapshot whose names break naive Markdown: a group id and a user with pipes, backticks and `<`.
fn awkward_snapshot() -> (tempfile::TempDir, std::path::PathBuf) {
    let text = r#"{"kind":"intune-reach.snapshot","version":1,"complete":true,
"managedDevices":[
 {"id":"d1","deviceName":"<img src=x onerror=alert(1)>","userId":"u1","userPrincipalName":"pipe|tick`<b>@contoso.example",
  "operatingSystem":"iOS","managementAgent":"mdm","managedDeviceOwnerType":"company","lastSyncDateTime":"2026-11-25T00:00:00Z"},
 {"id":"d2","deviceName":"Ann's iPhone","userId":"u2","userPrincipalName":"ann@contoso.example",
  "operatingSystem":"iOS","managementAgent":"mdm","managedDeviceOwnerType":"company","lastSyncDateTime":"2026-11-25T00:00:00Z"}],
"detectedApps":[{"id":"a1","displayName":"Company Portal","version":"5.2411.0","platform":"ios","managedDevices":[{"id":"d2"}]}],
"groups":[{"id":"g|`1`","displayName":"Pilot","members":[{"id":"u1","userPrincipalName":"pipe|tick`<b>@contoso.example"},
 {"id":"u2","userPrincipalName":"ann@contoso.example"}]}]}"#;
    temp_file("awkward.json", text.as_bytes())
}

#[test]
fn markdown_summary_for_a_job_summary_with_names_escaped() {
    let (_dir, snapshot) = awkward_snapshot();
    let run = audit(&["--snapshot", snapshot.to_str().unwrap(), "--group", "g|`1`", "--format", "markdown", "--quiet"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let md = &run.stdout;
    assert!(md.starts_with("## intune-reach: 1 of 2 users can receive a custom notification (50.0%)\n"), "{md}");
    assert!(md.contains("| users | count | share |\n|---|--:|--:|\n| ready | 1 | 50.0% |"), "{md}");
    assert!(md.contains("### What to fix first") && md.contains("| `company-portal` | 1 | 50.0% |"), "{md}");
    assert!(md.contains("### Rules"));
    assert!(md.contains("group(s) g\\|\\`1\\`."), "the group id is escaped: {md}");
    assert!(!md.contains("g|`1`"), "{md}");
    // Every table row has as many cells as its header: no pipe from a value split a row.
    for block in md.split("\n\n").filter(|b| b.starts_with('|')) {
        let cells = |line: &str| line.replace("\\|", "").matches('|').count();
        let lines: Vec<&str> = block.lines().collect();
        assert!(lines.iter().all(|l| cells(l) == cells(lines[0])), "{block}");
    }

    // The changes block lists the user, escaped.
    let previous =
        audit(&["--snapshot", snapshot.to_str().unwrap(), "--group", "g|`1`", "--level", "company-portal=allow"]);
    let prev = previous.out.path().to_str().unwrap();
    let run = audit(&[
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--group",
        "g|`1`",
        "--format",
        "markdown",
        "--previous",
        prev,
    ]);
    assert!(run.stdout.contains("### Changes since the audit of"), "{}", run.stdout);
    assert!(run.stdout.contains("- **regressed** (1): pipe\\|tick\\`\\<b\\>@contoso.example"), "{}", run.stdout);
    assert!(run.stdout.contains("level of company-portal: allow -\\> deny"), "{}", run.stdout);
}

#[test]
fn no_html_skips_report_html_and_removes_an_old_one() {
    let run = audit(&["--snapshot", &small()]);
    assert!(run.exists("report.html"));
    let out = run.out.path();
    let again = bin()
        .args(["audit", "--snapshot", &small(), "--as-of", crate::harness::AS_OF, "--no-html", "--quiet", "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(!out.join("report.html").exists(), "a report.html of another audit is not left beside this one");
    assert!(out.join("summary.json").exists());
}

fn diff(old: &Path, new: &Path, extra: &[&str]) -> std::process::Output {
    bin().arg("diff").arg(old).arg(new).args(extra).output().unwrap()
}

#[test]
fn previous_and_diff_list_the_same_changes() {
    let before = audit(&["--snapshot", &small(), "--level", "recent-check-in=allow", "--level", "portal-version=warn"]);
    let after = audit(&["--snapshot", &small(), "--previous", before.out.path().to_str().unwrap()]);
    assert_eq!(after.code, 0, "{}", after.stderr);
    let changes = after.rows("changes.csv");
    let rows: Vec<[&str; 4]> = changes
        .iter()
        .map(|r| [r["recipient"].as_str(), r["before"].as_str(), r["after"].as_str(), r["change"].as_str()])
        .collect();
    assert_eq!(
        rows,
        vec![
            ["dave@contoso.example", "at-risk", "unreachable", "changed"],
            ["fay@contoso.example", "ready", "at-risk", "regressed"],
        ]
    );
    assert_eq!(after.file("changes.csv").lines().next(), Some("recipient,before,after,change"));
    let summary = after.summary();
    assert_eq!(summary["changes"]["counts"]["regressed"], 1);
    assert_eq!(summary["changes"]["counts"]["changed"], 1);
    let differences: Vec<String> = summary["changes"]["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["what"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(differences, ["level of portal-version", "level of recent-check-in"]);
    assert!(after.stdout.contains("regressed: fay@contoso.example"), "{}", after.stdout);
    assert!(after.stdout.contains("differs: level of recent-check-in: allow -> warn"), "{}", after.stdout);

    // diff prints the same rows, writes the same file, and gates on regressions only when asked.
    let out = tempfile::tempdir().unwrap();
    let output = diff(before.out.path(), after.out.path(), &["--out", out.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(out.path().join("changes.csv")).unwrap(), after.file("changes.csv"));
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(table.contains("fay@contoso.example") && table.contains("regressed"), "{table}");
    assert_eq!(diff(before.out.path(), after.out.path(), &["--fail-on-regression"]).status.code(), Some(1));
    assert_eq!(
        diff(after.out.path(), before.out.path(), &["--fail-on-regression"]).status.code(),
        Some(0),
        "fixed only"
    );
    let gated =
        audit(&["--snapshot", &small(), "--previous", before.out.path().to_str().unwrap(), "--fail-on-regression"]);
    assert_eq!(gated.code, 1, "{}", gated.stderr);
    assert!(gated.stderr.contains("fail-on-regression"), "{}", gated.stderr);

    let output = diff(before.out.path(), after.out.path(), &["--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["counts"]["regressed"], 1);
    assert_eq!(json["users"][1]["recipient"], "fay@contoso.example");
    assert_eq!(json["users"][1]["before"], "ready");
    assert_eq!(json["differences"][0]["before"], "warn");
}

#[test]
fn diff_of_audits_with_another_clock_and_source_says_so() {
    let before = audit(&["--snapshot", &small()]);
    let dir = tempfile::tempdir().unwrap();
    let later = bin()
        .args(["audit", "--demo", "--devices", "300", "--as-of", "2026-12-03T00:00:00Z", "--quiet", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(later.status.success());
    let output = diff(before.out.path(), dir.path(), &[]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("differs: as_of: 2026-11-26T00:00:00Z -> 2026-12-03T00:00:00Z"), "{text}");
    assert!(text.contains("differs: source: snapshot"), "{text}");
    assert!(text.contains("6 gone"), "the small tenant's users left: {text}");
}

/// A copy of an audit folder, changed by `edit`; returns the copy (kept alive by the caller).
fn damaged(run: &Run, edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(run.out.path()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, copy.path().join(path.file_name().unwrap())).unwrap();
    }
    edit(copy.path());
    copy
}

fn assert_refused(old: &Path, good: &Path, needles: &[&str]) {
    for (a, b) in [(old, good), (good, old)] {
        let output = diff(a, b, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        for needle in needles {
            assert!(stderr.contains(needle), "{needle:?} not in {stderr}");
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn folders_that_are_no_whole_audit_exit_2_naming_the_file() {
    let run = audit(&["--snapshot", &small()]);
    let good = run.out.path();
    let cut = |name: &'static str, keep: fn(&str) -> String| {
        move |dir: &Path| {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, keep(&text)).unwrap();
        }
    };

    let missing = damaged(&run, |dir| std::fs::remove_file(dir.join("users.csv")).unwrap());
    assert_refused(missing.path(), good, &["users.csv", "missing"]);
    let missing = damaged(&run, |dir| std::fs::remove_file(dir.join("summary.json")).unwrap());
    assert_refused(missing.path(), good, &["summary.json", "missing"]);
    let missing = damaged(&run, |dir| std::fs::remove_file(dir.join("devices.csv")).unwrap());
    assert_refused(missing.path(), good, &["devices.csv", "missing"]);

    // Cut in the middle of a row, at a line end (a row short), and a summary cut short.
    let mid_row = damaged(&run, cut("users.csv", |t| t[..t.len() - 25].to_owned()));
    assert_refused(mid_row.path(), good, &["users.csv", "truncated"]);
    let short = damaged(
        &run,
        cut("devices.csv", |t| {
            let mut lines: Vec<&str> = t.lines().collect();
            lines.pop();
            lines.join("\n") + "\n"
        }),
    );
    assert_refused(short.path(), good, &["devices.csv", "truncated"]);
    let summary = damaged(&run, cut("summary.json", |t| t[..t.len() / 2].to_owned()));
    assert_refused(summary.path(), good, &["summary.json", "truncated"]);

    // An older version: a summary without blockers, or an older version number.
    let older = damaged(
        &run,
        cut("summary.json", |t| {
            let mut summary: serde_json::Value = serde_json::from_str(t).unwrap();
            summary.as_object_mut().unwrap().remove("blockers");
            summary.to_string()
        }),
    );
    assert_refused(older.path(), good, &["summary.json", "older version"]);
    let older = damaged(&run, cut("summary.json", |t| t.replace("\"version\": \"0.1.0\"", "\"version\": \"0.0.3\"")));
    assert_refused(older.path(), good, &["older version of intune-reach (0.0.3)"]);

    // Not an audit at all.
    let empty = tempfile::tempdir().unwrap();
    assert_refused(empty.path(), good, &["not an intune-reach audit folder"]);
    let (_dir, file) = temp_file("summary.json", b"{\"kind\":\"something else\"}");
    assert_refused(file.parent().unwrap(), good, &["summary.json", "not written by intune-reach"]);
    let output = diff(Path::new("/no/such/audit"), good, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/no/such/audit"));

    // --previous is checked before the inventory is read, with the same messages.
    let refused = audit(&["--snapshot", &small(), "--previous", mid_row.path().to_str().unwrap()]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("users.csv"), "{}", refused.stderr);
    assert!(!refused.exists("summary.json"), "nothing written");
}

#[test]
fn audits_written_with_a_bom_and_semicolons_compare() {
    let before = audit(&["--snapshot", &small(), "--csv-bom", "--delimiter", ";", "--level", "recent-check-in=allow"]);
    let after = audit(&["--snapshot", &small()]);
    let output = diff(before.out.path(), after.out.path(), &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["counts"]["regressed"], 1, "{json}");
}

#[test]
fn previous_may_be_the_out_folder_itself() {
    let first = audit(&["--snapshot", &small(), "--level", "recent-check-in=allow"]);
    let out = first.out.path();
    let output = bin()
        .args(["audit", "--snapshot", &small(), "--as-of", crate::harness::AS_OF, "--quiet", "--out"])
        .arg(out)
        .arg("--previous")
        .arg(out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let changes = std::fs::read_to_string(out.join("changes.csv")).unwrap();
    assert_eq!(changes, "recipient,before,after,change\nfay@contoso.example,ready,at-risk,regressed\n");
}
