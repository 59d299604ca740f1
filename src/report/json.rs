//! `summary.json` (and `--format json` on standard output): counts per verdict and per rule, the
//! blockers ranked, the caveats, whether the inventory was read whole, the tenant checks (`tenant`),
//! the app names that nearly matched the catalogue (`near_misses`), and what changed since
//! `--previous`.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use std::io::Write;

use super::{Report, Reporter};
use crate::audit::{percent, Audit, Verdict};
use crate::inventory::apps::APP_INVENTORY_CAVEAT;
use crate::inventory::{CountCheck, NearMiss};
use crate::rules::Settings;
use crate::rules::{self, RuleId, Status};

#[derive(Serialize)]
pub struct Summary<'a> {
    pub tool: Tool,
    pub as_of: String,
    pub source: SourceSummary<'a>,
    pub complete: bool,
    /// The devices read beside Graph's own counter (`null` when the source has no counter).
    pub count_check: Option<&'a CountCheck>,
    pub scope: Scope<'a>,
    pub users: VerdictCounts,
    pub devices: VerdictCounts,
    pub rules: RuleSummaries<'a>,
    /// Per rule, the users who would become ready if it passed on all their devices; largest first.
    pub blockers: Vec<BlockerSummary>,
    pub caveats: Vec<String>,
    pub warnings: &'a [String],
    pub duplicate_device_ids: usize,
    pub stale_days: u32,
    /// Each tenant check: read or not, its facts, or why not and the permission that would read it.
    pub tenant: serde_json::Value,
    pub near_misses: &'a [NearMiss],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<super::changes::ChangesSummary<'a>>,
}

#[derive(Serialize)]
pub struct BlockerSummary {
    pub rule: RuleId,
    pub level: &'static str,
    pub users: usize,
    /// Of all users in scope, rounded to two decimals.
    pub share_percent: f64,
    pub fix: &'static str,
}

#[derive(Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Serialize)]
pub struct SourceSummary<'a> {
    pub kind: &'a str,
    pub description: &'a str,
    pub gaps: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telemetry: Option<&'a serde_json::Value>,
}

#[derive(Serialize)]
pub struct Scope<'a> {
    /// Target group ids; empty when the audit covers every device.
    pub groups: &'a [String],
    pub members_export: bool,
}

#[derive(Serialize)]
pub struct VerdictCounts {
    pub total: usize,
    pub ready: usize,
    pub at_risk: usize,
    pub unreachable: usize,
    pub ready_percent: f64,
    pub at_risk_percent: f64,
    pub unreachable_percent: f64,
}

impl VerdictCounts {
    fn new(total: usize, count: impl Fn(Verdict) -> usize) -> Self {
        let (ready, at_risk, unreachable) =
            (count(Verdict::Ready), count(Verdict::AtRisk), count(Verdict::Unreachable));
        VerdictCounts {
            total,
            ready,
            at_risk,
            unreachable,
            ready_percent: rounded_percent(ready, total),
            at_risk_percent: rounded_percent(at_risk, total),
            unreachable_percent: rounded_percent(unreachable, total),
        }
    }
}

/// `part` of `whole` in percent, rounded to two decimals.
pub fn rounded_percent(part: usize, whole: usize) -> f64 {
    (percent(part, whole) * 100.0).round() / 100.0
}

/// Per rule, keyed by rule id in table order: level and the count of each status.
pub struct RuleSummaries<'a> {
    audit: &'a Audit,
    settings: &'a Settings,
}

#[derive(Serialize)]
struct RuleSummary {
    level: &'static str,
    pass: usize,
    fail: usize,
    unknown: usize,
    #[serde(rename = "n/a")]
    not_applicable: usize,
}

impl Serialize for RuleSummaries<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(RuleId::COUNT))?;
        for rule in RuleId::ALL {
            let counts = self.audit.rule_counts[rule.index()];
            map.serialize_entry(
                rule.as_str(),
                &RuleSummary {
                    level: self.settings.level(rule).as_str(),
                    pass: counts[Status::Pass as usize],
                    fail: counts[Status::Fail as usize],
                    unknown: counts[Status::Unknown as usize],
                    not_applicable: counts[Status::NotApplicable as usize],
                },
            )?;
        }
        map.end()
    }
}

