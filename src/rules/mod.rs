//! The delivery prerequisites: one rule per file, one registry, stable kebab-case ids.
//!
//! A rule is a pure function from one device and a [`RuleContext`] (the settings and the tenant-wide
//! facts of the audit) to an [`Outcome`]. Rules never do I/O. [`REGISTRY`] lists them in the order of
//! docs/rules.md (generated from it), which is also the order of every rule list in the reports.

mod apple_mdm_push;
mod company_portal;
mod google_play_services;
mod has_recipient;
mod managed_google_play;
mod mdm_enrolled;
mod portal_version;
mod push_permission;
mod recent_check_in;
mod refresh;
pub mod settings;
mod supported_platform;

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::inventory::{Device, TenantFacts};
pub use settings::Settings;

/// The stable id of a rule. The kebab-case names are part of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleId {
    SupportedPlatform,
    MdmEnrolled,
    HasRecipient,
    CompanyPortal,
    PortalVersion,
    GooglePlayServices,
    RecentCheckIn,
    PushPermission,
    AppleMdmPush,
    ManagedGooglePlay,
}

impl RuleId {
    /// Every rule, in the order of the rules table. The tenant checks come after `push-permission`,
    /// so that the report columns of the earlier rules keep their positions.
    pub const ALL: [RuleId; 10] = [
        RuleId::SupportedPlatform,
        RuleId::MdmEnrolled,
        RuleId::HasRecipient,
        RuleId::CompanyPortal,
        RuleId::PortalVersion,
        RuleId::GooglePlayServices,
        RuleId::RecentCheckIn,
        RuleId::PushPermission,
        RuleId::AppleMdmPush,
        RuleId::ManagedGooglePlay,
    ];

    pub const COUNT: usize = Self::ALL.len();

    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::SupportedPlatform => "supported-platform",
            RuleId::MdmEnrolled => "mdm-enrolled",
            RuleId::HasRecipient => "has-recipient",
            RuleId::CompanyPortal => "company-portal",
            RuleId::PortalVersion => "portal-version",
            RuleId::GooglePlayServices => "google-play-services",
            RuleId::RecentCheckIn => "recent-check-in",
            RuleId::PushPermission => "push-permission",
            RuleId::AppleMdmPush => "apple-mdm-push",
            RuleId::ManagedGooglePlay => "managed-google-play",
        }
    }

    /// The position of this rule in [`RuleId::ALL`] (and in every per-rule array).
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn rule(self) -> &'static Rule {
        &REGISTRY[self.index()]
    }

    /// What the rule checks, one sentence.
    pub fn description(self) -> &'static str {
        self.rule().checks
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RuleId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RuleId::ALL.into_iter().find(|id| id.as_str() == s.trim()).ok_or_else(|| {
            let known: Vec<_> = RuleId::ALL.iter().map(|id| id.as_str()).collect();
            format!("unknown rule `{s}` (rules: {})", known.join(", "))
        })
    }
}

/// What a failing rule does to a device's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A fail makes the device unreachable (an unknown makes it at risk).
    Deny,
    /// A fail makes the device at risk.
    Warn,
    /// Reported, never changes a verdict.
    Allow,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Deny => "deny",
            Level::Warn => "warn",
            Level::Allow => "allow",
        }
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "deny" => Ok(Level::Deny),
            "warn" => Ok(Level::Warn),
            "allow" => Ok(Level::Allow),
            other => Err(format!("unknown level `{other}` (levels: deny, warn, allow)")),
        }
    }
}

/// The result of one rule on one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    #[serde(rename = "pass")]
    Pass,
    #[serde(rename = "fail")]
    Fail,
    #[serde(rename = "unknown")]
    Unknown,
    #[serde(rename = "n/a")]
    NotApplicable,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Pass, Status::Fail, Status::Unknown, Status::NotApplicable];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::NotApplicable => "n/a",
        }
    }
}

/// An outcome with the sentence that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub reason: Cow<'static, str>,
}

impl Outcome {
    pub fn pass(reason: impl Into<Cow<'static, str>>) -> Self {
        Outcome { status: Status::Pass, reason: reason.into() }
    }
    pub fn fail(reason: impl Into<Cow<'static, str>>) -> Self {
        Outcome { status: Status::Fail, reason: reason.into() }
    }
    pub fn unknown(reason: impl Into<Cow<'static, str>>) -> Self {
        Outcome { status: Status::Unknown, reason: reason.into() }
    }
    pub fn not_applicable(reason: impl Into<Cow<'static, str>>) -> Self {
        Outcome { status: Status::NotApplicable, reason: reason.into() }
    }
}

/// What a rule may read besides the device: the settings and the tenant-wide facts of this audit.
#[derive(Debug, Clone, Copy)]
pub struct RuleContext<'a> {
    pub settings: &'a Settings,
    /// Read once per audit; the tenant checks give every device in their scope the same outcome.
    pub tenant: &'a TenantFacts,
}

/// A rule: its id, default level, the words users see, and the function that decides it.
pub struct Rule {
    pub id: RuleId,
    pub default_level: Level,
    /// What it checks.
    pub checks: &'static str,
    /// What a fail means for delivery.
    pub fail_means: &'static str,
    /// How to fix a fail.
    pub fix: &'static str,
    /// How each outcome is decided, one row per status it can give (the rule's decision table).
    pub decision: &'static [(Status, &'static str)],
    /// The Microsoft documentation (or known issues) the rule rests on.
    pub sources: &'static [&'static str],
    /// What every audit must say about this rule, whatever its counts (for example that it is never
    /// observable): listed with the summary's caveats.
    pub caveat: Option<&'static str>,
    pub evaluate: fn(&Device, &RuleContext<'_>) -> Outcome,
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule").field("id", &self.id).field("default_level", &self.default_level).finish()
    }
}

