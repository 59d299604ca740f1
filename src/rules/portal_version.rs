//! `portal-version`: on Android, is the receiving app new enough to show the message?
//!
//! Android needs Company Portal >= 5.0.5291.0 or the Microsoft Intune app >= 2021.09.04; older apps
//! show an "update your app" notice instead of the message (memdocs custom-notifications.md, 2023).
//! Every receiving app found is looked at: pass if any meets its minimum, else unknown if any version
//! cannot be compared, else fail (docs/rules.md). The minimums are
//! configurable ([`crate::inventory::AppCatalog`]); versions are compared numerically part by part.

use std::cmp::Ordering;

use super::Settings;
use super::{Level, Outcome, Rule, RuleId, Status};
use crate::inventory::AppKind;
use crate::inventory::{Device, Platform};

pub const RULE: Rule = Rule {
    id: RuleId::PortalVersion,
    default_level: Level::Deny,
    checks: "On Android, Company Portal >= 5.0.5291.0 or the Intune app >= 2021.09.04 (configurable).",
    fail_means: "Older apps show an \"update your app\" notice instead of the message.",
    fix: "Update Company Portal or the Microsoft Intune app from Google Play or the managed store.",
    decision: &[
        (Status::Pass, "Android: some receiving app found meets its minimum (Company Portal 5.0.5291.0, Intune app 2021.09.04), compared numerically part by part."),
        (Status::Fail, "Android: every receiving app found is below its minimum."),
        (Status::Unknown, "Android: none meets its minimum and some version cannot be compared."),
        (Status::NotApplicable, "no receiving app was found, or the device is not Android."),
    ],
    sources: &[
        "Minimum Android app versions for custom notifications (memdocs: custom-notifications.md, 2023)",
    ],
    caveat: None,
    evaluate,
};

fn label(kind: AppKind) -> &'static str {
    match kind {
        AppKind::CompanyPortal => "Company Portal",
        AppKind::IntuneApp => "Microsoft Intune app",
        AppKind::GooglePlayServices => "Google Play services",
    }
}

fn evaluate(device: &Device, settings: &Settings) -> Outcome {
    if device.platform != Platform::Android {
        return Outcome::not_applicable("the minimum app versions apply to Android only");
    }
    let mut found = false;
    let mut below: Vec<String> = Vec::new();
    let mut uncomparable: Vec<String> = Vec::new();
    for (kind, app) in settings.apps.receiving_apps(device) {
        found = true;
        let label = label(kind);
        let min = settings.apps.min_version(kind).unwrap_or("");
        let version = app.version.as_deref().map(str::trim);
        let (entry, list) = match version {
            None => (format!("{label} has no version in the app inventory"), &mut uncomparable),
            Some(v) => match compare_versions(v, min) {
                Some(Ordering::Greater | Ordering::Equal) => {
                    return Outcome::pass(format!("{label} {v} meets the minimum version {min}"));
                }
                Some(Ordering::Less) => (format!("{label} {v} is older than {min}"), &mut below),
                None if parse_version(v).is_none() => {
                    (format!("{label} version `{v}` is not a comparable version"), &mut uncomparable)
                }
                None => (
                    format!("the configured minimum `{min}` for {label} is not a comparable version"),
                    &mut uncomparable,
                ),
            },
        };
        if !list.contains(&entry) {
            list.push(entry);
        }
    }
    if !found {
        Outcome::not_applicable("no receiving app was found, so there is no version to check")
    } else if !uncomparable.is_empty() {
        Outcome::unknown(uncomparable.join("; "))
    } else {
        Outcome::fail(format!(
            "{}; older apps show an \"update your app\" notice instead of the message",
            below.join("; ")
        ))
    }
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
    use crate::rules::test_support::{android, app, app_id, check, ios, settings};
    use crate::rules::Status;

    fn run(apps: Vec<AppEvidence>) -> Outcome {
        let device = Device { apps, ..android(AndroidMode::PersonalWorkProfile) };
        evaluate(&device, &settings())
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
    fn not_android_is_not_applicable() {
        let device = Device { apps: vec![app("Company Portal", Some("1.0"))], ..ios() };
        check(evaluate(&device, &settings()), Status::NotApplicable);
        let other =
            Device { platform: Platform::Other, apps: vec![app("Company Portal", Some("1.0"))], ..Default::default() };
        check(evaluate(&other, &settings()), Status::NotApplicable);
    }

    #[test]
    fn no_receiving_app_is_not_applicable() {
        check(run(vec![]), Status::NotApplicable);
        check(run(vec![app("Google Play services", Some("25.1"))]), Status::NotApplicable);
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
        assert!(reason.contains("5.0.6 is older than 5.0.5291.0"), "{reason}");
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
        let reason = check(evaluate(&device, &settings), Status::Unknown);
        assert!(reason.contains("five"), "{reason}");
    }
}
