//! `--format markdown`: the summary as GitHub-flavoured Markdown, for a pipeline's job summary (the
//! answer, the verdict tables, what to fix first, the rules, the changes). Every value from the tenant
//! or the command line is escaped, so that a pipe, a backtick or a `<` in a name stays text.

use std::fmt::Write as _;
use std::io::Write;

use super::{changes, is_layout_control, Report, Reporter};
use crate::audit::{percent, Verdict};
use crate::changes::{Change, Changes};
use crate::rules::{self, RuleId, Status};

/// The Markdown summary on standard output.
pub struct MarkdownSummary;

impl Reporter for MarkdownSummary {
    fn name(&self) -> &'static str {
        "markdown"
    }

    fn render(&self, report: Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(render(report).as_bytes())
    }
}

/// Makes text safe inside Markdown, table cells included: Markdown's punctuation is backslash-escaped
/// (so `<img ...>` is not HTML, `|` does not end a cell, a backtick opens no code span), and line breaks,
/// other control characters and bidirectional overrides become spaces.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if is_layout_control(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn verdict_table(out: &mut String, noun: &str, total: usize, count: impl Fn(Verdict) -> usize) {
    let _ = writeln!(out, "| {noun} | count | share |\n|---|--:|--:|");
    for verdict in Verdict::ALL {
        let n = count(verdict);
        let _ = writeln!(out, "| {} | {n} | {:.1}% |", verdict.as_str(), percent(n, total));
    }
    let _ = writeln!(out, "| total | {total} | |\n");
}

/// The Markdown summary.
pub fn render(report: Report<'_>) -> String {
    let Report { audit, inventory, settings, changes } = report;
    let source = &inventory.source;
    let (ready, users) = (audit.users_with(Verdict::Ready), audit.users.len());
    let mut out = format!(
        "## intune-reach: {ready} of {users} users can receive a custom notification ({:.1}%)\n\n",
        percent(ready, users)
    );
    let _ = writeln!(
        out,
        "Audit of {} as of {}.",
        escape(&source.description),
        settings.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    if !audit.groups.is_empty() {
        let groups: Vec<String> = audit.groups.iter().map(|g| escape(g)).collect();
        let _ = writeln!(out, "Scope: the users of group(s) {}.", groups.join(", "));
    }
    out.push('\n');
    if !source.complete {
        out.push_str("> **INCOMPLETE**: the inventory could not be read whole; devices and users may be missing.\n");
        for gap in &source.gaps {
            let _ = writeln!(out, "> - {}", escape(gap));
        }
        out.push('\n');
    }
    verdict_table(&mut out, "users", users, |v| audit.users_with(v));
    verdict_table(&mut out, "devices", audit.devices.len(), |v| audit.devices_with(v));

    let blockers: Vec<_> = audit.blockers.iter().filter(|b| b.users > 0).collect();
    if !blockers.is_empty() {
        out.push_str(
            "### What to fix first\n\nUsers who would become ready if the rule passed on all their devices.\n\n",
        );
        out.push_str("| rule | users | share | fix |\n|---|--:|--:|---|\n");
        for blocker in blockers {
            let _ = writeln!(
                out,
                "| `{}` | {} | {:.1}% | {} |",
                blocker.rule,
                blocker.users,
                percent(blocker.users, users),
                blocker.rule.rule().fix
            );
        }
        out.push('\n');
    }

    out.push_str("### Rules\n\n| rule | level | pass | fail | unknown | n/a |\n|---|---|--:|--:|--:|--:|\n");
    for rule in RuleId::ALL {
        let counts = audit.rule_counts[rule.index()];
        let cells: Vec<String> = Status::ALL.iter().map(|s| counts[*s as usize].to_string()).collect();
        let _ = writeln!(out, "| `{rule}` | {} | {} |", settings.level(rule).as_str(), cells.join(" | "));
    }
    out.push('\n');

    if let Some(changes) = changes {
        changes_section(&mut out, changes);
    }

    let notes: Vec<String> = source
        .warnings
        .iter()
        .map(|w| format!("- warning: {}", escape(w)))
        .chain(rules::caveats().map(|(rule, caveat)| format!("- note (`{rule}`): {caveat}")))
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(out, "### Notes\n\n{}\n", notes.join("\n"));
    }
    out
}

/// What `diff --format markdown` prints.
pub fn diff(changes: &Changes) -> String {
    let mut out = format!(
        "## intune-reach: what changed\n\n{} (as of {}) -> {} (as of {}): {} of {} users ready, then {} of {}.\n\n",
        escape(&changes.before.folder),
        escape(&changes.before.as_of),
        escape(&changes.after.folder),
        escape(&changes.after.as_of),
        changes.before.ready_users,
        changes.before.users,
        changes.after.ready_users,
        changes.after.users,
    );
    changes_section(&mut out, changes);
    out
}

fn changes_section(out: &mut String, changes: &Changes) {
    let _ = writeln!(
        out,
        "### Changes since the audit of {}\n\n{} (previous audit: {}).\n",
        escape(&changes.before.as_of),
        changes::counts_line(changes),
        escape(&changes.before.folder)
    );
    for difference in &changes.differences {
        let _ = writeln!(out, "- differs: {}", escape(&changes::difference_line(difference)));
    }
    for change in Change::ALL {
        let (users, left_out) = changes::shown(changes, change, changes::USERS_SHOWN_PER_CHANGE);
        if users.is_empty() {
            continue;
        }
        let names: Vec<String> = users.iter().map(|u| escape(&u.recipient)).collect();
        let more = if left_out > 0 { format!(" and {left_out} more (changes.csv)") } else { String::new() };
        let _ = writeln!(out, "- **{}** ({}): {}{more}", change.as_str(), changes.count(change), names.join(", "));
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_text_stays_text() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("`rm -rf`"), "\\`rm -rf\\`");
        assert_eq!(escape("<img src=x onerror=alert(1)>"), "\\<img src=x onerror=alert(1)\\>");
        assert_eq!(escape("line one\nline two\r"), "line one line two ");
        assert_eq!(escape("\u{202e}evil"), " evil");
        assert_eq!(escape("**bold** [link](x)"), "\\*\\*bold\\*\\* \\[link\\](x)");
        assert_eq!(escape("Zoë ☎ ann@contoso.example"), "Zoë ☎ ann@contoso.example");
    }
}
