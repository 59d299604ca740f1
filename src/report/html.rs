//! `report.html`: the audit for people, in one self-contained file that opens offline (from a file
//! share or a mail attachment): the answer in one sentence, charts drawn as inline SVG, what to fix
//! first, the rules, the tenant checks, the changes since `--previous`, and a filterable, sortable table
//! of the users who are not ready, capped at [`TABLE_CAP`] rows so that the largest tenants' reports
//! stay a few megabytes.
//!
//! The page is an askama template (`templates/report.html`, with its style and script beside it):
//! askama escapes every value for HTML, so a device named `<img src=x onerror=alert(1)>` is text. The
//! script only reads the page and the address's fragment (`#filter=...&verdict=...&reason=...`); it
//! never turns text into markup. No value is marked safe except the template's own style and script.

use std::io::Write;

use askama::Template;
use rayon::prelude::*;

use super::{changes as render_changes, json, table, why, Report, Reporter};
use crate::audit::{percent, UserResult, Verdict};
use crate::changes::{Change, Changes};
use crate::inventory::{AndroidMode, Platform};
use crate::rules::{self, RuleId, Status};

/// The most users the table of users who are not ready lists (the first ones by recipient);
/// `users.csv` lists them all. About 600 bytes a row: a report stays under 10 MB.
pub const TABLE_CAP: usize = 10_000;

const STYLE: &str = include_str!("../../templates/report.css");
const SCRIPT: &str = include_str!("../../templates/report.js");

/// The page's content security policy: nothing is loaded from anywhere, and only the page's own style
/// and script (by their hashes) run, so even markup that got into the page could do nothing.
fn policy() -> String {
    use base64::Engine as _;
    let hash = |text: &str| {
        let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
        format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest.as_ref()))
    };
    format!("default-src 'none'; style-src {}; script-src {}", hash(STYLE), hash(SCRIPT))
}

/// `report.html`.
pub struct HtmlReport;

impl Reporter for HtmlReport {
    fn name(&self) -> &'static str {
        "report.html"
    }

    fn render(&self, report: Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
        let page = page(report);
        page.write_into(out)
    }
}

/// A number with thousands separators: `1,234,567`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn share(part: usize, whole: usize) -> String {
    format!("{:.1}%", percent(part, whole))
}

/// One verdict's count, for the headline cards and the legends.
struct VerdictCount {
    verdict: &'static str,
    count: String,
    share: String,
}

/// One segment of a stacked bar, in the units of its chart's width.
struct Segment {
    verdict: &'static str,
    x: f64,
    width: f64,
    title: String,
}

/// Stacked segments for `counts` (in [`Verdict::ALL`] order), `length` units long in all.
fn segments(counts: [usize; 3], length: f64, noun: &str) -> Vec<Segment> {
    let total: usize = counts.iter().sum();
    let mut x = 0.0;
    Verdict::ALL
        .into_iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(verdict, n)| {
            let width = length * n as f64 / total.max(1) as f64;
            let segment = Segment {
                verdict: verdict.as_str(),
                x,
                width,
                title: format!("{} {noun} {}: {}", grouped(n), verdict.as_str(), share(n, total)),
            };
            x += width;
            segment
        })
        .collect()
}

struct VerdictChart {
    counts: Vec<VerdictCount>,
    total: String,
    segments: Vec<Segment>,
}

fn verdict_chart(counts: [usize; 3], noun: &str) -> VerdictChart {
    let total: usize = counts.iter().sum();
    VerdictChart {
        counts: Verdict::ALL
            .into_iter()
            .zip(counts)
            .map(|(v, n)| VerdictCount { verdict: v.as_str(), count: grouped(n), share: share(n, total) })
            .collect(),
        total: grouped(total),
        segments: segments(counts, 100.0, noun),
    }
}

/// One platform (and Android mode) of the devices-by-platform chart.
struct PlatformRow {
    name: &'static str,
    total: String,
    y: usize,
    segments: Vec<Segment>,
    /// Where the total is written, after the bar.
    end: f64,
}

