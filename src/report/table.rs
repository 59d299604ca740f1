//! The terminal summary: users and devices by verdict with percentages, one row per rule, the tenant
//! checks and the app names that nearly matched the catalogue.

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};

use std::io::Write;

use super::{Report, Reporter};
use crate::audit::{percent, Verdict};
use crate::rules::{self, RuleId, Status};

fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(header.to_vec());
    for column in 1..header.len() {
        if let Some(column) = table.column_mut(column) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

fn verdict_table(noun: &str, total: usize, count: impl Fn(Verdict) -> usize) -> Table {
    let mut t = table(&[noun, "count", "share"]);
    for verdict in Verdict::ALL {
        let n = count(verdict);
        t.add_row(vec![verdict.as_str().to_owned(), n.to_string(), format!("{:.1}%", percent(n, total))]);
    }
    t.add_row(vec!["total".to_owned(), total.to_string(), String::new()]);
    t
}

/// The terminal summary.
pub struct TerminalTable;

impl Reporter for TerminalTable {
    fn name(&self) -> &'static str {
        "table"
    }

    fn render(&self, report: Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(render(report).as_bytes())
    }
}

/// Renders the summary as text for a terminal.
pub fn render(report: Report<'_>) -> String {
    let Report { audit, inventory, settings } = report;
    let source = &inventory.source;
    let mut out = String::new();
    out.push_str(&format!(
        "intune-reach audit of {} as of {}\n",
        source.description,
        settings.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    ));
    if !audit.groups.is_empty() {
        out.push_str(&format!("Scope: users in group(s) {}\n", audit.groups.join(", ")));
    }
    if !source.complete {
        out.push_str("INCOMPLETE: the inventory could not be read whole; devices and users may be missing.\n");
    }
    for gap in &source.gaps {
        out.push_str(&format!("  gap: {gap}\n"));
    }
    out.push('\n');
    out.push_str(&verdict_table("users", audit.users.len(), |v| audit.users_with(v)).to_string());
    out.push_str("\n\n");
    out.push_str(&verdict_table("devices", audit.devices.len(), |v| audit.devices_with(v)).to_string());
    out.push_str("\n\n");
    let mut rules = table(&["rule", "level", "pass", "fail", "unknown", "n/a"]);
    for rule in RuleId::ALL {
        let counts = audit.rule_counts[rule.index()];
        let mut row = vec![rule.as_str().to_owned(), settings.level(rule).as_str().to_owned()];
        row.extend(Status::ALL.iter().map(|s| counts[*s as usize].to_string()));
        rules.add_row(row);
    }
    if let Some(column) = rules.column_mut(1) {
        column.set_cell_alignment(CellAlignment::Left);
    }
    out.push_str(&rules.to_string());
    out.push_str("\n\ntenant:\n");
    for line in super::tenant::tenant_lines(&inventory.tenant, settings.as_of) {
        out.push_str(&format!("  {line}\n"));
    }
    if !source.near_misses.is_empty() {
        out.push_str("near misses (the rules do not count these apps):\n");
        for line in super::tenant::near_miss_lines(&source.near_misses) {
            out.push_str(&format!("  {line}\n"));
        }
    }
    for warning in &source.warnings {
        out.push_str(&format!("warning: {warning}\n"));
    }
    for (rule, caveat) in rules::caveats() {
        out.push_str(&format!("note ({rule}): {caveat}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit;
    use crate::inventory::{Device, Inventory, SourceInfo};
    use crate::rules::test_support::{app, as_of, ios, settings};

    #[test]
    fn terminal_summary() {
        let ready = Device {
            id: "d1".into(),
            recipient: Some("ann@x".into()),
            management_agent: Some("mdm".into()),
            ownership: "company".into(),
            inventory_complete: true,
            last_sync: Some(as_of()),
            apps: vec![app("Company Portal", Some("5.2409.1"))],
            ..ios()
        };
        let unreachable = Device { id: "d2".into(), recipient: Some("bob@x".into()), apps: vec![], ..ready.clone() };
        let inventory = Inventory {
            devices: vec![ready, unreachable],
            source: SourceInfo {
                kind: "snapshot".into(),
                description: "snapshot tenant.json".into(),
                complete: false,
                gaps: vec!["Graph counts 3 devices but the listing returned 2".into()],
                warnings: vec!["1 device record(s) repeated an id".into()],
                near_misses: vec![crate::inventory::NearMiss {
                    name: "Google Play-Dienste".into(),
                    devices: 3,
                    kind: crate::inventory::AppKind::GooglePlayServices,
                    config_key: "apps.google_play_services",
                }],
                ..Default::default()
            },
            ..Default::default()
        };
        let settings = settings();
        let audit = audit::run(&inventory, &settings, &[]).unwrap();
        insta::assert_snapshot!(render(Report { audit: &audit, inventory: &inventory, settings: &settings }));
    }
}