/// `summary.json`, pretty-printed.
pub struct SummaryJson;

impl Reporter for SummaryJson {
    fn name(&self) -> &'static str {
        "summary.json"
    }

    fn render(&self, report: Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &summary(report))?;
        out.write_all(b"\n")
    }
}

pub fn summary(report: Report<'_>) -> Summary<'_> {
    let Report { audit, inventory, settings, changes } = report;
    let source = &inventory.source;
    let mut caveats: Vec<String> = rules::caveats().map(|(_, caveat)| caveat.to_owned()).collect();
    caveats.push(APP_INVENTORY_CAVEAT.to_owned());
    if !source.complete {
        caveats.insert(
            0,
            "INCOMPLETE: the inventory could not be read whole; devices and users may be missing from this report."
                .to_owned(),
        );
    }
    Summary {
        tool: Tool { name: env!("CARGO_PKG_NAME"), version: env!("CARGO_PKG_VERSION") },
        as_of: settings.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        source: SourceSummary {
            kind: &source.kind,
            description: &source.description,
            gaps: &source.gaps,
            telemetry: source.telemetry.as_ref(),
        },
        complete: source.complete,
        count_check: source.count_check.as_ref(),
        scope: Scope { groups: &audit.groups, members_export: inventory.scoped_members.is_some() },
        users: VerdictCounts::new(audit.users.len(), |v| audit.users_with(v)),
        devices: VerdictCounts::new(audit.devices.len(), |v| audit.devices_with(v)),
        rules: RuleSummaries { audit, settings },
        blockers: audit
            .blockers
            .iter()
            .map(|blocker| BlockerSummary {
                rule: blocker.rule,
                level: settings.level(blocker.rule).as_str(),
                users: blocker.users,
                share_percent: rounded_percent(blocker.users, audit.users.len()),
                fix: blocker.rule.rule().fix,
            })
            .collect(),
        caveats,
        warnings: &source.warnings,
        duplicate_device_ids: inventory.duplicate_ids.len(),
        stale_days: settings.stale_days,
        tenant: super::tenant::tenant_json(&inventory.tenant, settings.as_of),
        near_misses: &source.near_misses,
        changes: changes.map(super::changes::ChangesSummary::of),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit;
    use crate::inventory::tenant::{ManagedGooglePlay, TenantCheck, TenantFacts};
    use crate::inventory::{AndroidMode, AppKind, Device, Inventory, SourceInfo};
    use crate::rules::test_support::{android, settings};

    #[test]
    fn summary_has_the_tenant_checks_and_the_near_misses() {
        let near_miss = NearMiss {
            name: "Google Play-Dienste".into(),
            devices: 4,
            kind: AppKind::GooglePlayServices,
            config_key: "apps.google_play_services",
        };
        let inventory = Inventory {
            devices: vec![Device { id: "a".into(), ..android(AndroidMode::PersonalWorkProfile) }],
            source: SourceInfo { near_misses: vec![near_miss], ..Default::default() },
            tenant: TenantFacts {
                managed_google_play: TenantCheck::Read(ManagedGooglePlay {
                    bind_status: Some("notBound".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let settings = settings();
        let audit = audit::run(&inventory, &settings, &[]).unwrap();
        let json = serde_json::to_value(summary(Report {
            audit: &audit,
            inventory: &inventory,
            settings: &settings,
            changes: None,
        }))
        .unwrap();
        assert_eq!(json["tenant"]["apple_mdm_push"]["read"], false);
        assert_eq!(json["tenant"]["managed_google_play"]["bind_status"], "notBound");
        assert_eq!(json["rules"]["managed-google-play"]["fail"], 1, "the rule read the inventory's tenant facts");
        assert_eq!(
            json["near_misses"],
            serde_json::json!([{"name": "Google Play-Dienste", "devices": 4, "kind": "google-play-services", "config_key": "apps.google_play_services"}])
        );
    }
}
