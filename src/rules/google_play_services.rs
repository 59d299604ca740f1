//! `google-play-services`: on Android, is Google Play services on the device?
//!
//! Android custom notifications need Google Play services (memdocs custom-notifications.md, 2020 and
//! 2023; the 2025 text dropped the sentence, so the rule stays on by default and is configurable).
//! AOSP devices have none. Presence in app inventory is proof; absence is proof only where the
//! inventory lists system apps (`system_apps_complete`: corporate device administrator) and has
//! refreshed since enrollment (7 days, [`super::refresh`]). Android Enterprise inventories list the
//! work profile's apps, or managed and some system apps, so an absence there proves nothing
//! (docs/rules.md; memdocs app-discovered-apps.md).

use super::refresh::{recent_enrollment, refresh_reason};
use super::{Level, Outcome, Rule, RuleContext, RuleId, Status};
use crate::inventory::{AndroidMode, Device, Platform};

pub const RULE: Rule = Rule {
    id: RuleId::GooglePlayServices,
    default_level: Level::Deny,
    checks: "On Android, Google Play services is on the device.",
    fail_means: "Android custom notifications need Google Play services; without it they do not arrive.",
    fix: "Use an Android device with Google Play services; AOSP devices cannot receive notifications.",
    decision: &[
        (Status::Pass, "Android: Google Play services is in the device's app evidence."),
        (Status::Fail, "Android AOSP; or Google Play services is missing, the app inventory lists system apps (corporate device administrator only) and the device enrolled 7 days or more before the audit (or has no enrollment time)."),
        (Status::Unknown, "Android: missing from an inventory that may not list system apps (every Android Enterprise mode, personal device administrator), or the device enrolled less than 7 days before the audit (a time in the future counts as recent)."),
        (Status::NotApplicable, "the device is not Android."),
    ],
    sources: &[
        "Android needs Google Play services (memdocs: custom-notifications.md, 2020 and 2023 versions)",
        "Package names (memdocs: intune/intune-service/apps/apps-add-android-for-work.md)",
        "System apps in app inventory by mode, refreshed every 7 days from enrollment (memdocs: intune/intune-service/apps/app-discovered-apps.md)",
    ],
    caveat: None,
    evaluate,
};

fn evaluate(device: &Device, context: &RuleContext<'_>) -> Outcome {
    if device.platform != Platform::Android {
        return Outcome::not_applicable("Google Play services is needed on Android only");
    }
    if device.android_mode == Some(AndroidMode::Aosp) {
        return Outcome::fail("Android (AOSP) devices have no Google Play services");
    }
    if context.settings.apps.has_google_play_services(device) {
        return Outcome::pass("Google Play services found in the device's app inventory");
    }
    if let Some(age) = recent_enrollment(device, context.settings.as_of) {
        return Outcome::unknown(refresh_reason(age));
    }
    // A source that read no app inventory at all clears `inventory_complete` only: both must hold.
    if device.system_apps_complete && device.inventory_complete {
        Outcome::fail("Google Play services is not installed (the device's app inventory lists system apps)")
    } else {
        Outcome::unknown(
            "Google Play services is not in the device's app inventory, which may not list system apps; it may still be installed",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    use crate::inventory::AppEvidence;
    use crate::rules::test_support::{android, app, app_id, as_of, check, evaluate_default, ios};
    use crate::rules::Status;

    /// `complete`: both the inventory and its system apps are complete (corporate device administrator).
    fn run(mode: AndroidMode, complete: bool, apps: Vec<AppEvidence>) -> Outcome {
        let device = Device { inventory_complete: complete, system_apps_complete: complete, apps, ..android(mode) };
        evaluate_default(evaluate, &device)
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
    fn missing_where_system_apps_are_listed_fails() {
        let reason =
            check(run(AndroidMode::DeviceAdministrator, true, vec![app("Company Portal", None)]), Status::Fail);
        assert!(reason.contains("not installed"), "{reason}");
    }

    #[test]
    fn missing_from_an_android_enterprise_inventory_is_unknown() {
        // Complete for apps, not for system apps: the work profile's apps only.
        for mode in [AndroidMode::FullyManaged, AndroidMode::Dedicated, AndroidMode::CorporateWorkProfile] {
            let device = Device { inventory_complete: true, system_apps_complete: false, ..android(mode) };
            let reason = check(evaluate_default(evaluate, &device), Status::Unknown);
            assert!(reason.contains("may not list system apps"), "{mode:?}: {reason}");
        }
    }

    #[test]
    fn missing_with_incomplete_inventory_is_unknown() {
        check(run(AndroidMode::PersonalWorkProfile, false, vec![app("Company Portal", None)]), Status::Unknown);
        check(run(AndroidMode::DeviceAdministrator, false, vec![]), Status::Unknown);
    }

    #[test]
    fn a_source_without_app_inventory_is_unknown_even_where_system_apps_are_listed() {
        let device = Device {
            inventory_complete: false,
            system_apps_complete: true,
            ..android(AndroidMode::DeviceAdministrator)
        };
        check(evaluate_default(evaluate, &device), Status::Unknown);
    }

    #[test]
    fn missing_on_a_recently_enrolled_device_is_unknown() {
        let recent = |before: TimeDelta| Device {
            inventory_complete: true,
            system_apps_complete: true,
            enrolled_at: Some(as_of() - before),
            ..android(AndroidMode::DeviceAdministrator)
        };
        let reason = check(evaluate_default(evaluate, &recent(TimeDelta::days(2))), Status::Unknown);
        assert_eq!(reason, "enrolled 2 days ago: app inventory refreshes every 7 days from enrollment");
        check(evaluate_default(evaluate, &recent(TimeDelta::hours(-1))), Status::Unknown);
        check(evaluate_default(evaluate, &recent(TimeDelta::days(7))), Status::Fail);
        // Found passes, AOSP fails, whenever the device enrolled.
        let found = Device { apps: vec![app("Google Play services", None)], ..recent(TimeDelta::days(1)) };
        check(evaluate_default(evaluate, &found), Status::Pass);
        let aosp = Device { android_mode: Some(AndroidMode::Aosp), ..recent(TimeDelta::days(1)) };
        check(evaluate_default(evaluate, &aosp), Status::Fail);
    }

    #[test]
    fn android_without_a_mode_follows_the_inventory() {
        let device = Device { platform: Platform::Android, ..Default::default() };
        check(evaluate_default(evaluate, &device), Status::Unknown);
    }

    #[test]
    fn not_android_is_not_applicable() {
        let complete_ios = Device { inventory_complete: true, system_apps_complete: true, ..ios() };
        check(evaluate_default(evaluate, &complete_ios), Status::NotApplicable);
        check(evaluate_default(evaluate, &Device::default()), Status::NotApplicable);
        let other = Device { platform: Platform::Other, ..Default::default() };
        check(evaluate_default(evaluate, &other), Status::NotApplicable);
    }
}
