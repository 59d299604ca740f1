//! `supported-platform`: is the device a kind that custom notifications support at all?
//!
//! The current doc lists only iOS/iPadOS and Android Enterprise personally-owned work profile; fully
//! managed and dedicated Android devices are reported as not supported (memdocs issues #2788, #4775),
//! AOSP devices (no Google Play services) fail per the rules table, and macOS/Windows are not
//! supported. Device administrator and corporate-owned work profile are simply not listed, so they are
//! unknown, not failed. On iOS, Company Portal is not supported on a Shared iPad (fail), and Apple
//! User Enrollment does not list custom notifications among its supported actions (unknown); fail
//! wins over unknown. (docs/rules.md; memdocs intune/intune-service/remote-actions/custom-notifications.md,
//! enrollment/device-enrollment-shared-ipad.md, enrollment/ios-user-enrollment-supported-actions.md.)

use std::borrow::Cow;

use super::{Level, Outcome, Rule, RuleContext, RuleId, Status};
use crate::inventory::{AndroidMode, Device, Enrollment, Platform};

pub const RULE: Rule = Rule {
    id: RuleId::SupportedPlatform,
    default_level: Level::Deny,
    checks: "The device is iOS/iPadOS or an Android personally-owned work profile device.",
    fail_means: "Intune does not deliver custom notifications to this kind of device.",
    fix: "Reach the user on an iOS/iPadOS or Android personally-owned work profile device instead.",
    decision: &[
        (Status::Pass, "iOS/iPadOS (not a Shared iPad, not Apple User Enrollment); Android personally-owned work profile."),
        (Status::Fail, "a Shared iPad (`hardwareInformation.isSharedDevice` true: Company Portal is not supported there); Android fully managed, dedicated or AOSP; any other operating system (Windows, macOS, ...). Fail wins over unknown."),
        (Status::Unknown, "iOS/iPadOS enrolled with Apple User Enrollment (custom notifications are not among its supported actions and Company Portal is optional); Android device administrator, corporate-owned work profile or an undetermined Android mode (not in the documented platform list); no operating system reported, or `unknown`."),
    ],
    sources: &[
        "Intune custom notifications (memdocs: intune/intune-service/remote-actions/custom-notifications.md)",
        "Fully managed and dedicated Android reported as not supported (MicrosoftDocs/memdocs issues #2788, #4775)",
        "Company Portal is not supported with Shared iPad (memdocs: intune/intune-service/enrollment/device-enrollment-shared-ipad.md; Graph beta hardwareInformation.isSharedDevice)",
        "Apple User Enrollment supported actions (memdocs: intune/intune-service/enrollment/ios-user-enrollment-supported-actions.md; msgraph-metadata beta enum deviceEnrollmentType)",
    ],
    caveat: None,
    evaluate,
};

const NOT_LISTED: &str = "not in the documented platform list";

fn evaluate(device: &Device, _context: &RuleContext<'_>) -> Outcome {
    match device.platform {
        Platform::Ios => ios(device),
        Platform::Android => android(device.android_mode.unwrap_or(AndroidMode::Unknown)),
        Platform::Other => {
            let os = device.operating_system.trim();
            let os: Cow<'static, str> =
                if os.is_empty() { "this operating system".into() } else { os.to_owned().into() };
            Outcome::fail(format!("{os} is not supported by custom notifications (only iOS/iPadOS and Android are)"))
        }
        Platform::Unknown => {
            Outcome::unknown("the device reports no operating system (or `unknown`), so its platform is unknown")
        }
    }
}

/// Fail wins over unknown: a Shared iPad fails whatever its enrollment.
fn ios(device: &Device) -> Outcome {
    if device.shared_device == Some(true) {
        Outcome::fail("Company Portal is not supported on Shared iPad")
    } else if device.enrollment == Enrollment::AppleUserEnrollment {
        Outcome::unknown(
            "Apple User Enrollment: custom notifications are not among its supported actions and Company Portal is optional",
        )
    } else {
        Outcome::pass("iOS/iPadOS is supported by custom notifications")
    }
}

