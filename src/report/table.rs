//! The terminal summary: the answer in one sentence, users and devices by verdict with percentages,
//! one row per rule, the tenant checks and the app names that nearly matched the catalogue, what to
//! fix first, and what changed since `--previous`.

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};

use std::io::Write;

use super::{changes, Report, Reporter};
use crate::audit::{percent, Audit, Verdict};
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

/// The blockers the terminal shows.
pub const FIX_FIRST_ROWS: usize = 5;

/// The answer, in one sentence.
pub fn answer(audit: &Audit) -> String {
    let ready = audit.users_with(Verdict::Ready);
    format!(
        "{ready} of {} users ({:.1}%) can receive a custom notification now.",
        audit.users.len(),
        percent(ready, audit.users.len())
    )
}

/// The largest blockers (at most `rows`, only those that keep someone from ready), with their fix;
/// `None` when no rule alone keeps anyone from ready.
fn fix_first_table(report: Report<'_>, rows: usize) -> Option<Table> {
    let audit = report.audit;
    let blockers: Vec<_> = audit.blockers.iter().filter(|b| b.users > 0).take(rows).collect();
    if blockers.is_empty() {
        return None;
    }
    let mut t = table(&["rule", "users", "share", "fix"]);
    t.set_content_arrangement(ContentArrangement::Dynamic).set_width(120);
    for blocker in blockers {
        t.add_row(vec![
            blocker.rule.as_str().to_owned(),
            blocker.users.to_string(),
            format!("{:.1}%", percent(blocker.users, audit.users.len())),
            blocker.rule.rule().fix.to_owned(),
        ]);
    }
    if let Some(column) = t.column_mut(3) {
        column.set_cell_alignment(CellAlignment::Left);
    }
    Some(t)
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
    let Report { audit, inventory, settings, changes } = report;
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
    out.push_str(&format!("{}\n\n", answer(audit)));
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
    if let Some(fix_first) = fix_first_table(report, FIX_FIRST_ROWS) {
        out.push_str("\nWhat to fix first: users who would become ready if the rule passed on all their devices\n");
        out.push_str(&fix_first.to_string());
        out.push('\n');
    }
    if let Some(changes) = changes {
        out.push('\n');
        out.push_str(&changes::terminal_block(changes));
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
        insta::assert_snapshot!(render(Report::new(&audit, &inventory, &settings)));
    }
}
