//! `devices.csv` and `users.csv`, in the contract's column order (documented in reports/README.md):
//! the fixed columns, the rule columns of `devices.csv`, then the trailing columns, which come last so
//! that the earlier positions never move.

use std::io::Write;

use chrono::SecondsFormat;

use rayon::prelude::*;

use super::why;
use super::{guard_formula, CsvOptions, Report, Reporter};
use crate::audit::{DeviceResult, UserResult};
use crate::rules::{RuleId, Status};

/// The fixed columns of `devices.csv`; one column per rule id follows.
pub const DEVICE_COLUMNS: [&str; 14] = [
    "device_id",
    "device_name",
    "recipient",
    "user_id",
    "platform",
    "android_mode",
    "os_version",
    "ownership",
    "management_agent",
    "enrollment_type",
    "last_sync",
    "verdict",
    "failed_rules",
    "unknown_rules",
];

/// The trailing columns of `devices.csv`, after the rule columns.
pub const DEVICE_TRAILING_COLUMNS: [&str; 1] = ["details"];

pub const USER_COLUMNS: [&str; 11] = [
    "recipient",
    "user_id",
    "display_name",
    "verdict",
    "devices",
    "ready_devices",
    "at_risk_devices",
    "unreachable_devices",
    "reasons",
    "closest_device",
    "next_step",
];

fn writer<W: Write>(out: W, options: CsvOptions) -> std::io::Result<csv::Writer<W>> {
    let mut out = out;
    if options.bom {
        out.write_all("\u{feff}".as_bytes())?;
    }
    Ok(csv::WriterBuilder::new().delimiter(options.delimiter).from_writer(out))
}

fn io(e: csv::Error) -> std::io::Error {
    std::io::Error::other(e)
}

/// Devices rendered per task: rows are rendered in parallel, a few chunks at a time, and written in order.
const ROWS_PER_CHUNK: usize = 16 * 1024;

/// `devices.csv`.
pub struct DevicesCsv(pub CsvOptions);

impl Reporter for DevicesCsv {
    fn name(&self) -> &'static str {
        "devices.csv"
    }

    fn render(&self, report: Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
        write_devices(report, out, self.0)
    }
}

/// `users.csv`.
pub struct UsersCsv(pub CsvOptions);

impl Reporter for UsersCsv {
    fn name(&self) -> &'static str {
        "users.csv"
    }

    fn render(&self, report: Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
        write_users(report, out, self.0)
    }
}

pub fn write_devices<W: Write>(report: Report<'_>, out: W, options: CsvOptions) -> std::io::Result<()> {
    let header: Vec<&str> = DEVICE_COLUMNS
        .iter()
        .copied()
        .chain(RuleId::ALL.iter().map(|r| r.as_str()))
        .chain(DEVICE_TRAILING_COLUMNS)
        .collect();
    write_parallel(out, options, &header, &report.audit.devices, |rows| render_devices(report, rows, options))
}

pub fn write_users<W: Write>(report: Report<'_>, out: W, options: CsvOptions) -> std::io::Result<()> {
    write_parallel(out, options, &USER_COLUMNS, &report.audit.users, |rows| render_users(report, rows, options))
}

/// Writes the header, then the rows rendered in parallel a few chunks at a time, in order.
fn write_parallel<W: Write, T: Sync>(
    out: W,
    options: CsvOptions,
    header: &[&str],
    rows: &[T],
    render: impl Fn(&[T]) -> std::io::Result<Vec<u8>> + Sync,
) -> std::io::Result<()> {
    let mut w = writer(out, options)?;
    w.write_record(header).map_err(io)?;
    w.flush()?;
    let mut out = w.into_inner().map_err(|e| e.into_error())?;
    let batch = ROWS_PER_CHUNK * rayon::current_num_threads().max(1) * 2;
    for rows in rows.chunks(batch) {
        let rendered: Vec<std::io::Result<Vec<u8>>> = rows.par_chunks(ROWS_PER_CHUNK).map(&render).collect();
        for part in rendered {
            out.write_all(&part?)?;
        }
    }
    out.flush()
}

/// A CSV writer into memory, for rows without a header.
fn row_writer(options: CsvOptions, rows: usize) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .delimiter(options.delimiter)
        .has_headers(false)
        .from_writer(Vec::with_capacity(rows * 160))
}

