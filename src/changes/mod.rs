//! What changed between two audits: per user, the verdict before and after (`changes.csv`), and what
//! differed in how the two audits were made (clock, rule levels, source, scope), so that a change of
//! settings is never mistaken for a change of the tenant.
//!
//! An earlier audit is read back from its `--out` folder ([`folder`]); the audit being written
//! describes itself the same way, from its own summary ([`AuditInfo::from_summary`]).

pub mod folder;

use std::cmp::Ordering;
use std::path::Path;

use crate::audit::{Audit, Verdict};

/// How one user's verdict changed. The variants are in the order of their names, which is the order
/// of `changes.csv` (sorted by change, then recipient).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Change {
    /// From one not-ready verdict to the other (`at-risk` and `unreachable`).
    Changed,
    /// Now ready, was not.
    Fixed,
    /// In the earlier audit only.
    Gone,
    /// In the later audit only.
    New,
    /// Was ready, is not.
    Regressed,
}

impl Change {
    pub const ALL: [Change; 5] = [Change::Changed, Change::Fixed, Change::Gone, Change::New, Change::Regressed];

    pub fn as_str(self) -> &'static str {
        match self {
            Change::Changed => "changed",
            Change::Fixed => "fixed",
            Change::Gone => "gone",
            Change::New => "new",
            Change::Regressed => "regressed",
        }
    }

    /// The change from `before` to `after`; `None` when nothing changed.
    pub fn between(before: Option<Verdict>, after: Option<Verdict>) -> Option<Change> {
        match (before, after) {
            (None, None) => None,
            (None, Some(_)) => Some(Change::New),
            (Some(_), None) => Some(Change::Gone),
            (Some(b), Some(a)) if a == b => None,
            (Some(_), Some(Verdict::Ready)) => Some(Change::Fixed),
            (Some(Verdict::Ready), Some(_)) => Some(Change::Regressed),
            (Some(_), Some(_)) => Some(Change::Changed),
        }
    }
}

/// One row of `changes.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserChange {
    pub recipient: String,
    pub before: Option<Verdict>,
    pub after: Option<Verdict>,
    pub change: Change,
}

/// How an audit was made, as its `summary.json` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditInfo {
    /// The folder it was read from (or is written to).
    pub folder: String,
    pub version: String,
    pub as_of: String,
    pub source: String,
    /// Rule id and level, in the summary's order.
    pub levels: Vec<(String, String)>,
    pub stale_days: Option<u64>,
    pub groups: Vec<String>,
    pub users: usize,
    pub devices: usize,
    pub ready_users: usize,
}

impl AuditInfo {
    /// Reads what `summary.json` (already parsed) says about the audit in `folder`.
    pub fn from_summary(folder: &Path, summary: &serde_json::Value) -> Self {
        let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_owned();
        let count = |value: &serde_json::Value| value.as_u64().unwrap_or_default() as usize;
        let levels = summary["rules"]
            .as_object()
            .map(|rules| rules.iter().map(|(id, rule)| (id.clone(), text(&rule["level"]))).collect())
            .unwrap_or_default();
        let groups =
            summary["scope"]["groups"].as_array().map(|groups| groups.iter().map(text).collect()).unwrap_or_default();
        AuditInfo {
            folder: folder.display().to_string(),
            version: text(&summary["tool"]["version"]),
            as_of: text(&summary["as_of"]),
            source: text(&summary["source"]["description"]),
            levels,
            stale_days: summary["stale_days"].as_u64(),
            groups,
            users: count(&summary["users"]["total"]),
            devices: count(&summary["devices"]["total"]),
            ready_users: count(&summary["users"]["ready"]),
        }
    }
}

/// One way in which the two audits were not made alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// `as_of`, `level of RULE`, `stale_days`, `source`, `scope`, `version`.
    pub what: String,
    pub before: String,
    pub after: String,
}

/// Everything that changed between two audits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    pub before: AuditInfo,
    pub after: AuditInfo,
    pub differences: Vec<Difference>,
    /// Sorted by change, then recipient.
    pub users: Vec<UserChange>,
}

impl Changes {
    /// Compares two audits, each a description and its users (recipient, verdict) in any order.
    pub fn between(
        before: AuditInfo,
        before_users: Vec<(String, Verdict)>,
        after: AuditInfo,
        after_users: Vec<(String, Verdict)>,
    ) -> Self {
        let differences = differences(&before, &after);
        let users = compare(before_users, after_users);
        Changes { before, after, differences, users }
    }

    /// Compares an earlier audit with the audit just made.
    pub fn since(previous: folder::AuditFolder, after: AuditInfo, audit: &Audit) -> Self {
        let after_users = audit.users.iter().map(|user| (user.recipient.to_string(), user.verdict)).collect();
        Changes::between(previous.info, previous.users, after, after_users)
    }

    pub fn count(&self, change: Change) -> usize {
        self.users.iter().filter(|user| user.change == change).count()
    }

    /// The users with this change, in recipient order.
    pub fn with(&self, change: Change) -> impl Iterator<Item = &UserChange> {
        self.users.iter().filter(move |user| user.change == change)
    }
}

