//! What changed between two audits, rendered: `changes.csv`, its block in `summary.json`, and what
//! `diff` prints (a table, or JSON).

use std::fmt::Write as _;
use std::io::Write;

use comfy_table::{presets, ContentArrangement, Table};
use serde::Serialize;

use super::{guard_formula, is_layout_control, json, CsvOptions, Report, Reporter};
use crate::audit::Verdict;
use crate::changes::{AuditInfo, Change, Changes, Difference, UserChange};

/// The columns of `changes.csv`.
pub const CHANGE_COLUMNS: [&str; 4] = ["recipient", "before", "after", "change"];

/// Users listed per kind of change where a summary shows them (the terminal, report.html, Markdown);
/// `changes.csv` lists them all.
pub const USERS_SHOWN_PER_CHANGE: usize = 20;

/// `changes.csv` (with `--previous`).
pub struct ChangesCsv(pub CsvOptions);

impl Reporter for ChangesCsv {
    fn name(&self) -> &'static str {
        "changes.csv"
    }

    fn render(&self, report: Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
        match report.changes {
            Some(changes) => write_csv(changes, out, self.0),
            None => Ok(()),
        }
    }
}

/// How the audit being written describes itself, read from its own summary exactly as an earlier
/// audit is read from its `summary.json`, so that the two compare field by field.
pub fn audit_info(report: Report<'_>, folder: &std::path::Path) -> AuditInfo {
    let summary = serde_json::to_value(json::summary(Report { changes: None, ..report })).unwrap_or_default();
    AuditInfo::from_summary(folder, &summary)
}

fn verdict(verdict: Option<Verdict>) -> &'static str {
    verdict.map(Verdict::as_str).unwrap_or("")
}

/// Writes `changes.csv`: one row per user whose verdict changed or who appeared or left.
pub fn write_csv(changes: &Changes, out: &mut dyn Write, options: CsvOptions) -> std::io::Result<()> {
    if options.bom {
        out.write_all("\u{feff}".as_bytes())?;
    }
    let mut w = csv::WriterBuilder::new().delimiter(options.delimiter).from_writer(out);
    w.write_record(CHANGE_COLUMNS)?;
    for user in &changes.users {
        let recipient = guard_formula(&user.recipient);
        w.write_record([&*recipient, verdict(user.before), verdict(user.after), user.change.as_str()])?;
    }
    w.flush()?;
    Ok(())
}

/// The number of users per kind of change, keyed by its name.
#[derive(Serialize)]
pub struct ChangeCounts {
    pub changed: usize,
    pub fixed: usize,
    pub gone: usize,
    pub new: usize,
    pub regressed: usize,
}

impl ChangeCounts {
    pub fn of(changes: &Changes) -> Self {
        ChangeCounts {
            changed: changes.count(Change::Changed),
            fixed: changes.count(Change::Fixed),
            gone: changes.count(Change::Gone),
            new: changes.count(Change::New),
            regressed: changes.count(Change::Regressed),
        }
    }
}

#[derive(Serialize)]
pub struct AuditSide<'a> {
    pub folder: &'a str,
    pub version: &'a str,
    pub as_of: &'a str,
    pub source: &'a str,
    pub users: usize,
    pub ready_users: usize,
}

impl<'a> AuditSide<'a> {
    fn of(info: &'a AuditInfo) -> Self {
        AuditSide {
            folder: &info.folder,
            version: &info.version,
            as_of: &info.as_of,
            source: &info.source,
            users: info.users,
            ready_users: info.ready_users,
        }
    }
}

#[derive(Serialize)]
pub struct DifferenceSummary<'a> {
    pub what: &'a str,
    pub before: &'a str,
    pub after: &'a str,
}

fn differences(changes: &Changes) -> Vec<DifferenceSummary<'_>> {
    changes
        .differences
        .iter()
        .map(|d| DifferenceSummary { what: &d.what, before: &d.before, after: &d.after })
        .collect()
}

/// The `changes` block of `summary.json`: the earlier audit, what differed, the counts (the users are
/// in `changes.csv`).
#[derive(Serialize)]
pub struct ChangesSummary<'a> {
    pub previous: AuditSide<'a>,
    pub differences: Vec<DifferenceSummary<'a>>,
    pub counts: ChangeCounts,
}

impl<'a> ChangesSummary<'a> {
    pub fn of(changes: &'a Changes) -> Self {
        ChangesSummary {
            previous: AuditSide::of(&changes.before),
            differences: differences(changes),
            counts: ChangeCounts::of(changes),
        }
    }
}