/// Renders device rows (no header) into a buffer.
fn render_devices(report: Report<'_>, rows: &[DeviceResult], options: CsvOptions) -> std::io::Result<Vec<u8>> {
    let mut w = row_writer(options, rows.len());
    let (mut failed, mut unknown, mut details) = (String::new(), String::new(), String::new());
    let mut time = [0u8; 20];
    for result in rows {
        let d = &report.inventory.devices[result.device];
        let last_sync = d.last_sync.map(|t| rfc3339_utc(&t, &mut time)).unwrap_or("");
        list_into(&mut failed, result.rules_with(Status::Fail));
        list_into(&mut unknown, result.rules_with(Status::Unknown));
        let fixed: [&str; 14] = [
            &d.id,
            &d.name,
            d.recipient.as_deref().unwrap_or(""),
            d.user_id.as_deref().unwrap_or(""),
            d.platform.as_str(),
            d.android_mode.map(|m| m.as_str()).unwrap_or(""),
            &d.os_version,
            &d.ownership,
            d.management_agent.as_deref().unwrap_or(""),
            d.enrollment_type.as_deref().unwrap_or(""),
            last_sync,
            result.verdict.as_str(),
            &failed,
            &unknown,
        ];
        for cell in fixed {
            w.write_field(guard_formula(cell).as_bytes()).map_err(io)?;
        }
        for status in result.statuses {
            w.write_field(status.as_str()).map_err(io)?;
        }
        why::details_into(&mut details, result);
        w.write_field(guard_formula(&details).as_bytes()).map_err(io)?;
        w.write_record(None::<&[u8]>).map_err(io)?;
    }
    w.into_inner().map_err(|e| e.into_error())
}

/// Writes rule ids `;`-separated into `out`, replacing what it held.
fn list_into(out: &mut String, rules: impl Iterator<Item = RuleId>) {
    out.clear();
    for rule in rules {
        if !out.is_empty() {
            out.push(';');
        }
        out.push_str(rule.as_str());
    }
}

/// `2026-11-26T10:00:00Z`, written into `buf` (chrono's formatter is slow for a million rows).
pub fn rfc3339_utc<'b>(time: &chrono::DateTime<chrono::Utc>, buf: &'b mut [u8; 20]) -> &'b str {
    use chrono::{Datelike, Timelike};
    let year = time.year();
    if !(0..=9999).contains(&year) {
        // Outside what four digits hold: let chrono write it (it never fails for UTC).
        let text = time.to_rfc3339_opts(SecondsFormat::Secs, true);
        let n = text.len().min(buf.len());
        buf[..n].copy_from_slice(&text.as_bytes()[..n]);
        return std::str::from_utf8(&buf[..n]).unwrap_or("");
    }
    let mut put = |at: usize, value: u32, width: usize| {
        let mut v = value;
        for i in (0..width).rev() {
            buf[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, year as u32, 4);
    put(5, time.month(), 2);
    put(8, time.day(), 2);
    put(11, time.hour(), 2);
    put(14, time.minute(), 2);
    put(17, time.second(), 2);
    for (at, sep) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'Z')] {
        buf[at] = sep;
    }
    std::str::from_utf8(&buf[..]).unwrap_or("")
}