/// Every rule, in the order of [`RuleId::ALL`].
pub static REGISTRY: [Rule; RuleId::COUNT] = [
    supported_platform::RULE,
    mdm_enrolled::RULE,
    has_recipient::RULE,
    company_portal::RULE,
    portal_version::RULE,
    google_play_services::RULE,
    recent_check_in::RULE,
    push_permission::RULE,
    apple_mdm_push::RULE,
    managed_google_play::RULE,
];

/// Runs every rule on one device; outcomes in [`RuleId::ALL`] order.
pub fn evaluate_all(device: &Device, context: &RuleContext<'_>) -> [Outcome; RuleId::COUNT] {
    std::array::from_fn(|i| (REGISTRY[i].evaluate)(device, context))
}

/// One rule's outcome on a device.
pub fn evaluate_rule(rule: RuleId, device: &Device, context: &RuleContext<'_>) -> Outcome {
    (REGISTRY[rule.index()].evaluate)(device, context)
}

/// The caveats of the rules that have one, in table order.
pub fn caveats() -> impl Iterator<Item = (RuleId, &'static str)> {
    REGISTRY.iter().filter_map(|rule| rule.caveat.map(|caveat| (rule.id, caveat)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_in_id_order_and_ids_are_unique() {
        for (i, rule) in REGISTRY.iter().enumerate() {
            assert_eq!(rule.id, RuleId::ALL[i], "registry slot {i}");
            assert_eq!(rule.id.index(), i);
        }
        let mut names: Vec<_> = RuleId::ALL.iter().map(|id| id.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), RuleId::COUNT);
    }

    #[test]
    fn ids_round_trip_through_text_and_serde() {
        for id in RuleId::ALL {
            assert_eq!(id.as_str().parse::<RuleId>().unwrap(), id);
            assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{id}\""));
        }
        assert!("no-such-rule".parse::<RuleId>().is_err());
    }

    #[test]
    fn rule_list_snapshot() {
        let list: Vec<String> =
            REGISTRY.iter().map(|r| format!("{} [{}] {}", r.id, r.default_level.as_str(), r.checks)).collect();
        insta::assert_snapshot!(list.join("\n"));
    }

    #[test]
    fn default_levels_follow_the_table() {
        use Level::*;
        let levels: Vec<Level> = REGISTRY.iter().map(|r| r.default_level).collect();
        assert_eq!(levels, vec![Deny, Deny, Deny, Deny, Deny, Deny, Warn, Allow, Warn, Warn]);
    }
}

/// Builders shared by the rule tests.
#[cfg(test)]
pub(crate) mod test_support {
    use chrono::{DateTime, TimeZone, Utc};

    use super::{Outcome, RuleContext, Status};
    use crate::inventory::{AndroidMode, AppEvidence, Device, Platform, TenantFacts};
    use crate::rules::Settings;

    /// The audit time of every rule test.
    pub fn as_of() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).single().expect("valid test date")
    }

    pub fn settings() -> Settings {
        Settings::new(as_of())
    }

    /// Runs a rule's decision with `settings` and tenant facts that were not read.
    pub fn evaluate_with(
        evaluate: fn(&Device, &RuleContext<'_>) -> Outcome,
        device: &Device,
        settings: &Settings,
    ) -> Outcome {
        evaluate(device, &RuleContext { settings, tenant: &TenantFacts::default() })
    }

    /// Runs a rule's decision with the default settings and tenant facts that were not read.
    pub fn evaluate_default(evaluate: fn(&Device, &RuleContext<'_>) -> Outcome, device: &Device) -> Outcome {
        evaluate_with(evaluate, device, &settings())
    }

    pub fn ios() -> Device {
        Device { platform: Platform::Ios, operating_system: "iOS".into(), ..Default::default() }
    }

    pub fn android(mode: AndroidMode) -> Device {
        Device {
            platform: Platform::Android,
            operating_system: "Android".into(),
            android_mode: Some(mode),
            ..Default::default()
        }
    }

    /// A managed corporate iOS device of `recipient`, checked in a day before [`as_of`], with a current
    /// Company Portal: it passes every deny and warn rule.
    pub fn ready_ios(id: &str, recipient: &str) -> Device {
        Device {
            id: id.to_owned(),
            recipient: Some(recipient.into()),
            user_id: Some(format!("id-{recipient}")),
            management_agent: Some("mdm".into()),
            management_state: Some("managed".into()),
            ownership: "company".into(),
            inventory_complete: true,
            last_sync: Some(as_of() - chrono::Duration::days(1)),
            apps: vec![app("Company Portal", Some("5.2409.1"))],
            ..ios()
        }
    }

    pub fn app(name: &str, version: Option<&str>) -> AppEvidence {
        AppEvidence { name: name.into(), id: None, version: version.map(Into::into) }
    }

    pub fn app_id(name: &str, id: &str, version: Option<&str>) -> AppEvidence {
        AppEvidence { name: name.into(), id: Some(id.into()), version: version.map(Into::into) }
    }

    /// Asserts the status and that the reason is a real sentence; returns the reason for more checks.
    #[track_caller]
    pub fn check(outcome: Outcome, status: Status) -> String {
        assert_eq!(outcome.status, status, "reason: {}", outcome.reason);
        let reason = outcome.reason.into_owned();
        assert!(reason.len() > 15 && !reason.contains("TODO"), "reason too thin: {reason:?}");
        reason
    }
}
