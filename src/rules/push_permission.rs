//! `push-permission`: has the user allowed the receiving app to send push notifications?
//!
//! The user must allow Company Portal (or the Intune app) to send notifications, but nothing in
//! Microsoft Graph exposes that choice, so the rule is always unknown, never passed, on every device
//! (docs/rules.md). Its default level is `allow`: it is
//! reported in `unknown_rules` but does not change a verdict.

use super::{Level, Outcome, Rule, RuleContext, RuleId, Status};
use crate::inventory::Device;

pub const RULE: Rule = Rule {
    id: RuleId::PushPermission,
    default_level: Level::Allow,
    checks: "The user allowed Company Portal (or the Intune app) to send push notifications.",
    fail_means: "If notifications are blocked, the user gets no push alert for the message.",
    fix: "Ask users to allow notifications for Company Portal (or the Intune app) in device settings.",
    decision: &[
        (Status::Unknown, "always: nothing in Microsoft Graph exposes whether notifications are allowed, so it is never passed."),
    ],
    sources: &[
        "The user must allow Company Portal to send notifications (memdocs: intune/intune-service/remote-actions/custom-notifications.md)",
    ],
    caveat: Some(
        "Push permission for Company Portal (or the Intune app) is not observable through Microsoft Graph: \
`push-permission` is unknown on every device. Ask users to allow notifications.",
    ),
    evaluate,
};

const REASON: &str = "not observable through Microsoft Graph; ask users to allow notifications for Company Portal";

fn evaluate(_device: &Device, _context: &RuleContext<'_>) -> Outcome {
    Outcome::unknown(REASON)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::AndroidMode;
    use crate::rules::test_support::{android, app, check, evaluate_default, ios};
    use crate::rules::Status;

    #[test]
    fn never_passed_on_any_device() {
        let ready_ios = Device { inventory_complete: true, apps: vec![app("Company Portal", Some("5.2"))], ..ios() };
        let devices = [ready_ios, android(AndroidMode::PersonalWorkProfile), Device::default()];
        for device in &devices {
            let reason = check(evaluate_default(evaluate, device), Status::Unknown);
            assert!(reason.contains("not observable through Microsoft Graph"), "{reason}");
        }
    }
}