/// Renders user rows (no header) into a buffer.
fn render_users(report: Report<'_>, rows: &[UserResult], options: CsvOptions) -> std::io::Result<Vec<u8>> {
    let mut w = row_writer(options, rows.len());
    let (mut reasons, mut next_step) = (String::new(), String::new());
    for u in rows {
        let counts = [u.devices, u.ready_devices, u.at_risk_devices, u.unreachable_devices].map(|n| n.to_string());
        reasons.clear();
        for (i, reason) in u.reasons.iter().enumerate() {
            if i > 0 {
                reasons.push(';');
            }
            reasons.push_str(reason.as_str());
        }
        why::next_step_into(&mut next_step, report, u);
        let cells: [&str; 11] = [
            &u.recipient,
            u.user_id.as_deref().unwrap_or(""),
            u.display_name.as_deref().unwrap_or(""),
            u.verdict.as_str(),
            &counts[0],
            &counts[1],
            &counts[2],
            &counts[3],
            &reasons,
            why::closest_device_name(report, u),
            &next_step,
        ];
        for cell in cells {
            w.write_field(guard_formula(cell).as_bytes()).map_err(io)?;
        }
        w.write_record(None::<&[u8]>).map_err(io)?;
    }
    w.into_inner().map_err(|e| e.into_error())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit;
    use crate::inventory::{AndroidMode, Inventory};
    use crate::rules::test_support::{android, app, as_of, ios, settings};

    fn inventory() -> Inventory {
        let devices = vec![
            crate::inventory::Device {
                id: "d-ios".into(),
                name: "=HYPERLINK(\"x\")".into(),
                recipient: Some("ann@contoso.example".into()),
                user_id: Some("u-1".into()),
                user_display_name: Some("Doe, Ann".into()),
                os_version: "17.5".into(),
                ownership: "company".into(),
                management_agent: Some("mdm".into()),
                management_state: Some("managed".into()),
                enrollment_type: Some("appleBulkWithUser".into()),
                last_sync: Some(as_of() - chrono::Duration::hours(5)),
                inventory_complete: true,
                apps: vec![app("Company Portal", Some("5.2401.0"))],
                ..ios()
            },
            crate::inventory::Device {
                id: "d-kiosk".into(),
                name: "Lobby kiosk".into(),
                ownership: "company".into(),
                management_agent: Some("mdm".into()),
                inventory_complete: true,
                ..android(AndroidMode::Dedicated)
            },
        ];
        Inventory { devices, ..Default::default() }
    }

    fn render(options: CsvOptions) -> (String, String) {
        let inventory = inventory();
        let settings = settings();
        let audit = audit::run(&inventory, &settings, &[]).unwrap();
        let report = Report::new(&audit, &inventory, &settings);
        let (mut devices, mut users) = (Vec::new(), Vec::new());
        write_devices(report, &mut devices, options).unwrap();
        write_users(report, &mut users, options).unwrap();
        (String::from_utf8(devices).unwrap(), String::from_utf8(users).unwrap())
    }

    #[test]
    fn device_and_user_reports() {
        let (devices, users) = render(CsvOptions::default());
        insta::assert_snapshot!("devices_csv", devices);
        insta::assert_snapshot!("users_csv", users);
    }

    #[test]
    fn timestamps_match_chrono() {
        let mut buf = [0u8; 20];
        for text in ["2026-11-26T10:05:09Z", "0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z"] {
            let t = chrono::DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&chrono::Utc);
            assert_eq!(rfc3339_utc(&t, &mut buf), text);
        }
        let t =
            chrono::DateTime::parse_from_rfc3339("2026-11-26T10:05:09.999+02:00").unwrap().with_timezone(&chrono::Utc);
        assert_eq!(rfc3339_utc(&t, &mut buf), t.to_rfc3339_opts(SecondsFormat::Secs, true));
    }

    #[test]
    fn rows_rendered_in_chunks_equal_rows_rendered_at_once() {
        let inventory = Inventory {
            devices: (0..(ROWS_PER_CHUNK * 2 + 17))
                .map(|i| crate::inventory::Device {
                    id: format!("d{i:06}"),
                    recipient: Some(format!("u{}", i % 7).into()),
                    ..ios()
                })
                .collect(),
            ..Default::default()
        };
        let settings = settings();
        let audit = audit::run(&inventory, &settings, &[]).unwrap();
        let report = Report::new(&audit, &inventory, &settings);
        let mut chunked = Vec::new();
        write_devices(report, &mut chunked, CsvOptions::default()).unwrap();
        let whole = render_devices(report, &audit.devices, CsvOptions::default()).unwrap();
        let text = String::from_utf8(chunked).unwrap();
        let (header, rows) = text.split_once('\n').unwrap();
        assert!(header.starts_with("device_id,"));
        assert_eq!(rows.as_bytes(), &whole[..]);
        assert_eq!(rows.lines().count(), inventory.devices.len());
    }

    #[test]
    fn header_order_is_the_contract() {
        let (devices, users) = render(CsvOptions::default());
        assert_eq!(
            devices.lines().next().unwrap(),
            "device_id,device_name,recipient,user_id,platform,android_mode,os_version,ownership,management_agent,\
enrollment_type,last_sync,verdict,failed_rules,unknown_rules,supported-platform,mdm-enrolled,has-recipient,\
company-portal,portal-version,google-play-services,recent-check-in,push-permission,apple-mdm-push,\
managed-google-play,details"
        );
        assert_eq!(
            users.lines().next().unwrap(),
            "recipient,user_id,display_name,verdict,devices,ready_devices,at_risk_devices,unreachable_devices,reasons,\
closest_device,next_step"
        );
    }

    #[test]
    fn trailing_columns_say_why_and_what_to_do() {
        let mut inventory = inventory();
        // A healthy push certificate, so that the ready iPhone has nothing to explain.
        inventory.tenant.apple_push =
            crate::inventory::tenant::TenantCheck::Read(crate::inventory::tenant::ApplePushCertificate {
                expires: Some(as_of() + chrono::Duration::days(200)),
                ..Default::default()
            });
        // A second device of Ann's, stale and without Company Portal: further from ready than her first.
        inventory.devices.push(crate::inventory::Device {
            id: "d-old".into(),
            name: "-old phone".into(),
            apps: vec![],
            last_sync: Some(as_of() - chrono::Duration::days(45)),
            ..inventory.devices[0].clone()
        });
        // Bob: one device with Company Portal missing from a partial inventory (unknown).
        inventory.devices.push(crate::inventory::Device {
            id: "d-bob".into(),
            name: "Bob's iPhone".into(),
            recipient: Some("bob@contoso.example".into()),
            ownership: "personal".into(),
            inventory_complete: false,
            apps: vec![],
            ..inventory.devices[0].clone()
        });
        let settings = settings();
        let audit = audit::run(&inventory, &settings, &[]).unwrap();
        let report = Report::new(&audit, &inventory, &settings);
        let (mut devices, mut users) = (Vec::new(), Vec::new());
        write_devices(report, &mut devices, CsvOptions::default()).unwrap();
        write_users(report, &mut users, CsvOptions::default()).unwrap();
        let rows = |bytes: &[u8]| -> Vec<csv::StringRecord> {
            csv::Reader::from_reader(bytes).records().map(|r| r.unwrap()).collect()
        };
        let details = |id: &str| {
            let row = rows(&devices).into_iter().find(|r| &r[0] == id).unwrap();
            row[row.len() - 1].to_owned()
        };
        assert_eq!(details("d-ios"), "", "a ready device has no details (push-permission is left out)");
        let old = details("d-old");
        let parts: Vec<&str> = old.split(';').collect();
        assert_eq!(parts.len(), 2, "{old}");
        assert!(parts[0].starts_with("company-portal: Company Portal is not installed"), "{old}");
        assert!(parts[1].starts_with("recent-check-in: ") && parts[1].contains("45 days"), "{old}");
        let bob = details("d-bob");
        assert!(
            bob.starts_with("company-portal: ") && !bob.contains(';'),
            "a `;` in a sentence is no separator: {bob}"
        );

        let users = rows(&users);
        let ann = users.iter().find(|r| &r[0] == "ann@contoso.example").unwrap();
        assert_eq!((&ann[9], &ann[10]), ("'=HYPERLINK(\"x\")", ""), "ready: the ready device, no step");
        let bob = users.iter().find(|r| &r[0] == "bob@contoso.example").unwrap();
        assert_eq!(&bob[9], "Bob's iPhone");
        assert_eq!(&bob[10], RuleId::CompanyPortal.rule().fix);
    }

    #[test]
    fn cells_are_guarded_lists_use_semicolons_and_options_apply() {
        let (devices, _) = render(CsvOptions::default());
        assert!(devices.contains(",\"'=HYPERLINK(\"\"x\"\")\","), "{devices}");
        assert!(devices.contains("supported-platform;has-recipient"), "{devices}");
        let (devices, users) = render(CsvOptions { delimiter: b';', bom: true });
        assert!(devices.starts_with('\u{feff}'));
        assert!(users.starts_with("\u{feff}recipient;user_id;"));
        // A `;` list inside a `;`-separated file is quoted.
        assert!(devices.contains(";\"supported-platform;has-recipient;company-portal\";"), "{devices}");
    }
}
