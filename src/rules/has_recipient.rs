//! `has-recipient`: does the device have a user that a group send reaches?
//!
//! Group sends reach users, not devices: "each supported device enrolled by the user receives the
//! message; devices that are members of the group are ignored". A userless device (shared, kiosk) is
//! never reached. The recipient itself is decided once, in the inventory (docs/rules.md,
//! "How a device is classified" and the rule's table).

use super::Settings;
use super::{Level, Outcome, Rule, RuleId, Status};
use crate::inventory::Device;

pub const RULE: Rule = Rule {
    id: RuleId::HasRecipient,
    default_level: Level::Deny,
    checks: "The device has a user (enrolling user, UPN or user id) that a group send can reach.",
    fail_means: "Group sends reach users, not devices; a device without a user never gets the message.",
    fix: "Assign a primary user to the device; userless shared or kiosk devices cannot be reached.",
    decision: &[
        (Status::Pass, "the device has a recipient: the enrolling user's UPN where the source gives it, else the primary user's UPN (lower-cased), else the user id."),
        (Status::Fail, "no recipient (userless, shared or kiosk devices; the all-zero user id names nobody)."),
    ],
    sources: &[
        "Group sends reach users, not devices (memdocs: intune/intune-service/remote-actions/custom-notifications.md)",
    ],
    caveat: None,
    evaluate,
};

fn evaluate(device: &Device, _settings: &Settings) -> Outcome {
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
    use crate::rules::test_support::{check, settings};
    use crate::rules::Status;

    fn run(recipient: Option<&str>) -> Outcome {
        let device = Device { recipient: recipient.map(Into::into), ..Default::default() };
        evaluate(&device, &settings())
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
}