fn android(mode: AndroidMode) -> Outcome {
    match mode {
        AndroidMode::PersonalWorkProfile => {
            Outcome::pass("Android personally-owned work profile is supported by custom notifications")
        }
        AndroidMode::FullyManaged => {
            Outcome::fail("Android fully managed devices are not supported by custom notifications")
        }
        AndroidMode::Dedicated => Outcome::fail("Android dedicated devices are not supported by custom notifications"),
        AndroidMode::Aosp => Outcome::fail("Android (AOSP) devices are not supported by custom notifications"),
        AndroidMode::DeviceAdministrator => {
            Outcome::unknown(format!("Android device administrator is {NOT_LISTED} for custom notifications"))
        }
        AndroidMode::CorporateWorkProfile => {
            Outcome::unknown(format!("Android corporate-owned work profile is {NOT_LISTED} for custom notifications"))
        }
        AndroidMode::Unknown => Outcome::unknown(format!(
            "the Android management mode could not be determined, and an unknown mode is {NOT_LISTED}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::{android, check, evaluate_default, ios};
    use crate::rules::Status;

    fn run(device: &Device) -> Outcome {
        evaluate_default(evaluate, device)
    }

    #[test]
    fn ios_passes() {
        check(run(&ios()), Status::Pass);
        check(run(&Device { shared_device: Some(false), enrollment: Enrollment::Dem, ..ios() }), Status::Pass);
    }

    #[test]
    fn shared_ipad_fails() {
        let reason = check(run(&Device { shared_device: Some(true), ..ios() }), Status::Fail);
        assert_eq!(reason, "Company Portal is not supported on Shared iPad");
    }

    #[test]
    fn apple_user_enrollment_is_unknown() {
        let device = Device { enrollment: Enrollment::AppleUserEnrollment, ..ios() };
        let reason = check(run(&device), Status::Unknown);
        assert_eq!(
            reason,
            "Apple User Enrollment: custom notifications are not among its supported actions and Company Portal is optional"
        );
        check(run(&Device { shared_device: Some(false), ..device }), Status::Unknown);
    }

    #[test]
    fn shared_ipad_fail_wins_over_apple_user_enrollment_unknown() {
        let device = Device { shared_device: Some(true), enrollment: Enrollment::AppleUserEnrollment, ..ios() };
        check(run(&device), Status::Fail);
    }

    #[test]
    fn shared_and_enrollment_are_ignored_outside_ios() {
        let android = Device {
            shared_device: Some(true),
            enrollment: Enrollment::AppleUserEnrollment,
            ..android(AndroidMode::PersonalWorkProfile)
        };
        check(run(&android), Status::Pass);
    }

    #[test]
    fn android_personal_work_profile_passes() {
        check(run(&android(AndroidMode::PersonalWorkProfile)), Status::Pass);
    }

    #[test]
    fn android_fully_managed_dedicated_and_aosp_fail() {
        let reason = check(run(&android(AndroidMode::FullyManaged)), Status::Fail);
        assert_eq!(reason, "Android fully managed devices are not supported by custom notifications");
        assert!(check(run(&android(AndroidMode::Dedicated)), Status::Fail).contains("dedicated"));
        assert!(check(run(&android(AndroidMode::Aosp)), Status::Fail).contains("AOSP"));
    }

    #[test]
    fn android_unlisted_modes_are_unknown() {
        for mode in [AndroidMode::DeviceAdministrator, AndroidMode::CorporateWorkProfile, AndroidMode::Unknown] {
            let reason = check(run(&android(mode)), Status::Unknown);
            assert!(reason.contains(NOT_LISTED), "{mode:?}: {reason}");
        }
    }

    #[test]
    fn android_without_a_mode_is_unknown() {
        let device = Device { platform: Platform::Android, android_mode: None, ..Default::default() };
        check(run(&device), Status::Unknown);
    }

    #[test]
    fn other_platforms_fail_and_name_the_os() {
        let windows = Device { platform: Platform::Other, operating_system: " Windows ".into(), ..Default::default() };
        let reason = check(run(&windows), Status::Fail);
        assert!(reason.starts_with("Windows is not supported"), "{reason}");
        let blank = Device { platform: Platform::Other, ..Default::default() };
        check(run(&blank), Status::Fail);
    }

    #[test]
    fn unknown_platform_is_unknown() {
        check(run(&Device::default()), Status::Unknown);
    }

    #[test]
    fn mode_is_ignored_outside_android() {
        let device = Device { android_mode: Some(AndroidMode::FullyManaged), ..ios() };
        check(run(&device), Status::Pass);
    }
}
