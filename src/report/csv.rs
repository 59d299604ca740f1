//! `devices.csv` and `users.csv`, in the column order of CONTRACT.md (documented in reports/README.md).

use std::io::Write;

use chrono::SecondsFormat;

use super::{guard_formula, CsvOptions, Report};
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

pub const USER_COLUMNS: [&str; 9] = [
    "recipient",
    "user_id",
    "display_name",
    "verdict",
    "devices",
    "ready_devices",
    "at_risk_devices",
    "unreachable_devices",
    "reasons",
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

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(";")
}

pub fn write_devices<W: Write>(report: Report<'_>, out: W, options: CsvOptions) -> std::io::Result<()> {
    let mut w = writer(out, options)?;
    let header: Vec<&str> = DEVICE_COLUMNS.iter().copied().chain(RuleId::ALL.iter().map(|r| r.as_str())).collect();
    w.write_record(&header).map_err(io)?;
    for result in &report.audit.devices {
        let d = &report.inventory.devices[result.device];
        let last_sync = d.last_sync.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)).unwrap_or_default();
        let failed = join(result.rules_with(Status::Fail).map(RuleId::as_str));
        let unknown = join(result.rules_with(Status::Unknown).map(RuleId::as_str));
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
            &last_sync,
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
        w.write_record(None::<&[u8]>).map_err(io)?;
    }
    w.flush()
}

pub fn write_users<W: Write>(report: Report<'_>, out: W, options: CsvOptions) -> std::io::Result<()> {
    let mut w = writer(out, options)?;
    w.write_record(USER_COLUMNS).map_err(io)?;
    for u in &report.audit.users {
        let counts = [u.devices, u.ready_devices, u.at_risk_devices, u.unreachable_devices].map(|n| n.to_string());
        let reasons = join(u.reasons.iter().map(|r| r.as_str()));
        let cells: [&str; 9] = [
            &u.recipient,
            u.user_id.as_deref().unwrap_or(""),
            u.display_name.as_deref().unwrap_or(""),
            u.verdict.as_str(),
            &counts[0],
            &counts[1],
            &counts[2],
            &counts[3],
            &reasons,
        ];
        for cell in cells {
            w.write_field(guard_formula(cell).as_bytes()).map_err(io)?;
        }
        w.write_record(None::<&[u8]>).map_err(io)?;
    }
    w.flush()
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
        let report = Report { audit: &audit, inventory: &inventory, settings: &settings };
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
    fn header_order_is_the_contract() {
        let (devices, users) = render(CsvOptions::default());
        assert_eq!(
            devices.lines().next().unwrap(),
            "device_id,device_name,recipient,user_id,platform,android_mode,os_version,ownership,management_agent,\
enrollment_type,last_sync,verdict,failed_rules,unknown_rules,supported-platform,mdm-enrolled,has-recipient,\
company-portal,portal-version,google-play-services,recent-check-in,push-permission"
        );
        assert_eq!(
            users.lines().next().unwrap(),
            "recipient,user_id,display_name,verdict,devices,ready_devices,at_risk_devices,unreachable_devices,reasons"
        );
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
        assert!(
            devices.contains(";\"supported-platform;has-recipient;company-portal;google-play-services\";"),
            "{devices}"
        );
    }
}