#[derive(Serialize)]
struct UserChangeJson<'a> {
    recipient: &'a str,
    before: Option<Verdict>,
    after: Option<Verdict>,
    change: &'static str,
}

/// What `diff --format json` prints.
#[derive(Serialize)]
pub struct DiffJson<'a> {
    before: AuditSide<'a>,
    after: AuditSide<'a>,
    differences: Vec<DifferenceSummary<'a>>,
    counts: ChangeCounts,
    users: Vec<UserChangeJson<'a>>,
}

pub fn diff_json(changes: &Changes) -> DiffJson<'_> {
    DiffJson {
        before: AuditSide::of(&changes.before),
        after: AuditSide::of(&changes.after),
        differences: differences(changes),
        counts: ChangeCounts::of(changes),
        users: changes
            .users
            .iter()
            .map(|u| UserChangeJson {
                recipient: &u.recipient,
                before: u.before,
                after: u.after,
                change: u.change.as_str(),
            })
            .collect(),
    }
}

/// A difference in how the two audits were made, as one line.
pub fn difference_line(difference: &Difference) -> String {
    format!("{}: {} -> {}", difference.what, difference.before, difference.after)
}

/// One sentence of counts: "2 fixed, 1 regressed, 0 changed, 3 new, 0 gone".
pub fn counts_line(changes: &Changes) -> String {
    [Change::Fixed, Change::Regressed, Change::Changed, Change::New, Change::Gone]
        .map(|change| format!("{} {}", changes.count(change), change.as_str()))
        .join(", ")
}

/// The users of one kind of change, at most `limit` of them; and how many were left out.
pub fn shown(changes: &Changes, change: Change, limit: usize) -> (Vec<&UserChange>, usize) {
    let users: Vec<&UserChange> = changes.with(change).take(limit).collect();
    let left_out = changes.count(change) - users.len();
    (users, left_out)
}

/// Text from the tenant made safe for a terminal: control characters (escape sequences, line breaks)
/// and bidirectional overrides are written as `\u{..}` escapes.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_layout_control) {
        return text.into();
    }
    text.chars().map(|c| if is_layout_control(c) { c.escape_unicode().to_string() } else { c.to_string() }).collect()
}

/// The changes block of the terminal summary: counts, what differed, and some users of each kind.
pub fn terminal_block(changes: &Changes) -> String {
    let mut out =
        format!("Changes since {} (as of {}): {}\n", changes.before.folder, changes.before.as_of, counts_line(changes));
    for difference in &changes.differences {
        let _ = writeln!(out, "  differs: {}", difference_line(difference));
    }
    for change in Change::ALL {
        let (users, left_out) = shown(changes, change, USERS_SHOWN_PER_CHANGE);
        if users.is_empty() {
            continue;
        }
        let names: Vec<_> = users.iter().map(|u| printable(&u.recipient)).collect();
        let more = if left_out > 0 { format!(" and {left_out} more (changes.csv)") } else { String::new() };
        let _ = writeln!(out, "  {}: {}{more}", change.as_str(), names.join(", "));
    }
    out
}

/// What `diff` prints as a table: the two audits, what differed, the counts, then every change.
pub fn diff_table(changes: &Changes) -> String {
    let mut out = String::new();
    for (label, info) in [("before", &changes.before), ("after", &changes.after)] {
        let _ = writeln!(
            out,
            "{label}: {} (as of {}; {} of {} users ready)",
            info.folder, info.as_of, info.ready_users, info.users
        );
    }
    for difference in &changes.differences {
        let _ = writeln!(out, "differs: {}", difference_line(difference));
    }
    let _ = writeln!(out, "changes: {}", counts_line(changes));
    if changes.users.is_empty() {
        out.push_str("No user's verdict changed.\n");
        return out;
    }
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(CHANGE_COLUMNS.to_vec());
    for user in &changes.users {
        let recipient = printable(&user.recipient).into_owned();
        table.add_row(vec![recipient.as_str(), verdict(user.before), verdict(user.after), user.change.as_str()]);
    }
    let _ = writeln!(out, "\n{table}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_text_cannot_drive_the_terminal() {
        assert_eq!(printable("ann@x"), "ann@x");
        assert_eq!(printable("a\u{1b}[31mred\nb"), "a\\u{1b}[31mred\\u{a}b");
        assert_eq!(printable("\u{202e}evil"), "\\u{202e}evil");
    }
}
