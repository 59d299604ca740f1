//! `push-permission`: has the user allowed the receiving app to send push notifications?
//!
//! The user must allow Company Portal (or the Intune app) to send notifications, but nothing in
//! Microsoft Graph exposes that choice, so the rule is always unknown, never passed, on every device
//! (PREREQUISITES.md, "What Intune custom notifications need"). Its default level is `allow`: it is
//! reported in `unknown_rules` but does not change a verdict.

use super::Settings;
use super::{Level, Outcome, Rule, RuleId};
use crate::inventory::Device;

pub const RULE: Rule = Rule {
    id: RuleId::PushPermission,
    default_level: Level::Allow,
    checks: "The user allowed Company Portal (or the Intune app) to send push notifications.",
    fail_means: "If notifications are blocked, the user gets no push alert for the message.",
    fix: "Ask users to allow notifications for Company Portal (or the Intune app) in device settings.",
    evaluate,
};

const REASON: &str = "not observable through Microsoft Graph; ask users to allow notifications for Company Portal";

fn evaluate(_device: &Device, _settings: &Settings) -> Outcome {
    Outcome::unknown(REASON)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::AndroidMode;
    use crate::rules::test_support::{android, app, check, ios, settings};
    use crate::rules::Status;

    #[test]
    fn always_unknown_never_passed() {
        let ready_ios = Device { inventory_complete: true, apps: vec![app("Company Portal", Some("5.2"))], ..ios() };
        let devices = [ready_ios, android(AndroidMode::PersonalWorkProfile), Device::default()];
        for device in &devices {
            let reason = check(evaluate(device, &settings()), Status::Unknown);
            assert_eq!(reason, REASON);
        }
    }
}
