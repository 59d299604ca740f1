//! `google-play-services`: on Android, is Google Play services on the device?
//!
//! Android custom notifications need Google Play services (memdocs custom-notifications.md, 2020 and
//! 2023; the 2025 text dropped the sentence, so the rule stays on by default and is configurable).
//! AOSP devices have none. Presence in app inventory is proof; absence is proof only where the
//! inventory lists every app (docs/rules.md, the rule and the app catalogue).

use super::Settings;
use super::{Level, Outcome, Rule, RuleId, Status};
use crate::inventory::{AndroidMode, Device, Platform};

pub const RULE: Rule = Rule {
    id: RuleId::GooglePlayServices,
    default_level: Level::Deny,
    checks: "On Android, Google Play services is on the device.",
    fail_means: "Android custom notifications need Google Play services; without it they do not arrive.",
    fix: "Use an Android device with Google Play services; AOSP devices cannot receive notifications.",
    decision: &[
        (Status::Pass, "Android: Google Play services is in the device's app evidence."),
        (Status::Fail, "Android AOSP; or Google Play services is missing and the app inventory lists every app."),
        (Status::Unknown, "Android: missing from an inventory that may not list every app."),
        (Status::NotApplicable, "the device is not Android."),
    ],
    sources: &[
        "Android needs Google Play services (memdocs: custom-notifications.md, 2020 and 2023 versions)",
        "Package names (memdocs: intune/intune-service/apps/apps-add-android-for-work.md)",
    ],
    caveat: None,
    evaluate,
};

fn evaluate(device: &Device, settings: &Settings) -> Outcome {
    if device.platform != Platform::Android {
        return Outcome::not_applicable("Google Play services is needed on Android only");
    }
    if device.android_mode == Some(AndroidMode::Aosp) {
        return Outcome::fail("Android (AOSP) devices have no Google Play services");
    }
    if settings.apps.has_google_play_services(device) {
        Outcome::pass("Google Play services found in the device's app inventory")
    } else if device.inventory_complete {
        Outcome::fail("Google Play services is not installed (the device's app inventory lists every app)")
    } else {
        Outcome::unknown(
            "Google Play services is not in the device's app inventory, which may not list every app; it may still be installed",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::AppEvidence;
    use crate::rules::test_support::{android, app, app_id, check, ios, settings};
    use crate::rules::Status;

    fn run(mode: AndroidMode, complete: bool, apps: Vec<AppEvidence>) -> Outcome {
        let device = Device { inventory_complete: complete, apps, ..android(mode) };
        evaluate(&device, &settings())
    }

    #[test]
    fn aosp_fails_even_with_the_app_listed() {
        let reason = check(run(AndroidMode::Aosp, false, vec![]), Status::Fail);
        assert!(reason.contains("AOSP"), "{reason}");
        check(run(AndroidMode::Aosp, true, vec![app("Google Play services", None)]), Status::Fail);
    }

    #[test]
    fn found_passes() {
        check(run(AndroidMode::PersonalWorkProfile, false, vec![app("Google Play services", None)]), Status::Pass);
        check(run(AndroidMode::FullyManaged, true, vec![app(" google play SERVICES ", Some("25.1"))]), Status::Pass);
        check(
            run(AndroidMode::Unknown, false, vec![app_id("Play-Dienste", "com.google.android.gms", None)]),
            Status::Pass,
        );
    }

    #[test]
    fn missing_with_complete_inventory_fails() {
        let reason = check(run(AndroidMode::Dedicated, true, vec![app("Company Portal", None)]), Status::Fail);
        assert!(reason.contains("not installed"), "{reason}");
    }

    #[test]
    fn missing_with_incomplete_inventory_is_unknown() {
        check(run(AndroidMode::PersonalWorkProfile, false, vec![app("Company Portal", None)]), Status::Unknown);
    }

    #[test]
    fn android_without_a_mode_follows_the_inventory() {
        let device = Device { platform: Platform::Android, ..Default::default() };
        check(evaluate(&device, &settings()), Status::Unknown);
    }

    #[test]
    fn not_android_is_not_applicable() {
        check(evaluate(&Device { inventory_complete: true, ..ios() }, &settings()), Status::NotApplicable);
        check(evaluate(&Device::default(), &settings()), Status::NotApplicable);
        let other = Device { platform: Platform::Other, ..Default::default() };
        check(evaluate(&other, &settings()), Status::NotApplicable);
    }
}
