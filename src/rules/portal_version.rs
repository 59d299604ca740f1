//! `portal-version`: is the receiving app new enough to show the message?
//!
//! Android needs Company Portal >= 5.0.5291.0 or the Microsoft Intune app >= 2021.09.04; older apps
//! show an "update your app" notice instead of the message (memdocs custom-notifications.md, 2023).
//! The minimum supported iOS Company Portal is 5.2311.1 ("users are prompted for an update at sign
//! in"); what an older iOS app does with a custom notification is not documented, so below it is
//! unknown, not fail. Every receiving app found is looked at: pass if any meets its minimum, else
//! unknown if any version cannot be compared (or, on iOS, is below), else fail (docs/rules.md). The
//! minimums are configurable ([`crate::inventory::AppCatalog`]); versions are compared numerically
//! part by part.

use std::cmp::Ordering;

use super::{Level, Outcome, Rule, RuleContext, RuleId, Status};
use crate::inventory::{AppKind, Device, Platform};

pub const RULE: Rule = Rule {
    id: RuleId::PortalVersion,
    default_level: Level::Deny,
    checks: "The receiving app meets its minimum version: Android Company Portal 5.0.5291.0 or Intune app 2021.09.04, iOS Company Portal 5.2311.1 (configurable).",
    fail_means: "Older Android apps show an \"update your app\" notice instead of the message.",
    fix: "Update Company Portal (or the Microsoft Intune app) from the App Store, Google Play or the managed store.",
    decision: &[
        (Status::Pass, "some receiving app found meets its minimum (Android: Company Portal 5.0.5291.0, Intune app 2021.09.04; iOS: Company Portal 5.2311.1), compared numerically part by part."),
        (Status::Fail, "Android: every receiving app found is below its minimum."),
        (Status::Unknown, "none meets its minimum and some version cannot be compared; or iOS: Company Portal is below 5.2311.1 (users are asked to update at sign-in; what an older app does with the message is not documented)."),
        (Status::NotApplicable, "no receiving app was found, or the device is neither iOS/iPadOS nor Android."),
    ],
    sources: &[
        "Minimum Android app versions for custom notifications (memdocs: custom-notifications.md, 2023)",
        "Minimum supported iOS Company Portal 5.2311.1 (memdocs: Company Portal app configuration, Oct 2025)",
    ],
    caveat: None,
    evaluate,
};

/// What users are told below the iOS minimum.
const IOS_BELOW: &str = "below the minimum supported iOS Company Portal; users are asked to update at sign-in";

fn evaluate(device: &Device, context: &RuleContext<'_>) -> Outcome {
    let platform = device.platform;
    if !matches!(platform, Platform::Android | Platform::Ios) {
        return Outcome::not_applicable("the minimum app versions apply to iOS/iPadOS and Android only");
    }
    let apps = &context.settings.apps;
    let mut found = false;
    // Below its minimum: (the app, its version, the minimum).
    let mut below: Vec<(AppKind, &str, &str)> = Vec::new();
    let mut uncomparable: Vec<String> = Vec::new();
    for (kind, app) in apps.receiving_apps(device) {
        found = true;
        let label = kind.label();
        let min = apps.min_version(kind, platform).unwrap_or("");
        let entry = match app.version.as_deref().map(str::trim) {
            None => format!("{label} has no version in the app inventory"),
            Some(v) => match compare_versions(v, min) {
                Some(Ordering::Greater | Ordering::Equal) => {
                    return Outcome::pass(format!("{label} {v} meets the minimum version {min}"));
                }
                Some(Ordering::Less) => {
                    if !below.contains(&(kind, v, min)) {
                        below.push((kind, v, min));
                    }
                    continue;
                }
                None if parse_version(v).is_none() => format!("{label} version `{v}` is not a comparable version"),
                None => format!("the configured minimum `{min}` for {label} is not a comparable version"),
            },
        };
        if !uncomparable.contains(&entry) {
            uncomparable.push(entry);
        }
    }
    if !found {
        return Outcome::not_applicable("no receiving app was found, so there is no version to check");
    }
    if platform == Platform::Ios && !below.is_empty() {
        // Only Company Portal receives on iOS, so one minimum.
        let versions: Vec<&str> = below.iter().map(|(_, v, _)| *v).collect();
        uncomparable.push(format!(
            "Company Portal {} is {IOS_BELOW} (minimum {})",
            versions.join(", "),
            apps.ios_company_portal_min_version
        ));
    }
    if !uncomparable.is_empty() {
        return Outcome::unknown(uncomparable.join("; "));
    }
    let below: Vec<String> =
        below.iter().map(|(kind, v, min)| format!("{} {v} is below {min}", kind.label())).collect();
    Outcome::fail(format!(
        "{}; older Android apps show an \"update your app\" notice instead of the message",
        below.join("; ")
    ))
}