/// The platform groups of the chart, in display order.
const PLATFORM_GROUPS: [&str; 10] = [
    "iOS/iPadOS",
    "Android personal work profile",
    "Android corporate work profile",
    "Android fully managed",
    "Android dedicated",
    "Android device administrator",
    "Android (AOSP)",
    "Android, mode unknown",
    "Other platforms",
    "Unknown platform",
];

fn platform_group(platform: Platform, mode: Option<AndroidMode>) -> usize {
    match (platform, mode) {
        (Platform::Ios, _) => 0,
        (Platform::Android, Some(AndroidMode::PersonalWorkProfile)) => 1,
        (Platform::Android, Some(AndroidMode::CorporateWorkProfile)) => 2,
        (Platform::Android, Some(AndroidMode::FullyManaged)) => 3,
        (Platform::Android, Some(AndroidMode::Dedicated)) => 4,
        (Platform::Android, Some(AndroidMode::DeviceAdministrator)) => 5,
        (Platform::Android, Some(AndroidMode::Aosp)) => 6,
        (Platform::Android, Some(AndroidMode::Unknown) | None) => 7,
        (Platform::Other, _) => 8,
        (Platform::Unknown, _) => 9,
    }
}

/// The widths of the platform chart's labels and of its longest bar, in the chart's units.
const PLATFORM_LABELS: f64 = 240.0;
const PLATFORM_BAR: f64 = 400.0;
const PLATFORM_ROW_HEIGHT: usize = 26;

/// Devices by platform group and verdict (in parallel: a read of every device of the inventory).
fn platform_rows(report: Report<'_>) -> Vec<PlatformRow> {
    let counts = report
        .audit
        .devices
        .par_iter()
        .fold(
            || [[0usize; 3]; PLATFORM_GROUPS.len()],
            |mut counts, result| {
                let device = &report.inventory.devices[result.device];
                counts[platform_group(device.platform, device.android_mode)][result.verdict as usize] += 1;
                counts
            },
        )
        .reduce(
            || [[0usize; 3]; PLATFORM_GROUPS.len()],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    for (p, q) in x.iter_mut().zip(y) {
                        *p += q;
                    }
                }
                a
            },
        );
    let largest = counts.iter().map(|c| c.iter().sum::<usize>()).max().unwrap_or(0).max(1);
    PLATFORM_GROUPS
        .iter()
        .zip(counts)
        .filter(|(_, c)| c.iter().sum::<usize>() > 0)
        .enumerate()
        .map(|(row, (name, c))| {
            let total: usize = c.iter().sum();
            let length = PLATFORM_BAR * total as f64 / largest as f64;
            PlatformRow {
                name,
                total: grouped(total),
                y: row * PLATFORM_ROW_HEIGHT,
                segments: segments(c, length, "devices"),
                end: PLATFORM_LABELS + length + 8.0,
            }
        })
        .collect()
}

struct BlockerRow {
    rule: RuleId,
    users: String,
    share: String,
    /// Bar length relative to the largest blocker, 0 to 100.
    bar: f64,
    fix: &'static str,
}

struct RuleRow {
    id: RuleId,
    level: &'static str,
    counts: [String; 4],
    checks: &'static str,
    fail_means: &'static str,
    fix: &'static str,
}

/// A tenant check or count check from the summary, flattened to label and value.
struct Fact {
    label: String,
    value: String,
}

/// `count_check` and `tenant` from the summary, whatever they hold, as label/value rows.
fn tenant_facts(summary: &serde_json::Value) -> Vec<Fact> {
    fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<Fact>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    let label = if prefix.is_empty() { key.clone() } else { format!("{prefix} · {key}") };
                    flatten(&label, value, out);
                }
            }
            serde_json::Value::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
                for (i, item) in items.iter().enumerate() {
                    flatten(&format!("{prefix} · {}", i + 1), item, out);
                }
            }
            serde_json::Value::String(text) => out.push(Fact { label: prefix.to_owned(), value: text.clone() }),
            serde_json::Value::Null => out.push(Fact { label: prefix.to_owned(), value: "not read".to_owned() }),
            other => out.push(Fact { label: prefix.to_owned(), value: other.to_string() }),
        }
    }
    let mut facts = Vec::new();
    for key in ["tenant", "count_check"] {
        if let Some(value) = summary.get(key) {
            flatten(key, value, &mut facts);
        }
    }
    facts
}

