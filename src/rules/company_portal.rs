//! `company-portal`: is the app that receives custom notifications on the device?
//!
//! Company Portal processes custom notifications and raises the push notification; on Android the
//! Microsoft Intune app can do this too (memdocs intune/intune-service/remote-actions/
//! custom-notifications.md). App inventory is proof of presence, but proof of absence only where it
//! lists every app (`inventory_complete`) and has refreshed since enrollment (7 days, [`super::refresh`]),
//! so a missing app is a fail only there (docs/rules.md, rules table and the app-inventory fact).
//! Matching names and ids come from the settings' catalog.

use super::refresh::{recent_enrollment, refresh_reason};
use super::{Level, Outcome, Rule, RuleContext, RuleId, Status};
use crate::inventory::AppKind;
use crate::inventory::{Device, Platform};

pub const RULE: Rule = Rule {
    id: RuleId::CompanyPortal,
    default_level: Level::Deny,
    checks: "Company Portal (or, on Android, the Microsoft Intune app) is installed on the device.",
    fail_means: "No app on the device can receive the custom notification and show it.",
    fix: "Deploy Company Portal (iOS, Android) or the Microsoft Intune app (Android) as a required app.",
    decision: &[
        (Status::Pass, "a receiving app is in the device's app evidence (iOS: Company Portal; Android: Company Portal or the Microsoft Intune app), matched by name or package id."),
        (Status::Fail, "no receiving app, the device's app inventory lists every app (corporate iOS other than Apple User Enrollment, corporate device administrator, Android fully managed, dedicated, corporate work profile), and the device enrolled 7 days or more before the audit (or has no enrollment time)."),
        (Status::Unknown, "no receiving app, and the inventory may not list every app (personally-owned devices list managed apps only; Apple User Enrollment the managed volume only), or the device enrolled less than 7 days before the audit (inventory refreshes every 7 days from enrollment; a time in the future counts as recent)."),
        (Status::NotApplicable, "the platform is neither iOS/iPadOS nor Android."),
    ],
    sources: &[
        "Company Portal (or the Intune app on Android) processes custom notifications (memdocs: intune/intune-service/remote-actions/custom-notifications.md)",
        "App inventory coverage by ownership and mode, refreshed every 7 days from enrollment (memdocs: intune/intune-service/apps/app-discovered-apps.md)",
        "Apple User Enrollment inventories the managed volume only (memdocs: intune/intune-service/enrollment/ios-user-enrollment-supported-actions.md)",
    ],
    caveat: None,
    evaluate,
};

