//! `has-recipient`: does the device have a user that a group send reaches?
//!
//! Group sends reach users, not devices: "each supported device enrolled by the user receives the
//! message; devices that are members of the group are ignored". A userless device (shared, kiosk) is
//! never reached. A device enrolled by a device enrollment manager (DEM) account was not enrolled by
//! the person using it, and "the device must be enrolled by the targeted user", so it fails too. The
//! recipient itself is decided once, in the inventory (docs/rules.md, "How a device is classified"
//! and the rule's table).

use super::{Level, Outcome, Rule, RuleContext, RuleId, Status};
use crate::inventory::{Device, Enrollment};

pub const RULE: Rule = Rule {
    id: RuleId::HasRecipient,
    default_level: Level::Deny,
    checks: "The device has a user (enrolling user, UPN or user id) that a group send can reach.",
    fail_means: "Group sends reach users, not devices; a device without a user never gets the message.",
    fix: "Assign a primary user to the device; userless shared or kiosk devices cannot be reached.",
    decision: &[
        (Status::Pass, "the device has a recipient: the enrolling user's UPN where the source gives it, else the primary user's UPN (lower-cased), else the user id."),
        (Status::Fail, "enrolled by a device enrollment manager (`deviceEnrollmentType` `deviceEnrollmentManager`: a send to the device's user does not reach it); or no recipient (userless, shared or kiosk devices; the all-zero user id names nobody)."),
    ],
    sources: &[
        "Group sends reach users, not devices (memdocs: intune/intune-service/remote-actions/custom-notifications.md)",
        "The device must be enrolled by the targeted user (memdocs: intune/device-management/actions/send-custom-notification.md)",
    ],
    caveat: None,
    evaluate,
};

fn evaluate(device: &Device, _context: &RuleContext<'_>) -> Outcome {
    if device.enrollment == Enrollment::Dem {
        return Outcome::fail(
            "enrolled by a device enrollment manager account: a send to the device's user does not reach it",
        );
    }
    match device.recipient.as_deref().map(str::trim) {
        Some(recipient) if !recipient.is_empty() => {
            Outcome::pass("the device has a user, so a group send to that user reaches it")
        }
        _ => Outcome::fail(
            "the device has no user (userless, shared or kiosk), and group sends reach users, not devices",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::{check, evaluate_default};
    use crate::rules::Status;

    fn run(recipient: Option<&str>) -> Outcome {
        let device = Device { recipient: recipient.map(Into::into), ..Default::default() };
        evaluate_default(evaluate, &device)
    }

    #[test]
    fn a_recipient_passes() {
        check(run(Some("alice@contoso.com")), Status::Pass);
        check(run(Some("6f1c0d2e-0000-4000-8000-000000000001")), Status::Pass);
    }

    #[test]
    fn no_recipient_fails() {
        let reason = check(run(None), Status::Fail);
        assert!(reason.contains("no user"), "{reason}");
        check(run(Some("  ")), Status::Fail);
    }

    #[test]
    fn device_enrollment_manager_fails_even_with_a_user() {
        for recipient in [Some("dem-account@contoso.com"), None] {
            let device =
                Device { recipient: recipient.map(Into::into), enrollment: Enrollment::Dem, ..Default::default() };
            let reason = check(evaluate_default(evaluate, &device), Status::Fail);
            assert_eq!(
                reason,
                "enrolled by a device enrollment manager account: a send to the device's user does not reach it"
            );
        }
        let aue =
            Device { recipient: Some("a@x".into()), enrollment: Enrollment::AppleUserEnrollment, ..Default::default() };
        check(evaluate_default(evaluate, &aue), Status::Pass);
    }
}