/// The users whose verdict changed, who appeared or who left; sorted by change, then recipient.
fn compare(mut before: Vec<(String, Verdict)>, mut after: Vec<(String, Verdict)>) -> Vec<UserChange> {
    before.sort_unstable();
    after.sort_unstable();
    let mut changes = Vec::new();
    let (mut old, mut new) = (before.into_iter().peekable(), after.into_iter().peekable());
    loop {
        let order = match (old.peek(), new.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(a), Some(b)) => a.0.cmp(&b.0),
        };
        let next = match order {
            Ordering::Less => old.next().map(|(r, v)| (r, Some(v), None)),
            Ordering::Greater => new.next().map(|(r, v)| (r, None, Some(v))),
            Ordering::Equal => old.next().zip(new.next()).map(|((r, b), (_, a))| (r, Some(b), Some(a))),
        };
        let Some((recipient, before, after)) = next else { break };
        if let Some(change) = Change::between(before, after) {
            changes.push(UserChange { recipient, before, after, change });
        }
    }
    changes.sort_by(|a, b| (a.change, &a.recipient).cmp(&(b.change, &b.recipient)));
    changes
}

/// What differs in how the two audits were made.
fn differences(before: &AuditInfo, after: &AuditInfo) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut differ = |what: String, b: String, a: String| {
        if b != a {
            out.push(Difference { what, before: b, after: a });
        }
    };
    differ("as_of".into(), before.as_of.clone(), after.as_of.clone());
    let level_of = |info: &AuditInfo, rule: &str| {
        info.levels.iter().find(|(id, _)| id == rule).map(|(_, level)| level.clone()).unwrap_or_else(|| "none".into())
    };
    let mut rules: Vec<&str> = before.levels.iter().map(|(id, _)| id.as_str()).collect();
    rules.extend(
        after.levels.iter().map(|(id, _)| id.as_str()).filter(|id| !before.levels.iter().any(|(b, _)| b == id)),
    );
    for rule in rules {
        differ(format!("level of {rule}"), level_of(before, rule), level_of(after, rule));
    }
    let days = |info: &AuditInfo| info.stale_days.map(|d| d.to_string()).unwrap_or_default();
    differ("stale_days".into(), days(before), days(after));
    differ("source".into(), before.source.clone(), after.source.clone());
    let scope = |info: &AuditInfo| {
        if info.groups.is_empty() {
            "every device".to_owned()
        } else {
            format!("groups {}", info.groups.join(", "))
        }
    };
    differ("scope".into(), scope(before), scope(after));
    differ("version".into(), before.version.clone(), after.version.clone());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Verdict::*;

    fn info(as_of: &str, levels: &[(&str, &str)]) -> AuditInfo {
        AuditInfo {
            folder: "reports".into(),
            version: "0.1.0".into(),
            as_of: as_of.into(),
            source: "snapshot tenant.json".into(),
            levels: levels.iter().map(|(r, l)| (r.to_string(), l.to_string())).collect(),
            stale_days: Some(30),
            groups: vec![],
            users: 0,
            devices: 0,
            ready_users: 0,
        }
    }

    fn users(list: &[(&str, Verdict)]) -> Vec<(String, Verdict)> {
        list.iter().map(|(r, v)| (r.to_string(), *v)).collect()
    }

    #[test]
    fn every_kind_of_change_sorted_by_change_then_recipient() {
        let before = users(&[
            ("zoe@x", Ready),
            ("amy@x", Unreachable),
            ("bob@x", Ready),
            ("cid@x", AtRisk),
            ("dan@x", Ready),
            ("gone@x", AtRisk),
        ]);
        let after = users(&[
            ("amy@x", Ready),
            ("bob@x", Unreachable),
            ("cid@x", Unreachable),
            ("dan@x", Ready),
            ("new@x", Unreachable),
            ("zoe@x", AtRisk),
        ]);
        let changes = Changes::between(info("a", &[]), before, info("a", &[]), after);
        let rows: Vec<(&str, Option<Verdict>, Option<Verdict>, &str)> =
            changes.users.iter().map(|u| (u.recipient.as_str(), u.before, u.after, u.change.as_str())).collect();
        assert_eq!(
            rows,
            vec![
                ("cid@x", Some(AtRisk), Some(Unreachable), "changed"),
                ("amy@x", Some(Unreachable), Some(Ready), "fixed"),
                ("gone@x", Some(AtRisk), None, "gone"),
                ("new@x", None, Some(Unreachable), "new"),
                ("bob@x", Some(Ready), Some(Unreachable), "regressed"),
                ("zoe@x", Some(Ready), Some(AtRisk), "regressed"),
            ]
        );
        assert_eq!(changes.count(Change::Regressed), 2);
        assert!(changes.differences.is_empty());
        let names: Vec<&str> = Change::ALL.iter().map(|c| c.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "the variants are in the order of their names");
    }

    #[test]
    fn what_differs_between_the_audits_is_said() {
        let mut after = info("2026-11-26T00:00:00Z", &[("portal-version", "warn"), ("push-permission", "allow")]);
        after.source = "demo tenant".into();
        after.groups = vec!["g1".into()];
        let before = info("2026-11-01T00:00:00Z", &[("portal-version", "deny"), ("push-permission", "allow")]);
        let changes = Changes::between(before, vec![], after, vec![]);
        let said: Vec<String> =
            changes.differences.iter().map(|d| format!("{}: {} -> {}", d.what, d.before, d.after)).collect();
        assert_eq!(
            said,
            vec![
                "as_of: 2026-11-01T00:00:00Z -> 2026-11-26T00:00:00Z",
                "level of portal-version: deny -> warn",
                "source: snapshot tenant.json -> demo tenant",
                "scope: every device -> groups g1",
            ]
        );
    }
}