fn evaluate(device: &Device, context: &RuleContext<'_>) -> Outcome {
    let ios = match device.platform {
        Platform::Ios => true,
        Platform::Android => false,
        Platform::Other | Platform::Unknown => {
            return Outcome::not_applicable("custom notifications are received only on iOS/iPadOS and Android")
        }
    };
    if let Some((kind, _)) = context.settings.apps.receiving_apps(device).next() {
        return Outcome::pass(match kind {
            AppKind::IntuneApp => "the Microsoft Intune app found in the device's app inventory",
            _ => "Company Portal found in the device's app inventory",
        });
    }
    if let Some(age) = recent_enrollment(device, context.settings.as_of) {
        return Outcome::unknown(refresh_reason(age));
    }
    match (ios, device.inventory_complete) {
        (true, true) => Outcome::fail("Company Portal is not installed (the device's app inventory lists every app)"),
        (false, true) => Outcome::fail(
            "neither Company Portal nor the Microsoft Intune app is installed (the device's app inventory lists every app)",
        ),
        (true, false) => Outcome::unknown(
            "Company Portal is not in the device's app inventory, which may not list every app; it may still be installed",
        ),
        (false, false) => Outcome::unknown(
            "neither Company Portal nor the Microsoft Intune app is in the device's app inventory, which may not list every app",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    use crate::inventory::{AndroidMode, AppEvidence, Enrollment};
    use crate::rules::test_support::{android, app, app_id, as_of, check, evaluate_default, ios};
    use crate::rules::Status;

    fn with(mut device: Device, complete: bool, apps: Vec<AppEvidence>) -> Device {
        device.inventory_complete = complete;
        device.apps = apps;
        device
    }

    fn run(device: &Device) -> Outcome {
        evaluate_default(evaluate, device)
    }

    fn enrolled(device: Device, before_audit: TimeDelta) -> Device {
        Device { enrolled_at: Some(as_of() - before_audit), ..device }
    }

    #[test]
    fn ios_with_company_portal_passes() {
        for complete in [true, false] {
            let device = with(ios(), complete, vec![app("Outlook", None), app("Company Portal", Some("5.2"))]);
            assert!(check(run(&device), Status::Pass).contains("Company Portal"));
        }
        let by_id = with(ios(), false, vec![app_id("Portail", "com.microsoft.CompanyPortal", None)]);
        check(run(&by_id), Status::Pass);
        let renamed = with(ios(), false, vec![app(" intune company portal ", None)]);
        check(run(&renamed), Status::Pass);
    }

    #[test]
    fn ios_does_not_accept_the_intune_app() {
        let device = with(ios(), true, vec![app("Microsoft Intune", Some("2024.01.01"))]);
        check(run(&device), Status::Fail);
    }

    #[test]
    fn android_with_company_portal_or_intune_app_passes() {
        let portal = with(android(AndroidMode::PersonalWorkProfile), false, vec![app("Company Portal", None)]);
        assert!(check(run(&portal), Status::Pass).contains("Company Portal"));
        let intune = with(android(AndroidMode::FullyManaged), true, vec![app("Intune", Some("2024.01.01"))]);
        assert!(check(run(&intune), Status::Pass).contains("Intune app"));
        let by_id = with(android(AndroidMode::Dedicated), true, vec![app_id("x", "com.microsoft.intune", None)]);
        check(run(&by_id), Status::Pass);
    }

    #[test]
    fn missing_with_complete_inventory_fails() {
        let device = with(ios(), true, vec![app("Outlook", None)]);
        assert!(check(run(&device), Status::Fail).contains("not installed"));
        let device = with(android(AndroidMode::FullyManaged), true, vec![]);
        assert!(check(run(&device), Status::Fail).contains("Intune app"));
    }

    #[test]
    fn missing_with_incomplete_inventory_is_unknown() {
        check(run(&with(ios(), false, vec![])), Status::Unknown);
        let device = with(android(AndroidMode::PersonalWorkProfile), false, vec![app("Google Play services", None)]);
        check(run(&device), Status::Unknown);
    }

    #[test]
    fn missing_on_a_recently_enrolled_device_is_unknown_even_with_complete_inventory() {
        let device = enrolled(with(ios(), true, vec![]), TimeDelta::days(3) + TimeDelta::hours(2));
        let reason = check(run(&device), Status::Unknown);
        assert_eq!(reason, "enrolled 3 days ago: app inventory refreshes every 7 days from enrollment");
        let device = enrolled(with(android(AndroidMode::FullyManaged), true, vec![]), TimeDelta::hours(5));
        assert!(check(run(&device), Status::Unknown).contains("less than a day ago"));
        let future = enrolled(with(ios(), true, vec![]), TimeDelta::hours(-3));
        assert!(check(run(&future), Status::Unknown).contains("after the audit time"));
        // Recent and an incomplete inventory: still unknown, with the enrollment reason.
        let personal = enrolled(with(ios(), false, vec![]), TimeDelta::days(1));
        assert!(check(run(&personal), Status::Unknown).starts_with("enrolled 1 day ago"));
    }

    #[test]
    fn enrolled_exactly_seven_days_ago_is_no_longer_recent() {
        let device = enrolled(with(ios(), true, vec![]), TimeDelta::days(7));
        check(run(&device), Status::Fail);
        let inside = enrolled(with(ios(), true, vec![]), TimeDelta::days(7) - TimeDelta::seconds(1));
        check(run(&inside), Status::Unknown);
        let long_ago = enrolled(with(ios(), true, vec![]), TimeDelta::days(400));
        check(run(&long_ago), Status::Fail);
    }

    #[test]
    fn presence_passes_whenever_the_device_enrolled() {
        let device = enrolled(with(ios(), true, vec![app("Comp Portal", Some("5.2409.1"))]), TimeDelta::days(1));
        check(run(&device), Status::Pass);
    }

    #[test]
    fn apple_user_enrollment_absence_is_unknown() {
        // Classification makes its inventory incomplete whatever the ownership.
        let device = Device {
            enrollment: Enrollment::AppleUserEnrollment,
            ownership: "company".into(),
            ..with(ios(), false, vec![])
        };
        check(run(&device), Status::Unknown);
    }

    #[test]
    fn other_and_unknown_platforms_are_not_applicable() {
        for platform in [Platform::Other, Platform::Unknown] {
            let device = Device {
                platform,
                inventory_complete: true,
                apps: vec![app("Company Portal", None)],
                ..Default::default()
            };
            check(run(&device), Status::NotApplicable);
        }
    }
}
