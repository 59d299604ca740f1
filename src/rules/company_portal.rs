//! `company-portal`: is the app that receives custom notifications on the device?
//!
//! Company Portal processes custom notifications and raises the push notification; on Android the
//! Microsoft Intune app can do this too (memdocs intune/intune-service/remote-actions/
//! custom-notifications.md). App inventory is proof of presence, but proof of absence only where it
//! lists every app (`inventory_complete`), so a missing app is a fail only there (docs/rules.md,
//! rules table and the app-inventory fact). Matching names and ids come from the settings' catalog.

use super::Settings;
use super::{Level, Outcome, Rule, RuleId, Status};
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
        (Status::Fail, "no receiving app, and the device's app inventory lists every app (corporate iOS, corporate device administrator, Android fully managed, dedicated, corporate work profile)."),
        (Status::Unknown, "no receiving app, and the inventory may not list every app (personally-owned devices list managed apps only)."),
        (Status::NotApplicable, "the platform is neither iOS/iPadOS nor Android."),
    ],
    sources: &[
        "Company Portal (or the Intune app on Android) processes custom notifications (memdocs: intune/intune-service/remote-actions/custom-notifications.md)",
        "App inventory coverage by ownership and mode (memdocs: intune/intune-service/apps/app-discovered-apps.md)",
    ],
    caveat: None,
    evaluate,
};

fn evaluate(device: &Device, settings: &Settings) -> Outcome {
    let ios = match device.platform {
        Platform::Ios => true,
        Platform::Android => false,
        Platform::Other | Platform::Unknown => {
            return Outcome::not_applicable("custom notifications are received only on iOS/iPadOS and Android")
        }
    };
    if let Some((kind, _)) = settings.apps.receiving_apps(device).next() {
        return Outcome::pass(match kind {
            AppKind::IntuneApp => "the Microsoft Intune app found in the device's app inventory",
            _ => "Company Portal found in the device's app inventory",
        });
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
    use crate::inventory::{AndroidMode, AppEvidence};
    use crate::rules::test_support::{android, app, app_id, check, ios, settings};
    use crate::rules::Status;

    fn with(mut device: Device, complete: bool, apps: Vec<AppEvidence>) -> Device {
        device.inventory_complete = complete;
        device.apps = apps;
        device
    }

    fn run(device: &Device) -> Outcome {
        evaluate(device, &settings())
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