struct ChangeGroup {
    name: &'static str,
    count: String,
    users: Vec<String>,
    more: usize,
}

struct ChangesView {
    folder: String,
    as_of: String,
    counts_line: String,
    differences: Vec<String>,
    groups: Vec<ChangeGroup>,
}

fn changes_view(changes: &Changes) -> ChangesView {
    ChangesView {
        folder: changes.before.folder.clone(),
        as_of: changes.before.as_of.clone(),
        counts_line: render_changes::counts_line(changes),
        differences: changes.differences.iter().map(render_changes::difference_line).collect(),
        groups: Change::ALL
            .into_iter()
            .map(|change| {
                let (users, more) = render_changes::shown(changes, change, render_changes::USERS_SHOWN_PER_CHANGE);
                ChangeGroup {
                    name: change.as_str(),
                    count: grouped(changes.count(change)),
                    users: users.iter().map(|u| u.recipient.clone()).collect(),
                    more,
                }
            })
            .collect(),
    }
}

struct UserRow<'a> {
    recipient: &'a str,
    display_name: &'a str,
    verdict: &'static str,
    devices: usize,
    reasons: String,
    closest_device: &'a str,
    why: String,
    next_step: String,
}

fn user_row<'a>(report: Report<'a>, user: &'a UserResult) -> UserRow<'a> {
    let reasons: Vec<&str> = user.reasons.iter().map(|r| r.as_str()).collect();
    UserRow {
        recipient: &user.recipient,
        display_name: user.display_name.as_deref().unwrap_or(""),
        verdict: user.verdict.as_str(),
        devices: user.devices,
        reasons: reasons.join(" "),
        closest_device: why::closest_device_name(report, user),
        why: why::closest_device(report, user).map(why::details).unwrap_or_default(),
        next_step: why::next_step(report, user),
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    policy: String,
    style: &'static str,
    script: &'static str,
    version: &'static str,
    answer: String,
    ready_users: String,
    total_users: String,
    ready_share: String,
    as_of: String,
    source: &'a str,
    complete: bool,
    gaps: &'a [String],
    groups: &'a [String],
    users: VerdictChart,
    devices: VerdictChart,
    platforms: Vec<PlatformRow>,
    platforms_height: usize,
    blockers: Vec<BlockerRow>,
    rules: Vec<RuleRow>,
    tenant: Vec<Fact>,
    changes: Option<ChangesView>,
    rows: Vec<UserRow<'a>>,
    not_ready: String,
    capped: bool,
    cap: String,
    reason_options: Vec<&'static str>,
    notes: Vec<String>,
    warnings: &'a [String],
}

fn page(report: Report<'_>) -> Page<'_> {
    let Report { audit, inventory, settings, changes } = report;
    let summary = serde_json::to_value(json::summary(report)).unwrap_or_default();
    let user_counts = Verdict::ALL.map(|v| audit.users_with(v));
    let device_counts = Verdict::ALL.map(|v| audit.devices_with(v));
    let largest_blocker = audit.blockers.first().map(|b| b.users).unwrap_or(0).max(1);
    let not_ready: Vec<&UserResult> = audit.users.iter().filter(|u| u.verdict != Verdict::Ready).collect();
    let rows: Vec<UserRow<'_>> = not_ready.par_iter().take(TABLE_CAP).map(|user| user_row(report, user)).collect();
    let platforms = platform_rows(report);
    let mut notes: Vec<String> = rules::caveats().map(|(rule, caveat)| format!("{rule}: {caveat}")).collect();
    notes.push(crate::inventory::apps::APP_INVENTORY_CAVEAT.to_owned());
    Page {
        policy: policy(),
        style: STYLE,
        script: SCRIPT,
        version: env!("CARGO_PKG_VERSION"),
        answer: table::answer(audit),
        ready_users: grouped(user_counts[0]),
        total_users: grouped(audit.users.len()),
        ready_share: share(user_counts[0], audit.users.len()),
        as_of: settings.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        source: &inventory.source.description,
        complete: inventory.source.complete,
        gaps: &inventory.source.gaps,
        groups: &audit.groups,
        users: verdict_chart(user_counts, "users"),
        devices: verdict_chart(device_counts, "devices"),
        platforms_height: platforms.len().max(1) * PLATFORM_ROW_HEIGHT,
        platforms,
        blockers: audit
            .blockers
            .iter()
            .filter(|b| b.users > 0)
            .map(|b| BlockerRow {
                rule: b.rule,
                users: grouped(b.users),
                share: share(b.users, audit.users.len()),
                bar: 100.0 * b.users as f64 / largest_blocker as f64,
                fix: b.rule.rule().fix,
            })
            .collect(),
        rules: rules::REGISTRY
            .iter()
            .map(|rule| RuleRow {
                id: rule.id,
                level: settings.level(rule.id).as_str(),
                counts: Status::ALL.map(|s| grouped(audit.rule_counts[rule.id.index()][s as usize])),
                checks: rule.checks,
                fail_means: rule.fail_means,
                fix: rule.fix,
            })
            .collect(),
        tenant: tenant_facts(&summary),
        changes: changes.map(changes_view),
        not_ready: grouped(not_ready.len()),
        capped: not_ready.len() > TABLE_CAP,
        cap: grouped(TABLE_CAP),
        rows,
        reason_options: RuleId::ALL.iter().map(|r| r.as_str()).chain(["no-managed-device"]).collect(),
        notes,
        warnings: &inventory.source.warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit;
    use crate::inventory::{Device, Inventory};
    use crate::rules::test_support::{app, as_of, ios, settings};

    fn render(inventory: &Inventory) -> String {
        let settings = settings();
        let audit = audit::run(inventory, &settings, &[]).unwrap();
        let mut out = Vec::new();
        HtmlReport.render(Report::new(&audit, inventory, &settings), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn device(id: &str, name: &str, recipient: &str, portal: bool) -> Device {
        Device {
            id: id.into(),
            name: name.into(),
            recipient: Some(recipient.into()),
            management_agent: Some("mdm".into()),
            ownership: "company".into(),
            inventory_complete: true,
            last_sync: Some(as_of()),
            apps: if portal { vec![app("Company Portal", Some("5.2411.0"))] } else { vec![] },
            ..ios()
        }
    }

    #[test]
    fn tenant_values_are_escaped_and_the_page_is_self_contained() {
        let inventory = Inventory {
            devices: vec![
                device("d1", "<img src=x onerror=alert(1)>", "eve@x\"><script>alert(2)</script>", false),
                device("d2", "ok", "ann@x", true),
            ],
            ..Default::default()
        };
        let html = render(&inventory);
        assert!(html.contains("&#60;img src=x onerror=alert(1)&#62;") || html.contains("&lt;img src=x"), "{html}");
        assert!(!html.contains("<img src=x"), "the device name is text");
        assert!(!html.contains("<script>alert(2)"), "the recipient is text");
        for outside in ["http://", "https://", "src=\"//"] {
            let found: Vec<&str> =
                html.match_indices(outside).map(|(i, _)| &html[i..(i + 60).min(html.len())]).collect();
            assert!(found.iter().all(|f| f.starts_with("http://www.w3.org/2000/svg")), "no network: {found:?}");
        }
        assert!(html.contains("1 of 2 users"), "the answer");
    }

    #[test]
    fn the_table_is_capped_and_says_so() {
        let devices: Vec<Device> =
            (0..TABLE_CAP + 3).map(|i| device(&format!("d{i}"), "phone", &format!("u{i:06}@x"), false)).collect();
        let html = render(&Inventory { devices, ..Default::default() });
        assert_eq!(html.matches("<tr data-verdict=").count(), TABLE_CAP);
        assert!(
            html.contains(&format!("the first {} of {}", grouped(TABLE_CAP), grouped(TABLE_CAP + 3))),
            "cap stated"
        );
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1234567), "1,234,567");
    }
}