/// The parts of a dotted numeric version with leading zeros removed (`""` is zero), or `None` when
/// the text is blank or a part is not all digits. Keeping the digits as text means no overflow.
fn parse_version(text: &str) -> Option<Vec<&str>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    text.split('.')
        .map(|part| {
            (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())).then(|| part.trim_start_matches('0'))
        })
        .collect()
}

/// Compares two versions numerically part by part, missing parts counting as 0; `None` when either
/// is not a version.
fn compare_versions(a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (parse_version(a)?, parse_version(b)?);
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or("");
        let y = b.get(i).copied().unwrap_or("");
        let order = x.len().cmp(&y.len()).then_with(|| x.cmp(y));
        if order != Ordering::Equal {
            return Some(order);
        }
    }
    Some(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{AndroidMode, AppEvidence};
    use crate::rules::test_support::{android, app, app_id, check, evaluate_default, evaluate_with, ios, settings};
    use crate::rules::Status;

    fn run(apps: Vec<AppEvidence>) -> Outcome {
        let device = Device { apps, ..android(AndroidMode::PersonalWorkProfile) };
        evaluate_default(evaluate, &device)
    }

    fn run_ios(apps: Vec<AppEvidence>) -> Outcome {
        evaluate_default(evaluate, &Device { apps, ..ios() })
    }

    #[test]
    fn versions_compare_numerically_part_by_part() {
        use Ordering::*;
        assert_eq!(compare_versions("5.0.6", "5.0.5291.0"), Some(Less));
        assert_eq!(compare_versions("5.0.5291.0", "5.0.6"), Some(Greater));
        assert_eq!(compare_versions("2021.09.04", "2021.10.01"), Some(Less));
        assert_eq!(compare_versions("2021.10.01", "2021.09.04"), Some(Greater));
        assert_eq!(compare_versions("5.0.5291", "5.0.5291.0"), Some(Equal));
        assert_eq!(compare_versions("5.0.5291.0.0", "5.0.5291"), Some(Equal));
        assert_eq!(compare_versions("5.0.5291.1", "5.0.5291"), Some(Greater));
        assert_eq!(compare_versions("10", "9.99"), Some(Greater));
        assert_eq!(compare_versions("007.1", "7.01"), Some(Equal));
        assert_eq!(compare_versions(" 5.0.6000.0 ", "5.0.5291.0"), Some(Greater));
        assert_eq!(compare_versions("99999999999999999999999.1", "99999999999999999999999.0"), Some(Greater));
    }

    #[test]
    fn non_numeric_versions_are_not_comparable() {
        for bad in ["", "  ", "5.0.x", "5..0", "5.0.", ".5", "v5.0", "5.0.5291 (123)", "+5", "5. 0", "-1"] {
            assert_eq!(compare_versions(bad, "1"), None, "{bad:?}");
            assert_eq!(compare_versions("1", bad), None, "{bad:?}");
        }
    }

    #[test]
    fn other_platforms_are_not_applicable() {
        for platform in [Platform::Other, Platform::Unknown] {
            let other = Device { platform, apps: vec![app("Company Portal", Some("1.0"))], ..Default::default() };
            check(evaluate_default(evaluate, &other), Status::NotApplicable);
        }
    }

    #[test]
    fn no_receiving_app_is_not_applicable() {
        check(run(vec![]), Status::NotApplicable);
        check(run(vec![app("Google Play services", Some("25.1"))]), Status::NotApplicable);
        check(run_ios(vec![]), Status::NotApplicable);
        // The Intune app is no receiving app on iOS.
        check(run_ios(vec![app("Microsoft Intune", Some("2020.01.01"))]), Status::NotApplicable);
    }

    #[test]
    fn ios_company_portal_at_or_above_its_minimum_passes() {
        let reason = check(run_ios(vec![app("Company Portal", Some("5.2409.1"))]), Status::Pass);
        assert!(reason.contains("5.2409.1") && reason.contains("5.2311.1"), "{reason}");
        check(run_ios(vec![app("Comp Portal", Some("5.2311.1"))]), Status::Pass);
        check(run_ios(vec![app_id("Portail", "com.microsoft.CompanyPortal", Some("5.2501"))]), Status::Pass);
    }

    #[test]
    fn ios_company_portal_below_its_minimum_is_unknown_not_fail() {
        let reason = check(run_ios(vec![app("Company Portal", Some("5.2310.1"))]), Status::Unknown);
        assert_eq!(
            reason,
            "Company Portal 5.2310.1 is below the minimum supported iOS Company Portal; users are asked to update at sign-in (minimum 5.2311.1)"
        );
        // The Android minimum does not apply on iOS.
        check(run_ios(vec![app("Company Portal", Some("5.0.9999.0"))]), Status::Unknown);
        // Pass wins: any app at its minimum.
        check(
            run_ios(vec![app("Company Portal", Some("5.2310.1")), app("Company Portal", Some("5.2503.0"))]),
            Status::Pass,
        );
    }

    #[test]
    fn ios_unparseable_version_is_unknown_and_joins_below() {
        let reason = check(run_ios(vec![app("Company Portal", Some("latest"))]), Status::Unknown);
        assert!(reason.contains("latest"), "{reason}");
        let both =
            check(run_ios(vec![app("Company Portal", Some("5.2310.1")), app("Company Portal", None)]), Status::Unknown);
        assert!(both.contains("no version") && both.contains("5.2310.1 is below the minimum"), "{both}");
    }

    #[test]
    fn the_ios_minimum_is_configurable() {
        let mut settings = settings();
        settings.apps.ios_company_portal_min_version = "5.2501.0".into();
        let device = Device { apps: vec![app("Company Portal", Some("5.2409.1"))], ..ios() };
        check(evaluate_with(evaluate, &device, &settings), Status::Unknown);
        settings.apps.ios_company_portal_min_version = "5.2409".into();
        check(evaluate_with(evaluate, &device, &settings), Status::Pass);
    }

    #[test]
    fn company_portal_at_or_above_minimum_passes() {
        let reason = check(run(vec![app("Company Portal", Some("5.0.6301.0"))]), Status::Pass);
        assert!(reason.contains("5.0.6301.0") && reason.contains("5.0.5291.0"), "{reason}");
        check(run(vec![app("Company Portal", Some("5.0.5291"))]), Status::Pass);
        check(run(vec![app("Company Portal", Some(" 5.0.5291.0 "))]), Status::Pass);
        check(run(vec![app_id("Portail", "com.microsoft.windowsintune.companyportal", Some("5.1"))]), Status::Pass);
    }

    #[test]
    fn intune_app_uses_its_own_minimum() {
        check(run(vec![app("Microsoft Intune", Some("2021.10.01"))]), Status::Pass);
        check(run(vec![app("Microsoft Intune", Some("2021.09.04"))]), Status::Pass);
        let reason = check(run(vec![app("Intune", Some("2021.08.30"))]), Status::Fail);
        assert!(reason.contains("2021.09.04"), "{reason}");
    }

    #[test]
    fn below_minimum_fails() {
        let reason = check(run(vec![app("Company Portal", Some("5.0.6"))]), Status::Fail);
        assert!(reason.starts_with("Company Portal 5.0.6 is below 5.0.5291.0"), "{reason}");
        assert!(reason.contains("update your app"), "{reason}");
        let both = check(
            run(vec![app("Company Portal", Some("5.0.5000.0")), app("Microsoft Intune", Some("2020.01.01"))]),
            Status::Fail,
        );
        assert!(both.contains("Company Portal") && both.contains("Microsoft Intune app"), "{both}");
    }

    #[test]
    fn unparseable_or_missing_version_is_unknown() {
        let reason = check(run(vec![app("Company Portal", Some("latest"))]), Status::Unknown);
        assert!(reason.contains("latest"), "{reason}");
        check(run(vec![app("Company Portal", None)]), Status::Unknown);
        check(run(vec![app("Company Portal", Some(""))]), Status::Unknown);
    }

    #[test]
    fn any_app_meeting_its_minimum_passes() {
        let apps = vec![
            app("Company Portal", Some("5.0.1")),
            app("Company Portal", None),
            app("Company Portal", Some("5.0.6301.0")),
        ];
        check(run(apps), Status::Pass);
        check(run(vec![app("Company Portal", Some("4.0")), app("Intune", Some("2024.05.01"))]), Status::Pass);
    }

    #[test]
    fn unknown_wins_over_fail_when_none_meets() {
        let apps = vec![app("Company Portal", Some("5.0.1")), app("Microsoft Intune", Some("n/a"))];
        check(run(apps), Status::Unknown);
    }

    #[test]
    fn a_bad_configured_minimum_is_unknown() {
        let mut settings = settings();
        settings.apps.company_portal_min_version = "five".into();
        let device = Device { apps: vec![app("Company Portal", Some("5.0.6301.0"))], ..android(AndroidMode::Unknown) };
        let reason = check(evaluate_with(evaluate, &device, &settings), Status::Unknown);
        assert!(reason.contains("five"), "{reason}");
    }
}
