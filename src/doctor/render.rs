//! The doctor's terminal output: headed sections of Markdown tables, readable on a terminal and pasted
//! as is into an issue. (`--format json` serialises the [`Diagnosis`] instead.)

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};

use super::{DeviceStats, Diagnosis, Part, VALUE_FIELDS};
use crate::inventory::CountCheck;

fn table(header: &[&str], right_aligned_from: usize) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::ASCII_MARKDOWN).set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(header.to_vec());
    for column in right_aligned_from..header.len() {
        if let Some(column) = table.column_mut(column) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

/// A section: its heading, then its body (or why it could not be read).
fn section<T>(out: &mut String, heading: &str, part: &Part<T>, body: impl FnOnce(&mut String, &T)) {
    out.push_str(&format!("\n## {heading}\n\n"));
    match part {
        Part::Read(value) => body(out, value),
        Part::Failed(why) => out.push_str(&format!("Not read: {why}\n")),
    }
}

/// The diagnosis as text.
pub fn text(diagnosis: &Diagnosis) -> String {
    let mut out = format!(
        "# intune-reach doctor {}\n\nWhat this tenant returns, in counts only (no names, users or ids): safe to paste \
         in an issue.\n",
        diagnosis.version
    );
    section(&mut out, "Device $select", &diagnosis.select, |out, check| {
        if check.rejected.is_empty() {
            out.push_str(&format!("Graph accepted all {} fields: {}.\n", check.fields.len(), check.fields.join(", ")));
        } else {
            let mut t = table(&["field", "Graph's answer"], 2);
            for (field, message) in &check.rejected {
                t.add_row(vec![field.clone(), message.clone()]);
            }
            out.push_str(&format!("Graph refused {} of {} fields:\n\n{t}\n", check.rejected.len(), check.fields.len()));
        }
    });
    section(&mut out, "Devices listed vs managedDeviceOverview", &diagnosis.count_check, count_check);
    section(&mut out, "Device fields", &diagnosis.devices, device_values);
    section(&mut out, "Devices", &diagnosis.devices, device_presence);
    section(&mut out, "Detected apps", &diagnosis.apps, |out, apps| {
        out.push_str(&format!("{} detected apps (name + version + platform).\n\n", apps.detected_apps));
        let mut t = table(&["app", "detected name", "devices"], 2);
        for (app, names) in &apps.matched {
            for (name, devices) in names {
                t.add_row(vec![(*app).to_owned(), name.clone(), devices.to_string()]);
            }
        }
        for (name, devices) in &apps.near_misses {
            t.add_row(vec!["near miss (no configured name)".to_owned(), name.clone(), devices.to_string()]);
        }
        if apps.matched.is_empty() && apps.near_misses.is_empty() {
            out.push_str("No detected app matched a receiving app, and there is no near miss.\n");
        } else {
            out.push_str(&format!("{t}\n"));
        }
    });
    out.push_str("\n## Tenant checks\n\n");
    let mut t = table(&["check", "answer", "detail"], 3);
    for answer in &diagnosis.tenant_checks {
        t.add_row(vec![answer.check.to_owned(), answer.answer.to_owned(), answer.detail.clone()]);
    }
    out.push_str(&format!("{t}\n"));
    section(&mut out, "Permissions", &diagnosis.permissions, |out, permissions| {
        if !permissions.readable {
            out.push_str("The token is not a readable JWT: its permissions are unknown.\n\n");
        }
        let mut t = table(&["permission", "needed for", "in the token"], 3);
        for needed in &permissions.needed {
            let in_token = match needed.in_token {
                Some(true) => "yes",
                Some(false) => "no",
                None => "unknown",
            };
            t.add_row(vec![needed.permission.to_owned(), needed.needed_for.to_owned(), in_token.to_owned()]);
        }
        out.push_str(&format!("{t}\n"));
        if permissions.readable {
            let all: Vec<&str> = permissions.roles.iter().chain(&permissions.scopes).map(String::as_str).collect();
            let names = if all.is_empty() { "nothing".to_owned() } else { all.join(", ") };
            out.push_str(&format!("\nThe token names: {names}.\n"));
        }
    });
    out.push_str(&format!("\n{} requests.\n", diagnosis.requests));
    out
}

fn count_check(out: &mut String, check: &CountCheck) {
    let mut t = table(&["platform", "listed", "counted"], 1);
    t.add_row(vec!["total".to_owned(), check.devices_read.to_string(), check.graph_count.to_string()]);
    for (platform, count) in &check.per_platform {
        let counted = count.graph.map_or_else(|| "-".to_owned(), |n| n.to_string());
        t.add_row(vec![platform.clone(), count.read.to_string(), counted]);
    }
    out.push_str(&format!("{t}\n"));
    if !check.matches {
        out.push_str("\nThe numbers differ: Graph's counter is not exact (it can count replaced devices).\n");
    }
}

fn device_values(out: &mut String, stats: &DeviceStats) {
    let mut t = table(&["field", "value", "devices"], 2);
    for field in VALUE_FIELDS {
        let Some(values) = stats.values.get(field) else { continue };
        let mut ranked: Vec<(&String, &u64)> = values.iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        for (value, devices) in ranked {
            t.add_row(vec![(*field).to_owned(), value.clone(), devices.to_string()]);
        }
    }
    out.push_str(&format!("{t}\n"));
}

fn device_presence(out: &mut String, stats: &DeviceStats) {
    let mut t = table(&[&format!("of {} devices listed", stats.listed), "devices"], 1);
    t.add_row(vec!["without a user (no UPN, no user id)".to_owned(), stats.without_user.to_string()]);
    t.add_row(vec!["with an enrolledDateTime".to_owned(), stats.with_enrolled_date_time.to_string()]);
    t.add_row(vec!["with a filled hardwareInformation".to_owned(), stats.with_hardware_information.to_string()]);
    out.push_str(&format!("{t}\n"));
}
